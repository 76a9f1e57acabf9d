"""The theme rules component: phrases from the taxonomy mark the words behind each theme.

A theme's `patterns` are unambiguous and give a span with kb_id "pattern"; its `cues` (words
with other senses) give kb_id "cue"; a pattern or cue inside one of its `not_patterns`
("cut my knee" for cost_fees' "cut") gives nothing. Phrases match on lemmas, except a phrase
written with a leading "=", which matches its own lower-cased words only ("=leaves" is not
"left", "=closed" is not "close": words whose lemma is shared with another sense; the lemmas
the lookup table gets plainly wrong are corrected in nlp/lemma_overrides.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import ensure_path, filter_spans

from nlp.linear import load_json, save_json
from nlp.taxonomy import Theme, load_taxonomy, theme_to_dict, themes_from_dict

SPANS_KEY = "themes"
PATTERN = "pattern"
CUE = "cue"
_NOT = "not"
# A phrase starting with this matches its exact (lower-cased) words, not their lemmas.
EXACT = "="


class ThemeRules:
    """Marks phrases of each theme as spans in doc.spans[spans_key], labelled by theme id."""

    def __init__(self, nlp: Language, name: str, spans_key: str, attr: str) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.attr = attr
        self.themes: dict[str, Theme] = {}
        self._matcher: PhraseMatcher | None = None

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        taxonomy: str | None = None,
    ) -> None:
        """Load the themes from a taxonomy file (the default taxonomy when none is given)."""
        self.set_themes(load_taxonomy(taxonomy))

    def set_themes(self, themes: dict[str, Theme]) -> None:
        """Use these themes; the matcher is rebuilt on first use."""
        self.themes = dict(themes)
        self._matcher = None

    def _pattern_doc(self, text: str) -> Doc:
        # Patterns go through the same components as the texts before us (the lemmatizer),
        # so "waiting times" as a pattern matches "Waited", "wait time"... on lemmas.
        doc = self.nlp.make_doc(text)
        for name, proc in self.nlp.pipeline:
            if name == self.name:
                break
            doc = proc(doc)
        return doc

    @property
    def matcher(self) -> PhraseMatcher:
        """The phrase matcher over every theme's phrases (on lemmas), built once."""
        if self._matcher is None:
            matcher = PhraseMatcher(self.nlp.vocab, attr=self.attr)
            for theme in self.themes.values():
                for kind, phrases in (
                    (PATTERN, theme.patterns),
                    (CUE, theme.cues),
                    (_NOT, theme.not_patterns),
                ):
                    plain = [p for p in phrases if not p.startswith(EXACT)]
                    if plain:
                        matcher.add(f"{theme.id}|{kind}", [self._pattern_doc(p) for p in plain])
                    # An exact phrase matches on lemmas too (one matcher is cheaper than two),
                    # then its words are checked: its label carries them.
                    for phrase in phrases:
                        if phrase.startswith(EXACT):
                            words = " ".join(
                                t.lower_ for t in self.nlp.make_doc(phrase[len(EXACT) :].strip())
                            )
                            label = f"{theme.id}|{kind}|{words}"
                            matcher.add(label, [self._pattern_doc(words)])
            self._matcher = matcher
        return self._matcher

    def __call__(self, doc: Doc) -> Doc:
        """Add one span per matched phrase; overlapping matches of one theme keep the longest."""
        by_theme: dict[str, list[Span]] = {}
        cancelled: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self.matcher(doc):
            theme_id, _, kind = self.nlp.vocab.strings[match_id].partition("|")
            if "|" in kind:
                kind, _, words = kind.partition("|")
                if " ".join(t.lower_ for t in doc[start:end]) != words:
                    continue
            if kind == _NOT:
                cancelled.setdefault(theme_id, []).append((start, end))
            else:
                span = Span(doc, start, end, label=theme_id, kb_id=kind)
                by_theme.setdefault(theme_id, []).append(span)
        spans = []
        for theme_id, group in by_theme.items():
            other_senses = cancelled.get(theme_id, [])
            for span in filter_spans(group):
                if not any(s < span.end and span.start < e for s, e in other_senses):
                    spans.append(span)
        spans.sort(key=lambda s: (s.start, s.end, s.label_))
        doc.spans[self.spans_key] = spans
        return doc

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the themes (and so the patterns) with the pipeline."""
        path = Path(ensure_path(path))
        path.mkdir(parents=True, exist_ok=True)
        data = {"themes": {t.id: theme_to_dict(t) for t in self.themes.values()}}
        save_json(path / "taxonomy.json", data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ThemeRules:
        """Load the themes saved with to_disk."""
        self.set_themes(themes_from_dict(load_json(ensure_path(path) / "taxonomy.json")))
        return self


@Language.factory(
    "theme_rules",
    assigns=["doc.spans"],
    requires=["token.lemma"],
    default_config={"spans_key": SPANS_KEY, "attr": "LEMMA"},
)
def make_theme_rules(nlp: Language, name: str, spans_key: str, attr: str) -> ThemeRules:
    """The theme rules component; its themes come from `initialize` or the saved pipeline."""
    return ThemeRules(nlp, name, spans_key, attr)
