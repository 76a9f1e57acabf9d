"""A learned weighting of the "me too" signals, measured against the hand-built score
(nlp/similar.py): tried and not shipped (see the figures it prints).

For every (report, other report of its service) pair the search considers, the signals the
hand-built score uses (word, character and meaning cosines; objects agreeing; problem
classes, themes, places, tones the same or other; kinds sharing none; lengths; and the
hand-built score itself) feed a regularised logistic regression fitted on
nlp/data/duplicates_train_a.jsonl and _b; its threshold is chosen on them out of fold (a
model of _a scores _b and the other way round): the most duplicates found with a share of
unrelated offers no larger than the hand-built score's at its threshold on the same sets.
It is measured on the development set (never trained on) and, with --held-out, on the
held-out set (aggregate figures only, through nlp/duplicates_eval.py).

python benchmarks/metoo_learn.py                        # linear signals, trained on _a, _b
python benchmarks/metoo_learn.py --variant log          # closeness as logs, objects gate
python benchmarks/metoo_learn.py --with-dev --held-out  # trained on _a, _b and dev too
python benchmarks/metoo_learn.py --weights out.json     # the weights as plain JSON
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import duplicates_eval as de  # noqa: E402
from nlp import problems  # noqa: E402
from nlp import similar as sm  # noqa: E402
from nlp.similar import Index, Query, query  # noqa: E402

DATA = ROOT / "nlp" / "data"
TRAIN = (DATA / "duplicates_train_a.jsonl", DATA / "duplicates_train_b.jsonl")
DEV = DATA / "duplicates_dev.jsonl"
# Inverse regularisation strength: strong, so what two sets of five services each teach
# carries to others.
C = 0.01
HAND_THRESHOLD = sm.THRESHOLD

SIGNALS = (
    "w", "c", "meaning", "agree", "same_problem", "other_problem", "same_theme",
    "other_theme", "same_place", "other_place", "same_tone", "other_tone", "other_kind",
    "length", "their_length", "hand",
)  # fmt: skip
# Never the same report, as in the hand-built score.
NEVER = ("other_tone", "other_place", "other_kind")
CLOSENESS = frozenset({"w", "c", "meaning", "hand"})
LOG_FLOOR = 0.01

Signals = dict[str, np.ndarray]
# The hand-built score (held_out puts the learned one in its place).
HAND_SCORES = Index.scores
Pair = tuple[de.Report, list[de.Report], Signals, np.ndarray]


def signals(index: Index, q: Query) -> tuple[np.ndarray, Signals]:
    """The MEANING_TOP candidates closest in words, and each one's signals, computed as
    Index.scores computes them (its private parts: this is a measurement, not the bot)."""
    ref = index.base or index
    w = index._words.scores(q.words, ref._words.norm(q.words))
    c = index._chars.scores(q.chars, ref._chars.norm(q.chars))
    top = index._top(index.word_weight * w + (1.0 - index.word_weight) * c)
    n = len(top)
    none = np.zeros(n, dtype=bool)
    # `query` gives both (a Query built by hand may not).
    assert q.objects is not None and q.meaning is not None
    s: Signals = {"w": w[top], "c": c[top], "meaning": index._close(q, top)[top]}
    s["agree"] = index._agree(q.objects, top)
    theirs = index._problems[top]
    both = (theirs != 0) & (q.problems != 0)
    shared = both & ((theirs & problems.related(q.problems)) != 0) if q.problems else none
    s["same_problem"], s["other_problem"] = shared, both & ~shared
    themed = index._themed[top] & (q.theme >= 0)
    s["same_theme"] = themed & (index._theme[top] == q.theme)
    s["other_theme"] = themed & (index._theme[top] != q.theme)
    if q.places:
        near = index._names.scores(Counter(q.places))[top] > 0
        s["same_place"], s["other_place"] = index._named[top] & near, index._named[top] & ~near
    else:
        s["same_place"] = s["other_place"] = none
    s["same_tone"] = (index._tone[top] == q.tone) & (q.tone != 0)
    s["other_tone"] = (index._tone[top] == -q.tone) & (q.tone != 0)
    kinds = index._kinds[top]
    s["other_kind"] = (kinds != 0) & ((kinds & q.kinds) == 0) & (q.kinds != 0)
    s["hand"] = HAND_SCORES(index, q)[top]
    return top, {name: np.asarray(s[name], dtype=np.float64) for name in SIGNALS if name in s}


def with_lengths(s: Signals, mine: str, theirs: list[str]) -> Signals:
    """The signals with both texts' lengths (log of one more than their words)."""
    s = dict(s)
    s["length"] = np.full(len(theirs), np.log1p(len(mine.split())))
    s["their_length"] = np.log1p(np.array([len(t.split()) for t in theirs], dtype=np.float64))
    return s


