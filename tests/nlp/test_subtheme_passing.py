"""A sub-theme's phrase mentioned in passing does not bring its broad theme."""

from __future__ import annotations

import pytest

from nlp.pipeline import Analyser


def theme_ids(analyser: Analyser, text: str) -> set[str]:
    """The theme ids (broad and sub-themes) the shipped pipeline gives a text."""
    [analysis] = analyser.analyse([text])
    return {hit.id for hit in analysis.themes}


@pytest.mark.parametrize(
    "text",
    [
        "the online form to report a missed bin keeps crashing",
        "the app for reporting a missed bin won't let me log in",
    ],
)
def test_a_missed_bin_in_passing_is_not_organisation(analyser: Analyser, text: str) -> None:
    found = theme_ids(analyser, text)
    assert "organisation" not in found
    assert "missed_collections" not in found


def test_a_missed_bin_complained_of_is_both(analyser: Analyser) -> None:
    assert {"organisation", "missed_collections"} <= theme_ids(
        analyser, "they missed our bin again this week"
    )
