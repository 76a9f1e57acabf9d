"""Chat turns: which instance handles a chat's saved updates now, under a renewable lease."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class Pending:
    """A saved update not yet handled."""

    update_id: int
    payload: dict[str, Any] | None


async def take(
    conn: aiosqlite.Connection, chat: int, owner: str, now: datetime, until: datetime
) -> bool:
    """Take a chat's turn if nobody holds it live (or `owner` already does); whether taken."""
    cursor = await conn.execute(
        "INSERT INTO chat_turns (chat_key, owner, until) VALUES (?, ?, ?)"
        " ON CONFLICT (chat_key) DO UPDATE SET owner = excluded.owner, until = excluded.until"
        " WHERE chat_turns.until < ? OR chat_turns.owner = excluded.owner",
        (chat, owner, stamp(until), stamp(now)),
    )
    return cursor.rowcount > 0


async def renew(conn: aiosqlite.Connection, chat: int, owner: str, until: datetime) -> bool:
    """Extend a turn `owner` holds; False if it holds it no more (it expired and was taken)."""
    cursor = await conn.execute(
        "UPDATE chat_turns SET until = ? WHERE chat_key = ? AND owner = ?",
        (stamp(until), chat, owner),
    )
    return cursor.rowcount > 0


async def renew_all(conn: aiosqlite.Connection, owner: str, until: datetime) -> int:
    """Extend every turn `owner` holds; return how many."""
    cursor = await conn.execute(
        "UPDATE chat_turns SET until = ? WHERE owner = ?", (stamp(until), owner)
    )
    return cursor.rowcount


async def next_pending(conn: aiosqlite.Connection, chat: int) -> Pending | None:
    """The chat's first saved update not yet handled, in update_id order."""
    async with conn.execute(
        "SELECT update_id, payload FROM updates WHERE chat_key = ? AND handled_at IS NULL"
        " ORDER BY update_id LIMIT 1",
        (chat,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Pending(int(row[0]), json.loads(row[1]) if row[1] is not None else None)


async def release(conn: aiosqlite.Connection, chat: int, owner: str) -> None:
    """Give a chat's turn back."""
    await conn.execute("DELETE FROM chat_turns WHERE chat_key = ? AND owner = ?", (chat, owner))


async def release_all(conn: aiosqlite.Connection, owner: str) -> None:
    """Give back every turn `owner` holds."""
    await conn.execute("DELETE FROM chat_turns WHERE owner = ?", (owner,))


async def clear(conn: aiosqlite.Connection) -> None:
    """Forget every turn (SQLite: one process, so none can be live at its start)."""
    await conn.execute("DELETE FROM chat_turns")


async def unattended(conn: aiosqlite.Connection, now: datetime, limit: int) -> list[int]:
    """Chats with saved updates not handled and no live turn, the longest waiting first."""
    async with conn.execute(
        "SELECT u.chat_key FROM updates u WHERE u.handled_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM chat_turns t WHERE t.chat_key = u.chat_key AND t.until >= ?)"
        " GROUP BY u.chat_key ORDER BY MIN(u.update_id) LIMIT ?",
        (stamp(now), limit),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def held(conn: aiosqlite.Connection, owners: Iterable[str] = ()) -> list[tuple[int, str]]:
    """The turns held now (chat, owner), all or only those of `owners`."""
    names = list(owners)
    query = "SELECT chat_key, owner FROM chat_turns"
    if names:
        query += " WHERE owner IN (" + ", ".join("?" for _ in names) + ")"
    async with conn.execute(query + " ORDER BY chat_key", names) as cursor:
        return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]
