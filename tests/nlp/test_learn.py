from __future__ import annotations

import numpy as np

from nlp.learn import tune_thresholds


def _scores_and_labels() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    Y = (rng.random((400, 3)) < 0.3).astype(np.int8)
    # Positives score around 0.35 and negatives around 0.15: 0.5 misses most positives.
    scores = np.clip(0.15 + 0.2 * Y + rng.normal(0, 0.05, Y.shape), 0, 1)
    return scores, Y


def test_frequent_labels_keep_half_without_a_shared_threshold() -> None:
    scores, Y = _scores_and_labels()
    thresholds = tune_thresholds(scores, Y, micro_weight=0.7, tune_below=50)
    assert np.all(thresholds == 0.5)


def test_frequent_labels_share_one_threshold_tuned_out_of_fold() -> None:
    scores, Y = _scores_and_labels()
    thresholds = tune_thresholds(scores, Y, micro_weight=0.7, tune_below=50, frequent_weight=1.0)
    assert len(set(thresholds.tolist())) == 1
    assert 0.15 < thresholds[0] < 0.35


def test_rare_labels_keep_their_own_thresholds() -> None:
    scores, Y = _scores_and_labels()
    Y[10:, 2] = 0  # few positives left: tuned alone, not shared
    thresholds = tune_thresholds(scores, Y, micro_weight=0.7, tune_below=50, frequent_weight=1.0)
    assert thresholds[0] == thresholds[1]
    assert Y[:, 2].sum() < 50
