"""Voice notes and photos in storage: kept with a conversation, then an item; released,
decided, expired and erased (on both engines: photos are bytes, BYTEA on PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from storage import citizens, feedback, media, privacy, traces
from storage.db import Database

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PHOTO = bytes(range(256)) * 4


async def test_media_follow_the_item_and_go_when_due(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, int, int]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 501, NOW)
        voice = await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="voice", now=NOW, file_id="F1", duration=4
        )
        photo = await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO
        )
        # Another conversation's photo, never saved.
        await media.add(conn, citizen_id=citizen.id, seq=2, kind="photo", now=NOW, data=b"x")
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text="",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await media.attach(conn, citizen.id, 1, item)
        return citizen.id, item, voice, photo

    citizen_id, item, voice, photo = await db.write(setup)
    kept = await media.of_item(db.reader, item)
    assert [(m.id, m.kind) for m in kept] == [(voice, "voice"), (photo, "photo")]
    assert await media.photo_bytes(db.reader, photo) == PHOTO
    assert await media.photo_bytes(db.reader, voice) is None

    async def decide(conn: aiosqlite.Connection) -> tuple[bool, bool, int, int]:
        first = await media.decide(conn, photo, "approved", 9, NOW)
        again = await media.decide(conn, photo, "approved", 9, NOW)
        released = await media.release_voice(conn, item)
        dropped = await media.drop_unsaved(conn, citizen_id)
        return first, again, released, dropped

    assert await db.write(decide) == (True, False, 1, 1)
    assert await media.approved_photos(db.reader, [item]) == {item: [photo]}
    assert (await media.get(db.reader, voice)).file_id is None  # type: ignore[union-attr]

    async def expire(conn: aiosqlite.Connection) -> tuple[int, int]:
        early = await media.older_than(conn, NOW - timedelta(days=1))
        due = await media.older_than(conn, NOW + timedelta(seconds=1))
        return early, due

    assert await db.write(expire) == (0, 2)
    assert await media.of_item(db.reader, item) == []


async def test_forget_erases_a_citizens_media(db: Database) -> None:
    async def setup(conn: aiosqlite.Connection) -> int:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 502, NOW)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text="The roof leaks onto the books.",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await media.add(conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO)
        await media.attach(conn, citizen.id, 1, item)
        return citizen.id

    citizen_id = await db.write(setup)
    exported = await privacy.export(db.reader, citizen_id)
    assert exported["voice_notes_and_photos"][0]["photo_bytes_kept"] == len(PHOTO)

    async def forget(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, citizen_id, False, NOW)

    await db.write(forget)
    assert [tuple(r) for r in await db.fetchall("SELECT COUNT(*) FROM media")] == [(0,)]


async def test_a_photo_is_taken_to_post_under_a_card_once_until_posted_or_let_go(
    db: Database,
) -> None:
    async def setup(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, 502, NOW)
        return await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO
        )

    photo = await db.write(setup)
    card, new_card = (-1, 10), (-1, 20)

    async def take(card: tuple[int, int], anew: bool = False, at: datetime = NOW) -> bool:
        async def run(conn: aiosqlite.Connection) -> bool:
            stale = at - timedelta(minutes=10)
            return await media.claim_posting(conn, photo, card, at, stale, anew)

        return await db.write(run)

    assert await take(card)
    # Taken: nobody else posts it, under this card or (unless anew) another.
    assert not await take(card)
    assert not await take(card, anew=True)
    assert not await take(new_card)
    # Not sent after all: free to take again.
    await db.write(lambda conn: media.release_posting(conn, photo, card))
    assert await take(card)
    await db.write(lambda conn: media.posted(conn, photo, -1, 11))
    # Posted: not again under its card, even long after; under a new card in its place, yes.
    assert not await take(card, at=NOW + timedelta(days=1))
    assert not await take(new_card, at=NOW + timedelta(days=1))
    assert await take(new_card, anew=True)
    # An instance that died on the way: its taking is taken again once stale, not before.
    assert not await take(new_card, anew=True, at=NOW + timedelta(minutes=5))
    assert await take(new_card, anew=True, at=NOW + timedelta(minutes=11))


async def test_a_photo_is_on_its_way_to_a_chat_from_its_taking_until_it_is_recorded(
    db: Database,
) -> None:
    """What a press on a photo's message not recorded yet goes by: taken to post in that chat,
    lately (a poster dead on the way leaves it stale), and not recorded as posted."""

    async def setup(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, 503, NOW)
        return await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO
        )

    photo = await db.write(setup)
    stale = NOW - timedelta(minutes=10)

    async def on_its_way(chat: int, stale_before: datetime = stale) -> bool:
        return await media.on_its_way(db.reader, photo, chat, stale_before)

    assert not await on_its_way(-1)
    await db.write(lambda conn: media.claim_posting(conn, photo, (-1, 10), NOW, stale, False))
    assert await on_its_way(-1)
    assert not await on_its_way(-2)
    assert not await on_its_way(-1, stale_before=NOW + timedelta(seconds=1))
    await db.write(lambda conn: media.posted(conn, photo, -1, 11))
    assert not await on_its_way(-1)


async def test_a_photo_that_keeps_failing_to_post_is_given_up_after_its_tries(
    db: Database,
) -> None:
    """Migration 0045's count: each failed try lets the photo go to be taken again, until
    the last, which leaves it under its card like one refused; a post counts afresh."""

    async def setup(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, 503, NOW)
        return await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO
        )

    photo = await db.write(setup)
    card = (-1, 10)
    stale = NOW - timedelta(minutes=10)

    async def take(conn: aiosqlite.Connection) -> bool:
        return await media.claim_posting(conn, photo, card, NOW, stale, True)

    async def fail(conn: aiosqlite.Connection) -> bool:
        return await media.failed_posting(conn, photo, card, 3)

    async def failures(conn: aiosqlite.Connection) -> int:
        async with conn.execute("SELECT post_failures FROM media WHERE id = ?", (photo,)) as c:
            row = await c.fetchone()
        assert row is not None
        return int(row[0])

    assert await db.write(failures) == 0
    for _ in range(2):
        assert await db.write(take)
        assert not await db.write(fail)
    assert await db.write(take)
    assert await db.write(fail)  # the third: to be given up
    assert await db.write(failures) == 3
    # Still taken while the note saying so goes; it could not go: free to take again, and
    # given up again at its next failure (counted no further).
    assert not await db.write(take)
    await db.write(lambda conn: media.release_posting(conn, photo, card))
    assert await db.write(take)
    assert await db.write(fail)
    # The note went: not taken again under its card (until a card is posted anew), nor
    # counted again.
    await db.write(lambda conn: media.refused_posting(conn, photo, card))
    assert not await db.write(take)
    assert not await db.write(fail)
    assert await db.write(failures) == 3
    # Taken under a new card and posted there: counted afresh.
    assert await db.write(lambda conn: media.claim_posting(conn, photo, (-1, 20), NOW, stale, True))
    await db.write(lambda conn: media.posted(conn, photo, -1, 21))
    assert await db.write(failures) == 0


async def test_a_card_posted_anew_counts_its_photos_tries_afresh(db: Database) -> None:
    """Whatever posts an item's card anew (another message than before), the failed tries
    of its photos under a card start again; its card remembered again as it is, they do not."""

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        ((citizen, item),) = await _library_items(conn, 520, 1)
        photo = await media.add_to_item(conn, citizen, item, PHOTO, NOW)
        await feedback.set_card(conn, item, -1, 10)
        await conn.execute("UPDATE media SET post_failures = 3 WHERE id = ?", (photo,))
        return item, photo

    item, photo = await db.write(setup)

    async def failures(conn: aiosqlite.Connection) -> int:
        async with conn.execute("SELECT post_failures FROM media WHERE id = ?", (photo,)) as c:
            row = await c.fetchone()
        assert row is not None
        return int(row[0])

    await db.write(lambda conn: feedback.set_card(conn, item, -1, 10))
    assert await db.write(failures) == 3
    await db.write(lambda conn: feedback.set_card(conn, item, -1, 20))
    assert await db.write(failures) == 0


async def test_photos_go_back_with_the_item_merged_and_those_merged_into_it(db: Database) -> None:
    """C merged into B, B into A: each photo remembers the item it was sent with; undone
    from A, B's and C's go back to B (C is still merged into B), then C's to C."""

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, int, dict[int, int]]:
        items, photos = [], {}
        for citizen, item in await _library_items(conn, 600, 3):
            photos[item] = await media.add_to_item(conn, citizen, item, PHOTO, NOW)
            items.append(item)
        a, b, c = items
        await media.move_photos(conn, c, b)
        await media.move_photos(conn, b, a)
        return a, b, c, photos

    a, b, c, photos = await db.write(setup)

    async def where(conn: aiosqlite.Connection) -> dict[int, tuple[int, int | None]]:
        async with conn.execute("SELECT id, feedback_id, merged_from FROM media") as cursor:
            return {int(i): (int(f), m) for i, f, m in await cursor.fetchall()}

    assert await db.write(where) == {photos[a]: (a, None), photos[b]: (a, b), photos[c]: (a, c)}

    async def back(conn: aiosqlite.Connection) -> None:
        assert await media.move_photos_back(conn, a, b, inside=[c]) == 2

    await db.write(back)
    assert await db.write(where) == {photos[a]: (a, None), photos[b]: (b, None), photos[c]: (b, c)}

    async def back_again(conn: aiosqlite.Connection) -> None:
        assert await media.move_photos_back(conn, b, c) == 1

    await db.write(back_again)
    assert await db.write(where) == {
        photos[a]: (a, None),
        photos[b]: (b, None),
        photos[c]: (c, None),
    }


