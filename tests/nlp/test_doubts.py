"""Praise in doubt: what a person reads before a compliment is published unread."""

from __future__ import annotations

import pytest

from nlp.doubts import doubts


def kinds(text: str) -> list[str]:
    return [d.kind for d in doubts(text)]


@pytest.mark.parametrize(
    ("text", "doubt", "where"),
    [
        ("help", "plea", "help"),
        ("Help! The water is coming in, lovely staff though", "plea", "Help!"),
        ("pls help, staff are lovely", "plea", "pls help"),
        ("Lovely people, can you help me with the form", "plea", "help me"),
        ("The housing repairs service was fantastic until this year.", "turn", "until this year"),
        ("It used to be a lovely park", "turn", "used to be"),
        ("Far from excellent.", "denied", "Far from"),
        ("The service was not great", "denied", "not great"),
        ("The staff are never helpful", "denied", "never helpful"),
        ("The so-called helpful team hung up on me.", "denied", "so-called"),
        ("Excellent service NOT", "denied", "NOT"),
        ("THE SERVICE WAS NOT GREAT", "denied", "NOT GREAT"),
        ("Thank you in advance for fixing the light.", "request", "in advance"),
        ("I'd be grateful if someone could fix my boiler.", "request", "grateful if"),
        ("Lovely staff, why is it shut on Mondays?", "question", "?"),
    ],
)
def test_praise_in_doubt_and_where(text: str, doubt: str, where: str) -> None:
    found = {d.kind: text[d.start : d.end] for d in doubts(text)}
    assert found.get(doubt) == where


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the help",
        "Thanks for all your help!",
        "Their help was great, Sarah's help especially",
        "They were happy to help me fill in the form",
        "The staff were so helpful and helped me fill in the form",
        "The emergency repairs team came the same day",
        "Open until 8pm, which is brilliant",
        "I used to dread bin day but the new crew are great",
        "Lovely clean park, well done to the gardeners",
        "Not bad at all, the bins were collected on time",
        "Could not be more helpful",
        "COULD NOT HAVE ASKED FOR BETTER SERVICE",
        "EXCELLENT SERVICE, COULD NOT FAULT IT",
        "Would recommend them to anyone, why not",
        "The patient and kind receptionist sorted it",
        "The new library is great",
        "Wonderful nurses, thank you so much for everything",
    ],
)
def test_plain_praise_raises_no_doubt(text: str) -> None:
    assert kinds(text) == []
