"""Sentence vectors for "me too": a static space distilled from all-MiniLM-L6-v2.

A text's vector is the weighted mean of its WordPiece tokens' vectors (nlp/sentence/,
built offline by nlp/build_sentence.py: each token passed alone through the transformer,
centred, reduced, weighted by how rare it is in the services corpus). It knows that "14
never came" and "no 14 bus again today" are close where the words barely overlap, at the
cost of a lookup: no transformer runs here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

SHIPPED = Path(__file__).parent / "sentence"
DIMENSIONS = 256
# Smooth inverse frequency's constant: a token this common in the corpus weighs half.
SIF = 3e-4
# Long texts: their first tokens say what they are about; the rest costs time only.
MAX_TOKENS = 256
# ...and only this many characters are tokenized (a token is three to four on average).
MAX_CHARS = 6 * MAX_TOKENS


@dataclass(frozen=True)
class Space:
    """The token vectors and weights, and the tokenizer that gives their rows."""

    vectors: np.ndarray
    weight: np.ndarray
    tokenizer: Tokenizer
    # False for the special tokens: [UNK] (an emoji, a script the vocabulary lacks) says
    # nothing of what a text is about, yet weighs as a rare word.
    usable: np.ndarray

    @property
    def dimensions(self) -> int:
        return int(self.vectors.shape[1])

    def vector(self, text: str) -> np.ndarray:
        """The text's unit vector (zeros for a text with no tokens)."""
        # A lone surrogate (which Telegram never sends, but a test or a script may) is not
        # text the tokenizer takes.
        text = text[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids[:MAX_TOKENS]
        rows = np.asarray(ids, dtype=np.int64)
        rows = rows[self.usable[rows]]
        if not rows.size:
            return np.zeros(self.dimensions, dtype=np.float32)
        v = (self.vectors[rows].astype(np.float32) * self.weight[rows, None]).sum(0)
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v


_loading = threading.Lock()


def load(path: Path = SHIPPED) -> Space:
    """The shipped space (loaded once, whichever thread asks first)."""
    with _loading:
        return _load(path)


@cache
def _load(path: Path) -> Space:
    with np.load(path / "vectors.npz") as data:
        vectors, weight = data["vectors"], data["weight"].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    usable = np.ones(len(vectors), dtype=bool)
    for token in ("[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"):
        if (i := tokenizer.token_to_id(token)) is not None:
            usable[i] = False
    return Space(vectors, weight, tokenizer, usable)


def vector(text: str) -> np.ndarray:
    """A text's unit vector in the shipped space."""
    return load().vector(text)


def knows(word: str) -> bool:
    """Whether a word (lower case) is one token of the space's vocabulary: a word the
    language knows, not a rare name ("northgate" is "north" and "##gate")."""
    return load().tokenizer.token_to_id(word) is not None
