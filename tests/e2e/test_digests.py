"""Digests end to end: on schedule, once per period, past crashes, blocks and flood limits."""

from __future__ import annotations

import asyncio
import itertools
import signal
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment, Provider, Service
from bot.digests import Digests, Work
from bot.intake import sync_services
from emulator import Emulator, Group, Limits, Person
from handlers import texts
from storage.db import Database
from storage.engines import database_for
from storage.services import ServiceRow
from tests.conftest import FakeClock, connect, url_of
from tests.e2e.conftest import TOKEN, BotFactory, make_settings, start_bot
from tests.e2e.helpers import add_item
from tests.e2e.test_citizen import say

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
counter = itertools.count(1)


async def add_approved(
    db: Database,
    service: str,
    text: str,
    moderated_at: datetime,
    themes: list[str],
    rating: int = 3,
) -> int:
    """An item approved at a given time, by a citizen of its own, straight into storage."""
    author = 9_000_000 + next(counter)
    return await add_item(db, author, service, text, moderated_at, tuple(themes), rating=rating)


@dataclass
class Scene:
    """Providers whose digests go to emulator groups."""

    deployment: Deployment
    groups: dict[str, Group]
    staff: Person


def scene(emu: Emulator, deployment: Deployment, count: int = 3, **provider: object) -> Scene:
    staff = emu.person("Pat")
    groups = {f"team-{n}": emu.group(f"Team {n}", members=[staff]) for n in range(count)}
    providers = [
        Provider(
            id=pid,
            name=f"Team {n}",
            schedule="0 9 * * mon",
            timezone="Europe/London",
            chats=[group.id],
            **provider,
        )  # type: ignore[arg-type]
        for n, (pid, group) in enumerate(groups.items())
    ]
    services = [Service(slug=f"s-{pid}", name=f"Service of {pid}", provider=pid) for pid in groups]
    return Scene(
        deployment.model_copy(update={"providers": providers, "services": services}), groups, staff
    )


async def run_job(bot: YousaidBot, name: str) -> None:
    job_queue = bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name(name)
    await job.run(bot.application)


def texts_in(group: Group) -> list[str]:
    return [m.text or "" for m in group.messages if m.photo is None]


def photos_in(group: Group) -> int:
    return sum(1 for m in group.messages if m.photo is not None)


async def test_each_provider_gets_exactly_one_digest_per_period(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = scene(emu, deployment)
    clock.now = MONDAY.replace(day=4)  # a Wednesday: the schedule starts counting
    async with make_bot(deployment=world.deployment) as bot:
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        await add_approved(
            bot.db, "s-team-1", "Staff were kind and quick.", clock.now, ["staff_attitude"], 5
        )
        await run_job(bot, "digest-catch-up")
        assert all(texts_in(g) == [] for g in world.groups.values())  # nothing due yet
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest:team-0")
    for pid, group in world.groups.items():
        assert len(texts_in(group)) == 1, pid
    assert "crowded" in texts_in(world.groups["team-0"])[0]
    assert "kind and quick" in texts_in(world.groups["team-1"])[0]
    assert photos_in(world.groups["team-0"]) == 1
    with connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*), MIN(state) FROM digests").fetchone() == (3, "sent")


async def test_the_scheduled_run_sends_its_digest_while_a_catch_up_pass_is_under_way(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """The catch-up's pass read the clock before the period ended and is still going when
    the scheduled run comes: that run waits for it, then sends the digest itself (it is not
    left to the next catch-up, a minute later)."""
    world = scene(emu, deployment, count=1)
    group = world.groups["team-0"]
    clock.now = MONDAY.replace(day=9, hour=8, minute=59)  # a minute before the period ends
    bot = make_bot(deployment=world.deployment)
    work = bot.digests.work
    under_way, go_on = asyncio.Event(), asyncio.Event()

    async def held() -> list[Work]:
        # The first pass (the catch-up's own, a second after the start) stops here, after
        # its schedule() found nothing due yet.
        if not under_way.is_set():
            under_way.set()
            await go_on.wait()
        return await work()

    bot.digests.work = held  # type: ignore[method-assign]
    async with bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The waiting room was far too crowded.",
            MONDAY.replace(day=4),
            ["access"],
        )
        await asyncio.wait_for(under_way.wait(), timeout=30)
        clock.now = MONDAY.replace(day=9, minute=0)
        scheduled = asyncio.create_task(run_job(bot, "digest:team-0"))
        # The scheduled run reaches the pass under way (it meets no I/O on its way there).
        for _ in range(100):
            if scheduled.done():
                break
            await asyncio.sleep(0)
        go_on.set()
        await scheduled
        assert len(texts_in(group)) == 1
        assert "crowded" in texts_in(group)[0]


async def test_down_across_two_scheduled_times_sends_one_per_missed_period(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    group = world.groups["team-0"]
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment):
        pass
    # Down from Wednesday the 4th until Tuesday the 17th: Mondays 9th and 16th were missed.
    clock.now = MONDAY.replace(day=17)
    async with make_bot(deployment=world.deployment) as bot:
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest-catch-up")
    assert len(texts_in(group)) == 2


