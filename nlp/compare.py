"""Cross-validated comparison of the theme classifier against the TF-IDF baseline.

    python -m nlp.compare --csv nlp/data/nhs-fft-themes/train.csv --folds 5 --seed 0
    python -m nlp.compare --mapped   # the same, labels mapped onto the taxonomy's themes

Each fold trains both on the other folds (the classifier exactly as `train` does, its
thresholds tuned by an inner cross-validation) and scores them on the held-out fold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_union

from nlp.classifier import ThemeClassifier, doc_views
from nlp.pipeline import build
from nlp.train import NHS_DATA, map_labels, read_csv, scores


def baseline(
    train_texts: list[str], train_labels: list[list[str]], test_texts: list[str]
) -> list[list[str]]:
    """TF-IDF word 1-2 and char 2-5 grams, one-vs-rest class-balanced LR, threshold 0.5."""
    names = sorted({lab for labs in train_labels for lab in labs})
    Y = np.array([[lab in labs for lab in names] for labs in train_labels], dtype=int)
    vec = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
    )
    model = OneVsRestClassifier(
        LogisticRegression(C=10, class_weight="balanced", max_iter=2000), n_jobs=2
    )
    model.fit(vec.fit_transform(train_texts), Y)
    proba = model.predict_proba(vec.transform(test_texts))
    return [[names[j] for j in np.flatnonzero(row >= 0.5)] for row in proba]


def compare(
    csv: Path,
    folds: int,
    seed: int,
    overrides: dict[str, Any] | None = None,
    mapped: bool = False,
) -> dict[str, Any]:
    """Per fold and on average: micro/macro F1 and train seconds of baseline and classifier."""
    examples = read_csv(csv)
    if mapped:
        examples = map_labels(examples, None)
    texts = [ex.text for ex in examples]
    labels = [ex.labels for ex in examples]
    nlp = build()
    clf = cast(ThemeClassifier, nlp.get_pipe("theme_classifier"))
    for key, value in (overrides or {}).items():
        setattr(clf, key, value)
    with nlp.select_pipes(enable=["lemmatizer", "theme_rules"]):
        views = [doc_views(doc, sentences=clf.sentence_weight > 0) for doc in nlp.pipe(texts)]

    rows: dict[str, list[dict[str, float]]] = {"baseline": [], "yousaid": []}
    for fold, (tr, te) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(texts)):
        gold = [labels[i] for i in te]
        started = time.perf_counter()
        predicted = baseline(
            [texts[i] for i in tr], [labels[i] for i in tr], [texts[i] for i in te]
        )
        rows["baseline"].append(_row(gold, predicted, started))

        started = time.perf_counter()
        clf.fit([views[i] for i in tr], [labels[i] for i in tr], seed=seed)
        decided = clf.predict([views[i] for i in te]) >= 0.5
        predicted = [[clf.labels[j] for j in np.flatnonzero(row)] for row in decided]
        rows["yousaid"].append(_row(gold, predicted, started))
        print(json.dumps({"fold": fold, **{k: v[-1] for k, v in rows.items()}}), file=sys.stderr)

    summary = {
        name: {key: round(float(np.mean([r[key] for r in runs])), 4) for key in runs[0]}
        for name, runs in rows.items()
    }
    gain = {
        key: round(summary["yousaid"][key] - summary["baseline"][key], 4)
        for key in ("micro_f1", "macro_f1")
    }
    return {
        "csv": str(csv),
        "labels": "mapped" if mapped else "raw",
        "folds": folds,
        "seed": seed,
        "mean": summary,
        "gain": gain,
        "per_fold": rows,
    }


def _row(gold: list[list[str]], predicted: list[list[str]], started: float) -> dict[str, float]:
    result = scores(gold, predicted)
    return {
        "micro_f1": result["micro_f1"],
        "macro_f1": result["macro_f1"],
        "train_seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the comparison as JSON."""
    parser = argparse.ArgumentParser(prog="python -m nlp.compare", description=__doc__)
    parser.add_argument("--csv", type=Path, default=NHS_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--classifier",
        type=json.loads,
        default=None,
        help='JSON overrides, e.g. {"micro_weight": 0.7}',
    )
    parser.add_argument(
        "--mapped", action="store_true", help="map the file's labels onto the taxonomy's themes"
    )
    args = parser.parse_args(argv)
    result = compare(args.csv, args.folds, args.seed, args.classifier, args.mapped)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
