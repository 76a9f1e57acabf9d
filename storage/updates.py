"""Updates received from Telegram: saved before they are confirmed, marked once handled."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.db import stamp

# Fields that name a person; an update is stored without them.
_NAME_FIELDS = ("first_name", "last_name", "username")
# How a claimed update's payload starts when its answer welcomes someone to a role (the
# `note` of bot.roles, "role:..."): a pattern for LIKE.
_WELCOME = json.dumps({"note": "role:"}).removesuffix('"}') + "%"


def scrub(payload: Any) -> Any:
    """The update with people's names and usernames blanked (ids kept, for replies)."""
    if isinstance(payload, dict):
        cleaned = {}
        for key, value in payload.items():
            if key in _NAME_FIELDS and isinstance(value, str):
                # Telegram's User requires first_name, so it is kept but emptied.
                if key == "first_name":
                    cleaned[key] = ""
                continue
            cleaned[key] = scrub(value)
        return cleaned
    if isinstance(payload, list):
        return [scrub(item) for item in payload]
    return payload


async def save_new(
    conn: aiosqlite.Connection,
    updates: Sequence[tuple[int, dict[str, Any] | None, int | None]],
    now: datetime,
) -> list[int]:
    """Save updates (id, payload, chat key) not seen before; return the ids that were new
    (redeliveries are not). A payload of None (one that cannot be stored) is saved as none:
    the update is then not handled again after a restart."""
    new = []
    for update_id, payload, chat in updates:
        text = json.dumps(scrub(payload)) if payload is not None else None
        cursor = await conn.execute(
            "INSERT INTO updates (update_id, payload, received_at, chat_key) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            (update_id, text, stamp(now), chat),
        )
        if cursor.rowcount > 0:
            new.append(update_id)
    return new


async def claim(conn: aiosqlite.Connection, update_id: int, now: datetime) -> bool:
    """Mark an update handled, inside the transaction of its effect; False if it already was.

    Its payload goes; its chat stays until the answer is sent (`mark_handled`), so that an
    answer lost to a crash in between can be given again (see `unanswered`)."""
    cursor = await conn.execute(
        "INSERT INTO updates (update_id, payload, received_at, handled_at) VALUES (?, NULL, ?, ?)"
        " ON CONFLICT (update_id) DO UPDATE SET handled_at = excluded.handled_at, payload = NULL"
        " WHERE updates.handled_at IS NULL",
        (update_id, stamp(now), stamp(now)),
    )
    return cursor.rowcount > 0


async def note(conn: aiosqlite.Connection, update_id: int, what: str) -> None:
    """What the answer to a claimed update was to tell, beyond where the person is now (an
    undo), kept until it is answered (`mark_handled`), for an answer lost to a crash."""
    await conn.execute(
        "UPDATE updates SET payload = ? WHERE update_id = ? AND handled_at IS NOT NULL",
        (json.dumps({"note": what}), update_id),
    )


