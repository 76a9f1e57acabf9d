"""The command line names that outside scripts rely on (PRODUCT.md)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_nlp_redact_text_and_stdin() -> None:
    result = run("nlp", "redact", "Call Dr Patel on 07700 900123")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["text"] == "Call Dr [name] on [phone]"
    assert [(s["kind"], s["start"], s["end"]) for s in record["spans"]] == [
        ("name", 8, 13),
        ("phone", 17, 29),
    ]
    result = run("nlp", "redact", stdin="write to jo@example.com\nnothing here\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["text"] for line in lines] == ["write to [email]", "nothing here"]


def test_nlp_tag_prints_themes_kind_and_evidence() -> None:
    result = run("nlp", "tag", "We waited three hours to be seen")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["kind"] in {"complaint", "compliment", "suggestion", "question"}
    waiting = [t for t in record["themes"] if t["id"] == "access_waiting"]
    assert waiting and waiting[0]["evidence"][0]["text"] == "waited"
