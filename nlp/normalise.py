"""Undo the ways people disguise or mistype personal details, keeping a map to the original.

The redactor matches on the normalised text and maps each finding back with `Normalised.span`,
so the evidence a moderator sees is exactly the original characters that were removed.
Steps, in order: Unicode NFKC (fullwidth letters and digits), zero-width characters and soft
hyphens dropped, digits of other scripts made ASCII, the letter O inside digit runs made 0,
digits in words ("zero seven double oh") and digits spaced one by one joined, and "at"/"dot"
spellings of email addresses made "@" and ".".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Normalised", "normalise"]

# Zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen, invisible separators.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u2061\u2062\u2063\u2064")
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
# A character that may change, with the combining marks that go with it ("e" + "\u0308").
_CLUSTER = re.compile(rf"(?:[^\x00-\x7f]|[\x00-\x7f](?={_COMBINING})){_COMBINING}*")
# Text already in NFKC without these needs no character step (most text with a "’" or "é").
_ODD_CHARACTER = re.compile("[" + "".join(_INVISIBLE) + r"]|(?![0-9])\d")

_WORD_DIGITS = {
    "zero": "0", "nought": "0", "nil": "0", "oh": "0", "o": "0",
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
# Numbers as people say them in a phone number: "seven seven hundred", "nine hundred".
_TEENS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6",
    "seventy": "7", "eighty": "8", "ninety": "9",
}  # fmt: skip
# Zeros said as a word after a digit: "seven seven hundred" is 7700.
_ZEROS = {"hundred": "00", "thousand": "000"}
_REPEAT = {"double": 2, "triple": 3, "treble": 3}
# Longest first, so "one" is not read as "o" then "ne".
_NUMBER_WORD = "|".join(
    sorted([*_WORD_DIGITS, *_TEENS, *_TENS, *_ZEROS, *_REPEAT], key=len, reverse=True)
)
_RUN_ITEM = rf"(?:(?:{_NUMBER_WORD})|[0-9]+)"
# A run of number words and digit groups: "zero seven seven double oh 9 0 0 one two three".
_NUMBER_RUN = re.compile(
    rf"(?<![\w'’])(?:plus[ ]+)?{_RUN_ITEM}(?:[ ,-]{{1,2}}{_RUN_ITEM})+(?![\w'’])",
    re.IGNORECASE,
)
_RUN_TOKEN = re.compile(rf"\b(?:{_NUMBER_WORD})\b|[0-9]+", re.IGNORECASE)
# Fewer digits than this from a run with words in it is ordinary speech ("one or two").
_MIN_WORD_RUN_DIGITS = 6
# Digits typed one by one: "0 7 7 0 0 9 0 0 1 2 3"; fewer than this is a list ("1 2 3").
_SPACED = re.compile(r"(?<![\w.,])[0-9](?:(?:[ .]{1,2}|[ ]?-[ ]?)[0-9](?![0-9])){5,}(?![\w])")
# Letters and digits typed one by one: "S W 1 A 1 A A", "A B 1 2 C D E".
_SPACED_MIXED = re.compile(r"(?<![\w.,])[A-Za-z0-9](?:[ -][A-Za-z0-9](?![\w])){5,}(?![\w])")
# "07O00 9OO123": a token of digits and O/o with at least three digits.
# "077OO 9OO 123": groups of digits and O/o; not inside handles, links and emails
# ("@O000", "x.com/O123").
_O_FOR_ZERO = re.compile(r"(?<![\w@#/])[0-9Oo]+(?:[ .-][0-9Oo]+)*(?![\w@/])")
# The O is a zero only in a group with a digit, in a run of at least this many digits
# and O's ("10 o" and "2 oo" stay).
_MIN_O_RUN = 5
# What follows a run cut short before a group glued to letters ("12 O10 0AA").
_RUN_GOES_ON = re.compile(r"[ .-][0-9Oo]")

# Email spelled out: "jo dot smith at gmail dot com", "jo[at]mail(dot)com", "jo @ mail . com".
_AT_MARK = r"\s*(?:[\[({<]\s*(?:at|@)\s*[\])}>])\s*|\s*@\s*"
_AT_WORD = r"\s+at\s+"
_DOT_MARK = r"\s*(?:[\[({<]\s*(?:dot|\.)\s*[\])}>])\s*"
_DOT_WORD = r"\s+dot\s+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_%+-]*[A-Za-z0-9])?"
# At most this many more labels (or path parts) in a spelled email or link: unbounded, a
# long run of "dot"s ("ab dot ab dot ...") was matched to its end from every word, a
# minute for 100,000 characters.
_MAX_LABELS = 10
_TLD = r"(?:com|org|net|uk|co|gov|nhs|edu|io|info|me|ie|scot|wales|cymru|biz|eu|de|fr)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@])(?P<local>{_LABEL}"
    rf"(?:(?:\.|[ \t]+\.[ \t]+|{_DOT_MARK}|{_DOT_WORD}){_LABEL}){{0,{_MAX_LABELS}}})"
    rf"(?P<at>{_AT_MARK}|{_AT_WORD})"
    rf"(?:(?P<domain>{_LABEL}(?:(?:\s*\.\s*|{_DOT_MARK}|{_DOT_WORD}){_LABEL}){{0,{_MAX_LABELS}}}"
    rf"(?:\s*\.\s*|{_DOT_MARK}|{_DOT_WORD}){_TLD})\b"
    # "jo.smith at gmail": a big mail provider without its ".com".
    rf"|(?P<provider>gmail|googlemail|hotmail|yahoo|icloud|btinternet)\b)",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(rf"{_AT_MARK}|{_AT_WORD}|{_DOT_MARK}|{_DOT_WORD}|\s*\.\s*", re.IGNORECASE)
# Links spelled out: "www dot facebook dot com slash jo", "bit (dot) ly / abc".
_URL_TLD = r"(?:com|org|net|uk|co|gov|nhs|io|info|ly|me|tv|be|gl|ee|app|scot|wales|cymru)"
_SLASH = r"\s+slash\s+|\s*/\s*"
_SPELLED_URL = re.compile(
    rf"(?<![\w.@/])(?P<host>{_LABEL}(?:(?:\.|{_DOT_MARK}|{_DOT_WORD}){_LABEL}){{0,{_MAX_LABELS}}}"
    rf"(?:{_DOT_MARK}|{_DOT_WORD}){_URL_TLD})\b"
    rf"(?:(?:{_SLASH})[\w.@?=&%-]+(?:(?:{_DOT_MARK}|{_DOT_WORD})[\w-]+){{0,{_MAX_LABELS}}}){{0,{_MAX_LABELS}}}",
    re.IGNORECASE,
)
_URL_SEPARATOR = re.compile(rf"{_DOT_MARK}|{_DOT_WORD}|{_SLASH}", re.IGNORECASE)
# "the dot com boom": a link does not start with these.
_NOT_HOST = frozenset("the a an and or of to in on at my your our their this that".split())

# With a plain "at", the address must look like one: a mail provider, or a local part with a
# dot, digit or underscore ("jo dot smith at ..."), so "I was at tesco.com" stays.
_PROVIDERS = frozenset(
    "gmail googlemail hotmail outlook live yahoo ymail icloud me aol btinternet btopenworld "
    "sky virginmedia ntlworld talktalk protonmail proton mail gmx zoho yandex msn".split()
)
_CUE_BEFORE = re.compile(
    r"\b(?:e-?mail|mail|contact|write to|reach me|address)\b[^.!?\n]{0,20}$", re.I
)
# How far back _CUE_BEFORE can reach (its longest match is 28 characters); searched from
# the text's start, it made each spelled email cost the length of the text before it.
_CUE_REACH = 60
# Where a spelled email may be: the email pattern is tried only around these, as trying it
# at every word of a long text is slow.
_AT_ANYWHERE = re.compile(r"@|\bat\b|[\[({<]\s*(?:at|@)", re.IGNORECASE)
# The longest email spelled out that is looked for, on either side of its "at".
_EMAIL_REACH = 100
# Quick tests: most texts need none of the steps.
_MAYBE_SPELLED = re.compile(r"@|\bat\b|\[|\(|\{|<", re.IGNORECASE)
_MAYBE_SPELLED_URL = re.compile(r"\bdot\b|[\[({<]\s*(?:dot|\.)", re.IGNORECASE)
_MAYBE_NUMBER_WORDS = re.compile(rf"\b(?:{_NUMBER_WORD})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Normalised:
    """A normalised text and, for each of its characters, the original span it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The smallest original span covering the normalised span [start, end)."""
        if start >= end:
            at = self.starts[start] if start < len(self.starts) else len(self.original)
            return at, at
        return self.starts[start], self.ends[end - 1]

    @property
    def identity(self) -> bool:
        """Whether normalising changed nothing."""
        return self.text == self.original


class _Builder:
    """Pieces of normalised text, each with the original span it stands for."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def keep(self, text: str, start: int, end: int) -> None:
        """Characters that stay as they are."""
        self.parts.append(text[start:end])
        self.starts.extend(range(start, end))
        self.ends.extend(range(start + 1, end + 1))

    def copy(self, norm: Normalised, start: int, end: int) -> None:
        """Characters of an earlier step's text, with their map."""
        self.parts.append(norm.text[start:end])
        self.starts.extend(norm.starts[start:end])
        self.ends.extend(norm.ends[start:end])

    def add(self, piece: str, start: int, end: int) -> None:
        self.parts.append(piece)
        self.starts.extend([start] * len(piece))
        self.ends.extend([end] * len(piece))