async def test_a_provider_who_blocked_the_bot_is_marked_and_others_still_get_theirs(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = scene(emu, deployment)
    emu.remove_bot_from(world.groups["team-1"])
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment) as bot:
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        clock.now = MONDAY.replace(day=16, minute=1)
        await run_job(bot, "digest-catch-up")
    assert len(texts_in(world.groups["team-0"])) == 2
    assert len(texts_in(world.groups["team-2"])) == 2
    team1 = world.groups["team-1"].id
    refused = [
        c for c in emu.calls if c.status == 403 and c.params.get("chat_id") in (team1, str(team1))
    ]
    assert len(refused) == 1, "a blocked chat is tried once, then remembered"
    with connect(db_path) as conn:
        assert conn.execute("SELECT chat_id FROM unreachable_chats").fetchall() == [(team1,)]


async def test_a_429_is_waited_out_and_nothing_is_sent_twice(
    deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    strict = Limits(group_burst=1, group_period=1.0)
    async with Emulator(token=TOKEN, limits=strict) as emu:
        world = scene(emu, deployment, count=2)
        clock.now = MONDAY.replace(day=4)
        bot = YousaidBot(make_settings(emu, db_path), world.deployment, TOKEN, clock)
        async with bot:
            for n in range(2):
                # Items, so each digest is two messages (chart and text) to the same group.
                await add_approved(
                    bot.db, f"s-team-{n}", "The doors were locked early.", clock.now, ["access"]
                )
            clock.now = MONDAY.replace(day=9, minute=1)
            await run_job(bot, "digest-catch-up")
        assert any(c.status == 429 for c in emu.calls)
        for group in world.groups.values():
            assert len(texts_in(group)) == 1


async def test_an_answer_that_is_not_telegrams_delays_only_that_digest(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = scene(emu, deployment, count=3)
    broken = world.groups["team-1"]
    # A proxy's HTML page for one group's digest, then a 502 for the next try.
    page = emu.faults.non_json("sendMessage", status=200, chat_id=broken.id, times=1)
    bad_gateway = emu.faults.server_error("sendMessage", chat_id=broken.id, times=1)
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment) as bot:
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        # The others have theirs at once; the broken chat waits for its backoff.
        assert [len(texts_in(g)) for g in world.groups.values()] == [1, 0, 1]
        assert page.hits == 1
        for _ in range(2):
            clock.advance(hours=1)
            await run_job(bot, "digest-catch-up")
    assert bad_gateway.hits == 1
    assert [len(texts_in(g)) for g in world.groups.values()] == [1, 1, 1]
    with connect(db_path) as conn:
        states = {r[0] for r in conn.execute("SELECT state FROM digest_deliveries")}
    assert states == {"sent"}


@pytest.mark.parametrize(("mode", "expected"), [("note", 1), ("skip", 0)])
async def test_an_empty_period(
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
    mode: str,
    expected: int,
) -> None:
    world = scene(emu, deployment, count=1, empty_digest=mode)
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment) as bot:
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
    group = world.groups["team-0"]
    assert len(texts_in(group)) == expected and photos_in(group) == 0


async def test_a_provider_in_another_time_zone(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    tokyo = world.deployment.providers[0].model_copy(update={"timezone": "Asia/Tokyo"})
    far = world.deployment.model_copy(update={"providers": [tokyo]})
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=far) as bot:
        # Monday 09:00 in Tokyo is Monday 00:00 UTC.
        clock.now = datetime(2026, 11, 9, 0, 1, tzinfo=UTC)
        await run_job(bot, "digest-catch-up")
    assert len(texts_in(world.groups["team-0"])) == 1


async def test_provider_commands_and_their_checks(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    admin, citizen = emu.person("Ada"), emu.person("Cy")
    staffed = world.deployment.model_copy(update={"admins": [admin.id]})
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=staffed) as bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The lift was broken all week.",
            clock.now - timedelta(hours=1),
            ["accessibility"],
        )
        assert await say(citizen, "/digest") == texts.NOT_A_PROVIDER
        assert await say(citizen, "/services") == texts.NOT_A_PROVIDER
        reply = await say(admin, "/invite provider team-0")
        token = reply.split("start=", 1)[1].split()[0]
        pat = world.staff
        assert "provider for Team 0" in await say(pat, f"/start {token}")
        await pat.send("/digest")
        got = await pat.wait_for(
            lambda msgs: any("lift was broken" in (m.text or "") for m in msgs), timeout=10
        )
        assert got
        await pat.send("/schedule")
        found = await pat.wait_for(lambda msgs: "Next digest" in (msgs[-1].text or ""))
        schedule = found[-1].text or ""
        assert "Team 0" in schedule and "9 Nov 2026, 09:00" in schedule
        await pat.send("/services")
        await pat.wait_for(lambda msgs: bool(msgs[-1].buttons))
        assert pat.last.buttons == [[texts.SERVICE_ON.format(name="Service of team-0")]]
        await pat.press(texts.SERVICE_ON.format(name="Service of team-0"))
        await pat.wait_for(
            lambda msgs: msgs[-1].buttons == [[texts.SERVICE_OFF.format(name="Service of team-0")]]
        )
        # A citizen replaying a provider's buttons gets nothing.
        forged = await citizen.press_data(citizen.messages[-1].message_id, "d:sub:s-team-0")
        assert (await forged.answered()).get("text") == texts.NOT_A_PROVIDER
        forged = await citizen.press_data(citizen.messages[-1].message_id, "d:csv:1")
        assert (await forged.answered()).get("text") == texts.NOT_A_PROVIDER


