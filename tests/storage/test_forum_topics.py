"""The forum topic each group's staff last used a command in: one per group and role, and a
topic refused is forgotten only if no newer command named another since."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite

from storage import forum_topics
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MODS = -1001000000001


async def remember(db: Database, chat: int, role: str, thread: int | None) -> None:
    async def run(conn: aiosqlite.Connection) -> None:
        await forum_topics.remember(conn, chat, role, thread, NOW)

    await db.write(run)


async def forget(db: Database, chat: int, role: str, thread: int) -> bool:
    async def run(conn: aiosqlite.Connection) -> bool:
        return await forum_topics.forget(conn, chat, role, thread)

    return await db.write(run)


async def test_the_last_topic_per_group_and_role_is_kept_and_general_forgets_it(
    db: Database,
) -> None:
    await remember(db, MODS, "moderator", 7)
    await remember(db, MODS, "moderator", 9)
    await remember(db, MODS, "provider", 3)
    assert await forum_topics.one(db.reader, MODS, "moderator") == 9
    assert await forum_topics.everything(db.reader) == {
        (MODS, "moderator"): 9,
        (MODS, "provider"): 3,
    }
    await remember(db, MODS, "moderator", None)
    assert await forum_topics.one(db.reader, MODS, "moderator") is None
    assert await forum_topics.one(db.reader, MODS, "provider") == 3


async def test_a_refused_topic_is_forgotten_unless_another_was_named_since(db: Database) -> None:
    await remember(db, MODS, "moderator", 7)
    await remember(db, MODS, "moderator", 9)
    # A message to 7 (sent before the command that named 9) comes back refused.
    assert not await forget(db, MODS, "moderator", 7)
    assert await forum_topics.one(db.reader, MODS, "moderator") == 9
    assert await forget(db, MODS, "moderator", 9)
    assert await forum_topics.one(db.reader, MODS, "moderator") is None
