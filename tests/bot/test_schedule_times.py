"""When digests fall, worked out from a provider's schedule around the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Provider
from bot.digests import fire_times, next_fire, previous_fire
from tests.e2e.test_schedule_attacks import not_stuck


def nightly(schedule: str = "30 1 * * *") -> Provider:
    return Provider(id="p", name="P", schedule=schedule, timezone="Europe/London", chats=[-100])  # type: ignore[call-arg]


def test_the_next_digest_after_the_first_0130_of_the_night_the_clocks_go_back() -> None:
    # 01:30 BST has passed (00:30 UTC); 01:30 GMT an hour later is the same wall-clock
    # time, and brings no digest: the next is the following night's.
    now = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    with not_stuck():
        found = next_fire(nightly(), now)
    assert found == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_the_period_in_progress_after_the_second_0130_began_at_the_first() -> None:
    now = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
    with not_stuck():
        found = previous_fire(nightly(), now)
    assert found == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_an_hourly_schedule_the_night_the_clocks_go_back() -> None:
    hourly = nightly("0 * * * *")
    # 01:00 BST is 00:00 UTC; 01:00 GMT (01:00 UTC) is its repeat; then 02:00 GMT.
    with not_stuck():
        found = next_fire(hourly, datetime(2026, 10, 25, 0, 0, tzinfo=UTC))
    assert found == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


def test_day_of_week_steps_count_as_cron_counts_them() -> None:
    # Cron's day numbers start on Sunday (0) and a step keeps the range it is written on:
    # APScheduler's own reading started at Monday and dropped the step after names.
    week = (datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 6, tzinfo=UTC))
    days = {
        schedule: {t.strftime("%a") for t in fire_times(nightly(schedule), *week)}
        for schedule in ("0 9 * * */2", "0 9 * * 1-5/2", "0 9 * * mon-fri/2", "0 9 * * 1/3")
    }
    assert days == {
        "0 9 * * */2": {"Sun", "Tue", "Thu", "Sat"},
        "0 9 * * 1-5/2": {"Mon", "Wed", "Fri"},
        "0 9 * * mon-fri/2": {"Mon", "Wed", "Fri"},
        "0 9 * * 1/3": {"Mon", "Thu", "Sun"},
    }


def test_a_day_of_the_month_and_of_the_week_must_both_hold() -> None:
    """As the README says: "0 9 1-7 * mon" is the first Monday of each month."""
    winter = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    with not_stuck():
        found = [t.date().isoformat() for t in fire_times(nightly("0 9 1-7 * mon"), *winter)]
    assert found == ["2026-11-02", "2026-12-07", "2027-01-04"]