async def test_photos_merged_before_migration_0039_are_told_apart(db: Database) -> None:
    """The migration's backfill: a photo of another author than the item's own came with
    that author's item merged into it; the item's own author's photos stay its own."""
    from storage.db import migrations, statements

    ((_, _, sql),) = [m for m in migrations() if m[0] == 39]
    backfill = [s for s in statements(sql) if s.lstrip().upper().startswith("UPDATE")]
    assert backfill

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, int]:
        (ada, a), (bea, b) = await _library_items(conn, 701, 2)
        own = await media.add_to_item(conn, ada, a, PHOTO, NOW)
        theirs = await media.add_to_item(conn, bea, a, PHOTO, NOW)
        await conn.execute(
            "UPDATE feedback SET status = 'merged', withdrawn_reason = ? WHERE id = ?",
            (f"#{a}", b),
        )
        for statement in backfill:
            await conn.execute(statement)
        return b, own, theirs

    b, own, theirs = await db.write(setup)

    async def merged_from(conn: aiosqlite.Connection) -> dict[int, int | None]:
        async with conn.execute("SELECT id, merged_from FROM media") as cursor:
            return {int(i): m for i, m in await cursor.fetchall()}

    assert await db.write(merged_from) == {own: None, theirs: b}


async def test_items_stranded_by_an_earlier_unpublish_come_back_to_the_queue(db: Database) -> None:
    """Migration 0041's data fix: B merged into A, A unpublished before unpublishing
    released merged items: B is pending again, without its old card, its photo back; C,
    merged into a published item, is left as it is."""
    from storage.db import migrations, statements

    ((_, _, sql),) = [m for m in migrations() if m[0] == 41]

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, int]:
        people, made = zip(*await _library_items(conn, 800, 4), strict=True)
        a, b, c, d = made
        photo = await media.add_to_item(conn, people[1], b, PHOTO, NOW)
        await media.move_photos(conn, b, a)
        await conn.execute(
            "UPDATE feedback SET status = 'withdrawn', withdrawn_reason = 'names staff'"
            " WHERE id = ?",
            (a,),
        )
        await conn.execute("UPDATE feedback SET status = 'approved' WHERE id = ?", (d,))
        for merged, into in ((b, a), (c, d)):
            await conn.execute(
                "UPDATE feedback SET status = 'merged', withdrawn_reason = ?,"
                " card_chat_id = -100, card_message_id = 7 WHERE id = ?",
                (f"#{into}", merged),
            )
        for statement in statements(sql):
            await conn.execute(statement)
        return b, c, photo

    b, c, photo = await db.write(setup)

    async def state(conn: aiosqlite.Connection) -> dict[int, tuple[str, int | None]]:
        async with conn.execute(
            "SELECT id, status, card_message_id FROM feedback WHERE id IN (?, ?)", (b, c)
        ) as cursor:
            return {int(i): (s, m) for i, s, m in await cursor.fetchall()}

    assert await db.write(state) == {b: ("pending", None), c: ("merged", 7)}
    found = await media.get(db.reader, photo)
    assert found is not None and found.feedback_id == b


