"""What a citizen expects where the bot once let them down: an answer sent while they had
blocked the bot, the time-out notice of words saved while they had, a photo just after
saving, a voice note after /cancel, a "me too" list left unanswered, /mydata in their own
language. Through the emulator, on both engines."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot.app import YousaidBot
from bot.languages import endonym
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, last_has
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_languages import WELSH_LIBRARY, says, t
from tests.e2e.test_languages import World as LanguageWorld
from tests.e2e.test_languages import press as press_in
from tests.e2e.test_languages import send as send_in
from tests.e2e.test_languages import welsh as welsh
from tests.e2e.test_media import SERVICE, TRANSCRIPT, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_metoo import SAME, WIFI, offered
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_responses import (
    WEDNESDAY,
    World,
    answer_item,
    send_words,
    world,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_typed_answers import expire

HEARD = "has responded"
# The time-out notice of words saved (texts.TIMED_OUT_SAVED), as Kim reads it.
SAVED_AS = "saved what you wrote as #1 (Council tax office)"


async def test_an_answer_sent_while_blocked_arrives_once_when_they_come_back(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    alice.block()
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["acknowledged"])
    await send_words(world.pat, "Thank you, we hear you.")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    assert not any(HEARD in (m.text or "") for m in alice.messages)
    # She unblocks the bot by writing to it again: the answer she missed comes now.
    await alice.send("/mine")
    await alice.wait_for(lambda m: any(HEARD in (x.text or "") for x in m), timeout=15)
    # The sender's next rounds, and more words from her, send it no second time.
    await alice.send("/help")
    await alice.wait_for(last_has("/mydata"))
    await world.bot.handlers.sender.send(world.bot.application)  # type: ignore[arg-type]
    await emu.idle(quiet=0.3)
    notices = [m for m in alice.messages if HEARD in (m.text or "")]
    assert len(notices) == 1 and "Thank you, we hear you." in (notices[0].text or "")
    assert stored(db_path, "SELECT state FROM outbox") == [("sent",)]


async def test_a_voice_note_after_cancel_is_transcribed_once(
    make_bot: BotFactory, emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    # The engine notes each run (the audio's path is its $0), then prints the words.
    engine = f"sh -c 'echo run >> {runs}; echo \"{TRANSCRIPT}\"'"
    citizen = emu.person("Cy")
    async with make_bot(YOUSAID_TRANSCRIBE=engine) as bot:
        pictures = bot.handlers.media
        assert pictures is not None
        # The first voice note's job is slow to start (a busy machine): it looks for its
        # voice note only once the second one is in.
        second_in = asyncio.Event()
        finished: list[int] = []
        attachments = pictures.attachments
        lookup = attachments.voice_to_transcribe
        calls = 0

        async def slow_first(*args: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == 1:
                await second_in.wait()
            return await lookup(*args)

        attachments.voice_to_transcribe = slow_first  # type: ignore[method-assign]
        transcribe = pictures._transcribe

        async def counted(*args: Any) -> None:
            try:
                await transcribe(*args)
            finally:
                finished.append(1)

        pictures._transcribe = counted  # type: ignore[method-assign]
        await consent(citizen)
        await press(citizen, SERVICE)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-first", duration=9))
        assert said.startswith(texts.VOICE_KEPT)
        assert (await say(citizen, "/cancel")) == texts.CANCELLED
        await consent_again(citizen)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-second", duration=7))
        assert said.startswith(texts.VOICE_KEPT)
        second_in.set()
        await citizen.wait_for(lambda _: len(finished) == 2, timeout=15)
        drafts = [m for m in citizen.messages if "I think you said" in (m.text or "")]
        assert len(drafts) == 1
        assert runs.read_text().splitlines() == ["run"]
        assert stored(db_path, "SELECT duration, transcript FROM media") == [(7, TRANSCRIPT)]


async def consent_again(citizen: Any) -> None:
    """After /cancel: /start, and the service again (consent was given already)."""
    assert "Which service" in await say(citizen, "/start")
    await press(citizen, SERVICE)


async def test_words_left_at_the_me_too_list_are_a_new_item_she_hears_back_on(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    # He chooses nothing, and the conversation goes quiet.
    await expire(world.bot, clock)
    told = (await bob.next_message()).text or ""
    assert "similar" in told and "new item" in told and texts.SAVED_HEAR_BACK.strip() in told
    (row,) = stored(db_path, f"SELECT id, text, hear_back FROM feedback WHERE text = '{SAME}'")
    assert row[1:] == (SAME, 1) and f"#{row[0]}" in told


async def test_a_photo_just_after_saving_joins_the_item_until_a_moderator_checks_it(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    item = await saved(citizen)
    card = await card_of(team.group, item)
    # Nothing is being told now: the photo goes with the item just saved, under its card.
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert f"Photo added to #{item} (1 of 3)" in said, said
    assert stored(db_path, "SELECT feedback_id, kind, status FROM media") == [
        (item, "photo", "pending")
    ]
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    (photo,) = under(team, card, "photo")
    assert photo.buttons == [[texts.PHOTO_APPROVE, texts.PHOTO_REJECT]]
    for colour in ("blue", "green"):
        assert "of 3)" in await reply_to(citizen, citizen.send_photo(gps_photo(colour)))
    said = await reply_to(citizen, citizen.send_photo(gps_photo("white")))
    assert said == texts.MEDIA_NOTES["too_many"]
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 3)
    # Once a moderator has decided on it, a photo is too late: she is told what to do.
    await press_card(team.sam, team.group, card, texts.APPROVE)
    assert "has been checked" in ((await citizen.next_message()).text or "")
    said = await reply_to(citizen, citizen.send_photo(gps_photo("black")))
    assert f"already checked #{item}" in said and "/start" in said, said
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(3,)]


async def test_mydata_names_its_fields_in_the_citizens_language(
    welsh: LanguageWorld, emu: Emulator, clock: FakeClock
) -> None:
    nia = emu.person("Nia", language_code="cy")
    words = "Agorwch ar y Sul os gwelwch yn dda."
    item = await add_item(welsh.bot.db, nia.id, "library", words, WEDNESDAY)
    await nia.send("/mydata")
    sent = await nia.wait_for(lambda m: bool(m) and m[-1].document is not None, timeout=10)
    data = json.loads(sent[-1].document or b"{}")

    def names(value: Any) -> set[str]:
        if isinstance(value, list):
            return set().union(*(names(v) for v in value)) if value else set()
        if isinstance(value, dict):
            return set(value).union(*(names(v) for v in value.values()))
        return set()

    found = names(data)
    # Not one English field name: "items", "what_you_wrote", "you", "consents"...
    english = {"you", "items", "consents", "what_you_wrote", "status", "rating", "language"}
    assert not found & english, found & english
    (mine,) = data["eitemau"]
    assert mine["cyfeirnod"] == item
    assert found <= set(t("cy", "MYDATA_KEYS").values())
    assert mine["yr hyn a ysgrifennoch"] == words
    assert data["amdanoch chi"]["iaith"] is None


async def blocked_mid_conversation(person: Person, bot: YousaidBot, clock: FakeClock) -> None:
    """Words written, then the bot blocked before the next answer; the time-out job runs."""
    await consent(person)
    await press(person, "Council tax office")
    await say(person, "Nobody answered the phone for an hour this morning")
    person.block()
    await expire(bot, clock)


def unblocked(emu: Emulator, person: Person) -> dict[str, object]:
    """She lets the bot back in without writing: Telegram says so (my_chat_member)."""
    person.unblock()
    bot_user = {"id": emu.bot_id, "is_bot": True, "first_name": emu.bot_name}
    kicked = {"status": "kicked", "user": bot_user, "until_date": 0}
    update = {
        "my_chat_member": {
            "chat": {"id": person.id, "type": "private", "first_name": person.first_name},
            "from": dict(person.user),
            "date": 1764150000,
            "old_chat_member": kicked,
            "new_chat_member": {"status": "member", "user": bot_user},
        }
    }
    emu.inject(update)
    return update


def told(person: Person, words: str = SAVED_AS) -> list[MessageView]:
    return [m for m in person.messages if words in (m.text or "")]


async def test_a_time_out_notice_missed_while_blocked_is_told_once_when_they_write_again(
    make_bot: BotFactory, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    kim = emu.person("Kim")
    async with make_bot() as bot:
        await blocked_mid_conversation(kim, bot, clock)
        assert not told(kim)
        assert stored(db_path, "SELECT chat_id FROM unreachable_chats") == [(kim.id,)]
    # A restart between changes nothing: it is kept, not lost and not sent on its own.
    async with make_bot() as bot:
        before = len(kim.messages)
        # She unblocks the bot by writing to it again: the notice comes first, then the
        # answer to what she sent, as usual.
        await kim.send("/mine")
        found = await kim.wait_for(last_has(texts.MINE_HEADER), timeout=10)
        new = found[before:]
        assert len(new) == 2, [m.text for m in new]
        assert SAVED_AS in (new[0].text or ""), new[0].text
        assert texts.SAVED_HEAR_BACK.strip() in (new[0].text or "")
        assert "#1" in (new[1].text or "")
        assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(0,)]
        # More words, the job again, Telegram's word that she is back: nothing said twice.
        await expire(bot, clock)
        unblocked(emu, kim)
        await kim.send("/help")
        await kim.wait_for(last_has("/mydata"))
    async with make_bot():
        await kim.send("/mine")
        await kim.wait_for(lambda m: sum(texts.MINE_HEADER in (x.text or "") for x in m) == 2)
    assert len(told(kim)) == 1


async def test_a_time_out_notice_missed_is_told_when_they_let_the_bot_in_in_their_language(
    welsh: LanguageWorld, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    nia = emu.person("Nia", language_code="cy")
    await send_in(nia, "/start")
    await press_in(nia, "✓ " + endonym("cy"))
    await press_in(nia, t("cy", "CONSENT_YES"))
    await press_in(nia, WELSH_LIBRARY)
    await send_in(nia, "Roedd yr ystafell astudio yn llawer rhy oer eto heddiw")
    nia.block()
    await expire(welsh.bot, clock)

    def notices(messages: list[MessageView]) -> list[MessageView]:
        return [m for m in messages if says(m, "cy", "TIMED_OUT_SAVED")]

    assert not notices(nia.messages)
    # She lets the bot back in (no message of hers): told at once, in Welsh, with #1.
    update = unblocked(emu, nia)
    found = await nia.wait_for(lambda m: bool(notices(m)), timeout=10)
    (notice,) = notices(found)
    assert "#1" in (notice.text or "") and WELSH_LIBRARY in (notice.text or ""), notice.text
    # The same update again (replayed), then her next message: not told a second time.
    emu.inject(update)
    shown = await send_in(nia, "/help")
    assert "/mydata" in (shown.text or "")
    assert len(notices(nia.messages)) == 1


async def test_a_time_out_notice_missed_goes_with_forget(
    bot: YousaidBot, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    kim = emu.person("Kim")
    await blocked_mid_conversation(kim, bot, clock)
    assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(1,)]
    # Forgotten while away (what /forget does): nothing of hers is left to tell.
    assert await bot.privacy.forget(10**9, kim.id, keep_published=False) is not None
    assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(0,)]
    unblocked(emu, kim)
    # A newcomer again: asked for consent, as anyone is, and told nothing of #1.
    assert "Is that OK with you?" in await say(kim, "/start")
    assert not told(kim) and not told(kim, "#1")
