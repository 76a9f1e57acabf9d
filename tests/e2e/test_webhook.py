"""Webhook mode: updates POSTed by Telegram, saved before the answer, each handled once."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.health import ask_webhook
from emulator import Emulator
from handlers import texts
from tests.conftest import PgTarget, connect
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_run import base_env, run_bot

SECRET = "s3cret_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(port: int) -> dict[str, object]:
    return {
        "YOUSAID_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "YOUSAID_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "YOUSAID_WEBHOOK_SECRET": SECRET,
    }


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def hooked(make_bot: BotFactory, port: int) -> AsyncIterator[YousaidBot]:
    async with make_bot(**webhook_settings(port)) as running:
        yield running


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for a condition (the timeout only bounds a failure)."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 (a database row or a list: nothing to await)
            await asyncio.sleep(0.02)


async def post(port: int, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}/telegram", data=body, headers=headers) as answer,
    ):
        return answer.status


async def test_a_whole_conversation_over_the_webhook(
    hooked: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    assert emu.webhook.url.endswith("/telegram")
    assert emu.webhook.secret_token == SECRET
    [call] = emu.calls_to("setWebhook")
    assert call.params["max_connections"] == 40
    alice = emu.person("Alice")
    await consent(alice)
    await press(alice, "Buses")
    await say(alice, "The bus shelter on Mill Road has no roof any more")
    await press(alice, "2")
    await press(alice, texts.YES)
    await press(alice, texts.NO)
    await until(lambda: stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)])
    await emu.idle(quiet=0.2)
    assert not emu.calls_to("getUpdates")
    assert all(status == 200 for _, status in emu.webhook.deliveries)
    rows = stored(db_path, "SELECT chat_key, handled_at FROM updates ORDER BY update_id")
    # Every update handled, and none says any more whose it was.
    assert rows and all(chat == 0 and handled for chat, handled in rows)
    assert stored(db_path, "SELECT COUNT(*) FROM chat_turns") == [(0,)]


async def test_a_wrong_or_missing_secret_is_refused(
    hooked: YousaidBot, emu: Emulator, port: int, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps({"update_id": 999_001, "message": {}}).encode()
    assert await post(port, body, secret="wrong") == 401
    assert await post(port, body, secret=None) == 401
    assert await post(port, body, secret=SECRET[:-1]) == 401
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1, "said once per streak"
    assert SECRET not in caplog.text
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE update_id = 999001") == [(0,)]
    # What is not an update is answered 200 (Telegram would send it forever) and ignored.
    assert await post(port, b"not json") == 200
    assert await post(port, b'{"no": "update_id"}') == 200
    assert stored(db_path, "SELECT COUNT(*) FROM updates") == [(0,)]


async def test_a_redelivered_update_changes_nothing(
    hooked: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    await consent(alice)
    await press(alice, "Buses")
    await say(alice, "The bus shelter on Mill Road has no roof any more")
    await press(alice, "2")
    await press(alice, texts.YES)
    await press(alice, texts.NO)
    await emu.idle(quiet=0.2)
    seen = len(alice.messages)
    delivered = sorted({update_id for update_id, _ in emu.webhook.deliveries})
    before = len(emu.webhook.deliveries)
    for update_id in delivered:
        emu.redeliver(update_id)
    await until(lambda: len(emu.webhook.deliveries) >= before + len(delivered))
    await emu.idle(quiet=0.3)
    assert all(status == 200 for _, status in emu.webhook.deliveries[before:])
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(1,)]
    assert len(alice.messages) == seen


def refuse_updates(db_path: Path) -> None:
    """Make every insert into `updates` fail, as a broken database would."""
    with connect(db_path) as conn:
        if isinstance(db_path, PgTarget):
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN"
                " RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
            )
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON updates"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON updates"
                " BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
            conn.commit()


def accept_updates(db_path: Path) -> None:
    with connect(db_path) as conn:
        if isinstance(db_path, PgTarget):
            conn.execute("DROP TRIGGER refuse ON updates")
            conn.execute("DROP FUNCTION refuse()")
        else:
            conn.execute("DROP TRIGGER refuse")
            conn.commit()


async def test_a_database_fault_answers_500_and_telegram_retries(
    hooked: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    await consent(alice)
    await emu.idle(quiet=0.1)
    before = [(m.message_id, m.text) for m in alice.messages]
    refuse_updates(db_path)
    try:
        await alice.press("Buses")
        await until(lambda: any(status == 500 for _, status in emu.webhook.deliveries))
    finally:
        accept_updates(db_path)
    await alice.wait_for(lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=30)
    await emu.idle(quiet=0.2)
    failed = [u for u, status in emu.webhook.deliveries if status == 500]
    assert (failed[0], 200) in emu.webhook.deliveries
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM updates WHERE update_id = {failed[0]} AND handled_at IS NOT NULL",
    ) == [(1,)]


async def test_healthz_says_ok_and_bot_health_asks_it(hooked: YousaidBot, port: int) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as answer,
    ):
        assert answer.status == 200
        state = await answer.json()
    assert state["ok"] is True and state["instance"] == hooked.turns.owner  # type: ignore[union-attr]
    assert await asyncio.to_thread(ask_webhook, "127.0.0.1", port) is None
    assert hooked.webhook is not None
    hooked.webhook.stopping = True
    problem = await asyncio.to_thread(ask_webhook, "127.0.0.1", port)
    assert problem == "the instance is stopping"
    hooked.webhook.stopping = False


async def test_nothing_answers_healthz_when_no_bot_runs(port: int) -> None:
    problem = await asyncio.to_thread(ask_webhook, "0.0.0.0", port, 2.0)
    assert problem is not None and "no bot answers" in problem


async def test_sigterm_stops_a_webhook_instance_cleanly(emu: Emulator, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **base_env(emu.api_url, tmp_path),
        **{k: str(v) for k, v in webhook_settings(port).items()},
    }
    process = await run_bot(env, tmp_path)
    try:
        alice = emu.person("Alice")
        await alice.send("/start")
        assert "Is that OK" in ((await alice.next_message(timeout=60)).text or "")
        assert await asyncio.to_thread(ask_webhook, "127.0.0.1", port) is None
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            # A failure above must not leave a bot running after the test.
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert stored(tmp_path / "y.db", "SELECT COUNT(*) FROM chat_turns") == [(0,)]
    assert stored(tmp_path / "y.db", "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL") == [
        (0,)
    ]


async def test_names_reach_the_handlers_over_the_webhook_but_not_the_updates_table(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, port: int, db_path: Path
) -> None:
    # The updates table keeps no names, so a handler given the stored copy would see none:
    # the instance that received an update hands on Telegram's own.
    admin, sam = emu.person("Ada"), emu.person("Samira")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed, **webhook_settings(port)):
        reply = await say(admin, "/invite moderator")
        token = re.search(r"start=(inv_[\w-]+)", reply)
        assert token, reply
        assert "now a moderator" in await say(sam, f"/start {token.group(1)}")
    assert stored(db_path, f"SELECT display_name FROM staff WHERE telegram_id = {sam.id}") == [
        ("Samira",)
    ]
