"""Benchmark redaction speed on the evaluation set's texts; prints JSON.

python benchmarks/redaction.py              # per-item time over the feedback set
python benchmarks/redaction.py --repeat 5   # each text timed 5 times (steadier figures)
python benchmarks/redaction.py --attacks    # the inputs that once took seconds, timed

--attacks times exactly the long and odd texts of tests/nlp/test_redact_attacks.py and
tests/nlp/test_redact_normalise.py (whose tests check only the result), the 4,096-character
runs of symbols of tests/nlp/test_affixes.py (redacted and analysed), and the combining of
3000 learned findings with thousands of rule findings. Each case prints its seconds (the best
of --repeat) and the bound it should stay under; "within_bounds" is false, and the exit status
1, if any is over. The bounds are loose (these took from 1 to 57 s before their fixes): over
one means a quadratic scan or catastrophic backtracking is back, not a slow machine.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.redaction_eval import FEEDBACK_SET, VARIANTS_SET, load_set  # noqa: E402

# Loading is timed in a fresh interpreter, so nothing is imported or built beforehand.
LOAD_SNIPPET = """
import time
started = time.perf_counter()
from nlp.redact import default_redactor
from nlp.redact_learned import load_detector
default_redactor()
load_detector()
print(time.perf_counter() - started)
"""


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted values fall (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The shortest of `repeat` timings of `run()`, in seconds."""
    times = []
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def attacks(repeat: int) -> dict[str, object]:
    """Time the redactor on the inputs that once took seconds, each against its bound."""
    from nlp.redact import Redactor, redact
    from tests.nlp.test_redact_attacks import LONG, combine_case
    from tests.nlp.test_redact_normalise import LONG_ODD

    rules_only = Redactor.from_file(use_model=False)
    rules_only.redact("warm up")
    redact("warm up")  # the default redactor, with the learned detector, as the bot runs it
    cases: dict[str, dict[str, float]] = {}
    for name, text in LONG.items():
        # The rules alone: the learned detector adds its own time, about linear in the length.
        seconds = best_of(repeat, partial(rules_only.redact, text))
        cases[f"rules:{name}"] = {"seconds": round(seconds, 3), "bound": 2.0}
    for i, text in enumerate(LONG_ODD):
        seconds = best_of(repeat, partial(redact, text))
        cases[f"odd:{i}:{text[:12]}"] = {"seconds": round(seconds, 3), "bound": 1.0}
    from nlp.pipeline import load
    from tests.nlp.test_affixes import _runs

    analyser = load()
    analyser.analyse(["warm up"])
    for text in _runs(4096):
        # Once each: spaCy caches a token's pieces, so a second run would time the cache.
        seconds = best_of(1, partial(redact, text)) + best_of(1, partial(analyser.analyse, [text]))
        cases[f"runs:{text[:8]}"] = {"seconds": round(seconds, 3), "bound": 1.0}  # 1-5 s before
    combining = Redactor.from_file(use_model=False)
    text, ruled, learned = combine_case(combining)
    combining._find_learned = lambda text: learned  # type: ignore[method-assign]
    seconds = best_of(repeat, partial(combining._combine_learned, text, ruled))
    cases["combine-learned"] = {"seconds": round(seconds, 3), "bound": 1.0}  # 4 s before
    return {
        "attacks": cases,
        "within_bounds": all(c["seconds"] < c["bound"] for c in cases.values()),
    }


def main(argv: list[str] | None = None) -> int:
    """Time loading the redactor and redacting each text; print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="times each text is redacted (3)")
    parser.add_argument(
        "--with-variants", action="store_true", help="time the spelling variants too"
    )
    parser.add_argument(
        "--attacks", action="store_true", help="time the inputs that once took seconds"
    )
    args = parser.parse_args(argv)
    if args.attacks:
        timed = attacks(args.repeat)
        print(json.dumps(timed, indent=2))
        return 0 if timed["within_bounds"] else 1

    out = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = {"load_seconds_cold": round(float(out.stdout), 3)}

    from nlp.redact import default_redactor
    from nlp.redact_learned import MODEL_DIR, load_detector

    started = time.perf_counter()
    redactor = default_redactor()  # built once; every call below reuses it
    load_detector()  # the name and address model, loaded once
    result["load_seconds_in_process"] = round(time.perf_counter() - started, 3)
    size = sum(f.stat().st_size for f in MODEL_DIR.rglob("*") if f.is_file())
    result["model_mb"] = round(size / 1e6, 2)

    texts = [i.text for i in load_set(FEEDBACK_SET)]
    if args.with_variants:
        texts += [i.text for i in load_set(VARIANTS_SET)]
    for text in texts:  # warm-up: first calls fill caches
        redactor.redact(text)
    per_item: list[float] = []
    for _ in range(args.repeat):
        for text in texts:
            started = time.perf_counter()
            redactor.redact(text)
            per_item.append((time.perf_counter() - started) * 1000)
    result.update(
        {
            "texts": len(texts),
            "mean_chars": round(statistics.mean(len(t) for t in texts), 1),
            "timings": len(per_item),
            "ms_mean": round(statistics.mean(per_item), 3),
            "ms_median": round(statistics.median(per_item), 3),
            "ms_p95": round(percentile(per_item, 0.95), 3),
            "ms_max": round(max(per_item), 3),
            "texts_per_second": round(1000 / statistics.mean(per_item)),
        }
    )
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
