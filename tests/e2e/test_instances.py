"""Three `python -m bot run` processes in webhook mode behind a round-robin proxy, on one
PostgreSQL database: one is SIGKILLed mid-way and restarted, and every guarantee holds."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.config import load_deployment
from bot.digests import Digests
from bot.intake import sync_services
from emulator import Emulator, Limits
from emulator.proxy import RoundRobinProxy
from storage.engines import database_for
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, ROOT, FakeClock, connect, url_of
from tests.e2e.conftest import TOKEN
from tests.e2e.test_guarantees import Citizen
from tests.e2e.test_webhook import SECRET, free_port, until

pytestmark = pytest.mark.postgres_only

CITIZENS = 100
INSTANCES = 3
# Citizens told their reference before one instance is killed.
KILL_AFTER = 30
# A dead instance's chats are taken over after this long.
TURN_SECONDS = 3


def instance(
    emu: Emulator, db_path: Path, proxy: str, port: int, config: Path, log: Path
) -> subprocess.Popen[bytes]:
    """One bot process in webhook mode, listening on `port`, reached through the proxy."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": url_of(db_path),
        "YOUSAID_MODELS_DIR": str(db_path.parent / "models"),
        "YOUSAID_CONFIG": str(config),
        "YOUSAID_LOG_LEVEL": "WARNING",
        "YOUSAID_WEBHOOK_URL": f"{proxy}/telegram",
        "YOUSAID_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "YOUSAID_WEBHOOK_SECRET": SECRET,
        "YOUSAID_CHAT_TURN_SECONDS": str(TURN_SECONDS),
        "YOUSAID_LEASE_SECONDS": str(TURN_SECONDS),
        "YOUSAID_MAX_MESSAGES_PER_SECOND": "0",
        "YOUSAID_DB_POOL": "6",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the instance answers /healthz with 200 (the timeout bounds a failure)."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(90):
        while True:
            assert process.poll() is None, log.read_text()
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


def digests_unsent(db_path: Path) -> int:
    """Digest deliveries not yet finished (the scheduler's lease may be changing hands)."""
    with connect(db_path) as conn:
        return int(
            conn.execute(
                "SELECT (SELECT COUNT(*) FROM digest_deliveries"
                " WHERE state IN ('pending', 'sending'))"
                " + (SELECT COUNT(*) FROM digests WHERE state = 'pending')"
            ).fetchone()[0]
        )


def unhandled(db_path: Path) -> int:
    with connect(db_path) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM updates WHERE handled_at IS NULL").fetchone()[0]
        )


