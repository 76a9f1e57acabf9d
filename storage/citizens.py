"""Citizens and their consent decisions: an internal id and the Telegram id, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class Citizen:
    """A person who has made a consent decision."""

    id: int
    telegram_id: int
    involve: str | None
    conversation_seq: int


@dataclass(frozen=True)
class Consent:
    """One consent decision."""

    version: str
    decision: str
    decided_at: str


async def by_telegram_id(conn: aiosqlite.Connection, telegram_id: int) -> Citizen | None:
    """The citizen with this Telegram id, if they ever decided on consent."""
    async with conn.execute(
        "SELECT id, telegram_id, involve, conversation_seq FROM citizens WHERE telegram_id = ?",
        (telegram_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return Citizen(*row) if row else None


async def get_or_create(conn: aiosqlite.Connection, telegram_id: int, now: datetime) -> Citizen:
    """The citizen with this Telegram id, created if new."""
    await conn.execute(
        "INSERT INTO citizens (telegram_id, created_at) VALUES (?, ?)"
        " ON CONFLICT (telegram_id) DO NOTHING",
        (telegram_id, stamp(now)),
    )
    citizen = await by_telegram_id(conn, telegram_id)
    assert citizen is not None
    return citizen


async def record_consent(
    conn: aiosqlite.Connection, citizen_id: int, version: str, decision: str, now: datetime
) -> None:
    """Store a consent decision (given or declined) for a version of the consent text."""
    await conn.execute(
        "INSERT INTO consents (citizen_id, version, decision, decided_at) VALUES (?, ?, ?, ?)",
        (citizen_id, version, decision, stamp(now)),
    )


async def latest_consent(conn: aiosqlite.Connection, citizen_id: int) -> Consent | None:
    """The citizen's most recent consent decision."""
    async with conn.execute(
        "SELECT version, decision, decided_at FROM consents"
        " WHERE citizen_id = ? ORDER BY id DESC LIMIT 1",
        (citizen_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return Consent(*row) if row else None


async def set_involve(conn: aiosqlite.Connection, citizen_id: int, answer: str) -> None:
    """Remember the answer to "would you like to be involved?" ('yes' or 'no')."""
    await conn.execute("UPDATE citizens SET involve = ? WHERE id = ?", (answer, citizen_id))


async def next_conversation_seq(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """Number a new conversation of this citizen."""
    await conn.execute(
        "UPDATE citizens SET conversation_seq = conversation_seq + 1 WHERE id = ?", (citizen_id,)
    )
    async with conn.execute(
        "SELECT conversation_seq FROM citizens WHERE id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def telegram_id_of(conn: aiosqlite.Connection, citizen_id: int) -> int | None:
    """The Telegram id of a citizen."""
    async with conn.execute(
        "SELECT telegram_id FROM citizens WHERE id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def language_of(conn: aiosqlite.Connection, telegram_id: int) -> str | None:
    """The language this Telegram user chose, if they chose one."""
    async with conn.execute(
        "SELECT language FROM citizens WHERE telegram_id = ?", (telegram_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def set_language(
    conn: aiosqlite.Connection, telegram_id: int, language: str, now: datetime
) -> None:
    """Record the language a Telegram user chose (their row is created if new)."""
    await conn.execute(
        "INSERT INTO citizens (telegram_id, created_at, language) VALUES (?, ?, ?)"
        " ON CONFLICT (telegram_id) DO UPDATE SET language = excluded.language",
        (telegram_id, stamp(now), language),
    )
    await settle_language(conn, telegram_id)


async def owe_language(
    conn: aiosqlite.Connection, telegram_id: int, language_code: str | None, now: datetime
) -> None:
    """Remember that a newcomer is owed the language question (Telegram's language code
    kept to tick a guess), until it is asked or a language chosen."""
    await conn.execute(
        "INSERT INTO language_owed (telegram_id, language_code, owed_at) VALUES (?, ?, ?)"
        " ON CONFLICT (telegram_id) DO NOTHING",
        (telegram_id, language_code, stamp(now)),
    )


async def settle_language(conn: aiosqlite.Connection, telegram_id: int) -> bool:
    """The language question is no longer owed to this person; whether it was (whoever
    settles it asks it, once)."""
    cursor = await conn.execute("DELETE FROM language_owed WHERE telegram_id = ?", (telegram_id,))
    return cursor.rowcount > 0


async def languages_owed(conn: aiosqlite.Connection) -> list[tuple[int, str | None]]:
    """Those owed the language question: (telegram id, Telegram's language code)."""
    async with conn.execute(
        "SELECT telegram_id, language_code FROM language_owed ORDER BY owed_at, telegram_id"
    ) as cursor:
        return [(int(t), None if c is None else str(c)) for t, c in await cursor.fetchall()]
