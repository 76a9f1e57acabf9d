"""Build and load the theme pipeline, and analyse texts into plain dataclasses."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import spacy
from spacy.attrs import IS_ALPHA
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

# Importing the component modules registers their factories with spaCy.
from nlp import classifier as _classifier
from nlp import kind as _kind
from nlp import lemmatizer as _lemmatizer
from nlp import themes as _themes
from nlp.affixes import calm
from nlp.taxonomy import Theme, label_mapping

CONFIG = Path(__file__).with_name("config.cfg")
DEFAULT_MODEL = Path(__file__).with_name("model")
# Where the model has learned a theme, it decides, and the taxonomy's words lower its bar:
# an unambiguous pattern to PATTERN_SUPPORT, an ambiguous cue ("late", "fine") to CUE_SUPPORT
# (otherwise 0.5). This applies only where the model's labels are the taxonomy's themes.
PATTERN_SUPPORT = 0.15
CUE_SUPPORT = 0.4
# A pattern alone gives RULE_SCORE, but only for themes the model knows too little about
# (fewer than RULE_ONLY_BELOW training examples) and for sub-themes, which are found from
# unambiguous phrases only and imply their broad theme.
RULE_SCORE = 0.6
RULE_ONLY_BELOW = 30
# A text with no theme past its bar gets the model's best theme if it scores this much:
# most feedback is about something, and a digest has no place for "no theme".
FALLBACK_FLOOR = 0.03
# ...and its sub-themes' cues count only where the model gives that guess at least this
# much: a faint guess brings no sub-theme by a bare "bus" ("a book about the history of our
# bus routes": organisation at 0.16), a likely one does ("our wheelie bin never got emptied":
# organisation at 0.45, missed collections by "wheelie bin").
GUESS_SUPPORT = 0.3
# The kind's score of a text with nothing in it: an even guess.
UNSAID_KIND_SCORE = 0.5
# Kept for code that imported the old name.
RULE_SUPPORT = PATTERN_SUPPORT

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
    # For a sub-theme, the broad theme (one of the 15 top-level keys) it belongs to.
    broad: str | None = None


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
    broad: str | None = None


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
        self.same_labels = known <= set(self.themes)
        self.rule_only = {
            t
            for t in self.themes
            if self.same_labels and (t not in known or clf.label_counts.get(t, 0) < RULE_ONLY_BELOW)
        }
        # Labels that are not taxonomy themes (e.g. raw NHS labels) borrow the evidence of
        # the themes they map onto.
        self.evidence_themes = {t: [t] for t in self.themes}
        for label, theme_ids in label_mapping(self.themes).items():
            if label not in self.themes:
                self.evidence_themes[label] = theme_ids
        self.taxonomy: dict[str, ThemeInfo] = {
            t.id: ThemeInfo(t.id, t.label, t.description, t.broad) for t in self.themes.values()
        }
        for label in self.model_labels:
            self.taxonomy.setdefault(label, ThemeInfo(label, label, ""))
        self.pattern_support = PATTERN_SUPPORT
        self.cue_support = CUE_SUPPORT
        self.fallback_floor = FALLBACK_FLOOR

    def analyse(self, texts: Iterable[str], batch_size: int = 1000) -> list[Analysis]:
        """Analyse a batch of texts (through nlp.pipe), one Analysis per text, in order."""
        return [self._analysis(doc) for doc in self.nlp.pipe(texts, batch_size=batch_size)]

    def kinds(self, text: str) -> list[str]:
        """The kinds of feedback of one text, the main one first, as `analyse` gives them
        but without the theme model (a quarter of the cost: "me too" asks for each text)."""
        doc = self.nlp.make_doc(text)
        # Each component by hand, not select_pipes: that changes the pipeline for every
        # thread tagging meanwhile.
        for name, component in self.nlp.pipeline:
            if name != "theme_classifier":
                doc = component(doc)
        return _kinds_of(doc._)[1]

    def _hit(
        self,
        theme_id: str,
        score: float,
        source: Literal["rule", "model", "both"],
        ev: list[tuple[int, int, str]],
    ) -> ThemeHit:
        info = self.taxonomy[theme_id]
        return ThemeHit(theme_id, info.label, score, source, ev, info.broad)

    def _analysis(self, doc: Doc) -> Analysis:
        ext = doc._  # each doc._ makes an object: once per doc
        scores = ext.kind_scores or {}
        kind, kinds = _kinds_of(ext)
        kind_score = float(scores.get(kind, 0.0))
        # A text with no words (empty, only digits, punctuation or emoji) names no theme.
        if not len(doc) or not doc.to_array(IS_ALPHA).any():
            if not any(ch.isalpha() or unicodedata.category(ch) == "So" for ch in doc.text):
                # Nothing said in words or emoji (a blank line, dots, a number): the kind
                # is a guess, and the moderators' card must show it as one.
                kind_score = min(kind_score, UNSAID_KIND_SCORE)
            return Analysis(themes=[], kind=kind, kind_score=kind_score, kinds=kinds)
        evidence: dict[str, list[tuple[int, int, str]]] = {}
        patterns: set[str] = set()
        for span in doc.spans.get(self.spans_key, []):
            evidence.setdefault(span.label_, []).append((span.start_char, span.end_char, span.text))
            if span.kb_id_ != _themes.CUE:
                patterns.add(span.label_)
        hits: dict[str, ThemeHit] = {}
        for label in self.model_labels:
            score = doc.cats.get(label, 0.0)
            own = self.evidence_themes.get(label, [])
            ev = sorted({e for t in own for e in evidence.get(t, [])}) if evidence else []
            has_pattern = self.same_labels and label in patterns
            has_cue = self.same_labels and label in evidence
            # "the receptionist was rude" is staff attitude even when the model is unsure;
            # "late" needs more from the model, as it is also "the late bus" or "my late husband".
            if score >= 0.5 or (has_pattern and score >= self.pattern_support):
                hits[label] = self._hit(label, score, "both" if has_cue else "model", ev)
            elif has_cue and score >= self.cue_support:
                hits[label] = self._hit(label, score, "both", ev)
            elif has_pattern and label in self.rule_only:
                hits[label] = self._hit(label, RULE_SCORE, "rule", ev)
        self._add_rule_themes(hits, evidence, patterns)
        for hit in list(hits.values()):
            if hit.broad and hit.broad not in hits:
                if self._broad_unlikely(hit.broad, doc):
                    del hits[hit.id]
                    continue
                # A sub-theme implies its broad theme, with the same words as evidence.
                hits[hit.broad] = self._hit(hit.broad, hit.score, "rule", hit.evidence)
        specific = [t for t in hits if not self._only_alone(t)]
        if specific:
            for theme_id in [t for t in hits if self._only_alone(t)]:
                del hits[theme_id]
        if not hits and self.same_labels:
            best = max(self.model_labels, key=lambda lab: doc.cats.get(lab, 0.0))
            score = doc.cats.get(best, 0.0)
            if score >= self.fallback_floor:
                hits[best] = self._hit(best, score, "model", evidence.get(best, []))
                # Its sub-themes' cues count now it is found, if the guess is not faint.
                if score >= GUESS_SUPPORT:
                    self._add_rule_themes(hits, evidence, set(), broad=best)
        ordered = sorted(hits.values(), key=lambda h: (-h.score, h.id))
        return Analysis(themes=ordered, kind=kind, kind_score=kind_score, kinds=kinds)

    def _add_rule_themes(
        self,
        hits: dict[str, ThemeHit],
        evidence: dict[str, list[tuple[int, int, str]]],
        patterns: set[str],
        broad: str | None = None,
    ) -> None:
        """Add the rule-only themes the text's phrases give: on a pattern, or on a cue once
        the theme's broad theme is found ("late" under bus reliability needs organisation);
        with `broad`, only that theme's sub-themes."""
        for theme_id in evidence.keys() - hits.keys():
            theme = self.themes.get(theme_id)
            if theme is None or theme_id in self.model_labels or theme_id not in self.rule_only:
                continue
            if broad is not None and theme.broad != broad:
                continue
            if theme_id in patterns or (theme.broad is not None and theme.broad in hits):
                hits[theme_id] = self._hit(theme_id, RULE_SCORE, "rule", evidence[theme_id])

    def _broad_unlikely(self, broad: str, doc: Doc) -> bool:
        """Whether the model, having learned a broad theme, scores it below the bar a pattern
        of its own would need: a sub-theme's phrase there is mentioned in passing ("rang
        about a missed bin, on hold for an hour" is about getting through)."""
        return (
            self.same_labels
            and broad in self.model_labels
            and broad not in self.rule_only
            and doc.cats.get(broad, 0.0) < self.pattern_support
        )

    def _only_alone(self, theme_id: str) -> bool:
        theme = self.themes.get(theme_id)
        return theme is not None and theme.only_alone


