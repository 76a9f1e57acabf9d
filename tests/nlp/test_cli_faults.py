"""The nlp command line on bad files and models: one line naming the problem, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.cli import main

JSONL = {
    "not json": b'{"text": "bins", "themes": []}\nnot json\n',
    "a list": b"[1, 2]\n",
    "text a number": b'{"text": 5, "themes": []}\n',
    "no text": b'{"themes": ["organisation"]}\n',
    "themes a string": b'{"text": "bins", "themes": "organisation"}\n',
    "kinds a string": b'{"text": "bins", "themes": [], "kinds": "complaint"}\n',
    "not utf-8": b"\xff\xfe\x00rubbish",
}
CSV = {
    "no columns": b"a,b\n1,2\n",
    "not utf-8": b"\xff\xfe\x00rubbish",
    "not utf-8 after the header": b"text,labels\nok,organisation\n\xff\xfe,x\n",
}


def one_line(err: str, command: str) -> None:
    assert err.startswith(f"nlp {command}: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("content", JSONL.values(), ids=JSONL.keys())
def test_evaluate_on_a_malformed_jsonl(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    assert main(["evaluate", "--jsonl", str(path)]) == 2
    err = capsys.readouterr().err
    one_line(err, "evaluate")
    assert str(path) in err


@pytest.mark.parametrize("content", CSV.values(), ids=CSV.keys())
@pytest.mark.parametrize("command", ["evaluate", "train"])
def test_a_malformed_csv(
    tmp_path: Path, content: bytes, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    extra = ["--out", str(tmp_path / "out"), "--quiet"] if command == "train" else []
    assert main([command, "--csv", str(path), *extra]) == 2
    one_line(capsys.readouterr().err, command)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("flag", ["--csv", "--jsonl"])
def test_evaluate_on_a_missing_file_or_a_folder(
    tmp_path: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", flag, str(tmp_path / "nope")]) == 2
    one_line(capsys.readouterr().err, "evaluate")
    assert main(["evaluate", flag, str(tmp_path)]) == 2
    one_line(capsys.readouterr().err, "evaluate")


@pytest.mark.parametrize(
    "argv",
    [["tag", "bins"], ["evaluate", "--dev"]],
    ids=["tag", "evaluate"],
)
def test_a_model_folder_that_is_not_a_model(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for model in (tmp_path / "missing", tmp_path):
        assert main([*argv, "--model", str(model)]) == 2
        one_line(capsys.readouterr().err, argv[0])
