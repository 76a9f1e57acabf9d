"""A token's prefixes and suffixes are searched at its ends only (a search over the whole of
a 4,096-character token of "!", emoji or "'s", once per affix stripped, cost seconds), and
every text tokenizes exactly as with spaCy's own searches."""

from __future__ import annotations

from typing import Any

import pytest
import spacy

from nlp.affixes import WINDOW, Windowed
from nlp.language_themes import blank
from nlp.pipeline import DEFAULT_MODEL, Analyser
from nlp.redact import redact
from nlp.redact_learned import MODEL_DIR, load_detector

UNITS = ["!", "😡", "'s", "’s", "!'s", "_!", "US$", "%", "(", "🇬🇧", "km", "...", "bad!"]


def _runs(length: int) -> list[str]:
    return [
        *((unit * length)[:length] for unit in UNITS),
        "Call Jane Smith on 07700 900123" + "!" * length,
        "!" * length + "a",
        "awful service😡" + "😡🇬🇧" * (length // 2) + " fix it",
    ]


def _tokenizers(analyser: Analyser) -> list[tuple[Any, Any]]:
    """Each tokenizer the bot uses, beside the same one as spaCy loads it."""
    detector = load_detector()
    assert detector is not None
    return [
        (analyser.nlp, spacy.load(DEFAULT_MODEL)),
        (detector, spacy.load(MODEL_DIR)),
        # spaCy has no Welsh: its multi-language tokenizer.
        (blank("cy"), spacy.blank("xx")),
        (blank("pl"), spacy.blank("pl")),
    ]


def test_the_searches_are_windowed_and_saved_as_spacy_saves_them(analyser: Analyser) -> None:
    for ours, theirs in _tokenizers(analyser):
        for name in ("prefix_search", "suffix_search"):
            assert isinstance(getattr(ours.tokenizer, name).__self__, Windowed)
        assert ours.tokenizer.to_bytes(exclude=["vocab"]) == theirs.tokenizer.to_bytes(
            exclude=["vocab"]
        )


@pytest.mark.parametrize("text", _runs(3 * WINDOW))
def test_long_runs_tokenize_as_spacy_tokenizes_them(analyser: Analyser, text: str) -> None:
    for ours, theirs in _tokenizers(analyser):
        assert [t.text for t in ours.make_doc(text)] == [t.text for t in theirs.make_doc(text)]


@pytest.mark.parametrize("text", _runs(4096))
def test_texts_of_long_runs_are_analysed_and_redacted(analyser: Analyser, text: str) -> None:
    (analysis,) = analyser.analyse([text])
    assert analysis.kind is not None
    redacted = redact(text).text
    assert "Jane Smith" not in redacted and "07700" not in redacted
