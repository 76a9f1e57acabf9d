"""Words the lemma table gives another word's lemma ("left" is "leave", "worse" is "wrong"):
the taxonomy writes them with "=" so only the word itself counts."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.pipeline import build
from nlp.taxonomy import Theme
from nlp.themes import CUE, PATTERN, ThemeRules


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


def test_an_exact_phrase_matches_its_own_words_only() -> None:
    nlp = build()
    rules = nlp.get_pipe("theme_rules")
    assert isinstance(rules, ThemeRules)
    rules.set_themes(
        {"t": Theme(id="t", label="T", description="", patterns=("=leaves", "wait"), cues=())}
    )
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        doc = nlp("we waited while he left the leaves there")
    found = [s.text for s in doc.spans["themes"]]
    assert found == ["waited", "leaves"]


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("the sweeper left the bags by the gate", "grounds"),
        ("nobody helped my dad, who cannot feed himself", "cost_fees"),
        ("they sent the wrong form", "overall"),
        ("as well as the library, the pool is shut", "overall"),
        ("the officer talked over me the whole time", "activities"),
        ("nobody noticed that my mum was ill", "communication"),
        ("I had fasted since midnight for nothing", "access_waiting"),
        ("the new stop is much closer to my house", "access_waiting"),
        ("I don't understand the letter at all", "staff_attitude"),
        ("the train was cancelled again", "staff_competence"),
        ("do I qualify for the single person discount", "staff_competence"),
        ("I tripped on the kerb outside", "activities"),
        ("the parking at the health centre is a nightmare", "environment"),
        ("the broadband speed in the library is awful", "safety"),
        ("my mum lives in sheltered housing", "environment"),
        ("they booked me in for the wrong day", "care_treatment"),
        ("the caring staff made all the difference", "care_treatment"),
        ("they rang back two weeks later", "organisation"),
        ("they rang back two weeks later", "bus_reliability"),
        ("it could not be worse", "staff_competence"),
    ],
)
def test_other_words_with_the_same_lemma_give_nothing(
    rules: Language, text: str, theme: str
) -> None:
    assert theme not in marks(rules, text)


@pytest.mark.parametrize(
    ("text", "theme", "kind"),
    [
        ("wet leaves all over the path and nobody clears them", "grounds", CUE),
        ("the fee for bulky waste went up again", "cost_fees", PATTERN),
        ("worst service ever", "overall", PATTERN),
        ("the author talks at the library are brilliant", "activities", PATTERN),
        ("they put a notice on the door", "communication", PATTERN),
        ("the nurse was patient with my dad", "staff_attitude", CUE),
        ("they closed the tip early", "access_waiting", CUE),
        ("the training for new drivers is poor", "staff_competence", CUE),
        ("the staff are well qualified", "staff_competence", PATTERN),
        ("the day trip to the seaside was lovely", "activities", CUE),
        ("cars speeding past the school every morning", "safety", PATTERN),
        ("the bus shelter is smashed", "environment", PATTERN),
        ("the bus was late again", "organisation", CUE),
        ("the park is lovely in spring", "environment", CUE),
        ("they booked me a slot but the books I wanted were gone", "care_treatment", CUE),
        ("the care package was cut", "care_treatment", PATTERN),
    ],
)
def test_the_word_itself_still_counts(rules: Language, text: str, theme: str, kind: str) -> None:
    assert kind in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # A no-show is how the service is run, not how many staff it has.
        ("nobody came to fix the boiler", "staffing_levels"),
        # A waiting room is a place; a cancelled appointment is not a wait to get one.
        ("the waiting room floor was filthy", "access_waiting"),
        ("my repair appointment was cancelled", "access_waiting"),
        # Meals and food services are what is provided, not the place.
        ("the free school meals form took two minutes", "environment"),
        ("they never take the food waste caddy", "environment"),
        # Neighbours shouting are not staff, and not knowing what is going on is not skill.
        ("the neighbours are shouting all night", "staff_attitude"),
        ("I have no idea what is happening with my claim", "staff_competence"),
        # A hardship fund is a benefit, not a charge.
        ("the hardship fund turned me down", "cost_fees"),
        # A condition alone is not an access need.
        ("my mum has dementia and lives alone", "accessibility"),
    ],
)
def test_other_senses_give_no_pattern(rules: Language, text: str, theme: str) -> None:
    assert PATTERN not in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("nobody came to fix the boiler", "organisation"),
        ("I could not get an appointment for three weeks", "access_waiting"),
        ("the receptionist shouted at me", "staff_attitude"),
        ("the contractors had no idea what they were doing", "staff_competence"),
        ("funding for the library was cut", "cost_fees"),
        ("the ward food was cold", "environment"),
    ],
)
def test_own_senses_give_a_pattern(rules: Language, text: str, theme: str) -> None:
    assert PATTERN in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme", "kind"),
    [
        ("our flat was broken into twice this year", "safety", PATTERN),
        ("the path by the shops is slippery every winter", "safety", PATTERN),
        ("there is broken glass all over the sandpit", "safety", PATTERN),
        ("a man with no id said he was from the council", "safety", PATTERN),
        ("the lifeguards were chatting the whole session", "safety", CUE),
        ("the plumber knew exactly what the problem was", "staff_competence", PATTERN),
        ("they sent cowboys to do the kitchen", "staff_competence", PATTERN),
        ("nobody at the desk seems to know anything", "staff_competence", PATTERN),
    ],
)
def test_words_of_the_theme_found(rules: Language, text: str, theme: str, kind: str) -> None:
    assert kind in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("the landlord has served notice on us", "communication"),
        ("I got a final notice for a bill I had paid", "communication"),
        ("the dementia friendly screenings are a great idea", "staff_attitude"),
        ("is the park dog friendly", "staff_attitude"),
        ("a group of lads were drinking by the swings", "activities"),
    ],
)
def test_other_senses_of_notice_friendly_and_group(rules: Language, text: str, theme: str) -> None:
    assert theme not in marks(rules, text)


@pytest.mark.parametrize(
    "text",
    [
        "the reablement team got dad walking again",
        "the physio gave me exercises that actually worked",
        "they fitted grab rails and a stairlift within a month",
        "the library stock is tired and out of date",
        "they stopped helping with her personal care",
        "applied for free school meals and heard nothing",
    ],
)
def test_what_the_service_provides(rules: Language, text: str) -> None:
    assert PATTERN in marks(rules, text).get("care_treatment", set())


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("the attendant said it was not his job to help", "staff_attitude"),
        ("the driver got shirty when I asked about the stop", "staff_attitude"),
        ("she never looked up from her screen", "staff_attitude"),
        ("he talked over me the whole time", "staff_attitude"),
        ("I was made to feel like a criminal", "staff_attitude"),
        ("the nurses were angels", "staff_attitude"),
        ("only 1 member of staff on a bank holiday", "staffing_levels"),
    ],
)
def test_how_staff_treat_people_and_how_many(rules: Language, text: str, theme: str) -> None:
    assert PATTERN in marks(rules, text).get(theme, set())


@pytest.mark.parametrize(
    "text",
    [
        "nobody has been back since March",
        "case closed, they said, but the leak is still there",
        "my social worker keeps changing",
        "they closed my case without a word",
        "the engineer said the part was on order",
    ],
)
def test_reliability_and_follow_up(rules: Language, text: str) -> None:
    assert PATTERN in marks(rules, text).get("organisation", set())


@pytest.mark.parametrize(
    "text",
    [
        "every new worker means starting again from scratch",
        "I had to tell my story again to someone new",
    ],
)
def test_telling_it_all_again_is_continuity(rules: Language, text: str) -> None:
    assert PATTERN in marks(rules, text).get("organisation", set())
