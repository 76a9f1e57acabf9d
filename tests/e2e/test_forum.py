"""Moderators' and providers' groups run as forums (topics): a command in a topic is answered
there; the bot's own posts (cards, reminders, digests) go to the topic where the group's
staff last used a command, else General; a topic deleted or closed since costs nothing (the
post goes to General once, and the topic is forgotten)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Deployment
from emulator import Emulator, Group, MessageView
from handlers import texts
from storage import forum_topics
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, has, press_on
from tests.e2e.test_digests import MONDAY, add_approved, run_job, scene
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    invite,
    outcome,
    press_card,
    remind_now,
)
from tests.e2e.test_responses import WEDNESDAY, notice_of


@pytest.fixture
async def forum(make_bot: BotFactory, emu: Emulator, deployment: Deployment) -> AsyncIterator[Team]:
    """The team of test_moderation, with a moderators' group run as a forum."""
    admin, sam, mo, pat, citizen = (emu.person(n) for n in ("Ada", "Sam", "Mo", "Pat", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam, mo], forum=True)
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "now a moderator" in await invite(admin, mo, "moderator")
        yield Team(bot, group, admin, sam, mo, pat, citizen)


def refused_in_topic(emu: Emulator) -> list[str]:
    """Descriptions of the sends Telegram refused for their topic."""
    return [
        str(c.response.get("description"))
        for c in emu.calls
        if not c.ok and "message_thread_id" in c.params
    ]


async def answer_in(group: Group, thread: int | None, words: str) -> MessageView:
    """The bot's newest message with these words in the group, checked to be in `thread`."""
    found = await group.wait_for(has(words), timeout=10)
    message = next(m for m in reversed(found) if words in (m.text or ""))
    assert message.thread == thread, (message, thread)
    return message


async def test_commands_are_answered_in_their_topic_and_cards_follow_the_moderators(
    forum: Team, emu: Emulator
) -> None:
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    # A card before any command: General.
    first = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    assert (await card_of(group, first)).thread is None
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "1 waiting")
    # /id answers there too (a reply by chat id, not by python-telegram-bot's reply).
    await sam.send("/id", chat=group, topic=moderation)
    await answer_in(group, moderation, str(group.id))
    # The bot's own posts now go where the moderators are.
    second = await give(forum.citizen, "Central Library", "The library closed early today.")
    assert (await card_of(group, second)).thread == moderation
    # A command in General brings them back.
    await sam.send("/queue", chat=group)
    await answer_in(group, None, "2 waiting")
    third = await give(forum.citizen, "Buses", "The 42 was late again this morning.")
    assert (await card_of(group, third)).thread is None
    assert refused_in_topic(emu) == []


async def test_a_command_for_another_bot_or_by_a_non_moderator_moves_nothing(
    forum: Team, emu: Emulator
) -> None:
    group = forum.group
    elsewhere = emu.create_topic(group, "Chat", by=forum.admin)
    group.add(forum.citizen)
    await forum.citizen.send("/queue", chat=group, topic=elsewhere)
    # Refused where it was asked.
    await answer_in(group, elsewhere, "isn't something I can do")
    await forum.sam.send(f"/queue@{emu.bot_username}", chat=group)
    await answer_in(group, None, "Nothing is waiting")
    item = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    assert (await card_of(group, item)).thread is None
    assert await forum_topics.everything(forum.bot.db.reader) == {}


@pytest.mark.parametrize("how", ["deleted", "closed"])
async def test_a_topic_deleted_or_closed_since_sends_to_general_once(
    forum: Team, emu: Emulator, clock: FakeClock, how: str
) -> None:
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "Nothing is waiting")
    assert await forum_topics.everything(forum.bot.db.reader) == {
        (group.id, "moderator"): moderation
    }
    if how == "deleted":
        emu.delete_topic(group, moderation)
    else:
        emu.close_topic(group, moderation, by=forum.admin)
    # The card still arrives, in General; the topic is forgotten.
    first = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    assert (await card_of(group, first)).thread is None
    # Only the card: the topic's closing (a service message the bot gets) is not answered.
    assert [m.text or "" for m in group.in_topic(None)] == [(await card_of(group, first)).text]
    expected = "TOPIC_CLOSED" if how == "closed" else "message thread not found"
    assert [expected in d for d in refused_in_topic(emu)] == [True]
    assert await forum_topics.everything(forum.bot.db.reader) == {}
    # The reminder too goes to General, without trying the topic again.
    clock.advance(hours=3)
    await remind_now(forum.bot)
    reminder = await answer_in(group, None, "⏰")
    assert f"#{first}" in (reminder.text or "")
    assert len(refused_in_topic(emu)) == 1


