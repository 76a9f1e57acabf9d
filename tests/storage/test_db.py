"""The database: migrations, WAL, group commit, durability across SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import aiosqlite
import pytest

from storage.db import Database, DatabaseUnusable, SqliteDatabase, migrations
from tests.conftest import ROOT

# About SQLite's own file: the engine under test is SQLite.
pytestmark = pytest.mark.sqlite_only


async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with SqliteDatabase(path):
        pass
    async with SqliteDatabase(path):
        pass
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    files = sorted((ROOT / "storage" / "migrations").glob("*.sql"))
    assert rows == [(int(f.name[:4]), f.stem[5:]) for f in files]
    assert rows[0] == (1, "initial")
    assert {"citizens", "consents", "services", "feedback", "conversations", "updates"} <= tables
    assert mode == "wal"


async def test_a_failing_migration_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.db"
    async with SqliteDatabase(path):
        pass
    shipped = migrations()
    later = [
        (9998, "fine", "CREATE TABLE fine_one (a INTEGER)"),
        (9999, "broken", "CREATE TABLE half_done (a INTEGER);\nSELECT no_such_column;"),
    ]
    monkeypatch.setattr("storage.db.migrations", lambda: [*shipped, *later])
    with pytest.raises(DatabaseUnusable):
        await SqliteDatabase(path).open()
    with sqlite3.connect(path) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert versions == [version for version, _, _ in shipped]
    assert not tables & {"fine_one", "half_done"}


async def test_connection_settings(db: Database) -> None:
    row = await db.fetchone("PRAGMA synchronous")
    assert row is not None and row[0] == 2  # FULL: every commit is fsynced
    row = await db.fetchone("PRAGMA busy_timeout")
    assert row is not None and row[0] >= 1000


async def test_citizens_table_has_no_name_columns(db: Database) -> None:
    columns = {row[1] for row in await db.fetchall("PRAGMA table_info(citizens)")}
    assert columns == {"id", "telegram_id", "created_at", "involve", "conversation_seq", "language"}


async def test_concurrent_writes_are_grouped_and_isolated(db: Database) -> None:
    async def insert(conn: aiosqlite.Connection, value: int) -> int:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id) VALUES (?, ?, '', 'p')",
            (f"s{value}", f"S{value}"),
        )
        if value == 13:
            raise RuntimeError("this one fails")
        return value

    results = await asyncio.gather(
        *(db.write(lambda c, v=v: insert(c, v)) for v in range(40)), return_exceptions=True
    )
    assert isinstance(results[13], RuntimeError)
    assert [r for i, r in enumerate(results) if i != 13] == [i for i in range(40) if i != 13]
    rows = await db.fetchall("SELECT slug FROM services")
    assert len(rows) == 39 and "s13" not in {r[0] for r in rows}


async def test_reader_is_read_only(db: Database) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await db.fetchall("DELETE FROM services")


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from storage.db import Database, DatabaseUnusable, SqliteDatabase, migrations

    async def main():
        db = await SqliteDatabase(Path(sys.argv[1])).open()
        n = 0
        while True:
            async def run(conn, n=n):
                await conn.execute(
                    "INSERT INTO services (slug, name, description, provider_id)"
                    " VALUES (?, 'x', '', 'p')", (f"s{n}",))
            await db.write(run)
            # Told "saved" only now, after the commit returned.
            print(n, flush=True)
            n += 1

    asyncio.run(main())
    """
)


def test_every_acknowledged_write_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    acknowledged = []
    for line in process.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) >= 30:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert len(acknowledged) == 30, "the writer died before acknowledging 30 writes"
    with sqlite3.connect(path) as conn:
        stored = {r[0] for r in conn.execute("SELECT slug FROM services")}
    assert {f"s{n}" for n in acknowledged} <= stored
