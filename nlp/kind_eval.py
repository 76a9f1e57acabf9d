"""How well the kinds are found: on the services dev split, and cross-validated on train.

python -m nlp.kind_eval                 # the shipped model on services dev
python -m nlp.kind_eval --model PATH    # another saved model
python -m nlp.kind_eval --cv 5          # 5-fold cross-validation on services train
python -m nlp.kind_eval --eval-set      # nlp/eval/kinds.jsonl, written apart (never tuned on)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import numpy as np

from nlp.corpus import services_examples
from nlp.kind import KINDS, FeedbackKind
from nlp.pipeline import DEFAULT_MODEL, build, load
from nlp.train import NHS_DATA, Example, kind_examples, read_csv, to_json


def kind_scores(
    gold: list[list[str]], predicted: list[list[str]], families: list[str] | None = None
) -> dict[str, Any]:
    """Accuracy (the main predicted kind is one of the gold kinds), exact kind sets, per-kind
    F1 over kind sets, accuracy per gold main kind and per family, and mixed texts found."""
    n = len(gold)
    right = [p[0] in g for g, p in zip(gold, predicted, strict=True)]
    out: dict[str, Any] = {
        "n": n,
        "accuracy": round(float(np.mean(right)), 4) if n else 0.0,
        "exact_sets": round(
            float(np.mean([set(g) == set(p) for g, p in zip(gold, predicted, strict=True)])), 4
        )
        if n
        else 0.0,
    }
    per_kind = {}
    for kind in KINDS:
        tp = sum(kind in g and kind in p for g, p in zip(gold, predicted, strict=True))
        fp = sum(kind not in g and kind in p for g, p in zip(gold, predicted, strict=True))
        fn = sum(kind in g and kind not in p for g, p in zip(gold, predicted, strict=True))
        per_kind[kind] = {
            "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 0.0,
            "support": tp + fn,
        }
    out["per_kind_f1"] = per_kind
    by_main: dict[str, list[bool]] = defaultdict(list)
    for g, ok in zip(gold, right, strict=True):
        by_main[g[0]].append(ok)
    out["accuracy_by_gold_main_kind"] = {
        k: {"accuracy": round(float(np.mean(v)), 4), "n": len(v)}
        for k, v in sorted(by_main.items())
    }
    if families:
        by_family: dict[str, list[bool]] = defaultdict(list)
        for fam, ok in zip(families, right, strict=True):
            by_family[fam].append(ok)
        out["accuracy_by_family"] = {
            k: {"accuracy": round(float(np.mean(v)), 4), "n": len(v)}
            for k, v in sorted(by_family.items())
        }
    both = {"complaint", "compliment"}
    mixed_gold = [both <= set(g) for g in gold]
    mixed_pred = [both <= set(p) for p in predicted]
    tp = sum(g and p for g, p in zip(mixed_gold, mixed_pred, strict=True))
    out["mixed_praise_and_blame"] = {
        "gold": sum(mixed_gold),
        "predicted": sum(mixed_pred),
        "found": tp,
    }
    return out


def evaluate_model(model: Path | str, examples: list[Example]) -> dict[str, Any]:
    """Score a saved pipeline's kinds on texts with gold kinds."""
    analyser = load(Path(model))
    analyses = analyser.analyse([ex.text for ex in examples])
    return kind_scores(
        [ex.kinds for ex in examples], [a.kinds for a in analyses], [ex.family for ex in examples]
    )


KINDS_SET = Path(__file__).parent / "eval" / "kinds.jsonl"


def load_kinds_set(path: Path = KINDS_SET) -> list[Example]:
    """The kind evaluation set: JSON lines of text, kinds (main first) and family."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(
                Example(row["text"], [], kinds=list(row["kinds"]), family=row.get("family", ""))
            )
    return out


def cross_validate(folds: int = 5, seed: int = 0, rated: bool = True) -> dict[str, Any]:
    """Fit the kind component on all but one fold of services train (plus the rated NHS
    comments when rated), predict the fold left out, and score every prediction."""
    examples = services_examples("train")
    nlp = build()
    kind = cast(FeedbackKind, nlp.get_pipe("feedback_kind"))
    extra = kind_examples(read_csv(NHS_DATA)) if rated else kind_examples([])
    with nlp.select_pipes(enable=["lemmatizer"]):
        docs = list(nlp.pipe(ex.text for ex in examples))
        extra_views = [kind.views(doc) for doc in nlp.pipe(extra.texts)]
    views = [kind.views(doc) for doc in docs]
    order = np.random.default_rng(seed).permutation(len(examples))
    fold_of = np.empty(len(examples), dtype=int)
    fold_of[order] = np.arange(len(examples)) % folds
    predicted: list[list[str]] = [[] for _ in examples]
    for fold in range(folds):
        train = [i for i in range(len(examples)) if fold_of[i] != fold]
        test = [i for i in range(len(examples)) if fold_of[i] == fold]
        kind.fit(
            [views[i] for i in train] + extra_views,
            [examples[i].kinds for i in train] + extra.kinds,
            [True] * len(train) + extra.complete,
            [1.0] * len(train) + extra.weights,
            seed=seed,
        )
        for i, doc in zip(test, kind.pipe(docs[i] for i in test), strict=True):
            predicted[i] = list(doc._.kinds)
    return kind_scores([ex.kinds for ex in examples], predicted, [ex.family for ex in examples])


def main(argv: list[str] | None = None) -> int:
    """Print kind scores as JSON: a saved model on services dev, or cross-validation."""
    parser = argparse.ArgumentParser(prog="python -m nlp.kind_eval", description=__doc__)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--cv", type=int, default=0, help="folds of cross-validation on train")
    parser.add_argument("--no-rated", action="store_true", help="leave the NHS ratings out")
    parser.add_argument("--eval-set", action="store_true", help="nlp/eval/kinds.jsonl")
    args = parser.parse_args(argv)
    if args.eval_set:
        print(to_json({"eval_set": evaluate_model(args.model, load_kinds_set())}))
    elif args.cv:
        print(to_json({"cv": cross_validate(args.cv, rated=not args.no_rated)}))
    else:
        print(to_json({"dev": evaluate_model(args.model, services_examples("dev"))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
