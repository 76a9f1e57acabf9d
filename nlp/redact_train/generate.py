"""Generated training data for the name and address detector: texts with labelled spans."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlp.redact_train.addresses import AddressMaker
from nlp.redact_train.names import NameMaker, held_out
from nlp.redact_train.negatives import (
    BRANDS,
    NAMED_PLACES,
    SERVICES,
    STAFF_WORDS,
    TITLED_BRANDS,
    TITLES,
    WORD_NAMES,
)
from nlp.redact_train.templates import FRAGMENTS, NEGATIVE, POSITIVE

NHS_COMMENTS = Path(__file__).resolve().parents[1] / "data" / "nhs-fft-themes" / "train.csv"
NAME, ADDRESS = "NAME", "ADDRESS"
_SLOT = re.compile(r"\{(\w+)\}")
# Where the NHS comments left out a name, or something unreadable.
_PLACEHOLDER = re.compile(r"\[[^\]]{0,40}\]|\bX{3,}\b|\*{3,}")
_NAME_GAP = re.compile(r"\[(?:nick)?name redacted\]|\bX{3,}\b|\*{3,}", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_STAFF_IN_COMMENT = re.compile(
    r"\b(?:the )?(?:nurse|nurses|doctor|receptionist|driver|paramedic|consultant|midwife|"
    r"physio|porter|surgeon|staff member|lady|gentleman|man|crew member)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sample:
    """A text and its labelled spans (start, end, label)."""

    text: str
    spans: tuple[tuple[int, int, str], ...]


class _Builder:
    """Joins literal text and labelled pieces into a Sample."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[int, int, str]] = []
        self.length = 0

    def add(self, text: str, label: str | None = None) -> None:
        if label and text:
            self.spans.append((self.length, self.length + len(text), label))
        self.parts.append(text)
        self.length += len(text)

    def sample(self) -> Sample:
        return Sample("".join(self.parts), tuple(self.spans))


def read_comments(path: Path = NHS_COMMENTS) -> list[str]:
    """The NHS comments, as they are."""
    with open(path, newline="", encoding="utf-8") as f:
        return [row["text"].strip() for row in csv.DictReader(f) if row["text"].strip()]


