"""Fitting linear theme models and tuning their thresholds out-of-fold (needs scikit-learn)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.model_selection import KFold

from nlp.classifier import (
    ThemeClassifier,
    logit,
    model_shares,
    no_pairs,
    pooled_scores,
    stacked_scores,
)
from nlp.linear import FeatureSpace, Weights, fit_linear, sigmoid

THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
# A label needs this many examples before its threshold moves away from 0.5: fewer,
# and the tuned value is noise.
MIN_POSITIVES_TO_TUNE = 3
N_JOBS = min(2, os.cpu_count() or 1)
PARALLEL_FROM = 1000


def fit_ensemble(
    X: sparse.csr_matrix,
    Y: np.ndarray,
    specs: list[dict[str, Any]],
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> list[Weights]:
    """Per model spec, one-vs-rest weights stacked into (labels x features) matrices."""
    out = []
    # Workers get X read-only (memory-mapped): sort its indices here, where it can be written.
    X.sort_indices()
    for spec in specs:
        # One process per core: liblinear seeds a process-wide C random generator, so
        # threads would race on it and make training non-deterministic.
        # Starting workers costs seconds: small training sets are faster in one process.
        n_jobs = N_JOBS if X.shape[0] >= PARALLEL_FROM else 1
        tasks = (delayed(fit_linear)(X, Y[:, j], spec, seed) for j in range(Y.shape[1]))
        fits = []
        for fitted in Parallel(n_jobs=n_jobs, return_as="generator")(tasks):
            fits.append(fitted)
            if progress:
                progress(1)
        coef = np.vstack([c for c, _, _ in fits])
        intercept = np.array([b for _, b, _ in fits], dtype=np.float64)
        out.append((coef, intercept, float(spec.get("scale", 1.0))))
    return out


def _counts(pred: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (pred & (Y == 1)).sum(0)
    return tp, (pred & (Y == 0)).sum(0), (~pred & (Y == 1)).sum(0)


def tune_thresholds(
    scores: np.ndarray,
    Y: np.ndarray,
    micro_weight: float,
    tune_below: int,
    frequent_weight: float | None = None,
    smoothing: int = 0,
) -> np.ndarray:
    """Per-label thresholds maximising micro_weight * micro F1 + (1 - it) * macro F1 (with
    smoothing, its mean over that many grid steps either side of the threshold)."""
    # Coordinate ascent: change one label's threshold at a time, keeping the others, on
    # out-of-fold scores. Per-label F1 alone lifts macro F1 but costs micro F1; the mix keeps
    # both, which is what a digest needs (frequent themes right, rare ones not ignored).
    # Labels with tune_below examples or more get no threshold of their own: moving them one
    # by one cost micro F1 in cross-validation with a plain SVM (with NBSVM, much less: the
    # default now tunes every label alone). With frequent_weight they share one threshold
    # (tuned for frequent_weight * micro + the rest * macro), else they keep 0.5.
    n_labels = Y.shape[1]
    thresholds = np.full(n_labels, 0.5)
    positives = Y.sum(0)
    present = positives > 0
    tp, fp, fn = _counts(scores >= thresholds, Y)
    frequent = positives >= tune_below
    for _ in range(2):
        if frequent_weight is not None and frequent.any():
            _tune_shared(scores, Y, thresholds, frequent, present, frequent_weight)
            tp, fp, fn = _counts(scores >= thresholds, Y)
        tunable = (positives >= MIN_POSITIVES_TO_TUNE) & (positives < tune_below)
        for j in np.flatnonzero(tunable):
            col, yj = scores[:, j], Y[:, j] == 1
            other_f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
            others = (
                int(tp.sum() - tp[j]),
                int(fp.sum() - fp[j]),
                int(fn.sum() - fn[j]),
                float(other_f1[present].sum() - other_f1[j]),
                int(present.sum()),
            )
            curve = _objective_curve(col, yj, (0, 0, 0), others, micro_weight)
            curve = _smooth(curve, smoothing)
            # Ties go to the threshold nearest 0.5: no evidence, no change.
            best = np.flatnonzero(curve >= curve.max() - 1e-12)
            nearest = best[np.argmin(np.abs(THRESHOLD_GRID[best] - 0.5))]
            thresholds[j] = float(THRESHOLD_GRID[nearest])
            pred = col >= thresholds[j]
            tp[j] = (pred & yj).sum()
            fp[j] = pred.sum() - tp[j]
            fn[j] = yj.sum() - tp[j]
    return thresholds


def _smooth(curve: np.ndarray, steps: int) -> np.ndarray:
    """A curve over THRESHOLD_GRID averaged over steps grid points either side (ends repeated)."""
    # Where a label has few examples, its objective against its threshold is jagged: the
    # raw maximum is often a narrow spike that moves from fold to fold, a broad plateau not.
    if steps <= 0:
        return curve
    padded = np.r_[np.full(steps, curve[0]), curve, np.full(steps, curve[-1])]
    return np.asarray(np.convolve(padded, np.ones(2 * steps + 1) / (2 * steps + 1), "valid"))


def _tune_shared(
    scores: np.ndarray,
    Y: np.ndarray,
    thresholds: np.ndarray,
    frequent: np.ndarray,
    present: np.ndarray,
    weight: float,
) -> None:
    """Give the frequent labels one shared threshold maximising weight * micro + rest * macro."""
    # One value for many labels is estimated from thousands of decisions, so it does not
    # overfit the way per-label thresholds of frequent labels did.
    tp, fp, fn = _counts(scores >= thresholds, Y)
    rest = ~frequent
    rest_tp, rest_fp, rest_fn = tp[rest].sum(), fp[rest].sum(), fn[rest].sum()
    rest_f1 = (2 * tp / np.maximum(2 * tp + fp + fn, 1))[rest & present].sum()
    sub, ysub = scores[:, frequent], Y[:, frequent] == 1
    best = (-1.0, 0.5)
    for t in THRESHOLD_GRID:
        ftp, ffp, ffn = _counts(sub >= t, ysub.astype(np.int8))
        all_tp, all_fp, all_fn = rest_tp + ftp.sum(), rest_fp + ffp.sum(), rest_fn + ffn.sum()
        micro = 2 * all_tp / max(2 * all_tp + all_fp + all_fn, 1)
        f1 = 2 * ftp / np.maximum(2 * ftp + ffp + ffn, 1)
        macro = (rest_f1 + f1.sum()) / present.sum()
        value = weight * micro + (1 - weight) * macro
        if value > best[0] + 1e-12 or (
            abs(value - best[0]) <= 1e-12 and abs(t - 0.5) < abs(best[1] - 0.5)
        ):
            best = (value, float(t))
    thresholds[frequent] = best[1]


# Pair thresholds: only labels with this many examples get one, and only when each side of
# the split (partner predicted or not) holds this many of them, and the objective (out of
# fold) rises by at least PAIR_MIN_GAIN: fewer, and the two thresholds fit noise.
PAIR_MIN_POSITIVES = 20
PAIR_MIN_SIDE = 5
PAIR_MIN_GAIN = 5e-4


def _mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """Mutual information (nats) of two boolean vectors."""
    total = 0.0
    for x in (False, True):
        for y in (False, True):
            joint = float(np.mean((a == x) & (b == y)))
            if joint > 0:
                total += joint * np.log(joint / (np.mean(a == x) * np.mean(b == y)))
    return total


def _objective_curve(
    col: np.ndarray,
    yj: np.ndarray,
    fixed: tuple[int, int, int],
    others: tuple[int, int, int, float, int],
    micro_weight: float,
) -> np.ndarray:
    """The objective at every grid threshold for the rows col, the label's other rows fixed."""
    base_tp, base_fp, base_fn, other_f1, n_present = others
    pred = col[None, :] >= THRESHOLD_GRID[:, None]
    hits = (pred & yj).sum(1)
    tpj = hits + fixed[0]
    fpj = pred.sum(1) - hits + fixed[1]
    fnj = int(yj.sum()) - hits + fixed[2]
    micro = 2 * (base_tp + tpj) / np.maximum(2 * (base_tp + tpj) + base_fp + fpj + base_fn + fnj, 1)
    macro = (other_f1 + 2 * tpj / np.maximum(2 * tpj + fpj + fnj, 1)) / n_present
    return np.asarray(micro_weight * micro + (1 - micro_weight) * macro)


