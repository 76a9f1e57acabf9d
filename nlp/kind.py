"""The kind of feedback: complaint, compliment, suggestion or question."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.util import ensure_path, minibatch

from nlp.linear import FeatureSpace, load_arrays, load_json, save_arrays, save_json, sigmoid

KINDS = ("complaint", "compliment", "suggestion", "question")
DEFAULT_CUES = Path(__file__).with_name("kinds.toml")
POLARITY_FEATURES: list[dict[str, Any]] = [
    {"view": "lemmas", "analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True},
]
_SENTENCE_END = {".", "!", "?", "\n", ";", ":"}

if not Doc.has_extension("kind"):
    Doc.set_extension("kind", default=None)
    Doc.set_extension("kind_scores", default=None)


def load_cues(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """Read the cue phrases of the kinds found by rules (questions and suggestions)."""
    with Path(path or DEFAULT_CUES).open("rb") as f:
        data = tomllib.load(f)["kinds"]
    for kind, entry in data.items():
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} in cues")
        entry.setdefault("patterns", [])
        entry.setdefault("openers", [])
        entry["score"] = float(entry["score"])
    return data


class FeedbackKind:
    """Sets doc._.kind and doc._.kind_scores (a score per kind)."""

    def __init__(self, nlp: Language, name: str, batch_size: int) -> None:
        self.nlp = nlp
        self.name = name
        self.batch_size = batch_size
        self.cues: dict[str, dict[str, Any]] = {}
        self.features: FeatureSpace | None = None
        self.coef = np.zeros(0, np.float32)
        self.intercept = 0.0
        self._matchers: dict[str, tuple[PhraseMatcher, PhraseMatcher]] | None = None

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        cues: str | None = None,
    ) -> None:
        """Load the cue phrases (the default kinds.toml when none is given)."""
        self.set_cues(load_cues(cues))

    def set_cues(self, cues: dict[str, dict[str, Any]]) -> None:
        """Use these cues; matchers are rebuilt on first use."""
        self.cues = cues
        self._matchers = None

    @property
    def matchers(self) -> dict[str, tuple[PhraseMatcher, PhraseMatcher]]:
        """Per kind, a matcher for patterns and one for sentence openers."""
        if self._matchers is None:
            self._matchers = {}
            for kind, entry in self.cues.items():
                pair = []
                for key in ("patterns", "openers"):
                    matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
                    if entry[key]:
                        matcher.add(kind, [self.nlp.make_doc(p) for p in entry[key]])
                    pair.append(matcher)
                self._matchers[kind] = (pair[0], pair[1])
        return self._matchers

    def cue_starts(self, doc: Doc, kind: str) -> set[int]:
        """Token positions where a cue of this kind starts."""
        patterns, openers = self.matchers[kind]
        starts = {start for _, start, _ in patterns(doc)}
        for _, start, _ in openers(doc):
            # An opener counts at the start of the text or after a sentence end.
            prev = doc[start - 1] if start > 0 else None
            if prev is None or prev.text in _SENTENCE_END or prev.is_space:
                starts.add(start)
        return starts

    def fit(self, views: list[dict[str, str]], positive: list[bool], seed: int = 0) -> None:
        """Learn complaint (False) against compliment (True) from labelled texts."""
        from sklearn.linear_model import LogisticRegression  # only needed to train

        space = FeatureSpace.create(POLARITY_FEATURES)
        X = space.fit_transform(views)
        model = LogisticRegression(C=3.0, class_weight="balanced", max_iter=2000)
        model.fit(X, np.asarray(positive, dtype=int))
        self.features = space
        self.coef = model.coef_[0].astype(np.float32)
        self.intercept = float(model.intercept_[0])

    def polarity(self, views: list[dict[str, str]]) -> np.ndarray:
        """Probability that each text is a compliment rather than a complaint."""
        if self.features is None:
            return np.full(len(views), 0.5)
        X = self.features.transform(views)
        return sigmoid(np.asarray(X @ self.coef) + self.intercept)

    def __call__(self, doc: Doc) -> Doc:
        """Set the kind of one doc."""
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Set the kind of docs, batched so the polarity model vectorises many at once."""
        from nlp.classifier import doc_views

        for batch in minibatch(docs, size=batch_size or self.batch_size):
            compliment = self.polarity([doc_views(d) for d in batch])
            for doc, p in zip(batch, compliment, strict=True):
                scores = {"complaint": float(1 - p), "compliment": float(p)}
                scores.update(self.rule_scores(doc))
                doc._.kind_scores = scores
                doc._.kind = self.decide(scores)
                yield doc

    def rule_scores(self, doc: Doc) -> dict[str, float]:
        """Scores of the kinds found by cues: their cue score when a cue is present, else 0."""
        suggestion = self.cue_starts(doc, "suggestion") if "suggestion" in self.cues else set()
        question = self.cue_starts(doc, "question") if "question" in self.cues else set()
        # "Why not open on Sundays?" is a suggestion: where both start at one word, the
        # longer, more specific suggestion cue wins.
        question -= suggestion
        out = {"suggestion": 0.0, "question": 0.0}
        if suggestion:
            out["suggestion"] = self.cues["suggestion"]["score"]
        # A question mark alone makes a question, unless a suggestion cue says otherwise.
        ends_with_mark = doc.text.rstrip().endswith("?") and not suggestion
        if question or (ends_with_mark and "question" in self.cues):
            out["question"] = self.cues["question"]["score"]
        return out

    @staticmethod
    def decide(scores: dict[str, float]) -> str:
        """A cue-found kind wins when present (questions first); else complaint or compliment."""
        for kind in ("question", "suggestion"):
            if scores.get(kind, 0.0) >= 0.5:
                return kind
        return "compliment" if scores["compliment"] >= 0.5 else "complaint"

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the cues and the polarity model."""
        path = Path(ensure_path(path))
        path.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {"cues": self.cues, "intercept": self.intercept}
        if self.features is not None:
            data["features"] = self.features.to_dict()
            save_arrays(path / "weights.npz", coef=self.coef.astype(np.float16))
        save_json(path / "kind.json", data)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> FeedbackKind:
        """Load what to_disk saved."""
        path = Path(ensure_path(path))
        data = load_json(path / "kind.json")
        self.set_cues(data["cues"])
        self.intercept = float(data["intercept"])
        if "features" in data:
            self.features = FeatureSpace.from_dict(data["features"])
            self.coef = load_arrays(path / "weights.npz")["coef"].astype(np.float32)
        return self


@Language.factory(
    "feedback_kind",
    assigns=["doc._.kind", "doc._.kind_scores"],
    default_config={"batch_size": 1000},
)
def make_feedback_kind(nlp: Language, name: str, batch_size: int) -> FeedbackKind:
    """The kind classifier; its polarity model is fitted by nlp.train."""
    return FeedbackKind(nlp, name, batch_size)
