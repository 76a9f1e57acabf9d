"""The labelled texts that ship with yousaid: NHS comments and hand-written service feedback."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from nlp.train import NHS_DATA, Example, map_labels, read_csv

SERVICES_DIR = Path(__file__).parent / "data" / "services"
THEMES_EVAL_DIR = Path(__file__).parent / "eval" / "themes"
Split = Literal["train", "dev", "all"]


def read_jsonl(paths: Iterable[Path], split: Split = "all") -> list[Example]:
    """Labelled texts from JSON lines (text, themes, kinds, family, split), in file order."""
    out = []
    for path in sorted(paths):
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from exc
                if split != "all" and row.get("split", "train") != split:
                    continue
                kinds = [str(k) for k in row.get("kinds", [])]
                out.append(
                    Example(
                        text=str(row["text"]).strip(),
                        labels=sorted(set(row.get("themes", []))),
                        kind=kinds[0] if kinds else "",
                        kinds=kinds,
                        family=str(row.get("family", "")),
                    )
                )
    return out


def services_examples(split: Split = "train", folder: Path = SERVICES_DIR) -> list[Example]:
    """The hand-written service feedback (nlp/data/services/*.jsonl) of one split."""
    return read_jsonl(folder.glob("*.jsonl"), split)


def themes_eval_examples(folder: Path = THEMES_EVAL_DIR) -> list[Example]:
    """The theme evaluation set (nlp/eval/themes/*.jsonl): never trained or tuned on."""
    return read_jsonl(folder.glob("*.jsonl"), "all")


def nhs_examples(taxonomy: Path | str | None = None) -> list[Example]:
    """The NHS comments with their labels mapped onto the taxonomy's themes."""
    return map_labels(read_csv(NHS_DATA), taxonomy)


def shipped_examples(taxonomy: Path | str | None = None) -> list[Example]:
    """What the shipped model is trained on: the NHS comments mapped, plus services train."""
    return nhs_examples(taxonomy) + services_examples("train")
