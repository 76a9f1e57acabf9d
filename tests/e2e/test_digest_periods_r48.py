"""The period a digest compares with is the one the digest before it covered (across a clock
change, on a Mondays-and-Thursdays or a monthly schedule), and its wording says so; the
CSV's name is the provider's own first day of the period. Tests from the round 48 attack."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of, press_on
from tests.e2e.test_citizen import say
from tests.e2e.test_digests import Scene, add_approved, run_job, scene, texts_in


async def test_a_weekly_digest_across_the_autumn_clock_change_compares_with_the_week_before(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Europe/London, Mondays 09:00. The clocks go back on Sunday 25 Oct 2026, so the week
    of Mon 19 Oct 09:00 BST to Mon 26 Oct 09:00 GMT is 7 days and 1 hour on the UTC line.
    It is still a week to the provider: the digest says "the week before", and the week
    before is Mon 12 Oct 09:00 to Mon 19 Oct 09:00 BST. An item approved at 08:30 BST on
    Mon 12 Oct belonged to the digest of 12 Oct and must not be counted again; one on
    Wednesday 14 Oct is the week before's only item. (With nothing the week before, a digest
    compares with nothing: that is why the attack's version, without it, could not pass.)"""
    world = scene(emu, deployment, count=1)
    group = world.groups["team-0"]
    clock.now = datetime(2026, 10, 21, 10, 0, tzinfo=UTC)  # Wednesday 21 Oct
    async with make_bot(deployment=world.deployment) as bot:
        # 08:30 BST on Monday 12 Oct: half an hour before the week before began.
        await add_approved(
            bot.db,
            "s-team-0",
            "The lift was out of order again.",
            datetime(2026, 10, 12, 7, 30, tzinfo=UTC),
            ["accessibility"],
        )
        await add_approved(
            bot.db,
            "s-team-0",
            "The bins were not emptied.",
            datetime(2026, 10, 14, 12, 0, tzinfo=UTC),
            ["access"],
        )
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        clock.now = datetime(2026, 10, 26, 9, 1, tzinfo=UTC)  # Monday 09:01 GMT
        await run_job(bot, "digest-catch-up")
    (text,) = texts_in(group)
    plain = _plain(text)
    # One item in the week before (not two, with the one of the week before that).
    assert "1 new item approved, the same as the week before" in plain, plain


async def test_a_daily_digest_on_the_day_the_clocks_go_back_says_the_day_before(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A daily 09:00 Europe/London digest: the day from Sat 24 Oct 09:00 BST to Sun 25 Oct
    09:00 GMT is 25 hours long, and is still "the day" to the provider."""
    world = _scheduled(scene(emu, deployment, count=1), "0 9 * * *")
    group = world.groups["team-0"]
    clock.now = datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # Saturday 10:00 BST
    async with make_bot(deployment=world.deployment) as bot:
        # One item the day before (Friday noon), one on Saturday.
        await add_approved(
            bot.db,
            "s-team-0",
            "The lift was out of order again.",
            datetime(2026, 10, 23, 12, 0, tzinfo=UTC),
            ["access"],
        )
        await add_approved(
            bot.db,
            "s-team-0",
            "The waiting room was far too crowded.",
            clock.now + timedelta(hours=1),
            ["access"],
        )
        clock.now = datetime(2026, 10, 25, 9, 1, tzinfo=UTC)  # Sunday 09:01 GMT
        await run_job(bot, "digest-catch-up")
    (text,) = texts_in(group)
    plain = _plain(text)
    assert "1 new item approved, the same as the day before" in plain, plain


async def test_the_csv_of_a_provider_east_of_utc_is_named_after_its_own_first_day(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A provider in Tokyo, Mondays 07:00 (Sunday 22:00 UTC). The digest and the CSV's
    caption say the period starts on Monday 2 Nov; the file's name says the same day, not
    the UTC date (Sunday 1 Nov), or a folder of weekly files reads a day out."""
    world = scene(emu, deployment, count=1)
    tokyo = world.deployment.providers[0].model_copy(
        update={"timezone": "Asia/Tokyo", "schedule": "0 7 * * mon"}
    )
    admin, pat = emu.person("Ada"), world.staff
    far = world.deployment.model_copy(update={"providers": [tokyo], "admins": [admin.id]})
    clock.now = datetime(2026, 11, 4, 3, 0, tzinfo=UTC)  # Wednesday noon in Tokyo
    async with make_bot(deployment=far) as bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The waiting room was far too crowded.",
            clock.now - timedelta(hours=1),
            ["access"],
        )
        reply = await say(admin, "/invite provider team-0")
        token = reply.split("start=", 1)[1].split()[0]
        assert "provider for Team 0" in await say(pat, f"/start {token}")
        await pat.send("/digest")
        found = await pat.wait_for(
            lambda msgs: any(texts.CSV_BUTTON in buttons_of(m) for m in msgs), timeout=10
        )
        digest = next(m for m in found if texts.CSV_BUTTON in buttons_of(m))
        assert "🗓 2–4 Nov 2026" in (digest.text or ""), digest.text
        await press_on(pat, digest, texts.CSV_BUTTON)
        files = await pat.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
    sheet = files[-1]
    assert sheet.caption == "Team 0: approved items, 2–4 Nov 2026", sheet.caption
    assert sheet.document_name == "team-0-20261102.csv", sheet.document_name


