"""A person's text kept to itself when it sits in a line with other text.

Text may carry Unicode direction controls: an unclosed RIGHT-TO-LEFT OVERRIDE (U+202E) in
a quote would reverse everything after it on the line (the item number, the service, the
next quote). `isolate` drops the controls that would leak (unclosed openers, closers with
nothing to close) and wraps what is left in FIRST STRONG ISOLATE ... POP DIRECTIONAL
ISOLATE, so Arabic or Hebrew still reads right to left inside and nothing leaks outside.
"""

from __future__ import annotations

import re

FSI = "\u2068"
PDI = "\u2069"
# Embeddings and overrides (LRE, RLE, LRO, RLO), closed by PDF.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
_PDF = "\u202c"
# Isolates (LRI, RLI, FSI), closed by PDI.
_ISOLATES = frozenset("\u2066\u2067\u2068")
# A paragraph break ends every embedding and isolate (Unicode bidi rule X8).
_PARAGRAPH = frozenset("\n\r\u2029\x1c\x1d\x1e\x85")
_LINES = re.compile("([" + "".join(sorted(_PARAGRAPH)) + "])")


def balanced(text: str) -> str:
    """`text` without the direction controls that are not closed (or close nothing)."""
    kept: list[str] = []
    # Positions in `kept` of the openers not yet closed, with the kind of each.
    open_: list[tuple[int, bool]] = []
    dropped: set[int] = set()

    def close_paragraph() -> None:
        dropped.update(position for position, _ in open_)
        open_.clear()

    for char in text:
        if char in _EMBEDDINGS or char in _ISOLATES:
            open_.append((len(kept), char in _ISOLATES))
        elif char == _PDF:
            # A PDF closes the latest embedding, but never past an isolate.
            if not open_ or open_[-1][1]:
                continue
            open_.pop()
        elif char == PDI:
            # A PDI closes the latest isolate and every embedding opened inside it.
            if not any(isolate for _, isolate in open_):
                continue
            while open_:
                position, isolate = open_.pop()
                if isolate:
                    break
                dropped.add(position)
        elif char in _PARAGRAPH:
            close_paragraph()
        kept.append(char)
    close_paragraph()
    return "".join(c for i, c in enumerate(kept) if i not in dropped)


def isolate(text: str) -> str:
    """`text` made safe to embed in a line: balanced, each line inside a first-strong isolate."""
    # An isolate ends with its paragraph: each line of a text of several lines gets its own.
    return "".join(
        part if not part or part in _PARAGRAPH else FSI + part + PDI
        for part in _LINES.split(balanced(text))
    )