async def _library_items(
    conn: aiosqlite.Connection, first: int, count: int
) -> list[tuple[int, int]]:
    """A library service and `count` items, each by a citizen of its own (Telegram ids from
    `first`): (citizen id, item id) of each."""
    await conn.execute(
        "INSERT INTO services (slug, name, description, provider_id)"
        " VALUES ('library', 'Library', '', 'p')"
    )
    made = []
    for n in range(count):
        citizen = await citizens.get_or_create(conn, first + n, NOW)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text=f"words {n}",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        made.append((citizen.id, item))
    return made


async def test_photos_count_with_the_item_they_were_sent_with_after_a_merge(db: Database) -> None:
    """/mine of the author whose item another was merged into does not count that one's
    photos as theirs; its own author's /mine still does."""

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        (x, a), (_, b) = await _library_items(conn, 900, 2)
        await media.add_to_item(conn, x, a, PHOTO, NOW)
        await media.add_to_item(conn, x, a, PHOTO, NOW)
        await media.move_photos(conn, a, b)
        return a, b

    a, b = await db.write(setup)
    assert await media.sent_with(db.reader, [a, b]) == {a: (2, 0)}


async def test_copies_given_to_providers_go_with_the_photo_and_when_it_is_no_longer_shown(
    db: Database,
) -> None:
    """A copy given to a provider (/photo N) is taken back when the photo is kept back (the
    one under the card stays); every message carrying a citizen's photo, under another
    author's card after a merge too, when they are forgotten; the migration tells the
    copies given before it apart (private chats)."""
    from storage.db import migrations, statements

    ((_, _, sql),) = [m for m in migrations() if m[0] == 48]
    (backfill,) = [s for s in statements(sql) if s.lstrip().upper().startswith("UPDATE")]

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int, bool]:
        (ada, a), (bea, b) = await _library_items(conn, 801, 2)
        theirs = await media.add_to_item(conn, bea, b, PHOTO, NOW)
        await media.decide(conn, theirs, "approved", 9, NOW)
        await conn.execute("UPDATE feedback SET status = 'approved' WHERE id = ?", (b,))
        shown = await media.still_shown(conn, theirs)
        await media.move_photos(conn, b, a)
        await media.posted(conn, theirs, -100, 1)  # under A's card
        await media.given(conn, theirs, 77, 2)  # Pat asked for it
        own = await media.add_to_item(conn, ada, a, PHOTO, NOW)
        await media.posted(conn, own, -100, 3)
        await media.given(conn, own, 77, 4)
        return bea, own, shown

    bea, own, shown = await db.write(setup)
    assert shown
    queued = "SELECT chat_id, message_id, reason FROM messages_to_clean ORDER BY message_id"

    async def keep_back(conn: aiosqlite.Connection) -> tuple[int, bool]:
        await media.decide(conn, own, "rejected", 9, NOW)
        return await media.take_back_given(conn, [own], NOW), await media.still_shown(conn, own)

    assert await db.write(keep_back) == (1, False)
    assert [tuple(r) for r in await db.fetchall(queued)] == [(77, 4, "unshared")]

    async def forget(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, bea, False, NOW)

    await db.write(forget)
    assert [tuple(r) for r in await db.fetchall(queued)] == [
        (-100, 1, "forget"),
        (77, 2, "forget"),
        (77, 4, "unshared"),
    ]
    # Ada's photo under her card stays there.
    carried = "SELECT chat_id, message_id, given FROM media_messages ORDER BY message_id"
    assert [tuple(r) for r in await db.fetchall(carried)] == [(-100, 3, 0)]

    async def before_migration(conn: aiosqlite.Connection) -> None:
        await media.given(conn, own, 78, 5)
        await conn.execute("UPDATE media_messages SET given = 0")
        await conn.execute(backfill)

    await db.write(before_migration)
    assert [tuple(r) for r in await db.fetchall(carried)] == [(-100, 3, 0), (78, 5, 1)]


