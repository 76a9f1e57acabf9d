"""Redaction suggestions: find personal details in feedback and replace them with placeholders.

Everything is found on the text normalised by nlp/normalise.py (so "zero seven seven…",
"jo [at] mail [dot] com" and fullwidth digits are found too) and mapped back to the exact
original characters, with regular expressions, Google's libphonenumber for phone
numbers, python-stdnum for the NHS and card check digits), and a small learned detector
of names and addresses (nlp/redact_learned.py, loaded once) beside them; the
`yousaid_redactor` component puts the same findings on a Doc as `doc.spans["redact"]` for
the theme pipeline. The rules live in redact_patterns.toml; addresses are found by
nlp/addresses.py, and names that are shops, brands, shows or places (nlp/keep.py,
redact_keep.toml) are dropped whatever found them.
"""

from __future__ import annotations

import json
import re
import tomllib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path
from stdnum import iban, luhn
from stdnum.gb import nhs

from nlp import redact_learned
from nlp.addresses import AddressFinder
from nlp.keep import KeepList, load_keep
from nlp.normalise import Normalised, normalise
from nlp.unsure import Flag, Taken, Unsure, merge_flags
from nlp.wordmatch import alternation, letters

__all__ = ["Flag", "Found", "Redaction", "Redactor", "load_rules", "redact", "redact_many"]

DEFAULT_RULES = Path(__file__).with_name("redact_patterns.toml")
SPANS_KEY = "redact"

# Letters of names: all of Latin ("Zoë", "Siân", "Łukasz", "Şule"), Greek and Cyrillic.
_UPPER = letters("isupper")
_LOWER = letters("islower")
_WORD = re.compile(rf"[{_UPPER}{_LOWER}](?:[{_UPPER}{_LOWER}]|['’-](?=[{_UPPER}{_LOWER}]))*")
_GAP = re.compile(r"[ \t]+")
_TRIGGER_WORD = re.compile(r"[A-Za-z]+")
# Every link has a dot between two letters or digits ("x.com", "www.", "t.me").
_DOTTED = re.compile(r"\w\.\w")
_DIGIT = re.compile(r"[0-9]")
_AFTER_TRIGGER = re.compile(r"\.?[,:]?[ \t]+")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_VERBISH = ("ed", "ing", "ly")
_MAX_PHONE_DIGITS = 18
# A capitalised word (or one in capitals), and the capitalised word just after one.
_NAME_PART = rf"[{_UPPER}][{_UPPER}{_LOWER}]*(?:['’-][{_UPPER}{_LOWER}]+)*"
_CAPITALISED = re.compile(rf"(?<![{_UPPER}{_LOWER}'’-]){_NAME_PART}")
_NEXT_CAPITALISED = re.compile(rf"[ \t]+({_NAME_PART})")
_CAPITALISED_BEFORE = re.compile(rf"(?<![{_UPPER}{_LOWER}'’-]){_NAME_PART}[ \t]+$")
_TITLE_AND_NAME = re.compile(rf"\b(?i:dr|mr|mrs|ms|miss|mx|prof)\.?[ \t]+[{_UPPER}]")
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an)[ \t]+$", re.IGNORECASE)
# "quiz at 8 The Red Lion": a number after these is a time, unless a street word follows.
_TIME_BEFORE = re.compile(r"\b(?:at|by|from|until|till|around|about|before|after)[ \t]+$", re.I)
# Two-letter words that start a plate-shaped phrase ("at 10 and", "by 12 may").
_SHORT_WORDS = frozenset(
    "at on by in to of up so no go we me he my is it an as or do be if us".split()
)
# "2024-03-12", "12-03-2024", "2019 2020 2021": dates and lists of years are not numbers
# anyone could be found by.
_DATE_OR_YEARS = re.compile(
    r"(?:19|20)[0-9]{2}[ -][01]?[0-9][ -][0-3]?[0-9]"
    r"|[0-3]?[0-9][ -][01]?[0-9][ -](?:19|20)[0-9]{2}"
    r"|(?:19|20)[0-9]{2}(?:[ -]+(?:19|20)[0-9]{2})+"
)


@dataclass(frozen=True)
class Found:
    """One personal detail: its kind, where it is in the original text, and its stand-in."""

    kind: str
    start: int
    end: int
    text: str
    placeholder: str


@dataclass(frozen=True)
class Redaction:
    """A text with its personal details replaced, what was replaced, and what to check."""

    original: str
    text: str
    spans: list[Found]
    flags: list[Flag] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was redacted."""
        return bool(self.spans)


def load_rules(path: Path | str | None = None) -> dict[str, Any]:
    """Read a redaction rules file (the shipped one when no path is given)."""
    with open(path or DEFAULT_RULES, "rb") as f:
        return tomllib.load(f)


def _stems(cues: Iterable[str]) -> tuple[str, ...]:
    # The first word of each cue, lower case: a text with none of them needs no regex.
    return tuple({c.lower().split()[0] for c in cues if c.strip()})


@dataclass(frozen=True)
class _Cued:
    """A pattern that starts with cue words, tried only on texts that contain one."""

    pattern: re.Pattern[str]
    stems: tuple[str, ...]

    def finditer(self, text: str, lower: str) -> Iterable[re.Match[str]]:
        """The pattern's matches, none when no cue word is in the (lower-cased) text."""
        if not any(stem in lower for stem in self.stems):
            return ()
        return self.pattern.finditer(text)


