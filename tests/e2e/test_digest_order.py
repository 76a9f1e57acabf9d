"""Digests as providers read them: catch-up digests in order, each chart with its own text;
the CSV under /digest too; /schedule in words; the preview on the command line."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Deployment
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import ROOT, FakeClock, url_of
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item
from tests.e2e.test_citizen import say
from tests.e2e.test_digests import Scene, _deployment_toml, add_approved, run_job, scene

# A Wednesday; the Mondays after it are 7, 14, 21 and 28 December 2026.
WEDNESDAY = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
# What each missed week's one item says, oldest first, and the dates its digest shows.
WEEKS = [
    ("The ramp at the side door was blocked by bins.", "30 Nov – 7 Dec 2026"),
    ("Nobody answered the phone for a whole morning.", "7–14 Dec 2026"),
    ("The queue for the counter went out of the door.", "14–21 Dec 2026"),
    ("The toilets were closed again without notice.", "21–28 Dec 2026"),
]


def labels(message: MessageView) -> list[str]:
    return [label for row in message.buttons for label in row]


def chat_lines(messages: list[MessageView]) -> list[str]:
    """The chat as a person reads it: a line per message, photos by their caption."""
    return [
        f"[chart] {m.caption}" if m.photo is not None else (m.text or "").split("\n")[1]
        for m in messages
    ]


async def missed_weeks(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> Scene:
    """One team, a bot that was down for four weekly digests, one item in each week."""
    world = scene(emu, deployment, count=1)
    clock.now = WEDNESDAY
    async with make_bot(deployment=world.deployment) as bot:
        for week, (words, _) in enumerate(WEEKS):
            when = datetime(2026, 12, 3, 10, tzinfo=UTC) + timedelta(weeks=week)
            await add_approved(bot.db, "s-team-0", words, when, ["access_waiting"])
    clock.now = datetime(2026, 12, 29, 12, tzinfo=UTC)
    return world


async def test_catch_up_digests_arrive_oldest_first_each_chart_beside_its_text(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = await missed_weeks(make_bot, emu, deployment, clock)
    group = world.groups["team-0"]
    async with make_bot(deployment=world.deployment) as bot:
        await run_job(bot, "digest-catch-up")
    seen = group.messages
    assert len(seen) == 2 * len(WEEKS), chat_lines(seen)
    # Chart, then its text; one week finished before the next starts.
    for week, (words, dates) in enumerate(WEEKS):
        chart, text = seen[2 * week], seen[2 * week + 1]
        assert chart.photo is not None and dates in (chart.caption or ""), chat_lines(seen)
        assert chart.caption == f"Team 0: themes, {dates}, against the period before"
        assert text.photo is None and f"🗓 {dates}" in (text.text or ""), chat_lines(seen)
        assert words in (text.text or "")


async def test_a_newer_digest_waits_while_an_older_one_is_still_on_its_way(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = await missed_weeks(make_bot, emu, deployment, clock)
    group = world.groups["team-0"]
    # The first week's text meets a proxy's 502 once: it is to be tried again later.
    emu.faults.server_error("sendMessage", status=502, times=1, text_contains="ramp at the side")
    async with make_bot(deployment=world.deployment) as bot:
        await run_job(bot, "digest-catch-up")
        # Only the first week's chart went; the later weeks wait for its text.
        assert chat_lines(group.messages) == [
            f"[chart] Team 0: themes, {WEEKS[0][1]}, against the period before"
        ]
        clock.now += timedelta(minutes=5)
        await run_job(bot, "digest-catch-up")
    lines = chat_lines(group.messages)
    assert lines == [
        line
        for _, dates in WEEKS
        for line in (f"[chart] Team 0: themes, {dates}, against the period before", f"🗓 {dates}")
    ], lines


async def invited(emu: Emulator, admin: Person, pat: Person) -> None:
    reply = await say(admin, "/invite provider team-0")
    token = reply.split("start=", 1)[1].split()[0]
    assert "provider for Team 0" in await say(pat, f"/start {token}")


async def test_digest_on_demand_offers_the_csv_like_the_scheduled_one(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    admin, pat = emu.person("Ada"), world.staff
    staffed = world.deployment.model_copy(update={"admins": [admin.id]})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        await add_approved(
            bot.db, "s-team-0", WEEKS[0][0], clock.now - timedelta(hours=1), ["access_waiting"]
        )
        # Last week's item is not in this period, nor in its CSV.
        await add_approved(
            bot.db, "s-team-0", WEEKS[1][0], clock.now - timedelta(days=6), ["access_waiting"]
        )
        await invited(emu, admin, pat)
        await pat.send("/digest")
        found = await pat.wait_for(
            lambda msgs: any(texts.CSV_BUTTON in labels(m) for m in msgs), timeout=10
        )
        digest = next(m for m in found if texts.CSV_BUTTON in labels(m))
        assert "🗓 30 Nov – 2 Dec 2026" in (digest.text or "")
        await pat.press(texts.CSV_BUTTON)
        files = await pat.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
        sheet = files[-1]
        assert sheet.caption == "Team 0: approved items, 30 Nov – 2 Dec 2026"
        rows = list(csv.reader(io.StringIO((sheet.document or b"").decode("utf-8-sig"))))
        text = rows[0].index("text")
        assert [row[text] for row in rows[1:]] == [WEEKS[0][0]]
        # Someone else cannot use the button's data for a provider they do not speak for.
        stranger = emu.person("Sly")
        await stranger.send("/start")
        forged = await stranger.press_data(
            pat.messages[-1].message_id, (digest.button_data[-1][0] or "")
        )
        assert (await forged.answered()).get("text") == texts.NOT_A_PROVIDER
        # The digest gone (deleted in the chat: Telegram then sends no message with the
        # press, only its id): its button still brings the file.
        pat.chat.deleted.add(digest.message_id)
        before = len(pat.messages)
        again = await pat.press_data(digest.message_id, digest.button_data[-1][0] or "")
        assert await again.answered() is not None
        files = await pat.wait_for(
            lambda msgs: len(msgs) > before and msgs[-1].document is not None, timeout=10
        )
        assert files[-1].caption == "Team 0: approved items, 30 Nov – 2 Dec 2026"


async def test_schedule_is_said_in_words(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    admin, pat = emu.person("Ada"), world.staff
    fridays = [
        p.model_copy(update={"schedule": "0 17 * * fri"}) for p in world.deployment.providers
    ]
    staffed = world.deployment.model_copy(update={"admins": [admin.id], "providers": fridays})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed):
        await invited(emu, admin, pat)
        await pat.send("/schedule")
        found = await pat.wait_for(lambda msgs: "Next digest" in (msgs[-1].text or ""))
    assert found[-1].text == (
        "Team 0: Fridays at 17:00 (London time). Next digest: 4 Dec 2026, 17:00."
    )


def test_digest_preview_prints_the_text_and_writes_chart_and_csv(
    tmp_path: Path, emu: Emulator, deployment: Deployment
) -> None:
    import asyncio

    from bot.intake import sync_services
    from storage.engines import database_for
    from storage.services import ServiceRow

    world = scene(emu, deployment, count=1)
    config = tmp_path / "teams.toml"
    config.write_text(_deployment_toml(world))
    db_path = tmp_path / "y.db"

    async def fill() -> None:
        async with database_for(url_of(db_path)) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in world.deployment.services]
            )
            when = datetime.now(UTC) - timedelta(minutes=5)
            await add_approved(db, "s-team-0", WEEKS[0][0], when, ["access_waiting"])

    asyncio.run(fill())
    out = tmp_path / "preview"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "digest", "--provider", "team-0", "--preview", "--out", out],
        cwd=ROOT,
        env={
            "DATABASE_URL": f"sqlite:///{db_path}",
            "YOUSAID_CONFIG": str(config),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Team 0: your feedback digest" in result.stdout and WEEKS[0][0] in result.stdout
    (chart,) = out.glob("*.png")
    (table,) = out.glob("*.csv")
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert WEEKS[0][0] in table.read_text(encoding="utf-8-sig")
    assert f"Chart: {chart.resolve()}" in result.stdout
    assert f"CSV: {table.resolve()}" in result.stdout
    # Without --preview it says what it is for, rather than doing nothing.
    bare = subprocess.run(
        [sys.executable, "-m", "bot", "digest", "--provider", "team-0"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bare.returncode == 2 and "--preview" in bare.stderr


async def test_mine_and_audit_show_dates_in_the_one_format(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    admin, alice = emu.person("Ada"), emu.person("Alice")
    clock.now = WEDNESDAY
    async with make_bot(deployment=deployment.model_copy(update={"admins": [admin.id]})) as bot:
        await add_item(bot.db, alice.id, "library", "The heating was off again.", clock.now)
        mine = await say(alice, "/mine")
        assert "· 2 Dec 2026" in mine and "2026-12-02" not in mine, mine
        await say(admin, "/invite provider culture-leisure")
        audit = await say(admin, "/audit")
        assert "2 Dec 2026, 12:00 · " in audit and "2026-12-02" not in audit, audit
