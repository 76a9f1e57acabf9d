"""Webhook delivery at scale: many chats at once, one POST per chat, in order, retried."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot

from emulator import Emulator, Limits
from emulator.webhook import chat_key
from tests.emulator.conftest import TOKEN
from tests.emulator.servers import serve, until


class Holding:
    """A webhook backend that holds every POST until released, counting those in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.received: list[dict[str, Any]] = []
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        """Record the update, then hold the answer until `release`."""
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            self.received.append(await request.json())
            await self.release.wait()
        finally:
            self.in_flight -= 1
        return web.Response(text="ok")


@pytest.mark.parametrize(("max_connections", "held"), [(None, 6), (3, 3), (1, 1)])
async def test_several_chats_are_in_flight_at_once_up_to_max_connections(
    emu: Emulator, bot: Bot, max_connections: int | None, held: int
) -> None:
    backend = Holding()
    async with serve(backend.handle) as url:
        people = [emu.person(f"Citizen {n}") for n in range(6)]
        if max_connections is None:
            assert await bot.set_webhook(f"{url}/hook")  # Telegram's default: 40
        else:
            assert await bot.set_webhook(f"{url}/hook", max_connections=max_connections)
        for person in people:
            await person.send("hello")
        # The backend answers nothing until `held` POSTs are open at once.
        await until(lambda: backend.in_flight == held)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 6
        assert info.max_connections == (max_connections or 40)
        assert backend.in_flight == held
        backend.release.set()
        await emu.wait_delivered(timeout=10)
    assert backend.peak == held
    assert sorted(u["update_id"] for u in backend.received) == list(range(1, 7))
    assert emu.webhook.deliveries == [(u["update_id"], 200) for u in backend.received]


async def test_a_failing_chat_waits_in_order_while_other_chats_go_on(
    emu: Emulator, bot: Bot
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    attempts: list[tuple[str, int, int]] = []  # (text, update_id, status answered)
    bob_seen = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        message = update["message"]
        if message["chat"]["id"] == alice.id:
            tries = sum(1 for _, uid, _ in attempts if uid == update["update_id"])
            if tries == 0 and message["text"] == "a1":
                attempts.append((message["text"], update["update_id"], 500))
                return web.Response(status=500)
            # Alice's retry is answered only once Bob got through: he must not wait for her.
            await bob_seen.wait()
        else:
            bob_seen.set()
        attempts.append((message["text"], update["update_id"], 200))
        return web.Response(text="ok")

    async with serve(hook) as url:
        assert await bot.set_webhook(f"{url}/hook")
        await alice.send("a1")
        await alice.send("a2")
        await bob.send("b1")
        await emu.wait_delivered(timeout=10)
    alice_attempts = [(text, status) for text, _, status in attempts if text.startswith("a")]
    assert alice_attempts == [("a1", 500), ("a1", 200), ("a2", 200)]
    # The redelivered update kept its update_id.
    a1_ids = {uid for text, uid, _ in attempts if text == "a1"}
    assert len(a1_ids) == 1
    texts = [text for text, _, status in attempts if status == 200]
    assert texts.index("b1") < texts.index("a1")
    assert [status for uid, status in emu.webhook.deliveries if uid in a1_ids] == [500, 200]
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_a_post_that_times_out_is_retried() -> None:
    limits = Limits(flood_control=False, webhook_timeout=0.2, webhook_retry_initial=0.02)
    never = asyncio.Event()
    posts = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal posts
        posts += 1
        if posts == 1:
            await never.wait()  # no answer: the emulator gives up after webhook_timeout
        return web.Response(text="ok")

    async with serve(hook) as url, Emulator(token=TOKEN, limits=limits) as emu:
        async with Bot(TOKEN, base_url=emu.api_url) as bot:
            assert await bot.set_webhook(f"{url}/hook")
            await emu.person("Alice").send("slow")
            await emu.wait_delivered(timeout=10)
            info = await bot.get_webhook_info()
        never.set()
    assert [status for _, status in emu.webhook.deliveries] == ["TimeoutError", 200]
    assert info.last_error_message == "Read timeout expired"


async def test_delete_webhook_leaves_unconfirmed_updates_for_get_updates(
    emu: Emulator, bot: Bot
) -> None:
    backend = Holding()
    async with serve(backend.handle) as url:
        assert await bot.set_webhook(f"{url}/hook")
        await emu.person("Alice").send("cut short")
        await until(lambda: backend.in_flight == 1)
        assert await bot.delete_webhook()
        backend.release.set()
        updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [backend.received[0]["update_id"]]
    assert updates[0].message is not None and updates[0].message.text == "cut short"


async def test_wait_delivered_times_out_while_the_webhook_fails(emu: Emulator, bot: Bot) -> None:
    async def hook(request: web.Request) -> web.Response:
        return web.Response(status=503)

    async with serve(hook) as url:
        assert await bot.set_webhook(f"{url}/hook")
        await emu.person("Alice").send("refused")
        with pytest.raises(TimeoutError, match="503 Service Unavailable"):
            await emu.wait_delivered(timeout=2)


GROUP_MESSAGE = {"chat": {"id": -5}}


@pytest.mark.parametrize(
    ("update", "key"),
    [
        ({"update_id": 1, "message": {"chat": {"id": -5}, "from": {"id": 7}}}, -5),
        ({"update_id": 2, "callback_query": {"from": {"id": 7}, "message": GROUP_MESSAGE}}, -5),
        ({"update_id": 3, "callback_query": {"from": {"id": 7}, "inline_message_id": "x"}}, 7),
        ({"update_id": 4, "poll_answer": {"user": {"id": 7}}}, 7),
        ({"update_id": 5, "poll": {"id": "p"}}, ("update", 5)),
    ],
)
def test_updates_queue_by_chat_then_user(update: dict[str, Any], key: object) -> None:
    assert chat_key(update) == key