async def test_an_albums_photos_wait_for_words_then_join_them_or_go(db: Database) -> None:
    """Photos of an album kept waiting for its words: a photo of the album after it was told
    of is told too; words take them into a conversation (their album's only, up to the room
    left, the rest go); told of once, whoever asks; listed in /mydata, erased by /forget, and
    gone past their time or retention."""
    early = NOW - timedelta(minutes=40)

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        ada = (await citizens.get_or_create(conn, 601, NOW)).id
        bea = (await citizens.get_or_create(conn, 602, NOW)).id
        for data in (b"a1", b"a2"):
            await media.add_waiting(conn, ada, "A", data, early)
        told = await media.tell_waiting(conn, ada, "A"), await media.tell_waiting(conn, ada, "A")
        assert told == (2, 0)
        assert await media.add_waiting(conn, ada, "A", b"a3", early) == 3
        # A's third photo, after A was told of: told too (never told again).
        assert await media.tell_waiting(conn, ada, "A") == 0
        for data in (b"b1", b"b2", b"b3", b"b4"):
            await media.add_waiting(conn, bea, "B", data, NOW)
        await media.add_waiting(conn, bea, "C", b"c1", NOW)
        return ada, bea

    ada, bea = await db.write(setup)
    assert await media.untold_albums(db.reader, NOW + timedelta(seconds=1)) == [
        (bea, "B"),
        (bea, "C"),
    ]
    assert await media.untold_albums(db.reader, NOW) == []
    assert len(await media.waiting(db.reader, bea)) == 5
    assert len(await media.waiting(db.reader, bea, "B")) == 4
    # Not a conversation's: none of them is taken for one.
    assert await media.of_conversation(db.reader, bea, 0) == []
    export = await db.write(lambda conn: privacy.export(conn, ada))
    assert [(p["kind"], p["with_item"]) for p in export["voice_notes_and_photos"]] == [
        ("photo", None)
    ] * 3

    async def words(conn: aiosqlite.Connection) -> tuple[int, int]:
        # B's words, in a conversation with one photo already: two join, the rest go, and
        # C's photo (another album) with them.
        await media.add(conn, citizen_id=bea, seq=7, kind="photo", now=NOW, data=b"x")
        return await media.take_waiting(conn, bea, 7, 2, "B")

    assert await db.write(words) == (2, 2)
    joined = await media.of_conversation(db.reader, bea, 7)
    # In the order sent.
    assert [await media.photo_bytes(db.reader, m.id) for m in joined] == [b"b1", b"b2", b"x"]
    assert await media.waiting(db.reader, bea) == []
    assert await media.untold_albums(db.reader, NOW + timedelta(seconds=1)) == []

    async def late(conn: aiosqlite.Connection) -> int:
        return await media.drop_waiting_before(conn, NOW - timedelta(minutes=30))

    assert await db.write(late) == 3  # Ada's, that waited 40 minutes
    assert await media.waiting(db.reader, ada) == []

    async def forget(conn: aiosqlite.Connection) -> tuple[int, int]:
        await media.add_waiting(conn, ada, "D", b"d1", NOW)
        await media.add_waiting(conn, bea, "E", b"e1", NOW)
        await privacy.erase(conn, ada, False, NOW)
        return await media.older_than(conn, NOW + timedelta(seconds=1), NOW), len(
            await media.waiting(conn, ada)
        )

    assert await db.write(forget) == (4, 0)  # Bea's conversation's three and her E photo