_Pieces = list[tuple[str, int, int]]


def _rewrite(
    norm: Normalised,
    pattern: re.Pattern[str] | Callable[[str], Iterable[re.Match[str]]],
    replace: Callable[[re.Match[str]], _Pieces | None],
) -> Normalised:
    """Apply `replace(match) -> list of (piece, norm start, norm end)` to each match of the
    pattern (or each match the function yields, in order, none overlapping)."""
    out = _Builder()
    at = 0
    text = norm.text
    changed = False
    matches = pattern.finditer(text) if isinstance(pattern, re.Pattern) else pattern(text)
    for m in matches:
        pieces = replace(m)
        if pieces is None:
            continue
        changed = True
        out.copy(norm, at, m.start())
        for piece, s, e in pieces:
            out.add(piece, *norm.span(s, e))
        at = m.end()
    if not changed:
        return norm
    out.copy(norm, at, len(text))
    return Normalised(norm.original, "".join(out.parts), tuple(out.starts), tuple(out.ends))


def _characters(text: str) -> Normalised:
    """NFKC per character (with its combining marks), invisible characters dropped, digits
    of every script made ASCII."""
    out = _Builder()
    at = 0
    for m in _CLUSTER.finditer(text):
        out.keep(text, at, m.start())
        cluster = unicodedata.normalize("NFKC", m.group())
        cluster = "".join(
            str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c
            for c in cluster
            if c not in _INVISIBLE
        )
        out.add(cluster, m.start(), m.end())
        at = m.end()
    out.keep(text, at, len(text))
    return Normalised(text, "".join(out.parts), tuple(out.starts), tuple(out.ends))


