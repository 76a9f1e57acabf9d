"""The labelled texts that ship with yousaid: NHS comments and hand-written service feedback."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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
            for number, line in enumerate(_lines(f, path), 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: {exc}") from exc
                problem = _row_problem(row)
                if problem:
                    raise ValueError(f"{path}:{number}: {problem}")
                if split != "all" and row.get("split", "train") != split:
                    continue
                kinds = [str(k) for k in row.get("kinds", [])]
                out.append(
                    Example(
                        text=row["text"].strip(),
                        labels=sorted(set(row.get("themes", []))),
                        kind=kinds[0] if kinds else "",
                        kinds=kinds,
                        family=str(row.get("family", "")),
                    )
                )
    return out


def _lines(f: Iterable[str], path: Path) -> Iterator[str]:
    """The lines of a text file, a file that is not UTF-8 named as such."""
    try:
        yield from f
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _row_problem(row: object) -> str | None:
    """What is wrong with one labelled row, or None: a string "themes" would be read
    letter by letter, so types are checked, not coerced."""
    if not isinstance(row, dict):
        return "each line must be a JSON object"
    if not isinstance(row.get("text"), str):
        return '"text" must be a string'
    for key in ("themes", "kinds"):
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'"{key}" must be a list of strings'
    return None


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
