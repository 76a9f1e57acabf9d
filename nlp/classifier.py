"""The learned multi-label theme classifier: linear models over lemma and character n-grams."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from spacy.attrs import LEMMA, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import ensure_path, minibatch

from nlp.linear import FeatureSpace, load_arrays, load_json, save_arrays, save_json, sigmoid
from nlp.themes import SPANS_KEY

_VIEWS_KEY = "yousaid_views"
_SENTENCES_KEY = "yousaid_sentence_views"

# Word n-grams on lemmas generalise over inflections; character n-grams on the lower-cased
# text catch misspellings and compounds, which matter in short, informal feedback. Plain
# "char" n-grams also span word boundaries ("no one", "to wait"): better than "char_wb" in
# cross-validation on the NHS file.
DEFAULT_FEATURES: list[dict[str, Any]] = [
    {"view": "lemmas", "analyzer": "word", "ngram_range": [1, 2], "sublinear_tf": True},
    {"view": "text", "analyzer": "char", "ngram_range": [2, 5], "sublinear_tf": True},
]

# Class-balanced linear SVM over naive-Bayes-scaled features (NBSVM): ahead of a plain SVM,
# logistic regression, stacking and SVM ensembles in cross-validation on the NHS file (see
# nlp.compare); "scale" turns its margins into (0, 1) scores via a sigmoid. A class-balanced
# ridge classifier on the plain features, at a quarter of the mix ("weight"), errs where the
# NBSVM does not (its squared loss weighs every example, not only those near the margin): it
# lifted the mean gain over the TF-IDF baseline (python -m nlp.compare, seeds 0-7) from
# +0.0272/+0.0781 to +0.0307/+0.0829 micro/macro F1; LR, NB-LR or SGD in its place, or a
# half share, gained less.
DEFAULT_MODELS: list[dict[str, Any]] = [
    {"type": "svm", "C": 0.1, "scale": 4.0, "nb": True, "weight": 0.75},
    {"type": "ridge", "C": 1.0, "scale": 4.0, "weight": 0.25},
]


# A token that ends a sentence: a run of stops, question or exclamation marks, or a line break.
_SENTENCE_END = re.compile(r"[.!?]+|\s*\n\s*")
# Joins the sentences of a view (kept under SENTENCES + view name); texts do not contain it.
SENTENCE_SEPARATOR = "\x1e"
SENTENCES = "sentences:"


def doc_views(doc: Doc, spans_key: str = SPANS_KEY, sentences: bool = False) -> dict[str, str]:
    """The views of a doc the feature space reads: lemmas, lower-cased text, rule hits, and
    with sentences, the lemmas and text of each sentence when there are several."""
    # Computed once per doc and kept: the classifier and the kind component both read them,
    # and building strings from tokens is a large share of the time per doc.
    cached = doc.user_data.get(_VIEWS_KEY)
    if cached is not None and (not sentences or doc.user_data.get(_SENTENCES_KEY)):
        return cached
    strings = doc.vocab.strings
    # One array for both views: Token objects (and doc.text, which makes one per token) are
    # slow. The text is each token's text and its trailing space, as doc.text joins them.
    arr = doc.to_array([LEMMA, ORTH, SPACY]).tolist() if len(doc) else []
    # Whitespace tokens vanish when the vectorizer splits on whitespace.
    lemmas = " ".join([strings[lemma] for lemma, _, _ in arr])
    text = "".join([strings[orth] + " " if space else strings[orth] for _, orth, space in arr])
    rules = (
        sorted({f"rule_{s.label_}" for s in doc.spans[spans_key]}) if spans_key in doc.spans else []
    )
    views = {"lemmas": lemmas, "text": text.lower(), "rules": " ".join(rules)}
    if sentences:
        # Only asked for when sentences are scored: splitting costs every doc time.
        views.update(_sentence_views(arr, strings))
        doc.user_data[_SENTENCES_KEY] = True
    doc.user_data[_VIEWS_KEY] = views
    return views


def _sentence_views(arr: list[list[int]], strings: Any) -> dict[str, str]:
    """The lemmas and lower-cased text of each sentence, joined by SENTENCE_SEPARATOR; none
    for a text of one sentence."""
    orths = [strings[orth] for _, orth, _ in arr]
    ends = [bool(_SENTENCE_END.fullmatch(orth)) for orth in orths]
    # A run of end tokens ("!", "!") ends one sentence, after its last.
    cuts = [i + 1 for i in range(len(orths) - 1) if ends[i] and not ends[i + 1]]
    if not cuts:
        return {}
    lemmas, texts = [], []
    for start, end in zip([0, *cuts], [*cuts, len(arr)], strict=True):
        if all(not orths[i].strip() for i in range(start, end)):
            continue
        lemmas.append(" ".join([strings[lemma] for lemma, _, _ in arr[start:end]]).strip())
        text = "".join([orths[i] + " " if arr[i][2] else orths[i] for i in range(start, end)])
        texts.append(text.strip())
    if len(lemmas) < 2:
        return {}
    return {
        SENTENCES + "lemmas": SENTENCE_SEPARATOR.join(lemmas),
        SENTENCES + "text": SENTENCE_SEPARATOR.join(texts).lower(),
    }


def sentence_rows(
    views: list[dict[str, str]], keys: list[str]
) -> tuple[list[int], list[dict[str, str]]]:
    """The views of every sentence of texts with several (keys of the feature space), and
    the text each belongs to."""
    owners: list[int] = []
    rows: list[dict[str, str]] = []
    for n, view in enumerate(views):
        parts = {k: view.get(SENTENCES + k, "").split(SENTENCE_SEPARATOR) for k in keys}
        counts = {len(p) for p in parts.values()}
        # Sentences of every view the features read, or the text counts as one sentence.
        if len(counts) != 1 or (count := counts.pop()) < 2:
            continue
        owners.extend([n] * count)
        rows.extend({k: parts[k][i] for k in keys} for i in range(count))
    return owners, rows


def pooled_scores(
    features: FeatureSpace,
    weights: list[tuple[np.ndarray, np.ndarray, float]],
    views: list[dict[str, str]],
    sentence_weight: float,
    shares: list[float] | None = None,
) -> np.ndarray:
    """Ensemble scores of texts, mixed with their best sentence's score by sentence_weight."""
    # A theme is often raised in one sentence of several: scored on the whole text its words
    # are diluted by the others (rows are l2-normalised), scored alone they are not.
    scores = ensemble_scores(features.transform(views), weights, shares)
    if sentence_weight <= 0:
        return scores
    owners, rows = sentence_rows(views, sorted(set(features.views)))
    if not rows:
        return scores
    # Rows come text by text: the best sentence of each text is one reduceat.
    owner = np.asarray(owners)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    sentences = ensemble_scores(features.transform(rows), weights, shares)
    best = scores.copy()
    texts = owner[starts]
    best[texts] = np.maximum(scores[texts], np.maximum.reduceat(sentences, starts, axis=0))
    return (1 - sentence_weight) * scores + sentence_weight * best