_loaded: dict[Path, Analyser] = {}
_lock = threading.Lock()


def _kinds_of(ext: Any) -> tuple[str, list[str]]:
    """A doc's main kind and every kind that applies, the main one first (from `doc._`)."""
    kind = ext.kind or "complaint"
    return kind, list(ext.kinds or [kind])


def load(path: Path | None = None, *, keep: bool = True) -> Analyser:
    """Load a saved pipeline (the shipped default model when path is None), once per path;
    keep=False loads it afresh and keeps no reference (a model swapped in while the bot runs
    must be freed once it is swapped out again)."""
    path = Path(path or DEFAULT_MODEL).resolve()
    if not keep:
        return Analyser(_load_nlp(path))
    with _lock:
        if path not in _loaded:
            _loaded[path] = Analyser(_load_nlp(path))
        return _loaded[path]


def _load_nlp(path: Path) -> Language:
    """spacy.load(path), reading the saved tokenizer only when it differs from the one the
    config builds: making its 2,700 special cases twice is a fifth of the load."""
    nlp = spacy.load(path, exclude=["tokenizer"])
    saved = path / "tokenizer"
    tokenizer = cast(Tokenizer, nlp.tokenizer)
    if saved.exists() and saved.read_bytes() != tokenizer.to_bytes(exclude=["vocab"]):
        tokenizer.from_disk(saved, exclude=["vocab"])
    return calm(nlp)
