from __future__ import annotations

from pathlib import Path

import numpy as np
import spacy
from scipy import sparse
from sklearn.svm import LinearSVC

from nlp.classifier import (
    DEFAULT_FEATURES,
    SENTENCE_SEPARATOR,
    SENTENCES,
    ThemeClassifier,
    decision_thresholds,
    doc_views,
    sentence_rows,
    stacked_scores,
)
from nlp.learn import THRESHOLD_GRID, _smooth, fit_stack, tune_pair_thresholds, tune_thresholds
from nlp.linear import fit_linear, nb_ratio
from nlp.pipeline import build


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


def test_smoothing_prefers_a_plateau_to_a_spike() -> None:
    curve = np.full(len(THRESHOLD_GRID), 0.5)
    curve[10:30] = 0.7  # a broad plateau
    curve[70] = 0.8  # one spike, higher
    assert np.argmax(_smooth(curve, 0)) == 70
    assert 10 <= np.argmax(_smooth(curve, 3)) < 30
    assert len(_smooth(curve, 3)) == len(curve)


def test_smoothed_thresholds_stay_near_the_raw_ones() -> None:
    scores, Y = _scores_and_labels()
    raw = tune_thresholds(scores, Y, micro_weight=0.7, tune_below=1000)
    smoothed = tune_thresholds(scores, Y, micro_weight=0.7, tune_below=1000, smoothing=3)
    assert np.all(np.abs(raw - smoothed) <= 0.05)
    assert np.all((smoothed > 0.15) & (smoothed < 0.35))


def _toy_features() -> tuple[sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(np.int8)
    X = rng.random((200, 6)) * (rng.random((200, 6)) < 0.4)
    X[:, 0] = y * rng.random(200)  # present only in positives
    X[:, 1] = (1 - y) * rng.random(200)  # present only in negatives
    return sparse.csr_matrix(X.astype(np.float32)), y


def test_nb_ratio_favours_features_seen_with_positives() -> None:
    X, y = _toy_features()
    ratio = nb_ratio(X, y)
    assert ratio[0] > 1 > 0 > -1 > ratio[1]


def test_nbsvm_weights_score_raw_features_like_scaled_ones() -> None:
    X, y = _toy_features()
    coef, intercept, _ = fit_linear(X, y, {"type": "svm", "C": 1.0, "nb": True}, seed=0)
    scaled = X @ sparse.diags(nb_ratio(X, y))
    model = LinearSVC(C=1.0, class_weight="balanced", random_state=0).fit(scaled, y)
    np.testing.assert_allclose(X @ coef + intercept, model.decision_function(scaled), atol=1e-4)
    assert ((X @ coef + intercept > 0) == (y == 1)).mean() > 0.9


def test_nbsvm_classifier_scores_the_same_after_saving(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    words = {"wait": "waited hours long queue", "staff": "kind nurse lovely staff"}
    views, labels = [], []
    for i in range(80):
        labs = [lab for lab in words if rng.random() < 0.5]
        text = " ".join([words[lab] for lab in labs] + ["the", "visit", str(i % 7)])
        views.append({"lemmas": text, "text": text, "rules": ""})
        labels.append(labs)
    models = [{"type": "svm", "C": 0.1, "scale": 4.0, "nb": True}]
    args = (DEFAULT_FEATURES, models, 2, 0.7, 1000, 100)
    clf = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args)
    clf.fit(views, labels, seed=0)
    clf.to_disk(tmp_path)
    loaded = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args).from_disk(tmp_path)
    scores = loaded.predict(views)
    np.testing.assert_allclose(scores, clf.predict(views), atol=5e-3)
    gold = np.array([[lab in labs for lab in loaded.labels] for labs in labels])
    assert ((scores >= 0.5) == gold).mean() > 0.95


def _views_of(texts: list[str]) -> list[dict[str, str]]:
    nlp = build()
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        return [doc_views(doc, sentences=True) for doc in nlp.pipe(texts)]


