"""When the moderators were last reminded of items waiting, shared by every instance."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from storage.db import parse_stamp, stamp


async def last(conn: aiosqlite.Connection) -> datetime | None:
    """When the moderators were last reminded; None if not since the queue was last fine."""
    async with conn.execute("SELECT reminded_at FROM moderation_reminder WHERE id = 1") as cursor:
        row = await cursor.fetchone()
    return None if row is None else parse_stamp(row[0])


async def claim(conn: aiosqlite.Connection, now: datetime, every: timedelta) -> bool:
    """Take the reminder due now: True if none was given in the `every` before `now` (by
    this instance or another), and then `now` is the last one; False otherwise."""
    cursor = await conn.execute(
        "INSERT INTO moderation_reminder (id, reminded_at) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET reminded_at = excluded.reminded_at"
        " WHERE moderation_reminder.reminded_at <= ?",
        (stamp(now), stamp(now - every)),
    )
    return cursor.rowcount > 0


async def release(conn: aiosqlite.Connection, at: datetime) -> None:
    """The reminder claimed `at` was not delivered: the next check may try again."""
    await conn.execute(
        "DELETE FROM moderation_reminder WHERE id = 1 AND reminded_at = ?", (stamp(at),)
    )


async def clear(conn: aiosqlite.Connection) -> None:
    """Nothing is overdue any more: the next item that is gets a reminder at once."""
    await conn.execute("DELETE FROM moderation_reminder WHERE id = 1")
