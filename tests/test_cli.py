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
    from storage.db import SqliteDatabase
    from storage.services import ServiceRow
    from tests.conftest import EXAMPLE
    from tests.e2e.test_digests import add_approved

    db_path = tmp_path / "y.db"

    async def fill() -> None:
        deployment = load_deployment(EXAMPLE)
        async with SqliteDatabase(db_path) as db:
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
            "--out",
            str(tmp_path / "preview"),
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


def test_report_md_and_csv(tmp_path: Path) -> None:
    import asyncio
    import csv
    import io
    from datetime import UTC, datetime, timedelta

    import aiosqlite

    from bot.config import load_deployment
    from bot.intake import sync_services
    from storage.db import SqliteDatabase, stamp
    from storage.services import ServiceRow
    from tests.conftest import EXAMPLE
    from tests.e2e.test_digests import add_approved

    db_path = tmp_path / "y.db"
    day = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

    async def fill() -> None:
        deployment = load_deployment(EXAMPLE)
        async with SqliteDatabase(db_path) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
            )
            answered = await add_approved(db, "library", "Too loud.", day, ["noise"])
            await add_approved(db, "library", "No seats.", day, ["noise"])
            # The last hour of --to is in the report; the day after is not.
            await add_approved(db, "library", "Cold.", day + timedelta(days=6, hours=13), [])
            await add_approved(db, "library", "Wet.", day + timedelta(days=7), [])
            await add_approved(db, "bins", "Missed again.", day, ["reliability"])

            async def respond(conn: aiosqlite.Connection) -> None:
                cursor = await conn.execute(
                    "INSERT INTO responses (provider_id, service_slug, item_id, status, text,"
                    " author, created_at) VALUES ('culture-leisure', 'library', ?, 'changed',"
                    " 'Quiet hours now', 7, ?)",
                    (answered, stamp(day + timedelta(hours=12))),
                )
                await conn.execute(
                    "INSERT INTO response_items (response_id, feedback_id) VALUES (?, ?)",
                    (cursor.lastrowid, answered),
                )

            await db.write(respond)

    asyncio.run(fill())
    week = ("--from", "2026-11-02", "--to", "2026-11-08")
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "PATH": "/usr/bin:/bin"}

    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "report", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    chart = tmp_path / "chart.png"
    result = report(*week, "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "## Evidence of value, 2–8 Nov 2026"
    assert "| Central Library | 3 | 1 (33%) | 12 hours | 1 (33%) | – |" in lines
    assert "| Bins and recycling | 1 | 0 (0%) | – | 0 (0%) | – |" in lines
    assert "| Buses | 0 | – | – | – | – |" in lines
    assert (
        "| **All services** | **4** | **1 (25%)** | **12 hours** | **1 (25%)** | **–** |" in lines
    )
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert result.stderr.strip() == f"Chart: {chart}"

    # One provider's services, as CSV into a file; no chart unless asked.
    out = tmp_path / "culture.csv"
    result = report(*week, "--format", "csv", "--provider", "culture-leisure", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [(r["service"], r["items"], r["covered"], r["changed"]) for r in rows] == [
        ("library", "3", "1", "1"),
        ("parks", "0", "0", "0"),
        ("", "3", "1", "1"),
    ]
    assert rows[0]["median_first_response_hours"] == "12.00"
    assert rows[0]["covered_pct"] == "33.3"

    # Markdown into a file: the chart goes beside it.
    md = tmp_path / "report.md"
    result = report(*week, "--out", str(md), "--provider", "environment-transport")
    assert result.returncode == 0, result.stderr
    assert "| **All services** | **1** |" in md.read_text()
    assert "Central Library" not in md.read_text()
    assert (tmp_path / "report.png").read_bytes().startswith(b"\x89PNG")

    # Markdown on stdout without --chart: the chart goes to a temporary file, named on stderr.
    result = report(*week, "--provider", "riverside-health")
    assert result.returncode == 0, result.stderr
    assert "| Riverside GP Surgery | 0 | – | – | – | – |" in result.stdout
    assert result.stderr.startswith("Chart: ")
    temporary = Path(result.stderr.removeprefix("Chart: ").strip())
    try:
        assert temporary.read_bytes().startswith(b"\x89PNG")
    finally:
        temporary.unlink()

    unknown = report(*week, "--provider", "nobody")
    assert unknown.returncode == 2 and "no provider 'nobody'" in unknown.stderr
    backwards = report("--from", "2026-11-08", "--to", "2026-11-02")
    assert backwards.returncode == 2 and "--to is before --from" in backwards.stderr


def test_nlp_help_lists_every_subcommand() -> None:
    every = ("train", "evaluate", "tag", "redact")
    for command in (["-m", "bot", "nlp", "--help"], ["-m", "nlp", "--help"]):
        result = subprocess.run(
            [sys.executable, *command], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert all(name in result.stdout for name in every), result.stdout
    # Help, not the word "--help" redacted as a text.
    redact = run("nlp", "redact", "--help")
    assert redact.returncode == 0 and redact.stdout.startswith("usage:"), redact.stdout
    assert "stdin" in redact.stdout
    top = run("--help")
    assert "redact" in top.stdout
