"""What problem a text states: which of a few dozen general classes (broken, never came,
late, dirty, rude ...), from the phrases of nlp/problems.toml, with negation ("never came",
"wasn't rude"). For "me too" (nlp/similar.py): two reports that both state problems and
share none are not the same report ("the lift is broken" / "the lift smells")."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_LEXICON = Path(__file__).with_name("problems.toml")
# At most 63 classes: a text's classes are the bits of one signed 64-bit number.
MAX_CLASSES = 63

_CLAUSE = re.compile(r"[.,;:!?\n()\"]+|\s-+\s")
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _Pattern:
    bit: int
    words: tuple[str, ...]
    negated: bool
    # Words that, shortly before, make it no statement ("when will it be fixed?").
    unless: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Lexicon:
    """The problem classes, their phrases, and which classes go together."""

    names: tuple[str, ...]
    # Patterns by their first word as written, and by the first three letters of a first
    # word that ends in "*" (a prefix).
    exact: dict[str, tuple[_Pattern, ...]]
    prefixed: dict[str, tuple[_Pattern, ...]]
    negators: frozenset[str]
    # By negator: the words after it that make it affirm instead ("not only").
    affirming: dict[str, tuple[tuple[str, ...], ...]]
    breaks: frozenset[str]
    window: int
    # Classes that say what is wanted, not what is wrong ("more buses please"): as if unsaid.
    neutral: int
    # By class: its bit and its related classes' bits.
    related: tuple[int, ...]


@cache
def load(path: Path = DEFAULT_LEXICON) -> Lexicon:
    """Read the lexicon of problem classes (nlp/problems.toml)."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    classes: dict[str, dict[str, Any]] = data["classes"]
    names = tuple(classes)
    if len(names) > MAX_CLASSES:
        raise ValueError(f"at most {MAX_CLASSES} problem classes, not {len(names)}")
    bits = {name: i for i, name in enumerate(names)}
    exact: dict[str, list[_Pattern]] = {}
    prefixed: dict[str, list[_Pattern]] = {}
    related = [1 << i for i in range(len(names))]
    neutral = sum(1 << bits[n] for n, spec in classes.items() if spec.get("neutral"))
    affirming: dict[str, list[tuple[str, ...]]] = {}
    for phrase in data.get("affirming", []):
        negator, *rest = _words(phrase)
        if negator not in data["negators"] or not rest:
            raise ValueError(f"an affirming phrase is a negator and words after it: {phrase!r}")
        affirming.setdefault(negator, []).append(tuple(rest))
    for name, spec in classes.items():
        i = bits[name]
        unless = frozenset(spec.get("unless_after", []))
        for negated, key in ((False, "patterns"), (True, "negated")):
            for phrase in spec.get(key, []):
                words = tuple(_words(phrase))
                pattern = _Pattern(i, words, negated, unless)
                first = words[0]
                if first.endswith("*"):
                    if len(first) < 4:
                        raise ValueError(f"prefix too short in {name}: {phrase!r}")
                    prefixed.setdefault(first[:3], []).append(pattern)
                else:
                    exact.setdefault(first, []).append(pattern)
        for other in spec.get("related", []):
            # Related both ways, whichever class names the other.
            related[i] |= 1 << bits[other]
            related[bits[other]] |= 1 << i
    return Lexicon(
        names,
        {k: tuple(v) for k, v in exact.items()},
        {k: tuple(v) for k, v in prefixed.items()},
        frozenset(data["negators"]),
        {k: tuple(v) for k, v in affirming.items()},
        frozenset(data["breaks"]),
        int(data["window"]),
        neutral,
        tuple(related),
    )


def _words(text: str) -> list[str]:
    """Lower-cased words, apostrophes dropped ("didn't" is "didnt"), "*" kept."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("'", "").replace("’", "")
    return re.findall(r"[^\W_]+\*?", folded)


def _clauses(text: str, lexicon: Lexicon) -> list[list[str]]:
    """The text's clauses as word lists, cut at punctuation and at words like "but"."""
    out: list[list[str]] = []
    for part in _CLAUSE.split(unicodedata.normalize("NFKC", text).casefold()):
        words = _WORD.findall(part.replace("'", "").replace("’", ""))
        current: list[str] = []
        for word in words:
            if word in lexicon.breaks:
                out.append(current)
                current = []
            else:
                current.append(word)
        out.append(current)
    return [c for c in out if c]


def _matches(pattern: tuple[str, ...], words: list[str], at: int) -> bool:
    if at + len(pattern) > len(words):
        return False
    for want, word in zip(pattern, words[at:], strict=False):
        if want.endswith("*"):
            if not word.startswith(want[:-1]):
                return False
        elif want != word:
            return False
    return True


def _negates(lexicon: Lexicon, words: list[str], k: int, at: int) -> bool:
    """Whether the word at `k` negates what is at `at`: a negator, unless the words after
    it (up to `at`) make it affirm ("not only broken")."""
    if words[k] not in lexicon.negators:
        return False
    for rest in lexicon.affirming.get(words[k], ()):
        if tuple(words[k + 1 : k + 1 + len(rest)]) == rest and k + len(rest) < at:
            return False
    return True


def signature(text: str, lexicon: Lexicon | None = None) -> int:
    """The problem classes a text states, as bits (see `names`); 0 for none. The longest
    phrase found at a word wins and its words are used up: "shout out to the crew" is
    praise, not shouting; "late fee" is a charge, not a delay."""
    lexicon = lexicon or load()
    found = 0
    for words in _clauses(text, lexicon):
        at = 0
        while at < len(words):
            word = words[at]
            candidates = lexicon.exact.get(word, ()) + lexicon.prefixed.get(word[:3], ())
            start = max(0, at - lexicon.window)
            before = words[start:at]
            negated = any(_negates(lexicon, words, k, at) for k in range(start, at))
            longest, bits = 0, 0
            for pattern in candidates:
                if pattern.negated != negated or not _matches(pattern.words, words, at):
                    continue
                if pattern.unless and pattern.unless.intersection(before):
                    continue
                if len(pattern.words) > longest:
                    longest, bits = len(pattern.words), 0
                if len(pattern.words) == longest:
                    bits |= 1 << pattern.bit
            found |= bits & ~lexicon.neutral
            at += max(longest, 1)
    return found


def names(bits: int, lexicon: Lexicon | None = None) -> list[str]:
    """The names of the classes in `bits`."""
    lexicon = lexicon or load()
    return [name for i, name in enumerate(lexicon.names) if bits >> i & 1]


def related(bits: int, lexicon: Lexicon | None = None) -> int:
    """`bits` and every class related to one of them: what another report of the same
    problem may state."""
    lexicon = lexicon or load()
    out = 0
    for i, mask in enumerate(lexicon.related):
        if bits >> i & 1:
            out |= mask
    return out