def _deployment_toml(world: Scene) -> str:
    lines = ['name = "Many teams"']
    for provider in world.deployment.providers:
        lines += [
            "[[providers]]",
            f'id = "{provider.id}"',
            f'name = "{provider.name}"',
            f'schedule = "{provider.schedule}"',
            f'timezone = "{provider.timezone}"',
            f"chats = [{provider.chats[0]}]",
        ]
    for service in world.deployment.services:
        lines += [
            "[[services]]",
            f'slug = "{service.slug}"',
            f'name = "{service.name}"',
            f'provider = "{service.provider}"',
        ]
    return "\n".join(lines) + "\n"


async def test_digest_asked_at_the_moment_a_period_begins_shows_the_one_that_ended(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    admin = emu.person("Ada")
    staffed = world.deployment.model_copy(update={"admins": [admin.id]})
    clock.now = MONDAY  # the schedule's own time: a period ends and the next begins
    async with make_bot(deployment=staffed) as bot:
        await add_approved(
            bot.db, "s-team-0", "The lift was broken all week.", MONDAY - timedelta(days=2), []
        )
        reply = await say(admin, "/invite provider team-0")
        token = reply.split("start=", 1)[1].split()[0]
        pat = world.staff
        assert "provider for Team 0" in await say(pat, f"/start {token}")
        await pat.send("/digest")
        got = await pat.wait_for(
            lambda msgs: any(
                "1 new item approved" in (m.text or "") or texts.ERROR in (m.text or "")
                for m in msgs
            ),
            timeout=10,
        )
        assert not any(texts.ERROR in (m.text or "") for m in got)


async def test_sigkill_while_sending_then_restart_gives_each_provider_exactly_one(
    deployment: Deployment, tmp_path: Path, db_path: Path
) -> None:
    async with Emulator(token=TOKEN, latency=0.02) as emu:
        world = scene(emu, deployment, count=30)
        config = tmp_path / "many.toml"
        config.write_text(_deployment_toml(world))
        now = datetime.now(UTC)
        async with database_for(url_of(db_path)) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in world.deployment.services]
            )
            for service in world.deployment.services:
                await add_approved(
                    db,
                    service.slug,
                    "The lift was broken again.",
                    now - timedelta(days=3),
                    ["access"],
                )
            # The schedule has counted for a fortnight: one or two periods are due per team.
            past = FakeClock(now - timedelta(days=15))
            await Digests(db, world.deployment, past).schedule()
        log = tmp_path / "bot.log"
        process = start_bot(emu, db_path, log, config)
        try:
            sends = lambda: sum(c.method in ("sendMessage", "sendPhoto") for c in emu.calls)  # noqa: E731
            for _ in range(6000):  # the bot takes a few seconds to start
                if sends() >= 25:
                    break
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed_after = sends()
            # Parts marked as leaving when the process died: each counts as sent (never
            # twice), so each may be one message nobody got: the documented price.
            with connect(db_path) as conn:
                in_flight = conn.execute(
                    "SELECT COUNT(*) FROM digest_deliveries WHERE state = 'sending'"
                ).fetchone()[0]
            process = start_bot(emu, db_path, log, config)
            for _ in range(3000):
                with connect(db_path) as conn:
                    left = conn.execute(
                        "SELECT COUNT(*) FROM digests WHERE state = 'pending'"
                    ).fetchone()[0]
                if left == 0:
                    break
                await asyncio.sleep(0.05)
            await emu.idle(quiet=0.3, timeout=20)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert 25 <= killed_after < sends(), log.read_text()
    with connect(db_path) as conn:
        periods = dict(
            conn.execute(
                "SELECT provider_id, COUNT(*) FROM digests GROUP BY provider_id"
            ).fetchall()
        )
        states = {r[0] for r in conn.execute("SELECT state FROM digest_deliveries")}
    assert states == {"sent"}
    missing = 0
    for pid, group in world.groups.items():
        digests_here = texts_in(group)
        assert len(digests_here) <= periods[pid], (pid, digests_here)
        assert len(set(digests_here)) == len(digests_here), "a digest was sent twice"
        missing += periods[pid] - len(digests_here)
    # Only a message in flight at the kill may be missing; everything else arrived.
    assert missing <= in_flight, (missing, in_flight)
