"""Time-out notices that said an item was saved and could not reach their citizen, kept to
be told once when the citizen is back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import parse_stamp, stamp
from storage.services import ServiceRow


@dataclass(frozen=True)
class MissedNotice:
    """A time-out notice to tell again: the item saved, and what the notice said of it."""

    feedback_id: int
    # "metoo" when it went quiet at a "me too" list, else "".
    note: str
    hear_back: bool
    service: ServiceRow
    # The item's state now: a notice about one rejected meanwhile promises no answer.
    status: str = "pending"
    # When it was first kept: kept again (its telling failed), it keeps this time, so that
    # the resend bound and retention count from the first.
    kept_at: datetime | None = None


async def keep(
    conn: aiosqlite.Connection, citizen_id: int, feedback_id: int, note: str, now: datetime
) -> None:
    """Remember a notice about one item that could not be delivered (once per item), as
    kept at `now` (for one kept again, the time it was first kept)."""
    await conn.execute(
        "INSERT INTO missed_notices (feedback_id, citizen_id, note, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (feedback_id) DO NOTHING",
        (feedback_id, citizen_id, note, stamp(now)),
    )


async def take(conn: aiosqlite.Connection, telegram_id: int, since: datetime) -> list[MissedNotice]:
    """This person's notices kept at `since` or after, oldest first, taken (deleted) in the
    caller's transaction, so that whoever takes one tells it and no one else does; older ones,
    and those whose item is gone, are dropped untold."""
    async with conn.execute(
        "SELECT n.feedback_id, n.note, f.hear_back, s.slug, s.name, s.description,"
        " s.provider_id, n.created_at, f.status FROM missed_notices n"
        " JOIN citizens c ON c.id = n.citizen_id"
        " LEFT JOIN feedback f ON f.id = n.feedback_id AND f.citizen_id = n.citizen_id"
        " LEFT JOIN services s ON s.slug = f.service_slug"
        " WHERE c.telegram_id = ? ORDER BY n.created_at, n.feedback_id",
        (telegram_id,),
    ) as cursor:
        rows = await cursor.fetchall()
    taken = []
    for feedback_id, note, hear_back, slug, name, description, provider, created, status in rows:
        cursor = await conn.execute(
            "DELETE FROM missed_notices WHERE feedback_id = ?", (feedback_id,)
        )
        if cursor.rowcount < 1 or slug is None or str(created) < stamp(since):
            continue  # taken by another instance meanwhile, about an item gone, or too old
        service = ServiceRow(str(slug), str(name), str(description), str(provider))
        taken.append(
            MissedNotice(
                int(feedback_id),
                str(note),
                bool(hear_back),
                service,
                str(status),
                parse_stamp(str(created)),
            )
        )
    return taken


async def any_waiting(conn: aiosqlite.Connection) -> bool:
    """Whether any notice is kept at all (the usual answer: none)."""
    async with conn.execute("SELECT 1 FROM missed_notices LIMIT 1") as cursor:
        return await cursor.fetchone() is not None


async def waiting_reachable(conn: aiosqlite.Connection) -> list[int]:
    """Telegram ids of citizens with a kept notice whose chat is not marked unreachable: its
    send failed for a while (the network, a 5xx, a lasting 429), not refused."""
    async with conn.execute(
        "SELECT DISTINCT c.telegram_id FROM missed_notices n JOIN citizens c ON c.id = n.citizen_id"
        " WHERE NOT EXISTS (SELECT 1 FROM unreachable_chats u WHERE u.chat_id = c.telegram_id)"
        " ORDER BY c.telegram_id"
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]
