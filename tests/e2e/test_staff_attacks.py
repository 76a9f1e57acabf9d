"""Staff flows as busy people use them: two providers in one team group, presses that are
someone else's, late presses, and what each person is told."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Deployment, Provider
from emulator import Emulator
from handlers import texts
from tests.conftest import ROOT, FakeClock
from tests.e2e.conftest import TOKEN, BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_digest_order import invited
from tests.e2e.test_digests import add_approved, run_job, scene
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    invite,
    outcome,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_responses import (
    CHANGED,
    WEDNESDAY,
    World,
    answer_item,
    notice_of,
    world,  # noqa: F401 - the fixture, shared
)


async def test_a_colleagues_press_on_my_preview_leaves_it_as_it_was(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    admin, pat, quinn, alice = (emu.person(n) for n in ("Ada", "Pat", "Quinn", "Alice"))
    group = emu.group("Culture group", members=[pat, quinn])
    providers = [
        p.model_copy(update={"chats": [group.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "providers": providers})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        for who in (pat, quinn):
            assert "Culture and Leisure" in await invite(admin, who, "provider culture-leisure")
        item = await add_item(bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
        await pat.send(f"/respond {item}", chat=group)
        asked = await group.wait_for(last_has("What is your answer?"))
        # Quinn's press on Pat's status menu is not Quinn's answer, nor Pat's.
        answer = await press_on(quinn, asked[-1], CHANGED, chat=group)
        assert answer["text"] == texts.RESPOND_NOT_YOURS
        await press_on(pat, asked[-1], CHANGED, chat=group)
        prompt = await group.wait_for(last_has("Reply to this message"))
        words = "A new lift part was fitted on Monday."
        await pat.send(words, chat=group, reply_to=prompt[-1])
        preview = (await group.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT)))[-1]
        before = preview.text
        # Quinn, writing nothing, presses Pat's Cancel, then Edit: told whose they are.
        for label in (texts.RESPOND_CANCEL, texts.RESPOND_EDIT, texts.RESPOND_SEND):
            answer = await press_on(quinn, preview, label, chat=group)
            assert answer["text"] == texts.RESPOND_NOT_YOURS, answer
        await emu.idle(quiet=0.3)
        assert preview.text == before
        assert texts.RESPOND_SEND in buttons_of(preview)
        await press_on(pat, preview, texts.RESPOND_SEND, chat=group)
        await group.wait_for(last_has("Published"))
        assert words in (await notice_of(alice)).text


async def test_a_private_command_puts_a_providers_response_aside(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    # Pat checks her services before writing: the response ends, said once.
    await world.pat.send("/services")
    await world.pat.wait_for(has(texts.DRAFT_PUT_ASIDE["response"]))
    await world.pat.send("Which of these services are mine again?")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    assert not any(texts.RESPOND_PREVIEW_FOOT in (m.text or "") for m in world.pat.messages)
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]


# Beyond what the database holds, and digits that are not 0-9.
HUGE = "9" * 20
ODD_DIGITS = ("²", "1²", "٣")


async def test_numbers_too_big_or_not_0_to_9_are_no_such_thing_not_an_error(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    # Typed: the usual "no such item" or the usage, never "something went wrong".
    assert await say(team.pat, f"/respond {HUGE}") == texts.RESPOND_PROBLEMS["no_such_item"]
    no_such = texts.MOD_PROBLEMS["no_such_item"].format(item=HUGE)
    assert await say(team.sam, f"/unpublish {HUGE} the author asked") == no_such
    for number in ODD_DIGITS:
        # Not a number: as if none was given.
        reply = await say(team.pat, f"/respond {number}")
        assert reply.startswith("Nothing to respond to yet"), reply
        assert await say(team.sam, f"/unpublish {number} why") == texts.UNPUBLISH_USAGE
    # Forged buttons carrying such numbers: refused like any forged button.
    await say(team.pat, "/digest")
    digest = team.pat.messages[-1]
    for data in (
        f"d:csv:{HUGE}",
        f"d:csvnow:0.{HUGE}.culture-leisure",
        f"o:i:{HUGE}",
        f"o:f:{HUGE}",
        f"o:t:{HUGE}:access_waiting",
        "d:csv:²",
    ):
        answer = await (await team.pat.press_data(digest.message_id, data)).answered()
        assert answer["text"] != texts.ERROR, data
    await say(team.sam, "/queue")
    mine = team.sam.messages[-1]
    for data in (f"o:h:{HUGE}", f"v:y:{HUGE}", f"m:a:{HUGE}:1", "m:a:²:1", f"k:a:{HUGE}"):
        answer = await (await team.sam.press_data(mine.message_id, data)).answered()
        assert answer["text"] != texts.ERROR, data
    answer = await (await team.admin.press_data(mine.message_id, f"a:r:{HUGE}")).answered()
    assert answer["text"] != texts.ERROR
    assert all(m.text != texts.ERROR for p in (team.pat, team.sam) for m in p.messages)


async def test_a_schedule_with_day_numbers_fires_on_the_day_cron_means(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    # Cron's 1 is Monday (0 and 7 Sunday), as /schedule says it; the scheduler must agree.
    teams = scene(emu, deployment, count=1)
    admin, pat, group = emu.person("Ada"), teams.staff, teams.groups["team-0"]
    numbered = [p.model_copy(update={"schedule": "0 9 * * 1"}) for p in teams.deployment.providers]
    staffed = teams.deployment.model_copy(update={"admins": [admin.id], "providers": numbered})
    clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
    async with make_bot(deployment=staffed) as bot:
        await invited(emu, admin, pat)
        said = await say(pat, "/schedule")
        assert said == "Team 0: Mondays at 09:00 (London time). Next digest: 7 Dec 2026, 09:00."
        await add_approved(
            bot.db, "s-team-0", "The ramp was blocked.", clock.now, ["access_waiting"]
        )
        clock.now = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)  # Monday, just after nine
        await run_job(bot, "digest:team-0")
        found = await group.wait_for(
            lambda m: any("The ramp was blocked" in (x.text or "") for x in m)
        )
        assert "30 Nov – 7 Dec 2026" in next(m.text or "" for m in found if m.text)
    # Sunday as cron writes it both ways, 0 and 7, is a schedule too.
    for sunday in ("0 9 * * 0", "0 9 * * 7", "0 9 * * 6-7"):
        Provider(id="p", name="P", schedule=sunday)


def _readme_emulator_run() -> dict[str, str]:
    """The settings of the README's command that runs the bot against a standalone emulator."""
    section = (ROOT / "README.md").read_text().split("## The Telegram Bot API emulator")[1]
    line = next(x for x in section.splitlines() if x.strip().endswith("-m bot run"))
    return dict(word.split("=", 1) for word in line.split() if "=" in word)


