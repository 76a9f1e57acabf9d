"""Answers around merges and "me too": who still hears an answer queued before a merge was
released, what rating it shows, when an item released counts as read by a provider; and a
voice note's words at a comment prompt."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, has, last_has, press_on
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_responses import (
    ACCESS,
    CHANGED,
    NEXT_MONDAY,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    notice_of,
    respond,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

WIFI = "The wifi in the central library keeps dropping"


async def shown_once_released(
    world: World, clock: FakeClock, db_path: Path, a: int, b: int, b_text: str
) -> None:
    """A unpublished the day after Monday's digest: B, merged into it and read by no
    provider, is published again and the next week's digest shows it."""
    clock.now = NEXT_MONDAY + timedelta(days=1)
    await say(world.sam, f"/unpublish {a} it names a member of staff")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("approved",)]
    clock.now = NEXT_MONDAY + timedelta(days=7)
    await run_job(world.bot, "digest:culture-leisure")
    found = await world.pat.wait_for(
        lambda msgs: len([m for m in msgs if "feedback digest" in (m.text or "")]) == 2
    )
    digests = [m.text or "" for m in found if "feedback digest" in (m.text or "")]
    assert b_text in digests[-1]


async def test_a_theme_answer_reaches_its_author_though_a_merge_she_was_in_is_released(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Bea wrote X (asked to hear back); her B was merged into Alice's A. A theme answer
    covers X and A: it is Bea's answer on X whatever becomes of A."""
    alice, bea = emu.person("Alice"), emu.person("Bea")
    db = world.bot.db
    x = await add_item(db, bea.id, "library", "Queue at the desk took an hour.", WEDNESDAY)
    a = await add_item(db, alice.id, "library", "Waited ages at the desk.", WEDNESDAY)
    b = await add_item(db, bea.id, "library", "The desk queue is so slow.", WEDNESDAY)
    assert await say(world.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    digest = await digest_in_private(world, clock)
    bea.block()
    done = await respond(
        world.pat, digest, f"↩️ Respond: {ACCESS}", CHANGED, "A second desk opens on Saturdays."
    )
    assert "goes to 2 people" in done
    await notice_of(alice)
    await say(world.sam, f"/unpublish {a} it names a member of staff")
    bea.unblock()
    await bea.send("/mine")
    await bea.wait_for(has("What you've told"))
    await run_job(world.bot, "send-to-citizens")
    heard = await notice_of(bea)
    # Named by the item she still hears back on.
    assert "second desk" in (heard.text or "") and f"#{x}" in (heard.text or "")


async def test_rating_an_answer_after_the_merge_it_came_by_was_released_says_what_was_said(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bea heard A's answer as B's author (B merged into A). A is unpublished later; she
    rates the answer she has: the message shows what she said, as it did before."""
    alice, bea = emu.person("Alice"), emu.person("Bea")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    b = await add_item(world.bot.db, bea.id, "library", "Library wifi is useless", WEDNESDAY)
    assert await say(world.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await answer_item(world.pat, a, CHANGED)
    await send_words(world.pat, "We replaced the wifi router.")
    notice = await notice_of(bea)
    await say(world.sam, f"/unpublish {a} it names a member of staff")
    await press_on(bea, notice, texts.ANSWERED_YES)
    await bea.wait_for(lambda _: "You said" in (notice.text or ""))


async def test_a_digest_made_before_a_merge_but_sent_after_it_did_not_show_the_item(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Monday's digest is made, but Telegram fails its first try; B is merged into A before
    it goes, so it goes without B. A unpublished later: no provider ever read B, so the next
    digest shows it."""
    alice, bea = emu.person("Alice"), emu.person("Bea")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    b_text = "The toilets on the first floor of the library were filthy"
    b = await add_item(world.bot.db, bea.id, "library", b_text, WEDNESDAY, ("environment",))
    broken = emu.faults.server_error(chat_id=world.pat.id, times=1)
    clock.now = NEXT_MONDAY
    await run_job(world.bot, "digest:culture-leisure")
    assert broken.hits == 1
    clock.advance(minutes=1)
    assert await say(world.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    clock.advance(minutes=30)
    await run_job(world.bot, "digest:culture-leisure")
    first = await world.pat.wait_for(has("feedback digest"))
    assert not any(b_text in (m.text or "") for m in first)
    await shown_once_released(world, clock, db_path, a, b, b_text)


async def test_a_voice_note_with_words_at_a_comment_prompt_starts_no_item(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Asked what an answer missed, Alice replies with a voice note carrying words: the
    words are her comment, she is told it is saved and that the voice note is not kept, and
    no new item is begun from it."""
    alice = emu.person("Alice")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await answer_item(world.pat, a, CHANGED)
    await send_words(world.pat, "We replaced the wifi router.")
    await press_on(alice, await notice_of(alice), texts.ANSWERED_NO)
    await alice.wait_for(last_has("say what's missing"))
    words = "The router is fine but the signal upstairs is still dead."
    voice = {**alice._media(b"OggS-voice", "voice", None, "audio/ogg"), "duration": 6}
    alice._post(alice.chat, {"voice": voice, "caption": words})
    said = (await alice.wait_for(last_has("comment is saved")))[-1].text or ""
    assert said.startswith(texts.MEDIA_NOTES["side_prompt_voice_caption"])
    comments = stored(db_path, "SELECT text FROM feedback WHERE response_id IS NOT NULL")
    assert comments == [(words,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