async def test_three_instances_one_killed_keep_every_guarantee(
    tmp_path: Path, db_path: Path
) -> None:
    log = tmp_path / "bots.log"
    async with Emulator(token=TOKEN, limits=Limits.unlimited()) as emu:
        staff = emu.person("Pat")
        moderators = emu.group("Moderators", members=[staff])
        config_text = EXAMPLE.read_text().replace("-1001000000001", str(moderators.id))
        groups = {}
        for n, provider in enumerate(load_deployment(EXAMPLE).providers):
            groups[provider.id] = emu.group(f"Team {n}", members=[staff])
            config_text = config_text.replace(str(provider.chats[0]), str(groups[provider.id].id))
        config = tmp_path / "deployment.toml"
        config.write_text(config_text)
        deployment = load_deployment(config)
        async with database_for(url_of(db_path)) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
            )
            # The schedule has counted for a fortnight: each team's past periods are due at
            # once, on every instance, which is the race to send them once.
            past = FakeClock(datetime.now(UTC) - timedelta(days=15))
            await Digests(db, deployment, past).schedule()
        ports = [free_port() for _ in range(INSTANCES)]
        backends = [f"http://127.0.0.1:{p}" for p in ports]
        async with RoundRobinProxy(backends) as proxy:
            processes = [instance(emu, db_path, proxy.url, p, config, log) for p in ports]
            try:
                await asyncio.gather(
                    *(healthy(p, proc, log) for p, proc in zip(ports, processes, strict=True))
                )
                set_calls = emu.calls_to("setWebhook")
                assert len(set_calls) == 1, f"one instance sets the webhook: {set_calls}"
                citizens = [Citizen(emu.person(f"C{i}"), conversations=1) for i in range(CITIZENS)]
                started = time.monotonic()
                driving = asyncio.gather(*(c.run() for c in citizens))
                await until(lambda: sum(len(c.told) for c in citizens) >= KILL_AFTER, 60)
                processes[0].send_signal(signal.SIGKILL)
                processes[0].wait()
                # Requests in flight to it get 502 and are retried by Telegram; then the load
                # balancer's health check takes it out of the rotation (as nginx or HAProxy
                # would), so no chat waits on Telegram's growing backoff for a dead backend.
                await until(lambda: any(status == 502 for _, _, status in proxy.forwarded))
                proxy.backends = backends[1:]
                processes[0] = instance(emu, db_path, proxy.url, ports[0], config, log)
                await healthy(ports[0], processes[0], log)
                # Back in the load balancer's rotation once it says it is healthy.
                proxy.backends = backends
                await asyncio.wait_for(driving, timeout=120)
                await emu.wait_delivered(timeout=60)
                await until(lambda: not unhandled(db_path), 120)
                # If the killed instance held the scheduler's lease, another takes it over
                # within YOUSAID_LEASE_SECONDS and finishes the digests.
                await until(lambda: not digests_unsent(db_path), 120)
                elapsed = time.monotonic() - started
                await emu.idle(quiet=0.5, timeout=30)
            finally:
                for process in processes:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
        issued = set(emu.updates.history)
        # Whose each update was, as Telegram sent it (the database forgets it once handled).
        chat_of = {
            update_id: (update.get("message") or update.get("callback_query") or {})
            .get("from", {})
            .get("id")
            for update_id, update in emu.updates.history.items()
        }
        bad_gateway = sum(1 for _, _, status in proxy.forwarded if status == 502)
    assert bad_gateway, "the killed instance was sent requests"
    with connect(db_path) as conn:
        items = dict(conn.execute("SELECT id, text FROM feedback").fetchall())
        rows = [
            (chat_of.get(update_id), update_id, at)
            for update_id, at in conn.execute(
                "SELECT update_id, handled_at FROM updates ORDER BY update_id"
            ).fetchall()
        ]
        digests = conn.execute("SELECT id, provider_id, state FROM digests").fetchall()
        deliveries = {r[0] for r in conn.execute("SELECT state FROM digest_deliveries")}
    print(
        f"\n{len(issued)} updates from {CITIZENS} citizens through {INSTANCES} instances"
        f" in {elapsed:.1f} s ({len(issued) / elapsed:.0f} updates/s), {bad_gateway} answered"
        " 502 while one was down"
    )
    # Every reference a citizen was told exists, holding their words and only theirs.
    for citizen in citizens:
        for reference in citizen.told:
            lines = items[reference].splitlines()
            assert lines and all(line in citizen.stories for line in lines), items[reference]
    saved_lines = [line for text in items.values() for line in text.splitlines()]
    assert len(saved_lines) == len(set(saved_lines)), "a story was saved twice"
    # No update lost, each handled; each chat's in update_id order.
    handled = {update_id for _, update_id, at in rows if at is not None}
    assert issued <= handled, sorted(issued - handled)[:10]
    by_chat: dict[int, list[str]] = {}
    for chat, _, at in rows:
        by_chat.setdefault(chat, []).append(at)
    for chat, moments in by_chat.items():
        assert moments == sorted(moments), f"chat {chat} was handled out of order"
    # Each provider's digest once per period: none sent twice, whichever instance sent it.
    assert digests and {state for _, _, state in digests} == {"sent"}
    assert deliveries == {"sent"}
    for pid, group in groups.items():
        periods = sum(1 for _, provider, _ in digests if provider == pid)
        sent = [m.text or "" for m in group.messages if m.photo is None]
        assert len(sent) <= periods, (pid, sent)
        assert len(set(sent)) == len(sent), f"a digest of {pid} was sent twice"
