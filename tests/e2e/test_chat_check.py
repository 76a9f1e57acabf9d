"""At start the bot says, one log line each, which chats of the deployment file it cannot
reach and what to do; a card it cannot post names the chat and the setting."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.config import Deployment
from emulator import Emulator
from tests.e2e.conftest import BotFactory
from tests.e2e.test_moderation import give

# The example deployment's made-up ids, which no chat has.
EXAMPLE_MODERATORS = -1001000000001
EXAMPLE_CULTURE = -1001000000010


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    """The messages logged at this level by the start-up check."""
    return [r.getMessage() for r in caplog.records if r.name == "bot.app" and r.levelno == level]


async def logged(caplog: pytest.LogCaptureFixture, check: Callable[[list[str]], bool]) -> None:
    """Wait until the log (all levels) satisfies `check` (the timeout only bounds a failure)."""
    async with asyncio.timeout(20):
        while not check([r.getMessage() for r in caplog.records]):  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def checked(messages: list[str]) -> bool:
    """The start-up check has gone through every chat."""
    return any("chats of the deployment file can be reached" in m for m in messages)


def with_chats(emu: Emulator, deployment: Deployment) -> Deployment:
    """The deployment with a real group for the moderators and for every provider's team."""
    providers = [
        p.model_copy(update={"chats": [emu.group(f"{p.name} team").id]})
        for p in deployment.providers
    ]
    return deployment.model_copy(
        update={"moderators_chat": emu.group("Moderators").id, "providers": providers}
    )


async def test_a_moderators_chat_that_does_not_exist_is_named_at_start(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    # The example file copied unchanged: its ids are made up.
    async with make_bot():
        await logged(caplog, checked)
    [moderators] = [m for m in lines(caplog) if m.startswith("moderators_chat")]
    assert f"moderators_chat {EXAMPLE_MODERATORS} cannot be reached (Chat not found)" in moderators
    assert "add the bot to the moderators' group, send /id there" in moderators
    assert "deployment file" in moderators


async def test_a_provider_chat_that_does_not_exist_is_named_at_start(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    real = with_chats(emu, deployment)
    # One team's chat left as the example had it.
    providers = [
        p.model_copy(update={"chats": [EXAMPLE_CULTURE]}) if p.id == "culture-leisure" else p
        for p in real.providers
    ]
    async with make_bot(deployment=real.model_copy(update={"providers": providers})):
        await logged(caplog, checked)
    [warning] = lines(caplog)
    assert warning.startswith(
        f"provider culture-leisure: chat {EXAMPLE_CULTURE} cannot be reached (Chat not found)"
    )
    assert "add the bot to the team's group, send /id there" in warning


async def test_no_line_when_every_chat_is_there(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    async with make_bot(deployment=with_chats(emu, deployment)):
        await logged(caplog, checked)
    assert lines(caplog) == []
    chats = 1 + sum(len(p.chats) for p in deployment.providers)
    assert f"all {chats} chats of the deployment file can be reached" in lines(caplog, logging.INFO)


async def test_a_moderators_group_the_bot_was_removed_from_is_named(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    real = with_chats(emu, deployment)
    moderators = emu.group("Riverside moderators")
    emu.remove_bot_from(moderators)
    async with make_bot(deployment=real.model_copy(update={"moderators_chat": moderators.id})):
        await logged(caplog, checked)
    [warning] = lines(caplog)
    assert warning.startswith(
        f"moderators_chat {moderators.id} cannot be reached (the bot is not a member)"
    )


async def test_telegram_not_answering_the_check_is_no_verdict_and_holds_nothing_up(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    # A proxy failing every look-up: nothing is known about the chats, so nothing is said.
    emu.faults.server_error("getChat", status=502)
    async with make_bot():
        citizen = emu.person("Cy")
        await citizen.send("/start")
        assert "Is that OK with you?" in ((await citizen.next_message()).text or "")
        await logged(caplog, checked)
    assert lines(caplog) == []
    assert any("not checked" in m for m in lines(caplog, logging.INFO))


async def test_a_card_not_posted_names_the_chat_and_the_setting(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.moderator")
    async with make_bot():
        item = await give(emu.person("Cy"), "Central Library", "The study room was freezing.")
        await logged(caplog, lambda ms: any(f"card of #{item} not posted" in m for m in ms))
    line = next(
        r.getMessage()
        for r in caplog.records
        if r.name == "handlers.moderator" and f"card of #{item} not posted" in r.getMessage()
    )
    assert f"to chat {EXAMPLE_MODERATORS} (moderators_chat in the deployment file)" in line
    assert "Chat not found" in line


async def test_a_look_up_that_hangs_holds_up_neither_replies_nor_the_stop(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    held = emu.faults.late("getChat", delay=120)
    async with asyncio.timeout(60):
        async with make_bot(YOUSAID_TELEGRAM_TIMEOUT=120):
            async with asyncio.timeout(20):
                while not held.hits:  # noqa: ASYNC110 (a counter: nothing to await)
                    await asyncio.sleep(0.05)
            # The check is waiting on Telegram; people are answered all the same.
            citizen = emu.person("Cy")
            await citizen.send("/start")
            assert "Is that OK with you?" in ((await citizen.next_message()).text or "")
        # Stopped without waiting for the look-up, and nothing said about the chat.
    assert lines(caplog) == []


async def test_command_menus_refused_at_start_leave_the_bot_serving(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.app")
    # Telegram (or a proxy) failing setMyCommands at start: one line, and the bot serves.
    emu.faults.server_error("setMyCommands", status=502)
    async with make_bot():
        citizen = emu.person("Cy")
        await citizen.send("/start")
        assert "Is that OK with you?" in ((await citizen.next_message()).text or "")
    assert any(m.startswith("the command menus were not registered") for m in lines(caplog))
