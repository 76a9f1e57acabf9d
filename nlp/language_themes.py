"""Themes of items written in a language the theme model does not know.

The model is trained on English. For an item in another language, themes come from the
taxonomy's patterns for that language (`patterns_cy = [...]`), matched on lower-cased words
after spaCy's blank tokeniser for the language (the multi-language one, "xx", where spaCy has
none, as for Welsh), and from the moderator on the card.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.util import filter_spans

from nlp.affixes import calm
from nlp.taxonomy import Theme, load_taxonomy

# The languages the shipped theme model was trained on.
MODEL_LANGUAGES = frozenset({"en"})
# Where a pattern found a theme, a sure score (a person still checks it on the card).
SCORE = 1.0


@dataclass(frozen=True)
class Hit:
    """A theme found by a pattern: its id, label, score, where and why."""

    id: str
    label: str
    score: float
    source: str
    evidence: tuple[tuple[int, int, str], ...]


def blank(language: str) -> Language:
    """spaCy's blank pipeline for `language`, or the multi-language one where it has none."""
    try:
        return calm(spacy.blank(language))
    except ImportError:
        return calm(spacy.blank("xx"))


class LanguageRules:
    """The taxonomy's per-language patterns, one tokeniser and matcher per language."""

    def __init__(self, themes: dict[str, Theme] | None = None, path: Path | None = None) -> None:
        self.themes = themes if themes is not None else load_taxonomy(path)
        self._lock = threading.Lock()
        self._built: dict[str, tuple[Language, PhraseMatcher] | None] = {}

    def languages(self) -> set[str]:
        """The languages some theme has patterns for."""
        return {lang for theme in self.themes.values() for lang, _ in theme.patterns_in}

    def _matcher(self, language: str) -> tuple[Language, PhraseMatcher] | None:
        with self._lock:
            if language not in self._built:
                found = None
                pairs = [(t, t.patterns_for(language)) for t in self.themes.values()]
                if any(phrases for _, phrases in pairs):
                    nlp = blank(language)
                    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
                    for theme, phrases in pairs:
                        if phrases:
                            matcher.add(theme.id, [nlp.make_doc(p) for p in phrases])
                    found = (nlp, matcher)
                self._built[language] = found
            return self._built[language]

    def themes_of(self, text: str, language: str) -> list[Hit]:
        """The themes the patterns for `language` find in `text` (a sub-theme brings its
        broad theme), in taxonomy order; [] when the taxonomy has none for it."""
        built = self._matcher(language)
        if built is None:
            return []
        nlp, matcher = built
        doc = nlp.make_doc(text)
        spans = filter_spans(matcher(doc, as_spans=True))
        evidence: dict[str, list[tuple[int, int, str]]] = {}
        for span in spans:
            evidence.setdefault(span.label_, []).append((span.start_char, span.end_char, span.text))
        for theme_id in list(evidence):
            broad = self.themes[theme_id].broad
            if broad:
                evidence.setdefault(broad, [])
        return [
            Hit(theme.id, theme.label, SCORE, "pattern", tuple(evidence[theme.id]))
            for theme in self.themes.values()
            if theme.id in evidence
        ]
