"""A time-out notice that could not reach its citizen: kept once, told by one instance only
when they are back, dropped when too old, about an item gone, or with the citizen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.intake import sync_services
from bot.outbox import Outbox
from storage import citizens, digests, feedback, missed_notices, privacy
from storage.db import Database
from storage.engines import database_for
from storage.services import ServiceRow
from tests.conftest import FakeClock

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
KIM = 4242
SERVICE = ServiceRow("library", "Central Library", "Books", "culture")


async def saved_item(db: Database, telegram_id: int = KIM) -> int:
    """An item saved for a citizen by a time-out."""
    await sync_services(db, [SERVICE])

    async def run(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, telegram_id, NOW)
        return await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug=SERVICE.slug,
            text="The heating was off all week.",
            rating=None,
            hear_back=True,
            now=NOW,
        )

    return await db.write(run)


async def test_a_missed_notice_is_told_by_one_instance_only(
    db: Database, database_url: str
) -> None:
    item = await saved_item(db)
    clock = FakeClock(NOW)
    await Outbox(db, clock).missed(KIM, item, "metoo", "Forbidden: bot was blocked by the user")
    # Kept once, however often it is said (a job run twice).
    await Outbox(db, clock).missed(KIM, item, "metoo", "Forbidden: bot was blocked by the user")
    assert await digests.is_unreachable(db.reader, KIM)
    other = database_for(database_url)
    await other.open()
    try:
        clock.advance(days=2)
        # Two instances see her come back at once: one tells it, the other has nothing.
        backs = await asyncio.gather(
            Outbox(db, clock, owner="a").reachable(KIM),
            Outbox(other, clock, owner="b").reachable(KIM),
        )
    finally:
        await other.close()
    notices = [n for back in backs if back is not None for n in back.notices]
    assert [(n.feedback_id, n.note, n.hear_back, n.service) for n in notices] == [
        (item, "metoo", True, SERVICE)
    ]
    # Back once is back: the same update again, or the next one, finds nothing.
    assert await Outbox(db, clock).reachable(KIM) is None
    assert not await digests.is_unreachable(db.reader, KIM)


async def test_a_missed_notice_too_old_or_of_an_item_gone_is_dropped_untold(db: Database) -> None:
    old, gone = await saved_item(db), await saved_item(db)
    citizen = await citizens.by_telegram_id(db.reader, KIM)
    assert citizen is not None

    async def keep(conn: aiosqlite.Connection) -> None:
        await missed_notices.keep(conn, citizen.id, old, "", NOW)
        await missed_notices.keep(conn, citizen.id, gone, "", NOW + timedelta(days=20))
        await conn.execute("DELETE FROM feedback WHERE id = ?", (gone,))

    await db.write(keep)

    async def take(conn: aiosqlite.Connection) -> list[missed_notices.MissedNotice]:
        return await missed_notices.take(conn, KIM, NOW + timedelta(days=1))

    assert await db.write(take) == []
    assert await db.fetchall("SELECT * FROM missed_notices") == []


async def test_a_missed_notice_goes_with_its_citizen(db: Database) -> None:
    item = await saved_item(db)
    await Outbox(db, FakeClock(NOW)).missed(KIM, item, "", "Bad Request: chat not found")
    citizen = await citizens.by_telegram_id(db.reader, KIM)
    assert citizen is not None

    async def erase(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, citizen.id, keep_published=False, now=NOW)

    await db.write(erase)
    assert await db.fetchall("SELECT * FROM missed_notices") == []
    assert not await digests.is_unreachable(db.reader, KIM)
    # Said again of someone forgotten: nothing kept about them.
    await Outbox(db, FakeClock(NOW)).missed(KIM, item, "", "Bad Request: chat not found")
    assert await db.fetchall("SELECT * FROM missed_notices") == []


async def test_retention_keeps_a_quiet_citizen_while_their_missed_notice_may_be_told(
    db: Database,
) -> None:
    """Told when they are back only if kept within the resend bound: that long, and no
    longer, a citizen quiet past the retention limit is not forgotten for inactivity."""
    item = await saved_item(db)
    citizen = await citizens.by_telegram_id(db.reader, KIM)
    assert citizen is not None
    later = NOW + timedelta(days=800)

    async def kept_later(conn: aiosqlite.Connection) -> None:
        # A notice kept now for a citizen otherwise quiet for years.
        await missed_notices.keep(conn, citizen.id, item, "", later)

    await db.write(kept_later)
    quiet_since = later - timedelta(days=730)
    assert await privacy.inactive(db.reader, quiet_since, later - timedelta(days=30)) == []
    past = later + timedelta(seconds=1)
    assert await privacy.inactive(db.reader, quiet_since, past) == [citizen.id]