async def test_a_providers_forum_gets_its_digest_in_the_topic_where_they_asked(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    pat, admin = world.staff, emu.person("Ada")
    # Topics turned on after the file was written: the group moved to a new id first.
    team = emu.make_forum(world.groups["team-0"], by=pat)
    clock.now = MONDAY.replace(day=4)
    staffed = world.deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staffed) as bot:
        assert "provider for Team 0" in await invite(admin, pat, "provider team-0")
        digests = emu.create_topic(team, "Digests", by=pat)
        await pat.send("/schedule", chat=team, topic=digests)
        schedule = await answer_in(team, digests, "Next digest")
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
    posted = [m for m in team.messages if m.message_id > schedule.message_id]
    assert any("crowded" in (m.text or "") for m in posted), posted
    assert any(m.photo is not None for m in posted), posted
    assert {m.thread for m in posted} == {digests}, posted


async def test_a_card_in_a_topic_is_edited_and_approved_there(forum: Team, emu: Emulator) -> None:
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "Nothing is waiting")
    item = await give(forum.citizen, "Buses", "The 42 bus was late and the driver shouted.")
    card = await card_of(group, item)
    assert card.thread == moderation
    await press_card(sam, group, card, texts.EDIT)
    prompt = await answer_in(group, moderation, "reply to this message")
    await sam.send("The 42 bus was late and the driver was unkind.", chat=group, reply_to=prompt)
    await group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    await press_card(sam, group, card, texts.APPROVE)
    assert "tidied the wording" in await outcome(forum.citizen, item)
    assert {m.thread for m in group.messages} == {moderation}
    assert refused_in_topic(emu) == []


