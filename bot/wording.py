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

from bot.i18n import Plural


def _catalogue() -> Any:
    return importlib.import_module("handlers.texts")


def word(name: str) -> Any:
    """One entry of the catalogue (a string, a tuple, a dict of strings, a Plural)."""
    return getattr(_catalogue(), name)


def plural(name: str) -> Plural:
    """An entry of the catalogue that changes with a number: `.format(n, ...)`."""
    found = word(name)
    if not isinstance(found, Plural):
        raise TypeError(f"{name} is not a Plural")
    return found


class Words(Mapping[str, str]):
    """A dict of strings in handlers/texts.py, read through on each lookup; the entries
    that change with a number are `Plural`s, read with `plural(key)`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _table(self) -> Mapping[str, str]:
        table: Mapping[str, str] = word(self.name)
        return table

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def plural(self, key: str) -> Plural:
        """An entry that changes with a number: `.format(n, ...)` picks its form."""
        found: object = self._table()[key]
        if not isinstance(found, Plural):
            raise TypeError(f"{self.name}.{key} is not a Plural")
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())
