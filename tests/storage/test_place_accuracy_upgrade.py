"""Migration 0046 on a database the previous release wrote: places and words kept to undo a
"me too" from before it read as points whose accuracy was not said, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite
import pytest

import storage.db
import storage.postgres
from storage import citizens, places, privacy, supporters
from storage.engines import database_for
from storage.places import Place

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_places_written_before_0046_read_as_accuracy_not_said(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows from before the column are read (no accuracy: a site named as ever), a join
    kept to undo from then comes back, and new places keep their accuracy after it."""
    shipped = storage.db.migrations()
    assert 46 in [m[0] for m in shipped]
    before = [m for m in shipped if m[0] < 46]
    monkeypatch.setattr(storage.db, "migrations", lambda: before)
    monkeypatch.setattr(storage.postgres, "migrations", lambda: before)
    old = database_for(database_url)
    await old.open()

    async def written_by_0045(conn: aiosqlite.Connection) -> int:
        async with conn.execute("SELECT MAX(version) FROM schema_migrations") as cursor:
            assert tuple(await cursor.fetchone() or ()) == (45,)
        citizen = await citizens.get_or_create(conn, 4601, NOW)
        for seq, site, lat, lon, exact in (
            (1, "Riverside Park", 52.411, -1.508, 0),
            (2, None, 52.41092, -1.50753, 1),
        ):
            await conn.execute(
                "INSERT INTO places (citizen_id, conversation_seq, site, latitude, longitude,"
                " exact, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (citizen.id, seq, site, lat, lon, exact, storage.db.stamp(NOW)),
            )
        await conn.execute(
            "INSERT INTO metoo_undo (citizen_id, feedback_id, service_slug, text, joined_at,"
            " site, latitude, longitude, exact) VALUES (?, 7, 'parks', ?, ?, NULL, ?, ?, 0)",
            (citizen.id, "The swings are broken", storage.db.stamp(NOW), 52.411, -1.508),
        )
        return citizen.id

    citizen_id = await old.write(written_by_0045)
    await old.close()
    monkeypatch.undo()
    new = database_for(database_url)
    await new.open()
    try:
        reader = new.reader
        assert await places.of_seq(reader, citizen_id, 1) == Place("Riverside Park", 52.411, -1.508)
        assert await places.of_seq(reader, citizen_id, 2) == Place(
            None, 52.41092, -1.50753, exact=True
        )
        undoable = await supporters.undoable(reader, citizen_id)
        assert undoable is not None and undoable.place == Place(None, 52.411, -1.508)
        exported = await privacy.export(reader, citizen_id)
        assert [p["accuracy_metres"] for p in exported["places"]] == [None, None]

        async def after(conn: aiosqlite.Connection) -> None:
            poor = Place(None, 52.411, -1.508, accuracy_m=1500.0)
            await places.put(conn, citizen_id, 1, poor, NOW)

        await new.write(after)
        assert await places.of_seq(new.reader, citizen_id, 1) == Place(
            None, 52.411, -1.508, accuracy_m=1500.0
        )
    finally:
        await new.close()
