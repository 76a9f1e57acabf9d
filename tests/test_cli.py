"""The command line names that outside scripts rely on (PRODUCT.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert "| Central Library | 3 | 3 | 1 (33%) | 12 hours | 1 (33%) | – |" in lines
    assert "| Bins and recycling | 1 | 1 | 0 (0%) | – | 0 (0%) | – |" in lines
    assert "| Buses | 0 | 0 | – | – | – | – |" in lines
    assert (
        "| **All services** | **4** | **4** | **1 (25%)** | **12 hours** | **1 (25%)** | **–** |"
        in lines
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
    assert "| Riverside GP Surgery | 0 | 0 | – | – | – | – |" in result.stdout
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
    endless = report("--from", "2026-11-08", "--to", "9999-12-31")
    assert endless.returncode == 2 and "--to: a day before 9999-12-31" in endless.stderr
    # A folder that is not there, or a folder given as the file: one line, no traceback.
    for out in (tmp_path / "nowhere" / "week.csv", tmp_path):
        unwritable = report(*week, "--format", "csv", "--out", str(out))
        assert unwritable.returncode == 2, unwritable.stderr
        assert unwritable.stderr.startswith("yousaid: report: cannot write"), unwritable.stderr
        assert "Traceback" not in unwritable.stderr and unwritable.stderr.count("\n") == 1


def test_nlp_help_lists_every_subcommand() -> None:
    every = ("train", "evaluate", "tag", "redact")
    for command in (["-m", "bot", "nlp", "--help"], ["-m", "nlp", "--help"]):
        result = subprocess.run(
            [sys.executable, *command], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert all(name in result.stdout for name in every), result.stdout
        assert "bot nlp retrain" in result.stdout and "bot nlp rollback" in result.stdout
    # Help, not the word "--help" redacted as a text.
    redact = run("nlp", "redact", "--help")
    assert redact.returncode == 0 and redact.stdout.startswith("usage:"), redact.stdout
    assert "stdin" in redact.stdout
    top = run("--help")
    assert "redact" in top.stdout


def run_bytes(
    *args: str, stdin: bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_nlp_stdin_bom_crlf_blank_lines_and_bad_bytes() -> None:
    stdin = b"\xef\xbb\xbfCall 07700 900123\r\nbad \xff bytes\r\n\r\nlast"
    result = run_bytes("nlp", "redact", stdin=stdin)
    texts = [json.loads(line)["text"] for line in result.stdout.decode().splitlines()]
    assert texts == ["Call [phone]", "bad \ufffd bytes", "", "last"]
    # Every line answered, and the bad one named on one line, with a non-zero status.
    assert result.returncode == 1
    [error] = result.stderr.decode().splitlines()
    assert error.startswith("nlp redact: line 2 of standard input is not valid UTF-8")
    result = run_bytes("nlp", "tag", stdin=b"bins not collected\r\n\xffbad\n")
    assert len(result.stdout.splitlines()) == 2 and result.returncode == 1
    assert b"Traceback" not in result.stderr


def test_nlp_output_is_utf8_in_the_c_locale() -> None:
    env = {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": ""}
    result = run_bytes("nlp", "redact", stdin="Dw i’n hoffi 😡 jo@example.com\n".encode(), env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode("utf-8"))["text"] == "Dw i’n hoffi 😡 [email]"


def test_nlp_tag_several_words_are_one_text() -> None:
    result = run("nlp", "tag", "The", "nurse", "was", "rude")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert "staff_attitude" in {t["id"] for t in json.loads(line)["themes"]}


def test_nlp_tag_a_megabyte_line_among_others() -> None:
    big = " ".join(["the receptionist was rude and we waited"] * 27_000)[: 1024 * 1024]
    stdin = f"short one\n{big}\nlast one\n".encode()
    result = run_bytes("nlp", "tag", stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()[-300:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3 and "staff_attitude" in {t["id"] for t in lines[1]["themes"]}


def test_nlp_tag_answers_each_line_as_it_comes() -> None:
    import select

    with subprocess.Popen(
        [sys.executable, "-m", "bot", "nlp", "tag"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    ) as process:
        assert process.stdin is not None and process.stdout is not None
        for text in (b"we waited three hours\n", b"thank you\n"):
            process.stdin.write(text)
            process.stdin.flush()
            # stdin stays open: the answer must come without waiting for the end of input.
            ready, _, _ = select.select([process.stdout], [], [], 120)
            assert ready, "no answer while standard input is still open"
            assert "kind" in json.loads(process.stdout.readline())
        process.stdin.close()
        assert process.wait(timeout=60) == 0


def test_nlp_train_into_a_file_fails_before_training(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("text,labels\nrude staff,staff_attitude\n", encoding="utf-8")
    taken = tmp_path / "taken"
    taken.write_text("x")
    result = run("nlp", "train", "--csv", str(data), "--out", str(taken), "--quiet")
    assert result.returncode == 2
    assert result.stderr.strip() == f"nlp train: --out {taken} is a file, not a folder"


def read_only(path: Path) -> None:
    """Make a file read-only even for root (which chmod does not stop), or skip."""
    import os
    import shutil

    if os.geteuid() != 0:
        path.chmod(0o444)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode:
        pytest.skip("root without chattr +i: no way to make a file read-only")


def test_health_on_a_read_only_database(tmp_path: Path) -> None:
    import os
    import sqlite3

    db = tmp_path / "ro.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    read_only(db)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "health"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            env={**os.environ, "DATABASE_URL": str(db)},
        )
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(db)], check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(f"yousaid: the database {db} cannot be written (")
