"""Backups: a consistent copy while the bot writes."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from storage.db import SqliteDatabase, backup
from tests.conftest import ROOT

# About SQLite's own file: the engine under test is SQLite.
pytestmark = pytest.mark.sqlite_only


async def test_backup_during_a_write_loop_is_consistent(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    async with SqliteDatabase(source) as db:
        stop = asyncio.Event()
        written_so_far = 0

        async def writes() -> int:
            nonlocal written_so_far
            n = 0
            while not stop.is_set():

                async def run(conn: aiosqlite.Connection, n: int = n) -> None:
                    await conn.execute(
                        "INSERT INTO services (slug, name, description, provider_id)"
                        " VALUES (?, 'x', 'y', 'p')",
                        (f"s{n}",),
                    )

                await db.write(run)
                n += 1
                written_so_far = n
            return n

        async def until_written(count: int) -> None:
            # Counted writes, not a time: each copy is taken with the loop well under way.
            async with asyncio.timeout(60):
                while written_so_far < count:  # noqa: ASYNC110 - a counter: nothing to await
                    await asyncio.sleep(0.01)

        writer = asyncio.create_task(writes())
        await until_written(10)
        copies = [tmp_path / f"copy{k}.db" for k in range(3)]
        for copy in copies:
            await asyncio.to_thread(backup, source, copy)
            await until_written(written_so_far + 5)
        stop.set()
        written = await writer
    assert written > 20
    counts = []
    for copy in copies:
        with sqlite3.connect(copy) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counts.append(conn.execute("SELECT COUNT(*) FROM services").fetchone()[0])
            versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
        assert versions == sorted(versions) and versions[0] == 1
    assert counts == sorted(counts) and counts[-1] <= written


def test_backup_command(tmp_path: Path) -> None:
    source = tmp_path / "y.db"

    async def make() -> None:
        async with SqliteDatabase(source):
            pass

    asyncio.run(make())
    out = tmp_path / "copy.db"
    env = {"DATABASE_URL": f"sqlite:///{source}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    again = subprocess.run(
        [sys.executable, "-m", "bot", "backup", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 2 and "exists already" in again.stderr
