"""Long runs of symbols are taken whole by the tokenizers (each run was split one character
at a time, searching the rest of the text each time: seconds for one 4,096-character text)."""

from __future__ import annotations

import pytest

from nlp.language_themes import blank
from nlp.pipeline import Analyser
from nlp.redact import redact
from nlp.redact_learned import load_detector

RUNS = [
    "bad" + "!" * 4000,
    "😡" * 4096,
    "!" * 4000 + "a",
    "awful service😡" + "😡🇬🇧" * 1000 + " fix it",
]


@pytest.mark.parametrize("text", RUNS)
def test_a_long_run_is_one_token_in_every_tokenizer(analyser: Analyser, text: str) -> None:
    detector = load_detector()
    assert detector is not None
    for nlp in (analyser.nlp, detector, blank("cy")):
        tokens = [t.text for t in nlp.make_doc(text)]
        assert len(tokens) <= 6, tokens[:8]
        assert "".join(t.text_with_ws for t in nlp.make_doc(text)) == text


def test_short_runs_tokenize_as_before(analyser: Analyser) -> None:
    assert [t.text for t in analyser.nlp.make_doc("So bad!!! 😡😡")] == [
        "So",
        "bad",
        "!",
        "!",
        "!",
        "😡",
        "😡",
    ]


@pytest.mark.parametrize("text", RUNS)
def test_texts_with_long_runs_are_analysed_and_kept_whole(analyser: Analyser, text: str) -> None:
    (analysis,) = analyser.analyse([text])
    assert analysis.kind is not None
    assert redact(text).text == text
