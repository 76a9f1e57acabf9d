"""Fixes for the attack on round 47's merged changes: a bare update marked at start, the
leftover copy of a forgotten photo, an unreadable album, an unreadable button press."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.app import YousaidBot
from bot.processing import Poller
from emulator import Emulator
from handlers import texts
from storage import citizens, feedback, media, privacy, updates
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import Team
from tests.e2e.test_photo_posted_twice import item_with_photos, posted_twice
from tests.e2e.test_photo_posted_twice import team as team  # the fixture
from tests.e2e.test_privacy_attacks import forget_all
from tests.e2e.test_unreadable_updates import told, unreadable


async def test_a_bare_update_marked_handled_at_start_does_not_hide_an_earlier_lost_answer(
    db: Database,
) -> None:
    """Ann's message (update 10) was saved, its effect committed ("Saved as #N"), and the
    process died before the answer went; her next update (11) could be saved only without
    its payload and was not handled either. At the next start she expects the answer to
    10 to be given again (the answer-again job looks for such chats). The bare row is
    marked handled at start as if it had been answered, which forgets that 10's answer may
    be lost: her chat is no longer found, and she never hears "Saved as #N"."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    chat = 42
    message = {"message_id": 7, "date": 0, "chat": {"id": chat, "type": "private"}}

    async def before_the_crash(conn: aiosqlite.Connection) -> None:
        await updates.save_new(conn, [(10, {"update_id": 10, "message": message}, chat)], now)
        await updates.claim(conn, 10, now)  # its effect, committed; its answer lost
        await updates.save_new(conn, [(11, None, chat)], now)  # bare: never handled

    await db.write(before_the_crash)
    later = now + timedelta(minutes=5)
    assert [c for c, _ in await updates.unanswered(db.reader, later)] == [chat], "before"
    queue: asyncio.Queue[object] = asyncio.Queue()
    await Poller(None, db, queue, lambda: now).recover()  # type: ignore[arg-type]
    assert await updates.is_handled(db.reader, 11)
    assert [c for c, _ in await updates.unanswered(db.reader, later)] == [chat], "after the start"


async def test_a_leftover_copy_of_a_forgotten_photo_still_goes_after_another_photo_came(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Cy's photo was posted twice under its card; Cy says /forget (the recorded copy goes,
    the copy recorded nowhere stays). Then Bea sends an item with a photo. A moderator
    presses the leftover copy of Cy's photo: he expects it to go, as it does when nobody
    else sent a photo meanwhile ("photo gone"). On SQLite Bea's photo takes the number Cy's
    had (media ids are reused once the highest is deleted), so the press is taken as one on
    Bea's photo from a wrong message: Cy's leftover photo stays in the moderators' chat,
    for good."""
    _, _, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        data = buttons_of(first)[texts.PHOTO_APPROVE]
        await forget_all(team.citizen)
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        bea = emu.person("Bea")
        await item_with_photos(bea)
        await team.group.wait_for(
            lambda _: any(
                m.photo and m.message_id not in (first.message_id, second.message_id)
                for m in team.group.messages
            ),
            timeout=15,
        )
        pressed = await team.sam.press_data(first.message_id, data, chat=team.group)
        answer = await pressed.answered()
        assert answer.get("text") == texts.MOD_PROBLEMS["photo_gone"], (
            answer,
            stored(db_path, "SELECT id, feedback_id FROM media"),
            stored(db_path, "SELECT media_id FROM media_forgotten"),
        )
        await team.group.wait_for(lambda _: first.deleted, timeout=15)
    finally:
        held.release()


async def test_item_numbers_and_photo_ids_are_not_given_again_after_forget(db: Database) -> None:
    """Cy's item and photo were the latest; he says /forget. Bea's new item and photo take
    new numbers, not Cy's (on SQLite the highest left plus one was his again)."""
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    async def one_item(conn: aiosqlite.Connection, telegram_id: int) -> tuple[int, int, int]:
        citizen = await citizens.get_or_create(conn, telegram_id, now)
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text="The roof leaks onto the books.",
            rating=None,
            hear_back=False,
            now=now,
        )
        photo = await media.add_to_item(conn, citizen.id, item, b"photo", now)
        return citizen.id, item, photo

    async def library(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO services (slug, name, description, provider_id)"
            " VALUES ('library', 'Library', '', 'p')"
        )

    await db.write(library)
    cy, cy_item, cy_photo = await db.write(lambda conn: one_item(conn, 601))

    async def forget(conn: aiosqlite.Connection) -> None:
        await privacy.erase(conn, cy, False, now)

    await db.write(forget)
    _, bea_item, bea_photo = await db.write(lambda conn: one_item(conn, 602))
    assert bea_item > cy_item and bea_photo > cy_photo, (cy_item, cy_photo, bea_item, bea_photo)


async def test_an_unreadable_album_is_answered_once_not_once_a_photo(
    bot: YousaidBot, emu: Emulator
) -> None:
    """Ann sends an album of four photos from a newer Telegram app, in a shape this library
    cannot read. She expects one "couldn't read that, send it again as text"; she gets the
    same sentence four times in a row, one per photo of the album."""
    ann = emu.person("Ann")
    for n in range(4):
        message = emu.store_message(
            ann.chat,
            dict(ann.user),
            {"media_group_id": "album-1", "photo": [{"file_id": f"x{n}"}]},
        )
        assert emu.inject({"message": message}) is not None
    assert (await ann.next_message()).text == texts.UNREADABLE_UPDATE
    await emu.idle(quiet=1.0)
    assert emu.pending_updates == 0
    assert told(ann, texts.UNREADABLE_UPDATE) == 1, [m.text for m in ann.messages]


async def test_an_unreadable_message_a_while_after_the_last_is_answered_again(
    bot: YousaidBot, emu: Emulator, clock: FakeClock
) -> None:
    """A burst is told once; an unreadable message a minute later is a new one, told too."""
    ann = emu.person("Ann")
    unreadable(emu, ann)
    assert (await ann.next_message()).text == texts.UNREADABLE_UPDATE
    clock.advance(minutes=1)
    unreadable(emu, ann)
    assert (await ann.next_message()).text == texts.UNREADABLE_UPDATE
    await emu.idle(quiet=0.5)
    assert told(ann, texts.UNREADABLE_UPDATE) == 2


async def test_a_button_press_that_cannot_be_read_is_answered(
    bot: YousaidBot, emu: Emulator
) -> None:
    """Ann presses "Yes, that's fine" under the welcome; a newer Telegram sends the press
    with the message in a shape this library cannot read. She expects the button to stop
    spinning and to be told something (as a message that cannot be read is: "send it
    again"); the press is skipped without a word, and her app spins until it gives up."""
    ann = emu.person("Ann")
    await ann.send("/start")
    welcome = await ann.next_message()
    data = buttons_of(welcome)[texts.CONSENT_YES]
    # The welcome as Telegram now describes it: with a part this library cannot read.
    ann.chat.messages[welcome.message_id]["photo"] = [{"file_id": "x"}]
    pressed = await ann.press_data(welcome.message_id, data)
    await emu.idle(quiet=1.0)
    assert emu.pending_updates == 0
    assert pressed.answer is not None, [m.text for m in ann.messages]
