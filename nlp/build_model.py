"""Rebuild the shipped default model (`make model`): the NHS data mapped to the default themes."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from nlp.pipeline import DEFAULT_MODEL
from nlp.taxonomy import DEFAULT_TAXONOMY
from nlp.train import NHS_DATA, map_labels, read_csv, to_json, train

SEED = 0


def main(argv: list[str] | None = None) -> int:
    """Train on nlp/data/nhs-fft-themes/train.csv with the default taxonomy into nlp/model/."""
    out = Path(argv[0]) if argv else DEFAULT_MODEL
    started = time.perf_counter()
    examples = map_labels(read_csv(NHS_DATA), DEFAULT_TAXONOMY)
    # Save next to the target, then swap, so a failed build never leaves half a model.
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        train(examples, Path(tmp) / "model", taxonomy=DEFAULT_TAXONOMY, seed=SEED)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(Path(tmp) / "model"), out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(
        to_json(
            {"model": str(out), "bytes": size, "seconds": round(time.perf_counter() - started, 1)}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