class Redactor:
    """Finds personal details in texts by the rules of one rules file."""

    # Looking again at a redacted text (see `find`) settles in one pass in practice.
    MAX_PASSES = 3

    def __init__(self, rules: dict[str, Any], use_model: bool = True) -> None:
        # The keep list (nlp/redact_keep.toml) travels with the rules, so a pipeline saved
        # with to_disk keeps the same shops and places.
        rules = {**rules, "keep_list": rules.get("keep_list") or load_keep()}
        self.rules = rules
        # The learned name and address detector (nlp/redact_learned.py) beside the rules.
        self.use_model = use_model
        self.placeholders: dict[str, str] = dict(rules["placeholders"])
        self._rank = {kind: i for i, kind in enumerate(rules["order"]["kinds"])}
        # A placeholder already in the text is never redacted again.
        self._placeholder_re = re.compile(
            "|".join(re.escape(p) for p in sorted(self.placeholders.values(), key=len)[::-1])
        )

        self._email = re.compile(rules["email"]["pattern"])
        url = rules["url"]
        self._url = re.compile(
            url["with_scheme"]
            + "|"
            + url["bare"].replace("{tlds}", "|".join(map(re.escape, url["tlds"])))
            + "|"
            + url["with_path"],
            re.IGNORECASE,
        )
        self._url_strip = url["strip_trailing"]
        self._short_link = re.compile(
            rf"(?<![\w@.-])(?:{alternation(url['short_hosts'])})(?:/[^\s<>\"]*)?",
            re.IGNORECASE,
        )
        handle = rules["handle"]
        self._handle = re.compile(handle["pattern"])
        self._handle_spaced = re.compile(handle["spaced"])
        self._handle_cue = re.compile(
            rf"\b(?:{alternation(handle['cues'])})\b[ \t:]{{0,3}}$", re.IGNORECASE
        )
        self._handle_bare = re.compile(
            rf"\b(?:{alternation(handle['cues'])})\b(?:[ \t]*(?::|is|=|-))?[ \t]+"
            r"(?P<x>(?=[A-Za-z0-9_.]*[A-Za-z])(?=[A-Za-z0-9_.]*[0-9_.])[A-Za-z0-9_][A-Za-z0-9_.]{2,30}"
            r"[A-Za-z0-9_])\b",
            re.IGNORECASE,
        )
        long_number = rules["long_number"]
        self._long_number = re.compile(long_number["run"])
        self._long_number_min = int(long_number["min_digits"])
        self._digit_run = re.compile(rules["numbers"]["run"])
        self._group = re.compile(r"[0-9]+")
        self._card = rules["card"]
        self._nhs_groups: list[int] = list(rules["nhs"]["groups"])

        ni = rules["ni"]
        self._ni = re.compile(ni["pattern"])
        self._ni_first_not = set(ni["first_letter_not"])
        self._ni_second_not = set(ni["second_letter_not"])
        self._ni_prefix_not = set(ni["prefixes_not"])
        self._ni_prefix_also = set(ni["prefixes_also"])

        phone = rules["phone"]
        self._region = phone["region"]
        self._phone_min = int(phone["min_digits"])
        self._phone_min_intl = int(phone["min_digits_international"])
        self._phone_run = re.compile(phone["run"])
        self._phone_international = re.compile(phone["international"])
        self._phone_national = re.compile(phone["national"])

        postcode = rules["postcode"]
        shape = postcode["pattern"].replace("{gap}", postcode["gap"])
        self._postcode = re.compile(shape.replace("{digit}", "[0-9]"), re.IGNORECASE)
        self._postcode_o = re.compile(shape.replace("{digit}", "O"))
        self._ordinal = re.compile(postcode["ordinal"] + "$")

        self._compile_identifiers(rules)

        names = rules["names"]
        self._addresses = AddressFinder(
            rules["address"], names["function_words"], names["months"], self._postcode
        )
        self._max_name_words = int(names["max_words"])
        self._titles = {t.lower() for t in names["titles"]}
        self._lowercase_titles = {t.lower() for t in names["lowercase_titles"]}
        self._function_words = {w.lower() for w in names["function_words"]}
        self._first_names = {w.lower() for w in names["first_names"]}
        self._given_not = {w.lower() for w in names.get("given_not", ())}
        trigger_words = [*names["titles"], *names["roles"], *names["cues"]]
        # "the inspector Dr Patel": a title or role word is never the name itself.
        self._trigger_words = {re.sub(r"\s+", " ", w.lower()) for w in trigger_words}
        self._not_names = (
            {w.lower() for w in names["not_names"]}
            | {w.lower() for w in names["org_words"]}
            | self._function_words
            | {w.lower() for w in trigger_words}
            | {w.lower() for w in names["days"]}
            | {w.lower() for w in names["months"]}
        )
        # Checking a text's words against a set is much faster than one regex of ~100
        # alternatives; only the first words found are then looked for as whole triggers.
        by_first: dict[str, list[str]] = {}
        for phrase in self._trigger_words:
            first = _TRIGGER_WORD.match(phrase)
            if first:
                by_first.setdefault(first.group(), []).append(phrase)
        self._triggers = {
            first: re.compile(rf"\b(?:{alternation(phrases)})\b", re.IGNORECASE)
            for first, phrases in by_first.items()
        }
        # "Dr health visitor Jo": the start of a role is not a name either.
        self._trigger_words |= set(self._triggers)
        # Older rules files (a saved pipeline's) have no flags section: the shipped one's.
        flag_rules = rules.get("flags") or load_rules()["flags"]
        self._unsure = Unsure(names, flag_rules, rules["address"]["street_words"])
        # In capitals a title's next word is taken as a name ("DR PATEL"), but not a verb:
        # "DR SAID TO COME BACK", "MR WAS RUDE". Casing says nothing there, so only words
        # that are never a surname; a first name ("DR WILL") still counts.
        # First names that are also words, for the detector's flags (see _may_be_named).
        self._word_first_names = (
            self._first_names
            | {w.lower() for w in flag_rules["word_names"]}
            | {w.lower() for w in names["months"] if len(w) > 3}
            | set(
                "hope faith charity patience precious mercy destiny angel joy felicity "
                "honour honor summer autumn daisy violet iris robin river sky storm sunny "
                "crystal pearl jasmine hazel olive rose amber ruby grace dawn".split()
            )
        )
        # Weekdays and festivals are never a person's name, whatever the learned detector
        # says ("Every Monday and Friday", "Ramadan Mubarak", "Eid in the park"); the short
        # forms ("Sun", "Mon") are surnames too.
        self._never_in_names = {w.lower() for w in names["days"] if len(w) > 4} | {
            "christmas",
            "easter",
            "diwali",
            "eid",
            "ramadan",
            "hanukkah",
            "vaisakhi",
            "passover",
            "hogmanay",
            "mubarak",
        }
        self._caps_verbs = (
            (
                {w.lower() for w in [*flag_rules["person_verbs"], *flag_rules["person_next"]]}
                | {w.lower() for w in names["not_names"] if w.lower().endswith("n't")}
                | {"are", "were", "can", "should", "must", "might", "never", "then", "also"}
            )
            - self._first_names
            - {w.lower() for w in names["months"]}
        )
        self._trigger_before = re.compile(
            rf"\b(?:{alternation(trigger_words)})\.?[,:]?[ \t]+$", re.IGNORECASE
        )
        self._keep = KeepList(rules["keep_list"])

    @classmethod
    def from_file(cls, path: Path | str | None = None, use_model: bool = True) -> Redactor:
        """A redactor with the rules of this file (the shipped one when no path is given)."""
        return cls(load_rules(path), use_model)

    def redact(self, text: str) -> Redaction:
        """The text with every personal detail replaced by its placeholder, and what to check."""
        norm = normalise(text)
        spans = self._find(norm)
        return Redaction(
            original=text,
            text=self._replace(text, spans)[0],
            spans=spans,
            flags=self._flags(norm, spans),
        )

    def _flags(self, norm: Normalised, spans: list[Found]) -> list[Flag]:
        flags = self._unsure.flags(norm, spans)
        # The learned detector adds the names it was unsure of (a subclass may say otherwise).
        taken = [(s.start, s.end) for s in spans]
        return merge_flags(flags, self.model_flags(norm.original), taken)

    def find(self, text: str) -> list[Found]:
        """Every personal detail in the text, sorted, none overlapping."""
        return self._find(normalise(text))

    def _find(self, norm: Normalised) -> list[Found]:
        text = norm.original
        found: list[Found] = []
        for f in self._find_normalised(norm.text):
            # A span of the normalised text covers the original characters it came from
            # ("zero seven…", "jo [at] mail"), so the evidence is exactly what is removed.
            start, end = norm.span(f.start, f.end)
            if found and start < found[-1].end:
                last = found.pop()
                start, kind, placeholder = last.start, last.kind, last.placeholder
            else:
                kind, placeholder = f.kind, f.placeholder
            found.append(Found(kind, start, end, text[start:end], placeholder))
        return found

    def _find_normalised(self, text: str) -> list[Found]:
        spans = self._find_once(text)
        # A detail can hide next to another one ("00000 001 00000000" reads differently once
        # half of it is a placeholder), so look again at the redacted text until nothing new
        # turns up: redacting a redacted text then changes nothing.
        for _ in range(self.MAX_PASSES):
            if not spans:
                break
            redacted, gaps = self._replace(text, spans)
            more = []
            # The detector has seen the whole text already; placeholders tell it nothing new.
            for found in self._find_once(redacted, learned=False):
                for red_start, red_end, orig_start in gaps:
                    if red_start <= found.start and found.end <= red_end:
                        start = orig_start + found.start - red_start
                        end = start + len(found.text)
                        more.append(Found(found.kind, start, end, found.text, found.placeholder))
                        break
            if not more:
                break
            spans = sorted([*spans, *more], key=lambda f: f.start)
        return spans

    @staticmethod
    def _replace(text: str, spans: list[Found]) -> tuple[str, list[tuple[int, int, int]]]:
        """The text with the spans replaced, and where its kept parts are (new start, new
        end, original start)."""
        parts: list[str] = []
        gaps: list[tuple[int, int, int]] = []
        at = length = 0
        for found in [*spans, None]:
            end = found.start if found else len(text)
            gaps.append((length, length + end - at, at))
            parts.append(text[at:end])
            length += end - at
            if found:
                parts.append(found.placeholder)
                length += len(found.placeholder)
                at = found.end
        return "".join(parts), gaps

    def _find_once(self, text: str, learned: bool = True) -> list[Found]:
        candidates: list[tuple[int, int, str]] = []
        has_digit = _DIGIT.search(text) is not None
        if "@" in text:
            candidates += self._find_re(self._email, text, "email")
            candidates += self._find_re(self._handle, text, "handle")
        if _DOTTED.search(text):
            candidates += self._find_urls(text)
            candidates += self._find_re(self._short_link, text, "url")
        if has_digit:
            candidates += self._find_numbers(text)
            candidates += self._find_ni(text)
            candidates += self._find_phones(text)
            candidates += self._find_postcodes(text)
            candidates += self._find_identifiers(text)
            candidates += self._find_long_numbers(text)
        candidates += self._find_spaced_handles(text)
        candidates += self._find_addresses(text, has_digit)
        candidates += self._find_names(text)
        candidates += self._find_given_names(text)
        # A text with placeholders was redacted already, its names judged on the original:
        # the detector, which never saw placeholders, would only guess around them
        # ("[reference number] Kar"), and redacting twice must change nothing.
        if learned and not self._placeholder_re.search(text):
            candidates += self._combine_learned(text, candidates)
        return self._resolve(text, candidates)

    def _without_function_words(self, text: str, s: int, e: int) -> tuple[int, int]:
        """The span without the function words at its start and end (s == e if all are)."""
        words = [w for w in _WORD.finditer(text, s, e)]
        while words and _POSSESSIVE.sub("", words[0].group()).lower() in self._function_words:
            words.pop(0)
        while words and _POSSESSIVE.sub("", words[-1].group()).lower() in self._function_words:
            words.pop()
        if not words:
            return s, s
        return max(s, words[0].start()), min(e, words[-1].end())

    def _combine_learned(
        self, text: str, ruled: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        """The learned detector's findings that add to what the rules found."""
        learned = self._find_learned(text)
        if not learned:
            return []
        # Asked by bisection: a long text has thousands of each (a scan each was quadratic).
        kept = Taken(self._keep.spans(text))
        numbers = Taken((rs, re_) for rs, re_, rk in ruled if rk not in ("name", "address"))
        addresses = Taken((rs, re_) for rs, re_, rk in ruled if rk == "address")
        out = []
        for s, e, kind in learned:
            # A rule's phone number or reference is never widened into a "name" around it.
            if numbers.hits(s, e):
                continue
            if kind == "address":
                # A rule's address keeps its end (the model tends to run on into the town),
                # but the model may see where it starts ("Flat 2, Rose Court, 40 …").
                furthest = addresses.furthest(s, e)
                if furthest is not None:
                    e = furthest
            # "MR KIPLING MAKES…": a shop, brand or place anywhere in it is not a person.
            if kept.hits(s, e):
                continue
            if kind == "name":
                # "Hello, the bins…", "Thanks Sarah": greetings and the like are never part
                # of a name (the rules' function words), at either end.
                s, e = self._without_function_words(text, s, e)
            if kind == "name" and sum(c.isalpha() for c in text[s:e]) < 2:
                continue  # an initial alone (or nothing left) is not a name
            if kind == "name" and self._never_in_names & {
                _POSSESSIVE.sub("", w).lower() for w in _WORD.findall(text[s:e])
            }:
                continue
            if kind == "name" and text[s:e].lower() in self._given_not:
                continue  # "Aldi", "Chelsea": shops and places people name like people
            if kind == "name":
                e = self._surname_end(text, e)
            if kind == "address" and _TITLE_AND_NAME.search(text, s, e):
                continue  # "for 30 Dr Jane minutes": a drive comes after its name, a doctor before
            if kind == "name":
                # "Bus receptionist Patel": the name starts after its role word.
                for word in _WORD.finditer(text, s, e):
                    if word.group().lower() in self._trigger_words:
                        s = word.end()
                gap = _GAP.match(text, s)
                s = gap.end() if gap else s
                if s >= e:
                    continue
            if (
                kind == "address"
                and not self._addresses.has_street_word(text[s:e])
                and _TIME_BEFORE.search(text, max(0, s - 12), s)
            ):
                continue  # "at 7 The Crown": a time and a pub, not a house
            out.append((s, e, kind))
        return out

    # -- resolving overlaps ------------------------------------------------------------

    def _resolve(self, text: str, candidates: list[tuple[int, int, str]]) -> list[Found]:
        if not candidates:
            return []
        if any(kind in ("name", "address") for _, _, kind in candidates):
            candidates = self._drop_kept(text, candidates)
        placeholders = Taken((m.start(), m.end()) for m in self._placeholder_re.finditer(text))
        candidates = sorted(
            (s, e, k) for s, e, k in candidates if s < e and not placeholders.hits(s, e)
        )
        # Overlapping findings become one span, so nothing any rule found survives
        # ("626 633 8335 Park Road" is an NHS number run into an address). It is named after
        # the longest of them (a phone number with its "+1" over the NHS-shaped digits
        # inside it); on a tie, the kind listed first in the rules.
        groups: list[list[tuple[int, int, str]]] = []
        group_end = -1
        for cand in candidates:
            if groups and cand[0] < group_end:
                groups[-1].append(cand)
            else:
                groups.append([cand])
            group_end = max(group_end, cand[1])
        found = []
        for group in groups:
            start, end = group[0][0], max(e for _, e, _ in group)
            _, _, kind = min(group, key=lambda c: (c[0] - c[1], self._rank.get(c[2], 99)))
            found.append(Found(kind, start, end, text[start:end], self.placeholders[kind]))
        return found

    def _drop_kept(
        self, text: str, candidates: list[tuple[int, int, str]]
    ) -> list[tuple[int, int, str]]:
        """Without the names that are shops, brands, shows or places, and the addresses that
        are only such a phrase ("Mr Kipling", "Queen Elizabeth Hospital", "21 Jump Street")."""
        kept = Taken(self._keep.spans(text))
        # By end, so a name looks only at the addresses that end just before it.
        addresses = sorted((e, s) for s, e, kind in candidates if kind == "address")
        out = []
        for s, e, kind in candidates:
            if kind == "name":
                if kept.covers(s, e):
                    continue
                after_title = self._trigger_before.search(text, max(0, s - 30), s) is not None
                if self._keep.names_a_place(text, s, e, after_title):
                    continue
                if self._ends_an_address(text, s, addresses):
                    continue
            elif kind == "address" and kept.covers(s, e):
                continue
            out.append((s, e, kind))
        return out

    def _ends_an_address(self, text: str, start: int, addresses: list[tuple[int, int]]) -> bool:
        """Whether the "title" before this name is the last word of an address ("12 Elm Dr,
        Leeds": Dr is a drive). `addresses` are (end, start), sorted."""
        first = bisect_left(addresses, (start - 4,))
        for e, s in addresses[first : bisect_right(addresses, (start, len(text)))]:
            if (
                e <= start <= e + 4
                and "," in text[e:start]
                and _AFTER_TRIGGER.fullmatch(text, e, start)
            ):
                last = text[s:e].split()[-1].rstrip(".").lower()
                if last in self._titles:
                    return True
        return False

    # -- the kinds ---------------------------------------------------------------------

    @staticmethod
    def _find_re(pattern: re.Pattern[str], text: str, kind: str) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), kind) for m in pattern.finditer(text)]

    def _find_urls(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for m in self._url.finditer(text):
            link = m.group()
            # "(see www.x.org)." ends the sentence, not the link; a ")" the link opened stays.
            while link and link[-1] in self._url_strip:
                if link[-1] == ")" and link.count("(") >= link.count(")"):
                    break
                link = link[:-1]
            found.append((m.start(), m.start() + len(link), "url"))
        return found

    def _find_numbers(self, text: str) -> list[tuple[int, int, str]]:
        """Card and NHS numbers: check-digit-valid windows of digit groups."""
        found = []
        card = self._card
        for run in self._digit_run.finditer(text):
            groups = [(g.start(), g.end()) for g in self._group.finditer(text, *run.span())]
            for i in range(len(groups)):
                digits = ""
                for j in range(i, len(groups)):
                    digits += text[groups[j][0] : groups[j][1]]
                    if len(digits) > card["max_digits"]:
                        break
                    start, end = groups[i][0], groups[j][1]
                    sizes = [e - s for s, e in groups[i : j + 1]]
                    if len(digits) == 10 and (len(sizes) == 1 or sizes == self._nhs_groups):
                        if nhs.is_valid(digits):
                            found.append((start, end, "nhs"))
                    if (
                        len(digits) >= card["min_digits"]
                        and digits[0] != "0"
                        and (
                            len(sizes) == 1
                            or (
                                sizes[0] == card["first_group"]
                                and all(card["group_min"] <= n <= card["group_max"] for n in sizes)
                            )
                        )
                        and luhn.is_valid(digits)
                    ):
                        found.append((start, end, "card"))
        return found

    def _find_spaced_handles(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for m in self._handle_spaced.finditer(text):
            shaped = re.search(r"[0-9_.]", m.group("x")) is not None
            if shaped or self._handle_cue.search(text, max(0, m.start() - 30), m.start()):
                found.append((m.start(), m.end(), "handle"))
        for m in self._handle_bare.finditer(text):
            found.append((m.start("x"), m.end("x"), "handle"))
        return found

    def _find_long_numbers(self, text: str) -> list[tuple[int, int, str]]:
        """Eight or more digits in groups with no word before them: a passport, an account or
        a reference number all the same ("my number is 1234 5678 9")."""
        found = []
        for m in self._long_number.finditer(text):
            groups = re.split(r"[ -]", m.group())
            if sum(map(len, groups)) < self._long_number_min or _DATE_OR_YEARS.fullmatch(m.group()):
                continue
            found.append((m.start(), m.end(), "reference"))
        return found

    def _find_ni(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for m in self._ni.finditer(text):
            prefix = m.group(1).upper()
            valid = (
                prefix[0] not in self._ni_first_not
                and prefix[1] not in self._ni_second_not
                and prefix not in self._ni_prefix_not
            )
            if valid or prefix in self._ni_prefix_also:
                found.append((m.start(), m.end(), "ni"))
        return found

    def _find_phones(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        unresolved = False
        # A run of digit groups from a "+", "00" or "0": the longest leading part of it that
        # libphonenumber says is a possible number ("07700 900123 6 weeks" keeps "6 weeks").
        for run in self._phone_run.finditer(text):
            groups = list(self._group.finditer(text, *run.span()))
            found_here = False
            index = 0
            while index < len(groups):
                # From the run's start first, then from each later group: "8.00 07700 900123"
                # is a time, then a number.
                start = run.start() if index == 0 else groups[index].start()
                end = self._longest_phone(text, start, groups[index:])
                if end is None:
                    index += 1
                    continue
                found.append((start, end, "phone"))
                found_here = True
                while index < len(groups) and groups[index].start() < end:
                    index += 1
            if not found_here:
                unresolved = True
        if unresolved:
            # Forms the runs do not cover go to the full matcher, which is slower. POSSIBLE,
            # not the default VALID: people type numbers from reserved ranges (07700 900xxx).
            for m in PhoneNumberMatcher(text, self._region, leniency=Leniency.POSSIBLE):
                if self._phone_like(m.raw_string):
                    found.append((m.start, m.end, "phone"))
        return found

    def _longest_phone(self, text: str, start: int, groups: list[re.Match[str]]) -> int | None:
        """The end of the longest possible phone number from `start` over these groups."""
        # No phone number has more than 15 digits (ITU E.164), plus a "00" or a "(0)": a long
        # run of digit groups is not tried whole from every start, which took seconds.
        digits = 0
        for count, group in enumerate(groups):
            digits += group.end() - group.start()
            if digits > _MAX_PHONE_DIGITS:
                groups = groups[: max(count, 1)]
                break
        for group in reversed(groups):
            raw = text[start : group.end()]
            if self._phone_like(raw) and self._possible_phone(raw):
                return group.end()
        return None

    def _phone_like(self, raw: str) -> bool:
        digits = sum(c.isdigit() for c in raw)
        # Short runs like "12.03.2024" or "2024" are dates and years, and a UK number is
        # written with its leading 0: "943 476 5918" is more likely a reference.
        if self._phone_international.match(raw):
            return digits >= self._phone_min_intl
        return self._phone_national.match(raw) is not None and digits >= self._phone_min

    def _possible_phone(self, raw: str) -> bool:
        try:
            number = phonenumbers.parse(raw, self._region)
        except phonenumbers.NumberParseException:
            return False
        return phonenumbers.is_possible_number(number)

    def _compile_identifiers(self, rules: dict[str, Any]) -> None:
        """Dates of birth, bank details, number plates, passports and references."""
        gap = rules["identifiers"]["gap"]

        def cued(cues: Iterable[str], gap: str, target: str) -> _Cued:
            # The detail is group "x", so the cue word is kept: "DOB [date of birth]".
            cues = list(cues)
            pattern = re.compile(
                rf"(?<![\w/])(?:{alternation(cues)})(?![\w/]){gap}(?P<x>{target})", re.IGNORECASE
            )
            return _Cued(pattern, _stems(cues))

        dob = rules["dob"]
        months = rf"(?:{alternation(rules['names']['months'])})"
        self._dob = cued(dob["cues"], dob["gap"], dob["date"].replace("{months}", months))

        bank = rules["bank"]
        self._sort_code = cued(bank["sort_code_cues"], gap, bank["sort_code"])
        self._account = cued(bank["account_cues"], gap, bank["account"])
        self._account_not_after = re.compile(
            rf"\b(?:{alternation(bank['account_not_after'])})\s*$", re.IGNORECASE
        )
        self._iban = re.compile(bank["iban"])

        vehicle = rules["vehicle"]
        self._plate_current = re.compile(vehicle["current"])
        self._plate_current_any_case = re.compile(vehicle["current"], re.IGNORECASE)
        # The same shape all in lower case: "ab12 cde".
        self._plate_lower = re.compile(
            vehicle["current"]
            .replace("A-HJ-PR-Y", "a-hj-pr-y")
            .replace("A-HJ-PR-Z]{3}", "a-hj-pr-z]{3}")
            .replace("[a-hj-pr-z]{3}", "(?P<tail>[a-hj-pr-z]{3})")
        )
        self._plate_lower_not = set(vehicle["lower_not"])
        self._plate_spaced = re.compile(vehicle["current_spaced"], re.IGNORECASE)
        self._plate_old = re.compile(rf"{vehicle['prefix']}|{vehicle['suffix']}")
        self._plate_cue = _Cued(
            re.compile(rf"\b(?:{alternation(vehicle['cues'])})\b", re.IGNORECASE),
            _stems(vehicle["cues"]),
        )
        self._plate_window = int(vehicle["window"])

        self._passport = cued(rules["passport"]["cues"], gap, rules["passport"]["number"])
        reference = rules["reference"]
        self._reference = cued(reference["cues"], gap, reference["number"])
        self._not_reference = re.compile(rf"(?:{reference['not_number']})$", re.IGNORECASE)

    def _find_identifiers(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        lower = text.lower()
        for cued, kind in (
            (self._dob, "dob"),
            (self._sort_code, "bank"),
            (self._passport, "passport"),
        ):
            found += [(m.start("x"), m.end("x"), kind) for m in cued.finditer(text, lower)]
        for m in self._account.finditer(text, lower):
            # "council tax account 12345678" is a council's reference, not a bank account.
            if not self._account_not_after.search(text, max(0, m.start() - 20), m.start()):
                found.append((m.start("x"), m.end("x"), "bank"))
        for m in self._reference.finditer(text, lower):
            if not self._not_reference.match(m.group("x")):
                found.append((m.start("x"), m.end("x"), "reference"))
        for m in self._iban.finditer(text):
            # The longest prefix of the match that is a valid IBAN (the rest may be words).
            raw = m.group()
            for end in range(len(raw), 14, -1):
                if raw[end - 1].isalnum() and iban.is_valid(raw[:end]):
                    found.append((m.start(), m.start() + end, "bank"))
                    break
        found += self._find_re(self._plate_current, text, "vehicle")
        for m in self._plate_lower.finditer(text):
            if m.group("tail") not in self._plate_lower_not:
                found.append((m.start(), m.end(), "vehicle"))
        for cue in self._plate_cue.finditer(text, lower):
            # Older plates and lower-case ones only just after a word like "car" or "reg".
            window = (cue.end(), min(len(text), cue.end() + self._plate_window))
            found += [
                (m.start(), m.end(), "vehicle") for m in self._plate_old.finditer(text, *window)
            ]
            for m in self._plate_spaced.finditer(text, *window):
                if self._plausible_plate(m.group()):
                    found.append((m.start(), m.end(), "vehicle"))
        return found

    def _plausible_plate(self, plate: str) -> bool:
        """Whether a plate-shaped match near "car" is a plate, not words ("at 10 and")."""
        parts = re.split(r"[ -]+", plate)
        if len(parts) == 1:
            return True
        letters = re.sub(r"[^A-Za-z]", "", plate)
        if not (letters.isupper() or letters.islower()):
            return False
        words = [p.lower() for p in parts if p.isalpha()]
        return not any(w in self._plate_lower_not or w in _SHORT_WORDS for w in words)

    def _find_addresses(self, text: str, has_digit: bool) -> list[tuple[int, int, str]]:
        return [(s, e, "address") for s, e in self._addresses.find(text, has_digit)]

    def _find_postcodes(self, text: str) -> list[tuple[int, int, str]]:
        found = self._find_re(self._postcode_o, text, "postcode")
        for m in self._postcode.finditer(text):
            code = m.group()
            if code != code.upper() and self._ordinal.search(code.lower()):
                continue
            found.append((m.start(), m.end(), "postcode"))
        return found

    def _find_learned(self, text: str) -> list[tuple[int, int, str]]:
        """Names and addresses the learned detector is sure of."""
        return redact_learned.sure(text) if self.use_model else []

    def model_flags(self, text: str) -> list[Flag]:
        """Names and addresses the detector half believes in and nothing removed, to check."""
        if not self.use_model:
            return []
        # What was removed is taken out by the caller (`_flags` merges against the spans).
        norm = normalise(text)
        flags = []
        for scored in redact_learned.unsure(norm.text):
            start, end = norm.span(scored.start, scored.end)
            if scored.kind == "name" and not self._may_be_named(text[start:end]):
                continue
            flags.append(Flag(scored.kind, start, end, text[start:end]))
        return flags

    def _may_be_named(self, words: str) -> bool:
        """Whether one of these ordinary words is also a first name ("Will", "Grace",
        "Frank"): the detector's half-beliefs are ordinary words, and one that no one is
        called ("Trees on Abbey Road", "Missed bin", "tall, beard", "Reference:") only
        teaches a moderator to skip the line."""
        keys = {_POSSESSIVE.sub("", w).lower() for w in _WORD.findall(words)}
        return bool(keys & self._word_first_names) or bool(keys & redact_learned.given_names())

    def _find_given_names(self, text: str) -> list[tuple[int, int, str]]:
        """A capitalised given name that is never an ordinary word ("Oluwaseun", "Priya"),
        with the capitalised surname after it, wherever it stands."""
        if not self.use_model:
            return []
        given = redact_learned.given_names()
        found = []
        for m in _CAPITALISED.finditer(text):
            word = _POSSESSIVE.sub("", m.group())
            key = word.lower()
            if key not in given or key in self._given_not or key in self._not_names:
                continue
            if word.isupper() and len(word) > 1 and not self._shouting(text):
                continue  # "NHS", "TESCO": capitals in an ordinary text are not names
            if _CAPITALISED_BEFORE.search(text, max(0, m.start() - 40), m.start()):
                continue  # "Jamie Oliver", "Tommy Hilfiger": the phrase was judged by its start
            if _ARTICLE_BEFORE.search(text, max(0, m.start() - 5), m.start()):
                continue  # "the Victoria line", "a Jamie Oliver recipe": a thing, not a person
            end = self._surname_end(text, m.end())
            if re.match(r"[ \t]*[0-9]", text[end : end + 4]):
                continue  # "Rowan 1", "Jasmine 4": a ward or a room, not a person
            possessive = _POSSESSIVE.search(text, m.start(), end)
            if possessive:  # "Priya's manner": the name ends before the "'s"
                end = possessive.start()
            found.append((m.start(), end, "name"))
        return found

    def _surname_end(self, text: str, end: int) -> int:
        """Where a name ending at `end` ends with the capitalised surnames after it ("Priya
        Sharma", "Иван Петров"); an ordinary word ends it ("Sam Cook hospital" keeps "Cook"
        rather than eat the words after a name)."""
        ordinary = redact_learned.lower_words()
        for _ in range(2):
            nxt = _NEXT_CAPITALISED.match(text, end)
            if nxt is None:
                break
            surname = _POSSESSIVE.sub("", nxt.group(1))
            key = surname.lower()
            if key in self._not_names or key in self._trigger_words or key in ordinary:
                break
            end = nxt.start(1) + len(surname)
        return end

    @staticmethod
    def _shouting(text: str) -> bool:
        letters = [c for c in text if c.isalpha()]
        return bool(letters) and sum(c.isupper() for c in letters) > 0.8 * len(letters)

    def _find_names(self, text: str) -> list[tuple[int, int, str]]:
        firsts = self._triggers.keys() & _TRIGGER_WORD.findall(text.lower())
        found = []
        for first in firsts:
            for m in self._triggers[first].finditer(text):
                key = re.sub(r"\s+", " ", m.group().lower())
                is_title = key in self._titles
                gap = _AFTER_TRIGGER.match(text, m.end())
                if gap is None or (not is_title and gap.group().startswith(".")):
                    continue
                span = self._scan_name(text, gap.end(), is_title, key in self._lowercase_titles)
                if span:
                    found.append((*span, "name"))
        return found

    def _scan_name(
        self, text: str, pos: int, is_title: bool, lowercase_ok: bool
    ) -> tuple[int, int] | None:
        """Where the name after a trigger word starts and ends, if there is one."""
        words: list[tuple[int, int, bool]] = []  # start, end, is an initial
        while len(words) < self._max_name_words:
            m = _WORD.match(text, pos)
            if m is None:
                break
            word = _POSSESSIVE.sub("", m.group())
            surname = False
            if not self._is_name_word(word, not words, is_title, lowercase_ok):
                # "nurse Jane Ward", "Dr Amir Hall": after a first name, a capitalised place
                # word is a surname, unless a number follows ("Jane, Ward 5").
                previous = text[words[-1][0] : words[-1][1]].lower() if words else ""
                surname = (
                    previous in self._first_names
                    and word[:1].isupper()
                    and not word.isupper()
                    and word.lower() not in self._function_words
                    and word.lower() not in self._trigger_words
                    and not re.match(r"\s*[0-9]", text[m.end() :])
                )
                if not surname:
                    break
            end = m.start() + len(word)
            possessive = end != m.end()
            initial = len(word) == 1
            if initial and text.startswith(".", end):
                end += 1
            words.append((m.start(), end, initial))
            if possessive or surname:  # "Dr Patel's manner": the name ends at the "'s"
                break
            gap = _GAP.match(text, end)
            if gap is None:
                break
            pos = gap.end()
        # "Dr J." without a surname is not enough to go on; "Dr J. Smith" is.
        while words and words[-1][2]:
            words.pop()
        if not words:
            return None
        return words[0][0], words[-1][1]

    def _is_name_word(self, word: str, first: bool, is_title: bool, lowercase_ok: bool) -> bool:
        key = word.lower()
        if key in self._function_words or key in self._trigger_words:
            return False
        if key.endswith("s") and key[:-1] in self._trigger_words:
            return False  # "Dentist, Nurses etc."
        if word[0].isupper():
            if len(word) == 1:
                return True  # an initial, kept only if a name follows
            if word.isupper():
                # "Dr PATEL", but not "nurse NHS" nor "DR SAID"
                return is_title and first and key not in self._caps_verbs
            if is_title and first:
                return True  # "Dr Who", "Mr Brown"
            if key in self._first_names:
                return True
            return key not in self._not_names and not (len(key) > 4 and key.endswith(_VERBISH))
        # Lower case: only the first word, and only when it is clearly a name.
        if not first or key in self._not_names:
            return False
        if key in self._first_names:
            return True
        return lowercase_ok and not key.endswith(_VERBISH)


@cache
def default_redactor() -> Redactor:
    """The redactor with the shipped rules, built once."""
    return Redactor.from_file()


def redact(text: str) -> Redaction:
    """Redact one text with the shipped rules."""
    return default_redactor().redact(text)


def redact_many(texts: Iterable[str]) -> list[Redaction]:
    """Redact many texts with the shipped rules."""
    redactor = default_redactor()
    return [redactor.redact(t) for t in texts]


# -- the spaCy component ---------------------------------------------------------------


class RedactorComponent:
    """Marks personal details as spans in doc.spans[spans_key], labelled by kind."""

    def __init__(self, nlp: Language, name: str, spans_key: str, rules: str | None) -> None:
        self.name = name
        self.spans_key = spans_key
        self.redactor = Redactor.from_file(rules) if rules else default_redactor()

    def __call__(self, doc: Doc) -> Doc:
        """Add one span per personal detail, widened to whole tokens."""
        spans: list[Span] = []
        for found in self.redactor.find(doc.text):
            span = doc.char_span(found.start, found.end, label=found.kind, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans[self.spans_key] = spans
        return doc

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        rules: str | None = None,
    ) -> None:
        """Use the rules of this file instead (when given)."""
        if rules:
            self.redactor = Redactor.from_file(rules)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the rules with the pipeline, so a saved pipeline redacts the same way."""
        folder = ensure_path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rules.json").write_text(json.dumps(self.redactor.rules), encoding="utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RedactorComponent:
        """Load the rules saved with to_disk."""
        text = (ensure_path(path) / "rules.json").read_text(encoding="utf-8")
        self.redactor = Redactor(json.loads(text))
        return self


@Language.factory(
    "yousaid_redactor",
    assigns=["doc.spans"],
    default_config={"spans_key": SPANS_KEY, "rules": None},
)
def make_redactor(nlp: Language, name: str, spans_key: str, rules: str | None) -> RedactorComponent:
    """The redaction component; `rules` is a rules file, the shipped one when null."""
    return RedactorComponent(nlp, name, spans_key, rules)


def redact_json(found: Redaction) -> str:
    """One redaction as `nlp redact` prints it: a line of JSON with text and spans."""
    import json

    record = {
        "text": found.text,
        "spans": [
            {"kind": s.kind, "start": s.start, "end": s.end, "text": s.text} for s in found.spans
        ],
    }
    return json.dumps(record, ensure_ascii=False)