async def test_the_readmes_emulator_recipe_starts_the_bot(emu: Emulator, tmp_path: Path) -> None:
    settings = _readme_emulator_run()
    # This test's emulator and database stand for the README's: the rest is as written.
    settings |= {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
        "YOUSAID_LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=ROOT,  # a fresh clone, where the README's commands are typed
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **settings},
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        while not any("is running" in line for line in seen):
            line = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
            assert line, f"the bot stopped: {seen}"
            seen.append(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)


async def test_a_preview_left_for_a_day_is_not_said_to_be_sent(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    await world.pat.send("The lift was mended on Monday morning.")
    preview = (await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT)))[-1]
    # Pat comes back the next day; unfinished drafts have been dropped meanwhile.
    clock.advance(hours=25)
    await run_job(world.bot, "response-follow-up")
    answer = await press_on(world.pat, preview, texts.RESPOND_SEND)
    assert "left unfinished for a day" in answer["text"], answer
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(0,)]
    assert not any("has responded" in (m.text or "") for m in alice.messages)


async def test_an_approval_the_service_has_answered_cannot_be_undone(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    item = await give(team.citizen, "Central Library", "The library closes far too early now.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await outcome(team.citizen, item)
    # Within the undo window, the provider answers it at once.
    await answer_item(team.pat, item, texts.RESPONSE_STATUS["in_progress"])
    await team.pat.send("We are looking at opening until 8pm on Thursdays.")
    preview = (await team.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT)))[-1]
    await press_on(team.pat, preview, texts.RESPOND_SEND)
    await notice_of(team.citizen)
    # Undo now would tell the author it was not passed on after all: refused, and why.
    answer = await press_card(team.mo, team.group, card, texts.UNDO)
    assert answer["text"] == texts.MOD_PROBLEMS["answered"].format(item=item)
    await emu.idle(quiet=0.3)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]
    assert not any("took back" in (m.text or "") for m in team.citizen.messages)
    # Unpublishing stays possible, as the answer says.
    reply = await say(team.mo, f"/unpublish {item} the author asked us to")
    assert reply == texts.UNPUBLISHED.format(item=item)
