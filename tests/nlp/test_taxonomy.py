"""The default taxonomy file is complete and its NHS mapping points at real labels."""

from __future__ import annotations

import csv
import hashlib
import re

import pytest

from nlp.taxonomy import TaxonomyError, load_taxonomy, themes_from_dict
from nlp.train import NHS_DATA


def nhs_labels() -> set[str]:
    with NHS_DATA.open(newline="", encoding="utf-8") as f:
        return {lab for row in csv.DictReader(f) for lab in row["labels"].split(";") if lab}


def test_every_theme_has_label_description_and_patterns() -> None:
    themes = load_taxonomy()
    assert len(themes) >= 13
    for theme in themes.values():
        assert theme.label and theme.description and theme.patterns, theme.id


def test_mapped_nhs_labels_exist_in_the_data() -> None:
    known = nhs_labels()
    mapped = [lab for t in load_taxonomy().values() for lab in t.nhs_labels]
    assert set(mapped) <= known, set(mapped) - known
    # Each NHS label feeds at most one theme, so the mapping stays a plain grouping.
    assert len(mapped) == len(set(mapped))


def test_the_shipped_data_is_the_copy_its_readme_names() -> None:
    readme = (NHS_DATA.parent / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"SHA-256 of `train.csv` as copied: `([0-9a-f]{64})`", readme)
    assert recorded is not None
    assert hashlib.sha256(NHS_DATA.read_bytes()).hexdigest() == recorded.group(1)


@pytest.mark.parametrize(
    "theme",
    [
        {"description": "d", "patterns": ["x"]},
        {"label": "L", "patterns": ["x"]},
        {"label": "L", "description": "d", "patterns": []},
        {"label": "L", "description": "d", "patterns": ["x"], "nhs_labels": "Parking"},
    ],
)
def test_incomplete_themes_are_rejected(theme: dict[str, object]) -> None:
    with pytest.raises(TaxonomyError):
        themes_from_dict({"themes": {"t": theme}})


def test_sub_themes_name_a_top_level_theme() -> None:
    themes = load_taxonomy()
    top = {t.id for t in themes.values() if t.broad is None}
    assert len(top) == 15
    subs = [t for t in themes.values() if t.broad is not None]
    assert len(subs) >= 5
    for sub in subs:
        assert sub.broad in top, sub.id


def test_only_overall_is_given_only_alone() -> None:
    assert [t.id for t in load_taxonomy().values() if t.only_alone] == ["overall"]


BASE = {"label": "L", "description": "d", "patterns": ["x"]}


@pytest.mark.parametrize(
    ("themes", "message"),
    [
        ({"a": BASE, "b": {**BASE, "broad": "nope"}}, "not defined"),
        ({"a": BASE, "b": {**BASE, "broad": "a"}, "c": {**BASE, "broad": "b"}}, "itself a sub"),
        ({"a": BASE, "b": {**BASE, "broad": "a", "nhs_labels": ["Parking"]}}, "nhs_labels"),
        ({"a": {**BASE, "cues": "late"}}, "cues"),
        ({"a": {**BASE, "not_patterns": [""]}}, "not_patterns"),
        ({"a": {**BASE, "only_alone": "yes"}}, "only_alone"),
    ],
)
def test_bad_sub_themes_and_phrase_lists_are_rejected(
    themes: dict[str, object], message: str
) -> None:
    with pytest.raises(TaxonomyError, match=message):
        themes_from_dict({"themes": themes})


def test_a_valid_sub_theme_keeps_its_broad_theme() -> None:
    themes = themes_from_dict({"themes": {"a": BASE, "b": {**BASE, "broad": "a"}}})
    assert themes["b"].broad == "a" and themes["a"].broad is None
