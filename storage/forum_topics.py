"""The forum topic where each group's staff last used a command of their role."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import stamp


async def remember(
    conn: aiosqlite.Connection, chat_id: int, role: str, thread_id: int | None, now: datetime
) -> None:
    """Where a command of `role` was last used in this group (None: General, forgotten)."""
    if thread_id is None:
        await conn.execute(
            "DELETE FROM forum_topics WHERE chat_id = ? AND role = ?", (chat_id, role)
        )
        return
    await conn.execute(
        "INSERT INTO forum_topics (chat_id, role, thread_id, used_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (chat_id, role) DO UPDATE SET thread_id = excluded.thread_id,"
        " used_at = excluded.used_at",
        (chat_id, role, thread_id, stamp(now)),
    )


async def forget(conn: aiosqlite.Connection, chat_id: int, role: str, thread_id: int) -> bool:
    """Forget that topic (deleted or closed), unless a newer command named another since;
    whether it was forgotten here."""
    cursor = await conn.execute(
        "DELETE FROM forum_topics WHERE chat_id = ? AND role = ? AND thread_id = ?",
        (chat_id, role, thread_id),
    )
    return cursor.rowcount > 0


async def everything(conn: aiosqlite.Connection) -> dict[tuple[int, str], int]:
    """Every topic remembered, (chat, role) -> thread id."""
    async with conn.execute("SELECT chat_id, role, thread_id FROM forum_topics") as cursor:
        return {(int(c), str(r)): int(t) for c, r, t in await cursor.fetchall()}


async def one(conn: aiosqlite.Connection, chat_id: int, role: str) -> int | None:
    """The topic remembered for this group and role, if any."""
    async with conn.execute(
        "SELECT thread_id FROM forum_topics WHERE chat_id = ? AND role = ?", (chat_id, role)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None
