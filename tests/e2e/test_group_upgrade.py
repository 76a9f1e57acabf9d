"""A moderators' or providers' group that becomes a supergroup (a new id) keeps working: the
bot follows it by itself, with nothing lost and nothing twice, also after a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Group
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has, last_has
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import MONDAY, add_approved, run_job, scene
from tests.e2e.test_moderation import Team, card_of, give, outcome, press_card
from tests.e2e.test_moderation import team as team

MOVED = "became a supergroup"


def refused_for_moving(emu: Emulator, chat_id: int) -> int:
    """How many calls on this chat Telegram refused because it became a supergroup."""
    return sum(
        1
        for c in emu.calls
        if c.status == 400
        and c.params.get("chat_id") in (chat_id, str(chat_id))
        and "upgraded to a supergroup" in str(c.response.get("description"))
    )


def digests_in(group: Group) -> list[str]:
    """The digests' texts in a group (not the word that the bot followed it)."""
    return [m.text or "" for m in group.messages if m.photo is None and MOVED not in (m.text or "")]


async def test_a_moderators_group_upgraded_with_cards_waiting_keeps_working(
    team: Team, emu: Emulator, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="handlers.ids")
    decided = await give(team.citizen, "Buses", "The 42 bus was late again this morning.")
    waiting = await give(
        team.citizen, "Central Library", "The library closed early with no notice."
    )
    decided_card = await card_of(team.group, decided)
    await card_of(team.group, waiting)
    # Decided on its card in the old group, before the move.
    await press_card(team.sam, team.group, decided_card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by Sam" in (decided_card.text or ""))
    assert "passed on" in await outcome(team.citizen, decided)

    supergroup = emu.upgrade(team.group, by=team.admin)

    # The group is told, in plain words, and the operator too (in the log).
    notice = (await supergroup.wait_for(has(MOVED), timeout=30))[0].text or ""
    assert str(team.group.id) in notice and str(supergroup.id) in notice
    assert "deployment file" in notice
    # The card still waiting is posted again where the moderators are now; the decided one
    # is not (its decision stands, once).
    card = await card_of(supergroup, waiting)
    assert not any((m.text or "").startswith(f"#{decided} ") for m in supergroup.messages)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        f"(id {team.group.id}) became a supergroup: its id is now {supergroup.id}" in line
        and "moderators_chat" in line
        for line in warnings
    ), warnings

    # A moderator decides in the new group; the author hears of it once.
    answer = await press_card(team.mo, supergroup, card, texts.APPROVE)
    assert answer.get("text") in (None, "")
    await supergroup.wait_for(lambda _: "Published by Mo" in (card.text or ""))
    assert "passed on" in await outcome(team.citizen, waiting)
    # Moderators' commands work there as in the old group.
    await team.sam.send("/queue", chat=supergroup)
    await supergroup.wait_for(last_has(texts.QUEUE_EMPTY), timeout=30)
    # A new item's card goes straight to the new group.
    newer = await give(team.citizen, "Buses", "The bus stop sign fell over on Mill Road.")
    await card_of(supergroup, newer)

    told = [
        m
        for m in team.citizen.messages
        if f"#{decided} about" in (m.text or "") and "passed on" in (m.text or "")
    ]
    assert len(told) == 1
    rows = stored(
        db_path, f"SELECT id, status FROM feedback WHERE id IN ({decided}, {waiting}) ORDER BY id"
    )
    assert rows == [(decided, "approved"), (waiting, "approved")]
    assert stored(db_path, "SELECT old_chat_id, new_chat_id FROM chat_moves") == [
        (team.group.id, supergroup.id)
    ]
    # The moves were recorded once though Telegram said it twice (in each group).
    assert len([line for line in warnings if MOVED in line]) == 1
    assert sum(MOVED in (m.text or "") for m in supergroup.messages) == 1


async def test_a_digest_to_a_provider_group_that_moved_is_sent_there_once_also_after_restart(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = scene(emu, deployment, count=1)
    # Pat runs the deployment (an admin speaks for every provider).
    staffed = world.deployment.model_copy(update={"admins": [world.staff.id]})
    group = world.groups["team-0"]
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=staffed) as bot:
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        await bot.application.bot.send_message(group.id, "ready")  # the group works as set up
        supergroup = emu.upgrade(group, by=world.staff)
        # The bot missed both service messages (down, say): Telegram's 400 is what it learns from.
        emu.updates.clear()
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest-catch-up")
        await supergroup.wait_for(has(MOVED), timeout=30)
    digests = digests_in(supergroup)
    assert len(digests) == 1 and "crowded" in digests[0]
    assert refused_for_moving(emu, group.id) == 1  # refused once, then sent where it is now
    assert stored(db_path, "SELECT COUNT(*), MIN(state) FROM digests") == [(1, "sent")]

    # After a restart the move is known: the next digest goes straight to the new group.
    clock.now = MONDAY.replace(day=16, minute=1)
    async with make_bot(deployment=staffed) as bot:
        await add_approved(
            bot.db,
            "s-team-0",
            "The new chairs are much better.",
            MONDAY.replace(day=12),
            ["access"],
        )
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest-catch-up")
        assert len(digests_in(supergroup)) == 2 and "chairs" in digests_in(supergroup)[1]
        # A provider's command in the new group answers there, as in the team's own chat
        # (not "in your private chat or your team's chat").
        await world.staff.send("/services", chat=supergroup)
        await supergroup.wait_for(lambda msgs: len(digests_in(supergroup)) == 3, timeout=30)
    answer = supergroup.messages[-1]
    assert "Team 0: the services whose digest this chat gets" in (answer.text or "")
    assert any("Service of team-0" in label for row in answer.buttons for label in row)
    assert refused_for_moving(emu, group.id) == 1
    assert sum(MOVED in (m.text or "") for m in supergroup.messages) == 1
