"""Training, saving and loading the kind component, its cue file, and its scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import numpy as np
import pytest
import spacy
from spacy.language import Language

from nlp.corpus import services_examples
from nlp.kind import DEFAULT_CUES, FeedbackKind, load_cues
from nlp.kind_eval import kind_scores
from nlp.linear import FeatureSpace, save_arrays, save_json
from nlp.pipeline import DEFAULT_MODEL, build
from nlp.train import Example, fit_kinds, kind_examples, read_csv

TEXTS = [
    "great, another cancelled bus",
    "why is the tip never open on Sundays??",
    "can I bring my own bags?",
    "Why not open on Sundays?",
    "The crew are lovely but they never come on the same day",
    "not bad at all",
]


@pytest.fixture(scope="module")
def trained(small_csv: Path) -> Language:
    """A pipeline whose kind component learned from 500 rated NHS comments and services train."""
    nlp = build()
    fit_kinds(nlp, read_csv(small_csv))
    return nlp


def kind_component(nlp: Language) -> FeedbackKind:
    return cast(FeedbackKind, nlp.get_pipe("feedback_kind"))


def test_every_head_is_learned(trained: Language) -> None:
    assert set(kind_component(trained).heads) == {"polarity", "question", "suggestion"}
    kinds = [doc._.kinds for doc in trained.pipe(TEXTS)]
    assert kinds[0] == ["complaint"]
    assert kinds[1][0] == "complaint"
    assert kinds[2][0] == "question"
    assert kinds[3][0] == "suggestion"
    assert kinds[5] == ["compliment"]


def test_saved_and_loaded_kinds_agree(trained: Language, tmp_path: Path) -> None:
    trained.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    before = [(d._.kinds, d._.kind_scores) for d in trained.pipe(TEXTS)]
    after = [(d._.kinds, d._.kind_scores) for d in loaded.pipe(TEXTS)]
    for (kinds_a, scores_a), (kinds_b, scores_b) in zip(before, after, strict=True):
        assert kinds_a == kinds_b
        for kind, score in scores_a.items():
            # Weights are stored as float16.
            assert scores_b[kind] == pytest.approx(score, abs=0.01)


def test_services_kinds_are_judged_and_ratings_teach_polarity_only(small_csv: Path) -> None:
    data = kind_examples(services_examples("train") + read_csv(small_csv))
    dev = {ex.text for ex in services_examples("dev")}
    assert not dev & set(data.texts)
    judged = [k for k, c in zip(data.kinds, data.complete, strict=True) if c]
    rated = [k for k, c in zip(data.kinds, data.complete, strict=True) if not c]
    assert len(judged) == len(services_examples("train"))
    assert any("question" in k for k in judged)
    assert {k[0] for k in rated} == {"complaint", "compliment"}
    assert all(len(k) == 1 for k in rated)


def test_a_kind_column_counts_as_judged() -> None:
    data = kind_examples([Example("when does the tip open", [], kind="question")])
    assert data.kinds == [["question"]]
    assert data.complete == [True]


def test_cues_come_from_the_file(tmp_path: Path) -> None:
    cues = tmp_path / "kinds.toml"
    cues.write_text(
        '[cues.complaint]\nscore = 0.85\npatterns = ["what a farce"]\n'
        '[sarcasm]\npraise = ["super"]\nletdown = ["again"]\n',
        encoding="utf8",
    )
    nlp = spacy.load(DEFAULT_MODEL)
    kind = kind_component(nlp)
    kind.set_cues(load_cues(cues))
    names = [
        kind.find(nlp.make_doc(t)).names()
        for t in ("what a joke", "what a farce", "super, missed again")
    ]
    assert names == [set(), {"complaint"}, {"complaint"}]


def test_unknown_cue_names_are_refused(tmp_path: Path) -> None:
    cues = tmp_path / "kinds.toml"
    cues.write_text('[cues.praise]\npatterns = ["ace"]\n', encoding="utf8")
    with pytest.raises(ValueError, match="praise"):
        load_cues(cues)


def test_the_older_saved_format_still_loads(tmp_path: Path) -> None:
    """A model saved before the kinds were learned: one polarity model, cues for the rest."""
    nlp = spacy.load(DEFAULT_MODEL)
    texts = ["lovely staff, thank you", "wonderful care", "rude and late", "awful wait"]
    space = FeatureSpace.create([{"view": "lemmas", "analyzer": "word"}])
    space.fit_transform([{"lemmas": t} for t in texts])
    vocab = space.vectorizers[0].vocabulary_
    coef = np.zeros(len(vocab), np.float16)
    for word, sign in (("lovely", 1), ("wonderful", 1), ("rude", -1), ("awful", -1)):
        coef[vocab[word]] = 5 * sign
    old = load_cues(DEFAULT_CUES)["cues"]
    folder = tmp_path / "feedback_kind"
    folder.mkdir()
    save_arrays(folder / "weights.npz", coef=coef)
    save_json(
        folder / "kind.json",
        {
            "cues": {k: old[k] for k in ("question", "suggestion")},
            "intercept": 0.0,
            "features": space.to_dict(),
        },
    )
    assert "format" not in json.loads((folder / "kind.json").read_text("utf8"))
    kind = kind_component(nlp).from_disk(folder)
    assert set(kind.heads) == {"polarity"}
    docs = list(nlp.pipe(["wonderful care", "rude and late", "Why is it shut?", "You should open"]))
    assert [d._.kind for d in docs] == ["compliment", "complaint", "question", "suggestion"]


def test_kind_scores() -> None:
    gold = [["complaint"], ["compliment", "complaint"], ["question"], ["suggestion"]]
    predicted = [["complaint"], ["complaint", "compliment"], ["complaint"], ["suggestion"]]
    result = kind_scores(gold, predicted, ["waste", "waste", "transport", "transport"])
    assert result["accuracy"] == 0.75
    assert result["exact_sets"] == 0.75
    assert result["accuracy_by_family"]["transport"] == {"accuracy": 0.5, "n": 2}
    assert result["mixed_praise_and_blame"] == {"gold": 1, "predicted": 1, "found": 1}
    assert result["per_kind_f1"]["question"] == {"f1": 0.0, "support": 1}
