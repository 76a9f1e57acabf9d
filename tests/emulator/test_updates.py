"""getUpdates long polling and webhook delivery behave like Telegram's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from emulator import Emulator, Limits
from tests.emulator.conftest import Raw


async def test_offset_confirms_updates_below_it(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    for text in ("one", "two", "three"):
        await alice.send(text)
    _, body = await raw("getUpdates")
    ids = [u["update_id"] for u in body["result"]]
    assert ids == [1, 2, 3]
    _, body = await raw("getUpdates", data={"offset": "3"})
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    assert emu.pending_updates == 1
    _, body = await raw("getUpdates", data={"offset": "4"})
    assert body["result"] == []
    assert emu.pending_updates == 0


async def test_negative_offset_keeps_only_the_newest(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    for text in ("a", "b", "c", "d"):
        await alice.send(text)
    _, body = await raw("getUpdates", data={"offset": "-2"})
    assert [u["message"]["text"] for u in body["result"]] == ["c", "d"]
    assert emu.pending_updates == 2


async def test_limit(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    for text in ("a", "b", "c"):
        await alice.send(text)
    _, body = await raw("getUpdates", data={"limit": "2"})
    assert len(body["result"]) == 2
    _, body = await raw("getUpdates", data={"limit": "0"})  # Telegram clamps to 1..100
    assert len(body["result"]) == 1


async def test_timeout_waits_then_returns_empty(raw: Raw) -> None:
    started = time.monotonic()
    status, body = await raw("getUpdates", data={"timeout": "1"})
    elapsed = time.monotonic() - started
    assert (status, body) == (200, {"ok": True, "result": []})
    assert elapsed >= 0.95


async def long_polling(emu: Emulator) -> None:
    """Wait until a getUpdates call is waiting in the emulator for updates."""

    async def waiting() -> None:
        while emu.poller is None or emu.poller.done():
            await emu.changed(1)

    await asyncio.wait_for(waiting(), 10)


async def test_long_poll_wakes_up_when_an_update_arrives(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    poll = asyncio.create_task(raw("getUpdates", data={"timeout": "60"}))
    await long_polling(emu)
    assert not poll.done()
    await alice.send("wake up")
    # Woken by the update: a poll that only looked again at its 60 s timeout never comes.
    _, body = await asyncio.wait_for(poll, 30)
    assert body["result"][0]["message"]["text"] == "wake up"


async def test_allowed_updates_are_remembered(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await raw("getUpdates", json={"allowed_updates": ["callback_query"]})
    await alice.send("not wanted")
    await alice.press_data(1, "wanted")
    # No allowed_updates this time: the previous setting still applies.
    _, body = await raw("getUpdates")
    assert [next(k for k in u if k != "update_id") for u in body["result"]] == ["callback_query"]
    await raw("getUpdates", json={"allowed_updates": []})  # back to the default set
    await alice.send("wanted again")
    emu.inject({"message_reaction": {"chat": alice.chat.api}})  # not in the default set
    _, body = await raw("getUpdates")
    kinds = [next(k for k in u if k != "update_id") for u in body["result"]]
    assert kinds == ["callback_query", "message"]


async def test_second_long_poll_terminates_the_first(raw: Raw, emu: Emulator) -> None:
    first = asyncio.create_task(raw("getUpdates", data={"timeout": "60"}))
    await long_polling(emu)
    second = asyncio.create_task(raw("getUpdates", data={"timeout": "1"}))
    status, body = await asyncio.wait_for(first, 30)
    assert status == 409
    assert body == {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: terminated by other getUpdates request; make sure that only "
        "one bot instance is running",
    }
    status, _ = await second
    assert status == 200


async def test_ptb_sees_conflict(bot: Bot, emu: Emulator) -> None:
    # A second bot instance with the same token: the situation this 409 exists for.
    waiting = asyncio.create_task(bot.get_updates(timeout=60))
    await long_polling(emu)
    async with Bot(emu.token, base_url=emu.api_url) as other:
        await other.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await waiting


async def test_redeliver_keeps_the_update_id(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await alice.send("once")
    _, body = await raw("getUpdates")
    first = body["result"][0]
    await raw("getUpdates", data={"offset": str(first["update_id"] + 1)})
    assert emu.pending_updates == 0
    emu.redeliver(first["update_id"])
    _, body = await raw("getUpdates")
    assert body["result"] == [first]
    with pytest.raises(KeyError):
        emu.redeliver(999)


async def test_inject_raw_update(raw: Raw, emu: Emulator) -> None:
    queued = emu.inject({"poll": {"id": "1"}})
    assert queued is not None and queued["update_id"] == 1
    _, body = await raw("getUpdates")
    assert body["result"] == [{"update_id": 1, "poll": {"id": "1"}}]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, Any], dict[str, str]]]]]:
    """An aiohttp server standing in for the bot's webhook; fails the first POST."""
    received: list[tuple[dict[str, Any], dict[str, str]]] = []
    state = {"fail_next": True}

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        if state["fail_next"]:
            state["fail_next"] = False
            return web.Response(status=500)
        received.append((body, dict(request.headers)))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retry(
    receiver: tuple[str, list[tuple[dict[str, Any], dict[str, str]]]],
) -> None:
    url, received = receiver
    limits = Limits(flood_control=False, webhook_retry_initial=0.05)
    async with Emulator(token="1:A", limits=limits) as emu:
        async with Bot("1:A", base_url=emu.api_url) as bot:
            alice = emu.person("Alice")
            assert await bot.set_webhook(url, secret_token="s3cr3t")
            await alice.send("hello hook")
            await alice.send("second")
            await emu.wait_delivered(timeout=30)
            texts = [body["message"]["text"] for body, _ in received]
            assert texts == ["hello hook", "second"]
            assert all(h["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t" for _, h in received)
            info = await bot.get_webhook_info()
            assert info.url == url
            assert info.pending_update_count == 0
            # The first POST got a 500 and was retried; Telegram reports that last error.
            assert (
                info.last_error_message
                == "Wrong response from the webhook: 500 Internal Server Error"
            )
            with pytest.raises(Conflict, match="webhook is active"):
                await bot.get_updates()
            assert await bot.delete_webhook()
            assert (await bot.get_webhook_info()).url == ""
            assert await bot.get_updates() == ()


async def test_webhook_url_must_be_https_unless_loopback(raw: Raw) -> None:
    status, body = await raw("setWebhook", data={"url": "http://example.com/hook"})
    assert status == 400
    assert (
        body["description"] == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )


async def test_get_updates_while_webhook_set_is_409(raw: Raw) -> None:
    await raw("setWebhook", data={"url": "http://127.0.0.1:9/hook"})
    status, body = await raw("getUpdates")
    assert status == 409
    assert body["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first"
    )


async def test_delete_webhook_can_drop_pending_updates(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await raw("setWebhook", data={"url": "http://127.0.0.1:9/hook"})  # nothing listens there
    await alice.send("lost")
    _, info = await raw("getWebhookInfo")
    assert info["result"]["pending_update_count"] == 1
    await raw("deleteWebhook", data={"drop_pending_updates": "true"})
    assert emu.pending_updates == 0
