"""A lookup lemmatizer that looks up the lower-cased word, so "Waiting" and "waiting" agree."""

from __future__ import annotations

from spacy.language import Language
from spacy.pipeline import Lemmatizer
from spacy.tokens import Token


class LowerLookupLemmatizer(Lemmatizer):
    """spaCy's lookup lemmatizer, reading the lower-case form and returning lower case."""

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
