"""The core's access to the one catalogue of words (handlers/texts.py).

A few core modules write whole messages (a digest, its evidence lines, the questions
section): their words still live in handlers/texts.py, with every other string a person
reads. The catalogue is looked up when a word is needed, not when the module is imported,
because the handlers package imports these core modules itself (a top-level import would
go round in a circle).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any


def _catalogue() -> Any:
    return importlib.import_module("handlers.texts")


def word(name: str) -> Any:
    """One entry of the catalogue (a string, a tuple, a dict of strings)."""
    return getattr(_catalogue(), name)


class Words(Mapping[str, str]):
    """A dict of strings in handlers/texts.py, read through on each lookup."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _table(self) -> Mapping[str, str]:
        table: Mapping[str, str] = word(self.name)
        return table

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())
