"""/mine while a citizen is in the middle of telling something, and edits before agreeing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Person
from handlers import texts
from tests.conftest import connect
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import press_on


async def say(person: Person, text: str) -> str:
    """Send text; return the text of the bot's reply."""
    await person.send(text)
    return (await person.next_message()).text or ""


async def press(person: Person, label: str) -> str:
    """Press a button; return the text the pressed message now shows."""
    before = [(m.message_id, m.text) for m in person.messages]
    answer = await (await person.press(label)).answered()
    assert answer is not None
    await person.wait_for(lambda msgs: [(m.message_id, m.text) for m in msgs] != before)
    return person.messages[-1].text or ""


async def test_mine_mid_conversation_says_nothing_is_saved_yet(
    bot: YousaidBot, emu: Emulator
) -> None:
    alice = emu.person("Alice")
    assert "Is that OK with you?" in await say(alice, "/start")
    await press(alice, texts.CONSENT_YES)
    assert "What happened" in await press(alice, "Central Library")
    mine = await say(alice, "/mine")
    assert mine == texts.MINE_TELLING
    assert "/start" not in mine
    # Her conversation goes on where it was.
    reply = await say(alice, "The study room was far too cold and the heating was off again")
    assert "How would you rate it" in reply


async def test_mine_before_agreeing_with_words_waiting(bot: YousaidBot, emu: Emulator) -> None:
    nell = emu.person("Nell")
    assert "Is that OK" in await say(nell, "The buses were late every morning this week")
    assert await say(nell, "/mine") == texts.MINE_TELLING


async def test_mine_with_nothing_told_still_invites_to_start(
    bot: YousaidBot, emu: Emulator
) -> None:
    bob = emu.person("Bob")
    assert await say(bob, "/mine") == texts.MINE_EMPTY


@pytest.mark.parametrize("on", ["first question", "newest question"])
async def test_an_edit_before_agreeing_is_taken(
    bot: YousaidBot, emu: Emulator, db_path: Path, on: str
) -> None:
    nell = emu.person("Nell")
    sent = await nell.send("The buses were late every morning")
    first = await nell.next_message()
    assert [texts.CONSENT_YES, texts.CONSENT_NO] in first.buttons
    await nell.edit(sent, "The number 7 buses were late every morning this week")
    told = await nell.next_message()
    assert (told.text or "").startswith(texts.EDITED_BEFORE_CONSENT)
    assert [texts.CONSENT_YES, texts.CONSENT_NO] in told.buttons
    await press_on(nell, first if on == "first question" else told, texts.CONSENT_YES)
    await nell.wait_for(lambda msgs: any("Which service" in (m.text or "") for m in msgs))
    with connect(db_path) as conn:
        rows = conn.execute("SELECT text FROM conversations").fetchall()
    assert rows == [("The number 7 buses were late every morning this week",)]


async def test_an_edit_before_agreeing_then_typed_yes(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    nell = emu.person("Nell")
    sent = await nell.send("The buses were late every morning")
    await nell.next_message()
    await nell.edit(sent, "The number 7 buses were late every morning this week")
    await nell.next_message()
    assert "Which service" in await say(nell, "yes")
    with connect(db_path) as conn:
        rows = conn.execute("SELECT text FROM conversations").fetchall()
    assert rows == [("The number 7 buses were late every morning this week",)]


async def test_an_edit_at_the_language_question_is_taken(
    make_bot: BotFactory, deployment: Deployment, emu: Emulator, db_path: Path
) -> None:
    """Where the language question comes first, the edit is taken all the same."""
    offered = deployment.model_copy(update={"languages": ["en", "cy"]})
    async with make_bot(deployment=offered):
        emu.person("Admin")
        nia = emu.person("Nia", language_code="en")
        sent = await nia.send("The buses were late every morning")
        await nia.next_message()
        await nia.edit(sent, "The number 7 buses were late every morning this week")
        await emu.idle()
        await press(nia, "✓ English")
        await press(nia, texts.CONSENT_YES)
        with connect(db_path) as conn:
            rows = conn.execute("SELECT text FROM conversations").fetchall()
        assert rows == [("The number 7 buses were late every morning this week",)]