async def test_a_provider_responds_from_a_topic_of_their_teams_forum(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    admin, pat, alice = (emu.person(n) for n in ("Ada", "Pat", "Alice"))
    team = emu.group("Culture team", members=[pat], forum=True)
    providers = [
        p.model_copy(update={"chats": [team.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "providers": providers})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        answers = emu.create_topic(team, "Answers", by=pat)
        item = await add_item(bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
        await pat.send(f"/respond {item}", chat=team, topic=answers)
        asked = await answer_in(team, answers, "What is your answer?")
        await press_on(pat, asked, texts.RESPONSE_STATUS["in_progress"], chat=team)
        prompt = await answer_in(team, answers, "Reply to this message")
        await pat.send("A new lift part arrives next week.", chat=team, reply_to=prompt)
        preview = await answer_in(team, answers, texts.RESPOND_PREVIEW_FOOT)
        await press_on(pat, preview, texts.RESPOND_SEND, chat=team)
        await answer_in(team, answers, "Published")
        assert "new lift part arrives" in ((await notice_of(alice)).text or "")
    assert {m.thread for m in team.messages} == {answers}
    assert refused_in_topic(emu) == []


async def test_the_reminder_goes_to_the_moderators_topic_also_after_a_restart(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    admin, sam, citizen = (emu.person(n) for n in ("Ada", "Sam", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam], forum=True)
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    moderation = emu.create_topic(group, "Moderation", by=admin)
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await sam.send("/queue", chat=group, topic=moderation)
        await answer_in(group, moderation, "Nothing is waiting")
        item = await give(citizen, "Buses", "The 7 bus skipped our stop twice this week.")
        assert (await card_of(group, item)).thread == moderation
    # After a restart (or on another instance), the topic is known from the database.
    clock.advance(hours=3)
    async with make_bot(deployment=staffed) as again:
        await remind_now(again)
        reminder = await answer_in(group, moderation, "⏰")
    assert f"#{item}" in (reminder.text or "")


async def test_an_error_while_answering_in_a_topic_is_said_in_that_topic(
    forum: Team, emu: Emulator
) -> None:
    group = forum.group
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    emu.faults.error(
        "sendMessage",
        chat_id=group.id,
        description="Bad Request: something unexpected",
        text_contains="Nothing is waiting",
        times=1,
    )
    await forum.sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, texts.ERROR)
    assert group.in_topic(None) == []


async def test_cards_deleted_with_their_topic_are_posted_again_in_general(
    forum: Team, emu: Emulator
) -> None:
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "Nothing is waiting")
    first = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    gone = await card_of(group, first)
    assert gone.thread == moderation
    emu.delete_topic(group, moderation)
    assert gone.deleted
    # The next card finds the topic gone: it goes to General, and so does the first again.
    second = await give(forum.citizen, "Central Library", "The library closed early today.")
    assert (await card_of(group, second)).thread is None
    again = await card_of(group, first)
    assert again.thread is None and again.message_id != gone.message_id
    await press_card(sam, group, again, texts.APPROVE)
    assert "passed on" in await outcome(forum.citizen, first)
    await emu.idle(quiet=0.3)
    live = [m.message_id for m in group.messages if (m.text or "").startswith(f"#{first} ")]
    assert live == [again.message_id]


@pytest.mark.parametrize("words", ["TOPIC_CLOSED", "message thread not found"])
async def test_an_answer_to_a_topic_closed_meanwhile_goes_to_general(
    forum: Team, emu: Emulator, caplog: pytest.LogCaptureFixture, words: str
) -> None:
    group = forum.group
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    # Closed (or deleted) by an admin between the command and its answer.
    emu.faults.error(
        "sendMessage",
        chat_id=group.id,
        description=f"Bad Request: {words}",
        text_contains="Nothing is waiting",
        times=1,
    )
    await forum.sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, None, "Nothing is waiting")
    assert texts.ERROR not in [m.text for m in group.messages]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_a_providers_digest_after_their_topic_was_deleted_goes_to_general(
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = scene(emu, deployment, count=1)
    pat, admin = world.staff, emu.person("Ada")
    team = emu.make_forum(world.groups["team-0"], by=pat)
    clock.now = MONDAY.replace(day=4)
    staffed = world.deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staffed) as bot:
        assert "provider for Team 0" in await invite(admin, pat, "provider team-0")
        digests = emu.create_topic(team, "Digests", by=pat)
        await pat.send("/schedule", chat=team, topic=digests)
        schedule = await answer_in(team, digests, "Next digest")
        emu.delete_topic(team, digests)
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        assert await forum_topics.everything(bot.db.reader) == {}
    posted = [m for m in team.messages if m.message_id > schedule.message_id and not m.deleted]
    assert any("crowded" in (m.text or "") for m in posted), posted
    assert any(m.photo is not None for m in posted), posted
    assert {m.thread for m in posted} == {None}, posted
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_a_topic_closed_then_reopened_takes_the_cards_again_once_asked_there(
    forum: Team, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "Nothing is waiting")
    emu.close_topic(group, moderation, by=forum.admin)
    first = await give(forum.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    assert (await card_of(group, first)).thread is None
    emu.close_topic(group, moderation, by=forum.admin, closed=False)
    # Reopening says nothing; a command there brings the bot's posts back.
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "1 waiting")
    second = await give(forum.citizen, "Central Library", "The library closed early today.")
    assert (await card_of(group, second)).thread == moderation
    assert [m.text for m in group.in_topic(None)] == [(await card_of(group, first)).text]
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_lists_of_items_deleted_with_their_topic_are_posted_again_in_general(
    forum: Team, emu: Emulator, clock: FakeClock
) -> None:
    """Many items at once go out as lists of several; a list deleted with its topic loses
    no item: each comes again in General."""
    from tests.e2e.test_moderation_faults import _pending, sweep

    group, sam = forum.group, forum.sam
    moderation = emu.create_topic(group, "Moderation", by=forum.admin)
    await sam.send("/queue", chat=group, topic=moderation)
    await answer_in(group, moderation, "Nothing is waiting")
    items = await _pending(forum.bot.db, forum.citizen.id, 12, clock())
    await sweep(forum)

    def listed(item: int, thread: int | None) -> bool:
        button = texts.BATCH_APPROVE.format(item=item)
        return any(
            m.thread == thread and not m.deleted and button in str(m.buttons)
            for m in group.messages
        )

    await group.wait_for(lambda _: all(listed(i, moderation) for i in items))
    emu.delete_topic(group, moderation)
    # The next card finds the topic gone: it goes to General, and the lists come again.
    later = await give(emu.person("Dee"), "Central Library", "The library closed early today.")
    assert (await card_of(group, later)).thread is None
    await group.wait_for(lambda _: all(listed(i, None) for i in items), timeout=15)