def _o_for_zero(m: re.Match[str]) -> list[tuple[str, int, int]] | None:
    run = m.group()
    if "o" not in run.lower() or sum(c.isalnum() for c in run) < _MIN_O_RUN:
        return None
    groups = re.split(r"([ .-])", run)
    if not all(any(c.isdigit() for c in g) for g in groups[::2]):
        return None
    # A run cut short where the next group runs on into letters keeps its last group as
    # written: there an O may be a letter ("over 12 O10 0AA months": a postcode's).
    kept = len(run) - len(groups[-1]) if _RUN_GOES_ON.match(m.string, m.end()) else len(run)
    return [
        (
            c if c.isdigit() or not c.isalnum() or k >= kept else "0",
            m.start() + k,
            m.start() + k + 1,
        )
        for k, c in enumerate(run)
    ]


def _number_words(m: re.Match[str]) -> list[tuple[str, int, int]] | None:
    pieces: list[tuple[str, int, int]] = []
    repeat = 1
    repeat_start = 0
    words = 0
    # Number words other than a capital "O"/"OH": "OH 00 00 00 A" is a National Insurance
    # number, not a zero before three digit groups.
    strong = 0
    last_end = 0
    last_was_group = False
    plus = re.match(r"plus[ ]+", m.group(), re.IGNORECASE)
    if plus:  # "plus four four seven…" is +44 7…
        pieces.append(("+", m.start(), m.start() + 4))
    tens_open = False  # "forty" waits for a "five"; alone it is "40"
    for t in _RUN_TOKEN.finditer(m.group()):
        s, e = m.start() + t.start(), m.start() + t.end()
        word = t.group().lower()
        if tens_open and word in _WORD_DIGITS and word not in ("o", "oh", "zero", "nought", "nil"):
            # "forty five" is 45: the unit takes the place of the tens' zero.
            digit, ps, _ = pieces[-1]
            pieces[-1] = (digit[:-1] + _WORD_DIGITS[word], ps, e)
            tens_open = False
            last_end = e
            continue
        tens_open = False
        if word in _ZEROS:
            if not pieces or last_was_group:
                return None  # "hundred" needs a spoken digit before it
            digit, ps, _ = pieces[-1]
            pieces[-1] = (digit + _ZEROS[word], ps, e)
            words += 1
            strong += 1
            last_end = e
            continue
        if word in _TEENS or word in _TENS:
            digits = _TEENS.get(word) or _TENS[word] + "0"
            tens_open = word in _TENS
            if pieces and last_was_group:
                pieces.append((" ", last_end, s))
            pieces.append((digits, s, e))
            words += 1
            strong += 1
            last_end, last_was_group = e, False
            continue
        if word in _REPEAT:
            repeat, repeat_start = _REPEAT[word], s
            words += 1
            strong += 1
            continue
        is_group = word not in _WORD_DIGITS
        digits = t.group() if is_group else _WORD_DIGITS[word]
        words += not is_group
        strong += not is_group and not (word in ("o", "oh") and t.group().isupper())
        # A typed digit group keeps its gap ("4000 0000 0000 0002 one" is a card, then a
        # word), so the numbers found inside groups are still found.
        if pieces and (is_group or last_was_group):
            pieces.append((" ", last_end, s))
        # "double oh" as a whole stands for "00".
        pieces.append((digits * repeat, repeat_start if repeat > 1 else s, e))
        repeat = 1
        last_end, last_was_group = e, is_group
    total = sum(len(p.strip("+ ")) for p, _, _ in pieces)
    if words == 0 or strong == 0 or total < _MIN_WORD_RUN_DIGITS:
        return None
    # "o" and "oh" only count among other number words: "oh one" is not enough.
    return pieces


