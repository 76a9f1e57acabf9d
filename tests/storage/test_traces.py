"""Messages carrying a citizen's words to staff: recorded, and queued to be taken back."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite
import pytest

import storage.db
import storage.postgres
from storage import citizens, feedback, privacy, traces
from storage.db import Database
from storage.engines import database_for

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
MODS = -1001


async def item_of(conn: aiosqlite.Connection, telegram_id: int) -> tuple[int, int]:
    citizen = await citizens.get_or_create(conn, telegram_id, NOW)
    item = await feedback.create(
        conn,
        citizen_id=citizen.id,
        service_slug="library",
        text=f"words of {telegram_id}",
        rating=3,
        hear_back=False,
        now=NOW,
    )
    return citizen.id, item


async def queued(db: Database) -> list[tuple[int, int, str]]:
    rows = await db.fetchall("SELECT chat_id, message_id, reason FROM messages_to_clean")
    return sorted((int(c), int(m), str(r)) for c, m, r in rows)


async def test_a_list_showing_others_items_is_queued_once_to_be_drawn_again(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        ann, first = await item_of(conn, 501)
        bob, second = await item_of(conn, 502)
        for item in (first, second):  # one message lists both
            await feedback.set_card(conn, item, MODS, 7)
        await traces.record_item(conn, first, 501_000, 3, NOW)  # an original shown
        return ann, bob

    ann, bob = await db.write(setup)

    async def forget(conn: aiosqlite.Connection, citizen_id: int) -> None:
        await privacy.erase(conn, citizen_id, False, NOW)

    await db.write(lambda conn: forget(conn, ann))
    # The list is queued too: taking it back draws it again without Ann's item (whether
    # it is drawn or deleted is the handler's: see test_privacy_outside.py).
    assert await queued(db) == [(MODS, 7, traces.FORGET), (501_000, 3, traces.FORGET)]
    await db.write(lambda conn: forget(conn, bob))
    assert await queued(db) == [(MODS, 7, traces.FORGET), (501_000, 3, traces.FORGET)]


async def test_a_message_sent_after_its_author_was_forgotten_is_taken_back(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> int:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        citizen_id, item = await item_of(conn, 501)
        await privacy.erase(conn, citizen_id, False, NOW)
        # The original was on its way to the moderator when the author was forgotten.
        await traces.record_item(conn, item, 501_000, 9, NOW)
        return item

    await db.write(setup)
    assert await queued(db) == [(501_000, 9, traces.FORGET)]
    assert await db.fetchall("SELECT * FROM staff_messages") == []


async def test_messages_queued_before_0049_stay_queued_and_unshared_is_a_reason(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0049 rebuilds the queue for its new reason ('unshared': a provider's copy
    of a photo the moderators took back): what was queued before stays, as it was."""
    shipped = storage.db.migrations()
    before = [m for m in shipped if m[0] < 49]
    assert [m[0] for m in shipped if m[0] >= 49][:1] == [49]
    monkeypatch.setattr(storage.db, "migrations", lambda: before)
    monkeypatch.setattr(storage.postgres, "migrations", lambda: before)
    old = database_for(database_url)
    await old.open()

    async def written_by_0048(conn: aiosqlite.Connection) -> None:
        for n, reason in enumerate((traces.FORGET, traces.RETENTION, traces.OFFER), 1):
            await traces.take_back_messages(conn, [(MODS, n)], reason, NOW)

    try:
        await old.write(written_by_0048)
    finally:
        await old.close()
    monkeypatch.undo()
    new = database_for(database_url)
    await new.open()
    try:
        assert await queued(new) == [
            (MODS, 1, "forget"),
            (MODS, 2, "retention"),
            (MODS, 3, "offer"),
        ]

        async def unshared(conn: aiosqlite.Connection) -> None:
            await traces.take_back_messages(conn, [(77, 4)], traces.UNSHARED, NOW)

        await new.write(unshared)
        assert (77, 4, "unshared") in await queued(new)
    finally:
        await new.close()


async def test_duplicate_is_a_reason_to_take_a_message_back(db: Database) -> None:
    """Migration 0052: a second copy of a photo under its card is queued as 'duplicate'."""

    async def run(conn: aiosqlite.Connection) -> bool:
        await traces.take_back_messages(conn, [(MODS, 9)], traces.DUPLICATE, NOW)
        return await traces.queued(conn, MODS, 9)

    assert await db.write(run)
    assert (MODS, 9, "duplicate") in await queued(db)
    assert not await db.write(lambda conn: traces.queued(conn, MODS, 10))
