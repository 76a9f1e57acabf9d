"""An update python-telegram-bot cannot read (Update.de_json raises: a shape newer than
this library) is skipped and confirmed, as before; where it came from a private chat, the
person is told kindly, in their language, once for that update, that the bot could not
read their message and is asked to send it again as text. Polling and the webhook alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Group, Person
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import consent, press
from tests.e2e.test_languages import t, with_languages
from tests.e2e.test_webhook import hooked as hooked  # the fixture
from tests.e2e.test_webhook import port as port  # the fixture


def unreadable(emu: Emulator, person: Person, chat: Group | None = None) -> dict[str, Any]:
    """A photo in a shape this library cannot read (its sizes lack what it requires)."""
    where = chat.chat if chat is not None else person.chat
    message = emu.store_message(where, dict(person.user), {"photo": [{"file_id": "x"}]})
    queued = emu.inject({"message": message})
    assert queued is not None
    return queued


def told(person: Person, text: str) -> int:
    return sum((m.text or "") == text for m in person.messages)


async def test_a_message_that_cannot_be_read_is_answered_once_and_skipped(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ann, bob = emu.person("Ann"), emu.person("Bob")
    sent = unreadable(emu, ann)
    assert (await ann.next_message()).text == texts.UNREADABLE_UPDATE
    # Telegram delivers it again (a lost confirmation): not told twice.
    emu.redeliver(sent["update_id"])
    await emu.idle(quiet=0.5)
    assert told(ann, texts.UNREADABLE_UPDATE) == 1
    assert emu.pending_updates == 0
    # Nothing stopped: she carries on, and so does everyone else.
    await consent(ann)
    assert "What happened" in await press(ann, "Parks and green spaces")
    await consent(bob)


async def test_in_a_group_an_unreadable_message_gets_no_answer(
    bot: YousaidBot, emu: Emulator
) -> None:
    ann, ben = emu.person("Ann"), emu.person("Ben")
    neighbours = emu.group("Elm Road neighbours", [ann, ben])
    emu.add_bot_to(neighbours, by=ben)
    await emu.idle(quiet=0.3)
    before = list(neighbours.chat.bot_message_ids)
    unreadable(emu, ann, neighbours)
    await emu.idle(quiet=0.5)
    assert neighbours.chat.bot_message_ids == before
    assert told(ann, texts.UNREADABLE_UPDATE) == 0
    await consent(ann)


async def test_it_is_said_in_the_persons_language(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    welsh = with_languages(deployment, ["en", "cy"], {})
    async with make_bot(deployment=welsh):
        rhys = emu.person("Rhys", language_code="cy")
        unreadable(emu, rhys)
        wanted = t("cy", "UNREADABLE_UPDATE")
        assert wanted != texts.UNREADABLE_UPDATE
        assert (await rhys.next_message()).text == wanted


async def test_over_the_webhook_it_is_answered_once_too(hooked: YousaidBot, emu: Emulator) -> None:
    ann = emu.person("Ann")
    sent = unreadable(emu, ann)
    assert (await ann.next_message()).text == texts.UNREADABLE_UPDATE
    emu.redeliver(sent["update_id"])
    await emu.idle(quiet=0.5)
    assert told(ann, texts.UNREADABLE_UPDATE) == 1
    await consent(ann)
    assert "What happened" in await press(ann, "Parks and green spaces")
