"""What an operator meets setting the bot up: finding ids, invitations, settings, the log."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Group, Person
from handlers import texts
from tests.conftest import ROOT
from tests.e2e.conftest import TOKEN, BotFactory
from tests.e2e.helpers import last_has
from tests.e2e.test_run import base_env, run_bot


def bot_added(emu: Emulator, group: Group, by: Person) -> None:
    """Someone adds the bot to a group: Telegram tells the bot with a my_chat_member update."""
    bot_user = {"id": emu.bot_id, "is_bot": True, "first_name": "yousaid"}
    emu.inject(
        {
            "my_chat_member": {
                "chat": {"id": group.id, "type": "group", "title": group.title},
                "from": dict(by.user),
                "date": 1764150000,
                "old_chat_member": {"status": "left", "user": bot_user},
                "new_chat_member": {"status": "member", "user": bot_user},
            }
        }
    )


async def test_id_in_private_tells_the_person_their_user_id(
    make_bot: BotFactory, emu: Emulator
) -> None:
    alice = emu.person("Alice")
    async with make_bot():
        await alice.send("/id")
        reply = (await alice.next_message(timeout=30)).text or ""
    assert f"Your Telegram user id is {alice.id}." in reply


async def test_id_in_a_group_tells_its_id_and_what_the_deployment_makes_of_it(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    ada = emu.person("Ada")
    new = emu.group("Riverside moderators", members=[ada])
    other = emu.group("Library team", members=[ada])
    async with make_bot():
        await ada.send("/id", chat=new)
        await new.wait_for(last_has("This group's id is"), timeout=30)
    reply = new.messages[-1].text or ""
    assert f"This group's id is {new.id}." in reply
    assert "moderators_chat" in reply
    # Once the id is in the deployment file, /id says what the chat is.
    staffed = deployment.model_copy(update={"moderators_chat": new.id})
    async with make_bot(deployment=staffed):
        await ada.send("/id", chat=new)
        await new.wait_for(last_has(texts.ID_ROLE_MODERATORS), timeout=30)
        await ada.send("/id", chat=other)
        await other.wait_for(last_has("This group's id is"), timeout=30)
    assert f"{other.id}" in (other.messages[-1].text or "")


async def test_joining_a_group_is_logged_with_its_title_and_id(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.ids")
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    async with make_bot():
        bot_added(emu, group, ada)
        # One chat's updates are handled in order: once /id is answered, the join was seen.
        await ada.send("/id", chat=group)
        await group.wait_for(last_has("This group's id is"), timeout=30)
    lines = [r.getMessage() for r in caplog.records if r.name == "handlers.ids"]
    assert any(
        line.startswith(f"added to group 'Riverside moderators' (id {group.id})") for line in lines
    ), lines


async def test_a_group_turned_supergroup_is_logged_with_its_new_id(
    make_bot: BotFactory, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.ids")
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    async with make_bot():
        supergroup = emu.upgrade(group, by=ada)
        await ada.send("/id", chat=supergroup)
        await supergroup.wait_for(last_has("This group's id is"), timeout=30)
    assert str(supergroup.id) in (supergroup.messages[-1].text or "")
    # Said once, though Telegram says it in both groups.
    [warning] = [
        r.getMessage()
        for r in caplog.records
        if r.name == "handlers.ids" and r.levelno == logging.WARNING
    ]
    assert f"(id {group.id}) became a supergroup: its id is now {supergroup.id}" in warning


async def test_an_invitation_link_says_one_link_per_person(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    ada = emu.person("Ada")
    async with make_bot(deployment=deployment.model_copy(update={"admins": [ada.id]})):
        await ada.send("/invite moderator")
        reply = (await ada.next_message(timeout=30)).text or ""
    assert "one link per person" in reply and "start=inv_" in reply


def test_run_without_yousaid_config_is_an_error_not_the_example(tmp_path: Path) -> None:
    # From the repository, where the example's file is at the old default path.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "BOT_TOKEN": TOKEN,
        # Nothing listens here: a bot that went ahead would stop on this instead.
        "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "yousaid: YOUSAID_CONFIG is not set: copy examples/riverside"
    ), result.stderr
    assert "\n" not in result.stderr.strip()
    assert not (tmp_path / "y.db").exists()


async def _read_until(stream: asyncio.StreamReader, words: str, seen: list[str]) -> None:
    while not any(words in line for line in seen):
        line = await stream.readline()
        assert line, f"the bot stopped before logging {words!r}: {seen}"
        seen.append(line.decode())


async def test_the_info_log_names_joined_groups_and_leaves_scheduler_chatter_out(
    emu: Emulator, tmp_path: Path
) -> None:
    env = {**base_env(emu.api_url, tmp_path), "YOUSAID_LOG_LEVEL": "INFO"}
    process = await run_bot(env, tmp_path)
    assert process.stderr is not None
    seen: list[str] = []
    try:
        await asyncio.wait_for(_read_until(process.stderr, "is running", seen), 60)
        ada = emu.person("Ada")
        group = emu.group("Riverside moderators", members=[ada])
        bot_added(emu, group, ada)
        await asyncio.wait_for(_read_until(process.stderr, "added to group", seen), 60)
    finally:
        process.send_signal(signal.SIGTERM)
        _, rest = await asyncio.wait_for(process.communicate(), 30)
    log = "".join(seen) + rest.decode()
    assert process.returncode == 0, log
    assert f"added to group 'Riverside moderators' (id {group.id})" in log
    assert "apscheduler" not in log, log


def test_at_debug_the_scheduler_lines_are_there() -> None:
    script = (
        "import logging; from bot.logs import setup; setup('DEBUG');"
        "logging.getLogger('apscheduler.executors.default').info('Running job \"x\"');"
        "logging.getLogger('apscheduler.scheduler').info('Added job \"x\"')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Running job" in done.stderr and "Added job" in done.stderr


def demo(*args: str, tmp: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`python -m bot demo` as `make demo` runs it, from an empty folder, temporary files
    going to a folder of the test's own; return the run and that folder."""
    temporary, here = tmp / "tmp", tmp / "here"
    temporary.mkdir()
    here.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp),
        "TMPDIR": str(temporary),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        cwd=here,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(here.iterdir()), "the demo wrote into the folder it was run from"
    return result, temporary


