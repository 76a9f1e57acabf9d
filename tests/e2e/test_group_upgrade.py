"""A moderators' or providers' group that becomes a supergroup (a new id) keeps working: the
bot follows it by itself, with nothing lost and nothing twice, also after a restart."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.config import Deployment
from emulator import Emulator, Group, MessageView
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of, has, last_has, press_on
from tests.e2e.test_asks import INVITATION, QUESTION, approve, new_with, propose
from tests.e2e.test_asks import World as AskWorld
from tests.e2e.test_asks import world as asks_world
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import MONDAY, add_approved, run_job, scene
from tests.e2e.test_moderation import Team, card_of, give, outcome, press_card
from tests.e2e.test_moderation import team as team
from tests.e2e.test_responses import World as ResponseWorld
from tests.e2e.test_responses import digest_in_private
from tests.e2e.test_responses_bilingual import ENGLISH, WELSH, first_words, two_citizens
from tests.e2e.test_responses_bilingual import world as bilingual_world

MOVED = "became a supergroup"
# The fixtures, under the names the tests below ask for.
__all__ = ["asks_world", "bilingual_world", "team"]


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
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (decided_card.text or ""))
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
    await supergroup.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))
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
        # Approved in the next period (stored now: the bot sends a digest it missed as soon
        # as it is back, before anything could be added then).
        await add_approved(
            bot.db,
            "s-team-0",
            "The new chairs are much better.",
            MONDAY.replace(day=12),
            ["access"],
        )
    digests = digests_in(supergroup)
    assert len(digests) == 1 and "crowded" in digests[0]
    assert refused_for_moving(emu, group.id) == 1  # refused once, then sent where it is now
    assert stored(db_path, "SELECT COUNT(*), MIN(state) FROM digests") == [(1, "sent")]

    # After a restart the move is known: the next digest goes straight to the new group.
    clock.now = MONDAY.replace(day=16, minute=1)
    async with make_bot(deployment=staffed) as bot:
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


async def test_a_question_waiting_for_the_moderators_is_posted_again_where_they_moved(
    asks_world: AskWorld, emu: Emulator, db_path: Path
) -> None:
    world = asks_world
    waiting = await propose(world, "/ask library", QUESTION)
    decided = await propose(world, "/invite_people library", INVITATION)
    assert "was approved" in await approve(world, INVITATION)  # before the move, in the old group

    supergroup = emu.upgrade(world.mods, by=world.admin)
    await supergroup.wait_for(has(MOVED), timeout=30)
    # The question still waiting is posted again where the moderators are now, as it was
    # (its author named, its buttons); the invitation decided before is not.
    found = await supergroup.wait_for(has(QUESTION), timeout=30)
    card = next(m for m in found if QUESTION in (m.text or ""))
    assert "by \u2068Pat\u2069" in (card.text or "")
    assert {texts.ASKS_APPROVE, texts.ASKS_REJECT} <= set(buttons_of(card))
    assert not any(INVITATION in (m.text or "") for m in supergroup.messages)
    # A moderator approves it there: it counts, once; a second press finds it decided.
    since = len(world.pat.messages_in(world.team))
    answer = await press_card(world.sam, supergroup, card, texts.ASKS_APPROVE)
    assert not answer.get("show_alert"), answer
    await new_with(world.pat, "was approved", since, world.team)
    approved = "Approved by \u2068Sam\u2069"
    await supergroup.wait_for(lambda _: approved in (card.text or ""), timeout=15)
    again = await world.admin.press_data(card.message_id, f"q:a:{waiting}", chat=supergroup)
    assert (await again.answered()).get("text") == texts.ASKS_PROBLEMS["already_decided"]
    await emu.idle(quiet=0.3, timeout=5)
    told = [
        m for m in world.pat.messages_in(world.team)[since:] if "was approved" in (m.text or "")
    ]
    assert len(told) == 1
    assert stored(db_path, f"SELECT state FROM asks WHERE id IN ({waiting}, {decided})") == [
        ("approved",),
        ("approved",),
    ]
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE subject = 'ask:{waiting}'"
        " AND action = 'question.approved'",
    ) == [(1,)]
    # Its card is remembered where it is now.
    assert stored(
        db_path, f"SELECT card_chat_id, card_message_id FROM asks WHERE id = {waiting}"
    ) == [(supergroup.id, card.message_id)]
    # Posted again once, though Telegram said it twice (in each group).
    assert sum(QUESTION in (m.text or "") for m in supergroup.messages) == 1


async def test_a_response_waiting_for_a_language_is_posted_again_where_the_moderators_moved(
    bilingual_world: ResponseWorld, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    world = bilingual_world
    gwen, alice = await two_citizens(world, emu)
    digest = await digest_in_private(world, clock)
    prompt = await first_words(world, digest)
    await press_on(world.pat, prompt, texts.LANG_MODERATOR_WILL_ADD)
    previewed = await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
    await press_on(world.pat, previewed[-1], texts.RESPOND_SEND)
    await world.pat.wait_for(has("It waits for Cymraeg"))
    await world.mods.wait_for(has("Response waiting for Cymraeg"))

    supergroup = emu.upgrade(world.mods, by=world.admin)
    await supergroup.wait_for(has(MOVED), timeout=30)
    found = await supergroup.wait_for(has("Response waiting for Cymraeg"), timeout=30)
    card = next(m for m in found if "Response waiting for Cymraeg" in (m.text or ""))
    add = texts.LANG_ADD_BUTTON.format(language="Cymraeg")
    assert buttons_of(card)[add] == "o:l:1:cy"

    # A moderator adds the Welsh from the new card: it goes out, once, to each in theirs.
    await press_on(world.sam, card, add, chat=supergroup)
    asked = await supergroup.wait_for(last_has("write R1 in Cymraeg"), timeout=15)
    await world.sam.send(WELSH, chat=supergroup, reply_to=asked[-1])
    await supergroup.wait_for(has("Cymraeg added to R1"), timeout=15)
    await gwen.wait_for(has(WELSH), timeout=15)
    await alice.wait_for(has(ENGLISH), timeout=15)
    # The card there now offers to hide it, no longer to add the Welsh.
    await supergroup.wait_for(lambda _: add not in buttons_of(card), timeout=15)
    assert texts.RESPONSE_HIDE in buttons_of(card)
    # The button pressed again: nothing happens twice.
    again = await world.sam.press_data(card.message_id, "o:l:1:cy", chat=supergroup)
    assert (await again.answered())["text"] == texts.LANG_NOT_WAITING
    await emu.idle(quiet=0.3, timeout=5)
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(2,)]
    assert sum(WELSH in (m.text or "") for m in gwen.messages) == 1
    assert sum(ENGLISH in (m.text or "") for m in alice.messages) == 1
    assert stored(db_path, "SELECT card_chat, card_message FROM responses") == [
        (supergroup.id, card.message_id)
    ]
    # Posted again once, though Telegram said it twice (in each group).
    assert sum("o:h:1" in buttons_of(m).values() for m in supergroup.messages) == 1


def edit_prompts_in(group: Group, item: int) -> list[MessageView]:
    """The edit prompts for an item in a chat."""
    return [
        m
        for m in group.messages
        if "reply to this message" in (m.text or "") and f"#{item}" in (m.text or "")
    ]


async def test_an_edit_open_when_the_moderators_group_moves_goes_with_it(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    await team.group.wait_for(lambda _: bool(edit_prompts_in(team.group, item)))

    supergroup = emu.upgrade(team.group, by=team.admin)
    moved = await card_of(supergroup, item)
    # Sam's prompt is posted again where the moderators are now, under the card, naming him.
    prompt = (await supergroup.wait_for(lambda _: bool(edit_prompts_in(supergroup, item))))[-1]
    assert prompt.reply_to == moved.message_id
    assert (prompt.text or "").startswith("\u2068Sam\u2069, reply to this message")
    assert len(edit_prompts_in(supergroup, item)) == 1
    # While it is open it holds the item, as before the move; his reply there is taken.
    answer = await press_card(team.mo, supergroup, moved, texts.APPROVE)
    assert answer.get("text") == texts.MOD_PROBLEMS["being_edited"].format(item=item)
    await team.sam.send(
        "The 42 bus was late again, the driver was unkind.", chat=supergroup, reply_to=prompt
    )
    await supergroup.wait_for(lambda _: "driver was unkind" in (moved.text or ""))
    await supergroup.wait_for(lambda _: prompt.deleted)


async def test_an_edit_prompt_that_cannot_follow_the_group_holds_nothing_up(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    await team.group.wait_for(lambda _: bool(edit_prompts_in(team.group, item)))
    # Telegram refuses the prompt posted again in the new group.
    refused = emu.faults.error(
        "sendMessage",
        description="Bad Request: not enough rights to send text messages to the chat",
        text_contains="reply to this message",
        times=1,
    )

    supergroup = emu.upgrade(team.group, by=team.admin)
    moved = await card_of(supergroup, item)
    await supergroup.wait_for(lambda _: refused.spent)
    # The edit nobody can answer any more is let go: Mo may decide at once.
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM pending_edits") == [(0,)]
    answer = await press_card(team.mo, supergroup, moved, texts.APPROVE)
    assert answer.get("text") in (None, "")
    await supergroup.wait_for(lambda _: "Published by \u2068Mo\u2069" in (moved.text or ""))
