"""The rule component marks the words behind each theme, at their place in the text."""

from __future__ import annotations

import pytest

from nlp.pipeline import Analyser


@pytest.mark.parametrize(
    ("text", "theme", "words"),
    [
        ("We Waited for two hours.", "access_waiting", "Waited"),
        ("The   toilets were filthy!", "environment", "toilets"),
        ("The fees are far too expensive", "cost_fees", "expensive"),
        ("Booking online is impossible, the website crashed", "digital", "website"),
        ("Café staff ignored the wheelchair user", "accessibility", "wheelchair user"),
    ],
)
def test_evidence_points_at_the_triggering_words(
    analyser: Analyser, text: str, theme: str, words: str
) -> None:
    [analysis] = analyser.analyse([text])
    hits = {h.id: h for h in analysis.themes}
    assert theme in hits, analysis
    evidence = hits[theme].evidence
    assert (text.index(words), text.index(words) + len(words), words) in evidence
    for start, end, found in evidence:
        assert text[start:end] == found


def test_spans_are_in_the_doc(analyser: Analyser) -> None:
    doc = analyser.nlp("Rude staff and a long wait")
    labels = {(s.label_, s.text) for s in doc.spans["themes"]}
    assert ("staff_attitude", "Rude") in labels
    assert ("access_waiting", "long wait") in labels


def test_rule_only_themes_come_from_rules(analyser: Analyser) -> None:
    # Sub-themes have no training data: only their patterns can give them, and say why.
    [with_words, without] = analyser.analyse(
        ["Someone has dumped a mattress, it's fly-tipping again", "The nurse was kind"]
    )
    sub = [h for h in with_words.themes if h.id == "litter_flytipping"]
    assert sub and sub[0].source == "rule" and sub[0].evidence
    assert "litter_flytipping" not in analyser.model_labels
    assert "litter_flytipping" not in {h.id for h in without.themes}
