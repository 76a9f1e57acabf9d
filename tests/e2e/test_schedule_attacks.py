"""Digests living through real calendars: the nights the clocks change, a clock that is
corrected, and the outages around them."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bot.config import Deployment
from emulator import Emulator
from tests.conftest import FakeClock, connect
from tests.e2e.conftest import BotFactory
from tests.e2e.test_digests import MONDAY, Scene, add_approved, run_job, scene, texts_in

LONDON_NIGHT = "30 1 * * *"  # every day at 01:30 London time
STUCK = 120  # seconds: far past any busy machine; a schedule this slow will never finish


class Stuck(BaseException):
    """Raised by the alarm: not an Exception, so that no retry loop swallows it."""


@contextmanager
def not_stuck() -> Iterator[None]:
    """Fail (instead of hanging the run) when the code inside loops without end: an alarm
    raises in the main thread, where the bot's event loop runs."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise Stuck("stuck working out the schedule")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(STUCK)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def nightly(emu: Emulator, deployment: Deployment, schedule: str = LONDON_NIGHT) -> Scene:
    world = scene(emu, deployment, count=1)
    provider = world.deployment.providers[0].model_copy(update={"schedule": schedule})
    world.deployment = world.deployment.model_copy(update={"providers": [provider]})
    return world


def periods(db_path: Path) -> list[tuple[str, str]]:
    """Every digest's period as UTC "MM-DD HH:MM" pairs, oldest first."""
    with connect(db_path) as conn:
        rows = conn.execute(
            "SELECT period_start, period_end FROM digests ORDER BY period_end"
        ).fetchall()
    short = [
        tuple(datetime.fromisoformat(str(v)).astimezone(UTC).strftime("%m-%d %H:%M") for v in r)
        for r in rows
    ]
    return short  # type: ignore[return-value]


async def test_the_night_the_clocks_go_back_gives_one_digest_at_0130_not_two(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    # 25 Oct 2026: at 02:00 BST the clocks go back to 01:00 GMT, so 01:30 comes twice
    # (00:30 and 01:30 UTC). A daily 01:30 digest comes once that night, as cron does.
    world = nightly(emu, deployment)
    clock.now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    async with make_bot(deployment=world.deployment) as bot:
        with not_stuck():
            clock.now = datetime(2026, 10, 25, 0, 31, tzinfo=UTC)  # the first 01:30 passed
            await run_job(bot, "digest-catch-up")
            clock.now = datetime(2026, 10, 25, 1, 31, tzinfo=UTC)  # the second 01:30 passed
            await run_job(bot, "digest-catch-up")
            await run_job(bot, f"digest:{world.deployment.providers[0].id}")
            clock.now = datetime(2026, 10, 26, 1, 31, tzinfo=UTC)  # 01:30 GMT the next night
            await run_job(bot, "digest-catch-up")
    assert periods(db_path) == [
        ("10-24 00:30", "10-25 00:30"),
        ("10-25 00:30", "10-26 01:30"),  # a day of 25 hours, in one digest
    ]
    assert len(texts_in(world.groups["team-0"])) == 2


async def test_back_after_an_outage_over_the_night_the_clocks_go_back(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = nightly(emu, deployment)
    clock.now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    async with make_bot(deployment=world.deployment):
        pass
    # Down from Saturday noon until Monday morning: the catch-up works out the nights between.
    clock.now = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    with not_stuck():
        async with make_bot(deployment=world.deployment) as bot:
            await run_job(bot, "digest-catch-up")
    assert periods(db_path) == [
        ("10-24 00:30", "10-25 00:30"),
        ("10-25 00:30", "10-26 01:30"),
    ]
    assert len(texts_in(world.groups["team-0"])) == 2


async def test_the_night_the_clocks_go_forward_gives_the_missing_0130_digest_once(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    # 29 Mar 2026: at 01:00 GMT the clocks go forward to 02:00 BST; 01:30 never happens.
    # The digest comes once, at the first moment after the gap (as cron does), not skipped.
    world = nightly(emu, deployment)
    clock.now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    async with make_bot(deployment=world.deployment) as bot:
        with not_stuck():
            for now in (
                datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
                datetime(2026, 3, 29, 1, 31, tzinfo=UTC),  # 02:31 BST
                datetime(2026, 3, 29, 23, 0, tzinfo=UTC),
                datetime(2026, 3, 30, 0, 31, tzinfo=UTC),  # 01:30 BST the next night
            ):
                clock.now = now
                await run_job(bot, "digest-catch-up")
    assert periods(db_path) == [
        ("03-28 01:30", "03-29 01:30"),  # a day of 23 hours
        ("03-29 01:30", "03-30 00:30"),
    ]


async def test_a_weekly_digest_keeps_its_local_hour_across_the_change(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = nightly(emu, deployment, schedule="0 9 * * mon")
    clock.now = datetime(2026, 10, 14, 12, 0, tzinfo=UTC)
    async with make_bot(deployment=world.deployment) as bot:
        for now in (
            datetime(2026, 10, 19, 8, 1, tzinfo=UTC),  # 09:01 BST
            datetime(2026, 10, 26, 8, 1, tzinfo=UTC),  # 08:01 GMT: not yet
            datetime(2026, 10, 26, 9, 1, tzinfo=UTC),  # 09:01 GMT
        ):
            clock.now = now
            await run_job(bot, "digest-catch-up")
    assert periods(db_path) == [
        ("10-12 08:00", "10-19 08:00"),
        ("10-19 08:00", "10-26 09:00"),
    ]


async def test_an_item_approved_after_the_clock_was_set_back_is_in_the_next_digest(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    # The machine's clock ran three minutes fast: Monday's digest went at what it took for
    # 09:01. Then NTP set it back to 08:58, and an item was approved "at 08:58:30": inside
    # the period already sent. It must be in the next digest, not in none.
    world = scene(emu, deployment, count=1)
    group = world.groups["team-0"]
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment) as bot:
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        assert len(texts_in(group)) == 1
        clock.now = MONDAY.replace(day=9, hour=8, minute=58, second=30)
        await add_approved(
            bot.db, "s-team-0", "The ramp by the side door was blocked.", clock.now, ["access"]
        )
        clock.now = MONDAY.replace(day=16, minute=1)
        await run_job(bot, "digest-catch-up")
    assert len(texts_in(group)) == 2
    assert "ramp by the side door" in texts_in(group)[1]
