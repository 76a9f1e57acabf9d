"""Tagging an item: its themes, its kind, and the personal details to redact."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot import i18n

log = logging.getLogger(__name__)

# The flag on a text the language tools could not read (`Tagger.unread`): a person reads it.
UNREAD = "unread"


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
    # What a moderator should check before publishing (a likely name, a long number; in a
    # text read as praise, why it may not be: a plea, "not great", nlp/doubts.py).
    flags: tuple[Flagged, ...] = ()
    # How sure the model was of the kind, 0 to 1 (None when it does not say).
    kind_score: float | None = None
    # Other kinds that apply beside `kind`: mixed feedback is a compliment and a complaint.
    also_kinds: tuple[str, ...] = ()
    # The language it is written in as detected ("und": unsure; None: not detected) and how
    # sure the detector was, 0 to 1.
    language: str | None = None
    language_score: float | None = None


class Analyser(Protocol):
    """What the theme pipeline offers (nlp.pipeline.Analyser)."""

    def analyse(self, texts: Sequence[str]) -> Sequence[Any]: ...

    def kinds(self, text: str) -> list[str]: ...


Redactor = Callable[[str], Any]


class Tagger:
    """Runs the theme pipeline and redaction off the event loop, one batch at a time."""

    def __init__(
        self,
        analyser: Analyser,
        redactor: Redactor,
        labels: dict[str, str],
        model: Path | None = None,
        broad: dict[str, str] | None = None,
    ) -> None:
        self.analyser = analyser
        self.redactor = redactor
        # Theme id -> label a person reads. Handlers hold this very dict: a new model
        # changes it in place.
        self.labels = labels
        # Sub-theme id -> its broad theme id (only sub-themes are in it); changed in place too.
        self.broad = broad if broad is not None else {}
        # The folder of the model in use (None: not loaded from a folder).
        self.model = model
        # The taxonomy's patterns per language, for items the model cannot read (built on
        # first need).
        self._rules: Any = None

    def swap(self, analyser: Any, model: Path) -> None:
        """Use another theme model from now on (batches already running finish on the old)."""
        labels, broad = theme_names(analyser)
        self.analyser = analyser
        self.model = model
        self.labels.update(labels)
        self.broad.clear()
        self.broad.update(broad)

    async def tag(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[Tagging]:
        """Tag texts in a worker thread, so the bot keeps answering meanwhile; `languages`:
        those each text may be written in (None: no detection)."""
        return await asyncio.to_thread(self.tag_now, list(texts), languages)

    def tag_now(self, texts: list[str], languages: Sequence[str] | None = None) -> list[Tagging]:
        """Tag texts in this thread."""
        from nlp.doubts import doubts

        analyses = self.analyser.analyse(texts) if texts else []
        tagged = []
        for text, analysis in zip(texts, analyses, strict=True):
            redaction = self.redactor(text)
            language, language_score = self._language(text, languages)
            hits = analysis.themes
            if language is not None and self._foreign(language):
                # The model reads English only: its themes of another language are noise.
                hits = self._rules_for().themes_of(text, language)
            tagged.append(
                Tagging(
                    language=language,
                    language_score=language_score,
                    themes=tuple(
                        ThemeTag(
                            hit.id,
                            hit.label,
                            round(float(hit.score), 4),
                            hit.source,
                            tuple((int(a), int(b), str(w)) for a, b, w in hit.evidence),
                        )
                        for hit in hits
                    ),
                    kind=analysis.kind,
                    kind_score=round(float(getattr(analysis, "kind_score", 0.0)), 4),
                    also_kinds=tuple(
                        k for k in getattr(analysis, "kinds", ()) if k != analysis.kind
                    ),
                    redacted_text=redaction.text,
                    redactions=tuple(
                        Redacted(s.kind, s.start, s.end, s.text, s.placeholder)
                        for s in redaction.spans
                    ),
                    flags=(
                        *(Flagged(f.kind, f.start, f.end, f.text) for f in redaction.flags),
                        *(
                            Flagged(d.kind, d.start, d.end, text[d.start : d.end])
                            for d in (doubts(text) if analysis.kind == "compliment" else ())
                        ),
                    ),
                )
            )
        return tagged

    async def unread(self, text: str, languages: Sequence[str] | None = None) -> Tagging:
        """What is stored for a text the language tools keep failing on: no themes, no kind,
        and a person asked to read the whole of it (redacted, with what redaction is unsure
        of, and its language, where those tools still work on it)."""
        return await asyncio.to_thread(self._unread, text, languages)

    def _unread(self, text: str, languages: Sequence[str] | None) -> Tagging:
        shown = text
        spans: tuple[Redacted, ...] = ()
        flags: tuple[Flagged, ...] = ()
        try:
            redaction = self.redactor(text)
            shown = str(redaction.text)
            spans = tuple(
                Redacted(s.kind, s.start, s.end, s.text, s.placeholder) for s in redaction.spans
            )
            flags = tuple(Flagged(f.kind, f.start, f.end, f.text) for f in redaction.flags)
        except Exception:
            log.exception("redacting a text the theme tools failed on failed too")
        language: tuple[str | None, float | None] = (None, None)
        try:
            language = self._language(text, languages)
        except Exception:
            log.exception("detecting the language of a text the theme tools failed on failed")
        return Tagging(
            themes=(),
            kind=None,
            redacted_text=shown,
            redactions=spans,
            # Where in the original text, as every flag: all of it.
            flags=(Flagged(UNREAD, 0, len(text), shown), *flags),
            language=language[0],
            language_score=language[1],
        )

    def reading(self, text: str, languages: Sequence[str] | None = None) -> tuple[list[str], bool]:
        """The kinds of feedback a text is, the main one first, and whether it is in a
        language the models read, or may be (of `languages`, where given; its language
        detected once, in this thread). No kinds for a text the model cannot read."""
        language, _ = self._language(text, languages)
        if language is not None and self._foreign(language):
            return [], False
        return self.analyser.kinds(text), True

    @staticmethod
    def _language(text: str, languages: Sequence[str] | None) -> tuple[str | None, float | None]:
        if languages is None:
            return None, None
        from nlp.language import detect

        return detect(text, languages)

    @staticmethod
    def _foreign(language: str) -> bool:
        from nlp.language import UNDETERMINED
        from nlp.language_themes import MODEL_LANGUAGES

        return language != UNDETERMINED and language not in MODEL_LANGUAGES

    def _rules_for(self) -> Any:
        if self._rules is None:
            from nlp.language_themes import LanguageRules

            self._rules = LanguageRules()
        return self._rules


class ThemeLabels(dict[str, str]):
    """Theme id -> label, in the language spoken now where the taxonomy has the label in it
    (`label_cy = "..."`); the model's own label otherwise."""

    def __init__(self, labels: dict[str, str], translations: dict[str, dict[str, str]]) -> None:
        super().__init__(labels)
        self.translations = translations

    def __getitem__(self, theme_id: str) -> str:
        label = super().__getitem__(theme_id)
        return self.translations.get(i18n.current(), {}).get(theme_id, label)

    def get(self, theme_id: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[theme_id] if theme_id in self else default

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(theme_id, self[theme_id]) for theme_id in self]

    def values(self) -> list[str]:  # type: ignore[override]
        return [self[theme_id] for theme_id in self]


