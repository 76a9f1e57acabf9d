"""Shared fixtures: the shipped model, and a small model trained once per session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from nlp.pipeline import Analyser, load
from nlp.train import NHS_DATA

SLICE = 500


@pytest.fixture(scope="session")
def analyser() -> Analyser:
    """The shipped default model."""
    return load()


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first SLICE rows of the NHS data, so training in tests takes seconds."""
    path = tmp_path_factory.mktemp("data") / "small.csv"
    with NHS_DATA.open(newline="", encoding="utf-8") as src, path.open("w", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for i, row in enumerate(reader):
            if i >= SLICE:
                break
            writer.writerow(row)
    return path