class Generator:
    """Draws labelled samples for one part of the data (training or held-out)."""

    def __init__(self, seed: int, held: bool) -> None:
        self.rng = random.Random(seed)
        self.held = held
        self.names = NameMaker(self.rng, held)
        family = [f for pool in self.names.pools for f in pool.family]
        self.addresses = AddressMaker(self.rng, held, family)
        self.positive = [t for t in POSITIVE if held_out(t) == held]
        self.fragments = [t for t in FRAGMENTS if held_out(t, 4) == held]
        self.negative = [t for t in NEGATIVE if held_out(t) == held]
        comments = read_comments()
        self.comments = [c for c in comments if held_out(c) == held]
        self.sentences = [
            s for c in self.comments for s in _SENTENCE.split(_PLACEHOLDER.sub("", c)) if s.strip()
        ]
        # Brands with a title in them are learnt by heart: the title makes them look like
        # names, and there are few of them. The others test generalisation.
        self.brands = [
            b for b in BRANDS if held_out(b, 4) == held or (not held and b in TITLED_BRANDS)
        ]
        self.places = [p for p in NAMED_PLACES if held_out(p, 4) == held] or NAMED_PLACES

    # -- slots ---------------------------------------------------------------------

    def _title(self) -> str:
        title = self.rng.choice(TITLES)
        return title.lower() if self.rng.random() < 0.15 else title

    def _slot(self, slot: str, out: _Builder) -> None:
        rng = self.rng
        fills: dict[str, Callable[[], tuple[str, str | None]]] = {
            "full": lambda: (self.names.full(), NAME),
            "first": lambda: (self.names.given(), NAME),
            "last": lambda: (self.names.family(), NAME),
            "name": lambda: (self.names.any(), NAME),
            "addr": lambda: (self.addresses.address(), ADDRESS),
            "tail": lambda: (self.addresses.tail(), None),
            "street": lambda: (self.addresses.street(), None),
            "brand": lambda: (rng.choice(self.brands), None),
            "place": lambda: (rng.choice(self.places), None),
            "service": lambda: (rng.choice(SERVICES), None),
            "staff": lambda: (rng.choice(STAFF_WORDS), None),
            "town": lambda: (self.addresses.town(), None),
            "n": lambda: (str(rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 38, 42])), None),
            "wordsent": lambda: (rng.choice(WORD_NAMES), None),
        }
        if slot == "tname":
            out.add(self._title() + " ")
            name = self.names.family() if rng.random() < 0.7 else self.names.full()
            out.add(name, NAME)
            return
        text, label = fills[slot]()
        out.add(text, label)

    def render(self, template: str) -> Sample:
        """A template with every slot filled."""
        out = _Builder()
        at = 0
        for m in _SLOT.finditer(template):
            out.add(template[at : m.start()])
            self._slot(m.group(1), out)
            at = m.end()
        out.add(template[at:])
        return out.sample()

    # -- the NHS comments ------------------------------------------------------------

    def _comment(self) -> str:
        return re.sub(r"\s{2,}", " ", _PLACEHOLDER.sub("", self.rng.choice(self.comments))).strip()

    def comment_negative(self) -> Sample:
        """A real comment with nothing to find."""
        return Sample(self._comment(), ())

    def comment_with_name(self) -> Sample:
        """A real comment with a name put where people put names."""
        rng = self.rng
        raw = rng.choice(self.comments)
        if _NAME_GAP.search(raw) and rng.random() < 0.5:
            out, at = _Builder(), 0
            for m in _NAME_GAP.finditer(raw):
                out.add(raw[at : m.start()])
                out.add(self.names.any(), NAME)
                at = m.end()
            out.add(raw[at:])
            return out.sample()
        comment = self._comment()
        roll = rng.random()
        out = _Builder()
        staff = list(_STAFF_IN_COMMENT.finditer(comment))
        if staff and roll < 0.4:
            m = rng.choice(staff)
            out.add(comment[: m.end()])
            style = rng.random()
            if style < 0.5:
                out.add(" ")
                out.add(self.names.given() if rng.random() < 0.7 else self.names.full(), NAME)
            elif style < 0.75:
                out.add(" (")
                out.add(self.names.any(), NAME)
                out.add(")")
            else:
                out.add(", ")
                out.add(self.names.any(), NAME)
                out.add(",")
            out.add(comment[m.end() :])
        elif roll < 0.7:
            intro = rng.choice(
                [
                    "My name is {}. ",
                    "I'm {} and ",
                    "I am {}. ",
                    "Hi, this is {}. ",
                    "{} here. ",
                    "hi its {} ",
                    "From {}: ",
                    "{} - ",
                    "Patient: {}. ",
                ]
            )
            before, after = intro.split("{}")
            out.add(before)
            out.add(self.names.any(), NAME)
            out.add(after)
            out.add(comment)
        else:
            sign = rng.choice(
                [
                    " Thanks, {}",
                    " - {}",
                    "\n{}",
                    " Regards, {}",
                    " Many thanks {}",
                    " Cheers {}",
                    " {}",
                    " From {}",
                    " ({})",
                    " Thank you. {} x",
                    " {} (mum of {})",
                ]
            )
            out.add(comment)
            parts = sign.split("{}")
            out.add(parts[0])
            for part in parts[1:]:
                out.add(self.names.any(), NAME)
                out.add(part)
        return out.sample()

    # -- styles ----------------------------------------------------------------------

    def restyle(self, sample: Sample) -> Sample:
        """The sample in lower case, capitals or without end punctuation, now and then."""
        rng = self.rng
        text = sample.text
        roll = rng.random()
        if roll < 0.15:
            text = text.lower()
        elif roll < 0.2:
            text = text.upper()
        if len(text) != len(sample.text):
            return sample
        if rng.random() < 0.15:
            # Texting style: no full stops or commas outside the labelled spans.
            inside = {i for s, e, _ in sample.spans for i in range(s, e)}
            chars = [" " if c in ".," and i not in inside else c for i, c in enumerate(text)]
            text = "".join(chars)
        return Sample(text, sample.spans)

    def _sentence_tail(self) -> str:
        """The rest of a real sentence from a random word on: what may follow a name."""
        words = self.rng.choice(self.sentences).split()
        return " ".join(words[self.rng.randrange(len(words)) :])

    def fragment(self) -> Sample:
        """A clause with a name or an address inside real text, before and after."""
        rng = self.rng
        out = _Builder()
        if rng.random() < 0.4:
            out.add(rng.choice(self.sentences).strip() + rng.choice([" ", " ", "\n", ". "]))
        inner = self.render(rng.choice(self.fragments))
        at = out.length
        out.parts.append(inner.text)
        out.spans += [(s + at, e + at, label) for s, e, label in inner.spans]
        out.length += len(inner.text)
        roll = rng.random()
        if roll < 0.75:
            tail = self._sentence_tail()
            out.add(" " + (tail[:1].lower() + tail[1:] if rng.random() < 0.5 else tail))
        elif roll < 0.85:
            out.add(rng.choice([".", "!", ",", " x", " :)", "?"]))
        return out.sample()

    def glue(self, first: Sample, second: Sample) -> Sample:
        """Two samples as one text."""
        out = _Builder()
        out.parts.append(first.text)
        out.spans += list(first.spans)
        out.length = len(first.text)
        out.add(self.rng.choice([" ", " ", "\n", "  ", ". "]))
        at = out.length
        out.parts.append(second.text)
        out.spans += [(s + at, e + at, label) for s, e, label in second.spans]
        out.length += len(second.text)
        return out.sample()

    def _one(self) -> Sample:
        rng = self.rng
        roll = rng.random()
        if roll < 0.18:
            return self.render(rng.choice(self.positive))
        if roll < 0.32:
            return self.comment_with_name()
        if roll < 0.45:
            return self.fragment()
        if roll < 0.7:
            return self.render(rng.choice(self.negative))
        return self.comment_negative()

    def draw(self) -> Sample:
        """One sample: about half with a name or an address, half hard negatives."""
        sample = self._one()
        if self.rng.random() < 0.2:
            sample = self.glue(sample, self._one())
        return self.restyle(sample)


def generate(n: int, seed: int, held: bool) -> list[Sample]:
    """`n` samples, the same for the same seed."""
    gen = Generator(seed, held)
    return [gen.draw() for _ in range(n)]
