"""The provider's side, small defects (round 48): a second tap on Send, Yes and No pressed at
once, a forged service switch, /respond on an item its author erased, and an album whose
caption is taken as an answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

from emulator import Emulator, Person
from handlers import texts
from handlers.responses import ALBUM_JOB
from tests.e2e.helpers import add_item, buttons_of, last_has, while_progressing
from tests.e2e.test_album_words_later import all_handled
from tests.e2e.test_citizen import stored
from tests.e2e.test_media import gps_photo
from tests.e2e.test_media_attacks import photo_fields, post
from tests.e2e.test_responses import (
    CHANGED,
    IN_PROGRESS,
    WEDNESDAY,
    World,
    answer_item,
    notice_of,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

PHOTO_THANKS = texts.UNSUPPORTED["photo"]


async def test_a_second_tap_on_send_says_the_answer_was_already_sent(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Pat presses Send under her preview twice in quick succession (before the buttons
    went): the second tap's alert said "That response is no longer being written: it was
    sent, stopped, or left unfinished", which reads as if it did not go. It went, once."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    await world.pat.send("An engineer is booked for the lift on Friday.")
    preview = (await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT)))[-1]
    send = buttons_of(preview)[texts.RESPOND_SEND]
    first = await world.pat.press_data(preview.message_id, send)
    second = await world.pat.press_data(preview.message_id, send)
    answers = await asyncio.gather(first.answered(), second.answered())
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(1,)]
    told = answers[1].get("text")
    assert told == texts.RESPOND_PROBLEMS["already_sent"], answers
    assert len([m for m in world.pat.messages if "Published" in (m.text or "")]) == 1


async def test_yes_and_no_pressed_at_once_thank_once_and_keep_one_answer(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Alice presses "Yes, it does" and "Not really" under a response at the same moment:
    both were thanked, the second changed her answer and asked her what was missing. The
    first answer is kept (the buttons go once one is pressed: an answer is final), and the
    second press is told kindly that it was recorded already."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    await send_words(world.pat, "The library now opens on Sundays from ten.")
    notice = await notice_of(alice)
    data = buttons_of(notice)
    yes = await alice.press_data(notice.message_id, data[texts.ANSWERED_YES])
    no = await alice.press_data(notice.message_id, data[texts.ANSWERED_NO])
    answers = [a.get("text") for a in await asyncio.gather(yes.answered(), no.answered())]
    await emu.idle(quiet=0.5)
    thanks = (texts.RATED_YES, texts.RATED_NO)
    assert len([a for a in answers if a in thanks]) == 1, answers
    assert answers[1] == texts.RATED_KEPT.format(answer=texts.ANSWERED_YES), answers
    assert stored(db_path, "SELECT reply FROM outbox WHERE reply IS NOT NULL") == [("yes",)]
    # Nobody asks her what was missing from an answer she said was enough.
    assert not any("what's missing" in (m.text or "") for m in alice.messages)
    said = texts.RATED_SAID.format(answer=texts.ANSWERED_YES).strip()
    assert said in (notice.text or ""), notice.text


async def test_a_forged_service_switch_for_another_providers_service_is_refused(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Pat (Culture and Leisure) forges "d:sub:buses", a service of Environment and
    Transport: she was told "This is for the people who run services. Ask an admin for an
    invitation." - she runs services; the data is forged, and is refused as forged data is."""
    await world.pat.send("/services")
    shown = (await world.pat.wait_for(lambda m: bool(m) and bool(m[-1].buttons)))[-1]
    forged = await world.pat.press_data(shown.message_id, "d:sub:buses")
    answer = await forged.answered()
    assert answer.get("text") == texts.DIGEST_NOT_YOURS, answer
    assert stored(db_path, "SELECT COUNT(*) FROM digest_unsubscriptions") == [(0,)]


async def forget(person: Person, button: str) -> None:
    await person.send("/forget")
    await person.wait_for(lambda m: bool(m) and button in str(m[-1].buttons))
    await person.press(button)
    await person.wait_for(lambda m: any(texts.FORGET_DONE in (x.text or "") for x in m))


async def test_respond_to_an_item_whose_author_erased_themselves_says_what_happened(
    world: World, emu: Emulator
) -> None:
    """Bob erases everything (/forget): /respond on his item said "I can't find a published
    item with that number among your services", as if Pat had the number wrong. It says its
    author asked for it to be erased. Alice erased herself but kept her published comment:
    it can still be answered, and the preview says nobody will get a message."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    kept = await add_item(world.bot.db, alice.id, "library", "Open on Sundays.", WEDNESDAY)
    gone = await add_item(world.bot.db, bob.id, "library", "The ramp is too steep.", WEDNESDAY)
    await forget(alice, texts.FORGET_KEEP)
    await forget(bob, texts.FORGET_ALL)
    count = len(world.pat.messages)
    await world.pat.send(f"/respond {gone}")
    said = (await world.pat.wait_for(lambda m: len(m) > count))[-1]
    assert said.text == texts.RESPOND_PROBLEMS["erased"], said.text
    await answer_item(world.pat, kept, CHANGED)
    await world.pat.send("The library now opens on Sundays from ten.")
    preview = (await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT)))[-1]
    assert "Nobody who raised this asked to hear back" in (preview.text or ""), preview.text


async def run_album_notes(world: World, emu: Emulator, db_path: Path) -> None:
    """Once every photo is handled: album notes still to come, now (their job run at once);
    then quiet."""
    queue = world.bot.application.job_queue
    assert queue is not None
    await while_progressing(lambda: all_handled(emu, db_path), lambda: len(emu.updates.history))
    await emu.idle(quiet=0.3)
    for job in queue.jobs():
        if (job.name or "").startswith(ALBUM_JOB):
            await job.run(world.bot.application)
    await emu.idle(quiet=0.3)


async def test_a_captioned_album_while_answering_is_told_once_and_not_thanked(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Pat sends three photos as one album, the first with her answer as its caption: the
    caption is taken (and she is told what she attached isn't passed on), and each of the
    other two photos was answered "Thanks for the photo, but I can only pass on words".
    The album is told once; an album with no words is told once too, with no thanks."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The ramp is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    count = len(world.pat.messages)
    words = "We mended the ramp this morning, here it is."
    for n, colour in enumerate(("red", "blue", "green")):
        fields = photo_fields(world.pat, gps_photo(colour))
        if n == 0:
            fields["caption"] = words
        post(world.pat, {**fields, "media_group_id": "mended"})
    await world.pat.wait_for(lambda m: any(texts.RESPOND_PREVIEW_FOOT in (x.text or "") for x in m))
    await run_album_notes(world, emu, db_path)
    said = [m.text or "" for m in world.pat.messages[count:]]
    assert not any(PHOTO_THANKS in s for s in said), said
    assert said.count(texts.RESPOND_CAPTION_TAKEN) == 1, said
    assert texts.RESPOND_ALBUM_NOT_PASSED not in said, said
    # Then an album with no words at all, the preview still open: one note, no thanks.
    count = len(world.pat.messages)
    for colour in ("white", "black"):
        post(world.pat, {**photo_fields(world.pat, gps_photo(colour)), "media_group_id": "bare"})
    await run_album_notes(world, emu, db_path)
    said = [m.text or "" for m in world.pat.messages[count:]]
    assert said == [texts.RESPOND_ALBUM_NOT_PASSED], said
