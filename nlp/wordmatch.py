"""Regex pieces shared by the redaction modules: letter classes and word alternations."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["alternation", "letters"]


def letters(test: str) -> str:
    """A regex class body of the letters of Latin (with its extensions: "Łukasz",
    "Şule"), Greek and Cyrillic for which `str.<test>()` holds, as ranges."""
    blocks = [(0x41, 0x24F), (0x370, 0x52F), (0x1E00, 0x1EFF)]
    chars = [
        c
        for first, last in blocks
        for c in map(chr, range(first, last + 1))
        if c.isalpha() and getattr(c, test)()
    ]
    runs: list[list[str]] = []
    for c in chars:
        if runs and ord(c) == ord(runs[-1][-1]) + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return "".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def alternation(words: Iterable[str], gap: str = r"\s+") -> str:
    """The words as one regex alternation, longest first (so "social worker" is tried before
    "worker"), each space standing for `gap`."""
    ordered = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", gap) for w in ordered)