def tune_pair_thresholds(
    scores: np.ndarray, Y: np.ndarray, thresholds: np.ndarray, micro_weight: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per label, a partner label and two thresholds: one for texts where the partner is
    predicted, one for the rest (partner -1: the label keeps its threshold)."""
    # Themes come in pairs (waiting and communication, staff attitude and care): whether the
    # partner is predicted says how much evidence the label needs. The partner is the label
    # whose predictions tell most about this one (mutual information, out of fold), and the
    # split is kept only where it lifts the same objective as the thresholds.
    n_labels = Y.shape[1]
    partners = np.full(n_labels, -1, dtype=np.int32)
    t_on, t_off = thresholds.copy(), thresholds.copy()
    base = scores >= thresholds
    final = base.copy()
    positives = Y.sum(0)
    present = positives > 0
    gold = Y == 1
    for j in np.flatnonzero(positives >= PAIR_MIN_POSITIVES):
        tp, fp, fn = _counts(final, Y)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
        current = micro_weight * micro + (1 - micro_weight) * f1[present].sum() / present.sum()
        others = (
            int(tp.sum() - tp[j]),
            int(fp.sum() - fp[j]),
            int(fn.sum() - fn[j]),
            float(f1[present].sum() - f1[j]),
            int(present.sum()),
        )
        yj, col = gold[:, j], scores[:, j]
        candidates = [k for k in range(n_labels) if k != j and positives[k] >= PAIR_MIN_POSITIVES]
        if not candidates:
            continue
        k = max(candidates, key=lambda c: _mutual_information(yj, base[:, c]))
        on = base[:, k]
        if yj[on].sum() < PAIR_MIN_SIDE or yj[~on].sum() < PAIR_MIN_SIDE:
            continue
        high, low = float(thresholds[j]), float(thresholds[j])
        value = current
        for _ in range(2):
            # Each side in turn, the other side's decisions fixed.
            kept = col[~on] >= low
            fixed = (
                int((kept & yj[~on]).sum()),
                int((kept & ~yj[~on]).sum()),
                int((~kept & yj[~on]).sum()),
            )
            curve = _objective_curve(col[on], yj[on], fixed, others, micro_weight)
            high = float(THRESHOLD_GRID[np.argmax(curve)])
            kept = col[on] >= high
            fixed = (
                int((kept & yj[on]).sum()),
                int((kept & ~yj[on]).sum()),
                int((~kept & yj[on]).sum()),
            )
            curve = _objective_curve(col[~on], yj[~on], fixed, others, micro_weight)
            low = float(THRESHOLD_GRID[np.argmax(curve)])
            value = float(curve.max())
        if value > current + PAIR_MIN_GAIN:
            partners[j], t_on[j], t_off[j] = k, high, low
            final[:, j] = np.where(on, col >= high, col >= low)
    return partners, t_on, t_off


# The second stage's L2 strength (as scikit-learn's C) and the fewest examples a label needs
# to get one; a label with fewer keeps its first-stage score.
STACK_C = 1.0
STACK_MIN_POSITIVES = 2


def _balanced_logistic(Z: np.ndarray, y: np.ndarray, C: float) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression (intercept not penalised), by Newton's method."""
    # A few dozen features: Newton steps converge in a handful of solves, where lbfgs on
    # these unscaled log-odds takes hundreds of iterations.
    n, d = Z.shape
    A = np.c_[Z, np.ones(n)]
    positives = y.sum()
    # Balanced, as the first stage is: its scores and the second's then share a scale.
    sw = np.where(y == 1, n / (2 * positives), n / (2 * (n - positives)))
    reg = np.r_[np.full(d, 1 / C), 0.0]
    w = np.zeros(d + 1)
    for _ in range(50):
        p = sigmoid(A @ w)
        grad = A.T @ (sw * (p - y)) + reg * w
        hess = (A * (sw * p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w[:d], float(w[d])


def fit_stack(
    scores: np.ndarray, Y: np.ndarray, C: float = STACK_C
) -> tuple[np.ndarray, np.ndarray]:
    """Per label, weights over every label's log-odds (labels x labels) and an intercept."""
    n_labels = Y.shape[1]
    # A label the second stage cannot learn passes its own log-odds through unchanged.
    coef, intercept = np.eye(n_labels), np.zeros(n_labels)
    Z = logit(scores)
    for j in range(n_labels):
        positives = int(Y[:, j].sum())
        if positives < STACK_MIN_POSITIVES or positives == len(Y):
            continue
        coef[j], intercept[j] = _balanced_logistic(Z, Y[:, j].astype(np.float64), C)
    return coef, intercept


def fit_classifier(
    clf: ThemeClassifier,
    views: list[dict[str, str]],
    labels: list[list[str]],
    *,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> tuple[
    list[str],
    FeatureSpace,
    list[Weights],
    np.ndarray,
    tuple[np.ndarray, np.ndarray, np.ndarray],
    dict[str, int],
    tuple[np.ndarray, np.ndarray] | None,
]:
    """Fit the classifier's features and models; thresholds tuned on out-of-fold scores."""
    label_names = sorted({lab for labs in labels for lab in labs})
    if not label_names:
        raise ValueError("no labels in the training data")
    index = {lab: i for i, lab in enumerate(label_names)}
    Y = np.zeros((len(views), len(label_names)), dtype=np.int8)
    for i, labs in enumerate(labels):
        for lab in labs:
            Y[i, index[lab]] = 1

    n_folds = min(clf.threshold_folds, len(views))
    oof = np.zeros(Y.shape)
    stack = None
    if n_folds >= 2:
        # Scores for every training text from a model that did not see it: honest inputs for
        # the thresholds. Features are refitted per fold, as they will be on new data.
        folds = list(KFold(n_folds, shuffle=True, random_state=seed).split(views))
        for train_idx, test_idx in folds:
            space = FeatureSpace.create(clf.feature_spec)
            X = space.fit_transform([views[i] for i in train_idx])
            weights = fit_ensemble(X, Y[train_idx], clf.model_spec, seed, progress)
            held_out = [views[i] for i in test_idx]
            shares = model_shares(clf.model_spec)
            oof[test_idx] = pooled_scores(space, weights, held_out, clf.sentence_weight, shares)
        if clf.stack_weight > 0:
            # The second stage is cross-fitted over the same folds, so the thresholds are
            # tuned on honest scores of the final mix; the shipped one learns from them all.
            honest = np.zeros(Y.shape)
            for train_idx, test_idx in folds:
                fold_stack = fit_stack(oof[train_idx], Y[train_idx])
                honest[test_idx] = stacked_scores(oof[test_idx], fold_stack, clf.stack_weight)
            stack = fit_stack(oof, Y)
            oof = honest
        thresholds = tune_thresholds(
            oof,
            Y,
            clf.micro_weight,
            clf.tune_below,
            clf.frequent_weight,
            clf.threshold_smoothing,
        )
        if clf.pair_thresholds:
            pairs = tune_pair_thresholds(oof, Y, thresholds, clf.micro_weight)
        else:
            pairs = no_pairs(thresholds)
    else:
        thresholds = np.full(len(label_names), 0.5)
        pairs = no_pairs(thresholds)

    space = FeatureSpace.create(clf.feature_spec)
    X = space.fit_transform(views)
    weights = fit_ensemble(X, Y, clf.model_spec, seed, progress)
    counts = {lab: int(Y[:, i].sum()) for lab, i in index.items()}
    return label_names, space, weights, thresholds, pairs, counts, stack


def n_fits(clf: ThemeClassifier, n_labels: int, n_texts: int) -> int:
    """How many binary fits fit_classifier will make (for a progress bar)."""
    folds = min(clf.threshold_folds, n_texts)
    rounds = (folds if folds >= 2 else 0) + 1
    return rounds * n_labels * len(clf.model_spec)
