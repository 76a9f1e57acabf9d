"""The moderator's card shows how sure the model was, so moderators know where to look."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest

from bot.moderation import Card
from handlers import texts
from handlers.fitting import MESSAGE_LIMIT, visible_length
from handlers.moderator import KIND_MENU, render_card
from storage.feedback import ItemTheme, Moderated

LABELS = {
    "access_waiting": "Access and waiting times",
    "staff_attitude": "Staff attitude",
    "organisation": "Organisation and coordination",
}


def card(
    themes: tuple[ItemTheme, ...],
    kind_score: float | None = 0.9,
    kind: str = "complaint",
    kind_set_by: int | None = None,
    model_kind: str | None = "complaint",
    text: str = "The bus did not come.",
) -> Card:
    item = Moderated(
        id=7,
        version=0,
        service_slug="buses",
        service_name="Buses",
        provider_id="transport",
        text=text,
        rating=2,
        status="pending",
        kind=kind,
        redacted_text=text,
        redactions="[]",
        edited_text=None,
        published_text=None,
        reject_reason=None,
        moderated_by=None,
        moderated_at=None,
        card_chat_id=None,
        card_message_id=None,
        created_at="2026-11-02T09:00:00.000000+00:00",
        tagged_at="2026-11-02T09:00:01.000000+00:00",
        model_kind=model_kind,
        kind_score=kind_score,
        kind_set_by=kind_set_by,
    )
    return Card(item, themes)


def model(theme: str, score: float) -> ItemTheme:
    return ItemTheme(theme, score, "model", "[]", True)


def plain(html: str) -> str:
    return unescape(re.sub(r"<[^>]*>", "", html))


def unsure_line(shown: Card) -> str:
    text, _ = render_card(shown, LABELS)
    lines = [line for line in plain(text).splitlines() if line.startswith("🤔")]
    return lines[0] if lines else ""


def test_theme_scores_are_shown_as_percentages() -> None:
    text, _ = render_card(
        card((model("access_waiting", 0.824), model("staff_attitude", 0.51))), LABELS
    )
    assert plain(text).splitlines()[1] == (
        "Themes: Access and waiting times 82%, Staff attitude 51%"
    )


@pytest.mark.parametrize(
    ("themes", "kind_score", "expected"),
    [
        ((model("access_waiting", 0.9),), 0.9, ""),
        ((model("access_waiting", 0.9),), 0.48, "🤔 Not sure: the kind (48%)"),
        ((model("access_waiting", 0.31),), 0.9, "🤔 Not sure: the themes (best 31%)"),
        ((), 0.9, "🤔 Not sure: no theme found"),
        # 59.5% reads 60%: the kind is sure, as the card shows it.
        ((), 0.595, "🤔 Not sure: no theme found"),
        (
            (model("access_waiting", 0.3),),
            0.5,
            "🤔 Not sure: the kind (50%); the themes (best 30%)",
        ),
        # Scores are compared as the card shows them: 49.6% reads 50%, which is sure.
        ((model("access_waiting", 0.496),), 0.596, ""),
        # A kind the model did not score (tagged before scores were kept) is not doubted.
        ((model("access_waiting", 0.9),), None, ""),
    ],
)
def test_the_card_says_where_the_model_is_unsure(
    themes: tuple[ItemTheme, ...], kind_score: float | None, expected: str
) -> None:
    assert unsure_line(card(themes, kind_score)) == expected


def test_once_a_moderator_has_set_them_the_doubt_goes() -> None:
    weak = (model("access_waiting", 0.3),)
    assert unsure_line(card(weak, 0.4)) != ""
    # The kind set by a moderator: only the themes are in doubt.
    set_kind = card(weak, 0.4, kind="suggestion", kind_set_by=42)
    assert unsure_line(set_kind) == "🤔 Not sure: the themes (best 30%)"
    text, _ = render_card(set_kind, LABELS)
    assert texts.CARD_KIND_SET.format(model="complaint") in plain(text)
    # A theme a moderator added (no score shown for it): the themes are not in doubt either.
    checked = (*weak, ItemTheme("organisation", 1.0, "moderator", None, True, True))
    shown = card(checked, 0.4, kind="suggestion", kind_set_by=42)
    assert unsure_line(shown) == ""
    text, _ = render_card(shown, LABELS)
    assert "Organisation and coordination" in plain(text).splitlines()[1]
    assert "Organisation and coordination 100%" not in plain(text)


def test_a_card_with_every_theme_and_the_longest_text_fits_telegram() -> None:
    labels = {f"theme_{n}": f"A rather long theme label number {n}" for n in range(40)}
    themes = tuple(model(theme, 0.3) for theme in labels)
    shown = card(themes, 0.41, text="word " * 900)
    for menu in ("", KIND_MENU):
        text, markup = render_card(shown, labels, menu)
        assert visible_length(text) <= MESSAGE_LIMIT
        assert "🤔 Not sure" in text
    _, markup = render_card(shown, labels, KIND_MENU)
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        texts.KIND_CHOSEN.format(kind="Complaint"),
        "Compliment",
        "Suggestion",
        "Question",
        texts.BACK,
    ]


def test_a_card_names_the_other_kinds_of_mixed_feedback() -> None:
    base = card((model("staff_attitude", 0.9),))
    mixed = Card(replace(base.item, also_kinds='["compliment"]'), base.themes)
    head = render_card(mixed, LABELS)[0].splitlines()[0]
    assert head.endswith(" · complaint + compliment")
    # A moderator's kind stands alone; a damaged list is ignored, never an error.
    chosen = Card(replace(mixed.item, kind_set_by=5), base.themes)
    assert render_card(chosen, LABELS)[0].splitlines()[0].endswith(" · complaint")
    damaged = Card(replace(base.item, also_kinds="not json"), base.themes)
    assert render_card(damaged, LABELS)[0].splitlines()[0].endswith(" · complaint")
