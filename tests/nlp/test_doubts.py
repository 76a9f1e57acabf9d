"""Praise in doubt: what a person reads before a compliment is published unread."""

from __future__ import annotations

import pytest

from nlp.doubts import doubts


@pytest.mark.parametrize(
    ("text", "doubt"),
    [
        ("help", "plea"),
        ("HELP the water is coming in, lovely", "plea"),
        ("pls help, staff are lovely", "plea"),
        ("Lovely staff but the railing is dangerous", "plea"),
        ("The housing repairs service was fantastic until this year.", "turn"),
        ("It used to be a lovely park", "turn"),
        ("Great library, no longer open on Sundays", "turn"),
        ("Far from excellent.", "denied"),
        ("The so-called helpful team hung up on me.", "denied"),
        ("Excellent service NOT", "denied"),
        ("Thank you in advance for fixing the light.", "request"),
        ("I'd be grateful if someone could fix my boiler.", "request"),
        ("Lovely staff, why is it shut on Mondays?", "question"),
    ],
)
def test_praise_in_doubt(text: str, doubt: str) -> None:
    assert doubt in doubts(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for the help",
        "Their help was great",
        "The staff were so helpful and helped me fill in the form",
        "Lovely clean park, well done to the gardeners",
        "Not bad at all, the bins were collected on time",
        "The new library is great",
        "Wonderful nurses, thank you so much for everything",
    ],
)
def test_plain_praise_raises_no_doubt(text: str) -> None:
    assert doubts(text) == []
