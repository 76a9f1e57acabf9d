"""train, evaluate and tag on the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.cli import main
from nlp.linear import load_arrays
from nlp.pipeline import load

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ["train", "--seed", "3", "--quiet", "--csv"]
SAVED = ("theme_classifier/weights.npz", "theme_classifier/model.json", "feedback_kind/weights.npz")


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, small_csv: Path) -> Path:
    """A model trained by the CLI on the small slice with the raw NHS labels."""
    out = tmp_path_factory.mktemp("model") / "a"
    assert main([*TRAIN, str(small_csv), "--out", str(out)]) == 0
    return out


def test_train_is_deterministic_given_a_seed(
    trained: Path, small_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = tmp_path / "b"
    assert main([*TRAIN, str(small_csv), "--out", str(again)]) == 0
    # The raw NHS labels are not the taxonomy's: said, and trained on all the same.
    warning = capsys.readouterr().err
    assert "label(s) not in the taxonomy (Activities & access to fresh air" in warning
    assert (trained / "theme_classifier/model.json").read_bytes() == (
        again / "theme_classifier/model.json"
    ).read_bytes()
    for name in ("theme_classifier/weights.npz", "feedback_kind/weights.npz"):
        # Zip archives carry timestamps: compare the arrays, not the bytes.
        first, second = load_arrays(trained / name), load_arrays(again / name)
        assert first.keys() == second.keys()
        for key in first:
            assert np.array_equal(first[key], second[key]), (name, key)


def test_trained_model_uses_the_csv_labels(trained: Path) -> None:
    analyser = load(trained)
    assert "Timeliness of care" in analyser.model_labels
    [analysis] = analyser.analyse(["We waited hours for the ambulance to arrive"])
    assert "Timeliness of care" in {h.id for h in analysis.themes}


def test_evaluate_prints_the_json_keys(
    trained: Path, small_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", "--model", str(trained), "--csv", str(small_csv)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"micro_f1", "macro_f1", "n", "labels"} <= set(result)
    assert result["n"] == 500
    # On its own training texts the model should do far better than chance.
    assert result["micro_f1"] > 0.7
    per_label = result["labels"]["Timeliness of care"]
    assert {"precision", "recall", "f1", "support"} <= set(per_label)


def test_tag_prints_one_json_line_per_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ["The wait was two hours", "Thank you!", "Why is the website down?"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["tag"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(lines)
    first = json.loads(out[0])
    assert first["kind"] == "complaint"
    theme = first["themes"][0]
    assert theme["id"] == "access_waiting"
    assert {"score", "evidence", "source", "label"} <= set(theme)
    assert theme["evidence"][0] == {"start": 4, "end": 8, "text": "wait"}


def test_tag_one_text_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nlp.cli", "tag", "You should open earlier"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["kind"] == "suggestion"


def test_evaluate_jsonl_reports_shares_kinds_and_families(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {
            "text": "bins not collected again",
            "themes": ["organisation"],
            "kinds": ["complaint"],
            "family": "waste",
        },
        {
            "text": "the receptionist was rude",
            "themes": ["staff_attitude"],
            "kinds": ["complaint"],
            "family": "gp_hospital",
        },
        {
            "text": "lovely clean park, thank you",
            "themes": ["environment"],
            "kinds": ["compliment"],
            "family": "parks_streets",
        },
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["evaluate", "--jsonl", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == 3
    for key in ("micro_f1", "macro_f1", "no_theme_share", "four_or_more_share", "kind_accuracy"):
        assert 0.0 <= result[key] <= 1.0, key
    assert set(result["families"]) == {"waste", "gp_hospital", "parks_streets"}
    assert result["families"]["waste"]["n"] == 1


def test_evaluate_dev_uses_the_services_dev_split(capsys: pytest.CaptureFixture[str]) -> None:
    from nlp.corpus import services_examples

    assert main(["evaluate", "--dev"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n"] == len(services_examples("dev")) > 100
    assert len(result["families"]) == 8
    assert "kind_accuracy" in result


def test_evaluate_needs_one_source() -> None:
    with pytest.raises(SystemExit):
        main(["evaluate", "--dev", "--eval-set"])
