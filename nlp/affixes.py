"""Prefix and suffix searches that look at a token's ends only.

spaCy's tokenizer strips a token's prefixes and suffixes one at a time, searching what is
left each time; a suffix search is a regex search over the whole of it (its patterns end in
"$"), so a 4,096-character token of "!", emoji or "'s" cost over a second, quadratic, in the
theme pipeline and the redactor alike. spaCy uses only a match's length, and no ordinary
prefix or suffix is near WINDOW characters long: searching the ends alone gives the same
tokens, each search bounded (a match that fills the window is searched for again, whole).
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language

# Characters searched at a token's start (prefixes) or end (suffixes).
WINDOW = 64


class Windowed:
    """A compiled pattern searched within WINDOW characters of one end of the string.

    Keeps the pattern's `pattern` and `flags`: spaCy saves a tokenizer's searches by them
    (a saved model is the same with or without the window)."""

    def __init__(self, regex: re.Pattern[str], at_end: bool) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        self.flags = regex.flags
        self.at_end = at_end

    def search(self, string: str) -> re.Match[str] | None:
        """The pattern's first match in the window (spaCy reads only its length)."""
        if len(string) <= WINDOW:
            return self.regex.search(string)
        window = string[-WINDOW:] if self.at_end else string[:WINDOW]
        found = self.regex.search(window)
        if found is not None and found.end() - found.start() == WINDOW:
            # An affix as long as the window ("....." on and on) may go on past it: taken
            # whole, as spaCy takes it (this search costs the string's length, but strips
            # at least WINDOW characters).
            return self.regex.search(string)
        return found


def calm(nlp: Language) -> Language:
    """The pipeline with its tokenizer's prefix and suffix searches windowed (in place)."""
    tokenizer: Any = nlp.tokenizer
    for name, at_end in (("prefix_search", False), ("suffix_search", True)):
        search = getattr(tokenizer, name, None)
        owner = getattr(search, "__self__", None)
        if isinstance(owner, re.Pattern):
            setattr(tokenizer, name, Windowed(owner, at_end).search)
    return nlp