@dataclass(frozen=True)
class Learned:
    """A logistic regression over `design`'s standardised features, and its threshold."""

    variant: str
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5

    def predict(self, s: Signals) -> np.ndarray:
        """How likely each pair is the same report; zero where NEVER (and, for "log", half
        of it where objects do not agree, as the hand-built score)."""
        z = ((design(s, self.variant) - self.mean) / self.scale) @ self.coef + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        if self.variant == "log":
            p = np.where(s["agree"] > 0, p, sm.OTHER_OBJECT * p)
        never = np.logical_or.reduce([s[name] > 0 for name in NEVER])
        return np.where(never, 0.0, p)


def design(s: Signals, variant: str) -> np.ndarray:
    """The features: the signals ("log": closeness as logs), and how far apart and how
    short the two lengths are ("linear": and the word and character blend squared)."""
    columns = [
        np.log(LOG_FLOOR + s[name]) if variant == "log" and name in CLOSENESS else s[name]
        for name in SIGNALS
    ]
    columns += [
        np.abs(s["length"] - s["their_length"]),
        np.minimum(s["length"], s["their_length"]),
    ]
    if variant == "linear":
        lexical = sm.WORD_WEIGHT * s["w"] + (1.0 - sm.WORD_WEIGHT) * s["c"]
        columns.append(lexical * lexical)
    return np.stack(columns, axis=1)


def pairs(path: Path) -> list[Pair]:
    """Each report of a set, the other reports of its service the search considers, their
    signals, and which are the same report; as nlp/duplicates_eval.py searches them."""
    reports = de.load(path)
    kinds = de.kinds_of([r.text for r in reports])
    out = []
    for rows, index in de.service_indexes(reports, kinds):
        for i, report in enumerate(rows):
            top, s = signals(index, query(report.text, kinds[report.text]))
            keep = top != i
            others = [rows[int(j)] for j in top[keep]]
            s = with_lengths(
                {k: v[keep] for k, v in s.items()}, report.text, [o.text for o in others]
            )
            same = np.array([o.group == report.group for o in others], dtype=np.float64)
            out.append((report, others, s, same))
    return out


def fit(data: list[Pair], variant: str, threshold: float = 0.5) -> Learned:
    """A logistic regression over the pairs' standardised features."""
    x = np.concatenate([design(s, variant) for _, _, s, _ in data])
    y = np.concatenate([same for *_, same in data])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=C, max_iter=5000).fit((x - mean) / scale, y)
    return Learned(variant, mean, scale, model.coef_[0], float(model.intercept_[0]), threshold)


def scored(data: list[Pair], model: Learned | None) -> list:
    """As nlp/duplicates_eval.py scores: each report with its others and their scores (the
    hand-built score's without a model)."""
    return [
        (
            r,
            list(
                zip(
                    others, (s["hand"] if model is None else model.predict(s)).tolist(), strict=True
                )
            ),
        )
        for r, others, s, _ in data
    ]


