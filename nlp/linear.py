"""TF-IDF features and linear models, stored as plain arrays so a saved model needs no pickle."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

# scikit-learn is only needed to fit: importing it takes most of a second, so a saved model
# is read and applied with numpy alone (see FittedVectorizer).
if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

Weights = tuple[np.ndarray, np.ndarray, float]
# The parameters we let vary; everything else stays at scikit-learn's defaults.
_VECTORIZER_KEYS = ("analyzer", "ngram_range", "sublinear_tf", "min_df", "lowercase")


def make_vectorizer(params: dict[str, Any]) -> TfidfVectorizer:
    """A TF-IDF vectorizer from a small dict of parameters (see _VECTORIZER_KEYS)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    kwargs = {k: params[k] for k in _VECTORIZER_KEYS if k in params}
    if "ngram_range" in kwargs:
        kwargs["ngram_range"] = tuple(kwargs["ngram_range"])
    # Our word features are lemmas joined by spaces: split on spaces only, keep "£" and "?".
    if kwargs.get("analyzer", "word") == "word":
        kwargs["token_pattern"] = r"\S+"
    return TfidfVectorizer(dtype=np.float32, **kwargs)


def vectorizer_to_dict(
    params: dict[str, Any], vec: TfidfVectorizer | FittedVectorizer
) -> dict[str, Any]:
    """What is needed to rebuild a fitted vectorizer: its parameters, vocabulary and idf."""
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
    return {"params": params, "vocabulary": vocab, "idf": vec.idf_.astype(np.float32).tolist()}


def vectorizer_from_dict(data: dict[str, Any]) -> FittedVectorizer:
    """Rebuild a fitted vectorizer saved with vectorizer_to_dict."""
    return FittedVectorizer(dict(data["params"]), list(data["vocabulary"]), data["idf"])


_WHITE_SPACES = re.compile(r"\s\s+")

# The vectorizer settings FittedVectorizer reproduces (min_df, max_df and max_features only
# shape the vocabulary, which is saved).
_FAST_PARAMS = {"analyzer", "ngram_range", "sublinear_tf", "lowercase", "min_df", "max_df"}
_FAST_PARAMS |= {"max_features"}
# Up to this many entries (4 bytes each), n-grams are looked up in a table, not searched.
_TABLE_SIZE = 1 << 20


