"""The moderators' reminder: claimed once in each period, by whichever instance checks first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from storage import reminders
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EVERY = timedelta(hours=2)


async def claim(db: Database, at: datetime) -> bool:
    async def run(conn: aiosqlite.Connection) -> bool:
        return await reminders.claim(conn, at, EVERY)

    return await db.write(run)


async def test_a_reminder_is_claimed_once_in_each_period(db: Database) -> None:
    assert await reminders.last(db.reader) is None
    assert await claim(db, NOW)
    # Another instance, or this one after a restart, within the period: not again.
    assert not await claim(db, NOW)
    assert not await claim(db, NOW + EVERY - timedelta(microseconds=1))
    assert await reminders.last(db.reader) == NOW
    assert await claim(db, NOW + EVERY)
    assert await reminders.last(db.reader) == NOW + EVERY


async def test_a_reminder_not_delivered_or_no_longer_needed_is_forgotten(db: Database) -> None:
    assert await claim(db, NOW)

    async def release(conn: aiosqlite.Connection) -> None:
        await reminders.release(conn, NOW - timedelta(minutes=1))  # not the one claimed

    await db.write(release)
    assert await reminders.last(db.reader) == NOW

    async def undelivered(conn: aiosqlite.Connection) -> None:
        await reminders.release(conn, NOW)

    await db.write(undelivered)
    assert await reminders.last(db.reader) is None
    assert await claim(db, NOW + timedelta(minutes=5))
    await db.write(reminders.clear)
    assert await claim(db, NOW + timedelta(minutes=6))
