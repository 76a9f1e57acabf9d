"""TF-IDF features and linear models, stored as plain arrays so a saved model needs no pickle."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

Weights = tuple[np.ndarray, np.ndarray, float]
# The parameters we let vary; everything else stays at scikit-learn's defaults.
_VECTORIZER_KEYS = ("analyzer", "ngram_range", "sublinear_tf", "min_df", "lowercase")


def make_vectorizer(params: dict[str, Any]) -> TfidfVectorizer:
    """A TF-IDF vectorizer from a small dict of parameters (see _VECTORIZER_KEYS)."""
    kwargs = {k: params[k] for k in _VECTORIZER_KEYS if k in params}
    if "ngram_range" in kwargs:
        kwargs["ngram_range"] = tuple(kwargs["ngram_range"])
    # Our word features are lemmas joined by spaces: split on spaces only, keep "£" and "?".
    if kwargs.get("analyzer", "word") == "word":
        kwargs["token_pattern"] = r"\S+"
    return TfidfVectorizer(dtype=np.float32, **kwargs)


def vectorizer_to_dict(params: dict[str, Any], vec: TfidfVectorizer) -> dict[str, Any]:
    """What is needed to rebuild a fitted vectorizer: its parameters, vocabulary and idf."""
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    return {"params": params, "vocabulary": vocab, "idf": vec.idf_.astype(np.float32).tolist()}


def vectorizer_from_dict(data: dict[str, Any]) -> TfidfVectorizer:
    """Rebuild a fitted vectorizer saved with vectorizer_to_dict."""
    vocab = {term: i for i, term in enumerate(data["vocabulary"])}
    params = dict(data["params"])
    vec = make_vectorizer(params)
    vec.set_params(vocabulary=vocab)
    vec.vocabulary_ = vocab
    vec.fixed_vocabulary_ = True
    vec.idf_ = np.asarray(data["idf"], dtype=np.float32)
    return vec


@dataclass
class FeatureSpace:
    """Several vectorizers, each reading one view of a text, stacked side by side."""

    views: list[str]
    params: list[dict[str, Any]]
    vectorizers: list[TfidfVectorizer]

    @classmethod
    def create(cls, spec: list[dict[str, Any]]) -> FeatureSpace:
        """An unfitted feature space from specs such as {"view": "lemmas", "analyzer": "word"}."""
        params = [{k: v for k, v in s.items() if k != "view"} for s in spec]
        return cls([s["view"] for s in spec], params, [make_vectorizer(p) for p in params])

    def fit_transform(self, rows: list[dict[str, str]]) -> sparse.csr_matrix:
        """Fit every vectorizer on its view of the rows and return the stacked features."""
        parts = [
            vec.fit_transform([r[view] for r in rows])
            for view, vec in zip(self.views, self.vectorizers, strict=True)
        ]
        return sparse.hstack(parts, format="csr")

    def transform(self, rows: list[dict[str, str]]) -> sparse.csr_matrix:
        """The stacked features of rows for fitted vectorizers."""
        parts = [
            vec.transform([r[view] for r in rows])
            for view, vec in zip(self.views, self.vectorizers, strict=True)
        ]
        return sparse.hstack(parts, format="csr")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of the fitted feature space."""
        return {
            "views": self.views,
            "vectorizers": [
                vectorizer_to_dict(p, v) for p, v in zip(self.params, self.vectorizers, strict=True)
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpace:
        """Rebuild a feature space saved with to_dict."""
        vecs = [vectorizer_from_dict(d) for d in data["vectorizers"]]
        return cls(list(data["views"]), [d["params"] for d in data["vectorizers"]], vecs)


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    """Save weights compressed; float16 halves the size and changes scores by < 1e-3."""
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    """Load arrays saved with save_arrays, without allowing pickled objects."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def save_json(path: Path, data: Any) -> None:
    """Write data as compact UTF-8 JSON."""
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf8")


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text("utf8"))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, safe for large magnitudes."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def nb_ratio(X: sparse.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Naive Bayes log-count ratio of each feature between positives and negatives."""
    present = (X > 0).astype(np.float32)
    p = np.asarray(present[y == 1].sum(0)).ravel() + alpha
    q = np.asarray(present[y == 0].sum(0)).ravel() + alpha
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def fit_linear(X: sparse.csr_matrix, y: np.ndarray, spec: dict[str, Any], seed: int) -> Weights:
    """One binary, class-balanced linear model; returns (coef, intercept, scale)."""
    if y.min() == y.max():
        # A label with no (or only) positives here: a constant, confident answer.
        return np.zeros(X.shape[1], np.float32), np.array(-8.0 if y.max() == 0 else 8.0), 1.0
    ratio = None
    if spec.get("nb"):
        # NBSVM (Wang and Manning 2012): features scaled by their naive Bayes log-count
        # ratio. Scaling is folded into the weights below, so scoring stays one dot product.
        ratio = nb_ratio(X, y, float(spec.get("alpha", 1.0)))
        X = X @ sparse.diags(ratio)
    if spec["type"] == "svm":
        model: Any = LinearSVC(C=spec["C"], class_weight="balanced", random_state=seed)
    elif spec["type"] == "logreg":
        model = LogisticRegression(C=spec["C"], class_weight="balanced", max_iter=2000)
    else:
        raise ValueError(f"unknown model type {spec['type']!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    coef = model.coef_[0] if ratio is None else model.coef_[0] * ratio
    return coef.astype(np.float32), np.array(model.intercept_[0]), spec.get("scale", 1.0)
