"""Long texts split over messages lose nothing and every part fits, whatever the text."""

from __future__ import annotations

import re
from html import unescape

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bidi import FSI, PDI
from handlers import texts
from handlers.fitting import MESSAGE_LIMIT, fit, name, pack, pieces, quote, visible_length
from handlers.responses import _follow_up

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=9000)


def relay(words: str) -> str:
    return texts.ASKS_RELAY_TO_CITIZEN.format(
        provider=name("Culture and Leisure " * 20),
        service=name("Central Library"),
        text=quote(words),
    )


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]*>", "", html)).replace(FSI, "").replace(PDI, "")


@settings(max_examples=80, deadline=None)
@given(any_text)
def test_a_relay_of_any_length_arrives_whole_in_parts_that_fit(text: str) -> None:
    messages = pieces(relay, text)
    assert all(visible_length(m) <= MESSAGE_LIMIT for m in messages)
    if len(messages) == 1:
        return
    # Every word is there, in order: the parts only add "…" where they were split.
    body = plain(messages[0]).split("“", 1)[1].rstrip("”")
    joined = "".join(plain(m).strip("…").strip() for m in [body, *messages[1:]])
    squeeze = re.compile(r"[\s…]+")
    assert squeeze.sub("", joined) == squeeze.sub("", text.replace(FSI, "").replace(PDI, ""))


@settings(max_examples=60, deadline=None)
@given(st.lists(any_text.map(quote), max_size=30))
def test_any_list_packs_into_messages_that_fit_in_order(blocks: list[str]) -> None:
    messages = pack(blocks)
    assert all(visible_length(m) <= MESSAGE_LIMIT for m in messages)
    if all(visible_length(b) < MESSAGE_LIMIT - 16 for b in blocks):
        assert "\n\n".join(messages) == "\n\n".join(b for b in blocks if b)


@settings(max_examples=60, deadline=None)
@given(any_text, any_text)
def test_a_follow_up_fits_with_any_response(text: str, theme: str) -> None:
    html, _ = fit(lambda words: _follow_up(3, f"<b>{name(theme)}</b>", words), text)
    assert visible_length(html) <= MESSAGE_LIMIT
