"""Sub-themes imply their broad theme; overall only alone; every text gets a theme."""

from __future__ import annotations

import json

import pytest

from nlp.cli import main, tag_json
from nlp.pipeline import Analyser, Analysis, ThemeHit
from nlp.train import Example, broad_ids, summary


@pytest.mark.parametrize(
    ("text", "sub", "broad"),
    [
        ("bins not collected again on our road", "missed_collections", "organisation"),
        ("fly-tipping behind the flats for a month now", "litter_flytipping", "environment"),
        ("the potholes on Mill Lane are a disgrace", "roads_pavements", "environment"),
        ("black mould in the kids bedroom", "damp_mould", "environment"),
        ("antisocial behaviour at the bus station every night", "antisocial_behaviour", "safety"),
        ("another cancelled bus this morning", "bus_reliability", "organisation"),
    ],
)
def test_a_sub_theme_comes_with_its_broad_theme(
    analyser: Analyser, text: str, sub: str, broad: str
) -> None:
    [analysis] = analyser.analyse([text])
    hits = {h.id: h for h in analysis.themes}
    assert sub in hits and broad in hits, analysis
    assert hits[sub].broad == broad and hits[broad].broad is None
    assert hits[sub].evidence and analyser.taxonomy[sub].broad == broad


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        ("the carer never came this morning", "bus_reliability"),
        ("the repair man was late again", "bus_reliability"),
        ("GP appointment cancelled again", "bus_reliability"),
        ("missed the start of the class because reception lost my booking", "missed_collections"),
        ("prescription collection at the pharmacy is a shambles", "missed_collections"),
        ("my dad has mood swings since the stroke and the carers dont understand", "play_areas"),
        ("i left early to make my appointment and the surgery was shut", "bus_reliability"),
        # Organisation only the model's faint guess: a bare "bus" brings no sub-theme.
        ("That book about the history of our bus routes was fascinating", "bus_reliability"),
    ],
)
def test_a_sub_themes_cue_needs_its_own_thing(analyser: Analyser, text: str, sub: str) -> None:
    # A late carer is organisation, not bus reliability; a missed class is no missed bin.
    [analysis] = analyser.analyse([text])
    assert sub not in {h.id for h in analysis.themes}, analysis


@pytest.mark.parametrize(
    ("text", "sub"),
    [
        ("the 7.15 train was cancelled", "bus_reliability"),
        ("garden waste missed for the third week", "missed_collections"),
        # Organisation found only as the text's likeliest theme: its sub-theme's cue counts.
        ("our wheelie bin never got emptied on thursday", "missed_collections"),
        ("bus was 20 minutes late", "bus_reliability"),
    ],
)
def test_a_sub_themes_cue_with_its_thing_still_counts(
    analyser: Analyser, text: str, sub: str
) -> None:
    [analysis] = analyser.analyse([text])
    assert sub in {h.id for h in analysis.themes}, analysis


def test_tag_json_gives_broad_for_sub_themes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tag", "nobody emptied the bins, they were not collected at all"]) == 0
    data = json.loads(capsys.readouterr().out)
    themes = {t["id"]: t for t in data["themes"]}
    assert themes["missed_collections"]["broad"] == "organisation"
    assert {"id", "label", "score", "evidence", "broad"} <= set(themes["organisation"])


@pytest.mark.parametrize(
    "text",
    [
        "Thank you to the bin crew, brilliant as always and they put the bins back",
        "Amazing library, the staff are so friendly and the books are great",
        "Fantastic, the toilets in the park are finally clean",
    ],
)
def test_praise_does_not_add_overall_to_specific_texts(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    ids = {h.id for h in analysis.themes}
    assert ids and "overall" not in ids, analysis


@pytest.mark.parametrize(
    "text",
    [
        "not impressed",
        "it was alright I suppose",
        "why does nobody care about our estate",
    ],
)
def test_every_text_with_words_gets_a_theme(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.themes


@pytest.mark.parametrize("text", ["", "   ", "12345", "!!!"])
def test_texts_without_words_get_no_theme(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert analysis.themes == []


@pytest.mark.parametrize(
    "text",
    [
        "The bin crew were lovely",
        "the driver waited for my mum to sit down",
        "they didn't collect the recycling",
        "got home and the bin was still full",
        "the park is lovely in spring",
    ],
)
def test_health_transport_words_do_not_give_location(analyser: Analyser, text: str) -> None:
    [analysis] = analyser.analyse([text])
    assert "location_transport" not in {h.id for h in analysis.themes}, analysis


def _analysis(*hits: tuple[str, str | None], kind: str = "complaint") -> Analysis:
    return Analysis([ThemeHit(i, i, 0.6, "rule", [], b) for i, b in hits], kind, 0.9)


def test_scoring_counts_a_sub_theme_as_its_broad_theme() -> None:
    analysis = _analysis(("missed_collections", "organisation"), ("organisation", None))
    assert broad_ids(analysis) == ["organisation"]
    examples = [
        Example("a", ["organisation"], kinds=["complaint"], family="waste"),
        Example("b", ["environment"], kinds=["compliment", "complaint"], family="waste"),
        Example("c", ["safety"], kinds=["question"], family="parks"),
    ]
    analyses = [
        analysis,
        _analysis(kind="complaint"),
        _analysis(("a", None), ("b", None), ("c", None), ("safety", None), kind="complaint"),
    ]
    result = summary(examples, analyses)
    assert result["no_theme_share"] == round(1 / 3, 4)
    assert result["four_or_more_share"] == round(1 / 3, 4)
    assert result["kind_accuracy"] == round(2 / 3, 4)
    assert result["labels"]["organisation"]["f1"] == 1.0


def test_tag_json_of_a_top_level_theme_has_no_broad() -> None:
    data = tag_json(_analysis(("organisation", None)))
    assert data["themes"][0]["broad"] is None  # type: ignore[index]
