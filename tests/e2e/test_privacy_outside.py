"""Privacy outside the database: after /forget the staff's chats lose the citizen's words
too; a restored backup does not bring erased people back; the files are the owner's only."""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from tests.conftest import ROOT, FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has, press_on, with_text
from tests.e2e.test_asks import INVITATION, World, approve, propose, seed
from tests.e2e.test_asks import world as world  # the fixture
from tests.e2e.test_citizen import press, stored
from tests.e2e.test_moderation import Team, card_of, give, invite, press_card
from tests.e2e.test_moderation_faults import _pending, sweep
from tests.e2e.test_moderation_faults import team as team  # the fixture
from tests.e2e.test_privacy import SECRET_PENDING, ask, everything_in, moderated_team

TWO_DAYS = 48 * 3600


async def until(emu: Emulator, check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds (the timeout only bounds a failure)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await emu.changed(0.2)


async def carded_and_shown(
    emu: Emulator, sam: Person, citizen: Person, group: Group
) -> tuple[MessageView, MessageView]:
    """The citizen's item is carded; Sam asks for the original: (card, private original)."""
    item = await give(citizen, "Riverside GP Surgery", SECRET_PENDING)
    card = await card_of(group, item)
    answer = await press_card(sam, group, card, texts.ORIGINAL)
    assert answer.get("text") == texts.ORIGINAL_SENT
    original = await sam.wait_for(lambda msgs: "blood test" in (msgs[-1].text or ""))
    return card, original[-1]


async def forget(citizen: Person) -> None:
    await ask(citizen, "/forget", "can't be undone")
    assert texts.FORGET_DONE in await press(citizen, texts.FORGET_ALL)


async def test_forget_deletes_the_card_and_the_original_shown_to_a_moderator(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        card, original = await carded_and_shown(emu, sam, citizen, group)
        assert stored(db_path, "SELECT COUNT(*) FROM staff_messages") == [(1,)]
        await forget(citizen)
        await until(emu, lambda: card.deleted and original.deleted)
    assert not any("blood test" in (m.text or "") for m in group.messages + sam.messages)
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM staff_messages") == [(0,)]


async def test_a_list_shared_with_others_is_drawn_again_without_the_forgotten_items(
    team: Team, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    cy, bo = team.citizen, emu.person("Bo")
    gone = await _pending(team.bot.db, cy.id, 5, clock(), words="Cy's own words {n}. ")
    kept = await _pending(team.bot.db, bo.id, 7, clock(), words="Bo's own words {n}. ")
    await sweep(team)
    lists = await team.group.wait_for(
        lambda msgs: sum("new items" in (m.text or "") for m in msgs) == 2
    )
    shared, others = [m for m in lists if "new items" in (m.text or "")]
    assert "Cy's own words" in (shared.text or "") and "Bo's own words" in (shared.text or "")
    # One of Cy's is published from the list first: it is not listed after /forget either.
    await press_card(team.sam, team.group, shared, texts.BATCH_APPROVE.format(item=gone[0]))
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (shared.text or ""))
    await cy.wait_for(lambda msgs: any("passed on" in (m.text or "") for m in msgs))
    before = others.text
    await cy.send("/forget")
    await cy.wait_for(lambda msgs: any("can't be undone" in (m.text or "") for m in msgs))
    assert texts.FORGET_DONE in await press(cy, texts.FORGET_ALL)
    await until(emu, lambda: "Cy's own words" not in (shared.text or ""))
    assert not shared.deleted and not others.deleted and others.text == before
    listed = [int(n) for n in re.findall(r"^#(\d+) ", shared.text or "", re.M)]
    assert listed == kept[:3]
    assert [texts.BATCH_APPROVE.format(item=kept[0]), texts.BATCH_VIEW.format(item=kept[0])] in (
        shared.buttons
    )
    assert not any(f"#{item}" in label for row in shared.buttons for label in row for item in gone)
    await until(emu, lambda: stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)])


async def test_past_48_hours_they_are_edited_to_a_note_instead(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        card, original = await carded_and_shown(emu, sam, citizen, group)
        emu.age_messages(TWO_DAYS + 60)
        await forget(citizen)
        await until(emu, lambda: card.text == original.text == texts.REMOVED_BY_AUTHOR)
    for message in (card, original):
        assert not message.deleted and message.buttons == []
    assert len(emu.calls_to("deleteMessage")) == 2
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]


async def test_a_failed_deletion_is_retried_after_a_restart_and_stops_no_other(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, clock: FakeClock
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    staffed = bot.deployment
    async with bot:
        await invite(admin, sam, "moderator")
        card, original = await carded_and_shown(emu, sam, citizen, group)
        fault = emu.faults.server_error("deleteMessage", times=1)
        await forget(citizen)
        # One failed; the other was taken back all the same.
        await until(emu, lambda: fault.hits == 1 and (card.deleted or original.deleted))
        await until(
            emu,
            lambda: stored(db_path, "SELECT attempts FROM messages_to_clean") == [(1,)],
        )
        assert not (card.deleted and original.deleted)
    # The retry is a row in the database: a restart keeps it; its time comes, it is done.
    clock.advance(minutes=1)
    async with make_bot(deployment=staffed):
        await until(emu, lambda: card.deleted and original.deleted)
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]


