"""Fault injection: each fault answers as a real failure would, to the chosen calls only."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from emulator import Emulator
from tests.emulator.conftest import TOKEN, Raw

EMULATOR = Path(__file__).resolve().parents[2] / "emulator"


def test_the_emulator_imports_nothing_from_the_bot() -> None:
    imported = set()
    for path in EMULATOR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert "emulator" in imported  # the walk saw the package's own imports
    assert not imported & {"bot", "handlers", "storage", "nlp"}


async def test_a_server_error_hits_only_its_method_and_count(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    fault = emu.faults.server_error("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(alice.id, "hello")
    assert (await bot.get_me()).id == bot.id  # other methods go through
    await bot.send_message(alice.id, "third time")
    assert fault.hits == 2 and fault.spent
    assert [m.text for m in alice.messages] == ["third time"]
    assert [c.status for c in emu.calls_to("sendMessage")] == [502, 502, 200]


async def test_a_fault_for_one_chat_leaves_the_others(bot: Bot, emu: Emulator) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    emu.faults.error("sendMessage", chat_id=alice.id)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(alice.id, "hello")
    await bot.send_message(bob.id, "hello")
    assert not alice.messages and [m.text for m in bob.messages] == ["hello"]


async def test_a_fault_can_match_on_the_text(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    fault = emu.faults.error("sendMessage", text_contains="#12 ", times=1)
    await bot.send_message(alice.id, "#120 is fine")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(alice.id, "#12 is refused")
    await bot.send_message(alice.id, "#12 goes through the second time")
    assert fault.hits == 1
    assert [m.text for m in alice.messages] == ["#120 is fine", "#12 goes through the second time"]
    assert emu.faults.from_json({"kind": "error", "text_contains": "x"}).text_contains == "x"


async def test_flood_answers_429_with_retry_after(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    emu.faults.flood("sendMessage", retry_after=7, times=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "hello")
    assert caught.value.retry_after in (7, 7.0) or str(caught.value.retry_after) == "0:00:07"


async def test_a_lasting_flood_refuses_every_call_until_its_time_is_over(
    bot: Bot, emu: Emulator
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    flood = emu.faults.flood("sendMessage", chat_id=alice.id, retry_after=1, lasting=True)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.id, "hello")
        assert str(caught.value.retry_after) in ("1", "1.0", "0:00:01")
    await bot.send_message(bob.id, "another chat is not held")
    assert flood.hits == 2 and not flood.spent
    while not flood.spent:  # noqa: ASYNC110 - the fault's own time
        await asyncio.sleep(0.05)
    await bot.send_message(alice.id, "hello again")
    assert [m.text for m in alice.messages] == ["hello again"]
    assert flood.hits == 2


async def test_a_non_json_body_is_not_a_telegram_answer(raw: Raw, emu: Emulator) -> None:
    emu.faults.non_json("getMe", times=1)
    url = f"{emu.api_url}{TOKEN}/getMe"
    async with raw.session.post(url) as response:
        assert response.content_type == "text/html"
        assert "Bad Gateway" in await response.text()
    status, body = await raw("getMe")
    assert status == 200 and body["ok"] is True


async def test_a_non_json_answer_reaches_the_client_as_an_error(bot: Bot, emu: Emulator) -> None:
    emu.faults.non_json("getUpdates", times=1)
    with pytest.raises(TelegramError):
        await bot.get_updates(timeout=0)


async def test_a_redirect_loop_makes_the_client_give_up(raw: Raw, emu: Emulator) -> None:
    emu.faults.redirect_loop("getMe")
    with pytest.raises(aiohttp.TooManyRedirects):
        async with raw.session.post(f"{emu.api_url}{TOKEN}/getMe", max_redirects=3):
            pass
    assert all(c.status == 302 for c in emu.calls_to("getMe"))


async def test_a_late_answer_comes_after_the_call_took_effect(emu: Emulator) -> None:
    alice = emu.person("Alice")
    # Held until released, so the client's read timeout passes first however slow the machine.
    held = emu.faults.late("sendMessage", delay=600, times=1)
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=emu.api_url, request=request) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(alice.id, "hello")
    held.release()
    # Telegram has it: the person sees it although the client gave up.
    assert [m.text for m in alice.messages] == ["hello"]


async def test_faults_over_the_control_api(raw: Raw, emu: Emulator) -> None:
    session = raw.session
    base = f"{emu.base_url}/control/faults"
    fault = {"kind": "status", "method": "getMe", "status": 503, "times": 1}
    async with session.post(base, json=fault) as response:
        assert response.status == 200
    async with session.post(base, json={"kind": "nonsense"}) as response:
        assert response.status == 400
    status, body = await raw("getMe")
    assert status == 503 and body == {
        "ok": False,
        "error_code": 503,
        "description": "Service Unavailable",
    }
    async with session.get(base) as response:
        listed = (await response.json())["result"]
    assert listed[0]["hits"] == 1
    emu.faults.error("getMe")
    async with session.delete(base) as response:
        assert response.status == 200
    status, _ = await raw("getMe")
    assert status == 200 and not emu.faults.active
