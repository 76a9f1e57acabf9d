"""Scheduled work on one instance at a time: the scheduler lease, held by one instance,
taken over once it dies, and a takeover mid-digest that sends no part twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.leader import SCHEDULER
from emulator import Emulator
from storage import leases
from tests.conftest import POSTGRES_URL, FakeClock, PgTarget, connect, postgres_schema
from tests.e2e.conftest import TOKEN, BotFactory, make_settings
from tests.e2e.test_digests import MONDAY, add_approved, photos_in, run_job, scene, texts_in

# Generous: each wait ends as soon as what it waits for happens.
PATIENCE = 60.0


async def until(what: Callable[[], bool], why: str) -> None:
    """Wait for `what` to hold (polling), failing after PATIENCE seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not what():
        assert loop.time() < deadline, f"timed out waiting: {why}"
        await asyncio.sleep(0.05)


async def put_lease(bot: YousaidBot, holder: str, seconds: float) -> None:
    async def run(conn: Any) -> set[str]:
        return await leases.take(conn, [SCHEDULER, f"instance:{holder}"], holder, seconds)

    await bot.db.write(run)


async def test_a_lease_left_by_an_instance_that_died_is_taken_over(
    make_bot: BotFactory, db_path: Path
) -> None:
    # A first start creates the tables; then a "ghost" instance holds the lease, as one
    # killed a moment ago would.
    async with make_bot() as first:
        pass
    await first.db.open()
    await put_lease(first, "ghost", 2.0)
    await first.db.close()
    async with make_bot(YOUSAID_LEASE_SECONDS=1) as bot:
        if isinstance(db_path, PgTarget):
            # Others may be alive: the ghost's lease must run out before it is taken.
            assert not bot.leader.holding
            await until(lambda: bot.leader.holding, "the dead instance's lease taken over")
        else:
            # SQLite: the process lock says this is the only instance: taken at once.
            assert bot.leader.holding
        with connect(db_path) as conn:
            rows = conn.execute("SELECT holder FROM leases WHERE name = 'scheduler'").fetchall()
        assert rows == [(bot.instance,)]
    with connect(db_path) as conn:
        # A clean stop gives the leases up, so the next instance takes over at once.
        held = conn.execute("SELECT COUNT(*) FROM leases WHERE holder = ?", (bot.instance,))
        assert held.fetchone() == (0,)


@pytest.fixture
def shared_db(tmp_path: Path) -> Iterator[PgTarget]:
    """One PostgreSQL schema for several instances (one process per SQLite file: there,
    no second instance could start). CI sets YOUSAID_TEST_POSTGRES_URL."""
    if not POSTGRES_URL:
        pytest.skip("several instances need PostgreSQL: set YOUSAID_TEST_POSTGRES_URL")
    with postgres_schema() as url:
        target = PgTarget(url)
        target.parent = tmp_path
        yield target


@pytest.mark.parametrize("kill_after", ["photo", "text"])
async def test_a_takeover_mid_digest_sends_no_part_twice(
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
    shared_db: PgTarget,
    kill_after: str,
) -> None:
    world = scene(emu, deployment, count=1)
    group = world.groups["team-0"]
    clock.now = MONDAY.replace(day=4)
    settings = make_settings(emu, shared_db, YOUSAID_LEASE_SECONDS=1)
    first = YousaidBot(settings, world.deployment, TOKEN, clock)
    second = YousaidBot(settings, world.deployment, TOKEN, clock)
    await first.start()
    try:
        await second.start()
        try:
            assert first.leader.holding and not second.leader.holding
            await add_approved(first.db, "s-team-0", "The bus never came.", clock.now, ["access"])
            clock.now = MONDAY.replace(day=9, minute=1)
            # The instance without the lease runs its jobs for nothing.
            await run_job(second, "digest-catch-up")
            assert texts_in(group) == [] and photos_in(group) == 0
            # The holder sends the chart, then the text; it dies just after one part left
            # (its answer held back), before it could record it.
            method = "sendPhoto" if kill_after == "photo" else "sendMessage"
            held = emu.faults.late(method, delay=PATIENCE, chat_id=group.id, times=1)
            job = asyncio.create_task(run_job(first, "digest-catch-up"))
            await until(lambda: held.hits == 1, "the part has left")
            await kill(first, job)
            await until(lambda: second.leader.holding, "the other instance took over")
            await run_job(second, "digest-catch-up")
            await until(
                lambda: len(texts_in(group)) >= 1 and photos_in(group) >= 1,
                "the rest of the digest sent",
            )
            await run_job(second, "digest-catch-up")
        finally:
            await second.stop()
    finally:
        await first.stop()
    # The chart and the text each arrived once: the part in flight at the death was
    # counted as sent by the instance that took over, which sent only what was left.
    assert photos_in(group) == 1
    assert len(texts_in(group)) == 1
    with connect(shared_db) as conn:
        assert conn.execute("SELECT state, parts_done FROM digest_deliveries").fetchall() == [
            ("sent", 2)
        ]
        assert conn.execute("SELECT state FROM digests").fetchall() == [("sent",)]


async def kill(bot: YousaidBot, job: asyncio.Task[Any]) -> None:
    """As near a SIGKILL as one process allows: the instance stops renewing its leases and
    its job stops where it is, recording nothing more."""
    task = bot.leader._task
    assert task is not None
    task.cancel()
    job.cancel()
    await asyncio.gather(task, job, return_exceptions=True)
    # Its leases stay in the database until they run out, as a dead process's would.
    bot.leader._task = None
