"""Rebuild the shipped default model (`make model`): NHS comments mapped plus services train."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from nlp.corpus import nhs_examples, services_examples
from nlp.pipeline import DEFAULT_MODEL
from nlp.taxonomy import DEFAULT_TAXONOMY
from nlp.train import Example, to_json, train

SEED = 0
# Each hand-written services text counts this many times. The NHS file is 3.7 times larger
# and about one kind of service; chosen by cross-validation on services train (nlp.crossval).
SERVICES_WEIGHT = 2


def training_examples(
    taxonomy: Path | str | None = DEFAULT_TAXONOMY, services_weight: int = SERVICES_WEIGHT
) -> list[Example]:
    """The shipped training texts, services train repeated services_weight times."""
    # Repeating a text is the same as weighing it up in the hinge loss of the linear models.
    return nhs_examples(taxonomy) + services_examples("train") * services_weight


def main(argv: list[str] | None = None) -> int:
    """Train on the shipped examples with the default taxonomy into nlp/model/."""
    out = Path(argv[0]) if argv else DEFAULT_MODEL
    started = time.perf_counter()
    examples = training_examples()
    # Save next to the target, then swap, so a failed build never leaves half a model.
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        train(examples, Path(tmp) / "model", taxonomy=DEFAULT_TAXONOMY, seed=SEED)
        if out.exists():
            shutil.rmtree(out)
        shutil.move(str(Path(tmp) / "model"), out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(
        to_json(
            {
                "model": str(out),
                "n": len(examples),
                "bytes": size,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
