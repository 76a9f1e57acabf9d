"""A citizen's unsent words: what they wrote before a conversation went quiet, no service chosen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class CitizenDraft:
    """Words kept for the citizen to carry on with, and when they were kept."""

    citizen_id: int
    text: str
    written_at: str


async def keep(conn: aiosqlite.Connection, citizen_id: int, text: str, now: datetime) -> None:
    """Keep the citizen's words as their draft (one per citizen: newer words replace older)."""
    await conn.execute(
        "INSERT INTO citizen_drafts (citizen_id, text, written_at) VALUES (?, ?, ?)"
        " ON CONFLICT (citizen_id) DO UPDATE SET text = excluded.text,"
        " written_at = excluded.written_at, offered_at = NULL, offered_slug = NULL",
        (citizen_id, text, stamp(now)),
    )


async def get(conn: aiosqlite.Connection, citizen_id: int) -> CitizenDraft | None:
    """The citizen's draft, if any."""
    async with conn.execute(
        "SELECT citizen_id, text, written_at FROM citizen_drafts WHERE citizen_id = ?",
        (citizen_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return CitizenDraft(int(row[0]), str(row[1]), str(row[2])) if row else None


async def delete(conn: aiosqlite.Connection, citizen_id: int) -> bool:
    """Drop the citizen's draft; True if there was one."""
    cursor = await conn.execute("DELETE FROM citizen_drafts WHERE citizen_id = ?", (citizen_id,))
    return cursor.rowcount > 0


async def older_than(conn: aiosqlite.Connection, cutoff: datetime) -> int:
    """Drop drafts kept since before `cutoff`; how many."""
    cursor = await conn.execute("DELETE FROM citizen_drafts WHERE written_at < ?", (stamp(cutoff),))
    return cursor.rowcount


async def offer(conn: aiosqlite.Connection, citizen_id: int, slug: str, now: datetime) -> None:
    """Remember that the draft was just offered back (with the service their link named)."""
    await conn.execute(
        "UPDATE citizen_drafts SET offered_at = ?, offered_slug = ? WHERE citizen_id = ?",
        (stamp(now), slug, citizen_id),
    )


async def take_offer(conn: aiosqlite.Connection, citizen_id: int) -> tuple[str, str] | None:
    """When the draft was offered back and the link's service, if it was; the offer is
    answered (forgotten) from now on."""
    async with conn.execute(
        "SELECT offered_at, offered_slug FROM citizen_drafts"
        " WHERE citizen_id = ? AND offered_at IS NOT NULL",
        (citizen_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    await conn.execute(
        "UPDATE citizen_drafts SET offered_at = NULL, offered_slug = NULL WHERE citizen_id = ?",
        (citizen_id,),
    )
    return str(row[0]), str(row[1] or "")
