"""The "me too" index of the running bot (bot/metoo.py) over storage, on both engines:
items published later are added without a rebuild, withdrawn ones are never offered, the
window leaves old ones out, and a large first build runs in the background."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.metoo import MeToo, offered
from storage import citizens, feedback
from storage.db import Database, stamp

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ELM = "Bins not collected on Elm Road again this week"
QUERY = "They missed the bins on Elm Road, not collected"


async def _setup(db: Database) -> int:
    async def run(conn: aiosqlite.Connection) -> int:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('bins', 'Bins', '', 'p'), ('parks', 'Parks', '', 'p')"
        )
        return (await citizens.get_or_create(conn, 901, NOW)).id

    return await db.write(run)


async def _publish(db: Database, author: int, slug: str, text: str, when: datetime) -> int:
    async def run(conn: aiosqlite.Connection) -> int:
        item = await feedback.create(
            conn, citizen_id=author, service_slug=slug, text=text, rating=None,
            hear_back=True, now=when,
        )  # fmt: skip
        await feedback.decide(
            conn, item, status="approved", published_text=text, reject_reason=None,
            moderator=1, now=when,
        )  # fmt: skip
        return item

    return await db.write(run)


async def test_items_published_later_are_added_and_withdrawn_ones_never_offered(
    db: Database,
) -> None:
    author = await _setup(db)
    await _publish(db, author, "bins", "The recycling van blocked our drive", NOW)
    metoo = MeToo(db, weeks=6)
    assert offered(await metoo.suggestions("bins", QUERY, NOW)) == ()
    built = metoo._services["bins"].index
    # Published after the index was built: added as a part, the base is not rebuilt.
    elm = await _publish(db, author, "bins", ELM, NOW + timedelta(minutes=1))
    await _publish(db, author, "parks", "Bins in the park not collected on Elm Road", NOW)
    later = NOW + timedelta(minutes=2)
    assert offered(await metoo.suggestions("bins", QUERY, later)) == ((elm, ELM),)
    index = metoo._services["bins"].index
    assert index.base is built.base and index.added == 1
    # Withdrawn (put back to pending): never shown again, and left out of later searches.
    await db.write(lambda conn: feedback.undo(conn, elm, later))
    assert offered(await metoo.suggestions("bins", QUERY, later)) == ()
    assert elm in metoo._services["bins"].dropped
    # Past the window: left out.
    again = await _publish(db, author, "bins", ELM, later)
    assert offered(await metoo.suggestions("bins", QUERY, later)) == ((again, ELM),)
    assert offered(await metoo.suggestions("bins", QUERY, later + timedelta(weeks=7))) == ()
    # Another service's words are never offered; 0 weeks turns the offer off.
    assert offered(await metoo.suggestions("parks", "Broken swing in Riverside Park", later)) == ()
    assert offered(await MeToo(db, weeks=0).suggestions("bins", QUERY, later)) == ()


async def test_a_large_first_build_runs_in_the_background(db: Database) -> None:
    author = await _setup(db)
    elm = await _publish(db, author, "bins", ELM, NOW)
    metoo = MeToo(db, weeks=6, inline_build=0)
    # Nothing is offered while the index is built: the conversation is not held up.
    assert offered(await metoo.suggestions("bins", QUERY, NOW)) == ()
    await metoo.wait_built()
    assert offered(await metoo.suggestions("bins", QUERY, NOW)) == ((elm, ELM),)
    await metoo.close()


async def test_the_words_kept_to_undo_a_join_go_with_time_undo_and_forget(db: Database) -> None:
    from storage import privacy, supporters

    author = await _setup(db)
    item = await _publish(db, author, "bins", ELM, NOW)

    async def join(conn: aiosqlite.Connection, telegram_id: int, when: datetime) -> int:
        citizen = (await citizens.get_or_create(conn, telegram_id, when)).id
        await supporters.add(conn, item, citizen, when)
        kept = supporters.Undoable(item, "bins", QUERY, stamp(when))
        await supporters.keep_undo(conn, citizen, kept)
        return citizen

    early = await db.write(lambda conn: join(conn, 902, NOW))
    late = await db.write(lambda conn: join(conn, 903, NOW + timedelta(hours=2)))
    forgotten = await db.write(lambda conn: join(conn, 904, NOW + timedelta(hours=2)))
    # Past its time: only the early join's words go, its support stays.
    removed = await db.write(
        lambda conn: supporters.undo_older_than(conn, NOW + timedelta(hours=1))
    )
    assert removed == 1
    assert await supporters.undoable(db.reader, early) is None
    # Undone: the support goes too; the later one's is still there to undo.
    joined = await supporters.undoable(db.reader, late)
    assert joined is not None and joined.text == QUERY
    await db.write(lambda conn: supporters.undo_join(conn, late, joined))
    assert await supporters.undoable(db.reader, late) is None
    counts = await supporters.counts(db.reader, [item])
    assert counts == {item: 2}
    # Forgotten: the words go with the person.
    await db.write(lambda conn: privacy.erase(conn, forgotten, True, NOW))
    assert await supporters.undoable(db.reader, forgotten) is None


async def test_polish_look_alikes_are_not_offered_though_the_english_space_finds_them_close(
    db: Database,
) -> None:
    author = await _setup(db)
    rude = await _publish(db, author, "bins", "Śmieciarka nie zabrała naszych śmieci", NOW)
    await db.write(
        lambda conn: conn.execute("UPDATE feedback SET language = 'pl' WHERE id = ?", (rude,))
    )
    later = NOW + timedelta(minutes=1)
    look_alike = "Pokrywa kosza na śmieci została złamana"
    # As the bot runs it: the new text's language is read (here: Polish, not English).
    polish = MeToo(db, weeks=6, reading=lambda text: ((), False))
    assert offered(await polish.suggestions("bins", look_alike, later)) == ()
    assert polish._services["bins"].index.base._foreign.tolist() == [True]
    same = "Śmieciarka znowu nie zabrała naszych śmieci"
    assert offered(await polish.suggestions("bins", same, later)) == (
        (rude, "Śmieciarka nie zabrała naszych śmieci"),
    )
