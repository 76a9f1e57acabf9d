"""Per-language taxonomy patterns (`patterns_cy = [...]`) and their blank tokenisers."""

from __future__ import annotations

import pytest

from nlp.language_themes import LanguageRules, blank
from nlp.taxonomy import TaxonomyError, load_taxonomy, theme_to_dict, themes_from_dict

TAXONOMY = {
    "themes": {
        "organisation": {"label": "Organisation", "description": "d", "patterns": ["admin"]},
        "missed_collections": {
            "label": "Missed collections",
            "description": "d",
            "broad": "organisation",
            "patterns": ["bin missed"],
            "patterns_cy": ["heb ei gasglu", "bin heb ei wagio"],
            "patterns_pl": ["nie odebrane"],
        },
        "environment": {
            "label": "Environment",
            "description": "d",
            "patterns": ["dirty"],
            "patterns_cy": ["budr", "fudr"],
            "patterns_ur": ["گندے"],
        },
    }
}


def rules() -> LanguageRules:
    return LanguageRules(themes_from_dict(TAXONOMY))


def test_patterns_per_language_are_read_and_kept_when_saved():
    themes = themes_from_dict(TAXONOMY)
    assert themes["missed_collections"].patterns_for("cy") == ("heb ei gasglu", "bin heb ei wagio")
    assert themes["missed_collections"].patterns_for("ur") == ()
    assert themes["environment"].patterns == ("dirty",)
    again = themes_from_dict({"themes": {k: theme_to_dict(v) for k, v in themes.items()}})
    assert again == themes


def test_a_pattern_list_in_another_language_must_hold_phrases():
    bad = {
        "themes": {"x": {"label": "X", "description": "d", "patterns": ["a"], "patterns_cy": [""]}}
    }
    with pytest.raises(TaxonomyError, match="patterns_cy"):
        themes_from_dict(bad)


def test_welsh_patterns_match_case_blind_and_bring_the_broad_theme():
    hits = rules().themes_of("Mae'r BIN heb ei wagio a'r toiledau yn fudr", "cy")
    assert [h.id for h in hits] == ["organisation", "missed_collections", "environment"]
    missed = next(h for h in hits if h.id == "missed_collections")
    assert missed.evidence == ((6, 22, "BIN heb ei wagio"),) and missed.source == "pattern"


def test_polish_and_urdu_patterns_use_their_own_tokenisers():
    assert [h.id for h in rules().themes_of("Śmieci nie odebrane.", "pl")] == [
        "organisation",
        "missed_collections",
    ]
    assert [h.id for h in rules().themes_of("پارک کے بیت الخلا گندے ہیں", "ur")] == ["environment"]


def test_no_patterns_for_a_language_gives_no_themes():
    assert rules().themes_of("ਕੂੜਾ ਫਿਰ ਨਹੀਂ ਚੁੱਕਿਆ ਗਿਆ", "pa") == []
    # English words in a Welsh item are not read by the Welsh rules.
    assert rules().themes_of("dirty", "cy") == []


def test_welsh_has_no_spacy_language_so_the_multi_language_one_is_used():
    assert blank("cy").lang == "xx"
    assert blank("pl").lang == "pl"


def test_the_shipped_taxonomy_has_welsh_patterns_for_the_clearest_themes():
    shipped = LanguageRules(load_taxonomy())
    assert "cy" in shipped.languages()
    found = {h.id for h in shipped.themes_of("Roedd y bws yn hwyr a'r staff yn anghwrtais", "cy")}
    assert {"bus_reliability", "staff_attitude"} <= found
