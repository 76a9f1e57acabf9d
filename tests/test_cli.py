"""The command line names that outside scripts rely on (PRODUCT.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


def test_digest_preview_prints_and_writes_the_chart(tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.config import load_deployment
    from bot.intake import sync_services
    from storage.db import Database
    from storage.services import ServiceRow
    from tests.conftest import EXAMPLE
    from tests.e2e.test_digests import add_approved

    db_path = tmp_path / "y.db"

    async def fill() -> None:
        deployment = load_deployment(EXAMPLE)
        async with Database(db_path) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
            )
            when = datetime.now(UTC) - timedelta(minutes=5)
            await add_approved(db, "library", "The heating was off all day.", when, ["cleanliness"])

    asyncio.run(fill())
    chart = tmp_path / "chart.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "digest",
            "--provider",
            "culture-leisure",
            "--preview",
            "--chart",
            str(chart),
        ],
        cwd=ROOT,
        env={"DATABASE_URL": f"sqlite:///{db_path}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Culture and Leisure" in result.stdout and "heating was off" in result.stdout
    assert "<b>" not in result.stdout
    assert chart.read_bytes().startswith(b"\x89PNG")
    unknown = run("digest", "--provider", "nobody", "--preview")
    assert unknown.returncode == 2 and "no provider 'nobody'" in unknown.stderr