def logit(scores: np.ndarray) -> np.ndarray:
    """The log-odds of scores in (0, 1), clipped away from infinity."""
    p = np.clip(scores, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def stacked_scores(
    scores: np.ndarray, stack: tuple[np.ndarray, np.ndarray] | None, weight: float
) -> np.ndarray:
    """Scores mixed with a second stage that reads every label's first-stage log-odds."""
    # Themes co-occur (waiting with communication, staff with care): a label's score is
    # corrected by what the others say, at the cost of one (labels x labels) product.
    if stack is None or weight <= 0:
        return scores
    coef, intercept = stack
    return (1 - weight) * scores + weight * sigmoid(logit(scores) @ coef.T + intercept)


def no_pairs(thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair thresholds that change nothing: no label has a partner."""
    return np.full(len(thresholds), -1, dtype=np.int32), thresholds.copy(), thresholds.copy()


def decision_thresholds(
    scores: np.ndarray,
    thresholds: np.ndarray,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Each text's threshold per label: a label with a partner takes its higher or lower one
    as its partner is predicted (at the partner's own threshold) or not."""
    partners, on, off = pairs
    ruled = np.flatnonzero(partners >= 0)
    if not ruled.size:
        return thresholds
    out = np.repeat(thresholds[None, :], len(scores), axis=0)
    partner = partners[ruled]
    out[:, ruled] = np.where(scores[:, partner] >= thresholds[partner], on[ruled], off[ruled])
    return out


def calibrate(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Rescale scores piecewise-linearly so each label's threshold lands on 0.5."""
    # One reading for every label and every model: a score of 0.5 or more means "yes".
    t = np.clip(thresholds, 1e-6, 1 - 1e-6)
    low = 0.5 * scores / t
    high = 0.5 + 0.5 * (scores - t) / (1 - t)
    return np.where(scores < t, low, high)


class ThemeClassifier:
    """Writes a score per theme label into doc.cats; 0.5 or more means the theme applies."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        features: list[dict[str, Any]],
        models: list[dict[str, Any]],
        threshold_folds: int,
        micro_weight: float,
        tune_below: int,
        batch_size: int,
        frequent_weight: float | None = None,
        sentence_weight: float = 0.0,
        pair_thresholds: bool = False,
        stack_weight: float = 0.0,
        threshold_smoothing: int = 0,
    ) -> None:
        self.nlp = nlp
        self.name = name
        self.feature_spec = features
        self.model_spec = models
        self.threshold_folds = threshold_folds
        self.micro_weight = micro_weight
        self.tune_below = tune_below
        # Labels with tune_below examples or more share one threshold, tuned out-of-fold for
        # frequent_weight * micro + (1 - it) * macro F1; None keeps them at 0.5.
        self.frequent_weight = frequent_weight
        # Scores are (1 - it) * the text's + it * the larger of the text's and its best
        # sentence's (see pooled_scores).
        self.sentence_weight = sentence_weight
        # Whether a label's threshold may depend on whether its partner label is predicted
        # (see nlp.learn.tune_pair_thresholds).
        self.pair_thresholds = pair_thresholds
        # Final scores are (1 - it) * the first stage's + it * the second stage's, which
        # reads every label's first-stage log-odds (see nlp.learn.fit_stack); 0: no stacking.
        self.stack_weight = stack_weight
        # Each label's threshold maximises its objective averaged over this many grid steps
        # (0.01) either side (see nlp.learn.tune_thresholds); 0: the raw objective.
        self.threshold_smoothing = threshold_smoothing
        self.batch_size = batch_size
        self.labels: list[str] = []
        self.features: FeatureSpace | None = None
        self.weights: list[tuple[np.ndarray, np.ndarray, float]] = []
        # Each model's share of the ensemble's mean (see model_shares).
        self.shares = model_shares(models)
        self.thresholds = np.zeros(0)
        self.pairs = no_pairs(self.thresholds)
        self.label_counts: dict[str, int] = {}
        self.stack: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def is_trained(self) -> bool:
        """Whether fit (or from_disk) has given the classifier weights."""
        return self.features is not None and bool(self.labels)

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Any = None
    ) -> None:
        """Nothing to set up: the weights come from `fit` (see nlp.train)."""

    def raw_scores(self, views: list[dict[str, str]]) -> np.ndarray:
        """Uncalibrated scores (texts x labels) of the ensemble."""
        assert self.features is not None
        scores = pooled_scores(
            self.features, self.weights, views, self.sentence_weight, self.shares
        )
        return stacked_scores(scores, self.stack, self.stack_weight)

    def predict(self, views: list[dict[str, str]]) -> np.ndarray:
        """Calibrated scores (texts x labels): 0.5 or more means the label applies."""
        scores = self.raw_scores(views)
        return calibrate(scores, decision_thresholds(scores, self.thresholds, self.pairs))

    def __call__(self, doc: Doc) -> Doc:
        """Score one doc."""
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        """Score docs in batches: vectorising many texts at once is much faster."""
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            if not self.is_trained:
                yield from batch
                continue
            sentences = self.sentence_weight > 0
            scores = self.predict([doc_views(d, sentences=sentences) for d in batch])
            for doc, row in zip(batch, scores, strict=True):
                doc.cats.update(zip(self.labels, row.tolist(), strict=True))
                yield doc

    def fit(
        self,
        views: list[dict[str, str]],
        labels: list[list[str]],
        *,
        seed: int = 0,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Learn weights and per-label thresholds (tuned out-of-fold) from texts and labels."""
        from nlp.learn import fit_classifier  # scikit-learn fitting is only needed to train

        fitted = fit_classifier(self, views, labels, seed=seed, progress=progress)
        self.labels, self.features, self.weights, self.thresholds, self.pairs = fitted[:5]
        self.label_counts, self.stack = fitted[5], fitted[6]
        self.shares = model_shares(self.model_spec)

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save the feature space, the weights and the thresholds."""
        path = Path(ensure_path(path))
        path.mkdir(parents=True, exist_ok=True)
        if not self.is_trained:
            return
        assert self.features is not None
        save_json(
            path / "model.json",
            {
                "labels": self.labels,
                "label_counts": self.label_counts,
                "scales": [scale for _, _, scale in self.weights],
                "shares": self.shares,
                "stack_weight": self.stack_weight if self.stack is not None else 0.0,
                "features": self.features.to_dict(),
            },
        )
        partners, on, off = self.pairs
        arrays = {
            "thresholds": self.thresholds,
            "partners": partners,
            "thresholds_partner_on": on,
            "thresholds_partner_off": off,
        }
        for i, (coef, intercept, _) in enumerate(self.weights):
            # float16 keeps the shipped model small; scores move by well under 1e-3.
            arrays[f"coef_{i}"] = coef.astype(np.float16)
            arrays[f"intercept_{i}"] = intercept
        if self.stack is not None:
            arrays["stack_coef"], arrays["stack_intercept"] = self.stack
        save_arrays(path / "weights.npz", **arrays)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ThemeClassifier:
        """Load what to_disk saved (an untrained classifier saves nothing)."""
        path = Path(ensure_path(path))
        if not (path / "model.json").exists():
            if (path / "weights.npz").exists():
                # Weights without what they mean: a damaged copy, not an untrained model.
                raise FileNotFoundError(f"{path / 'model.json'} is missing beside its weights")
            return self
        meta = load_json(path / "model.json")
        arrays = load_arrays(path / "weights.npz")
        try:
            self.labels = list(meta["labels"])
            self.label_counts = dict(meta.get("label_counts", {}))
            self.features = FeatureSpace.from_dict(meta["features"])
            self.weights = [
                (arrays[f"coef_{i}"].astype(np.float32), arrays[f"intercept_{i}"], float(scale))
                for i, scale in enumerate(meta["scales"])
            ]
            # Saved before shares: every model counted the same.
            self.shares = [float(w) for w in meta.get("shares", [1.0] * len(self.weights))]
            if len(self.shares) != len(self.weights):
                raise IndexError("model shares do not match the models")
            self.thresholds = arrays["thresholds"]
            if "partners" in arrays:
                self.pairs = (
                    arrays["partners"].astype(np.int32),
                    arrays["thresholds_partner_on"],
                    arrays["thresholds_partner_off"],
                )
            else:  # saved before pair thresholds
                self.pairs = no_pairs(self.thresholds)
            # Saved before stacking: no second stage.
            self.stack = None
            if "stack_coef" in arrays:
                self.stack = (arrays["stack_coef"], arrays["stack_intercept"])
                self.stack_weight = float(meta.get("stack_weight", 0.0))
                if self.stack[0].shape != (len(self.labels), len(self.labels)):
                    raise IndexError("the second stage does not match the labels")
            if len(self.pairs[0]) != len(self.labels) or self.pairs[0].max(initial=-1) >= len(
                self.labels
            ):
                raise IndexError("pair thresholds do not match the labels")
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            # Callers load models they may fall back from: a damaged one is a ValueError.
            raise ValueError(f"{path}: damaged theme model ({exc!r})") from None
        return self


def model_shares(specs: list[dict[str, Any]]) -> list[float]:
    """Each model's share of the ensemble's mean, from its spec's "weight" (default 1)."""
    return [float(spec.get("weight", 1.0)) for spec in specs]


def ensemble_scores(
    X: sparse.csr_matrix,
    weights: list[tuple[np.ndarray, np.ndarray, float]],
    shares: list[float] | None = None,
) -> np.ndarray:
    """Mean over the linear models of sigmoid(scale * (X w + b)), weighted by shares (equal
    without)."""
    share = np.ones(len(weights)) if shares is None else np.asarray(shares, dtype=np.float64)
    total = np.zeros((X.shape[0], weights[0][0].shape[0]), dtype=np.float64)
    for (coef, intercept, scale), w in zip(weights, share, strict=True):
        total += w * sigmoid(scale * (np.asarray(X @ coef.T) + intercept))
    return total / share.sum()


@Language.factory(
    "theme_classifier",
    assigns=["doc.cats"],
    requires=["token.lemma"],
    default_config={
        "features": DEFAULT_FEATURES,
        "models": DEFAULT_MODELS,
        "threshold_folds": 5,
        "micro_weight": 0.7,
        "tune_below": 1000,
        "frequent_weight": 1.0,
        "sentence_weight": 0.0,
        "pair_thresholds": False,
        "stack_weight": 0.0,
        "threshold_smoothing": 0,
        "batch_size": 1000,
    },
)
def make_theme_classifier(
    nlp: Language,
    name: str,
    features: list[dict[str, Any]],
    models: list[dict[str, Any]],
    threshold_folds: int,
    micro_weight: float,
    tune_below: int,
    batch_size: int,
    frequent_weight: float | None,
    sentence_weight: float,
    pair_thresholds: bool,
    stack_weight: float,
    threshold_smoothing: int,
) -> ThemeClassifier:
    """The theme classifier; untrained until nlp.train fits it."""
    return ThemeClassifier(
        nlp,
        name,
        features,
        models,
        threshold_folds,
        micro_weight,
        tune_below,
        batch_size,
        frequent_weight,
        sentence_weight,
        pair_thresholds,
        stack_weight,
        threshold_smoothing,
    )
