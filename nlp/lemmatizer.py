"""A lookup lemmatizer that looks up the lower-cased word, so "Waiting" and "waiting" agree."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import LEMMA, LOWER
from spacy.errors import Errors
from spacy.language import Language
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc, Token

_CACHE_SIZE = 200_000
OVERRIDES = Path(__file__).with_name("lemma_overrides.toml")


def load_overrides(path: Path = OVERRIDES) -> dict[str, str]:
    """The reviewed word -> lemma corrections to the lookup table (lower case)."""
    with path.open("rb") as f:
        lemmas = tomllib.load(f)["lemmas"]
    return {word.lower(): lemma.lower() for word, lemma in lemmas.items()}


class LowerLookupLemmatizer(Lemmatizer):
    """spaCy's lookup lemmatizer, reading the lower-case form and returning lower case."""

    _cache: dict[int, int]
    _cache_table: object = None

    def __call__(self, doc: Doc) -> Doc:
        """Lemmatize a doc: the same lemmas as lookup_lemmatize, one array in and out instead
        of a Token object per token, with each lower-cased word looked up once."""
        if (
            self.mode != "lookup"
            or not self.overwrite
            or type(self).lookup_lemmatize is not (LowerLookupLemmatizer.lookup_lemmatize)
        ):
            return super().__call__(doc)
        if not self._validated:
            self._validate_tables(Errors.E1004)
        table = self.lookups.get_table("lemma_lookup", {})
        # A bot runs for months: the cache is dropped when the table changes or it grows large.
        if self._cache_table is not table or len(self._cache) > _CACHE_SIZE:
            self._cache, self._cache_table = {}, table
        if not len(doc):
            return doc
        strings = doc.vocab.strings
        cache = self._cache
        lowers = doc.to_array(LOWER)
        lemmas = []
        for lower in lowers.tolist():
            lemma = cache.get(lower)
            if lemma is None:
                word = strings[lower]
                found = table.get(word, word)
                text = found.lower() if isinstance(found, str) else found[0].lower()
                lemma = cache[lower] = strings.add(text)
            lemmas.append(lemma)
        doc.from_array([LEMMA], np.asarray(lemmas, dtype=np.uint64).reshape(-1, 1))  # type: ignore[arg-type]
        return doc

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        lookups: Any = None,
    ) -> None:
        """Load the lookup table, then correct the lemmas it gets wrong (lemma_overrides.toml)."""
        super().initialize(get_examples, nlp=nlp, lookups=lookups)
        # Applied here, not on every call, so the table saved with a model is the one its
        # weights were trained on: a model built before a correction keeps its own lemmas.
        table = self.lookups.get_table("lemma_lookup")
        for word, lemma in load_overrides().items():
            table[word] = lemma
        self._cache_table = None

    def lookup_lemmatize(self, token: Token) -> list[str]:
        """The lemma of the lower-cased token, or the lower-cased token when unknown."""
        # spaCy's own lookup mode keys on the exact text, so "Waited" stays "Waited";
        # the theme patterns and the classifier both want case-free lemmas.
        table = self.lookups.get_table("lemma_lookup", {})
        lemma = table.get(token.lower_, token.lower_)
        return [lemma.lower() if isinstance(lemma, str) else lemma[0].lower()]


@Language.factory(
    "lower_lookup_lemmatizer",
    assigns=["token.lemma"],
    default_config={"mode": "lookup", "overwrite": True},
)
def make_lower_lookup_lemmatizer(
    nlp: Language, name: str, mode: str, overwrite: bool
) -> LowerLookupLemmatizer:
    """The lower-casing lookup lemmatizer (its tables come from spacy-lookups-data at build)."""
    return LowerLookupLemmatizer(nlp.vocab, None, name, mode=mode, overwrite=overwrite)
