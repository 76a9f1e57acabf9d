"""Benchmark the "me too" search; prints JSON.

python benchmarks/duplicates.py            # 100,000 items of ONE service, all in the window
python benchmarks/duplicates.py --items 20000

The worst case honestly: every item of the deployment is of the service written about and
published within the window, so nothing cuts the index down. Items are the evaluation set's
texts with varied places and numbers (so the vocabulary grows as real reports would). Timed:
one search (what a citizen waits for, in a thread, before the write transaction: the kinds of
their words from the theme pipeline, then the scores, as bot/metoo.py does) on the base
index plus the parts added since (as bot/metoo.py keeps it: 1,000 items added one by one,
its rebuild point at 100,000 is 25,000); the incremental update when an item is published
(one part of its own); and the full build, done only in the background (bot/metoo.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.duplicates_eval import load  # noqa: E402
from nlp.pipeline import load as load_model  # noqa: E402
from nlp.similar import Candidate, Growing, query  # noqa: E402

STREETS = "Elm Oak Ash Birch Mill Church Station Queen King Castle High Park Hill Bridge".split()
KINDS = "Road Street Lane Avenue Close Way Drive Crescent".split()


def items(n: int, seed: int = 0) -> list[Candidate]:
    """n varied report texts, each with the kinds of feedback its words are."""
    rng = random.Random(seed)
    pool = [r.text for r in load()]
    analyser = load_model()
    kinds = {text: analyser.kinds(text) for text in pool}
    out = []
    for i in range(n):
        place = f"{rng.choice(STREETS)}{rng.randint(1, 400)} {rng.choice(KINDS)}"
        text = rng.choice(pool)
        words = f"{text} near {place}, number {rng.randint(1, 99)}"
        out.append(Candidate(i, words, kinds=kinds[text]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--added", type=int, default=1_000)
    args = parser.parse_args()
    corpus = items(args.items + args.added)
    started = time.perf_counter()
    index = Growing.build(corpus[: args.items])
    build = time.perf_counter() - started
    updates = []
    for candidate in corpus[args.items :]:
        started = time.perf_counter()
        index = index.add([candidate])
        updates.append((time.perf_counter() - started) * 1000)
    updates.sort()
    queries = [r.text for r in load()]
    analyser = load_model()
    times = []
    suggested = 0
    for i in range(args.queries):
        started = time.perf_counter()
        text = queries[i % len(queries)]
        found = index.search(query(text, analyser.kinds(text)), since=0.0)
        times.append((time.perf_counter() - started) * 1000)
        suggested += len(found)
    times.sort()
    print(
        json.dumps(
            {
                "items": args.items,
                "added_since_build": args.added,
                "queries": args.queries,
                "search_ms_median": round(statistics.median(times), 2),
                "search_ms_p95": round(times[int(0.95 * (len(times) - 1))], 2),
                "search_ms_max": round(times[-1], 2),
                "update_ms_median": round(statistics.median(updates), 2) if updates else None,
                "update_ms_max": round(updates[-1], 2) if updates else None,
                "full_build_s_background": round(build, 2),
                "goal_ms": 20,
                "suggestions_per_query": round(suggested / args.queries, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
