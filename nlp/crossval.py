"""Cross-validation of the shipped recipe on services train or on the NHS file.

    python -m nlp.crossval --target services --weight 2 --folds 4
    python -m nlp.crossval --target nhs --weight 2 --folds 5

Each fold trains the whole pipeline as `make model` does (NHS mapped plus services train,
services repeated --weight times), without the held-out fold, and scores the full Analyser
(rules, model, fallback) on it. The services dev split is never used. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

from nlp.corpus import nhs_examples, services_examples
from nlp.pipeline import load
from nlp.train import Example, summary, train

MEAN_KEYS = ("micro_f1", "macro_f1", "no_theme_share", "four_or_more_share", "kind_accuracy")


def folds(examples: list[Example], n: int, seed: int) -> list[tuple[list[int], list[int]]]:
    """Shuffled K-fold train and test indices."""
    splitter = KFold(n, shuffle=True, random_state=seed)
    return [(list(a), list(b)) for a, b in splitter.split(np.zeros(len(examples)))]


def crossval(
    target: str, weight: int, n_folds: int, seed: int, keep: Path | None = None
) -> dict[str, Any]:
    """Per fold and on average: the held-out scores of the full pipeline."""
    nhs, services = nhs_examples(), services_examples("train")
    held = services if target == "services" else nhs
    per_fold = []
    for i, (train_idx, test_idx) in enumerate(folds(held, n_folds, seed)):
        kept = [held[j] for j in train_idx]
        if target == "services":
            examples = nhs + kept * weight
        else:
            examples = kept + services * weight
        with tempfile.TemporaryDirectory() as tmp:
            out = (keep / f"fold{i}") if keep else Path(tmp) / "model"
            if not (out / "meta.json").exists():
                out.parent.mkdir(parents=True, exist_ok=True)
                train(examples, out, seed=seed, progress=False)
            test = [held[j] for j in test_idx]
            result = summary(test, load(out).analyse([ex.text for ex in test]))
        per_fold.append({k: result[k] for k in MEAN_KEYS if k in result})
        print(json.dumps({"fold": i, **per_fold[-1]}), file=sys.stderr)
    mean = {k: round(float(np.mean([f[k] for f in per_fold])), 4) for k in per_fold[0]}
    return {
        "target": target,
        "weight": weight,
        "folds": n_folds,
        "mean": mean,
        "per_fold": per_fold,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the cross-validation and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", choices=["services", "nhs"], default="services")
    parser.add_argument("--weight", type=int, default=2, help="times each services text counts")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the fold models here")
    args = parser.parse_args(argv)
    print(json.dumps(crossval(args.target, args.weight, args.folds, args.seed, args.keep)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
