"""A citizen's photo posted twice under its card: Telegram took the bot's sendPhoto but
answered after the bot stopped waiting (the emulator holds the answer past its time-out),
so the bot sent it again and recorded only the second copy. A moderator's press on the
first copy is taken as a press on the photo (its message is the bot's own photo, under the
item's card, carrying that photo's buttons), and the other copy goes: the moderators keep
one working copy, and /forget takes it back. A press whose buttons are not the photo's
own, from whatever message, still decides nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Fault, Group, MessageView, Person
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import consent, press, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation_faults import _team
from tests.e2e.test_webhook import until

# The bot's patience with Telegram's answers here (seconds): a sendPhoto held longer is
# taken as failed, and sent again.
PATIENCE = 5
# How long the emulator holds an answer it is told to hold (released by the test first).
HOLD = 120
BY_SAM = texts.PHOTO_STATUS["approved"].format(who="\u2068Sam\u2069")


@pytest.fixture
async def team(make_bot: BotFactory, emu: Emulator, deployment: Deployment) -> AsyncIterator[Team]:
    async for made in _team(make_bot, emu, deployment, YOUSAID_TELEGRAM_TIMEOUT=PATIENCE):
        yield made


def photos_under(group: Group, card: MessageView) -> list[MessageView]:
    """The photos under a card in the moderators' chat, as they are now, oldest first."""
    return [m for m in group.messages if m.reply_to == card.message_id and m.photo]


def ids_under(group: Group, card: MessageView) -> list[int]:
    return [m.message_id for m in photos_under(group, card)]


def recorded(db_path: Path, item: int) -> list[int]:
    """The messages recorded as carrying the item's photos."""
    rows = stored(
        db_path,
        "SELECT x.message_id FROM media_messages x JOIN media m ON m.id = x.media_id"
        f" WHERE m.feedback_id = {item} ORDER BY x.message_id",
    )
    return [int(r[0]) for r in rows]  # type: ignore[call-overload]


def photo_ids(db_path: Path, item: int) -> list[int]:
    rows = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item} ORDER BY id")
    return [int(r[0]) for r in rows]  # type: ignore[call-overload]


async def item_with_photos(citizen: Person, photos: int = 1) -> int:
    """A citizen's item with this many photos (the first with the words)."""
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    for colour in ("blue", "green")[: photos - 1]:
        await reply_to(citizen, citizen.send_photo(gps_photo(colour)))
    return await saved(citizen)


async def posted_twice(
    team: Team, emu: Emulator, db_path: Path, photos: int = 1
) -> tuple[int, MessageView, list[MessageView], Fault]:
    """An item whose first photo went to the moderators' chat twice, the first copy not
    recorded (its answer held past the bot's time-out): (item, card, the photos under the
    card oldest first, the fault holding the first answer)."""
    held = emu.faults.late("sendPhoto", delay=HOLD, chat_id=team.group.id, times=1)
    item = await item_with_photos(team.citizen, photos)
    card = await card_of(team.group, item)
    await team.group.wait_for(
        lambda _: len(photos_under(team.group, card)) == photos + 1, timeout=3 * PATIENCE
    )
    await until(lambda: len(recorded(db_path, item)) == photos, timeout=3 * PATIENCE)
    under = photos_under(team.group, card)
    assert held.hits == 1
    # The first copy is the one nobody recorded; the second is the first photo's too.
    assert under[0].message_id not in recorded(db_path, item)
    assert buttons_of(under[0]) == buttons_of(under[1])
    return item, card, under, held


async def test_a_press_on_the_first_copy_decides_the_photo_and_one_copy_is_left(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    item, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        answer = await press_card(team.sam, team.group, first, texts.PHOTO_APPROVE)
        assert answer.get("text") is None
        await team.group.wait_for(lambda _: BY_SAM in (first.text or ""))
        # The copy nobody pressed goes; the pressed one is the photo's from now on.
        await team.group.wait_for(lambda _: second.deleted)
        assert ids_under(team.group, card) == [first.message_id]
        assert recorded(db_path, item) == [first.message_id]
        assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [
            ("approved",)
        ]
        assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'photo.approved'") == [
            (1,)
        ]
        # It works as any photo's message: pressed again, it keeps the photo back.
        answer = await press_card(team.mo, team.group, first, texts.PHOTO_REJECT)
        assert answer.get("text") is None
        await team.group.wait_for(lambda _: "kept back by \u2068Mo\u2069" in (first.text or ""))
        assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
    finally:
        held.release()