def theme_names(analyser: Any) -> tuple[ThemeLabels, dict[str, str]]:
    """Theme id -> label (in the reader's language), and sub-theme id -> broad theme id,
    from a loaded model; the labels in other languages come from the shipped taxonomy."""
    from nlp.taxonomy import label_translations, load_taxonomy

    taxonomy = analyser.taxonomy
    labels = ThemeLabels(
        {theme_id: info.label for theme_id, info in taxonomy.items()},
        label_translations(load_taxonomy()),
    )
    broad = {
        theme_id: str(info.broad)
        for theme_id, info in taxonomy.items()
        if getattr(info, "broad", None) and info.broad != theme_id
    }
    return labels, broad


def load_tagger(models: Path | None = None) -> Tagger:
    """The theme model and the redactor, loaded once at start: the deployment's own model
    (the one `nlp retrain` promoted under `models`) when there is one, else the shipped one."""
    from nlp.pipeline import DEFAULT_MODEL, load
    from nlp.redact import redact
    from nlp.retrain import ModelStore, in_use

    path = DEFAULT_MODEL
    try:
        if models is not None:
            path = in_use(ModelStore(models))
        analyser = load(path)
    except (OSError, ValueError) as exc:
        # A deployment model that cannot be read must not keep the bot down.
        log.error("model %s cannot be loaded (%s); tagging with the shipped one", path, exc)
        path = DEFAULT_MODEL
        analyser = load(path)
    labels, broad = theme_names(analyser)
    return Tagger(analyser, redact, labels, path, broad)
