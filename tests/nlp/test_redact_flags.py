"""Flags: what the redactor leaves in a text but a moderator should check."""

from __future__ import annotations

import csv
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.normalise import normalise
from nlp.redact import Flag, Found, Redactor, load_rules, redact
from nlp.train import NHS_DATA
from nlp.unsure import Unsure

RULES = load_rules()
UNSURE = Unsure(RULES["names"], RULES["flags"], RULES["address"]["street_words"])


def flagged(text: str) -> list[tuple[str, str]]:
    """The flags of a text the redactor passed over, whatever it finds itself."""
    return [(f.kind, f.text) for f in UNSURE.flags(normalise(text), [])]


def flagged_after_redaction(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in redact(text).flags]


FLAGGED = [
    # likely names that no title or role word gave away
    ("Thanks to Fatima Begum for sorting it out.", [("name", "Fatima Begum")]),
    ("I'm Tomasz Kowalczyk and I waited three hours", [("name", "Tomasz Kowalczyk")]),
    ("Please thank the lady on the desk (Aisha) for me", [("name", "Aisha")]),
    ("Bill at the front desk sorted it in minutes", [("name", "Bill")]),
    ("Priya was so patient with my dad", [("name", "Priya")]),
    ("the form was lost but Will found it", [("name", "Will")]),
    # one word after words that say a person comes next, or before a person's verb
    ("thanks to Oluwaseun for everything", [("name", "Oluwaseun")]),
    ("ask for nadia at the desk", [("name", "nadia")]),
    ("I rang and Siobhan explained it all", [("name", "Siobhan")]),
    (
        "Yusuf Ali and Grace O'Neill were brilliant",
        [("name", "Yusuf Ali"), ("name", "Grace O'Neill")],
    ),
    # signatures
    ("The bins were missed again.\nKind regards,\nBronwyn", [("name", "Bronwyn")]),
    ("Lovely service. Cheers, Ola Nowak", [("name", "Ola Nowak")]),
    # capitals: a known first name leads
    ("HUGE THANKS TO PRIYA SHARMA ON THE DESK", [("name", "PRIYA SHARMA")]),
    # a house number and a street the redactor left in
    ("we live at 7 ash grove now", [("address", "7 ash grove")]),
    ("flat 2, 40 high road", [("address", "40 high road")]),
    ("send it to 12 Heol y Nant please", [("address", "12 Heol y Nant")]),
    # long numbers as people type account and reference numbers
    ("my council tax is paid from 4412 9981 22", [("number", "4412 9981 22")]),
    ("they gave me 55-31-90-12 to quote", [("number", "55-31-90-12")]),
    ("quote AB12345678 when you write", [("number", "AB12345678")]),
    ("the code they gave was 441 2998", [("number", "441 2998")]),
    ("it's 9.9.8.1.2.2.4 apparently", [("number", "9.9.8.1.2.2.4")]),
    # digits typed as words or in fullwidth are numbers too, quoted as typed
    ("number four four one two nine nine eight", [("number", "four four one two nine nine eight")]),
    ("use ４４１２９９８ please", [("number", "４４１２９９８")]),
]


@pytest.mark.parametrize(("text", "expected"), FLAGGED)
def test_flags_what_a_moderator_should_check(text: str, expected: list[tuple[str, str]]) -> None:
    assert flagged(text) == expected


def test_a_removed_names_surname_found_again_on_its_own_is_flagged() -> None:
    text = "Dr Okafor saw me quickly. Okafor is the best GP."
    removed = [Found("name", 3, 9, "Okafor", "[name]")]
    assert [(f.kind, f.text, f.start) for f in UNSURE.flags(normalise(text), removed)] == [
        ("name", "Okafor", 26)
    ]


def test_what_the_redactor_leaves_in_is_flagged_in_its_redaction() -> None:
    result = redact("The code they gave me was 441 2998, ring 07700 900123")
    assert [s.kind for s in result.spans] == ["phone"]
    assert result.flags == [Flag("number", 26, 34, "441 2998")]


