"""When the moderators were last reminded of items waiting, and whether the staff were told
in private that the moderators' group refuses the bot; shared by every instance."""

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


async def lost_claim(conn: aiosqlite.Connection, chat_id: int, now: datetime) -> bool:
    """Take the telling that the moderators' group `chat_id` refuses the bot: True if the
    staff were not told of it since it was last reached (by this instance or another)."""
    cursor = await conn.execute(
        "INSERT INTO moderators_chat_lost (id, chat_id, told_at) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET chat_id = excluded.chat_id, told_at = excluded.told_at"
        " WHERE moderators_chat_lost.chat_id != excluded.chat_id",
        (chat_id, stamp(now)),
    )
    return cursor.rowcount > 0


async def lost_release(conn: aiosqlite.Connection, at: datetime) -> None:
    """The telling claimed `at` reached nobody: a later check may try again."""
    await conn.execute(
        "DELETE FROM moderators_chat_lost WHERE id = 1 AND told_at = ?", (stamp(at),)
    )


async def lost_told(conn: aiosqlite.Connection) -> bool:
    """Whether the staff were told the moderators' group refuses the bot (not reached since)."""
    async with conn.execute("SELECT 1 FROM moderators_chat_lost WHERE id = 1") as cursor:
        return await cursor.fetchone() is not None


async def lost_clear(conn: aiosqlite.Connection) -> None:
    """The moderators' group was reached again: the next time it refuses the bot is told."""
    await conn.execute("DELETE FROM moderators_chat_lost WHERE id = 1")
