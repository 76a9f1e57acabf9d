"""An item's detected language and a moderator's summary (migration 0022), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite

from storage import citizens, feedback, published
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_language_and_summary_are_stored_and_providers_read_the_summary(
    db: Database,
) -> None:
    async def setup(conn: aiosqlite.Connection) -> int:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 801, NOW)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="bins",
            text="Dydy'r biniau ddim wedi cael eu casglu",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await feedback.save_tagging(
            conn,
            item,
            kind="complaint",
            redacted_text="Dydy'r biniau ddim wedi cael eu casglu",
            redactions="[]",
            themes=[("missed_collections", 1.0, "pattern", "[]")],
            now=NOW,
            language="cy",
            language_score=0.98,
        )
        return item

    item = await db.write(setup)
    stored = await feedback.moderated(db.reader, item)
    assert stored is not None
    assert (stored.language, stored.language_score, stored.summary) == ("cy", 0.98, None)

    async def summarise(conn: aiosqlite.Connection) -> None:
        await feedback.set_pending_edit(conn, 55, item, stored.version, -100, 9, NOW, "summary")

    await db.write(summarise)
    assert await feedback.pending_purpose(db.reader, 55) == "summary"
    assert await feedback.pending_edit(db.reader, 55) == (item, stored.version)

    async def save(conn: aiosqlite.Connection) -> None:
        await feedback.set_summary(conn, item, "Bins not collected <again>", 55, NOW)
        await feedback.clear_pending_edit(conn, 55)
        await feedback.decide(
            conn,
            item,
            status="approved",
            published_text=stored.working_text,
            reject_reason=None,
            moderator=55,
            now=NOW,
        )

    await db.write(save)
    assert await feedback.pending_purpose(db.reader, 55) is None
    after = await feedback.moderated(db.reader, item)
    assert after is not None and after.summary == "Bins not collected <again>"
    shown = await published.items(db.reader, ["bins"])
    assert [(i.id, i.summary) for i in shown] == [(item, "Bins not collected <again>")]
    by_id = await published.texts(db.reader, [item])
    assert by_id[item].summary == "Bins not collected <again>"


async def test_an_edit_prompt_is_an_edit_unless_said_otherwise(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 802, NOW)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="bins",
            text="late again",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await feedback.set_pending_edit(conn, 56, item, 1, -100, 10, NOW)

    await db.write(setup)
    assert await feedback.pending_purpose(db.reader, 56) == "edit"
