"""Emptying SQLite's WAL after an erasure (a decline, a lapsed consent, /forget): SQLite
gives up while a read is in progress, so the result is checked and the checkpoint tried
again, each try without holding the writer."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage import db as storage_db
from storage.db import SqliteDatabase


async def write_some(db: SqliteDatabase) -> None:
    async def run(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO updates (update_id, payload, received_at) VALUES (1, 'words', 'x')"
        )

    await db.write(run)


def wal(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


async def test_a_checkpoint_held_back_by_a_read_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "yousaid.db"
    async with SqliteDatabase(path) as db:
        await write_some(db)
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM updates").fetchone()  # a read in progress
        pauses: list[float] = []

        async def pause(seconds: float) -> None:
            pauses.append(seconds)
            if len(pauses) == 2:
                reader.execute("COMMIT")  # the read ends

        monkeypatch.setattr(storage_db, "_pause", pause)
        assert await db.checkpoint()
        assert len(pauses) == 2
        assert wal(path) == 0
        # The writer waits for a busy database again as before.
        async with db._writer.execute("PRAGMA busy_timeout") as cursor:  # type: ignore[union-attr]
            assert (await cursor.fetchone())[0] == storage_db.BUSY_TIMEOUT_MS  # type: ignore[index]
        reader.close()


async def test_a_checkpoint_that_never_gets_through_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "yousaid.db"
    async with SqliteDatabase(path) as db:
        await write_some(db)
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM updates").fetchone()
        pauses: list[float] = []

        async def pause(seconds: float) -> None:
            pauses.append(seconds)

        monkeypatch.setattr(storage_db, "_pause", pause)
        with caplog.at_level(logging.WARNING):
            assert not await db.checkpoint()
        assert pauses == list(storage_db.CHECKPOINT_WAITS)
        assert "could not be emptied now" in caplog.text
        assert wal(path) > 0
        reader.execute("COMMIT")
        reader.close()
        assert await db.checkpoint()
        assert wal(path) == 0
