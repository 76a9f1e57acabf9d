"""Supporters of published items ("me too", migration 0024), on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from storage import citizens, feedback, privacy, responses, supporters
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def _item(conn: aiosqlite.Connection, citizen_id: int, slug: str, text: str) -> int:
    item = await feedback.create(
        conn, citizen_id=citizen_id, service_slug=slug, text=text, rating=None,
        hear_back=True, now=NOW,
    )  # fmt: skip
    await feedback.decide(
        conn, item, status="approved", published_text=text, reject_reason=None, moderator=1,
        now=NOW,
    )  # fmt: skip
    return item


async def test_support_is_counted_heard_back_exported_and_forgotten(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, int, int]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p'), ('parks', 'Parks', '', 'p')"
        )
        author = (await citizens.get_or_create(conn, 901, NOW)).id
        fan = (await citizens.get_or_create(conn, 902, NOW)).id
        item = await _item(conn, author, "bins", "Bins not collected on Elm Road")
        other = await _item(conn, author, "parks", "Broken swing")
        assert await supporters.add(conn, item, fan, NOW)
        assert not await supporters.add(conn, item, fan, NOW)  # once
        # The author supporting their own item still hears back once.
        await supporters.add(conn, item, author, NOW)
        return author, fan, item, other

    author, fan, item, other = await db.write(setup)
    reader = db.reader
    assert await supporters.joinable(reader, item, "bins", NOW - timedelta(weeks=6))
    assert not await supporters.joinable(reader, other, "bins", NOW - timedelta(weeks=6))
    assert not await supporters.joinable(reader, item, "bins", NOW + timedelta(days=1))
    assert [
        (p.id, p.text) for p in await supporters.recent(reader, "bins", NOW - timedelta(days=1))
    ] == [(item, "Bins not collected on Elm Road")]
    assert await supporters.still_offered(
        reader, [item, other], "bins", NOW - timedelta(weeks=6)
    ) == {item: "Bins not collected on Elm Road"}
    mark = (await supporters.recent(reader, "bins", NOW - timedelta(days=1)))[0].at
    assert await supporters.published_after(reader, "bins", mark) == []
    assert await supporters.counts(reader, [item, other]) == {item: 2}

    async def answer(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
        response = await responses.create(
            conn, provider_id="p", service_slug="bins", theme_id=None, item_id=item, period=None,
            status="changed",
            text="Collected today.", author=5, follow_up_at=None, items=[item], now=NOW,
        )  # fmt: skip
        return await responses.audience(conn, response)

    audience = await db.write(answer)
    assert sorted(audience) == sorted([(author, item), (fan, item)])
    assert await responses.audience_of(reader, [item]) == 2

    exported = await privacy.export(reader, fan)
    assert exported["supported"][0]["reference"] == item

    async def forget(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, fan, keep_published=True, now=NOW)

    await db.write(forget)
    assert await supporters.counts(db.reader, [item]) == {item: 1}
    assert await supporters.of_citizen(db.reader, fan) == []


async def test_an_item_of_their_own_or_supported_already_is_known_to_them(db: Database) -> None:
    async def run(conn: aiosqlite.Connection) -> tuple[set[int], set[int], set[int]]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p')"
        )
        author = (await citizens.get_or_create(conn, 911, NOW)).id
        fan = (await citizens.get_or_create(conn, 912, NOW)).id
        stranger = (await citizens.get_or_create(conn, 913, NOW)).id
        mine = await _item(conn, author, "bins", "Bins not collected on Elm Road")
        also = await _item(conn, author, "bins", "Bins missed again")
        await supporters.add(conn, mine, fan, NOW)
        ids = [mine, also]
        return (
            await supporters.already_theirs(conn, ids, author),
            await supporters.already_theirs(conn, ids, fan),
            await supporters.already_theirs(conn, ids, stranger),
        )

    by_author, by_fan, by_stranger = await db.write(run)
    assert len(by_author) == 2 and len(by_fan) == 1 and by_stranger == set()


async def test_recent_items_carry_their_kinds_in_english_only(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p')"
        )
        author = (await citizens.get_or_create(conn, 903, NOW)).id
        texts = ("Crew are lovely but late", "Biniau heb eu casglu", "Bins late", "Bins?")
        for text, kind, also, language in zip(
            texts,
            ("complaint", "complaint", "suggestion", None),
            ('["compliment"]', "[]", "not json", "[]"),
            ("en", "cy", None, "en"),
            strict=True,
        ):
            item = await feedback.create(
                conn, citizen_id=author, service_slug="bins", text=text, rating=None,
                hear_back=False, now=NOW,
            )  # fmt: skip
            await feedback.save_tagging(
                conn, item, kind=kind, redacted_text=text, redactions="[]", themes=[],
                now=NOW, also_kinds=also, language=language,
            )  # fmt: skip
            await feedback.decide(
                conn, item, status="approved", published_text=text, reject_reason=None,
                moderator=1, now=NOW,
            )  # fmt: skip

    await db.write(setup)
    found = await supporters.recent(db.reader, "bins", NOW - timedelta(days=1))
    assert [(p.text, p.kinds) for p in found] == [
        ("Crew are lovely but late", ("complaint", "compliment")),
        # The kind model reads English only: a Welsh item's kinds are not used.
        ("Biniau heb eu casglu", ()),
        ("Bins late", ("suggestion",)),
        ("Bins?", ()),
    ]

    # A moderator's kind is the item's only one: the model's others go with it.
    async def correct(conn: aiosqlite.Connection) -> None:
        await feedback.set_kind(conn, found[0].id, "compliment", moderator=1, now=NOW)

    await db.write(correct)
    found = await supporters.recent(db.reader, "bins", NOW - timedelta(days=1))
    assert [(p.text, p.kinds) for p in found] == [
        ("Crew are lovely but late", ("compliment",)),
        # The kind model reads English only: a Welsh item's kinds are not used.
        ("Biniau heb eu casglu", ()),
        ("Bins late", ("suggestion",)),
        ("Bins?", ()),
    ]
