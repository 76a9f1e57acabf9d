"""What the redactor leaves in a text but a moderator should check: long numbers, likely
names, possible addresses.

A flag removes nothing; it tells the moderator where to look ("a possible name: Bill"). The
rules are the `flags` section of redact_patterns.toml with the word lists of its `names`
section. Flags are found on the normalised text (so "four four one two…" is a long number
too), mapped back to the original characters, and never overlap what was redacted.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Protocol

from nlp.normalise import Normalised
from nlp.wordmatch import alternation, letters

# Between the words of a phrase: spaces and tabs, not a line break.
_GAP = r"[ \t]+"

__all__ = ["Flag", "Taken", "Unsure", "merge_flags"]


_UPPER = letters("isupper")
# Lower case ("ß" too).
_LOWER = letters("islower")
_LETTER = f"{_UPPER}{_LOWER}"
_WORD = re.compile(rf"[{_LETTER}](?:[{_LETTER}]|['’-](?=[{_LETTER}]))*")
_CAPITALISED = re.compile(rf"(?<![{_LETTER}'’-])[{_UPPER}](?:[{_LETTER}]|['’-](?=[{_LETTER}]))*")
# Between two words of one name: spaces, or the full stop of an initial ("J. Smith").
_NAME_GAP = re.compile(r"\.?[ \t]+")
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
# Digit groups with a space, dash or dot between them: "4412 9981", "00-12-3456".
_NUMBER = re.compile(r"[0-9](?:(?:[ \t]?[.\-–][ \t]?|[ \t])?[0-9])*")
# Where a run of digits splits into parts that may each be a year, a time or a date.
_CHUNK_GAP = re.compile(r"[ \t]*[-–][ \t]*|[ \t]+")
_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
_TIME = re.compile(r"(?:[01]?[0-9]|2[0-4])[.](?:[0-5][0-9])")
_DATE = re.compile(r"([0-9]{1,4})([ .-])([0-9]{1,2})\2([0-9]{2,4})")
_DAY_MONTH = re.compile(r"([0-9]{1,2})[.]([0-9]{1,2})")
_ROUND = re.compile(r"[1-9][0-9]*000")
_LAST_WORD = re.compile(r"([^\W\d_]+)[ \t]*$")
_NEXT_WORD = re.compile(r"[ \t]*(%|[^\W\d_]+(?:['’][^\W\d_]+)?)")
# Letters stuck to a number are part of it ("AB123456C"), and worth quoting with it.
_STUCK_BEFORE = re.compile(r"[A-Za-z]+$")
_STUCK_AFTER = re.compile(r"[A-Za-z0-9]+")
# Skipped looking back for a sentence's start: spaces, opening quotes and brackets, bullets.
_LEAD = " \t\"'“‘([{*•-–—"
_SENTENCE_END = ".!?…\n\r"
# How far before a closing name its sign-off may start ("Yours sincerely,\n\n").
_SIGN_OFF_ROOM = 40


class _Span(Protocol):
    """What was redacted (nlp.redact.Found fits)."""

    @property
    def kind(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class Flag:
    """Something the redactor left in the text but is unsure of, for a person to check.

    `kind` is what it may be ("name", "number", "address"); offsets are in the original text.
    """

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Word:
    start: int  # in the normalised text
    end: int
    text: str
    shape: str  # "title", "upper" or "initial"


def _lower_set(words: Iterable[str]) -> set[str]:
    return {re.sub(r"\s+", " ", _key(w.strip())) for w in words if w.strip()}


def _key(word: str) -> str:
    """A word as the word lists have it: lower case, with a straight apostrophe."""
    return word.lower().replace("’", "'")


def _shape(word: str) -> str:
    if len(word) == 1:
        return "initial"
    return "upper" if word.isupper() else "title"


class Unsure:
    """Finds long numbers, likely names and possible addresses left in a text."""

    def __init__(
        self, names: dict[str, Any], flags: dict[str, Any], street_words: Iterable[str] = ()
    ) -> None:
        self.min_digits = int(flags["number_min_digits"])
        self.money_before = tuple(m.lower() for m in flags["money_before"])
        self.units_after = _lower_set(flags["units_after"])
        self.first_names = _lower_set(names["first_names"])
        self.word_names = _lower_set(flags["word_names"])
        self.person_next = _lower_set(flags["person_next"])
        self.person_verbs = _lower_set(flags["person_verbs"])
        self.place_before = _lower_set(flags["place_before"])
        self.place_starts = _lower_set(flags["place_starts"])
        self.brands: dict[str, list[tuple[str, ...]]] = {}
        for brand in _lower_set(flags["brands"]):
            self.brands.setdefault(brand.split()[0], []).append(tuple(brand.split()))
        self.max_words = int(names["max_words"])
        # Words that end a name where they stand: ordinary words people capitalise.
        self.stop = (
            _lower_set(names["function_words"])
            | _lower_set(names["not_names"])
            | _lower_set(names["titles"])
            | _lower_set(names["roles"])
            | _lower_set(names["cues"])
            | _lower_set(names["days"])
            | _lower_set(names["months"])
            | _lower_set(flags["not_names"])
        ) - (self.first_names - _lower_set(names["months"]))  # "saw Will", not "will see"
        # Words that make the capitalised words around them a place or an organisation.
        self.places = _lower_set(names["org_words"]) | _lower_set(flags["place_words"])
        self.person_cue = re.compile(
            rf"(?<![\w'’])(?:{alternation(_lower_set(flags['person_before']), _GAP)})"
            rf"[ \t]*,?[ \t]+(?P<name>{_WORD.pattern})",
            re.IGNORECASE,
        )
        streets = _lower_set(street_words) | _lower_set(flags["lower_street_words"])
        self.lower_streets = _lower_set(flags["lower_street_words"])
        starts = _lower_set(flags["street_starts"])
        self.house = re.compile(
            rf"(?<![\w£$€.,:/-])[0-9]{{1,4}}[A-Za-z]?\b,?[ \t]+"
            rf"(?:(?P<words>(?:{_WORD.pattern}[ \t]+){{1,3}})"
            rf"(?P<street>{alternation(streets, _GAP)})"
            rf"|(?:{alternation(starts, _GAP)})(?:[ \t]+{_WORD.pattern}){{1,3}})(?![\w'’-])",
            re.IGNORECASE,
        )
        # A sign-off just before the closing name (searched up to where the name starts).
        sign_offs = alternation(_lower_set(flags["sign_offs"]))
        self.sign_off = re.compile(rf"(?<!\w)(?:{sign_offs})[\s,.:!-]+$", re.IGNORECASE)

    def flags(self, norm: Normalised, removed: Sequence[_Span]) -> list[Flag]:
        """What to check in `norm.original`, outside what was removed, in order."""
        taken = Taken((s.start, s.end) for s in removed)
        found = self._numbers(norm, taken) + self._addresses(norm, taken)
        found += self._names(norm, removed, taken)
        return merge_flags(found, [], taken)

    # -- long numbers -------------------------------------------------------------------

    def _numbers(self, norm: Normalised, taken: Taken) -> list[Flag]:
        text = norm.text
        found = []
        for run in _NUMBER.finditer(text):
            if sum(c.isdigit() for c in run.group()) < self.min_digits:
                continue
            for start, end in self._outside(norm, run.start(), run.end(), taken):
                for part in _NUMBER.finditer(text[start:end]):
                    a, b = start + part.start(), start + part.end()
                    digits = sum(c.isdigit() for c in part.group())
                    if digits >= self.min_digits and not self._harmless(text, a, b):
                        found.append(self._flag(norm, "number", *self._stuck(text, a, b)))
        return found

    @staticmethod
    def _outside(norm: Normalised, start: int, end: int, taken: Taken) -> list[tuple[int, int]]:
        """The parts of [start, end) of the normalised text outside the removed spans."""
        first, last = norm.span(start, end)
        if not taken.hits(first, last):
            return [(start, end)]
        parts: list[tuple[int, int]] = []
        at = None
        for i in range(start, end):
            a, b = norm.starts[i], norm.ends[i]
            inside = taken.hits(a, b)
            if inside and at is not None:
                parts.append((at, i))
                at = None
            elif not inside and at is None:
                at = i
        if at is not None:
            parts.append((at, end))
        return parts

    @staticmethod
    def _stuck(text: str, start: int, end: int) -> tuple[int, int]:
        before = _search_back(_STUCK_BEFORE, text, start)
        after = _STUCK_AFTER.match(text, end)
        return (before.start() if before else start), (after.end() if after else end)

    def _harmless(self, text: str, start: int, end: int) -> bool:
        """A price, an amount, a year, a time or a date: nothing to check."""
        run = text[start:end]
        before = text[max(0, start - 4) : start].rstrip().lower()
        if before.endswith(self.money_before):
            return True
        after = _NEXT_WORD.match(text, end)
        if after and after.group(1).lower() in self.units_after:
            return True
        if _ROUND.fullmatch(run):
            return True
        if _valid_date(run):
            return True
        previous = ""
        for chunk in _CHUNK_GAP.split(run):
            # "2019-20": the second year of a range is often written short.
            short_year = len(chunk) == 2 and _YEAR.fullmatch(previous) is not None
            if not (_calendar(chunk) or short_year):
                return False
            previous = chunk
        return True

    # -- possible addresses -------------------------------------------------------------

    def _addresses(self, norm: Normalised, taken: Taken) -> list[Flag]:
        """A house number and a street the redactor did not remove: "7 ash grove"."""
        found = []
        for m in self.house.finditer(norm.text):
            if m.group("street"):
                words = [_key(w) for w in _WORD.findall(m.group("words"))]
                street = m.group("street")
                # "3 weeks road closures", "2 of them close": an amount, or ordinary words.
                if words[0] in self.units_after or words[0].rstrip("s") in self.units_after:
                    continue
                if any(w in self.stop and w not in self.first_names for w in words):
                    continue
                if street.islower() and _key(street) not in self.lower_streets:
                    continue
                end = m.end()
            else:
                # "12 Heol y Nant please": the street's name ends before an ordinary word.
                end = m.end()
                for word in reversed(list(_WORD.finditer(m.group()))[2:]):
                    if _key(word.group()) not in self.stop:
                        break
                    end = m.start() + word.start()
                end = m.start() + len(norm.text[m.start() : end].rstrip())
            found.append(self._flag(norm, "address", m.start(), end))
        return found

    # -- likely names -------------------------------------------------------------------

    def _names(self, norm: Normalised, removed: Sequence[_Span], taken: Taken) -> list[Flag]:
        text = norm.text
        # Only capitalised words can start or carry a flag; a word between two of them
        # (lower case, or removed) is seen in the gap and keeps them apart.
        found = self._cued(norm, taken)
        words = []
        for m in _CAPITALISED.finditer(text):
            word = _POSSESSIVE.sub("", m.group())
            end = m.start() + len(word)
            first, last = norm.span(m.start(), end)
            if not taken.hits(first, last):
                words.append(_Word(m.start(), end, word, _shape(word)))
        if not words:
            return found
        # A removed name's words found again elsewhere: "Dr [name] … Patel was great".
        again = {
            _key(w)
            for s in removed
            if s.kind == "name"
            for w in _WORD.findall(s.text)
            if _key(w) not in self.stop and len(w) > 1
        }
        for run in self._runs(text, words):
            # "[Name Redacted]": a stand-in someone typed or pasted, not a name.
            start, end = words[run[0]].start, words[run[-1]].end
            if text[start - 1 : start] == "[" and text[end : end + 1] == "]":
                continue
            found += self._name_flags(norm, text, words, run, again)
        found += self._signature(norm, text, words)
        return found

    def _cued(self, norm: Normalised, taken: Taken) -> list[Flag]:
        """One word after words that name a person next: "thanks Oluwaseun", "ask for
        nadia". Longer names are flagged as runs of capitalised words."""
        found = []
        for m in self.person_cue.finditer(norm.text):
            word = _POSSESSIVE.sub("", m.group("name"))
            key = _key(word)
            if key in self.stop or key in self.places or len(word) < 2:
                continue
            plain_known = key in self.first_names and key not in self.word_names
            if word.isupper() and not plain_known:
                continue  # "thanks NHS"
            if word[0].islower() and not plain_known:
                continue  # "thanks so much", "ask for help"
            found.append(self._flag(norm, "name", m.start("name"), m.start("name") + len(word)))
        return found

    @staticmethod
    def _runs(text: str, words: list[_Word]) -> list[list[int]]:
        """Indexes of words in runs of capitalised words (or of capitals) with only spaces
        between them."""
        runs: list[list[int]] = []
        for i, word in enumerate(words):
            if runs:
                prev = words[i - 1]
                gap = text[prev.end : word.start]
                same = (prev.shape == "upper") == (word.shape == "upper")
                if (
                    same
                    and _NAME_GAP.fullmatch(gap)
                    and (not gap.startswith(".") or prev.shape == "initial")
                ):
                    runs[-1].append(i)
                    continue
            runs.append([i])
        return runs

    def _name_flags(
        self,
        norm: Normalised,
        text: str,
        words: list[_Word],
        run: list[int],
        again: set[str],
    ) -> list[Flag]:
        keys = [_key(words[i].text) for i in run]
        found = []
        at = 0
        while at < len(run):
            if keys[at] in self.stop:
                at += 1
                continue
            end = at
            while end < len(run) and keys[end] not in self.stop:
                end += 1
            # The words next to the part count: "Sunderland Royal Hospital", "James Cook
            # hospital".
            around = keys[max(at - 1, 0) : end + 1]
            after = _NEXT_WORD.match(text, words[run[end - 1]].end)
            if after:
                around.append(_key(after.group(1)))
            # More capitalised words than a name has are a heading ("Very Good Service").
            if end - at <= self.max_words and not self._place(around, keys[at]):
                flag = self._name_part(norm, text, words, run[at:end], again)
                if flag:
                    found.append(flag)
            at = end
        return found

    def _place(self, keys: list[str], first: str) -> bool:
        """Whether capitalised words are a place, a service or a brand, not a person:
        "Rose Ward", "Royal Victoria Infirmary", "John Lewis"."""
        if first in self.place_starts or any(
            k in self.places or (k.endswith("s") and k[:-1] in self.places) for k in keys
        ):
            return True
        return any(
            brand == tuple(keys[i : i + len(brand)])
            for i, key in enumerate(keys)
            for brand in self.brands.get(key, ())
        )

    def _name_part(
        self,
        norm: Normalised,
        text: str,
        words: list[_Word],
        part: list[int],
        again: set[str],
    ) -> Flag | None:
        """A flag for these capitalised words (no ordinary word among them), if they look
        like a person's name."""
        while part and words[part[-1]].shape == "initial":
            part = part[:-1]  # "Nadia H." is flagged as "Nadia"; "J" alone is not a name
        if not part:
            return None
        first, last = words[part[0]], words[part[-1]]
        key = _key(first.text)
        flag = self._flag(norm, "name", first.start, last.end)
        if any(_key(words[i].text) in again for i in part):
            return flag
        known = key in self.first_names
        plain_known = known and key not in self.word_names and len(key) > 2
        if first.shape == "upper":
            # Capitals are shouting or acronyms ("NHS", "A&E"), unless a first name leads.
            return flag if plain_known else None
        at_start = _sentence_start(text, first.start)
        if len(part) >= 2:
            # Capitalised words mid-sentence are a name ("I'm Nadia Hussain"); starting a
            # sentence, only after a first name ("Nadia Hussain helped", not "Great Care").
            if known or not at_start:
                return flag
            # The first word of a sentence is capitalised anyway: "Ask Kamil Nowak".
            return self._name_part(norm, text, words, part[1:], again) if len(part) > 2 else None
        if not known:
            return flag if not at_start and self._person_like(text, first.start, last.end) else None
        if not at_start or plain_known:
            return flag
        # A first name that is also a word, starting a sentence: "Bill at the desk was
        # kind" is a person, "Bill payments are late" is not.
        after = _NEXT_WORD.match(text, last.end)
        return flag if after and _key(after.group(1)) in self.person_next else None

    def _person_like(self, text: str, start: int, end: int) -> bool:
        """Whether the words around one capitalised word say a person: "and Oluwaseun
        explained", not "in Leeds was"."""
        after = _NEXT_WORD.match(text, end)
        if after is None or _key(after.group(1)) not in self.person_verbs:
            return False
        before = _search_back(_LAST_WORD, text, start)
        return before is None or _key(before.group(1)) not in self.place_before

    def _signature(self, norm: Normalised, text: str, words: list[_Word]) -> list[Flag]:
        """Capitalised words that end the text after a sign-off: "Kind regards, Ola"."""
        tail: list[_Word] = []
        for word in reversed(words[-3:]):
            if word.shape not in ("title", "initial") or _key(word.text) in self.stop:
                break
            if tail and not _NAME_GAP.fullmatch(text[word.end : tail[0].start]):
                break
            tail.insert(0, word)
        if not tail or tail[0].shape == "initial" or any(c.isalnum() for c in text[tail[-1].end :]):
            return []
        if any(_key(w.text) in self.places for w in tail):
            return []
        if not self.sign_off.search(text, max(0, tail[0].start - _SIGN_OFF_ROOM), tail[0].start):
            return []
        return [self._flag(norm, "name", tail[0].start, tail[-1].end)]

    @staticmethod
    def _flag(norm: Normalised, kind: str, start: int, end: int) -> Flag:
        first, last = norm.span(start, end)
        return Flag(kind, first, last, norm.original[first:last])


