"""Update shapes a real Telegram client sends that the other tests do not: a command for
another bot where the bot reads every message, the bot removed from the moderators' group
and added back, and a topic of a forum group the bot does not serve."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_digests import MONDAY, add_approved, photos_in, run_job, scene, texts_in
from tests.e2e.test_forum import answer_in
from tests.e2e.test_forum import forum as forum
from tests.e2e.test_moderation import Team, card_of, give, press_card

__all__ = ["forum"]


async def until(emu: Emulator, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `condition()` holds, woken by each change in the emulator."""
    async with asyncio.timeout(timeout):
        while not condition():
            await emu.changed(timeout)


async def test_a_command_for_another_bot_is_not_ours_even_while_reading_everything(
    forum: Team, emu: Emulator
) -> None:
    # The bot is an admin of the group (or its privacy mode is off): it reads every message.
    emu.privacy_mode = False
    group, sam = forum.group, forum.sam
    item = await give(forum.citizen, "Buses", "The 42 bus was late and the driver shouted.")
    card = await card_of(group, item)
    await press_card(sam, group, card, texts.EDIT)
    prompt = await answer_in(group, None, "reply to this message")
    await sam.send("/queue@other_bot", chat=group)
    await sam.send("/cancel@other_bot", chat=group)
    await emu.idle(quiet=0.3)
    # Not answered, and Sam's edit goes on: it was another bot's command.
    assert not prompt.deleted and group.last is not None
    assert group.last.message_id == prompt.message_id
    await sam.send("The 42 bus was late and the driver was unkind.", chat=group, reply_to=prompt)
    await group.wait_for(lambda _: "driver was unkind" in (card.text or ""))
    # Addressed to this bot, it is this bot's.
    await sam.send(f"/queue@{emu.bot_username}", chat=group)
    await answer_in(group, None, "1 waiting")


@pytest.fixture
def counted() -> Iterator[asyncio.Event]:
    """Set when the bot logs that a card was refused (the refusal is counted by then)."""
    event = asyncio.Event()

    class Told(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "not posted to chat" in record.getMessage():
                event.set()

    told = Told()
    logging.getLogger("handlers.moderator").addHandler(told)
    yield event
    logging.getLogger("handlers.moderator").removeHandler(told)


async def test_a_card_refused_while_the_bot_was_removed_arrives_when_it_is_back(
    forum: Team, emu: Emulator, counted: asyncio.Event
) -> None:
    group = forum.group
    emu.remove_bot_from(group, by=forum.admin)
    item = await give(forum.citizen, "Buses", "The 42 bus was late and the driver shouted.")

    def refused() -> bool:
        return any(
            c.method == "sendMessage" and c.status == 403 and c.params.get("chat_id") == group.id
            for c in emu.calls
        )

    await until(emu, refused)
    # And the bot has counted the refusal (the card waits for its next try): it says so.
    await asyncio.wait_for(counted.wait(), 10)
    # Added back: the card comes at once, not after its backoff (nor only in /queue).
    emu.add_bot_to(group, by=forum.admin)
    card = await card_of(group, item)
    assert card.thread is None
    await emu.idle(quiet=0.3)
    assert sum((m.text or "").startswith(f"#{item} ") for m in group.messages) == 1


async def test_a_topic_of_a_forum_the_bot_does_not_serve_is_answered_there(
    forum: Team, emu: Emulator
) -> None:
    neighbours = emu.group("Neighbours", members=[forum.sam], forum=True)
    bins = emu.create_topic(neighbours, "Bins", by=forum.sam)
    await forum.sam.send("/start", chat=neighbours, topic=bins)
    await answer_in(neighbours, bins, "private chat")
    await forum.sam.send("/id", chat=neighbours, topic=bins)
    await answer_in(neighbours, bins, str(neighbours.id))
    await forum.sam.send("/queue", chat=neighbours, topic=bins)
    await answer_in(neighbours, bins, "moderators' group")
    await emu.idle(quiet=0.3)
    assert {m.thread for m in neighbours.messages} == {bins}
    # Nothing remembered for a group that is not the deployment's.
    assert len(neighbours.messages) == 3


async def test_a_digest_missed_while_the_bot_was_removed_comes_when_it_is_back(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    world = scene(emu, deployment, count=1)
    team, pat = world.groups["team-0"], world.staff
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=world.deployment) as bot:
        await add_approved(
            bot.db, "s-team-0", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        emu.remove_bot_from(team, by=pat)
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        assert texts_in(team) == []
        # Put back: the digest it missed comes (once), not only next week's.
        emu.add_bot_to(team, by=pat)
        await emu.idle(quiet=0.3)
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest-catch-up")
    (digest,) = texts_in(team)
    assert "crowded" in digest
    assert photos_in(team) == 1