def _spaced(m: re.Match[str]) -> list[tuple[str, int, int]] | None:
    return [(c, m.start() + k, m.start() + k + 1) for k, c in enumerate(m.group()) if c.isdigit()]


def _spaced_mixed(m: re.Match[str]) -> list[tuple[str, int, int]] | None:
    chars = m.group()[::2]
    digits = sum(c.isdigit() for c in chars)
    letters = [c for c in chars if c.isalpha()]
    # Two or more of each, and letters in one case: "a 1 b 2 c" in a list is not a code.
    if (
        digits < 2
        or len(letters) < 2
        or not (all(c.isupper() for c in letters) or all(c.islower() for c in letters))
    ):
        return None
    return [(c, m.start() + k, m.start() + k + 1) for k, c in enumerate(m.group()) if c.isalnum()]


def _cued_before(text: str, at: int) -> bool:
    """Whether words just before `at` say an email follows ("email me on", "contact")."""
    return _CUE_BEFORE.search(text, max(0, at - _CUE_REACH), at) is not None


def _spelled_email(m: re.Match[str], text: str) -> list[tuple[str, int, int]] | None:
    at = m.group("at")
    if m.group("provider"):
        # Without a ".com" the local part must look like one, or the words before say email.
        shaped = re.search(r"[._0-9]|\sdot\s|\[|\(", m.group("local"), re.I) is not None
        if not (shaped or "@" in at or _cued_before(text, m.start())):
            return None
    elif at.strip().lower() == "at":
        local, domain = m.group("local"), m.group("domain")
        first_label = re.match(r"[A-Za-z0-9]+", domain)
        provider = first_label is not None and first_label.group().lower() in _PROVIDERS
        # "dot" spelled out or in brackets is never ordinary speech ("at home dot com").
        shaped = (
            re.search(r"[._0-9]|\sdot\s|\[|\(", local, re.I) is not None
            or re.search(r"\sdot\s|\[|\(", domain, re.I) is not None
        )
        cued = _cued_before(text, m.start())
        if not (provider or shaped or cued):
            return None
    pieces: list[tuple[str, int, int]] = []
    pos = m.start()
    for sep in _SEPARATOR.finditer(text, m.start(), m.end()):
        pieces += [(text[k], k, k + 1) for k in range(pos, sep.start())]
        pieces.append(("@" if sep.start() == m.start("at") else ".", sep.start(), sep.end()))
        pos = sep.end()
    pieces += [(text[k], k, k + 1) for k in range(pos, m.end())]
    if m.group("provider"):
        pieces.append((".com", m.end() - 1, m.end()))
    return pieces


