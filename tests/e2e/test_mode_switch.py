"""Polling after webhook mode was used: Telegram still has the webhook, and refuses
getUpdates (409) until it is deleted; the bot deletes it, says so once, and serves."""

from __future__ import annotations

import logging

import pytest

from bot.app import YousaidBot
from emulator import Emulator
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import say
from tests.e2e.test_webhook import SECRET, free_port, port, until, webhook_settings

__all__ = ["port"]  # a fixture, used by name


async def test_a_webhook_left_at_telegram_is_deleted_to_poll(
    emu: Emulator, bot: YousaidBot, caplog: pytest.LogCaptureFixture
) -> None:
    alice = emu.person("Alice")
    assert "Is that OK with you?" in await say(alice, "/start")
    # An earlier webhook deployment (its instances gone) left the webhook set.
    dead = f"http://127.0.0.1:{free_port()}/telegram"
    await emu.webhook.set({"url": dead, "secret_token": SECRET})
    await emu.idle(quiet=0.3)
    seen = len(alice.messages)
    await alice.send("/start")
    await until(lambda: len(alice.messages) > seen)
    assert len(emu.calls_to("deleteWebhook")) == 1
    assert not emu.webhook.url
    said = [r for r in caplog.records if r.levelno >= logging.WARNING and "webhook" in r.message]
    assert len(said) == 1, said


async def test_webhook_mode_again_right_after_polling_sets_the_webhook(
    emu: Emulator, make_bot: BotFactory, port: int
) -> None:
    async with make_bot(**webhook_settings(port)):
        assert emu.webhook.url
    async with make_bot():
        alice = emu.person("Alice")
        assert "Is that OK with you?" in await say(alice, "/start")
        assert not emu.webhook.url
    async with make_bot(**webhook_settings(port)):
        assert emu.webhook.url.endswith("/telegram")
        assert "Is that OK with you?" in await say(alice, "/start")
