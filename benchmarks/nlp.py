"""Benchmark the theme pipeline; prints JSON.

python benchmarks/nlp.py            # analyse speed, load time, size, and train time
python benchmarks/nlp.py --no-train # skip training (about 40 s)

Times are wall-clock; the *_cpu figures are the CPU time the work took, which other processes
on a busy machine disturb much less (read them together: wall time is what a user waits).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.pipeline import DEFAULT_MODEL, load  # noqa: E402
from nlp.train import NHS_DATA  # noqa: E402

N_TEXTS = 10_000

# Loading is timed in a fresh interpreter: in this one, spaCy is already imported.
LOAD_SNIPPET = """
import time
started, cpu = time.perf_counter(), time.process_time()
from nlp.pipeline import load
load()
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def texts(n: int) -> list[str]:
    """n real comments: the NHS file repeated."""
    with NHS_DATA.open(newline="", encoding="utf-8") as f:
        pool = [row["text"] for row in csv.DictReader(f)]
    return [pool[i % len(pool)] for i in range(n)]


def directory_size(path: Path) -> int:
    """Bytes of every file under path."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-train", action="store_true", help="skip the training benchmark")
    args = parser.parse_args(argv)

    out = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall, cpu = (float(x) for x in out.stdout.split())
    result: dict[str, object] = {
        "load_seconds_cold": round(wall, 2),
        "load_cpu_cold": round(cpu, 2),
    }

    started = time.perf_counter()
    analyser = load()
    result["load_seconds_in_process"] = round(time.perf_counter() - started, 2)
    batch = texts(N_TEXTS)
    analyser.analyse(batch[:1000])  # warm up: builds the phrase matchers
    started, cpu = time.perf_counter(), time.process_time()
    analyser.analyse(batch)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    result["analyse_texts"] = N_TEXTS
    result["analyse_docs_per_second"] = round(N_TEXTS / elapsed)
    result["analyse_docs_per_cpu_second"] = round(N_TEXTS / cpu)
    result["model_bytes"] = directory_size(DEFAULT_MODEL)

    if not args.no_train:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "nlp.cli", "train", "--csv", str(NHS_DATA)]
            started = time.perf_counter()
            subprocess.run(
                [*cmd, "--out", f"{tmp}/model", "--quiet"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            result["train_seconds_nhs"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