def test_views_keep_each_sentence_of_a_text_with_several() -> None:
    several, one = _views_of(["Waited 3 hours!! Staff were kind.\n\nThanks", "Staff were kind."])
    sentences = several[SENTENCES + "text"].split(SENTENCE_SEPARATOR)
    assert sentences == ["waited 3 hours!!", "staff were kind.", "thanks"]
    assert len(several[SENTENCES + "lemmas"].split(SENTENCE_SEPARATOR)) == 3
    assert SENTENCES + "text" not in one
    nlp = build()
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        unsplit = doc_views(nlp("Waited 3 hours. Staff were kind."))
    assert SENTENCES + "text" not in unsplit  # split only when asked
    owners, rows = sentence_rows([one, several], ["lemmas", "text"])
    assert owners == [1, 1, 1]
    assert rows[1] == {"lemmas": "staff be kind .", "text": "staff were kind."}


def test_a_theme_raised_in_one_sentence_of_many_scores_higher_with_sentences() -> None:
    rng = np.random.default_rng(3)
    filler = "the car park was big and the building was new and the signs were clear"
    texts, labels = [], []
    for i in range(120):
        waited = rng.random() < 0.5
        texts.append(("We waited hours in a long queue. " if waited else "") + f"Visit {i % 9}.")
        labels.append(["wait"] if waited else ["other"])
    train = _views_of(texts)
    models = [{"type": "svm", "C": 0.1, "scale": 4.0, "nb": True}]
    clf = ThemeClassifier(
        spacy.blank("en"), "theme_classifier", DEFAULT_FEATURES, models, 0, 0.7, 1000, 100
    )
    clf.fit(train, labels, seed=0)
    long = _views_of([f"We waited hours in a long queue. {filler}. {filler}. {filler}."])
    wait = clf.labels.index("wait")
    plain = clf.raw_scores(long)[0, wait]
    clf.sentence_weight = 0.5
    pooled = clf.raw_scores(long)[0, wait]
    assert pooled > plain
    # Texts of one sentence score as before.
    short = [view for view in train if SENTENCES + "text" not in view]
    assert short
    pooled_short = clf.raw_scores(short)
    clf.sentence_weight = 0.0
    np.testing.assert_allclose(pooled_short, clf.raw_scores(short))


def _paired_scores() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    n = 600
    partner = rng.random(n) < 0.4
    label = rng.random(n) < 0.5
    # The partner is scored cleanly; the label's scores sit low beside its partner and high
    # without it, so no single threshold separates its positives from its negatives.
    partner_scores = np.where(partner, 0.8, 0.2) + rng.normal(0, 0.03, n)
    shift = np.where(partner, 0.0, 0.4)
    label_scores = 0.15 + 0.2 * label + shift + rng.normal(0, 0.03, n)
    scores = np.clip(np.column_stack([partner_scores, label_scores]), 0, 1)
    return scores, np.column_stack([partner, label]).astype(np.int8)


def test_a_label_gets_one_threshold_beside_its_partner_and_another_without() -> None:
    scores, Y = _paired_scores()
    thresholds = tune_thresholds(scores, Y, micro_weight=0.8, tune_below=1000, frequent_weight=1.0)
    single = ((scores >= thresholds) == (Y == 1)).mean(0)[1]
    pairs = tune_pair_thresholds(scores, Y, thresholds, micro_weight=0.8)
    partners, on, off = pairs
    assert partners.tolist() == [1, 0] or partners[1] == 0
    assert 0.15 < on[1] < 0.35 < 0.55 < off[1] < 0.75
    decided = scores >= decision_thresholds(scores, thresholds, pairs)
    paired = (decided == (Y == 1)).mean(0)[1]
    assert paired > 0.98 > single


def test_labels_their_threshold_separates_keep_it() -> None:
    _, Y = _scores_and_labels()
    scores = 0.2 + 0.6 * Y + np.random.default_rng(5).normal(0, 0.03, Y.shape)
    thresholds = tune_thresholds(scores, Y, micro_weight=0.8, tune_below=1000, frequent_weight=1.0)
    pairs = tune_pair_thresholds(scores, Y, thresholds, micro_weight=0.8)
    assert (pairs[0] == -1).all()
    assert decision_thresholds(scores, thresholds, pairs) is thresholds


