"""Build and load the theme pipeline, and analyse texts into plain dataclasses."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Importing the component modules registers their factories with spaCy.
from nlp import classifier as _classifier
from nlp import kind as _kind
from nlp import lemmatizer as _lemmatizer
from nlp import themes as _themes
from nlp.taxonomy import Theme, label_mapping

CONFIG = Path(__file__).with_name("config.cfg")
DEFAULT_MODEL = Path(__file__).with_name("model")
# A rule hit alone gives a theme this score, but only for themes the model knows too little
# about (fewer than RULE_ONLY_BELOW training examples, e.g. digital or accessibility). Where
# the model has learned a theme, it decides, using the rules' words as evidence.
# A theme whose words are in the text needs this much from the model (otherwise 0.5). It
# only applies where the model's labels are the taxonomy's themes (the shipped model).
RULE_SUPPORT = 0.25
RULE_SCORE = 0.6
RULE_ONLY_BELOW = 30

__all__ = ["Analyser", "Analysis", "ThemeHit", "ThemeInfo", "build", "load"]
_ = (_classifier, _kind, _lemmatizer)


@dataclass(frozen=True)
class ThemeHit:
    """One theme found in a text, with why it was found."""

    id: str
    label: str
    score: float
    source: Literal["rule", "model", "both"]
    evidence: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Analysis:
    """What the pipeline found in one text."""

    themes: list[ThemeHit]
    kind: str
    kind_score: float
    # Every kind that applies, the main one (kind) first: mixed feedback has several.
    kinds: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ThemeInfo:
    """What a person reads about a theme."""

    id: str
    label: str
    description: str


def build(
    taxonomy: Path | str | None = None, kind_cues: Path | str | None = None, config: Path = CONFIG
) -> Language:
    """A fresh, untrained pipeline from the config (needs spacy-lookups-data for the lemmas)."""
    overrides = {
        "paths.taxonomy": str(taxonomy) if taxonomy else None,
        "paths.kind_cues": str(kind_cues) if kind_cues else None,
    }
    cfg = spacy.util.load_config(config, overrides=overrides, interpolate=False)
    nlp = spacy.util.load_model_from_config(cfg, auto_fill=True, validate=True)
    nlp.initialize()
    return nlp


class Analyser:
    """Tags texts with themes (with scores, source and evidence) and a kind."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        rules = cast(_themes.ThemeRules, nlp.get_pipe("theme_rules"))
        clf = cast(_classifier.ThemeClassifier, nlp.get_pipe("theme_classifier"))
        self.spans_key = rules.spans_key
        self.themes: dict[str, Theme] = rules.themes
        self.model_labels = list(clf.labels)
        known = set(self.model_labels)
        # Rules speak for themselves only where the model is silent or barely trained, and
        # only when the model's labels are the taxonomy's themes: a model trained on other
        # labels (e.g. the raw NHS ones) must not get themes from a different list mixed in.
        same_labels = known <= set(self.themes)
        self.rule_only = {
            t
            for t in self.themes
            if same_labels and (t not in known or clf.label_counts.get(t, 0) < RULE_ONLY_BELOW)
        }
        # Labels that are not taxonomy themes (e.g. raw NHS labels) borrow the evidence of
        # the themes they map onto.
        self.evidence_themes = {t: [t] for t in self.themes}
        for label, theme_ids in label_mapping(self.themes).items():
            if label not in self.themes:
                self.evidence_themes[label] = theme_ids
        self.taxonomy: dict[str, ThemeInfo] = {
            t.id: ThemeInfo(t.id, t.label, t.description) for t in self.themes.values()
        }
        for label in self.model_labels:
            self.taxonomy.setdefault(label, ThemeInfo(label, label, ""))

    def analyse(self, texts: Iterable[str], batch_size: int = 1000) -> list[Analysis]:
        """Analyse a batch of texts (through nlp.pipe), one Analysis per text, in order."""
        return [self._analysis(doc) for doc in self.nlp.pipe(texts, batch_size=batch_size)]

    def _analysis(self, doc: Doc) -> Analysis:
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for span in doc.spans.get(self.spans_key, []):
            spans.setdefault(span.label_, []).append((span.start_char, span.end_char, span.text))
        hits: list[ThemeHit] = []
        for label in self.model_labels:
            score = doc.cats.get(label, 0.0)
            evidence = sorted(
                {e for t in self.evidence_themes.get(label, []) for e in spans.get(t, [])}
            )
            rule_hit = label in spans
            # The words that mark a theme lower the bar the model must clear for it: "the
            # receptionist was rude" is staff attitude even when the model is unsure.
            if score >= 0.5 or (rule_hit and score >= RULE_SUPPORT):
                source: Literal["rule", "model", "both"] = "both" if rule_hit else "model"
                hits.append(ThemeHit(label, self.taxonomy[label].label, score, source, evidence))
            elif rule_hit and label in self.rule_only:
                hits.append(
                    ThemeHit(label, self.taxonomy[label].label, RULE_SCORE, "rule", evidence)
                )
        for theme_id, evidence in spans.items():
            if theme_id in self.rule_only and theme_id not in self.model_labels:
                hits.append(
                    ThemeHit(theme_id, self.taxonomy[theme_id].label, RULE_SCORE, "rule", evidence)
                )
        hits.sort(key=lambda h: (-h.score, h.id))
        scores = doc._.kind_scores or {}
        kind = doc._.kind or "complaint"
        kinds = list(doc._.kinds or [kind])
        return Analysis(
            themes=hits, kind=kind, kind_score=float(scores.get(kind, 0.0)), kinds=kinds
        )


_loaded: dict[Path, Analyser] = {}
_lock = threading.Lock()


def load(path: Path | None = None) -> Analyser:
    """Load a saved pipeline (the shipped default model when path is None), once per path."""
    path = Path(path or DEFAULT_MODEL).resolve()
    with _lock:
        if path not in _loaded:
            _loaded[path] = Analyser(spacy.load(path))
        return _loaded[path]