def _spelled_emails(text: str) -> Iterator[re.Match[str]]:
    """Matches of the spelled email pattern near each "at", in order, none overlapping."""
    done = 0
    for at in _AT_ANYWHERE.finditer(text):
        if at.end() <= done:
            continue
        start = max(done, at.start() - _EMAIL_REACH)
        for m in _SPELLED_EMAIL.finditer(text, start, min(len(text), at.end() + _EMAIL_REACH)):
            if m.start() <= at.start() < m.end() or m.start() >= at.start():
                done = m.end()
                yield m
                break


def _spelled_url(m: re.Match[str]) -> _Pieces | None:
    first = re.match(r"[A-Za-z0-9]+", m.group())
    if first is None or first.group().lower() in _NOT_HOST:
        return None
    pieces: _Pieces = []
    pos = m.start()
    for sep in _URL_SEPARATOR.finditer(m.string, m.start(), m.end()):
        pieces += [(m.string[k], k, k + 1) for k in range(pos, sep.start())]
        mark = "/" if "/" in sep.group() or "slash" in sep.group().lower() else "."
        pieces.append((mark, sep.start(), sep.end()))
        pos = sep.end()
    pieces += [(m.string[k], k, k + 1) for k in range(pos, m.end())]
    return pieces


def normalise(text: str) -> Normalised:
    """The text with disguised digits, emails and odd characters undone, and its offset map."""
    norm = (
        Normalised(text, text, tuple(range(len(text))), tuple(range(1, len(text) + 1)))
        if text.isascii()
        or (unicodedata.is_normalized("NFKC", text) and not _ODD_CHARACTER.search(text))
        else _characters(text)
    )
    if any(c in "Oo" for c in norm.text) and re.search(r"[0-9]", norm.text):
        norm = _rewrite(norm, _O_FOR_ZERO, _o_for_zero)
    if _MAYBE_NUMBER_WORDS.search(norm.text):
        norm = _rewrite(norm, _NUMBER_RUN, _number_words)
    norm = _rewrite(norm, _SPACED_MIXED, _spaced_mixed)
    norm = _rewrite(norm, _SPACED, _spaced)
    if _MAYBE_SPELLED.search(norm.text):
        current = norm.text
        norm = _rewrite(norm, _spelled_emails, lambda m: _spelled_email(m, current))
    if _MAYBE_SPELLED_URL.search(norm.text):
        norm = _rewrite(norm, _SPELLED_URL, _spelled_url)
    return norm