def test_pair_thresholds_are_saved_with_the_model(tmp_path: Path) -> None:
    views = [{"lemmas": f"wait long {i % 3}", "text": "wait", "rules": ""} for i in range(20)]
    views += [{"lemmas": f"kind staff {i % 3}", "text": "kind", "rules": ""} for i in range(20)]
    labels = [["wait"]] * 20 + [["staff"]] * 20
    models = [{"type": "svm", "C": 0.1, "scale": 4.0, "nb": True}]
    args = (DEFAULT_FEATURES, models, 2, 0.8, 1000, 100, 1.0, 0.0, True)
    clf = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args)
    clf.fit(views, labels, seed=0)
    clf.pairs = (np.array([1, -1], np.int32), np.array([0.3, 0.5]), np.array([0.7, 0.5]))
    clf.to_disk(tmp_path)
    loaded = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args).from_disk(tmp_path)
    for saved, read in zip(clf.pairs, loaded.pairs, strict=True):
        np.testing.assert_array_equal(saved, read)
    np.testing.assert_allclose(loaded.predict(views), clf.predict(views), atol=5e-3)


def test_the_second_stage_learns_from_a_partner_label() -> None:
    rng = np.random.default_rng(0)
    partner = rng.random(600) < 0.4
    # The label's own score says nothing; its partner's says whether it applies.
    Y = np.c_[partner, partner].astype(np.int8)
    scores = np.c_[rng.uniform(0.2, 0.8, 600), np.where(partner, 0.8, 0.2)]
    coef, intercept = fit_stack(scores, Y)
    stacked = stacked_scores(scores, (coef, intercept), 1.0)
    assert ((stacked[:, 0] >= 0.5) == partner).mean() > 0.95
    assert abs(coef[0, 1]) > 5 * abs(coef[0, 0])


def test_a_label_too_rare_for_the_second_stage_keeps_its_score() -> None:
    rng = np.random.default_rng(1)
    Y = np.c_[rng.random(100) < 0.5, np.r_[1, np.zeros(99)]].astype(np.int8)
    scores = rng.uniform(0.05, 0.95, (100, 2))
    stacked = stacked_scores(scores, fit_stack(scores, Y), 0.5)
    np.testing.assert_allclose(stacked[:, 1], scores[:, 1], atol=1e-6)


def test_the_second_stage_is_saved_and_an_older_model_loads_without_it(tmp_path: Path) -> None:
    views = [{"lemmas": f"wait long {i % 3}", "text": "wait", "rules": ""} for i in range(20)]
    views += [{"lemmas": f"kind staff {i % 3}", "text": "kind", "rules": ""} for i in range(20)]
    labels = [["wait"]] * 20 + [["staff"]] * 20
    models = [{"type": "svm", "C": 0.1, "scale": 4.0, "nb": True}]
    args = (DEFAULT_FEATURES, models, 2, 0.8, 1000, 100, 1.0, 0.0, True, 0.5)
    clf = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args)
    clf.fit(views, labels, seed=0)
    assert clf.stack is not None
    clf.to_disk(tmp_path)
    loaded = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args).from_disk(tmp_path)
    assert loaded.stack is not None and loaded.stack_weight == 0.5
    np.testing.assert_allclose(loaded.predict(views), clf.predict(views), atol=5e-3)
    # A model saved before stacking has no second stage: its scores are the first stage's.
    arrays = dict(np.load(tmp_path / "weights.npz"))
    del arrays["stack_coef"], arrays["stack_intercept"]
    np.savez(tmp_path / "weights.npz", **arrays)
    older = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args).from_disk(tmp_path)
    assert older.stack is None
    first = ThemeClassifier(spacy.blank("en"), "theme_classifier", *args[:-1], 0.0)
    first.fit(views, labels, seed=0)
    np.testing.assert_allclose(older.raw_scores(views), first.raw_scores(views), atol=5e-3)
