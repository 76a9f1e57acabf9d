"""Long runs of symbols ("!!!!…", a line of emoji) split off as one affix, not one by one.

spaCy's tokenizer strips prefixes and suffixes one at a time, searching what is left each
time: a 4,000-character run of "!" or emoji cost seconds (quadratic), in the theme pipeline
and the redactor alike. A run of LONG or more such characters at either end of a token is
taken whole instead; shorter runs, and so every ordinary text, tokenize as before.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language

LONG = 16
# Not a letter, digit or space; possessive, and a suffix only from where its run begins,
# so that each search is linear.
_PREFIX = rf"^[^\w\s]{{{LONG},}}+"
_SUFFIX = rf"(?<![^\w\s])[^\w\s]{{{LONG},}}+$"


def calm(nlp: Language) -> Language:
    """The pipeline with its tokenizer taking long runs of symbols whole (in place)."""
    tokenizer: Any = nlp.tokenizer
    prefix = getattr(tokenizer, "prefix_search", None)
    suffix = getattr(tokenizer, "suffix_search", None)
    if prefix is not None and _PREFIX not in prefix.__self__.pattern:
        tokenizer.prefix_search = _first(_PREFIX, prefix.__self__).search
    if suffix is not None and _SUFFIX not in suffix.__self__.pattern:
        tokenizer.suffix_search = _first(_SUFFIX, suffix.__self__).search
    return nlp


def _first(pattern: str, rest: re.Pattern[str]) -> re.Pattern[str]:
    # Tried before the others at each position: the run is taken whole, not its last "!".
    return re.compile(f"(?:{pattern})|(?:{rest.pattern})", rest.flags)
