"""What problem a text states (nlp/problems.py) and how "me too" uses it."""

from __future__ import annotations

import pytest

import nlp.similar as similar_module
from nlp import problems
from nlp.similar import Candidate, Index


def said(text: str) -> list[str]:
    return problems.names(problems.signature(text))


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        ("the 14 never came", ["no_show"]),
        ("Bins not collected AGAIN", ["no_show"]),
        ("the lift is broken", ["broken"]),
        ("the lift smells", ["smell"]),
        ("lift isn't working again", ["broken"]),
        ("the lift is working again", ["fixed"]),
        ("when will the swings be fixed?", []),
        ("the staff were not rude at all", []),
        ("replacement bin came but it's the small one", ["wrong"]),
        # The longest phrase wins: praise, not shouting; a charge, not a delay.
        ("shout out to the bin crew", ["praise"]),
        ("charged a late fee", ["charged"]),
        # What is wanted, or how long, is no problem of its own.
        ("MORE BUSES please", []),
        ("nothing to say about the weather", []),
        # A negator that affirms: "not only", "yet another", "can't believe".
        ("yet another broken lift", ["broken"]),
        ("the lift is not only broken but dirty", ["broken", "dirty"]),
        ("not just late, the bus never came", ["no_show", "late"]),
        ("I can't believe how dirty the toilets are", ["dirty"]),
        ("Couldn't believe it's broken again", ["broken"]),
        # ... and the negations around them still negate.
        ("the lift is not yet fixed", ["broken"]),
        ("the bins are yet to be collected", ["no_show"]),
        ("not only was nobody rude, they were kind", ["praise"]),
    ],
)
def test_a_text_states_the_problems_its_words_say(text: str, classes: list[str]) -> None:
    assert said(text) == classes


def test_related_classes_go_both_ways() -> None:
    lexicon = problems.load()
    for i, mask in enumerate(lexicon.related):
        for j in range(len(lexicon.names)):
            if mask >> j & 1:
                assert lexicon.related[j] >> i & 1, (lexicon.names[i], lexicon.names[j])
    late, no_show = (1 << lexicon.names.index(n) for n in ("late", "no_show"))
    assert problems.related(no_show) & late


def test_the_same_thing_with_another_problem_counts_less() -> None:
    broken, smells = "The lift at Ash House is broken", "The lift at Ash House smells"
    cut = Index([Candidate(1, smells)]).scores(broken)[0]
    kept = similar_module.OTHER_PROBLEM
    try:
        similar_module.OTHER_PROBLEM = 1.0
        assert 0 < cut < Index([Candidate(1, smells)]).scores(broken)[0]
    finally:
        similar_module.OTHER_PROBLEM = kept


def test_a_text_stating_no_problem_is_compared_on_its_words_alone() -> None:
    plain, broken = "The lift at Ash House", "The lift at Ash House is broken"
    kept = similar_module.OTHER_PROBLEM
    try:
        similar_module.OTHER_PROBLEM = 0.0
        assert Index([Candidate(1, broken)]).scores(plain)[0] > 0
        assert Index([Candidate(1, plain)]).scores(broken)[0] > 0
    finally:
        similar_module.OTHER_PROBLEM = kept
