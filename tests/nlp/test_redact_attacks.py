"""Attacks on the redactor: long and odd texts, and titles written with a full stop.

Each long case here took from 1 to 57 seconds before its fix (a scan of the whole text, or of
every removed span, for each word). The tests check the result only; how long the rules take
on exactly these inputs is timed by `python benchmarks/redaction.py --attacks`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

import pytest

from nlp.normalise import normalise
from nlp.redact import Redactor, redact
from nlp.unsure import Taken, _search_back

Finding = tuple[int, int, str]

# -- speed on long texts ------------------------------------------------------------------

# Each took from 1 to 57 s before its fix; benchmarks/redaction.py --attacks times them.
LONG = {
    # A capitalised word between "and" and a verb is checked against the word before it.
    "names-after-and": "and Oluwaseun explained it. " * 3600,
    # Each long number kept is widened over the letters stuck before it.
    "numbers-kept": "box 12345678x and " * 5500,
    # A run of "dot"s was matched as one link to its end from every word.
    "dot-run": "ab dot " * 14000,
    # Thousands of removed spans, each flag checked against all of them.
    "many-removed": "\n".join(f"Dr Patel {i} rang 07700 900{i % 1000:03d}" for i in range(3000)),
    "long-feedback": (
        "Thank you to Dr Sarah Whitfield and Nadia Hussain at 14 Larch Close, LS6 2QT. " * 1300
    ),
}


@pytest.fixture(scope="module")
def rules_only() -> Redactor:
    redactor = Redactor.from_file(use_model=False)
    redactor.redact("warm up")
    return redactor


# What the rules find in each: (spans removed, words flagged for a moderator to check).
FOUND = {
    "names-after-and": (0, 3600),
    "numbers-kept": (0, 5500),
    "dot-run": (0, 0),
    "many-removed": (6000, 0),
    "long-feedback": (3900, 1300),
}


@pytest.mark.parametrize("case", list(LONG))
def test_a_long_text_is_redacted_by_the_rules_exactly(case: str, rules_only: Redactor) -> None:
    text = LONG[case]
    redaction = rules_only.redact(text)
    assert (len(redaction.spans), len(redaction.flags)) == FOUND[case]
    for span in redaction.spans:
        assert text[span.start : span.end] == span.text
    for flag in redaction.flags:
        assert text[flag.start : flag.end] == flag.text


def combine_case(redactor: Redactor) -> tuple[str, list[Finding], list[Finding]]:
    """A long text, its rule findings and 3000 learned findings to combine with them."""
    text = "Thank you to Dr Sarah Whitfield and Nadia Hussain at 14 Larch Close [name]. " * 1500
    ruled = [(f.start, f.end, f.kind) for f in redactor._find_once(text, learned=False)]
    step = len(text) // 1500
    learned = [(i * step + 36, i * step + 49, "name") for i in range(1500)]
    learned += [(i * step + 53, i * step + 67, "address") for i in range(1500)]
    return text, ruled, learned


class CountedList(list[Finding]):
    """A list that counts the items read from it, to tell one pass from a pass per finding."""

    read = 0

    def __iter__(self) -> Iterator[Finding]:
        for item in super().__iter__():
            self.read += 1
            yield item


def test_learned_findings_are_combined_with_one_pass_over_the_rule_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redactor = Redactor.from_file(use_model=False)
    text, ruled, learned = combine_case(redactor)
    monkeypatch.setattr(redactor, "_find_learned", lambda _: learned)
    counted = CountedList(ruled)
    combined = redactor._combine_learned(text, counted)
    assert {text[s:e] for s, e, _ in combined} >= {"Nadia Hussain"}
    # A scan of every rule finding for each of the 3000 learned ones took 4 s: 3000 times as
    # many reads as the few passes that build the lookups.
    assert counted.read <= 4 * len(ruled), (counted.read, len(ruled))


def test_spelled_links_and_emails_are_still_found_with_the_bounded_pattern() -> None:
    text = "see www dot facebook dot com slash jo or mail jo dot smith at gmail dot com"
    kinds = {s.kind for s in redact(text).spans}
    assert {"url", "email"} <= kinds
    many = "ab dot bc dot cd dot de dot ef dot fg dot gh dot hi dot nhs dot uk"
    assert normalise(many).text == "ab.bc.cd.de.ef.fg.gh.hi.nhs.uk"
    council = "www dot my dot council dot gov dot uk slash bins"
    assert normalise(council).text == "www.my.council.gov.uk/bins"


# -- the helpers the fixes use ------------------------------------------------------------


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _covered(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def test_taken_answers_as_a_scan_of_every_span_would() -> None:
    rng = random.Random(13)
    for _ in range(300):
        spans = []
        for _ in range(rng.randrange(0, 8)):
            s = rng.randrange(0, 40)
            spans.append((s, s + rng.randrange(1, 12)))  # some overlap, some nest
        taken = Taken(spans)
        for _ in range(20):
            a = rng.randrange(0, 50)
            b = a + rng.randrange(1, 10)
            assert taken.hits(a, b) == _overlaps(spans, a, b), (spans, a, b)
            assert taken.covers(a, b) == _covered(spans, a, b), (spans, a, b)


@pytest.mark.parametrize("pattern", [re.compile(r"[A-Za-z]+$"), re.compile(r"([^\W\d_]+)[ \t]*$")])
def test_looking_back_a_little_finds_what_looking_from_the_start_finds(
    pattern: re.Pattern[str],
) -> None:
    rng = random.Random(7)
    pieces = ["word", "Oluwaseun", " ", "\t", "12", ", ", "x" * 250, "é", "\n"]
    for _ in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        end = rng.randrange(0, len(text) + 1)
        full = pattern.search(text, 0, end)
        near = _search_back(pattern, text, end)
        assert (full and (full.start(), full.end())) == (near and (near.start(), near.end()))


# -- titles with a full stop --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Oetker pizza boxes all over the bin store.",
        "Mr. Kipling cakes at the coffee morning.",
        "Mrs. Brown's Boys was on in the day room.",
        "The St. Mary's Hospital car park is full.",
    ],
)
def test_a_brand_is_left_alone_when_its_title_has_a_full_stop(text: str) -> None:
    assert redact(text).spans == []


def test_a_person_after_a_title_with_a_full_stop_is_still_removed() -> None:
    assert [s.text for s in redact("Dr. Patel was lovely").spans] == ["Patel"]


# -- odd texts: no crash, exact offsets, redacting twice changes nothing ------------------

ODD = [
    "",
    "   ",
    "\n\n",
    "Nadia Hussain",
    "0" * 20,
    "😀😡👍🏽🏳️‍🌈❤️" * 10,
    "شكرا للدكتور أحمد، رقم هاتفي ٠٧٧٠٠٩٠٠١٢٣",
    "ڈاکٹر احمد بہت اچھے تھے۔ میرا نمبر ۰۷۷۰۰۹۰۰۱۲۳ ہے",
    "Dziękuję Pani Małgorzacie Żółkiewskiej, tel. 07700 900 123",
    "\u200fDr Patel\u200f called \u202e07700 900123\u202c today \u200e",
    "Dr\u200b Pa\u200btel, phone 077\u200b00 900\u200d123, email jo\u200b@exa\u200cmple.com",
    "Dr Zoe\u0308 Bronte\u0308 and Jose\u0301 at 1\u03012 Mill Street",
    "Dr Patel" + "\u0301" * 200 + " 07700 900123",
    "Dr Patel\x00\x01\x07 phone\x0b07700\x0c900123\x1b[31m red \x7f",
    "Dr Patel\r\nphone:\t07700 900123\r\n\r\nThanks, Nadia Hussain\r\n",
    "[name] [Name] XXXX [phone] [address] [email] [NHS number] " * 5,
    "Thanks [Dr Patel] and [[name]] and {name} and <Nadia Hussain>",
    "Dr Patel 😀 𝐍𝐚𝐝𝐢𝐚 𝐇𝐮𝐬𝐬𝐚𝐢𝐧 ０７７００ ９００１２３ ｎａｄｉａ＠ｅｘａｍｐｌｅ．ｃｏｍ",
]


@pytest.mark.parametrize(
    "text",
    [
        *ODD,
        "Diolch i Dr Siân Ŵyn. Ffôn 01632 960 123",
        "Diolch i Dr Siân Ŵyn o Heol y Bryn, Tŷ Ŷd. Ffôn 01632 960 123",
    ],
)
def test_an_odd_text_is_redacted_exactly_and_once(text: str) -> None:
    redaction = redact(text)
    rebuilt, at = "", 0
    for span in sorted(redaction.spans, key=lambda s: s.start):
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert span.start >= at  # no overlaps
        rebuilt += text[at : span.start] + span.placeholder
        at = span.end
    assert rebuilt + text[at:] == redaction.text
    assert redact(redaction.text).text == redaction.text


# -- ordinary words taken for names -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The toddler rhyme time on Thursdays is brilliant, please keep it going.",
        "The tip is open Mondays and Fridays only.",
        "Sundays are the worst for the buses.",
    ],
)
def test_a_weekday_in_the_plural_is_neither_removed_nor_asked_about(text: str) -> None:
    redaction = redact(text)
    assert redaction.spans == []
    assert redaction.flags == []


# -- an email with an apostrophe ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("My email r.o'neill@example.net.", "r.o'neill@example.net"),
        ("mail: d’arcy.o’brien@example.co.uk", "d’arcy.o’brien@example.co.uk"),
        ("see 'jo@example.com' please", "jo@example.com"),
    ],
)
def test_an_email_with_an_apostrophe_is_removed_whole(text: str, email: str) -> None:
    assert [(s.kind, s.text) for s in redact(text).spans] == [("email", email)]


# -- a verb after a title, in capitals ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["DR SAID TO COME BACK MONDAY", "MR WAS RUDE TO ME", "DR CAN'T SEE ME TILL JUNE"],
)
def test_a_verb_after_a_title_in_capitals_is_not_a_name(text: str) -> None:
    assert redact(text).spans == []


@pytest.mark.parametrize(
    ("text", "name"),
    [("DR PATEL WAS GREAT", "PATEL"), ("THANKS DR WILL", "WILL"), ("DR HALL", "HALL")],
)
def test_a_name_after_a_title_in_capitals_is_still_removed(text: str, name: str) -> None:
    assert [s.text for s in redact(text).spans] == [name]


# -- weekdays and festivals the learned detector took for names ---------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Every Monday and Friday the bins are left out on the street.",
        "Ramadan Mubarak to all staff observing.",
        "Eid in the park was a great event this year.",
    ],
)
def test_a_weekday_or_a_festival_is_not_a_name(text: str) -> None:
    assert redact(text).spans == []


def test_a_name_next_to_a_weekday_is_still_removed() -> None:
    assert [s.text for s in redact("Mondays with Wojciech are great").spans] == ["Wojciech"]


# -- what the card asks a moderator to check ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Trees on Abbey Road are blocking the street lights.",
        "Missed bin again, third time this month.",
        "Holiday club at the leisure centre was brilliant over half term.",
        "the ranger (forgot his name, tall, beard) was really helpful",
    ],
)
def test_an_ordinary_word_no_one_is_called_is_not_asked_about(text: str) -> None:
    assert [f.text for f in redact(text).flags if f.kind == "name"] == []
