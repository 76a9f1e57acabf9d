"""Each language's words of a response or question, a waiting response, and a draft's words
in the other languages: on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite

from storage import asks, drafts, responses, services
from storage.db import Database
from storage.drafts import Draft
from storage.services import ServiceRow

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _response(conn: aiosqlite.Connection, waiting: bool) -> int:
    await services.sync(conn, [ServiceRow("library", "Library", "", "culture")])
    return await responses.create(
        conn,
        provider_id="culture",
        service_slug="library",
        theme_id="access_waiting",
        item_id=None,
        period=("2026-10-26T00:00:00Z", "2026-11-02T00:00:00Z"),
        status="changed",
        text="A second desk opens.",
        author=7,
        follow_up_at=None,
        items=[],
        now=NOW,
        waiting=waiting,
    )


async def test_a_response_waits_until_it_has_its_languages(db: Database) -> None:
    async def run(conn: aiosqlite.Connection) -> tuple[int, int]:
        waiting = await _response(conn, waiting=True)
        published = await _response(conn, waiting=False)
        assert await responses.add_text(conn, waiting, "en", "A second desk opens.", 7, NOW)
        assert await responses.add_text(conn, waiting, "cy", "Mae ail ddesg yn agor.", 8, NOW)
        # The first words given in a language stay: a second moderator's do not replace them.
        assert not await responses.add_text(conn, waiting, "cy", "Rhywbeth arall.", 9, NOW)
        return waiting, published

    waiting, published = await db.write(run)
    assert await responses.texts_of(db.reader, waiting) == {
        "cy": "Mae ail ddesg yn agor.",
        "en": "A second desk opens.",
    }
    assert await responses.texts_of(db.reader, published) == {}
    assert [r.id for r in await responses.waiting(db.reader)] == [waiting]
    assert [r.id for r in await responses.waiting(db.reader, ["culture"])] == [waiting]
    assert await responses.waiting(db.reader, ["health"]) == []
    found = await responses.get(db.reader, waiting)
    assert found is not None and found.waiting

    async def publish(conn: aiosqlite.Connection) -> tuple[bool, bool]:
        return await responses.stop_waiting(conn, waiting), await responses.stop_waiting(
            conn, waiting
        )

    assert await db.write(publish) == (True, False), "published once"
    assert await responses.waiting(db.reader) == []
    again = await responses.get(db.reader, waiting)
    assert again is not None and not again.waiting


async def test_an_asks_words_per_language(db: Database) -> None:
    async def run(conn: aiosqlite.Connection) -> int:
        await services.sync(conn, [ServiceRow("library", "Library", "", "culture")])
        ask = await asks.create(
            conn,
            kind="question",
            provider_id="culture",
            service_slug="library",
            text="What time suits you?",
            author=7,
            author_chat=7,
            now=NOW,
        )
        assert await asks.add_text(conn, ask, "en", "What time suits you?", 7, NOW)
        assert await asks.add_text(conn, ask, "cy", "Pa amser sy'n gyfleus?", 8, NOW)
        assert not await asks.add_text(conn, ask, "cy", "Arall", 9, NOW)
        return ask

    ask = await db.write(run)
    assert await asks.texts_of(db.reader, ask) == {
        "cy": "Pa amser sy'n gyfleus?",
        "en": "What time suits you?",
    }


async def test_a_draft_keeps_its_other_languages_and_the_new_kinds(db: Database) -> None:
    writing = Draft(7, 70, "response", "culture", text="In English.", texts={"cy": None})
    adding = Draft(8, 80, "response_text", "culture", ref_id=3, status="cy")

    async def run(conn: aiosqlite.Connection) -> None:
        await drafts.save(conn, writing, NOW)
        await drafts.save(conn, adding, NOW)

    await db.write(run)
    got = await drafts.get(db.reader, 7, 70)
    assert got is not None and got.texts == {"cy": None} and got.text == "In English."
    other = await drafts.get(db.reader, 8, 80)
    assert other is not None and other.kind == "response_text" and other.texts == {}
    assert (other.ref_id, other.status) == (3, "cy")
