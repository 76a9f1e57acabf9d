"""The learned name and address detector: a small spaCy NER shipped in nlp/redact_model/.

It is trained on generated data (nlp/redact_train/, `python -m nlp train-redactor`) and run
on the normalised text by nlp/redact.py, beside the rules. What its greedy parse finds is
redacted; what it half believes in (a "name" that is an ordinary word) is flagged for a
moderator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from nlp.affixes import calm
from nlp.redact_train.addresses import ABBREVIATIONS, SCOTS_SUFFIXES, SUFFIXES, WELSH_HEADS

MODEL_DIR = Path(__file__).with_name("redact_model")
KINDS = {"NAME": "name", "ADDRESS": "address"}
# The score given to a span the detector only half believes in (it is flagged, not removed).
UNSURE = 0.2
# A span never starts or ends on these: the evidence is the name or the address only.
_EDGE = " \t\r\n.,;:!?()[]{}\"'“”‘’-–—/*"
# A title is not part of the name ("Dr Patel" is redacted as "Dr [name]").
_TITLES = {
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "doctor",
    "prof",
    "professor",
    "nurse",
    "sister",
    "cllr",
    "councillor",
    "rev",
    "reverend",
    "father",
    "sir",
    "dame",
    "lady",
    "lord",
}


_TOKEN = re.compile(r"\S+")
_MONEY = set("£$€")
_NAME_CHARS = re.compile(r"[^\W\d_]+(?:[ .'’-]+[^\W\d_]+)*\.?")
_NUMBER_NEXT = re.compile(r"[\s:,-]*[+(0-9]")
_POSSESSIVE = re.compile(r"['’]s$")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'“‘(-]*$")
# A "name" that ends in one of these is a street ("Elm Road has been closed").
_STREET_ENDS = {
    "road",
    "rd",
    "street",
    "st",
    "avenue",
    "ave",
    "lane",
    "close",
    "crescent",
    "cres",
    "drive",
    "terrace",
    "gardens",
    "gdns",
    "mews",
    "grove",
    "wynd",
    "vennel",
    "brae",
}
# Nor is one that ends in a word for a place or a body ("Rainbow Nursery", "Northern Rail"),
# or starts with a saint ("St Luke's ward").
_PLACE_ENDS = {
    "hospital",
    "surgery",
    "centre",
    "center",
    "nursery",
    "school",
    "college",
    "academy",
    "ward",
    "church",
    "chapel",
    "mosque",
    "temple",
    "library",
    "station",
    "hall",
    "house",
    "trust",
    "council",
    "rail",
    "railway",
    "services",
    "practice",
    "clinic",
    "hospice",
    "infirmary",
    "unit",
    "club",
    "society",
    "association",
    "foundation",
    "partnership",
    "ltd",
    "limited",
    "plc",
    "group",
    "team",
    "estate",
    "bridge",
    "market",
}
_SAINTS = {"st", "saint", "ss"}
# An address has a street word or a capitalised word in it ("7 ash grove", "12 Mill Brow");
# "£6 a session" and "6 years long" have neither.
_STREET_WORDS = (
    {w.lower() for w in (*SUFFIXES, *SCOTS_SUFFIXES, *ABBREVIATIONS.values())}
    | {w.lower() for w in WELSH_HEADS}
    | _STREET_ENDS
)
# Words of an address after its street ("12 Mill Street flat 3").
_UNIT_WORDS = {"flat", "apt", "apartment", "unit", "room", "floor", "maisonette", "no", "number"}


@dataclass(frozen=True)
class Scored:
    """A span the model found: where, which kind ("name" or "address") and how sure."""

    start: int
    end: int
    kind: str
    score: float


@cache
def load_detector(path: Path | None = None) -> Language | None:
    """The shipped detector, loaded once; None when it is not there."""
    folder = path or MODEL_DIR
    if not (folder / "meta.json").exists():
        return None
    return calm(spacy.load(folder))


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE and not text[start:end].endswith(" St."):
        end -= 1
    if kind == "name":
        # The name starts after its last title word: "Dr. Ann Lee" -> "Ann Lee", and
        # "Electoral Dr. Patel" -> "Patel" (a word before a title is not part of the name).
        for m in _TOKEN.finditer(text, start, end):
            if m.end() < end and m.group().lower().rstrip(".") in _TITLES:
                start = m.end()
        while start < end and text[start] in _EDGE:
            start += 1
    return start, end


@cache
def common_words(path: Path | None = None) -> frozenset[str]:
    """Words more often written in lower case than capitalised (built with the model)."""
    file = (path or MODEL_DIR) / "common_words.txt"
    if not file.exists():
        return frozenset()
    return frozenset(file.read_text(encoding="utf-8").split())


@cache
def lower_words(path: Path | None = None) -> frozenset[str]:
    """Words written in lower case about as often as capitalised, or more ("grace", "boom")."""
    file = (path or MODEL_DIR) / "lower_words.txt"
    if not file.exists():
        return frozenset()
    return frozenset(file.read_text(encoding="utf-8").split()) | common_words(path)


@cache
def given_names(path: Path | None = None) -> frozenset[str]:
    """Given names of many cultures that are never ordinary words (built with the model)."""
    file = (path or MODEL_DIR) / "given_names.txt"
    if not file.exists():
        return frozenset()
    return frozenset(file.read_text(encoding="utf-8").split())


def _words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


def _is_common(word: str, lower: bool = False) -> bool:
    key = _POSSESSIVE.sub("", word.strip(_EDGE).lower())
    return key in (lower_words() if lower else common_words())


def _settle(text: str, start: int, end: int, kind: str) -> tuple[int, int, bool] | None:
    """The span trimmed to the name or address, and whether to redact it or only flag it.

    Names are capitalised words in most texts: in a span that has one, the lower-case
    ordinary words at its edges are not part of it ("especially Rupinder", "Glen had").
    A name made only of ordinary words ("will", "hope") is flagged, not redacted, when it
    is in lower case or capitals, or starts a sentence.
    """
    start, end = _trim(text, start, end, kind)
    if start >= end or text[start:end].lower().rstrip(".") in _TITLES:
        return None
    words = _words(text, start, end)
    mixed = any(text[s].isupper() for s, _ in words) and not text[start:end].isupper()
    if kind == "address":
        if mixed:
            titled = False
            for s, e in words:
                word = text[s:e]
                titled = titled or word[0].isupper()
                if titled and word.islower() and len(word) > 2 and word not in _UNIT_WORDS:
                    if _is_common(word):
                        end = s
                        break
        start, end = _trim(text, start, end, kind)
        if start >= end or text[max(0, start - 1) : start] in _MONEY:
            return None
        # An address has a house number, or a house name before its street ("Rose Cottage,
        # Church Lane"): "the Dr Jane end of the lane" has neither.
        if not any(c.isdigit() for c in text[start:end]) and "," not in text[start:end]:
            return None
        body = text[start:end]
        keys = {w.strip(".,").lower() for w in body.split()}
        titled = any(len(w) > 2 and w[0].isupper() and w[1:].islower() for w in body.split())
        if not keys & _STREET_WORDS and not titled:
            return None
        return start, end, True
    if mixed:
        while words and text[words[0][0]].islower() and _is_common(text[slice(*words[0])]):
            words.pop(0)
        while words and text[words[-1][0]].islower() and _is_common(text[slice(*words[-1])]):
            words.pop()
        if not words:
            return None
        start, end = _trim(text, words[0][0], words[-1][1], kind)
        if start >= end:
            return None
    words = _words(text, start, end)
    if any(c.isdigit() for c in text[start:end]):
        return None
    for s, e in words:
        # "Luhn-valid", "E-scooters", "Non-urgent": a word with an ordinary word after its
        # hyphen is not a name ("Smith-Jones" is).
        head, _, tail = text[s:e].rpartition("-")
        if head and tail.islower() and _is_common(tail):
            return None
    first, last = (text[slice(*w)].strip(".,").lower() for w in (words[0], words[-1]))
    if last in _STREET_ENDS or last in _PLACE_ENDS or first in _SAINTS:
        return None
    if len(words) == 1 and not text[:start].strip() and _NUMBER_NEXT.match(text, end):
        # "India +91 98765 43210", "amex 3782…": a word alone before a number, with
        # nothing to its left, is too little to go on.
        return start, end, False
    name = text[start:end]
    if not _NAME_CHARS.fullmatch(name):
        return None  # "I,!E": a name is letters, with spaces, hyphens, apostrophes, dots
    caseless = name.islower() or name.isupper()
    if caseless and all(_is_common(text[s:e], lower=True) for s, e in words):
        return start, end, False  # "the dot com boom": ordinary words in lower case
    if all(_is_common(text[s:e]) for s, e in words):
        # "The driver Stopped", "Will someone call": a lone ordinary word is only flagged.
        name = text[start:end]
        at_start = _SENTENCE_START.search(text[:start]) is not None
        if len(words) == 1 or name.islower() or name.isupper() or at_start:
            return start, end, False
    return start, end, True


@lru_cache(maxsize=64)
def find_spans(text: str) -> tuple[tuple[tuple[int, int, str], ...], tuple[Scored, ...]]:
    """What the detector finds in the text: spans to redact (start, end, kind), and spans
    to flag only.

    The last texts are remembered: redaction and the moderators' flags ask about the same one.
    """
    nlp = load_detector()
    if nlp is None or not text.strip():
        return (), ()
    sure: list[tuple[int, int, str]] = []
    flagged: list[Scored] = []
    ents = [
        (offset + ent.start_char, offset + ent.end_char, ent.label_)
        for offset, piece in pieces(text)
        for ent in nlp(piece).ents
    ]
    for ent_start, ent_end, label in ents:
        kind = KINDS.get(label)
        settled = _settle(text, ent_start, ent_end, kind) if kind else None
        if kind and settled:
            start, end, redact = settled
            if redact:
                sure.append((start, end, kind))
            else:
                flagged.append(Scored(start, end, kind, UNSURE))
    return tuple(sure), tuple(flagged)


# The longest text the detector reads at once: a feedback message is far shorter; a longer
# text (`nlp redact` of a 1 MB line) is read in pieces, or it would need gigabytes and spaCy
# would refuse it past a million characters.
PIECE = 20_000


def pieces(text: str, size: int = PIECE) -> Iterator[tuple[int, str]]:
    """The text in pieces of at most size characters, with their offsets: cut after the last
    line break, else sentence end, else space of each piece, so a name is seldom cut."""
    start = 0
    while len(text) - start > size:
        window = text[start : start + size]
        cut = 0
        for mark in ("\n", ". ", " "):
            cut = window.rfind(mark) + len(mark)
            if cut > size // 2:
                break
        if cut <= size // 2:
            cut = size
        yield start, window[:cut]
        start += cut
    yield start, text[start:]


def sure(text: str) -> list[tuple[int, int, str]]:
    """The spans the detector is sure of (its greedy parse), as (start, end, kind)."""
    return list(find_spans(text)[0])


def unsure(text: str) -> list[Scored]:
    """The spans the detector half believes in: worth a moderator's look, not a redaction
    (the "names" made of ordinary words)."""
    return sorted(find_spans(text)[1], key=lambda s: s.start)
