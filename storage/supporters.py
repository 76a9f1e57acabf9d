"""Supporters of published items ("me too"), and the recent items a new text may join."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.db import stamp

# What counts as published: approved with words for providers (erased items have none).
_PUBLISHED = "f.status = 'approved' AND f.published_text IS NOT NULL AND f.published_text <> ''"


async def recent(
    conn: aiosqlite.Connection, service_slug: str, since: datetime
) -> list[tuple[int, str]]:
    """(id, published text) of the service's items published since `since`, oldest first."""
    async with conn.execute(
        "SELECT f.id, f.published_text FROM feedback f WHERE f.status = 'approved'"
        " AND f.service_slug = ? AND f.moderated_at >= ? AND f.published_text IS NOT NULL"
        f" AND {_PUBLISHED} ORDER BY f.id",
        (service_slug, stamp(since)),
    ) as cursor:
        return [(int(i), str(t)) for i, t in await cursor.fetchall()]


async def fingerprint(
    conn: aiosqlite.Connection, service_slug: str, since: datetime
) -> tuple[int, int, str, int]:
    """What changes when the service's recent published items change: how many, the
    newest id, the latest moderation, the length of all their words (an edit)."""
    async with conn.execute(
        "SELECT COUNT(*), COALESCE(MAX(f.id), 0), COALESCE(MAX(f.moderated_at), ''),"
        " COALESCE(SUM(LENGTH(f.published_text)), 0)"
        " FROM feedback f WHERE f.status = 'approved' AND f.service_slug = ?"
        f" AND f.moderated_at >= ? AND f.published_text IS NOT NULL AND {_PUBLISHED}",
        (service_slug, stamp(since)),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), str(row[2]), int(row[3])


async def joinable(
    conn: aiosqlite.Connection, item_id: int, service_slug: str, since: datetime
) -> bool:
    """Whether the item may be joined from a conversation about `service_slug`: published,
    of that service, published since `since`."""
    async with conn.execute(
        "SELECT 1 FROM feedback f WHERE f.id = ? AND f.service_slug = ?"
        f" AND f.moderated_at >= ? AND {_PUBLISHED}",
        (item_id, service_slug, stamp(since)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def add(conn: aiosqlite.Connection, item_id: int, citizen_id: int, now: datetime) -> bool:
    """The citizen supports the item; False if they already did."""
    cursor = await conn.execute(
        "INSERT INTO supporters (feedback_id, citizen_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (item_id, citizen_id, stamp(now)),
    )
    return cursor.rowcount > 0


async def counts(conn: aiosqlite.Connection, item_ids: Sequence[int]) -> dict[int, int]:
    """How many supporters each item has (items with none are left out)."""
    if not item_ids:
        return {}
    marks = ", ".join("?" for _ in item_ids)
    async with conn.execute(
        f"SELECT feedback_id, COUNT(*) FROM supporters WHERE feedback_id IN ({marks})"
        " GROUP BY feedback_id",
        tuple(item_ids),
    ) as cursor:
        return {int(i): int(n) for i, n in await cursor.fetchall()}


async def of_citizen(conn: aiosqlite.Connection, citizen_id: int) -> list[tuple[int, str, str]]:
    """(item, its published text, when they joined) for each item the citizen supports."""
    async with conn.execute(
        "SELECT s.feedback_id, COALESCE(f.published_text, ''), s.created_at FROM supporters s"
        " JOIN feedback f ON f.id = s.feedback_id WHERE s.citizen_id = ? ORDER BY s.created_at",
        (citizen_id,),
    ) as cursor:
        return [(int(i), str(t), str(w)) for i, t, w in await cursor.fetchall()]


async def forget(conn: aiosqlite.Connection, citizen_id: int) -> None:
    """The citizen's support goes (on /forget)."""
    await conn.execute("DELETE FROM supporters WHERE citizen_id = ?", (citizen_id,))


async def forget_item(conn: aiosqlite.Connection, item_id: int) -> None:
    """An item deleted takes its supporters' support with it."""
    await conn.execute("DELETE FROM supporters WHERE feedback_id = ?", (item_id,))
