"""The learned name and address detector: loaded from the repo, combined with the rules."""

from __future__ import annotations

import pytest

from nlp import redact_learned
from nlp.redact import Flag, Redactor, default_redactor, redact


def kinds_of(text: str) -> dict[str, str]:
    """What was redacted in the text, as {evidence: kind}."""
    return {f.text: f.kind for f in redact(text).spans}


def test_the_model_loads_from_the_repository_once() -> None:
    assert (redact_learned.MODEL_DIR / "meta.json").exists()
    nlp = redact_learned.load_detector()
    assert nlp is not None
    assert nlp.get_pipe("ner").labels == ("ADDRESS", "NAME")
    assert redact_learned.load_detector() is nlp


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I'm Halina Wrobel and the bins were missed again.", "Halina Wrobel"),
        ("My name is Tunde Bakare, I rang on Monday about the boiler.", "Tunde Bakare"),
        ("Hi this is Gwenllian from the flats, still no hot water.", "Gwenllian"),
        ("hi its kasia, the lift is broken again", "kasia"),
        ("The park looked lovely on Sunday. Cheers, Dermot Flanagan", "Dermot Flanagan"),
        ("Please ring me back about the repair. Thanks, Shabana Akhtar", "Shabana Akhtar"),
        ("Nobody came to fix the fence. - Ifeoma", "Ifeoma"),
        ("Callum at the front desk sorted my library card in minutes.", "Callum"),
        ("Please thank Mercedes on reception, she was so patient.", "Mercedes"),
        ("The receptionist (Bogdan) told me to ring back tomorrow.", "Bogdan"),
        ("my son Radoslaw fell off the broken swing", "Radoslaw"),
        ("THANK YOU TO AISHA IN THE HOUSING TEAM", "AISHA"),
    ],
)
def test_names_without_a_title_are_found(text: str, name: str) -> None:
    assert kinds_of(text).get(name) == "name"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("I live at 14 Thornbury Close and the road floods.", "14 Thornbury Close"),
        ("fly tipping outside 7 ash grove again", "7 ash grove"),
        ("My flat is flat 3, 22 Quarry Bank and it is freezing.", "flat 3, 22 Quarry Bank"),
        ("Please collect the sofa from 9 Heol y Felin, Cardiff.", "9 Heol y Felin"),
    ],
)
def test_addresses_are_found_to_the_street(text: str, address: str) -> None:
    found = kinds_of(text)
    assert found.get(address) == "address", found


@pytest.mark.parametrize(
    "text",
    [
        "The bus stop on Mill Street has no shelter.",
        "The potholes on Station Road are getting worse.",
        "I bought a Mr Kipling cake and a Greggs sausage roll.",
        "We watched Doctor Who and Mrs Brown's Boys all evening.",
        "Boots from Marks and Spencer were on offer.",
        "I was treated at the Queen Elizabeth Hospital on Florence Nightingale ward.",
        "The number 38 bus was late and ward 12 was freezing.",
        "I will pay the bill when I hope the grace period ends in May.",
        "The amber light at the junction is too short.",
        "Church Lane car park was full.",
    ],
)
def test_brands_places_and_ordinary_words_are_left_alone(text: str) -> None:
    # The detector's part: the rules' titled names ("Dr Martens") are a brand list's job.
    assert redact_learned.sure(text) == []
    assert [
        f
        for f in redact(text).spans
        if not text[: f.start].rstrip().endswith(("Mr", "Mrs", "Dr", "Doctor"))
    ] == []


def test_titled_brands_are_not_names() -> None:
    assert redact_learned.sure("Dr Martens boots were on offer.") == []


def test_name_spans_are_exact_and_leave_the_title() -> None:
    text = "I saw Dr Chiamaka Eze today. Thanks, Morwenna."
    r = redact(text)
    names = [f.text for f in r.spans if f.kind == "name"]
    assert "Chiamaka Eze" in names
    assert "Morwenna" in names
    assert "Dr [name]" in r.text
    for f in r.spans:
        assert f.text == f.text.strip(" .,")
        assert text[f.start : f.end] == f.text


