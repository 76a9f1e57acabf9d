"""Places in storage (both engines): kept with a conversation, then its item; replaced by a
later choice; exact spots kept to about 100 m after the retention days; erased on /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from storage import citizens, feedback, places, privacy
from storage.db import Database, stamp
from storage.places import Place

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_a_place_follows_its_item_and_exact_spots_are_blurred_when_due(
    db: Database,
) -> None:
    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('parks', 'Parks', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 601, NOW)
        await places.put(conn, citizen.id, 1, Place("Riverside Park", None, None), NOW)
        # A later choice replaces the first: one place per conversation.
        await places.put(conn, citizen.id, 1, Place(None, 52.411, -1.508), NOW)
        await places.make_exact(conn, citizen.id, 1, 52.41092, -1.50753)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="parks",
            text="The swings are broken",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await places.attach(conn, citizen.id, 1, item)
        # Skipped in another conversation: stored, but nothing known.
        await places.put(conn, citizen.id, 2, Place(None, None, None), NOW)
        return citizen.id, item

    citizen_id, item = await db.write(setup)
    reader = db.reader
    assert await places.of_conversation(reader, citizen_id, 1) is None  # saved now
    assert await places.of_items(reader, [item, 999]) == {
        item: Place(None, 52.41092, -1.50753, exact=True)
    }
    skipped = await places.of_conversation(reader, citizen_id, 2)
    assert skipped is not None and not skipped.known

    async def blur(conn: aiosqlite.Connection) -> int:
        # Not yet due, then due.
        early = await places.blur_exact_before(conn, NOW - timedelta(days=1))
        assert early == 0
        return await places.blur_exact_before(conn, NOW + timedelta(days=1))

    assert await db.write(blur) == 1
    assert await places.of_items(reader, [item]) == {item: Place(None, 52.411, -1.508)}
    exported = await privacy.export(reader, citizen_id)
    assert [p["with_item"] for p in exported["places"]] == [item, None]

    async def forget(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, citizen_id, True, NOW)

    await db.write(forget)
    async with reader.execute("SELECT COUNT(*) FROM places") as cursor:
        assert tuple(await cursor.fetchone() or ()) == (0,)


async def test_how_uncertain_a_shared_point_is_goes_with_it_and_with_a_join_to_undo(
    db: Database,
) -> None:
    """Migration 0046: Telegram's horizontal accuracy is kept with the point (replaced with
    it, kept when the exact spot is kept) and with the words kept to undo a "me too", so that
    a site named later decides as the first did; /mydata shows it."""
    from storage import supporters

    poor = Place(None, 52.411, -1.508, accuracy_m=1500.0)

    async def setup(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, 602, NOW)
        await places.put(conn, citizen.id, 1, poor, NOW)
        await places.make_exact(conn, citizen.id, 1, 52.41092, -1.50753)
        await places.put(conn, citizen.id, 2, Place("Riverside Park", None, None), NOW)
        await places.put(conn, citizen.id, 3, Place(None, 52.411, -1.508, accuracy_m=20.0), NOW)
        # A good fix given since, without a word of accuracy: none kept from the first.
        await places.put(conn, citizen.id, 3, Place(None, 52.403, -1.517), NOW)
        kept = supporters.Undoable(7, "parks", "The swings are broken", stamp(NOW), poor)
        await supporters.keep_undo(conn, citizen.id, kept)
        return citizen.id

    citizen_id = await db.write(setup)
    reader = db.reader
    assert await places.of_seq(reader, citizen_id, 1) == Place(
        None, 52.41092, -1.50753, exact=True, accuracy_m=1500.0
    )
    assert await places.of_conversation(reader, citizen_id, 2) == Place(
        "Riverside Park", None, None
    )
    assert await places.of_conversation(reader, citizen_id, 3) == Place(None, 52.403, -1.517)
    undoable = await supporters.undoable(reader, citizen_id)
    assert undoable is not None and undoable.place == poor
    exported = await privacy.export(reader, citizen_id)
    assert [p["accuracy_metres"] for p in exported["places"]] == [1500.0, None, None]
    assert exported["words_kept_to_undo_a_me_too"]["accuracy_metres"] == 1500.0
