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

    @property
    def count(self) -> int:
        """How many attempts the entry stands for (more than one when a flood was folded)."""
        try:
            after = json.loads(self.after) if self.after else None
        except ValueError:
            return 1
        return int(after.get("count", 1)) if isinstance(after, dict) else 1


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


async def record_folded(
    conn: aiosqlite.Connection,
    *,
    actor: int,
    actor_role: str,
    action: str,
    subject: str,
    detail: str,
    now: datetime,
    since: datetime,
    rows: int,
) -> bool:
    """Append an entry, unless this actor has `rows` entries of this action and subject
    since `since`: then the newest of them counts one more, so a flood leaves a few rows,
    with how many times (`count`) and the latest detail. True if an entry was added."""
    async with conn.execute(
        "SELECT id, after FROM audit WHERE actor = ? AND action = ? AND subject = ? AND at >= ?"
        " ORDER BY id DESC LIMIT ?",
        (actor, action, subject, stamp(since), rows),
    ) as cursor:
        found = list(await cursor.fetchall())
    if len(found) < rows:
        await record(
            conn,
            actor=actor,
            actor_role=actor_role,
            action=action,
            subject=subject,
            after={"detail": detail} if detail else None,
            now=now,
        )
        return True
    entry_id, after = found[0]
    folded: dict[str, Any] = json.loads(after) if after else {}
    folded["count"] = int(folded.get("count", 1)) + 1
    if detail:
        folded["last"] = detail
    await conn.execute(
        "UPDATE audit SET after = ? WHERE id = ?",
        (json.dumps(folded, ensure_ascii=False, sort_keys=True), entry_id),
    )
    return False


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
