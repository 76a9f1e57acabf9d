"""The flood limiter keeps the bot under Telegram's limits, so 429s do not happen."""

from __future__ import annotations

import asyncio

from telegram.ext import ExtBot

from bot.ratelimit import FloodLimiter
from emulator import Emulator, Limits

TOKEN = "123456:TEST-token"


async def test_bursts_to_one_chat_and_one_group_get_no_429() -> None:
    limits = Limits(private_burst=3, private_rate=4.0, group_burst=4, group_period=0.9)
    async with Emulator(token=TOKEN, limits=limits) as emu:
        alice = emu.person("Alice")
        group = emu.group("Moderators", members=[alice])
        limiter = FloodLimiter(private_burst=3, group_per_minute=4, group_period=2.0)
        # The emulator refills faster than the limiter assumes, as Telegram may, by enough
        # that a request delayed on its way (a busy machine) still arrives in time; its
        # private pace is much faster, so this checks the private burst only.
        async with ExtBot(TOKEN, base_url=emu.api_url, rate_limiter=limiter) as bot:
            await asyncio.gather(
                *(bot.send_message(alice.id, f"private {n}") for n in range(5)),
                *(bot.send_message(group.id, f"group {n}") for n in range(7)),
                return_exceptions=True,
            )
    statuses = [c.status for c in emu.calls if c.method.lower() == "sendmessage"]
    assert statuses == [200] * 12
    assert sorted(m.text for m in alice.messages if m.text and m.text.startswith("private")) == [
        f"private {n}" for n in range(5)
    ]


async def test_a_429_is_waited_out_and_retried() -> None:
    # The emulator is stricter than the limiter believes: 429s come, and are retried.
    async with Emulator(token=TOKEN, limits=Limits(private_burst=1, private_rate=5.0)) as emu:
        alice = emu.person("Alice")
        async with ExtBot(TOKEN, base_url=emu.api_url, rate_limiter=FloodLimiter()) as bot:
            await asyncio.gather(*(bot.send_message(alice.id, f"m{n}") for n in range(3)))
    statuses = [c.status for c in emu.calls if c.method.lower() == "sendmessage"]
    assert 429 in statuses and statuses.count(200) == 3
    assert len(alice.messages) == 3