async def test_forget_takes_back_the_copy_a_moderator_pressed(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    _, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        await press_card(team.sam, team.group, first, texts.PHOTO_REJECT)
        await team.group.wait_for(lambda _: second.deleted and "kept back" in (first.text or ""))
        citizen = team.citizen
        await citizen.send("/forget")
        await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
        await press(citizen, texts.FORGET_ALL)
        await team.group.wait_for(lambda _: first.deleted, timeout=15)
        assert ids_under(team.group, card) == []
        assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
        assert stored(db_path, "SELECT COUNT(*) FROM media_messages") == [(0,)]
    finally:
        held.release()


async def test_a_press_whose_buttons_are_not_the_photos_own_decides_nothing(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Forged buttons: the card, the second photo's message and the unrecorded copy of the
    first photo each sent with the data of a photo that is not theirs."""
    item, card, under, held = await posted_twice(team, emu, db_path, photos=2)
    try:
        first_copy, _, other = under
        one, two = photo_ids(db_path, item)
        kept_before = recorded(db_path, item)
        forged = [
            (card, f"y:{one}:a"),
            (other, f"y:{one}:a"),
            (first_copy, f"y:{two}:a"),
            (first_copy, f"y:{one}:x"),
        ]
        for message, data in forged:
            pressed = await team.sam.press_data(message.message_id, data, chat=team.group)
            answer = await pressed.answered()
            assert answer.get("text") in (
                texts.MOD_PROBLEMS["no_such_item"],
                texts.MOD_PROBLEMS["stale"],
            ), (message.message_id, data)
        assert stored(
            db_path, f"SELECT status FROM media WHERE feedback_id = {item} ORDER BY id"
        ) == [("pending",), ("pending",)]
        assert recorded(db_path, item) == kept_before
        assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
        assert ids_under(team.group, card) == [m.message_id for m in under]
        # Its own buttons, pressed, are taken.
        await press_card(team.sam, team.group, first_copy, texts.PHOTO_APPROVE)
        await team.group.wait_for(lambda _: BY_SAM in (first_copy.text or ""))
        await team.group.wait_for(lambda _: len(photos_under(team.group, card)) == 2)
    finally:
        held.release()


async def test_a_copy_answered_after_the_first_copy_was_pressed_is_taken_back(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """The first copy pressed while the second is on its way (its answer held too): the
    second, once Telegram answers, finds the photo has its copy, and goes."""
    held = emu.faults.late("sendPhoto", delay=HOLD, chat_id=team.group.id, times=1)
    second_held = emu.faults.late("sendPhoto", delay=HOLD, chat_id=team.group.id, times=1)
    try:
        item = await item_with_photos(team.citizen)
        card = await card_of(team.group, item)
        await team.group.wait_for(
            lambda _: second_held.hits == 1 and len(photos_under(team.group, card)) == 2,
            timeout=3 * PATIENCE,
        )
        first, second = photos_under(team.group, card)
        assert recorded(db_path, item) == []
        pressed = await team.sam.press_data(
            first.message_id, buttons_of(first)[texts.PHOTO_APPROVE], chat=team.group
        )
        # Taken at once, without waiting for either sending's answer.
        assert (await asyncio.wait_for(pressed.answered(), PATIENCE)).get("text") is None
        second_held.release()
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        assert BY_SAM in (first.text or "")
        assert ids_under(team.group, card) == [first.message_id]
        assert recorded(db_path, item) == [first.message_id]
    finally:
        held.release()
        second_held.release()


async def test_a_press_on_the_copy_just_taken_back_decides_the_photo_shown_on_the_other(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam's press kept the first copy and the second went; Mo had pressed Keep back on the
    second just before it went (Telegram sends his press after). His copy is never the
    photo's again: his decision is the photo's, shown on the copy that stays, and he is
    told so."""
    item, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        keep_back = buttons_of(second)[texts.PHOTO_REJECT]
        await press_card(team.sam, team.group, first, texts.PHOTO_APPROVE)
        await team.group.wait_for(lambda _: second.deleted and BY_SAM in (first.text or ""))
        pressed = await team.mo.press_data(second.message_id, keep_back, chat=team.group)
        answer = await pressed.answered()
        assert answer.get("text") == texts.MOD_PROBLEMS["photo_other_copy"]
        await team.group.wait_for(lambda _: "kept back by \u2068Mo\u2069" in (first.text or ""))
        assert ids_under(team.group, card) == [first.message_id]
        assert recorded(db_path, item) == [first.message_id]
        assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [
            ("rejected",)
        ]
    finally:
        held.release()


@pytest.mark.parametrize("refused", [False, True])
async def test_a_leftover_copy_of_a_forgotten_photo_goes_when_pressed_and_the_presser_is_told(
    team: Team, emu: Emulator, db_path: Path, refused: bool
) -> None:
    """/forget took back the recorded copy; the copy recorded nowhere stays until pressed:
    then it goes (its caption says its author asked, where Telegram refuses to delete it), and
    the moderator is told why. The same data pressed from the card's message (gone with
    /forget: not the bot's photo message) takes nothing down."""
    _, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        data = buttons_of(first)[texts.PHOTO_APPROVE]
        citizen = team.citizen
        await citizen.send("/forget")
        await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
        await press(citizen, texts.FORGET_ALL)
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        on_card = await team.sam.press_data(card.message_id, data, chat=team.group)
        assert (await on_card.answered()).get("text") == texts.MOD_PROBLEMS["no_such_item"]
        if refused:
            emu.faults.error(
                "deleteMessage",
                chat_id=team.group.id,
                description="Bad Request: message can't be deleted",
            )
        pressed = await team.sam.press_data(first.message_id, data, chat=team.group)
        answer = await pressed.answered()
        assert answer.get("text") == texts.MOD_PROBLEMS["photo_gone"]
        if refused:
            await team.group.wait_for(
                lambda _: texts.REMOVED_BY_AUTHOR in (first.text or ""), timeout=15
            )
            assert not buttons_of(first)
        else:
            await team.group.wait_for(lambda _: first.deleted, timeout=15)
        await until(
            lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)],
            timeout=15,
        )
    finally:
        held.release()
