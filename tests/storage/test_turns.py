"""Chat turns and the webhook record: compare-and-set, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from storage import turns, updates, webhooks
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def save(db: Database, *rows: tuple[int, int]) -> None:
    async def run(conn: aiosqlite.Connection) -> None:
        await updates.save_new(conn, [(u, {"update_id": u}, chat) for u, chat in rows], NOW)

    await db.write(run)


async def take(db: Database, chat: int, owner: str, now: datetime = NOW) -> bool:
    async def run(conn: aiosqlite.Connection) -> bool:
        return await turns.take(conn, chat, owner, now, now + LEASE)

    return await db.write(run)


async def test_one_owner_at_a_time_until_the_lease_runs_out(db: Database) -> None:
    assert await take(db, 7, "a")
    assert not await take(db, 7, "b")
    assert await take(db, 7, "a"), "the holder may take it again"
    assert not await take(db, 7, "b", NOW + LEASE - timedelta(seconds=1))
    assert await take(db, 7, "b", NOW + LEASE + timedelta(seconds=1))
    assert await turns.held(db.reader) == [(7, "b")]

    async def renew_a(conn: aiosqlite.Connection) -> bool:
        return await turns.renew(conn, 7, "a", NOW + 2 * LEASE)

    assert not await db.write(renew_a), "a lost it"


async def test_pending_updates_in_order_and_unattended_chats(db: Database) -> None:
    await save(db, (12, 7), (10, 7), (11, 8), (13, 7))
    assert await turns.unattended(db.reader, NOW, 10) == [7, 8]
    assert await take(db, 7, "a")
    assert await turns.unattended(db.reader, NOW, 10) == [8]
    # A turn whose lease ran out leaves its chat unattended again.
    assert await turns.unattended(db.reader, NOW + 2 * LEASE, 10) == [7, 8]
    first = await turns.next_pending(db.reader, 7)
    assert first is not None and first.update_id == 10 and first.payload == {"update_id": 10}

    async def mark(conn: aiosqlite.Connection) -> None:
        await updates.mark_handled(conn, [10, 12], NOW)

    await db.write(mark)
    after = await turns.next_pending(db.reader, 7)
    assert after is not None and after.update_id == 13


async def test_release_all_gives_back_only_the_owners_turns(db: Database) -> None:
    assert await take(db, 1, "a") and await take(db, 2, "a") and await take(db, 3, "b")

    async def run(conn: aiosqlite.Connection) -> None:
        await turns.release_all(conn, "a")

    await db.write(run)
    assert await turns.held(db.reader) == [(3, "b")]


async def test_the_webhook_record_changes_once_for_the_same_old_value(db: Database) -> None:
    assert await webhooks.current(db.reader) is None
    first = ("f1", NOW)

    async def change(old: tuple[str, datetime] | None, new: tuple[str, datetime] | None) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            return await webhooks.change(conn, old, new)

        return await db.write(run)

    assert await change(None, first)
    assert not await change(None, ("f2", NOW)), "another instance got there first"
    assert await webhooks.current(db.reader) == first
    second = ("f2", NOW + LEASE)
    assert await change(first, second)
    assert not await change(first, ("f3", NOW))
    assert await change(second, None)
    assert await webhooks.current(db.reader) is None
