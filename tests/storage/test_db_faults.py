"""Faults of the database file: a full disk is waited for a while, a file that cannot be
written stops the writer for good (and says so), one process holds a database, and a
digest part is claimed by one sender only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from storage import digests
from storage.db import DatabaseInUse, DatabaseUnusable, ProcessLock, SqliteDatabase

# About SQLite's own file: the engine under test is SQLite.
pytestmark = pytest.mark.sqlite_only

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def fill(conn: aiosqlite.Connection) -> None:
    """Write more than the file may grow by (max_page_count caps it: SQLITE_FULL)."""
    await conn.execute("CREATE TABLE IF NOT EXISTS blobs (b BLOB)")
    await conn.execute("INSERT INTO blobs VALUES (zeroblob(200000))")


async def test_a_full_disk_is_waited_for_and_the_write_saved_once_there_is_room(
    tmp_path: Path,
) -> None:
    async with SqliteDatabase(tmp_path / "y.db", full_grace=30) as db:
        tries = 0

        async def write(conn: aiosqlite.Connection) -> int:
            nonlocal tries
            tries += 1
            # Full for the first two tries; then someone frees space.
            await conn.execute(f"PRAGMA max_page_count = {1 if tries <= 2 else 1_000_000}")
            await fill(conn)
            return tries

        assert await db.write(write) == 3
        rows = await db.fetchall("SELECT COUNT(*) FROM blobs")
        assert rows[0][0] == 1

        # A request's own error is no fault of the file: it fails alone, the writer goes on.
        async def wrong(conn: aiosqlite.Connection) -> None:
            await conn.execute("INSERT INTO no_such_table VALUES (1)")

        with pytest.raises(aiosqlite.OperationalError):
            await db.write(wrong)
        await db.write(fill)
        assert (await db.fetchall("SELECT COUNT(*) FROM blobs"))[0][0] == 2


async def test_a_disk_full_beyond_the_grace_stops_the_writer_and_says_why(
    tmp_path: Path,
) -> None:
    path = tmp_path / "y.db"
    db = await SqliteDatabase(path, full_grace=0.3).open()

    async def write(conn: aiosqlite.Connection) -> None:
        await conn.execute("PRAGMA max_page_count = 1")
        await fill(conn)

    with pytest.raises(DatabaseUnusable) as raised:
        await db.write(write)
    assert str(raised.value) == f"the database {path} cannot be written (disk full)"
    assert await asyncio.wait_for(db.wait_broken(), 10) is raised.value
    # Nobody waits for a writer that is gone.
    with pytest.raises(DatabaseUnusable):
        await asyncio.wait_for(db.write(fill), 10)
    await asyncio.wait_for(db.close(), 10)


async def test_a_file_that_cannot_be_written_stops_the_writer_at_once(tmp_path: Path) -> None:
    path = tmp_path / "y.db"
    db = await SqliteDatabase(path).open()

    async def write(conn: aiosqlite.Connection) -> None:
        await conn.execute("PRAGMA query_only = ON")  # the file now refuses writes
        await fill(conn)

    waiting = asyncio.create_task(db.write(fill))
    with pytest.raises(DatabaseUnusable) as raised:
        await asyncio.wait_for(db.write(write), 10)
    assert str(raised.value).startswith(f"the database {path} cannot be written (read-only")
    with pytest.raises(DatabaseUnusable):
        await asyncio.wait_for(waiting, 10)
    assert await asyncio.wait_for(db.wait_broken(), 10) is raised.value
    await asyncio.wait_for(db.close(), 10)


def test_one_process_lock_per_database(tmp_path: Path) -> None:
    first, second = ProcessLock(tmp_path / "y.db"), ProcessLock(tmp_path / "y.db")
    first.acquire()
    try:
        assert second.held_elsewhere()
        with pytest.raises(DatabaseInUse, match="one process per database"):
            second.acquire()
    finally:
        first.release()
    assert not second.held_elsewhere()
    second.acquire()
    second.release()


async def test_two_senders_claiming_one_digest_part_have_exactly_one_winner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "y.db"
    # Two connections, as two processes would have, on one file.
    async with SqliteDatabase(path) as one, SqliteDatabase(path) as other:

        async def make(conn: aiosqlite.Connection) -> None:
            await digests.create(conn, "culture-leisure", NOW, NOW, [-1001000000010], NOW)

        await one.write(make)
        digest_id = (await one.fetchone("SELECT id FROM digests"))[0]  # type: ignore[index]

        async def claim(conn: aiosqlite.Connection) -> bool:
            return await digests.mark_sending(conn, digest_id, -1001000000010, 0)

        won = await asyncio.gather(one.write(claim), other.write(claim), one.write(claim))
        assert sorted(won) == [False, False, True]
        # Once the part is sent, the next one is claimed once too; the old one never again.
        await one.write(
            lambda conn: digests.mark_part_sent(conn, digest_id, -1001000000010, 2, NOW)
        )
        assert not await other.write(claim)

        async def claim_next(conn: aiosqlite.Connection) -> bool:
            return await digests.mark_sending(conn, digest_id, -1001000000010, 1)

        won = await asyncio.gather(other.write(claim_next), one.write(claim_next))
        assert sorted(won) == [False, True]