def _code_points(text: str) -> np.ndarray:
    """The code points of a string, as int64."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).astype(np.int64)


class FittedVectorizer:
    """A fitted TF-IDF vectorizer applied with numpy: the same matrix as scikit-learn's
    TfidfVectorizer.transform (same counts, same arithmetic), many times faster.

    Every n-gram of the vocabulary is a number: its units (characters, or words for the word
    analyzer) numbered 1..A in the vocabulary's alphabet, read as digits in base A + 1. The
    n-grams of a whole batch are then numbered at once and looked up with one searchsorted;
    a unit outside the alphabet (0) cannot be part of a known n-gram, and texts are joined
    with a 0 between them so no n-gram spans two texts. Vocabularies whose numbers would not
    fit in 63 bits fall back to scikit-learn.
    """

    def __init__(self, params: dict[str, Any], vocabulary: list[str], idf: np.ndarray) -> None:
        self.params = dict(params)
        self.terms = list(vocabulary)
        self._vocabulary: dict[str, int] | None = None
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self.analyzer = params.get("analyzer", "word")
        self.min_n, self.max_n = (int(n) for n in params.get("ngram_range", (1, 1)))
        self.sublinear_tf = bool(params.get("sublinear_tf", False))
        self.lowercase = bool(params.get("lowercase", True))
        self._fallback: TfidfVectorizer | None = None
        # Loading is on the bot's start-up path: the terms are numbered with numpy too.
        known = self.analyzer in ("word", "char") and 1 <= self.min_n <= self.max_n
        # Any other setting (accents, stop words, binary counts ...) is left to scikit-learn.
        known = known and set(params) <= _FAST_PARAMS
        if known and self.analyzer == "char":
            lengths = np.fromiter(map(len, self.terms), np.int64, len(self.terms))
            codes = _code_points("".join(self.terms))
            chars = np.unique(codes)
            base = len(chars) + 1
            units = np.searchsorted(chars, codes) + 1
            # Code point to alphabet number (0: not in the alphabet); the last entry is 0.
            self._char_ids = np.zeros(int(chars.max()) + 2 if len(chars) else 1, dtype=np.int32)
            self._char_ids[chars] = np.arange(1, base)
        elif known:
            lengths = np.fromiter((t.count(" ") + 1 for t in self.terms), np.int64)
            words = " ".join(self.terms).split(" ") if self.terms else []
            self._words = {w: i + 1 for i, w in enumerate(dict.fromkeys(words))}
            base = len(self._words) + 1
            get = self._words.__getitem__
            units = np.fromiter(map(get, words), np.int64, len(words))
        longest = int(lengths.max()) if known and len(lengths) else 0
        if not known or base ** max(self.max_n, longest) >= 2**63:
            self._fallback = vectorizer_from_sklearn(params, self.vocabulary_, self.idf_)
            return
        self._base = base
        starts = np.cumsum(lengths) - lengths
        keys = np.zeros(len(self.terms), dtype=np.int64)
        for k in range(longest):
            more = np.flatnonzero(lengths > k)
            keys[more] = keys[more] * base + units[starts[more] + k]
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._columns = order.astype(np.int32)
        # The n-grams of n units have the numbers from base**(n - 1) up to base**n: where
        # that range is small (short character n-grams), a table answers without a search.
        self._tables: dict[int, np.ndarray] = {}
        for n in range(self.min_n, self.max_n + 1):
            if base**n <= _TABLE_SIZE:
                lo, hi = np.searchsorted(self._keys, [base ** (n - 1), base**n])
                table = np.full(base**n, -1, dtype=np.int32)
                table[self._keys[lo:hi]] = self._columns[lo:hi]
                self._tables[n] = table

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Term to column, as scikit-learn's vocabulary_ (made when first asked for)."""
        if self._vocabulary is None:
            self._vocabulary = {term: i for i, term in enumerate(self.terms)}
        return self._vocabulary

    def _unit_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The units of all texts as alphabet numbers with a 0 after each text, and the
        text each unit belongs to."""
        if self.lowercase:
            texts = [t.lower() for t in texts]
        if self.analyzer == "char":
            texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
            lengths = np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts))
            codes = _code_points("\0".join(texts) + "\0")
            # Characters past the alphabet's last code point are unknown (0) at once.
            ids = self._char_ids[np.minimum(codes, len(self._char_ids) - 1)]
        else:
            # str.split() splits exactly where scikit-learn's token pattern \S+ does (both
            # use Python's Unicode whitespace), and in C.
            tokens = list(map(str.split, texts))
            counts = np.fromiter(map(len, tokens), np.int64, len(tokens))
            flat = list(chain.from_iterable(tokens))
            found = np.fromiter(map(self._words.get, flat, repeat(0)), np.int64, len(flat))
            lengths = counts + 1
            ids = np.zeros(int(lengths.sum()), dtype=np.int64)
            ids[np.arange(len(flat)) + np.repeat(np.arange(len(texts)), counts)] = found
        return ids, np.repeat(np.arange(len(texts)), lengths)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """TF-IDF features of texts (rows l2-normalised), as scikit-learn computes them."""
        if self._fallback is not None:
            return sparse.csr_matrix(self._fallback.transform(texts))
        n_docs, n_features = len(texts), len(self.terms)
        if not texts or not n_features:
            return sparse.csr_matrix((n_docs, n_features), dtype=np.float32)
        ids, text_of = self._unit_ids(texts)
        total = len(ids)
        zero_before = np.concatenate(([0], np.cumsum(ids == 0)))
        found_pos: list[np.ndarray] = []
        found_col: list[np.ndarray] = []
        key = np.zeros(total, dtype=np.int64)
        for n in range(1, min(self.max_n, total) + 1):
            # key[i]: the number of the n units from i (only meaningful where all are known).
            key = key[: total - n + 1] * self._base + ids[n - 1 :]
            if n < self.min_n:
                continue
            ok = zero_before[n:] == zero_before[: total - n + 1]
            pos = np.flatnonzero(ok)
            k = key[pos]
            if n in self._tables:
                columns = self._tables[n][k]
                hit = columns >= 0
                found_pos.append(pos[hit])
                found_col.append(columns[hit])
                continue
            at = np.minimum(np.searchsorted(self._keys, k), len(self._keys) - 1)
            hit = self._keys[at] == k
            found_pos.append(pos[hit])
            found_col.append(self._columns[at[hit]])
        pos = np.concatenate([np.zeros(0, np.int64), *found_pos])
        col = np.concatenate([np.zeros(0, np.int64), *found_col]).astype(np.int64)
        row = text_of[pos]
        # Counts per (text, n-gram): scipy sorts and sums the duplicates in linear time.
        ones = np.ones(len(pos), dtype=np.intc)
        counted = sparse.csr_matrix((ones, (row, col)), shape=(n_docs, n_features))
        counted.sum_duplicates()
        indices = counted.indices.astype(np.int32, copy=False)
        indptr = counted.indptr.astype(np.int32, copy=False)
        rows = np.repeat(np.arange(n_docs), np.diff(indptr))
        data = counted.data.astype(np.float32)
        # TfidfTransformer.transform, then sklearn's l2 row normalisation (squares in float32
        # summed in order in float64, each value divided in float64 and rounded to float32).
        if self.sublinear_tf:
            np.log(data, data)
            data += 1.0
        data *= self.idf_[indices]
        squares = np.bincount(rows, weights=(data * data).astype(np.float64), minlength=n_docs)
        norms = np.sqrt(squares)
        norms[norms == 0.0] = 1.0
        data = (data.astype(np.float64) / norms[rows]).astype(np.float32)
        return sparse.csr_matrix((data, indices, indptr), shape=(n_docs, n_features))


def vectorizer_from_sklearn(
    params: dict[str, Any], vocab: dict[str, int], idf: np.ndarray
) -> TfidfVectorizer:
    """A fitted scikit-learn vectorizer from its parameters, vocabulary and idf."""
    vec = make_vectorizer(dict(params))
    vec.set_params(vocabulary=vocab)
    vec.vocabulary_ = vocab
    vec.fixed_vocabulary_ = True
    vec.idf_ = np.asarray(idf, dtype=np.float32)
    return vec


@dataclass
class FeatureSpace:
    """Several vectorizers, each reading one view of a text, stacked side by side."""

    views: list[str]
    params: list[dict[str, Any]]
    vectorizers: list[Any]  # TfidfVectorizer while fitting, FittedVectorizer once loaded

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
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.svm import LinearSVC

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
    elif spec["type"] == "ridge":
        # Squared loss on +-1 targets; C is its inverse L2 strength, as for the others.
        model = RidgeClassifier(alpha=1.0 / spec["C"], class_weight="balanced", solver="sparse_cg")
    else:
        raise ValueError(f"unknown model type {spec['type']!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    # Ravelled: a binary ridge classifier's coefficients are 1-D, the others' 2-D.
    coef = np.ravel(model.coef_) if ratio is None else np.ravel(model.coef_) * ratio
    intercept = np.array(np.ravel(model.intercept_)[0])
    return coef.astype(np.float32), intercept, spec.get("scale", 1.0)
