"""A Bot API server that takes its time (an independent one, or a proxy in between): the bot
waits for each answer rather than give up on calls that work, only slowly."""

from __future__ import annotations

from pathlib import Path

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import stored

STORY = "The heating in the study room was off all week and it was freezing in there"

# Slower than python-telegram-bot's habitual 5 s, as a server under load may be.
SLOW = 6.0


async def test_a_server_answering_in_six_seconds_is_waited_for(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    async with make_bot():
        bea = emu.person("Bea")
        await bea.send("/start")
        await bea.wait_for(lambda m: bool(m) and bool(m[-1].buttons), timeout=20)
        emu.latency = SLOW
        # Every call is slow: the long poll, the answer to the button, the edit.
        await bea.press(texts.CONSENT_YES)
        await bea.wait_for(lambda m: "Which service" in (m[-1].text or ""), timeout=60)
        await bea.press("Central Library")
        await bea.wait_for(lambda m: "What happened" in (m[-1].text or ""), timeout=60)
        await bea.send(STORY)
        await bea.wait_for(lambda m: "How would you rate" in (m[-1].text or ""), timeout=60)
        emu.latency = 0.0
        await emu.idle(quiet=0.5, timeout=60)
        said = [m.text or "" for m in bea.messages]
        assert not any(texts.ERROR in s for s in said), said
        # Each call was made once: none was given up on, then made again.
        assert len(emu.calls_to("editMessageText")) == 2, emu.calls_to("editMessageText")
        assert sum("How would you rate" in s for s in said) == 1, said
        assert stored(db_path, "SELECT text FROM conversations") == [(STORY,)]


async def test_a_server_refusing_command_scopes_still_gets_menus(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    # The first menu set at start is the citizens' one, scoped to private chats.
    refused = emu.faults.error(
        "setMyCommands", status=400, description="Bad Request: invalid scope", times=1
    )
    admin = emu.person("Ada")
    staffed = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(staffed):
        await admin.send("/id")
        await admin.wait_for(lambda m: bool(m), timeout=20)
        await emu.idle(quiet=0.3, timeout=20)
    assert refused.hits == 1
    default = emu.bot_commands.get(("default", None, None, ""), [])
    assert "start" in [c["command"] for c in default], emu.bot_commands
    # The menus after it are set all the same.
    admins = emu.bot_commands.get(("chat", admin.id, None, ""), [])
    assert "invite" in [c["command"] for c in admins], emu.bot_commands
