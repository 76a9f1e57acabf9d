"""Data rights end to end: /privacy, /mydata, /forget, retention; nothing erased lingers."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Person
from handlers import texts
from storage import published
from storage.db import stamp
from tests.conftest import FakeClock, PgTarget, connect, stored_bytes
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import press, say, stored
from tests.e2e.test_moderation import card_of, give, invite, press_card

SECRET_OPEN = "My neighbour Dr Zebedee at 14 Quince Road keeps parking on the pavement"
SECRET_PENDING = "The clinic lost my blood test results twice, absolutely hopeless"


async def ask(person: Person, text: str, expect: str) -> str:
    """Send text; wait for a reply containing `expect` (other messages may come between)."""
    await person.send(text)
    found = await person.wait_for(lambda msgs: expect in (msgs[-1].text or ""), timeout=10)
    return found[-1].text or ""


def everything_in(db_path: Path) -> str:
    """Every value of every row of every table, as text."""
    with connect(db_path) as conn:
        tables = (
            [
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = current_schema()"
                )
            ]
            if isinstance(db_path, PgTarget)
            else [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        )
        parts = []
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                parts.append(repr(row))
    return "\n".join(parts)


async def moderated_team(make_bot: BotFactory, emu: Emulator, deployment: Deployment):  # type: ignore[no-untyped-def]
    admin, sam, citizen = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    group = emu.group("Mods", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    return admin, sam, citizen, group, make_bot(deployment=staffed)


async def test_privacy_text_says_how_long_and_the_version(bot: YousaidBot, emu: Emulator) -> None:
    text = await say(emu.person("Vi"), "/privacy")
    assert "180 days" in text and "730 days" in text and "Version 2026-12" in text
    assert "/forget" in text and "/mydata" in text


async def test_mydata_and_forget(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        assert await say(citizen, "/mydata") == texts.MYDATA_EMPTY
        approved = await give(citizen, "Parks and green spaces", SECRET_OPEN)
        pending = await give(citizen, "Riverside GP Surgery", SECRET_PENDING)
        card = await card_of(group, approved)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        await citizen.send("/mydata")
        found = await citizen.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
        data = json.loads(found[-1].document or b"{}")
        assert [c["decision"] for c in data["consents"]] == ["given"]
        by_ref = {i["reference"]: i for i in data["items"]}
        assert by_ref[approved]["what_you_wrote"] == SECRET_OPEN
        assert (
            by_ref[approved]["status"] == texts.MYDATA_VALUES["status"]["approved"]
            and "[name]" in by_ref[approved]["as_published"]
        )
        assert by_ref[pending]["status"] == texts.MYDATA_VALUES["status"]["pending"]
        assert str(citizen.id) not in json.dumps(data)
        before = await published.tally(bot.db.reader, ["parks"], "", "9999")
        # Asked first; "keep everything" erases nothing.
        assert "can't be undone" in await ask(citizen, "/forget", "can't be undone")
        assert texts.FORGET_CANCELLED in await press(citizen, texts.FORGET_NO)
        assert SECRET_OPEN in everything_in(db_path)
        await ask(citizen, "/forget", "can't be undone")
        assert texts.FORGET_DONE in await press(citizen, texts.FORGET_ALL)
        after = await published.tally(bot.db.reader, ["parks"], "", "9999")
        quoted = await published.items(bot.db.reader, ["parks"])
    # Past digests' numbers stand; the words are gone.
    assert after.items == before.items == 1 and after.by_theme == before.by_theme
    assert quoted == []
    dump = everything_in(db_path)
    for secret in (SECRET_OPEN, SECRET_PENDING, "Zebedee", "Quince", "blood test"):
        assert secret not in dump
    with connect(db_path) as conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM citizens WHERE telegram_id = ?", (citizen.id,)
        ).fetchone() == (0,)
        for table, column in (
            ("staff", "telegram_id"),
            ("audit", "actor"),
            ("invitations", "used_by"),
        ):
            assert citizen.id not in {r[0] for r in conn.execute(f"SELECT {column} FROM {table}")}
    # Nor in the file itself: the WAL was checkpointed and deleted rows overwritten.
    raw = stored_bytes(db_path)
    for secret in (SECRET_OPEN, SECRET_PENDING, "Zebedee", "blood test"):
        assert secret.encode() not in raw
    where = raw.find(str(citizen.id).encode())
    assert where == -1, raw[max(0, where - 300) : where + 60]


async def test_forget_but_keep_published_comments(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        approved = await give(citizen, "Parks and green spaces", SECRET_OPEN)
        pending = await give(citizen, "Riverside GP Surgery", SECRET_PENDING)
        card = await card_of(group, approved)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        await ask(citizen, "/forget", "can't be undone")
        assert texts.FORGET_DONE in await press(citizen, texts.FORGET_KEEP)
        kept = await published.items(bot.db.reader, ["parks"])
    assert [k.id for k in kept] == [approved] and "Zebedee" not in kept[0].text
    assert stored(db_path, f"SELECT citizen_id, text FROM feedback WHERE id = {approved}") == [
        (0, kept[0].text)
    ]
    assert stored(db_path, f"SELECT COUNT(*) FROM feedback WHERE id = {pending}") == [(0,)]
    dump = everything_in(db_path)
    assert "Zebedee" not in dump and SECRET_PENDING not in dump


async def test_retention_removes_old_originals_and_inactive_citizens(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        approved = await give(citizen, "Parks and green spaces", SECRET_OPEN)
        card = await card_of(group, approved)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        assert stored(db_path, "SELECT COUNT(*) FROM updates")[0][0] >= 5
        clock.advance(days=181)
        kept = await bot.privacy.retention()
        assert kept.originals_removed == 1 and kept.citizens_forgotten == 0
        # Handled updates are forgotten after two days.
        cutoff = stamp(clock.now - timedelta(days=2))
        old = stored(db_path, f"SELECT COUNT(*) FROM updates WHERE handled_at < '{cutoff}'")
        assert old == [(0,)]
        row = stored(db_path, f"SELECT text, published_text FROM feedback WHERE id = {approved}")
        assert row[0][0] == row[0][1] and "Zebedee" not in row[0][0]
        clock.advance(days=730)
        kept = await bot.privacy.retention()
        assert kept.citizens_forgotten == 1
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {citizen.id}") == [
        (0,)
    ]
    assert stored(db_path, f"SELECT citizen_id FROM feedback WHERE id = {approved}") == [(0,)]


async def test_logs_carry_no_telegram_ids_or_texts(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    caplog.set_level(logging.INFO)
    async with bot:
        await invite(admin, sam, "moderator")
        item = await give(citizen, "Parks and green spaces", SECRET_OPEN)
        card = await card_of(group, item)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        await citizen.send_photo()
        await citizen.press_data(citizen.messages[-1].message_id, "m:a:1:0")
        await ask(citizen, "/forget", "can't be undone")
        await press(citizen, texts.FORGET_ALL)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert logged  # the bot does log at INFO
    for person in (citizen, sam, admin):
        # As a whole number: a group's id in the log (the example's provider chats, which
        # the bot names at start when it cannot reach them) may hold a person's digits.
        assert not re.search(rf"(?<!\d){person.id}(?!\d)", logged)
    assert "Zebedee" not in logged and "pavement" not in logged


NEIGHBOUR = "My neighbour Jonathan Quirkleby dumps his rubbish on Elm Road every week"


@pytest.mark.sqlite_only
async def test_a_newcomers_typed_no_leaves_none_of_her_words_in_the_database_file(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Words written before consent are saved (as the update Telegram sent) until handled,
    so they reach SQLite's WAL: a typed "no" empties it, as pressing the button does."""
    nell = emu.person("Nell")
    await nell.send(NEIGHBOUR)
    await nell.wait_for(lambda ms: any("Is that OK with you?" in (m.text or "") for m in ms))
    await ask(nell, "no", "haven't kept anything")
    assert stored(db_path, "SELECT decision FROM consents") == [("declined",)]
    assert b"Quirkleby" not in stored_bytes(db_path)


@pytest.mark.sqlite_only
async def test_a_newcomer_who_never_answers_leaves_none_of_her_words_once_they_lapse(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """A newcomer writes, is asked for consent and never answers: once her words lapse (a
    typed "yes" no longer finds them), none is left in the database's files either."""
    nell = emu.person("Nell")
    await nell.send(NEIGHBOUR)
    await nell.wait_for(lambda ms: any("Is that OK with you?" in (m.text or "") for m in ms))
    await bot.handlers.citizen.expire_idle(bot.application)  # type: ignore[arg-type]
    # Still answerable: nothing is emptied for her yet.
    assert b"Quirkleby" in Path(f"{db_path}-wal").read_bytes()
    clock.advance(minutes=61)
    await bot.handlers.citizen.expire_idle(bot.application)  # type: ignore[arg-type]
    assert b"Quirkleby" not in stored_bytes(db_path)
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(0,)]
