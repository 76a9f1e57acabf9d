"""The audit log: every moderation and role action, who, what, when, before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class Entry:
    """One audited action."""

    id: int
    at: str
    actor: int | None
    actor_role: str
    action: str
    subject: str
    before: str | None
    after: str | None


async def record(
    conn: aiosqlite.Connection,
    *,
    actor: int | None,
    actor_role: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    now: datetime,
) -> None:
    """Append an entry (before/after as JSON), in the caller's transaction."""
    await conn.execute(
        "INSERT INTO audit (at, actor, actor_role, action, subject, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            stamp(now),
            actor,
            actor_role,
            action,
            subject,
            None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
            None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
        ),
    )


async def recent(conn: aiosqlite.Connection, limit: int = 20) -> list[Entry]:
    """The newest entries, newest first."""
    async with conn.execute(
        "SELECT id, at, actor, actor_role, action, subject, before, after FROM audit"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
    ) as cursor:
        return [Entry(*row) for row in await cursor.fetchall()]


async def everything(conn: aiosqlite.Connection) -> list[Entry]:
    """Every entry, oldest first (for the export)."""
    async with conn.execute(
        "SELECT id, at, actor, actor_role, action, subject, before, after FROM audit ORDER BY id"
    ) as cursor:
        return [Entry(*row) for row in await cursor.fetchall()]
