"""Conversations in progress, kept in the database so a restart loses none."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite

from storage.db import stamp

_COLUMNS = (
    "citizen_id, seq, state, service_slug, text, rating, hear_back, page, nudged,"
    " started_at, updated_at, response_id, ask_id, offered, offered_items, offer_message"
)


@dataclass(frozen=True)
class Conversation:
    """Where a citizen is in giving feedback, and what they have said so far."""

    citizen_id: int
    seq: int
    state: str
    service_slug: str | None = None
    text: str | None = None
    rating: int | None = None
    hear_back: bool | None = None
    page: int = 0
    nudged: int = 0
    started_at: str = ""
    updated_at: str = ""
    # A comment on a response the citizen received, or an answer to a question.
    response_id: int | None = None
    ask_id: int | None = None
    # The "me too" offer is the question waiting (at the rating step).
    offered: bool = False
    # Every item a "me too" offer of this conversation named: the ones it may join.
    offered_items: tuple[int, ...] = ()
    # The message showing the latest offer (`offer_shown`), if known.
    offer_message: int | None = None

    def but(self, **changes: object) -> Conversation:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _from_row(row: aiosqlite.Row | tuple[object, ...]) -> Conversation:
    values = list(row)
    values[6] = None if values[6] is None else bool(values[6])
    values[13] = bool(values[13])
    values[14] = tuple(int(i) for i in str(values[14] or "").split(",") if i)
    return Conversation(*values)  # type: ignore[arg-type]


async def get(conn: aiosqlite.Connection, citizen_id: int) -> Conversation | None:
    """The citizen's conversation in progress, if any."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM conversations WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return _from_row(row) if row else None


async def save(conn: aiosqlite.Connection, conversation: Conversation, now: datetime) -> None:
    """Insert or replace the citizen's conversation, stamped now."""
    when = stamp(now)
    c = conversation
    await conn.execute(
        f"INSERT INTO conversations ({_COLUMNS}) VALUES ({', '.join('?' * 16)})"
        " ON CONFLICT (citizen_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,"
        " service_slug = excluded.service_slug, text = excluded.text,"
        " rating = excluded.rating, hear_back = excluded.hear_back, page = excluded.page,"
        " nudged = excluded.nudged, updated_at = excluded.updated_at,"
        " response_id = excluded.response_id, ask_id = excluded.ask_id,"
        " offered = excluded.offered, offered_items = excluded.offered_items,"
        " offer_message = excluded.offer_message",
        (
            c.citizen_id,
            c.seq,
            c.state,
            c.service_slug,
            c.text,
            c.rating,
            None if c.hear_back is None else int(c.hear_back),
            c.page,
            c.nudged,
            c.started_at or when,
            when,
            c.response_id,
            c.ask_id,
            int(c.offered),
            ",".join(str(i) for i in c.offered_items) or None,
            c.offer_message,
        ),
    )


async def offer_shown(conn: aiosqlite.Connection, citizen_id: int, message_id: int) -> None:
    """The message now showing the citizen's "me too" offer, if one waits (not a change of
    theirs: the conversation's idle time stands)."""
    await conn.execute(
        "UPDATE conversations SET offer_message = ? WHERE citizen_id = ? AND offered = 1",
        (message_id, citizen_id),
    )


async def offers_quoting(conn: aiosqlite.Connection, item_ids: list[int]) -> list[tuple[int, int]]:
    """The private chats and latest offer messages of conversations whose offers quoted any
    of these items."""
    found: list[tuple[int, int]] = []
    for item_id in item_ids:
        async with conn.execute(
            "SELECT c.telegram_id, v.offer_message FROM conversations v"
            " JOIN citizens c ON c.id = v.citizen_id WHERE v.offer_message IS NOT NULL"
            " AND ',' || v.offered_items || ',' LIKE ?",
            (f"%,{int(item_id)},%",),
        ) as cursor:
            found += [(int(t), int(m)) for t, m in await cursor.fetchall()]
    return sorted(set(found))


async def delete(conn: aiosqlite.Connection, citizen_id: int) -> bool:
    """End the citizen's conversation; True if there was one."""
    cursor = await conn.execute("DELETE FROM conversations WHERE citizen_id = ?", (citizen_id,))
    return cursor.rowcount > 0


async def idle_since(conn: aiosqlite.Connection, cutoff: datetime) -> list[Conversation]:
    """Conversations last touched before `cutoff`, oldest first."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM conversations WHERE updated_at < ? ORDER BY updated_at",
        (stamp(cutoff),),
    ) as cursor:
        return [_from_row(row) for row in await cursor.fetchall()]
