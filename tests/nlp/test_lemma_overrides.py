"""The lemma overrides (nlp/lemma_overrides.toml): words the lookup table gives another
word's lemma keep their own, so theme phrases and word features no longer merge them."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.pipeline import Analyser, build


@pytest.fixture(scope="module")
def nlp() -> Language:
    """A fresh pipeline from the default config and taxonomy (rules only: untrained)."""
    return build()


def lemmas(nlp: Language, text: str) -> list[str]:
    """The lemma of each token of text."""
    with nlp.select_pipes(enable=["lemmatizer"]):
        return [t.lemma_ for t in nlp(text)]


def marks(nlp: Language, text: str) -> dict[str, set[str]]:
    """Theme id -> the words its phrases found in text."""
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        doc = nlp(text)
    found: dict[str, set[str]] = {}
    for span in doc.spans["themes"]:
        found.setdefault(span.label_, set()).add(span.text.lower())
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the crew came", ["the", "crew", "come"]),
        ("As I said", ["as", "i", "say"]),
        ("Does it work", ["do", "it", "work"]),
        ("parking is awful", ["parking", "be", "awful"]),
        ("staff training", ["staff", "training"]),
        ("a bit later", ["a", "bit", "later"]),
        ("my rent went up", ["my", "rent", "go", "up"]),
        ("the phone number", ["the", "phone", "number"]),
        ("every evening", ["every", "evening"]),
        ("qualified staff", ["qualified", "staff"]),
        ("speeding cars", ["speeding", "car"]),
        ("I tripped", ["i", "tripped"]),
        ("the worst and the best", ["the", "worst", "and", "the", "best"]),
        ("it got worse", ["it", "get", "worse"]),
        ("social media", ["social", "media"]),
        ("putting the bins out", ["put", "the", "bin", "out"]),
    ],
)
def test_a_word_keeps_its_own_lemma(nlp: Language, text: str, expected: list[str]) -> None:
    assert lemmas(nlp, text) == expected


def test_the_shipped_model_was_built_with_the_overrides(analyser: Analyser) -> None:
    # The table is saved with the model: a model built before the overrides reads "crow".
    assert lemmas(analyser.nlp, "The ambulance crew") == ["the", "ambulance", "crew"]


@pytest.mark.parametrize(
    ("text", "theme", "word"),
    [
        # "crew" was "crow", so the staff phrase "crew" never met the crews themselves.
        ("the ambulance crews were lovely", "staff_attitude", "crews"),
        # "weed" was "wee", so the phrase "weeds" missed it.
        ("there is weed all over the path", "grounds", "weed"),
        # "number" was "numb".
        ("nobody gave me reference numbers", "communication", "reference numbers"),
        # "does" was "doe", so "does not know" missed the phrases written with "do".
        ("the new officer does not know the rules", "staff_competence", "does not know"),
    ],
)
def test_a_theme_phrase_finds_the_word(nlp: Language, text: str, theme: str, word: str) -> None:
    assert word in marks(nlp, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # "earlier" (before now) was "early", a bus reliability cue.
        ("I rang earlier about my bin", "bus_reliability"),
        # "cars parked" was "car park".
        ("cars parked on the pavement all day", "location_transport"),
    ],
)
def test_a_merged_word_no_longer_finds_the_other_theme(
    nlp: Language, text: str, theme: str
) -> None:
    assert theme not in marks(nlp, text)
