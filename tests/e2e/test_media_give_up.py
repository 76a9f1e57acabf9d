"""A voice note or photo Telegram will not take under its card is given up only once the
moderators are told: an outage of the whole moderators' chat, a 429 among the failures, a
refusal after failures or whose note fails, a card posted anew after the bot gave up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.moderation import CARD_ATTEMPTS
from emulator import Emulator, Fault, MessageView
from handlers import media as media_handlers
from handlers import texts
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_media_failures import GIVEN_UP
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture

REFUSED = "rights to send photos"  # in Telegram's words, as the note gives them


def notes(team: Team, card: MessageView, words: str) -> list[MessageView]:
    return [
        m
        for m in team.group.messages
        if m.reply_to == card.message_id and words in (m.text or "") and not m.photo
    ]


async def item_with_photo_and_voice(team: Team, emu: Emulator) -> tuple[int, MessageView]:
    """Cy's item with a photo (which the caller makes fail) and a voice note; its card once
    the voice note is under it."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=5))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "voice")) == 1)
    await emu.idle(quiet=0.3, timeout=15)
    return item, card


async def sweep_tries(team: Team, emu: Emulator, faults: list[Fault]) -> None:
    """A sweep, and the wait until it has tried the photo again: a sweep asked for while
    another runs (one a new item started) returns at once, and that one goes round again."""
    tries = sum(f.hits for f in faults)
    await run_job(team.bot, "moderation-sweep")
    deadline = asyncio.get_running_loop().time() + 30
    while sum(f.hits for f in faults) <= tries:
        assert asyncio.get_running_loop().time() < deadline, "a sweep did not try the photo again"
        await emu.changed(0.5)