def test_the_demo_tells_the_loop_as_a_story_and_leaves_nothing_behind(tmp_path: Path) -> None:
    result, temporary = demo(tmp=tmp_path)
    lines = result.stdout.splitlines()
    assert len(lines) < 180, result.stdout
    assert "Traceback" not in result.stderr
    sections = result.stdout.split("\n── ")[1:]
    assert [s[:2] for s in sections] == ["1.", "2.", "3.", "4.", "5.", "6.", "7."], result.stdout
    saw, card, metoo, digest, answer, heard, report = sections
    # What a citizen saw, start to finish.
    assert f"citizen: [{texts.CONSENT_YES}]" in saw and "Saved as #" in saw
    # One card as the moderators' group sees it, with its buttons, then decided.
    assert f"[buttons: {texts.APPROVE}" in card and f"moderator: [{texts.APPROVE}]" in card
    # Someone saying the same in other words is offered that item and supports it; the
    # digest counts them with it, and the response reaches them too.
    said = " ".join(metoo.split())  # lines are wrapped to the terminal
    assert "Is it one of these?" in said and "your support is added" in said
    assert "(+1 person said the same)" in digest and "heard it too" in " ".join(heard.split())
    # A digest that compares with the (seeded) period before, and says what needs attention.
    assert "before" in digest and "Needs attention" in digest
    assert "Access and waiting times" in digest
    # The response, published, reaching the citizen, who says it answers their point.
    assert "two extra receptionists" in answer and "Published" in answer
    assert "two extra receptionists" in heard and f"citizen: [{texts.ANSWERED_YES}]" in heard
    # The value report, then the technical counts on one line; the folder is gone.
    assert "Evidence of value" in report and "| **All services** |" in report
    assert lines[-2].startswith("30 citizens, ") and "Bot API calls" in lines[-2]
    assert "removed (--keep" in lines[-1]
    assert not list(temporary.iterdir()), list(temporary.iterdir())


def test_the_demo_keeps_its_folder_when_asked(tmp_path: Path) -> None:
    result, temporary = demo("--keep", "--citizens", "8", tmp=tmp_path)
    [kept] = list(temporary.iterdir())
    assert f"Kept {kept}" in result.stdout
    assert {"yousaid.db", "digest.png", "report.png"} <= {p.name for p in kept.iterdir()}
    assert f"[chart: {kept / 'digest.png'}]" in result.stdout
