"""When digests are due: cron in the provider's time zone, one per period, caught up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Provider, load_deployment
from bot.digests import Digests, fire_times, next_fire, previous_fire
from storage.db import Database
from tests.conftest import EXAMPLE, FakeClock

WEEKLY = Provider(id="p", name="P", schedule="0 9 * * mon", timezone="Europe/London")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_fire_times_follow_the_providers_zone_and_summer_time() -> None:
    # Monday 09:00 in London is 09:00 UTC in winter and 08:00 UTC in summer.
    winter = fire_times(WEEKLY, utc(2026, 11, 1), utc(2026, 11, 17))
    assert winter == [utc(2026, 11, 2, 9), utc(2026, 11, 9, 9), utc(2026, 11, 16, 9)]
    summer = fire_times(WEEKLY, utc(2026, 7, 1), utc(2026, 7, 7))
    assert summer == [utc(2026, 7, 6, 8)]
    tokyo = Provider(id="t", name="T", schedule="0 9 * * mon", timezone="Asia/Tokyo")
    assert fire_times(tokyo, utc(2026, 11, 1), utc(2026, 11, 3)) == [utc(2026, 11, 2, 0)]


def test_previous_and_next_fire() -> None:
    assert previous_fire(WEEKLY, utc(2026, 11, 9, 9)) == utc(2026, 11, 2, 9)
    assert previous_fire(WEEKLY, utc(2026, 11, 10)) == utc(2026, 11, 9, 9)
    assert next_fire(WEEKLY, utc(2026, 11, 9, 9)) == utc(2026, 11, 16, 9)


@pytest.fixture
def digests(db: Database, clock: FakeClock) -> Digests:
    deployment = load_deployment(EXAMPLE)
    only = deployment.model_copy(
        update={"providers": [WEEKLY.model_copy(update={"chats": [-100, -200]})]}
    )
    return Digests(db, only, clock)


async def test_nothing_is_due_before_the_first_scheduled_time(
    digests: Digests, clock: FakeClock
) -> None:
    clock.now = utc(2026, 11, 4, 12)  # a Wednesday: the schedule starts counting now
    assert await digests.schedule() == 0
    clock.now = utc(2026, 11, 9, 8, 59)
    assert await digests.schedule() == 0
    clock.now = utc(2026, 11, 9, 9, 0, 30)
    assert await digests.schedule() == 1
    assert await digests.schedule() == 0  # exactly one per period, however often asked
    rows = [(r.period_start, r.period_end) for r in await digests.work_rows()]
    assert rows == [("2026-11-02T09:00:00.000000+00:00", "2026-11-09T09:00:00.000000+00:00")]


async def test_down_across_two_scheduled_times_gives_one_per_missed_period(
    digests: Digests, clock: FakeClock, db: Database
) -> None:
    clock.now = utc(2026, 11, 4, 12)
    await digests.schedule()
    clock.now = utc(2026, 11, 9, 10)
    assert await digests.schedule() == 1
    # Down from Monday 10:00 until the Tuesday after two more Mondays.
    clock.now = utc(2026, 11, 24, 7)
    assert await digests.schedule() == 2
    ends = [r.period_end[:10] for r in await digests.work_rows()]
    assert ends == ["2026-11-09", "2026-11-16", "2026-11-23"]
    starts = [r.period_start[:10] for r in await digests.work_rows()]
    assert starts == ["2026-11-02", "2026-11-09", "2026-11-16"]
    work = await digests.work()
    assert sorted({w.delivery.chat_id for w in work}) == [-200, -100] and len(work) == 6
