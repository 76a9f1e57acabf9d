"""Messages on Telegram that carry a citizen's words to staff, and those to take back.

A card's place is in `feedback`; any other such message (the original text a moderator
asked to see, a reply relayed to a provider) is recorded here when it is sent. When the
citizen is forgotten they all move to `messages_to_clean`, in the erasure's transaction, and
a job takes them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp

# Why a message is taken back; each has its own note where it can only be edited.
FORGET, RETENTION = "forget", "retention"
# A copy of a photo given to a provider (/photo N) that is no longer theirs to see: a
# moderator kept the photo back, or undid its item's approval.
UNSHARED = "unshared"
# A second copy of a photo under its card (sent again after Telegram answered too late):
# the moderators decided on the other copy.
DUPLICATE = "duplicate"
# A citizen's "me too" offer quoting words their author erased: drawn again if it waits, taken
# back if passed over, left as it is if answered in its place.
OFFER = "offer"
# Items whose author was forgotten belong to this citizen (storage.privacy.ANONYMOUS).
_NOBODY = 0


@dataclass(frozen=True)
class ToClean:
    """One message to take back from Telegram."""

    chat_id: int
    message_id: int
    reason: str
    attempts: int


async def record_item(
    conn: aiosqlite.Connection, item_id: int, chat_id: int, message_id: int, now: datetime
) -> None:
    """Remember a message carrying an item's words; one whose author is gone is taken back."""
    async with conn.execute(
        "SELECT citizen_id FROM feedback WHERE id = ? AND citizen_id != ?", (item_id, _NOBODY)
    ) as cursor:
        row = await cursor.fetchone()
    await _record(conn, None if row is None else int(row[0]), item_id, chat_id, message_id, now)


async def record_acceptance(
    conn: aiosqlite.Connection, acceptance_id: int, chat_id: int, message_id: int, now: datetime
) -> None:
    """Remember a message carrying what a citizen who accepted an invitation said or shared."""
    async with conn.execute(
        "SELECT citizen_id FROM acceptances WHERE id = ?", (acceptance_id,)
    ) as cursor:
        row = await cursor.fetchone()
    await _record(conn, None if row is None else int(row[0]), None, chat_id, message_id, now)


async def _record(
    conn: aiosqlite.Connection,
    citizen_id: int | None,
    item_id: int | None,
    chat_id: int,
    message_id: int,
    now: datetime,
) -> None:
    if citizen_id is None:
        # The citizen was forgotten while this message was on its way.
        await _queue(conn, [(chat_id, message_id)], FORGET, now)
        return
    await conn.execute(
        "INSERT INTO staff_messages (chat_id, message_id, citizen_id, feedback_id,"
        " sent_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (chat_id, message_id, citizen_id, item_id, stamp(now)),
    )


async def take_back_citizen(
    conn: aiosqlite.Connection, citizen_id: int, item_ids: Iterable[int], now: datetime
) -> int:
    """Queue every message carrying this citizen's words, their items' cards included."""
    async with conn.execute(
        "SELECT chat_id, message_id FROM staff_messages WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        found = [(int(c), int(m)) for c, m in await cursor.fetchall()]
    await conn.execute("DELETE FROM staff_messages WHERE citizen_id = ?", (citizen_id,))
    for item_id in item_ids:
        # A list that also shows someone else's items (one message for several) is queued
        # too: taking it back draws it again without this citizen's (their items leave it).
        async with conn.execute(
            "SELECT card_chat_id, card_message_id FROM feedback WHERE id = ?"
            " AND card_message_id IS NOT NULL",
            (item_id,),
        ) as cursor:
            found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
        # A moderator's prompt to edit one of their items goes with the item (the edit
        # cannot be saved any more, and a reply to it would carry their words).
        async with conn.execute(
            "SELECT prompt_chat_id, prompt_message_id FROM pending_edits WHERE feedback_id = ?",
            (item_id,),
        ) as cursor:
            found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
    await _queue(conn, found, FORGET, now)
    return len(found)


async def take_back_items(
    conn: aiosqlite.Connection, item_ids: Iterable[int], now: datetime
) -> int:
    """Queue the messages (not the cards) carrying these items' original words."""
    found: list[tuple[int, int]] = []
    for item_id in item_ids:
        async with conn.execute(
            "SELECT chat_id, message_id FROM staff_messages WHERE feedback_id = ?", (item_id,)
        ) as cursor:
            found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
        await conn.execute("DELETE FROM staff_messages WHERE feedback_id = ?", (item_id,))
    await _queue(conn, found, RETENTION, now)
    return len(found)


async def take_back_messages(
    conn: aiosqlite.Connection, found: list[tuple[int, int]], reason: str, now: datetime
) -> None:
    """Queue these messages (chat id, message id) to be taken back, whatever they carry."""
    for chat_id, message_id in found:
        await conn.execute(
            "DELETE FROM staff_messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
    await _queue(conn, found, reason, now)


async def _queue(
    conn: aiosqlite.Connection, found: list[tuple[int, int]], reason: str, now: datetime
) -> None:
    await conn.executemany(
        "INSERT INTO messages_to_clean (chat_id, message_id, queued_at, reason,"
        " next_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(chat_id, message_id, stamp(now), reason, stamp(now)) for chat_id, message_id in found],
    )


async def due(conn: aiosqlite.Connection, now: datetime, limit: int = 100) -> list[ToClean]:
    """Messages whose turn to be taken back has come, oldest first."""
    async with conn.execute(
        "SELECT chat_id, message_id, reason, attempts FROM messages_to_clean WHERE next_at <= ?"
        " ORDER BY next_at, queued_at, chat_id, message_id LIMIT ?",
        (stamp(now), limit),
    ) as cursor:
        return [ToClean(int(c), int(m), str(r), int(a)) for c, m, r, a in await cursor.fetchall()]


async def queued(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> bool:
    """Whether the message is queued to be taken back."""
    async with conn.execute(
        "SELECT 1 FROM messages_to_clean WHERE chat_id = ? AND message_id = ?",
        (chat_id, message_id),
    ) as cursor:
        return await cursor.fetchone() is not None


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
