"""The round-robin proxy: requests pass through unchanged, in turn; a dead backend is a 502."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot

from emulator import Emulator, RoundRobinProxy
from emulator.webhook import SECRET_HEADER
from tests.emulator.servers import Handler, free_port, resetting, serve, until


def echo(name: str) -> Handler:
    """A backend that answers 201 with what it received and its own name."""

    async def handle(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "backend": name,
                "method": request.method,
                "path_qs": request.path_qs,
                "secret": request.headers.get(SECRET_HEADER),
                "body": (await request.read()).decode(),
            },
            status=201,
            headers={"X-Backend": name},
        )

    return handle


def accepting(name: str, accepted: list[tuple[str, dict[str, Any]]]) -> Handler:
    """A bot process: accepts every update whose secret header is right, noting who took it."""

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != "s3cr3t":
            return web.Response(status=403)
        accepted.append((name, await request.json()))
        return web.Response(text="ok")

    return handle


async def test_requests_go_to_each_backend_in_turn_unchanged() -> None:
    async with (
        serve(echo("a")) as a,
        serve(echo("b")) as b,
        RoundRobinProxy([a, b]) as proxy,
        aiohttp.ClientSession() as client,
    ):
        seen = []
        for n in range(4):
            async with client.post(
                f"{proxy.url}/hook?n={n}", data=f"body {n}", headers={SECRET_HEADER: "s3cr3t"}
            ) as response:
                assert response.status == 201
                assert response.headers["X-Backend"] == ("a", "b")[n % 2]
                seen.append(await response.json())
        async with client.get(f"{proxy.url}/healthz") as response:
            seen.append(await response.json())
        proxy.backends = [b]  # changed at run time
        async with client.get(f"{proxy.url}/healthz") as response:
            seen.append(await response.json())
    assert [s["backend"] for s in seen] == ["a", "b", "a", "b", "a", "b"]
    assert seen[2] == {
        "backend": "a",
        "method": "POST",
        "path_qs": "/hook?n=2",
        "secret": "s3cr3t",
        "body": "body 2",
    }
    assert (seen[4]["method"], seen[4]["path_qs"]) == ("GET", "/healthz")
    assert [status for _, _, status in proxy.forwarded] == [201] * 6


def _refusing(port: int) -> AbstractAsyncContextManager[Any]:
    return contextlib.nullcontext()  # nothing listens on the port


DEATHS: dict[str, Callable[[int], AbstractAsyncContextManager[Any]]] = {
    "refused": _refusing,
    "reset": resetting,
}


@pytest.mark.parametrize("death", sorted(DEATHS))
async def test_a_dead_backend_is_a_502_and_telegram_redelivers_once_it_is_back(
    emu: Emulator, bot: Bot, death: str
) -> None:
    port = free_port()
    accepted: list[tuple[str, dict[str, Any]]] = []
    alice = emu.person("Alice")
    async with RoundRobinProxy([f"http://127.0.0.1:{port}"]) as proxy:
        assert await bot.set_webhook(f"{proxy.url}/hook", secret_token="s3cr3t")
        async with DEATHS[death](port):
            await alice.send("while down")
            await until(lambda: any(status == 502 for _, status in emu.webhook.deliveries))
            info = await bot.get_webhook_info()
            assert info.pending_update_count == 1
            assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"
        async with serve(accepting("back", accepted), port=port):
            await emu.wait_delivered(timeout=10)
    [(_, update)] = accepted
    assert update["message"]["text"] == "while down"
    statuses = [status for uid, status in emu.webhook.deliveries if uid == update["update_id"]]
    assert set(statuses[:-1]) == {502} and statuses[-1] == 200
    assert [status for _, _, status in proxy.forwarded] == statuses


async def test_three_bot_processes_one_killed_midway_lose_no_update(
    emu: Emulator, bot: Bot
) -> None:
    accepted: list[tuple[str, dict[str, Any]]] = []
    people = [emu.person(f"Citizen {n}") for n in range(9)]
    async with (
        serve(accepting("a", accepted)) as a,
        serve(accepting("c", accepted)) as c,
        RoundRobinProxy([]) as proxy,
    ):
        assert await bot.set_webhook(f"{proxy.url}/hook", secret_token="s3cr3t")
        async with serve(accepting("b", accepted)) as b:
            proxy.backends = [a, b, c]
            for person in people:
                await person.send("before")
            await emu.wait_delivered(timeout=10)
        # b is gone; its address stays in the rotation, as a killed process's does.
        for person in people:
            await person.send("after")
        await emu.wait_delivered(timeout=10)
    assert {name for name, _ in accepted} == {"a", "b", "c"}
    assert any(backend == b and status == 502 for backend, _, status in proxy.forwarded)
    ids = sorted(update["update_id"] for _, update in accepted)
    assert ids == list(range(1, 19))  # each update accepted exactly once
    for person in people:
        mine = [u["message"] for _, u in accepted if u["message"]["chat"]["id"] == person.id]
        texts = [message["text"] for message in mine]
        assert texts == ["before", "after"]
