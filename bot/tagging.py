"""Tagging an item: its themes, its kind, and the personal details to redact."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ThemeTag:
    """One theme of an item and why it was given."""

    id: str
    label: str
    score: float
    source: str
    evidence: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Redacted:
    """One personal detail found: what kind, where in the original text, its placeholder."""

    kind: str
    start: int
    end: int
    text: str
    placeholder: str


@dataclass(frozen=True)
class Flagged:
    """Something redaction left in the text for a person to check: what it may be, where
    in the original text, and the text itself."""

    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Tagging:
    """Everything the language tools made of one text."""

    themes: tuple[ThemeTag, ...]
    kind: str | None
    redacted_text: str
    redactions: tuple[Redacted, ...]
    # What a moderator should check before publishing (a likely name, a long number).
    flags: tuple[Flagged, ...] = ()


class Analyser(Protocol):
    """What the theme pipeline offers (nlp.pipeline.Analyser)."""

    def analyse(self, texts: Sequence[str]) -> Sequence[Any]: ...


Redactor = Callable[[str], Any]


class Tagger:
    """Runs the theme pipeline and redaction off the event loop, one batch at a time."""

    def __init__(self, analyser: Analyser, redactor: Redactor, labels: dict[str, str]) -> None:
        self.analyser = analyser
        self.redactor = redactor
        # Theme id -> label a person reads.
        self.labels = labels

    async def tag(self, texts: Sequence[str]) -> list[Tagging]:
        """Tag texts in a worker thread, so the bot keeps answering meanwhile."""
        return await asyncio.to_thread(self.tag_now, list(texts))

    def tag_now(self, texts: list[str]) -> list[Tagging]:
        """Tag texts in this thread."""
        analyses = self.analyser.analyse(texts) if texts else []
        tagged = []
        for text, analysis in zip(texts, analyses, strict=True):
            redaction = self.redactor(text)
            tagged.append(
                Tagging(
                    themes=tuple(
                        ThemeTag(
                            hit.id,
                            hit.label,
                            round(float(hit.score), 4),
                            hit.source,
                            tuple((int(a), int(b), str(w)) for a, b, w in hit.evidence),
                        )
                        for hit in analysis.themes
                    ),
                    kind=analysis.kind,
                    redacted_text=redaction.text,
                    redactions=tuple(
                        Redacted(s.kind, s.start, s.end, s.text, s.placeholder)
                        for s in redaction.spans
                    ),
                    flags=tuple(Flagged(f.kind, f.start, f.end, f.text) for f in redaction.flags),
                )
            )
        return tagged


def load_tagger() -> Tagger:
    """The shipped theme model and the redactor, loaded once at start."""
    from nlp.pipeline import load
    from nlp.redact import redact

    analyser = load()
    labels = {theme_id: info.label for theme_id, info in analyser.taxonomy.items()}
    return Tagger(analyser, redact, labels)