async def test_what_a_citizen_shared_with_a_provider_is_taken_back_too(
    world: World, emu: Emulator, db_path: Path
) -> None:
    gil = emu.person("Gilberta", username="gil_h")
    await seed(world.bot.db, gil, "library", hear_back=False, involve="yes")
    await propose(world, "/invite_people library", INVITATION)
    await approve(world, INVITATION)
    invitation = with_text(await gil.wait_for(has(INVITATION)), INVITATION)
    await press_on(gil, invitation, texts.ASKS_ACCEPT_NAME)
    told = with_text(await world.team.wait_for(has("(@gil_h)")), "(@gil_h)")
    private = with_text(await world.pat.wait_for(has("(@gil_h)")), "(@gil_h)")
    await forget(gil)
    await until(emu, lambda: told.deleted and private.deleted)
    assert stored(db_path, "SELECT COUNT(*) FROM staff_messages") == [(0,)]


async def test_retention_takes_back_the_originals_shown_to_moderators(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        card, original = await carded_and_shown(emu, sam, citizen, group)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        clock.advance(days=181)
        emu.age_messages(181 * 24 * 3600)
        job_queue = bot.application.job_queue
        assert job_queue is not None
        (job,) = job_queue.get_jobs_by_name("retention")
        await job.run(bot.application)
        await until(emu, lambda: original.text == texts.REMOVED_EXPIRED)
    # The card shows the published, redacted text, which stays.
    assert not card.deleted and "Published by" in (card.text or "")


def cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...` on this database, as an operator runs it."""
    env = {"DATABASE_URL": f"sqlite:///{db_path}", "PATH": os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.sqlite_only  # backup and restore of the SQLite file (PostgreSQL: pg_dump)
async def test_a_restored_backup_keeps_the_forgotten_forgotten(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, tmp_path: Path
) -> None:
    admin, sam, citizen, _, bot = await moderated_team(make_bot, emu, deployment)
    other = emu.person("Di")
    async with bot:
        await invite(admin, sam, "moderator")
        await give(citizen, "Riverside GP Surgery", SECRET_PENDING)
        kept = await give(other, "Central Library", "The self-service machines keep freezing.")
        copy = tmp_path / "backups" / "before.db"
        made = await asyncio.to_thread(cli, db_path, "backup", str(copy))
        assert made.returncode == 0, made.stderr
        await forget(citizen)
    assert SECRET_PENDING in everything_in(copy)  # a backup holds what was erased since
    journal = Path(f"{db_path}.erasures")
    assert mode(journal) == 0o600
    assert str(citizen.id) not in journal.read_text() and "blood" not in journal.read_text()

    restored = await asyncio.to_thread(cli, db_path, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert "1 erasure" in restored.stdout
    dump = everything_in(db_path)
    assert SECRET_PENDING not in dump and "blood test" not in dump
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {citizen.id}") == [
        (0,)
    ]
    assert stored(db_path, f"SELECT COUNT(*) FROM feedback WHERE id = {kept}") == [(1,)]
    assert mode(db_path) == 0o600

    # The live database lost altogether: the journal file beside it still says who went.
    for leftover in db_path.parent.glob(db_path.name + "*"):
        if leftover != journal:
            leftover.unlink()
    again = await asyncio.to_thread(cli, db_path, "restore", str(copy))
    assert again.returncode == 0, again.stderr
    assert SECRET_PENDING not in everything_in(db_path)
    raw = db_path.read_bytes()
    assert b"blood test" not in raw and str(citizen.id).encode() not in raw


@pytest.mark.sqlite_only  # backup and restore of the SQLite file (PostgreSQL: pg_dump)
async def test_restore_refuses_while_the_bot_holds_the_database(
    make_bot: BotFactory, emu: Emulator, db_path: Path, tmp_path: Path
) -> None:
    async with make_bot():
        await give(emu.person("Cy"), "Central Library", "The self-service machines keep freezing.")
    copy = tmp_path / "copy.db"
    assert (await asyncio.to_thread(cli, db_path, "backup", str(copy))).returncode == 0
    before = db_path.read_bytes()
    # What a running bot holds: an exclusive flock on <database>.lock.
    fd = os.open(f"{db_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused = await asyncio.to_thread(cli, db_path, "restore", str(copy))
    finally:
        os.close(fd)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "stop the bot" in refused.stderr
    assert db_path.read_bytes() == before


@pytest.mark.sqlite_only  # file modes of the SQLite file and its WAL
async def test_the_data_directory_and_every_file_are_the_owners_only(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    db_path = folder / "yousaid.db"
    previous = os.umask(0o022)  # a usual umask: files 0644 unless the bot says otherwise
    try:
        admin, _, citizen, group, _ = await moderated_team(make_bot, emu, deployment)
        staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
        async with make_bot(deployment=staffed, DATABASE_URL=f"sqlite:///{db_path}"):
            await give(citizen, "Central Library", "The self-service machines keep freezing.")
            assert mode(folder) == 0o700
            for name in ("yousaid.db", "yousaid.db-wal", "yousaid.db-shm"):
                assert mode(folder / name) == 0o600, name
            await forget(citizen)
            copy = tmp_path / "backups" / "b.db"
            assert (await asyncio.to_thread(cli, db_path, "backup", str(copy))).returncode == 0
        assert mode(copy) == 0o600 and mode(copy.parent) == 0o700
        assert mode(folder / "yousaid.db.erasures") == 0o600
    finally:
        os.umask(previous)
