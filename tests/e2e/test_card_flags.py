"""The card tells the truth: what was removed, what the redactor was unsure of, and the
auto-approve rule never publishes a text in which anything was found or flagged."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.bidi import FSI, PDI
from bot.config import Deployment
from bot.intake import CONSENT_VERSION
from emulator import Emulator, Group, Person
from handlers import texts
from storage import citizens, feedback
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import press, stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    invite,
    outcome,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_moderation_faults import sweep
from tests.e2e.test_privacy import ask, everything_in, moderated_team


def lines(text: str | None, start: str) -> list[str]:
    """The lines of a message that start so (without the marks that isolate quotes)."""
    plain = (text or "").replace(FSI, "").replace(PDI, "")
    return [line for line in plain.splitlines() if line.startswith(start)]


async def test_a_card_asks_to_check_a_likely_name_and_a_long_number(
    team: Team,  # noqa: F811 - the fixture imported above
    db_path: Path,
) -> None:
    item = await give(
        team.citizen,
        "Riverside GP Surgery",
        "The lady on the desk, Priya Sharma, was rude. They told me to quote 441 2998 "
        "and I left my number 07700 900123 twice.",
    )
    card = await card_of(team.group, item)
    # What was removed, and only that; what is still there, quoted, to be checked.
    assert lines(card.text, "🔒") == ["🔒 Removed: a name, a phone number"]
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a long number (“441 2998”)"]
    assert "07700" not in (card.text or "") and "[phone]" in (card.text or "")
    flags = json.loads(
        str(stored(db_path, f"SELECT redaction_flags FROM feedback WHERE id = {item}")[0][0])
    )
    assert [(f["kind"], f["text"]) for f in flags] == [("number", "441 2998")]


async def _edit(crew: Team, card_text: str, item: int, text: str) -> None:
    card = await card_of(crew.group, item)
    await press_card(crew.sam, crew.group, card, texts.EDIT)
    found = await crew.group.wait_for(
        lambda msgs: any("reply to this message" in (m.text or "") for m in msgs[-2:])
    )
    prompt = next(m for m in reversed(found) if "reply to this message" in (m.text or ""))
    await crew.sam.send(text, chat=crew.group, reply_to=prompt)
    await crew.group.wait_for(lambda _: card_text not in (card.text or ""))


async def test_the_card_follows_a_moderators_edit(
    team: Team,  # noqa: F811 - the fixture imported above
) -> None:
    item = await give(
        team.citizen,
        "Buses",
        "The driver shouted at us, ring me on 07700 900123. His badge said 441 2998.",
    )
    card = await card_of(team.group, item)
    assert lines(card.text, "🔒") == ["🔒 Removed: a phone number"]
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a long number (“441 2998”)"]
    # The moderator takes the number out: nothing is left to check.
    await _edit(team, "441 2998", item, "The driver shouted at us, ring me on [phone].")
    card = await card_of(team.group, item)
    assert "441" not in (card.text or "") and lines(card.text, "⚠️") == []
    assert lines(card.text, "🔒") == ["🔒 Removed: a phone number"]
    # An edit that puts the number back: it is no longer said to be removed, and is asked about.
    await _edit(team, "ring me on [phone]", item, "The driver shouted, ring me on 07700 900123")
    card = await card_of(team.group, item)
    assert lines(card.text, "🔒") == []
    assert lines(card.text, "⚠️") == ["⚠️ Please check: a phone number (“07700 900123”)"]
    # Published as the moderator chose, and the author is not told the number was removed.
    await press_card(team.sam, team.group, card, texts.APPROVE)
    told = await outcome(team.citizen, item)
    assert "passed on" in told and "phone number" not in told


async def test_a_long_quote_is_cut_and_many_flags_are_counted(
    team: Team,  # noqa: F811 - the fixture imported above
    clock: FakeClock,
) -> None:
    numbers = ", ".join(f"{n}41 2998" for n in range(1, 8))
    long_name = "Bartholomew Featherstonehaugh-Cholmondeley"
    text = f"Thanks {long_name}. The refs were {numbers}."
    # Flagged as the redactor would flag a name it is unsure of, then carded by the bot.
    flags = [{"kind": "name", "start": 7, "end": 7 + len(long_name), "text": long_name}]
    for n in range(1, 8):
        at = text.index(f"{n}41 2998")
        flags.append({"kind": "number", "start": at, "end": at + 8, "text": f"{n}41 2998"})
    (item,) = await _tagged(team.bot.db, team.citizen.id, clock(), [(text, json.dumps(flags))])
    await sweep(team)
    card = await card_of(team.group, item)
    (check,) = lines(card.text, "⚠️")
    assert check.startswith("⚠️ Please check: a possible name (“Bartholomew Featherstonehaugh-Ch…”)")
    assert check.endswith(", and 3 more")
    assert check.count("a long number") == 4


@pytest.fixture
async def auto(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> AsyncIterator[tuple[Person, Group]]:
    citizen = emu.person("Cy")
    group = emu.group("Mods", members=[])
    rules = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
    auto = deployment.model_copy(update={"moderators_chat": group.id, "moderation": rules})
    async with make_bot(deployment=auto):
        yield citizen, group


async def test_auto_approve_publishes_only_compliments_with_nothing_found_or_flagged(
    auto: tuple[Person, Group], db_path: Path
) -> None:
    citizen, group = auto
    praise = "Thank you, the staff were wonderful and so helpful today!"
    plain = await give(citizen, "Central Library", praise, rating="5")
    named = await give(
        citizen, "Central Library", f"Thank you to Priya Sharma, {praise[11:]}", rating="5"
    )
    numbered = await give(
        citizen, "Central Library", f"{praise[:-1]}, my code was 441 2998.", rating="5"
    )
    phoned = await give(citizen, "Central Library", f"{praise} Call me on 07700 900123.", "5")
    card = await card_of(group, plain)
    assert "Published by the auto-approve rule" in (card.text or "")
    for item in (named, numbered, phoned):
        card = await card_of(group, item)
        text = card.text or ""
        # A compliment all the same, waiting for a person, who is shown why.
        assert text.splitlines()[0].endswith("· compliment"), text
        assert "Waiting for a moderator" in text and "auto-approve" not in text
        assert lines(text, "⚠️") or lines(text, "🔒")
    told = await citizen.wait_for(
        lambda msgs: any(
            f"#{plain}" in (m.text or "") and "passed on" in (m.text or "") for m in msgs
        )
    )
    held_back = (named, numbered, phoned)
    assert not any(f"#{i} about" in (m.text or "") for m in told for i in held_back)
    rows = dict(stored(db_path, "SELECT id, status FROM feedback"))
    assert rows == {plain: "approved", **{item: "pending" for item in held_back}}
    held = stored(db_path, "SELECT subject, after FROM audit WHERE action = 'item.held'")
    assert {subject: json.loads(str(after))["why"] for subject, after in held} == {
        f"item:{named}": ["removed name"],
        f"item:{numbered}": ["check number"],
        f"item:{phoned}": ["removed phone"],
    }


async def _tagged(
    db: Database, telegram_id: int, at: datetime, items: list[tuple[str, str | None]]
) -> list[int]:
    """Items tagged but not carded yet, straight into storage: (text, flags as JSON), None
    for an item stored as before flags were kept."""

    async def run(conn: aiosqlite.Connection) -> list[int]:
        citizen = await citizens.get_or_create(conn, telegram_id, at)
        await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", at)
        made = []
        for text, flags in items:
            item = await feedback.create(
                conn,
                citizen_id=citizen.id,
                service_slug="buses",
                text=text,
                rating=2,
                hear_back=True,
                now=at,
            )
            more = {"flags": flags} if flags is not None else {}
            await feedback.save_tagging(
                conn,
                item,
                kind="complaint",
                redacted_text=text,
                redactions="[]",
                themes=[("access_waiting", 0.9, "model", "[]")],
                now=at,
                **more,
            )
            made.append(item)
        return made

    return await db.write(run)


async def test_a_list_of_several_items_says_which_to_check_before_approving(
    team: Team,  # noqa: F811 - the fixture imported above
    clock: FakeClock,
) -> None:
    name = json.dumps([{"kind": "name", "start": 4, "end": 8, "text": "Bill"}])
    items = [
        (f"Ask Bill about bus {n}, it was late again." * 3, name if n == 3 else None)
        for n in range(12)
    ]
    made = await _tagged(team.bot.db, team.citizen.id, clock(), items)
    await sweep(team)
    found = await team.group.wait_for(
        lambda msgs: sum("new items" in (m.text or "") for m in msgs) == 2
    )
    listed = "\n".join(m.text or "" for m in found if "new items" in (m.text or ""))
    entries = {int(e.split(" ", 1)[0]): e for e in listed.split("\n#")[1:]}
    assert set(entries) == set(made)
    checked = [
        item for item, entry in entries.items() if "⚠️ Please check: a possible name" in entry
    ]
    assert checked == [made[3]]


async def test_what_was_flagged_goes_when_its_author_is_forgotten(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam, citizen, group, bot = await moderated_team(make_bot, emu, deployment)
    async with bot:
        await invite(admin, sam, "moderator")
        item = await give(citizen, "Buses", "The driver was kind to us. His badge said 441 2998.")
        card = await card_of(group, item)
        assert "441 2998" in "".join(lines(card.text, "⚠️"))
        crew = Team(bot, group, admin, sam, sam, sam, citizen)
        await _edit(crew, "441 2998", item, "The driver was kind to us.")
        card = await card_of(group, item)
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by" in (card.text or ""))
        assert "passed on" in await outcome(citizen, item)
        await ask(citizen, "/forget", "can't be undone")
        assert texts.FORGET_DONE in await press(citizen, texts.FORGET_KEEP)
    assert stored(db_path, f"SELECT redaction_flags FROM feedback WHERE id = {item}") == [("[]",)]
    assert "441 2998" not in everything_in(db_path)


async def test_auto_approve_leaves_praise_in_doubt_to_a_person(
    auto: tuple[Person, Group], db_path: Path
) -> None:
    """Read as compliments, these are not, or may not be: a person reads them first."""
    citizen, group = auto
    doubted = {
        "The library was brilliant until last month, lovely staff back then.": "check turn",
        "Thank you in advance for fixing the lovely library's lights.": "check request",
        "Excellent library service NOT": "check denied",
    }
    items = {
        await give(citizen, "Central Library", text, rating="4"): why
        for text, why in doubted.items()
    }
    plain = await give(citizen, "Central Library", "Lovely staff, so helpful today.", "5")
    card = await card_of(group, plain)
    assert "Published by the auto-approve rule" in (card.text or "")
    for item, why in items.items():
        text = (await card_of(group, item)).text or ""
        assert text.splitlines()[0].endswith("· compliment"), text
        assert "Waiting for a moderator" in text and "auto-approve" not in text
        # The card says where to look.
        assert texts.CHECK_KINDS[why.removeprefix("check ")] in "".join(lines(text, "⚠️"))
    held = stored(db_path, "SELECT subject, after FROM audit WHERE action = 'item.held'")
    assert {subject: json.loads(str(after))["why"] for subject, after in held} == {
        f"item:{item}": [why] for item, why in items.items()
    }
    rows: dict[object, object] = dict(stored(db_path, "SELECT id, status FROM feedback"))
    assert rows == {plain: "approved", **{item: "pending" for item in items}}
