"""Voice notes as citizens send them (round 48): one sent just after an item was saved, one
with no words in it (with and without a speech-to-text engine), and one whose posting under
its card Telegram answered too late."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Group, MessageView
from emulator.methods import delete_message
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_moderation_faults import _team

SILENT_ENGINE = "true"  # an offline engine that runs and hears no words: it prints nothing


def silent_said(messages: list[object]) -> list[str]:
    heard = "couldn't hear any words"
    return [m.text or "" for m in messages if heard in (m.text or "")]  # type: ignore[attr-defined]


async def test_a_voice_note_just_after_saving_is_said_to_start_a_new_item(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    first = await saved(citizen)
    said = await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    # Told plainly: the saved item stays as it was, and this is a new one.
    assert f"#{first} is already saved, so this starts a new item" in said, said
    assert "Which service" in said
    await press(citizen, SERVICE)
    second = await saved(citizen)
    assert second != first
    assert stored(db_path, "SELECT kind, feedback_id FROM media") == [("voice", second)]
    card = await card_of(team.group, second)
    await team.group.wait_for(lambda _: under(team, card, "voice"))


async def test_a_voice_note_with_typed_words_says_a_moderator_listens_and_keeps_both(
    team: Team, db_path: Path
) -> None:
    """No engine: the bot cannot tell a silent voice note, so it says what happens to every
    one (a moderator listens and writes it down) and keeps it with the words."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, WORDS)
    said = await reply_to(citizen, citizen.send_voice(b"OggS-silence", duration=5))
    assert "A moderator will listen to it and write it down" in said, said
    item = await saved(citizen)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {item}") == [(WORDS,)]
    kept = stored(db_path, f"SELECT kind, file_id FROM media WHERE feedback_id = {item}")
    assert len(kept) == 1 and kept[0][0] == "voice" and kept[0][1]
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "voice"))
    assert not silent_said(citizen.messages)


async def test_a_silent_voice_note_before_the_service_promises_no_typing_it_cannot_keep(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    citizen = emu.person("Cy")
    async with make_bot(YOUSAID_TRANSCRIBE=SILENT_ENGINE):
        await consent(citizen)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-silence", duration=5))
        assert said.startswith(texts.VOICE_KEPT) and "Which service" in said
        await citizen.wait_for(lambda msgs: silent_said(msgs))
        # Typing now would answer the service question: no promise to add typed words.
        (note,) = silent_said(citizen.messages)
        assert "type it here" not in note, note
        assert "nothing is lost" in note
        await press(citizen, SERVICE)
        item = await saved(citizen)
        assert stored(db_path, f"SELECT kind FROM media WHERE feedback_id = {item}") == [("voice",)]


async def test_a_silent_voice_note_as_the_words_invites_typing_and_keeps_what_is_typed(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    citizen = emu.person("Cy")
    async with make_bot(YOUSAID_TRANSCRIBE=SILENT_ENGINE):
        await consent(citizen)
        await press(citizen, SERVICE)
        said = await reply_to(citizen, citizen.send_voice(b"OggS-silence", duration=5))
        assert said.startswith(texts.VOICE_KEPT)
        await citizen.wait_for(lambda msgs: silent_said(msgs))
        (note,) = silent_said(citizen.messages)
        assert "A moderator will still listen to it" in note and "type it here" in note
        await citizen.send(WORDS)
        item = await saved(citizen)
        assert WORDS in str(stored(db_path, f"SELECT text FROM feedback WHERE id = {item}"))
        assert stored(db_path, f"SELECT kind FROM media WHERE feedback_id = {item}") == [("voice",)]


# The bot's patience with Telegram's answers in the tests below (seconds), and how long the
# emulator holds the answer to the voice note's sending (released by the test first).
PATIENCE = 3
HOLD = 120
UNSURE = "didn't confirm the voice note"


@pytest.fixture
async def impatient(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> AsyncIterator[Team]:
    async for made in _team(make_bot, emu, deployment, YOUSAID_TELEGRAM_TIMEOUT=PATIENCE):
        yield made


def voices_under(group: Group, card: MessageView) -> list[MessageView]:
    return [
        m for m in group.messages if m.reply_to == card.message_id and m.voice and not m.deleted
    ]


def unsure_notes(group: Group, card: MessageView) -> list[MessageView]:
    return [m for m in group.messages if m.reply_to == card.message_id and UNSURE in (m.text or "")]


async def unanswered_voice(team: Team, emu: Emulator) -> tuple[int, MessageView]:
    """An item whose voice note Telegram took under its card but whose answer never came
    back in time: (item, card), once the bot has given up waiting."""
    held = emu.faults.late("sendVoice", delay=HOLD, chat_id=team.group.id, times=1)
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=7))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(
        lambda _: len(voices_under(team.group, card)) > 1 or unsure_notes(team.group, card),
        timeout=4 * PATIENCE,
    )
    assert held.hits == 1
    held.release()
    return item, card


async def test_a_voice_note_whose_answer_never_came_is_not_posted_twice(
    impatient: Team, emu: Emulator, clock: FakeClock
) -> None:
    team = impatient
    _, card = await unanswered_voice(team, emu)
    assert len(voices_under(team.group, card)) == 1
    # Not by the sweeps either, even once its taking has gone stale.
    clock.advance(minutes=11)
    await run_job(team.bot, "moderation-sweep")
    await emu.idle()
    assert len(voices_under(team.group, card)) == 1
    assert len(unsure_notes(team.group, card)) == 1


async def test_a_moderator_who_cannot_find_it_posts_it_once_with_the_button(
    impatient: Team, emu: Emulator, db_path: Path
) -> None:
    team = impatient
    item, card = await unanswered_voice(team, emu)
    (first,) = voices_under(team.group, card)
    # Say it never showed in their app (gone from the chat).
    await delete_message(emu, {"chat_id": team.group.id, "message_id": first.message_id})
    (note,) = unsure_notes(team.group, card)
    ((data,),) = note.button_data
    assert data
    await press_card(team.sam, team.group, note, texts.CARD_VOICE_AGAIN)
    await team.group.wait_for(lambda _: voices_under(team.group, card) and not note.buttons)
    (posted,) = voices_under(team.group, card)
    assert stored(
        db_path,
        "SELECT x.message_id FROM media_messages x JOIN media m ON m.id = x.media_id"
        f" WHERE m.feedback_id = {item}",
    ) == [(posted.message_id,)]
    # A press again (a second moderator, the same moment) posts nothing more.
    pressed = await team.mo.press_data(note.message_id, data, chat=team.group)
    answer = await pressed.answered()
    assert answer.get("text") == texts.MOD_PROBLEMS["no_such_item"]
    assert len(voices_under(team.group, card)) == 1
