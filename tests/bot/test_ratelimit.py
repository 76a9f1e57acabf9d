"""The flood limiter keeps the bot under Telegram's limits, so 429s do not happen."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot

from bot.ratelimit import FloodLimiter, handling_update
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


async def test_a_429_holds_its_chat_so_nothing_else_is_sent_into_it() -> None:
    """Three messages to a group Telegram holds for 2 s: the first meets the 429, the others
    wait for the hold instead of meeting one each; another chat is not held."""
    async with Emulator(token=TOKEN, limits=Limits(flood_control=False)) as emu:
        alice = emu.person("Alice")
        group = emu.group("Moderators", members=[alice])
        flood = emu.faults.flood("sendMessage", chat_id=group.id, retry_after=2, lasting=True)
        limiter = FloodLimiter()
        async with ExtBot(TOKEN, base_url=emu.api_url, rate_limiter=limiter) as bot:
            first = asyncio.create_task(bot.send_message(group.id, "group 0"))
            while not flood.hits:  # noqa: ASYNC110 - a counter of the emulator's
                await asyncio.sleep(0.01)
            others = [asyncio.create_task(bot.send_message(group.id, f"group {n}")) for n in (1, 2)]
            await bot.send_message(alice.id, "meanwhile")
            assert not first.done() and limiter.held(group.id) > 0
            await asyncio.gather(first, *others)
    assert flood.hits == 1
    assert sorted(m.text or "" for m in group.messages) == ["group 0", "group 1", "group 2"]
    assert [m.text for m in alice.messages] == ["meanwhile"]


async def test_an_update_is_not_held_behind_its_groups_long_429() -> None:
    """While handling an update, a message to a group held for long goes back at once as a
    429 (the group's next updates must not wait for it); a private chat's is waited for,
    and so is any message outside an update."""
    async with Emulator(token=TOKEN, limits=Limits(flood_control=False)) as emu:
        alice = emu.person("Alice")
        group = emu.group("Moderators", members=[alice])
        emu.faults.flood("sendMessage", chat_id=group.id, retry_after=30, lasting=True)
        limiter = FloodLimiter()
        async with ExtBot(TOKEN, base_url=emu.api_url, rate_limiter=limiter) as bot:
            with handling_update():
                with pytest.raises(RetryAfter):
                    await bot.send_message(group.id, "first")
                assert limiter.held(group.id) > 25
                with pytest.raises(RetryAfter):
                    await bot.send_message(group.id, "second")
                await bot.send_message(alice.id, "private")
            outside = asyncio.create_task(bot.send_message(group.id, "outside"))
            await asyncio.sleep(0.2)
            assert not outside.done()
            limiter.stop_waiting()
            with pytest.raises(RetryAfter):
                await outside
    assert [c.status for c in emu.calls if c.method.lower() == "sendmessage"] == [429, 200]
