"""Rules that know the sense: ambiguous words count only in context, other senses cancel."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.pipeline import build
from nlp.themes import CUE, PATTERN


@pytest.fixture(scope="module")
def rules() -> Language:
    """A fresh pipeline from the default taxonomy (rules only: the model is untrained)."""
    return build()


def marks(nlp: Language, text: str) -> dict[str, set[str]]:
    """Theme id -> the kinds of phrase found for it ("pattern", "cue")."""
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        doc = nlp(text)
    found: dict[str, set[str]] = {}
    for span in doc.spans["themes"]:
        found.setdefault(span.label_, set()).add(span.kb_id_)
    return found


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # Other senses of a word, cancelled by a not_pattern of the theme.
        ("I cut my knee on the broken bench", "cost_fees"),
        ("the grass cut was done early this year", "cost_fees"),
        ("Honestly it's fine, no complaints", "cost_fees"),
        ("the skate ramp is brilliant, kids love it", "accessibility"),
        ("room for improvement at the front desk", "environment"),
        ("what kind of answer is that", "staff_attitude"),
        ("I tripped over the paving slab", "activities"),
        ("can't wait for the new library", "access_waiting"),
        ("the library is in danger of closing", "safety"),
        ("can you speed up my housing benefit claim", "safety"),
        ("the GP signposted me to citizens advice", "location_transport"),
        ("no response to the antibiotics so far", "communication"),
        # Health-only transport words are not transport on council texts.
        ("the bin crew were brilliant", "location_transport"),
        ("the driver waited while my mum sat down", "location_transport"),
        ("they didn't collect the garden waste", "location_transport"),
        ("I got home and the bin was still full", "location_transport"),
        ("the park is lovely in spring", "location_transport"),
    ],
)
def test_other_senses_give_no_theme_words(rules: Language, text: str, theme: str) -> None:
    assert theme not in marks(rules, text)


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("I qualified for council tax support last year", "staff_competence"),
        ("bed bugs in the flat since we moved in", "digital"),
        ("this has gone too far, I want a manager", "location_transport"),
        ("I drove past the tip and it was shut", "organisation"),
        ("a range of books for every age", "care_treatment"),
        ("I left early to make my appointment", "organisation"),
    ],
)
def test_words_with_other_senses_are_only_cues(rules: Language, text: str, theme: str) -> None:
    assert PATTERN not in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme", "kind"),
    [
        # The same words in the theme's own sense.
        ("got a parking fine for stopping for two minutes", "cost_fees", PATTERN),
        ("my roof is leaking and nobody has come", "organisation", PATTERN),
        ("different carer every day, mum gets confused", "organisation", PATTERN),
        ("reported the broken boiler 2 weeks ago, nobody's been out", "organisation", PATTERN),
        ("another 60 pound fine for my bin lid being open", "cost_fees", CUE),
        ("library budget cuts mean fewer books", "cost_fees", CUE),
        ("there is no ramp so I cannot get my wheelchair in", "accessibility", PATTERN),
        ("the ramp at the library entrance is too steep", "accessibility", CUE),
        ("the receptionist was rude to my father", "staff_attitude", PATTERN),
        ("the car park is always full", "location_transport", PATTERN),
    ],
)
def test_own_senses_give_theme_words(rules: Language, text: str, theme: str, kind: str) -> None:
    assert kind in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    "text",
    [
        "the bus was ten minutes late",
        "the library closes at 5 on saturdays",
        "they came quickly",
        "it took three weeks and two days",
    ],
)
def test_time_words_alone_are_only_cues_for_waiting(rules: Language, text: str) -> None:
    # Any mention of time must not give access and waiting by itself: the model decides.
    assert PATTERN not in marks(rules, text).get("access_waiting", set())


@pytest.mark.parametrize(
    "text",
    [
        "Thank you to the bin crew, brilliant as always",
        "Amazing, thanks so much",
    ],
)
def test_praise_words_are_only_cues_for_overall(rules: Language, text: str) -> None:
    assert PATTERN not in marks(rules, text).get("overall", set())
