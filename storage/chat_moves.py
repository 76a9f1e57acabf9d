"""Groups that became supergroups: where each old chat id moved to."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import stamp


async def record(conn: aiosqlite.Connection, old: int, new: int, now: datetime) -> bool:
    """Remember that chat `old` is now chat `new`; False if that was known already (by this
    instance or another: the first to record it wins)."""
    cursor = await conn.execute(
        "INSERT INTO chat_moves (old_chat_id, new_chat_id, moved_at) VALUES (?, ?, ?)"
        " ON CONFLICT (old_chat_id) DO NOTHING",
        (old, new, stamp(now)),
    )
    return cursor.rowcount > 0


async def everything(conn: aiosqlite.Connection) -> dict[int, int]:
    """Every move known, old id -> new id."""
    async with conn.execute("SELECT old_chat_id, new_chat_id FROM chat_moves") as cursor:
        return {int(old): int(new) for old, new in await cursor.fetchall()}


async def cards_again(conn: aiosqlite.Connection, old: int) -> list[int]:
    """Items still waiting for a decision whose card is in chat `old` (which can no longer be
    edited): their cards are to be posted again, with their voice notes and photos; the
    items, by id."""
    async with conn.execute(
        "SELECT id FROM feedback WHERE card_chat_id = ? AND status = 'pending' ORDER BY id",
        (old,),
    ) as cursor:
        items = [int(row[0]) for row in await cursor.fetchall()]
    for item_id in items:
        await conn.execute(
            "UPDATE feedback SET card_chat_id = NULL, card_message_id = NULL, card_batched = 0,"
            " card_sending_at = NULL, card_attempts = 0, card_error = NULL,"
            " card_retry_at = NULL WHERE id = ? AND card_chat_id = ? AND status = 'pending'",
            (item_id, old),
        )
        await conn.execute(
            "UPDATE media SET card_chat_id = NULL, card_message_id = NULL, posting_since = NULL,"
            " post_failures = 0 WHERE feedback_id = ? AND card_chat_id = ?",
            (item_id, old),
        )
    return items


async def asks_again(conn: aiosqlite.Connection, old: int) -> list[int]:
    """Questions and invitations still waiting for a moderator whose card is in chat `old`:
    their cards are to be posted again where the group is now; the asks, by id."""
    async with conn.execute(
        "SELECT id FROM asks WHERE card_chat_id = ? AND state = 'proposed' ORDER BY id", (old,)
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def responses_again(conn: aiosqlite.Connection, old: int) -> list[int]:
    """Responses still waiting for a moderator to add a language whose card is in chat `old`:
    their cards are to be posted again where the group is now; the responses, by id."""
    async with conn.execute(
        "SELECT id FROM responses WHERE card_chat = ? AND waiting_since IS NOT NULL"
        " AND hidden_at IS NULL ORDER BY id",
        (old,),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]