def _plain(text: str) -> str:
    """A digest's text without its HTML tags."""
    return re.sub(r"<[^>]*>", "", text)


def _scheduled(world: Scene, cron: str) -> Scene:
    """The scene with its provider on another schedule."""
    provider = world.deployment.providers[0].model_copy(update={"schedule": cron})
    deployment = world.deployment.model_copy(update={"providers": [provider]})
    return Scene(deployment, world.groups, world.staff)


async def test_a_thursday_digest_compares_with_the_monday_one_before_it(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Mondays and Thursdays at 08:30 (as Environment and Transport in the example
    deployment): Thursday's digest covers Mon-Thu (3 days); the period before it is the one
    Monday's digest covered, Thu-Mon (4 days), not the 3 days before Monday. One item on
    Thursday 29 Oct (Monday's digest counted it) and one on Tuesday 3 Nov: Thursday 5 Nov's
    digest says one item, the same as before."""
    world = _scheduled(scene(emu, deployment, count=1), "30 8 * * mon,thu")
    group = world.groups["team-0"]
    clock.now = datetime(2026, 10, 28, 10, 0, tzinfo=UTC)  # Wednesday
    async with make_bot(deployment=world.deployment) as bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The lift was out of order again.",
            datetime(2026, 10, 29, 12, 0, tzinfo=UTC),
            ["access"],
        )
        await add_approved(
            bot.db,
            "s-team-0",
            "The waiting room was far too crowded.",
            datetime(2026, 11, 3, 12, 0, tzinfo=UTC),
            ["access"],
        )
        clock.now = datetime(2026, 11, 2, 8, 31, tzinfo=UTC)  # Monday's digest
        await run_job(bot, "digest-catch-up")
        clock.now = datetime(2026, 11, 5, 8, 31, tzinfo=UTC)  # Thursday's
        await run_job(bot, "digest-catch-up")
    monday, thursday = (_plain(t) for t in texts_in(group)[-2:])
    assert "lift" in monday and "1 new item approved" in monday, monday
    assert "1 new item approved, the same as" in thursday, thursday


async def test_a_monthly_digest_compares_with_the_month_before(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """On the 1st of each month at 09:00: February's digest (28 days) compares with
    January's (31 days), which counted an item of 2 January; not with the 28 days before
    1 February (from 4 January), which leave it out and read "first" or "fewer"."""
    world = _scheduled(scene(emu, deployment, count=1), "0 9 1 * *")
    group = world.groups["team-0"]
    clock.now = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)
    async with make_bot(deployment=world.deployment) as bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The lift was out of order again.",
            datetime(2026, 1, 2, 12, 0, tzinfo=UTC),
            ["access"],
        )
        await add_approved(
            bot.db,
            "s-team-0",
            "The waiting room was far too crowded.",
            datetime(2026, 2, 10, 12, 0, tzinfo=UTC),
            ["access"],
        )
        clock.now = datetime(2026, 2, 1, 9, 1, tzinfo=UTC)
        await run_job(bot, "digest-catch-up")
        clock.now = datetime(2026, 3, 1, 9, 1, tzinfo=UTC)
        await run_job(bot, "digest-catch-up")
    january, february = (_plain(t) for t in texts_in(group)[-2:])
    assert "lift" in january and "1 new item approved" in january, january
    assert "1 new item approved, the same as" in february, february