NOT_FLAGGED = [
    # places, services, shops, shows and conditions named like people
    "The Royal Victoria Infirmary and Rose Ward were spotless",
    "We went to John Lewis, Marks and Spencer and the Tesco Express",
    "Sunderland Royal Hospital was fine, so was St Mary's",
    "They sent me to James Cook hospital",
    "He has Personality Disorder and they understood",
    "Watched Doctor Who in the waiting room",
    "The Accident and Emergency department was calm",
    "The clinic in Bradford was closed",
    "My Gran was scared and the Doc explained it",
    "thanks so much, and thanks NHS",
    # sentence starts: ordinary words that are also first names
    "Will you please fix the lift?",
    "Grace period for paying the bill was too short.",
    "Bill payments online are confusing.",
    "Mark my words, it will flood again.",
    # shouting and acronyms
    "THE WAITING ROOM WAS FULL AND NOBODY CARED AT ALL",
    "The NHS and the DWP both lost my forms, A&E was fine",
    # numbers and street words that are not an address
    "it took 3 weeks road closures to fix",
    "2 of them close at five, the 42 bus road is shut",
    # harmless numbers: money, amounts, dates, times, years
    "The new centre cost £1 250 000 and 1.250.000 euros",
    "Over 250000 people use it and 120000 visitors came",
    "It happened on 2023-11-04 between 10.30 - 11.45",
    "Seen on 12.03.2024 then again on 14 03 2024",
    "Open 9.00-17.00, and it was like that in 2019-20 and 2021 2022",
    "My appointment was at 10.30, 12.03.2024 10.45 was the next",
    "The route 12 bus at 8.15 then the 7",
    # placeholders a source put in
    "I told the interviewer [Name Redacted] about it",
    # what was redacted is not flagged again
    "Call me on 0191 498 0000 or email jo@example.com",
    "Nurse Sarah was lovely",
]


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_leaves_ordinary_things_alone(text: str) -> None:
    assert flagged_after_redaction(text) == []


def test_the_rest_of_a_number_next_to_a_removed_one_is_still_checked() -> None:
    # The phone number is removed; the digits typed after it are a number of their own.
    text = "ring 07700 900123 9981 2233 44"
    removed = [Found("phone", 5, 17, "07700 900123", "[phone]")]
    assert UNSURE.flags(normalise(text), removed) == [Flag("number", 18, 30, "9981 2233 44")]
    text = "call 07700 900123 6 weeks ago"
    assert UNSURE.flags(normalise(text), [Found("phone", 5, 17, "07700 900123", "[phone]")]) == []


@given(
    st.lists(
        st.sampled_from(
            [
                "Nadia Hussain",
                "Dr Patel",
                "07700 900123",
                "4412 9981 22",
                "4412",
                "Bill",
                "the",
                "desk",
                ",",
                ".",
                "\n",
                "Rose Ward",
                "7 ash grove",
                "jo@example.com",
                "ＡＢ",
                "２２",
                "zero seven",
                "[name]",
            ]
        ),
        max_size=14,
    )
)
@settings(max_examples=300, deadline=None)
def test_flags_are_exact_and_never_overlap_what_was_removed(parts: list[str]) -> None:
    text = " ".join(parts)
    result = redact(text)
    previous_end = 0
    for flag in result.flags:
        assert text[flag.start : flag.end] == flag.text and flag.text.strip() == flag.text
        assert flag.start >= previous_end
        previous_end = flag.end
        assert all(flag.end <= s.start or s.end <= flag.start for s in result.spans)


class WithModel(Redactor):
    """A redactor whose learned model names what it was unsure of."""

    def model_flags(self, text: str) -> Iterable[Flag]:
        """Every 'Zed' in the text is a name the model was unsure of."""
        at = text.find("Zed")
        return [Flag("name", at, at + 3, "Zed")] if at >= 0 else []


def test_the_models_unsure_names_are_flagged_too() -> None:
    redactor = WithModel(load_rules(), use_model=False)
    assert [(f.kind, f.text) for f in redactor.redact("the form from Zed had 9981223").flags] == [
        ("name", "Zed"),
        ("number", "9981223"),
    ]
    # Not over what was redacted, and not twice.
    assert redactor.redact("nurse Zed was kind").flags == []
    assert [f.text for f in redactor.redact("thanks Zed Okonkwo-Baines").flags] == [
        "Zed Okonkwo-Baines"
    ]
    # Without the model the same text is flagged by the rules alone.
    rules_only = Redactor(load_rules(), use_model=False)
    assert rules_only.redact("the form from Zed had 9981223").flags == [
        Flag("number", 22, 29, "9981223")
    ]


def test_a_rules_file_without_a_flags_section_still_flags() -> None:
    rules = load_rules()
    del rules["flags"]
    assert Redactor(rules, use_model=False).redact("Thanks to Fatima Begum").flags == [
        Flag("name", 10, 22, "Fatima Begum")
    ]


def nhs_comments() -> list[str]:
    with NHS_DATA.open(newline="", encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f)]


def test_ordinary_feedback_is_seldom_flagged() -> None:
    # Real comments whose names the source already replaced: any flag is (mostly) a false
    # alarm a moderator has to read past.
    comments = nhs_comments()
    share = sum(bool(r.flags) for r in map(redact, comments)) / len(comments)
    assert share < 0.02, share