def choose(oof: list, cap: float) -> float:
    """The threshold finding the most duplicates with a share of unrelated offers no
    larger than `cap`, the higher of equals."""
    best, best_recall = 0.99, -1.0
    for step in range(99, 0, -1):
        f = de.figures(oof, step / 100)
        if float(f["unrelated_share"]) <= cap and float(f["recall"]) > best_recall:
            best, best_recall = step / 100, float(f["recall"])
    return best


def show(name: str, f: dict) -> str:
    return (
        f"{name:34s} @{f['threshold']}: unrelated {f['unrelated_share']:.1%} "
        f"({f['unrelated']}/{f['suggestions']}), found {f['recall']:.1%} "
        f"({f['found']}/{f['with_duplicate']})"
    )


def held_out(model: Learned) -> None:
    """The held-out set's aggregate figures with the learned score in place of the
    hand-built one (nlp/duplicates_eval.py, never its lines)."""

    def scores(self: Index, text: str | Query) -> np.ndarray:
        q = query(text) if isinstance(text, str) else text
        out = np.zeros(len(self.candidates))
        if self.candidates:
            top, s = signals(self, q)
            theirs = [self.candidates[int(j)].text for j in top]
            # The query's text is not kept in a Query: its length from its word count.
            out[top] = model.predict(with_lengths(s, _text_of[id(q)], theirs))
        return out

    _text_of: dict[int, str] = {}
    original_query = de.query

    def remembering(text: str, kinds: object = ()) -> Query:
        q = original_query(text, kinds)  # type: ignore[arg-type]
        _text_of[id(q)] = text
        return q

    reports = de.load()
    tune, test = de.split(reports)
    print(show("hand, held-out whole", de.figures(de._scored(reports), HAND_THRESHOLD)))
    print(show("hand, held-out test half", de.figures(de._scored(test), HAND_THRESHOLD)))
    de.query = remembering  # type: ignore[assignment]
    Index.scores = scores  # type: ignore[method-assign]
    try:
        for name, part in (("held-out tune half", tune), ("held-out test half", test)):
            print(show(name, de.figures(de._scored(part), model.threshold)))
        print(show("held-out whole", de.figures(de._scored(reports), model.threshold)))
    finally:
        Index.scores = HAND_SCORES  # type: ignore[method-assign]
        de.query = original_query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=("linear", "log"), default="linear")
    parser.add_argument("--with-dev", action="store_true")
    parser.add_argument("--held-out", action="store_true")
    parser.add_argument("--weights", type=Path)
    args = parser.parse_args()
    a, b = (pairs(p) for p in TRAIN)
    dev = pairs(DEV)
    folds = [a, b, dev] if args.with_dev else [a, b]
    oof = []
    for i, held in enumerate(folds):
        rest = [p for j, f in enumerate(folds) if j != i for p in f]
        oof += scored(held, fit(rest, args.variant))
    train = [p for f in folds for p in f]
    cap = float(de.figures(scored(train, None), HAND_THRESHOLD)["unrelated_share"])
    threshold = choose(oof, cap)
    model = fit(train, args.variant, threshold)
    print(show("hand, sets trained on", de.figures(scored(train, None), HAND_THRESHOLD)))
    print(show("learned, out of fold", de.figures(oof, threshold)))
    for name, data in (("a", a), ("b", b), ("dev", dev)):
        print(show(f"hand {name}", de.figures(scored(data, None), HAND_THRESHOLD)))
        print(show(f"learned {name}", de.figures(scored(data, model), threshold)))
    if args.held_out:
        held_out(model)
    if args.weights:
        weights = {
            "variant": args.variant,
            "signals": list(SIGNALS),
            "trained_on": [p.name for p in TRAIN] + ([DEV.name] if args.with_dev else []),
            "C": C,
            "threshold": threshold,
            "mean": model.mean.tolist(),
            "scale": model.scale.tolist(),
            "coef": model.coef.tolist(),
            "intercept": model.intercept,
        }
        args.weights.write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
