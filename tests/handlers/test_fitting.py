"""Messages around a person's text fit Telegram's limit, however long or odd the text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import texts
from handlers.fitting import MESSAGE_LIMIT, cut, fit, utf16_len, visible_length
from handlers.texts import esc


def card(quoted: str) -> str:
    return f"<b>#12 · Central Library</b>\nThemes: waiting\n\n<i>{esc(quoted)}</i>\n\nPending"


def test_a_short_text_is_left_whole() -> None:
    html, more = fit(card, "The lift is broken again.")
    assert more == 0 and "The lift is broken again." in html


def test_a_text_of_the_whole_limit_is_shortened_with_a_note() -> None:
    text = ("word " * 900).strip()  # 4,499 characters
    html, more = fit(card, text)
    assert visible_length(html) <= MESSAGE_LIMIT
    assert more > 0 and texts.SHORTENED.format(more) in html
    assert html.count("word") + more // 5 >= 890  # only what did not fit was left out


def test_escaping_and_emoji_count_as_telegram_counts() -> None:
    text = "<&> 😀" * 800  # escapes grow the HTML; each emoji is two UTF-16 units
    html, more = fit(card, text)
    assert more > 0 and visible_length(html) <= MESSAGE_LIMIT


def test_cut_prefers_a_word_boundary_and_never_splits_a_surrogate_pair() -> None:
    assert cut("hello wonderful world", 17) == "hello wonderful"
    assert cut("😀😀😀", 3) == "😀"
    assert utf16_len(cut("x" * 5000, 100)) == 100


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=6000))
def test_any_text_fits(text: str) -> None:
    html, _ = fit(card, text)
    assert visible_length(html) <= MESSAGE_LIMIT


def test_a_button_answer_about_a_long_name_fits_telegrams_200_characters() -> None:
    from handlers.admin import role_name
    from handlers.fitting import ALERT_LIMIT, alert

    role = role_name("provider", {"p": "Culture, Leisure, Libraries and Parks " * 8}, "p")
    text = alert(texts.REVOKED.format(name="Pat " * 20, role=role))
    assert utf16_len(text) <= ALERT_LIMIT and text.endswith("…")
    assert alert("Revoked: Pat is no longer a moderator.") == (
        "Revoked: Pat is no longer a moderator."
    )
