"""A photo's Approve or Keep back pressed as soon as its message is in the moderators' chat,
before its poster has recorded which message carries it (Telegram's answer to sendPhoto
held by the emulator): the press is taken, on one instance or on another sharing one
PostgreSQL database (the message is shown as the photo's own: the bot's photo under the
item's card, with its buttons); a press from a message not shown as the photo's waits for
the record, and one that cannot wait long enough is told to press again."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

import bot.attachments
from bot.config import Deployment
from emulator import Emulator, Fault, Group, MessageView, Person
from handlers import texts
from storage import media
from tests.conftest import FakeClock, PgTarget
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import consent, press, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved
from tests.e2e.test_media_instances import two_instances
from tests.e2e.test_moderation import Team, card_of, invite, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_webhook import until

# Long enough for the test to press and look, short of the bot's patience with Telegram's
# answers in the `team` fixture (it would send the photo again).
HOLD = 8.0
BY_SAM = texts.PHOTO_STATUS["approved"].format(who="\u2068Sam\u2069")


def not_found_yet(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set once the bot has looked for the pressed message among a photo's recorded ones and
    not found it (its poster has not recorded it yet)."""
    looked = asyncio.Event()
    carried_by = media.carried_by

    async def spy(conn: aiosqlite.Connection, *args: Any) -> bool:
        found = await carried_by(conn, *args)
        if not found:
            looked.set()
        return found

    monkeypatch.setattr(media, "carried_by", spy)
    return looked


async def held_photo(
    emu: Emulator, group: Group, citizen: Person
) -> tuple[int, MessageView, Fault]:
    """A citizen's item with a photo whose sendPhoto to the moderators' chat has taken effect
    and whose answer the emulator holds: (item, the photo's message, the held fault)."""
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    held = emu.faults.late("sendPhoto", delay=HOLD, chat_id=group.id, times=1)
    item = await saved(citizen)
    card = await card_of(group, item)

    def photos() -> list[MessageView]:
        return [m for m in group.messages if m.reply_to == card.message_id and m.photo]

    await group.wait_for(lambda _: held.hits == 1 and len(photos()) == 1)
    return item, photos()[0], held


def recorded(db_path: Path, item: int) -> int:
    rows = stored(
        db_path,
        "SELECT COUNT(*) FROM media_messages x JOIN media m ON m.id = x.media_id"
        f" WHERE m.feedback_id = {item}",
    )
    return int(rows[0][0])  # type: ignore[call-overload]


async def test_a_photo_approved_before_its_message_is_recorded_is_approved_once_it_is(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked = not_found_yet(monkeypatch)
    item, photo, held = await held_photo(emu, team.group, team.citizen)
    assert recorded(db_path, item) == 0
    pressed = await team.sam.press_data(
        photo.message_id, buttons_of(photo)[texts.PHOTO_APPROVE], chat=team.group
    )
    # The bot has the press, and no record of the message yet: now its poster records it.
    await asyncio.wait_for(looked.wait(), HOLD)
    held.release()
    assert (await pressed.answered(timeout=15)).get("text") is None
    await team.group.wait_for(lambda _: BY_SAM in (photo.text or ""))
    assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [
        ("approved",)
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'photo.approved'") == [(1,)]


async def test_a_photo_pressed_while_its_message_stays_unrecorded_is_taken_at_once(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pressed message is the bot's own photo under the item's card, with this photo's
    buttons: taken as the photo's without waiting for its poster's record (none waits
    here), which then finds it recorded; no second copy is posted or taken back."""
    monkeypatch.setattr(bot.attachments, "PRESS_WAITS", 0.0)
    item, photo, held = await held_photo(emu, team.group, team.citizen)
    answer = await press_card(team.sam, team.group, photo, texts.PHOTO_REJECT)
    assert answer.get("text") is None
    await team.group.wait_for(lambda _: "kept back by \u2068Sam\u2069" in (photo.text or ""))
    assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [
        ("rejected",)
    ]
    held.release()
    await until(
        lambda: (
            stored(db_path, f"SELECT posting_since FROM media WHERE feedback_id = {item}")
            == [(None,)]
        )
    )
    assert recorded(db_path, item) == 1
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
    assert not photo.deleted


async def test_a_press_from_another_message_on_a_photo_on_its_way_asks_to_press_again(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press naming the photo from a message that is not shown as its own (here the
    card): it may be the photo's, its poster not having recorded it yet, so the moderator
    is told to press again once the record cannot be waited for; nothing is decided. Once
    recorded, the photo's own message is the only one taken."""
    monkeypatch.setattr(bot.attachments, "PRESS_WAITS", 0.0)
    item, photo, held = await held_photo(emu, team.group, team.citizen)
    card = await card_of(team.group, item)
    data = buttons_of(photo)[texts.PHOTO_REJECT]
    pressed = await team.sam.press_data(card.message_id, data, chat=team.group)
    assert (await pressed.answered()).get("text") == texts.MOD_PROBLEMS["photo_on_its_way"]
    assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [("pending",)]
    held.release()
    await until(lambda: recorded(db_path, item) == 1)
    pressed = await team.sam.press_data(card.message_id, data, chat=team.group)
    assert (await pressed.answered()).get("text") == texts.MOD_PROBLEMS["no_such_item"]
    assert (await press_card(team.sam, team.group, photo, texts.PHOTO_REJECT)).get("text") is None
    await team.group.wait_for(lambda _: "kept back by \u2068Sam\u2069" in (photo.text or ""))


@pytest.mark.postgres_only
async def test_a_photo_approved_on_another_instance_before_its_poster_records_it(
    emu: Emulator,
    db_path: Path,
    deployment: Deployment,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two instances share a PostgreSQL database: the press reaches the one that did not
    post the photo, which cannot be woken by its poster and looks for the record again."""
    assert isinstance(db_path, PgTarget)
    looked = not_found_yet(monkeypatch)
    admin, sam, citizen = (emu.person(n) for n in ("Ada", "Sam", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with two_instances(emu, db_path, staffed, clock) as route:
        route.to(0)
        assert "now a moderator" in await invite(admin, sam, "moderator")
        item, photo, held = await held_photo(emu, group, citizen)
        route.to(1)
        pressed = await sam.press_data(
            photo.message_id, buttons_of(photo)[texts.PHOTO_APPROVE], chat=group
        )
        await asyncio.wait_for(looked.wait(), HOLD)
        held.release()
        assert (await pressed.answered(timeout=15)).get("text") is None
        await group.wait_for(lambda _: BY_SAM in (photo.text or ""))
        assert stored(db_path, f"SELECT status FROM media WHERE feedback_id = {item}") == [
            ("approved",)
        ]