def test_the_model_sees_the_normalised_text() -> None:
    # Fullwidth digits are ordinary digits once normalised, so the address is whole.
    text = "I live at １４ Thornbury Close."
    r = redact(text)
    assert [(f.kind, f.text) for f in r.spans] == [("address", "１４ Thornbury Close")]


def test_a_redactor_without_the_model_uses_the_rules_only() -> None:
    text = "Cheers, Dermot Flanagan"
    assert Redactor.from_file(use_model=False).redact(text).text == text
    assert "Dermot" not in redact(text).text


def test_model_flags_are_flags_in_the_original_text() -> None:
    redactor = default_redactor()
    for text in [
        "The lady on reception, maybe Grace, was kind.",
        "Thanks to the team and to Ola.",
        "It was fine.",
    ]:
        found = redactor.find(text)
        for flag in redactor.model_flags(text):
            assert isinstance(flag, Flag)
            assert flag.kind in {"name", "address"}
            assert text[flag.start : flag.end] == flag.text
            assert not any(flag.start < f.end and f.start < flag.end for f in found)
    assert Redactor.from_file(use_model=False).model_flags("Thanks, Ola") == []


def test_an_ordinary_word_taken_for_a_name_is_flagged_not_redacted() -> None:
    text = "thanks to hope at the desk"
    assert "hope" in redact(text).text
    flags = default_redactor().model_flags(text)
    assert [(f.kind, f.text) for f in flags] == [("name", "hope")]


GIVEN = [
    ("Abayomi was so helpful on the phone", "Abayomi"),
    ("5 stars for Bartholomew on reception", "Bartholomew"),
    ("Lovely service. Kamil Nowak was great!", "Kamil Nowak"),
    ("Priya's manner was great", "Priya"),
    ("thanks to Tomasz and Priya at the desk", "Tomasz"),
]


@pytest.mark.parametrize(("text", "name"), GIVEN)
def test_given_names_of_many_cultures_are_names_wherever_they_stand(text: str, name: str) -> None:
    r = redact(text)
    assert name in [f.text for f in r.spans if f.kind == "name"], r.spans
    assert name not in r.text


def test_a_name_in_a_shouted_text_is_removed() -> None:
    r = redact("THE NHS AND PRIYA SHARMA LET ME DOWN")
    assert "PRIYA" not in r.text and "SHARMA" not in r.text and "NHS" in r.text


@pytest.mark.parametrize(
    "text",
    [
        "I have been on Rowan 1 a long time",
        "we took the Victoria line, then a Jamie Oliver recipe class",
        "Aldi and Lidl are cheaper, so is Tesco",
        "with Arnold Lodge and the crisis team",
        "NHS TESCO and ASDA all closed early",
    ],
)
def test_given_names_that_are_wards_places_or_things_stay(text: str) -> None:
    assert [f for f in redact(text).spans if f.kind == "name"] == []


def test_a_learned_name_takes_its_surname_in_any_script() -> None:
    r = redact("Спасибо Иван Петров, всё отлично!")
    assert "Иван" not in r.text and "Петров" not in r.text and "всё отлично" in r.text


def test_a_long_text_is_read_in_pieces_that_cover_it() -> None:
    from nlp.redact_learned import PIECE, find_spans, pieces

    text = ("I spoke to Mrs Ewa Kowalczyk about the bins. " * 2000).strip()
    cut = list(pieces(text))
    assert len(cut) > 1 and all(len(piece) <= PIECE for _, piece in cut)
    assert "".join(piece for _, piece in cut) == text
    assert all(text[start : start + len(piece)] == piece for start, piece in cut)
    # Names past the first piece are found at their place in the whole text.
    sure, _ = find_spans(text)
    last = text.rindex("Ewa Kowalczyk")
    assert any(start <= last < end for start, end, _ in sure)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Hello, the bins were not collected", "Hello, the bins were not collected"),
        ("hello there, my bin was missed", "hello there, my bin was missed"),
        ("Thanks Sarah for your help", "Thanks [name] for your help"),
    ],
)
def test_a_greeting_is_never_a_name_nor_part_of_one(text: str, kept: str) -> None:
    """The learned detector reads a sentence's first capitalised word as a name; a greeting
    (one of the rules' function words) at either end of its span is not one."""
    assert redact(text).text == kept
