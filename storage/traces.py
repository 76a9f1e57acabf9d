"""Messages on Telegram that carry a citizen's words to staff, and those to take back.

A card's place is in `feedback`; any other such message (the original text a moderator
asked to see, say) is recorded here when it is sent. When the author is forgotten, they all
move to `messages_to_clean`, in the erasure's transaction, and a job takes them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp

# Items of this citizen have no author any more (storage.privacy.ANONYMOUS).
_NOBODY = 0


@dataclass(frozen=True)
class ToClean:
    """One message to take back from Telegram."""

    chat_id: int
    message_id: int
    attempts: int


async def record(
    conn: aiosqlite.Connection, item_id: int, chat_id: int, message_id: int, now: datetime
) -> None:
    """Remember a message carrying an item's words; one whose author is gone is taken back."""
    async with conn.execute(
        "SELECT 1 FROM feedback WHERE id = ? AND citizen_id != ?", (item_id, _NOBODY)
    ) as cursor:
        authored = await cursor.fetchone() is not None
    if authored:
        await conn.execute(
            "INSERT OR IGNORE INTO item_messages (feedback_id, chat_id, message_id, sent_at)"
            " VALUES (?, ?, ?, ?)",
            (item_id, chat_id, message_id, stamp(now)),
        )
    else:
        # The author was forgotten while this message was on its way.
        await _queue(conn, [(chat_id, message_id)], now)


async def take_back(
    conn: aiosqlite.Connection, item_ids: Iterable[int], now: datetime, cards: bool = True
) -> int:
    """Queue every message carrying these items' words (and their cards) to be taken back."""
    found: list[tuple[int, int]] = []
    for item_id in item_ids:
        async with conn.execute(
            "SELECT chat_id, message_id FROM item_messages WHERE feedback_id = ?", (item_id,)
        ) as cursor:
            found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
        await conn.execute("DELETE FROM item_messages WHERE feedback_id = ?", (item_id,))
        if cards:
            async with conn.execute(
                "SELECT card_chat_id, card_message_id FROM feedback WHERE id = ?"
                " AND card_message_id IS NOT NULL",
                (item_id,),
            ) as cursor:
                found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
    await _queue(conn, found, now)
    return len(found)


async def _queue(conn: aiosqlite.Connection, found: list[tuple[int, int]], now: datetime) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO messages_to_clean (chat_id, message_id, queued_at, next_at)"
        " VALUES (?, ?, ?, ?)",
        [(chat_id, message_id, stamp(now), stamp(now)) for chat_id, message_id in found],
    )


async def due(conn: aiosqlite.Connection, now: datetime, limit: int = 100) -> list[ToClean]:
    """Messages whose turn to be taken back has come, oldest first."""
    async with conn.execute(
        "SELECT chat_id, message_id, attempts FROM messages_to_clean WHERE next_at <= ?"
        " ORDER BY next_at, queued_at LIMIT ?",
        (stamp(now), limit),
    ) as cursor:
        return [ToClean(int(c), int(m), int(a)) for c, m, a in await cursor.fetchall()]


async def cleaned(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> None:
    """The message is gone (or shows the note): nothing more to do."""
    await conn.execute(
        "DELETE FROM messages_to_clean WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
    )


async def retry(
    conn: aiosqlite.Connection, chat_id: int, message_id: int, at: datetime, error: str
) -> None:
    """Try again at `at`, one attempt more."""
    await conn.execute(
        "UPDATE messages_to_clean SET attempts = attempts + 1, next_at = ?, error = ?"
        " WHERE chat_id = ? AND message_id = ?",
        (stamp(at), error[:200], chat_id, message_id),
    )


async def waiting(conn: aiosqlite.Connection) -> int:
    """How many messages wait to be taken back."""
    async with conn.execute("SELECT COUNT(*) FROM messages_to_clean") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