async def noted(conn: aiosqlite.Connection, chat: int) -> str | None:
    """The `note` of the chat's latest update whose answer may have been lost, if it has one."""
    # The latest such update, noted or not: an earlier one's note (a welcome whose mark was
    # lost) is not what the chat was last to be told.
    async with conn.execute(
        "SELECT payload FROM updates WHERE chat_key = ? AND chat_key <> 0"
        " AND handled_at IS NOT NULL ORDER BY update_id DESC LIMIT 1",
        (chat,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    found = json.loads(row[0])
    return str(found["note"]) if isinstance(found, dict) and "note" in found else None


async def mark_handled(
    conn: aiosqlite.Connection, update_ids: Iterable[int], now: datetime
) -> None:
    """Mark updates handled and answered: after this, none says any more whose it was."""
    ids = list(update_ids)
    # The chat was answered now: an earlier update of it whose answer a crash lost (a chat's
    # updates are handled one at a time, in order) needs no answer again. (Written so that
    # it reads the small index of such updates, not the table.)
    # Only earlier ones: this mark may be written (in a batch) after the chat's next update
    # was claimed, and that one's answer may yet be lost. Not a welcome to a role (its note),
    # unless this answer was a welcome too: another answer does not tell them the role.
    await conn.executemany(
        "UPDATE updates SET chat_key = 0 WHERE chat_key = (SELECT u.chat_key FROM updates u"
        " WHERE u.update_id = ?) AND chat_key <> 0 AND handled_at IS NOT NULL"
        " AND update_id < ? AND (payload IS NULL OR payload NOT LIKE ? OR EXISTS"
        " (SELECT 1 FROM updates w WHERE w.update_id = ? AND w.payload LIKE ?))",
        [(update_id, update_id, _WELCOME, update_id, _WELCOME) for update_id in ids],
    )
    await conn.executemany(
        "UPDATE updates SET handled_at = COALESCE(handled_at, ?), payload = NULL, chat_key = 0"
        " WHERE update_id = ? AND (handled_at IS NULL OR chat_key <> 0)",
        [(stamp(now), update_id) for update_id in ids],
    )


async def skip(conn: aiosqlite.Connection, update_ids: Iterable[int], now: datetime) -> None:
    """Mark unhandled updates handled without an answer (nothing is left to handle them with)."""
    # Unlike `mark_handled`, no answer went: the chat's earlier updates whose answer a crash
    # may have lost stay to be answered again.
    await conn.executemany(
        "UPDATE updates SET handled_at = ?, payload = NULL, chat_key = 0"
        " WHERE update_id = ? AND handled_at IS NULL",
        [(stamp(now), update_id) for update_id in update_ids],
    )


async def handled_after(conn: aiosqlite.Connection, chat: int, update_id: int) -> bool:
    """Whether a later update of this chat was handled already (its answer not yet known to
    have gone): this one is then handled again after a restart, behind it."""
    async with conn.execute(
        "SELECT 1 FROM updates WHERE chat_key = ? AND chat_key <> 0 AND update_id > ?"
        " AND handled_at IS NOT NULL LIMIT 1",
        (chat, update_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def waiting_in(conn: aiosqlite.Connection, chat: int) -> bool:
    """Whether a chat has updates received and not handled yet."""
    async with conn.execute(
        "SELECT 1 FROM updates WHERE chat_key = ? AND handled_at IS NULL LIMIT 1", (chat,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def unanswered(conn: aiosqlite.Connection, before: datetime) -> list[tuple[int, str]]:
    """Chats with an update whose effect was committed before `before` but whose handling
    never finished (the process died between the two), with when the first such effect was
    committed: its answer may not have been sent."""
    async with conn.execute(
        "SELECT chat_key, MIN(handled_at) FROM updates WHERE chat_key <> 0"
        " AND handled_at IS NOT NULL AND handled_at < ? GROUP BY chat_key ORDER BY chat_key",
        (stamp(before),),
    ) as cursor:
        return [(int(row[0]), str(row[1])) for row in await cursor.fetchall()]


async def answered(conn: aiosqlite.Connection, chats: Iterable[int], before: datetime) -> None:
    """Forget whose those updates were, once their chats were answered again."""
    await conn.executemany(
        "UPDATE updates SET chat_key = 0, payload = NULL WHERE chat_key = ?"
        " AND handled_at IS NOT NULL AND handled_at < ?",
        [(chat, stamp(before)) for chat in chats],
    )


async def unhandled(conn: aiosqlite.Connection) -> list[dict[str, Any]]:
    """Saved updates not yet handled, in the order Telegram sent them."""
    async with conn.execute(
        "SELECT payload FROM updates WHERE handled_at IS NULL ORDER BY update_id"
    ) as cursor:
        return [json.loads(row[0]) for row in await cursor.fetchall() if row[0] is not None]


async def bare(conn: aiosqlite.Connection) -> list[int]:
    """Updates saved without their payload and not handled (they were handled from memory
    only, and a stop came first): nothing is left to handle them again with."""
    async with conn.execute(
        "SELECT update_id FROM updates WHERE handled_at IS NULL AND payload IS NULL"
        " ORDER BY update_id"
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def effect_at(conn: aiosqlite.Connection, update_id: int) -> str | None:
    """When an update's effect was committed (its claim), as stored; None if it had none yet."""
    async with conn.execute(
        "SELECT handled_at FROM updates WHERE update_id = ?", (update_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] is not None else None


async def is_handled(conn: aiosqlite.Connection, update_id: int) -> bool:
    """Whether an update has been handled."""
    async with conn.execute(
        "SELECT handled_at FROM updates WHERE update_id = ?", (update_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return bool(row and row[0])


async def highest_id(conn: aiosqlite.Connection) -> int | None:
    """The highest update id ever saved (so polling can resume after it)."""
    async with conn.execute("SELECT MAX(update_id) FROM updates") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def prune(conn: aiosqlite.Connection, before: datetime) -> int:
    """Forget handled updates older than `before` (Telegram redelivers for 24 hours at most)."""
    cursor = await conn.execute(
        "DELETE FROM updates WHERE handled_at IS NOT NULL AND handled_at < ?", (stamp(before),)
    )
    return cursor.rowcount
