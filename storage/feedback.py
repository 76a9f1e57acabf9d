"""Feedback items: what citizens said about a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class FeedbackItem:
    """One item of feedback as its author sees it."""

    id: int
    service_slug: str
    service_name: str
    text: str
    rating: int | None
    hear_back: bool
    status: str
    created_at: str


async def create(
    conn: aiosqlite.Connection,
    *,
    citizen_id: int,
    service_slug: str,
    text: str,
    rating: int | None,
    hear_back: bool,
    now: datetime,
) -> int:
    """Store a new item with status `pending`; return its reference number."""
    when = stamp(now)
    cursor = await conn.execute(
        "INSERT INTO feedback"
        " (citizen_id, service_slug, text, rating, hear_back, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
        (citizen_id, service_slug, text, rating, int(hear_back), when, when),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid)


_SELECT = (
    "SELECT f.id, f.service_slug, s.name, f.text, f.rating, f.hear_back, f.status, f.created_at"
    " FROM feedback f JOIN services s ON s.slug = f.service_slug"
)


def _item(row: aiosqlite.Row | tuple[object, ...]) -> FeedbackItem:
    values = list(row)
    values[5] = bool(values[5])
    return FeedbackItem(*values)  # type: ignore[arg-type]


async def for_citizen(
    conn: aiosqlite.Connection, citizen_id: int, limit: int = 10
) -> list[FeedbackItem]:
    """The citizen's most recent items, newest first."""
    async with conn.execute(
        f"{_SELECT} WHERE f.citizen_id = ? ORDER BY f.id DESC LIMIT ?", (citizen_id, limit)
    ) as cursor:
        return [_item(row) for row in await cursor.fetchall()]


async def count_for_citizen(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """How many items the citizen has given."""
    async with conn.execute(
        "SELECT COUNT(*) FROM feedback WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def get(conn: aiosqlite.Connection, item_id: int) -> FeedbackItem | None:
    """One item by reference number."""
    async with conn.execute(f"{_SELECT} WHERE f.id = ?", (item_id,)) as cursor:
        row = await cursor.fetchone()
    return _item(row) if row else None


async def all_items(conn: aiosqlite.Connection) -> list[FeedbackItem]:
    """Every item, oldest first (for the demo's account and exports)."""
    async with conn.execute(f"{_SELECT} ORDER BY f.id") as cursor:
        return [_item(row) for row in await cursor.fetchall()]
