"""Negation and intensifiers: "not very helpful" is no praise, "couldn't be worse" no denial."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.kind import FeedbackKind
from nlp.pipeline import Analyser, build


@pytest.fixture(scope="module")
def blank() -> Language:
    """A fresh pipeline (the kind heads untrained: only what the cues find is read)."""
    return build()


def read(nlp: Language, text: str) -> str:
    """The lemmas the kind heads read for a text."""
    kind = nlp.get_pipe("feedback_kind")
    assert isinstance(kind, FeedbackKind)
    with nlp.select_pipes(enable=["lemmatizer"]):
        doc = nlp(text)
    return kind.views(doc)["lemmas"]


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("the staff were not very helpful", "the staff be not not_very not_helpful"),
        ("it wasn't great, the lift was broken", "it be not not_great , the lift be break"),
        ("staff were hardly helpful", "staff be not not_helpful"),
        ("no one helped and it was cold", "no not_one not_help and it be cold"),
        # An exclamation: the "never" denies nothing and the words after keep their weight.
        ("never had such bad service", "_ have bad service"),
        # "couldn't be worse" denies nothing.
        ("it couldn't be worse", "it can _ be worse"),
        ("not only polite but patient", "_ only polite but patient"),
    ],
)
def test_what_a_negation_covers(blank: Language, text: str, lemmas: str) -> None:
    assert read(blank, text) == lemmas


@pytest.mark.parametrize(
    "text",
    [
        "Never had such bad service",
        "I have never been treated so badly by the council",
        "the new timetable is not great",
        "the woman at the desk was not very helpful",
        "the staff were hardly helpful",
        "wasn't exactly friendly when I asked for help",
        "Not the best experience at the tip",
        "Zero stars if I could",
        "The leisure centre used to be good. Not any more.",
    ],
)
def test_denied_praise_is_a_complaint(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.kind == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "never seen such a clean park",
        "no complaints at all, the crew are always on time",
        "could not be happier with the carers",
        "not bad at all for a free service",
        "credit where it's due, the new manager has turned the pool round",
        "shout out to the lads on the recycling round",
        "fair play to the warden, he sorted it in a day",
    ],
)
def test_denied_blame_and_praise_in_slang_are_compliments(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.kind == "compliment"


@pytest.mark.parametrize(
    "text",
    [
        "do u have to pay for a new recycling box",
        "whats the best way to report a blocked drain",
        "I live on my own now, am I entitled to a discount?",
    ],
)
def test_plain_questions_in_text_speak_are_questions(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.kind == "question"
