"""The kind classifier is sane on obvious cases."""

from __future__ import annotations

import pytest

from nlp.pipeline import Analyser


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Thank you so much, everyone was wonderful.", "compliment"),
        ("Brilliant service, the crew were fantastic", "compliment"),
        ("Why is the library closed on Saturdays?", "question"),
        ("When will the new bus timetable start", "question"),
        ("You should open the pool earlier in the morning.", "suggestion"),
        ("It would be nice to have more seats in the waiting room", "suggestion"),
        ("Why not open on Sundays?", "suggestion"),
        ("The staff were rude and I waited four hours for nothing.", "complaint"),
        ("Terrible. Nobody called me back and my complaint was ignored", "complaint"),
    ],
)
def test_obvious_kinds(analyser: Analyser, text: str, kind: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.kind == kind
    assert analysis.kind_score >= 0.5