async def test_a_photo_given_up_in_an_outage_of_the_whole_chat_is_still_said_missing(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram fails every call to the moderators' chat (an outage, 502) while the photo
    is tried its five times: the note saying it will not come cannot go then either. Once
    the chat works again the moderators must be told (the note, or the photo itself):
    never a card saying a photo is below with neither the photo nor the note there."""
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    failing = emu.faults.server_error("sendPhoto", chat_id=team.group.id, status=502)
    _, card = await item_with_photo_and_voice(team, emu)
    outage = emu.faults.server_error(None, chat_id=team.group.id, status=502)
    while failing.hits < CARD_ATTEMPTS:
        await sweep_tries(team, emu, [failing])
    await emu.idle(quiet=0.3, timeout=15)
    assert stored(db_path, "SELECT post_failures FROM media WHERE kind = 'photo'") == [
        (CARD_ATTEMPTS,)
    ]
    # The chat works again; the sweeps go on as their timer would run them.
    emu.faults.remove(outage)
    emu.faults.remove(failing)
    for _ in range(3):
        await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.3, timeout=15)
    assert notes(team, card, GIVEN_UP) or under(team, card, "photo"), [
        m.text for m in team.group.messages if m.reply_to == card.message_id
    ]


async def test_a_wait_among_failures_is_no_failure_and_the_photo_goes_at_last(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two 502s, a 429 (Telegram asks to wait), two more 502s: four failures, one fewer
    than a card's tries, so the photo is tried again and goes; its count starts afresh;
    no note says it will not come."""
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    chat = team.group.id
    faults = [
        emu.faults.server_error("sendPhoto", chat_id=chat, status=502, times=2),
        emu.faults.flood("sendPhoto", chat_id=chat, retry_after=1, times=1),
        emu.faults.server_error("sendPhoto", chat_id=chat, status=503, times=2),
    ]
    item, card = await item_with_photo_and_voice(team, emu)
    # Sweeps by hand meet the 502s; the wait is over when the sweep the 429 set runs (or a
    # sweep by hand after it): until then a sweep by hand posts nothing, so the loop waits
    # for the bot's next call rather than a number of rounds (the deadline only fails it).
    deadline = asyncio.get_running_loop().time() + 60
    while not (under(team, card, "photo") or notes(team, card, GIVEN_UP)):
        assert asyncio.get_running_loop().time() < deadline, [f.hits for f in faults]
        await run_job(team.bot, "moderation-sweep")
        await emu.idle(quiet=0.2, timeout=15)
        await emu.changed(0.5)
    await emu.idle(quiet=0.2, timeout=15)
    assert [f.hits for f in faults] == [2, 1, 2]
    assert len(under(team, card, "photo")) == 1
    assert not notes(team, card, GIVEN_UP)
    assert stored(db_path, f"SELECT post_failures FROM media WHERE feedback_id = {item}") == [
        (0,),
        (0,),
    ]


async def test_a_refusal_after_failures_is_said_as_a_refusal_once(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three 502s, then Telegram refuses the photo (400): one note saying it was refused,
    none saying Telegram kept failing, and no more tries."""
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    chat = team.group.id
    failing = emu.faults.server_error("sendPhoto", chat_id=chat, status=502, times=3)
    refusing = emu.faults.error(
        "sendPhoto",
        chat_id=chat,
        description="Bad Request: not enough rights to send photos",
        times=1,
    )
    _, card = await item_with_photo_and_voice(team, emu)
    while refusing.hits < 1:
        await sweep_tries(team, emu, [failing, refusing])
    for _ in range(3):
        await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.3, timeout=15)
    assert len(notes(team, card, REFUSED)) == 1, [(m.reply_to, m.text) for m in team.group.messages]
    assert not notes(team, card, GIVEN_UP)
    assert not under(team, card, "photo")


async def test_a_photo_given_up_goes_under_the_card_posted_anew(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given up after five failures; the card is deleted by hand and posted again from
    /queue while Telegram still fails the photo four more times: counted afresh under the
    new card, the fifth try there goes; no note under the new card says it will not."""
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    failing = emu.faults.server_error("sendPhoto", chat_id=team.group.id, status=502)
    item, card = await item_with_photo_and_voice(team, emu)
    while not notes(team, card, GIVEN_UP):
        assert failing.hits < CARD_ATTEMPTS
        await run_job(team.bot, "moderation-sweep")
        await emu.idle(quiet=0.2, timeout=15)
    emu.faults.remove(failing)
    again_failing = emu.faults.server_error(
        "sendPhoto", chat_id=team.group.id, status=502, times=CARD_ATTEMPTS - 1
    )
    below = {m.message_id for m in team.group.messages if m.reply_to == card.message_id}
    team.group.chat.deleted.update({card.message_id, *below})
    await say(team.sam, "/queue")
    await press_card(
        team.sam, team.group, team.sam.messages[-1], texts.QUEUE_POST.format(item=item)
    )

    def posted_again(messages: list[MessageView]) -> list[MessageView]:
        return [
            m
            for m in messages
            if (m.text or "").startswith(f"#{item} ") and m.message_id != card.message_id
        ]

    (again,) = posted_again(await team.group.wait_for(posted_again))
    for _ in range(CARD_ATTEMPTS + 2):
        if under(team, again, "photo"):
            break
        await run_job(team.bot, "moderation-sweep")
        await emu.idle(quiet=0.2, timeout=15)
    told = [m.text for m in team.group.messages if m.reply_to == again.message_id]
    assert not notes(team, again, GIVEN_UP), (again_failing.hits, told)
    assert again_failing.hits == CARD_ATTEMPTS - 1
    assert len(under(team, again, "photo")) == 1


async def test_a_refused_photo_whose_note_fails_is_said_at_the_next_sweep(
    team: Team, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram refuses the photo, and fails the note saying so (502): the refusal does not
    stand unsaid; a later sweep tries the photo again and, refused again, says so once."""
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    chat = team.group.id
    refusing = emu.faults.error(
        "sendPhoto", chat_id=chat, description="Bad Request: not enough rights to send photos"
    )
    note_failing = emu.faults.server_error(
        "sendMessage", chat_id=chat, status=502, times=1, text_contains=REFUSED
    )
    _, card = await item_with_photo_and_voice(team, emu)
    for _ in range(3):
        await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.3, timeout=15)
    assert (refusing.hits, note_failing.hits) == (2, 1)
    assert len(notes(team, card, REFUSED)) == 1
    assert not under(team, card, "photo")