async def test_an_albums_untold_photos_join_a_saved_item_as_far_as_it_has_room(
    db: Database,
) -> None:
    """No words came with an album sent just after an item was saved: its photos waiting for
    them join the item, oldest first, up to the room given (the rest go), once, whoever
    asks; an album told its photos wait for the next words keeps them for those words."""

    async def setup(conn: aiosqlite.Connection) -> tuple[int, int]:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        ada = (await citizens.get_or_create(conn, 701, NOW)).id
        item = await feedback.create(
            conn,
            citizen_id=ada,
            service_slug="library",
            text="The roof leaks.",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        for data in (b"a1", b"a2", b"a3"):
            await media.add_waiting(conn, ada, "A", data, NOW)
        await media.add_waiting(conn, ada, "T", b"t1", NOW)
        assert await media.tell_waiting(conn, ada, "T") == 1
        return ada, item

    ada, item = await db.write(setup)

    async def join(conn: aiosqlite.Connection, album: str) -> tuple[int, int]:
        return await media.waiting_to_item(conn, ada, album, item, 2)

    assert await db.write(lambda conn: join(conn, "A")) == (2, 1)
    kept = await media.of_item(db.reader, item)
    assert [await media.photo_bytes(db.reader, m.id) for m in kept] == [b"a1", b"a2"]
    assert await media.waiting(db.reader, ada, "A") == []
    # Once: a second telling (another instance, the time-out round) finds none.
    assert await db.write(lambda conn: join(conn, "A")) == (0, 0)
    # Promised to the next words: not taken for the item.
    assert await db.write(lambda conn: join(conn, "T")) == (0, 0)
    assert len(await media.waiting(db.reader, ada, "T")) == 1


async def test_a_photo_posted_twice_under_its_card_keeps_the_copy_taken_as_its_own(
    db: Database,
) -> None:
    """A sending Telegram took but answered too late (the photo was sent again): the first
    copy, found as the photo's, is recorded under the card; the copies recorded there
    before are the ones to take back (queued as duplicates); not those under an earlier
    card, nor a copy given to a provider."""

    async def setup(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, 504, NOW)
        return await media.add(
            conn, citizen_id=citizen.id, seq=1, kind="photo", now=NOW, data=PHOTO
        )

    photo = await db.write(setup)
    stale = NOW - timedelta(minutes=10)
    card = (-1, 20)
    # Nowhere yet (not taken, of no item with a card).
    assert await media.posted_under(db.reader, photo) is None
    assert await db.write(lambda c: media.claim_posting(c, photo, card, NOW, stale, False))
    assert await media.posted_under(db.reader, photo) == card
    assert await media.taken_under(db.reader, photo, card)

    async def copies(conn: aiosqlite.Connection) -> None:
        await media.posted(conn, photo, -1, 5)  # under an earlier card
        await media.given(conn, photo, -1, 30)  # given to someone in the chat (/photo N)
        await media.posted(conn, photo, -1, 22)  # the second copy, its answer in time

    await db.write(copies)
    assert not await media.taken_under(db.reader, photo, card)
    assert await media.copies_under(db.reader, photo, card) == [22]
    assert await media.carrying(db.reader, -1, 22) == photo
    assert await media.carrying(db.reader, -1, 21) is None

    async def adopt(conn: aiosqlite.Connection) -> None:
        others = await media.copies_under(conn, photo, card)
        await media.adopt(conn, photo, card, 21)
        await media.take_back_copies(conn, photo, -1, others, NOW)

    await db.write(adopt)
    assert await media.copies_under(db.reader, photo, card) == [21]
    assert await media.carried_by(db.reader, photo, -1, 21)
    assert not await media.carried_by(db.reader, photo, -1, 22)
    assert await media.carried_by(db.reader, photo, -1, 5)
    queued = "SELECT chat_id, message_id, reason FROM messages_to_clean"
    assert [tuple(r) for r in await db.fetchall(queued)] == [(-1, 22, "duplicate")]
    # Remembered as one too many, still once it is gone: a press from it keeps it no more.
    assert await media.duplicate_of(db.reader, -1, 22) == photo
    assert await media.duplicate_of(db.reader, -1, 21) is None
    await db.write(lambda c: traces.cleaned(c, -1, 22))
    assert await media.duplicate_of(db.reader, -1, 22) == photo
    # Its sending released (Telegram asked to wait): the item's own card is where its
    # copies are found, and a copy found there takes the card again.

    async def released(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )
        citizen = await citizens.get_or_create(conn, 504, NOW)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text="",
            rating=None,
            hear_back=False,
            now=NOW,
        )
        await conn.execute(
            "UPDATE feedback SET card_chat_id = -1, card_message_id = 40 WHERE id = ?", (item,)
        )
        await conn.execute(
            "UPDATE media SET feedback_id = ?, card_chat_id = NULL, card_message_id = NULL"
            " WHERE id = ?",
            (item, photo),
        )

    await db.write(released)
    assert await media.posted_under(db.reader, photo) == (-1, 40)
    await db.write(lambda c: media.adopt(c, photo, (-1, 40), 41))
    assert await media.posted_under(db.reader, photo) == (-1, 40)
    assert await media.copies_under(db.reader, photo, (-1, 40)) == [41]
    # The memory of its duplicates goes with the photo.
    await db.write(lambda c: c.execute("DELETE FROM media WHERE id = ?", (photo,)))
    assert await media.duplicate_of(db.reader, -1, 22) is None