class Taken:
    """The removed spans, asked in log time whether a span overlaps one: a long text has
    thousands of them and thousands of words to check (a scan each was quadratic)."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _ in ordered]
        # The furthest end of the spans up to each one.
        self.reach = list(accumulate((e for _, e in ordered), max))

    def hits(self, start: int, end: int) -> bool:
        """Whether [start, end) overlaps a removed span."""
        before = bisect_left(self.starts, end)  # the spans that start before `end`
        return before > 0 and self.reach[before - 1] > start

    def furthest(self, start: int, end: int) -> int | None:
        """The furthest end of the removed spans that overlap [start, end), if any do."""
        before = bisect_left(self.starts, end)
        if before > 0 and self.reach[before - 1] > start:
            return self.reach[before - 1]
        return None

    def covers(self, start: int, end: int) -> bool:
        """Whether one removed span holds all of [start, end)."""
        before = bisect_right(self.starts, start)  # the spans that start at or before it
        return before > 0 and self.reach[before - 1] >= end


def merge_flags(
    flags: Iterable[Flag], more: Iterable[Flag], taken: Taken | Iterable[tuple[int, int]]
) -> list[Flag]:
    """Flags sorted, none overlapping another or a removed span (the first found wins)."""
    removed = taken if isinstance(taken, Taken) else Taken(taken)
    kept: list[Flag] = []
    for flag in sorted([*flags, *more], key=lambda f: (f.start, -(f.end - f.start))):
        if flag.start >= flag.end or removed.hits(flag.start, flag.end):
            continue
        if kept and flag.start < kept[-1].end:
            continue
        kept.append(flag)
    return kept


# How far back a word just before a point is looked for.
_BACK_REACH = 200


def _search_back(pattern: re.Pattern[str], text: str, end: int) -> re.Match[str] | None:
    """`pattern.search(text, 0, end)` for a pattern anchored at `end` ("…$"), looking only a
    little way back: searched from the text's start, each call cost the whole text before
    it, and a long text with many names or numbers took a minute. Only a word longer than
    the reach is looked for again from the start."""
    begin = max(0, end - _BACK_REACH)
    m = pattern.search(text, begin, end)
    if m is not None and begin > 0 and m.start() == begin:
        m = pattern.search(text, 0, end)
    return m


def _sentence_start(text: str, at: int) -> bool:
    """Whether the word at `at` starts a sentence (or a line, or the text)."""
    i = at - 1
    while i >= 0 and text[i] in _LEAD:
        i -= 1
    if i < 0 or text[i] in _SENTENCE_END:
        return True
    # After an emoji or a symbol, a new thought starts too: "Great 👍 Will come again".
    return not (text[i].isalnum() or text[i] in ",;:&/+")


def _valid_date(run: str) -> bool:
    m = _DATE.fullmatch(run)
    if not m:
        return False
    a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if len(m.group(1)) == 4:
        return _YEAR.fullmatch(m.group(1)) is not None and 1 <= b <= 12 and 1 <= c <= 31
    year = len(m.group(4)) == 2 or _YEAR.fullmatch(m.group(4)) is not None
    return 1 <= a <= 31 and 1 <= b <= 12 and year


def _calendar(chunk: str) -> bool:
    """A year ("2019"), a time ("10.30"), a date ("12.03.2024") or a day and month."""
    if _YEAR.fullmatch(chunk) or _TIME.fullmatch(chunk) or _valid_date(chunk):
        return True
    m = _DAY_MONTH.fullmatch(chunk)
    return m is not None and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12
