"""Shops, brands, shows, pubs and places named after people, which the redactor leaves alone.

"Mr Kipling", "Dr Martens", "Mrs Brown's Boys", "Queen Elizabeth Hospital", "Florence
Nightingale ward", "The Duke of Wellington": a name found inside one of these, by the rules or
by the learned detector, is not a person's name. The phrases live in redact_keep.toml.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["KeepList", "load_keep"]

DEFAULT_KEEP = Path(__file__).with_name("redact_keep.toml")
_FIRST_WORD = re.compile(r"(?<![\w'’&])[\w&]+(?:['’][\w]+)*")
_NEXT_WORD = re.compile(r"(?:['’]s?)?[ \t]+([\w’']+)")


def load_keep(path: Path | str | None = None) -> dict[str, Any]:
    """Read a keep-list file (the shipped one when no path is given)."""
    with open(path or DEFAULT_KEEP, "rb") as f:
        return tomllib.load(f)


# Titles written with or without a full stop: "Dr. Oetker" is "Dr Oetker".
_ABBREVIATED = frozenset("mr mrs ms dr st prof rev sgt capt".split())


def _phrase_pattern(phrases: Iterable[str]) -> str:
    ordered = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(_one_phrase(p) for p in ordered)


def _one_phrase(phrase: str) -> str:
    first, _, rest = phrase.partition(" ")
    pattern = re.escape(phrase).replace(r"\ ", r"\s+")
    if rest and first.lower() in _ABBREVIATED:
        pattern = re.escape(first) + r"\.?\s+" + re.escape(rest).replace(r"\ ", r"\s+")
    return pattern


class KeepList:
    """Tells whether a found name or address is really a shop, brand, show or place."""

    def __init__(self, rules: dict[str, Any]) -> None:
        keep = rules["keep"]
        phrases = [*keep["phrases"], *keep["addresses"]]
        # One regex of ~300 phrases is slow on long texts; the phrases are tried only where
        # their first word is, grouped by it.
        by_first: dict[str, list[str]] = {}
        for phrase in phrases:
            first = _FIRST_WORD.match(phrase)
            if first:
                by_first.setdefault(first.group().lower(), []).append(phrase)
        self._phrases = {
            first: re.compile(rf"(?:{_phrase_pattern(group)})(?![\w'’]|['’]s\b)", re.IGNORECASE)
            for first, group in by_first.items()
        }
        places = rules["places"]
        self._pubs = [re.compile(p) for p in places["pubs"]]
        self._place_words = {w.lower() for w in places["words"]}
        self._surnames = {w.lower() for w in places["surnames"]}
        self._lower_case = {w.lower() for w in places["lower_case"]}
        self._before = {w.lower() for w in places["before"]}

    @classmethod
    def from_file(cls, path: Path | str | None = None) -> KeepList:
        """A keep list read from this file (the shipped one when no path is given)."""
        return cls(load_keep(path))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the kept phrases and pub names are in the text."""
        found: list[tuple[int, int]] = []
        for word in _FIRST_WORD.finditer(text):
            pattern = self._phrases.get(word.group().lower())
            if pattern is None:
                continue
            m = pattern.match(text, word.start())
            if m and (found == [] or m.start() >= found[-1][1]):
                found.append((m.start(), m.end()))
        if "The" in text:
            for pub in self._pubs:
                found += [(m.start(), m.end()) for m in pub.finditer(text)]
        return found

    def names_a_place(self, text: str, start: int, end: int, after_title: bool) -> bool:
        """Whether the name at start:end is part of a place's name, not a person's.

        `after_title` says a title or role word comes just before it ("Dr Amir Hall"), so a
        surname-like place word after it ("Hall") is taken as part of the name.
        """
        words = text[start:end].split()
        before = text[max(0, start - 12) : start].split()
        if words and words[0].lower() in self._before:
            return True  # "King George", "St Mary"
        if before and before[-1].lower() in self._before and not after_title:
            return True
        nxt = _NEXT_WORD.match(text, end)
        if nxt is None:
            return False
        word = nxt.group(1)
        key = word.lower()
        if key not in self._place_words:
            return False
        if after_title:
            return False  # "Dr Patel's Surgery", "Dr Amir Hall" still name a person
        possessive = nxt.group()[:1] in "'’"
        if word[0].islower():
            # "Florence Nightingale ward"; but "Jane Smith's house" is hers, not a place.
            return key in self._lower_case and len(words) >= 2 and not possessive
        if key in self._surnames:
            return len(words) >= 2  # "nurse Jane Ward" is a person
        return True
