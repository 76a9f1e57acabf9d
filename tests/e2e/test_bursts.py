"""Bursts, as a busy council deployment sees them: many citizens at once, a moderators' group
past Telegram's 20 messages a minute, answers and digests to hundreds, and a long 429.

The moderators' group is allowed Telegram's pace (20 a minute) in bursts of 2 rather than 20
(the emulator's limit and the bot's alike), so a few dozen items make the backlog that
hundreds would; every wait is for an event."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.intake import CONSENT_VERSION
from bot.ratelimit import FloodLimiter
from emulator import Emulator, Group, Limits, MessageView, Person
from handlers import texts
from storage import citizens, supporters
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.conftest import TOKEN, BotFactory, make_settings
from tests.e2e.helpers import add_item, buttons_of, has, while_progressing
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import card_of, invite, outcome, press_card
from tests.e2e.test_response_delivery import heard
from tests.e2e.test_responses import CHANGED, NEXT_MONDAY, WEDNESDAY, answer_item, send_words

# One group may take GROUP_BURST messages at once, then GROUP_BURST per GROUP_PERIOD seconds:
# Telegram's 20 a minute, in bursts a tenth of its own.
GROUP_BURST = 2
GROUP_PERIOD = 6.0
# The timeouts below only bound a failure; nothing waits for them to pass.
STEP = 60.0
ITEM_HEAD = re.compile(r"^#(\d+) · ", re.MULTILINE)


def scale_group_limit(bot: YousaidBot, burst: int, period: float) -> None:
    """The bot's own limit on one group, scaled as the emulator's is."""
    limiter = bot.application.bot.rate_limiter
    assert isinstance(limiter, FloodLimiter)
    limiter.group_per_minute = burst
    limiter.group_period = period
    if limiter.shared is not None:
        limiter.shared.group_per_minute = burst
        limiter.shared.group_period = period


@dataclass
class Council:
    """A deployment with a moderators' group, on an emulator with scaled limits."""

    emu: Emulator
    bot: YousaidBot
    group: Group
    admin: Person
    sam: Person


@pytest.fixture
async def council(
    deployment: Deployment, clock: FakeClock, db_path: Path
) -> AsyncIterator[Council]:
    limits = Limits(group_burst=GROUP_BURST, group_period=GROUP_PERIOD)
    async with Emulator(token=TOKEN, limits=limits) as emu:
        admin, sam = emu.person("Ada"), emu.person("Sam")
        group = emu.group("Riverside moderators", members=[admin, sam])
        # Compliments with nothing to check are published at once: their authors are told
        # by the sweep that posts cards.
        moderation = deployment.moderation.model_copy(update={"auto_approve_compliments": True})
        staffed = deployment.model_copy(
            update={"admins": [admin.id], "moderators_chat": group.id, "moderation": moderation}
        )
        settings = make_settings(emu, db_path, YOUSAID_GROUP_MESSAGES_PER_MINUTE=GROUP_BURST)
        async with YousaidBot(settings, staffed, TOKEN, clock) as bot:
            scale_group_limit(bot, GROUP_BURST, GROUP_PERIOD)
            assert "now a moderator" in await invite(admin, sam, "moderator")
            yield Council(emu, bot, group, admin, sam)


async def tap(person: Person, label: str) -> None:
    """Press a button of her newest message that has it, and wait for the answer."""
    message = next(m for m in reversed(person.messages) if label in buttons_of(m))
    before = [(m.message_id, m.text) for m in person.messages]
    press = await person.press_data(message.message_id, buttons_of(message)[label])
    await press.answered(timeout=STEP)
    await person.wait_for(
        lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=STEP
    )


def has_button(label: str) -> Callable[[list[MessageView]], bool]:
    """A wait_for predicate: one of the newest messages has this button."""
    return lambda msgs: any(label in row for m in msgs[-3:] for row in m.buttons)


async def tell(person: Person, service: str, words: str) -> int:
    """A new citizen's whole conversation, waiting for each answer; the reference number."""
    await person.send("/start")
    await person.wait_for(has_button(texts.CONSENT_YES), timeout=STEP)
    await tap(person, texts.CONSENT_YES)
    await person.wait_for(has_button(service), timeout=STEP)
    await tap(person, service)
    await person.send(words)
    # A service in several places asks where; someone else's item like this one may be
    # offered first ("me too"): neither is this test's subject.
    while True:
        msgs = await person.wait_for(
            lambda msgs: (
                has_button("2")(msgs)
                or has_button(texts.METOO_DIFFERENT)(msgs)
                or has_button(texts.SKIP)(msgs)
            ),
            timeout=STEP,
        )
        if has_button("2")(msgs):
            break
        await tap(
            person, texts.METOO_DIFFERENT if has_button(texts.METOO_DIFFERENT)(msgs) else texts.SKIP
        )
    await tap(person, "2")
    while True:
        msgs = await person.wait_for(
            lambda msgs: (
                any("Saved as #" in (m.text or "") for m in msgs)
                or has_button(texts.YES)(msgs)
                or has_button(texts.NO)(msgs)
            ),
            timeout=STEP,
        )
        saved = [m for m in msgs if "Saved as #" in (m.text or "")]
        if saved:
            found = re.search(r"Saved as #(\d+)", saved[-1].text or "")
            assert found
            return int(found.group(1))
        await tap(person, texts.YES if has_button(texts.YES)(msgs) else texts.NO)


def waits_kept(emu: Emulator) -> bool:
    """Whether no chat was sent a message before the end of a 429's retry_after for it."""
    sends = [c for c in emu.calls if c.method.startswith("send")]
    for flood in (c for c in sends if c.status == 429):
        chat = str(flood.params.get("chat_id"))
        until = flood.time + float(flood.response["parameters"]["retry_after"])
        if any(str(c.params.get("chat_id")) == chat and flood.time < c.time < until for c in sends):
            return False
    return True


def shown_items(group: Group) -> list[int]:
    """Every item the moderators' group shows, card or list, in the order it arrived."""
    return [int(n) for m in group.messages for n in ITEM_HEAD.findall(m.text or "")]


async def test_sixty_citizens_at_once_reach_the_moderators_in_order_and_nobody_waits(
    council: Council, db_path: Path
) -> None:
    """60 people finish an item for one service within seconds: the moderators' group takes
    far more than its limit allows at once, yet every item reaches it once and in order,
    within Telegram's pace, and citizens (a newcomer too) are answered while the group
    catches up."""
    emu, group = council.emu, council.group
    people = [emu.person(f"Rider {n}") for n in range(60)]
    words = [
        f"The number {n} bus skipped the Mill Lane stop and I waited {n + 10} minutes."
        for n in range(60)
    ]
    items = await asyncio.gather(*(tell(p, "Buses", w) for p, w in zip(people, words, strict=True)))
    assert len(set(items)) == 60
    # The group is still catching up: a newcomer is answered at once all the same.
    newcomer = emu.person("Newcomer")
    await newcomer.send("/start")
    await newcomer.wait_for(has_button(texts.CONSENT_YES), timeout=STEP)
    seen_then = len(shown_items(group))
    assert seen_then < 60, "no backlog to test against: scale the group's limit down"

    # At the group's pace this takes minutes on a busy machine: waited for while cards come.
    await while_progressing(
        lambda: len(shown_items(group)) >= 60, lambda: len(shown_items(group)), stall=STEP
    )
    await emu.idle(quiet=0.5, timeout=STEP)
    shown = shown_items(group)
    # In the order they were numbered, on either engine (items commit in that order, and an
    # item tagged first waits for an older one: storage/feedback.py).
    assert shown == sorted(items), shown
    # Telegram's pace was kept: any 429 (a request held up on a busy machine arrives later
    # than it left) was waited out before that chat was written to again.
    assert waits_kept(emu)
    assert stored(db_path, "SELECT COUNT(*) FROM feedback WHERE card_message_id IS NOT NULL") == [
        (60,)
    ]


async def test_a_long_429_on_the_moderators_group_holds_up_no_one_else(
    council: Council, db_path: Path
) -> None:
    """Telegram makes the moderators' group wait 30 s: meanwhile citizens finish their
    items, a moderator's approval reaches its author (though another moderator's /queue in
    the group cannot be answered yet), a compliment published at once is told to its author,
    and the group is not asked again before its time; then the cards that waited arrive,
    once each, in order."""
    emu, group = council.emu, council.group
    ann, bob, cy, dee = (emu.person(n) for n in ("Ann", "Bob", "Cy", "Dee"))
    first = await tell(ann, "Buses", "The 42 bus driver shouted at an old man for his pass.")
    card = await card_of(group, first)
    flood = emu.faults.flood("sendMessage", chat_id=group.id, retry_after=30, lasting=True)
    held = await tell(bob, "Central Library", "The library lift has been broken for weeks.")
    await group.wait_for(lambda _: flood.hits >= 1, timeout=STEP)
    # While Telegram refuses the group: a moderator asks for the queue there (its answer
    # cannot go yet), then approves a card, which reaches its author; and a citizen goes
    # through a whole conversation.
    await council.sam.send("/queue", chat=group)
    answer = await press_card(council.sam, group, card, texts.APPROVE)
    assert answer.get("text") is None, answer
    assert "passed on to the service" in await outcome(ann, first)
    later = await tell(cy, "Parks and green spaces", "The park gates were locked at noon.")
    # A compliment is published at once, and its author told so, cards or not.
    kind = await tell(
        dee, "Central Library", "Thank you to the library staff, so kind and helpful."
    )
    assert "passed on to the service" in await outcome(dee, kind)
    assert not flood.spent, "the 429 was over before the others were served"
    assert shown_items(group) == [first]
    await group.wait_for(lambda _: len(shown_items(group)) >= 4, timeout=STEP)
    await emu.idle(quiet=0.5, timeout=STEP)
    assert shown_items(group) == [first, held, later, kind]
    # Asked once in the 30 s, not hammered.
    assert flood.hits == 1 and waits_kept(emu)


DIGEST_ITEMS = 300
SUPPORTERS = 300


async def supported_by(db: Database, item: int, people: list[Person], at: datetime) -> None:
    """These people said "me too" to the item (and want to hear back), straight into storage."""

    async def run(conn: aiosqlite.Connection) -> None:
        for person in people:
            citizen = await citizens.get_or_create(conn, person.id, at)
            if await citizens.latest_consent(conn, citizen.id) is None:
                await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", at)
            assert await supporters.add(conn, item, citizen.id, at)

    await db.write(run)


async def test_a_digest_of_hundreds_and_an_answer_to_hundreds_of_supporters_survive_a_restart(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """A week of 300 items in one digest, then an answer to an item 300 people said "me too"
    to; a few of them meet a 429, and the bot is restarted in the middle of sending: everyone
    gets the answer once, the 429s after their wait, and the digest came once."""
    admin, pat, author = emu.person("Ada"), emu.person("Pat"), emu.person("Author")
    staffed = deployment.model_copy(update={"admins": [admin.id]})
    people = [emu.person(f"Supporter {n}") for n in range(SUPPORTERS)]
    # Telegram makes a few of them wait (their chats' own limits, say).
    waits = [
        emu.faults.flood("sendMessage", chat_id=p.id, retry_after=2, times=1)
        for p in people[150:153]
    ]
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        item = await add_item(
            bot.db, author.id, "library", "The library queue is an hour.", clock.now
        )
        for n in range(DIGEST_ITEMS - 1):
            await add_item(
                bot.db, 8_000_000 + n, "library", f"Waited {n} minutes.", clock.now, hear_back=False
            )
        await supported_by(bot.db, item, people, clock.now)
        clock.now = NEXT_MONDAY
        await run_job(bot, "digest:culture-leisure")
        # Behind the cards of the 300 items in Telegram's pace (their group is not there, so
        # each is refused and tried again): waited for while the bot keeps calling.
        await while_progressing(
            lambda: has("your feedback digest")(pat.messages), lambda: len(emu.calls), stall=STEP
        )
        await answer_item(pat, item, CHANGED)
        done = await send_words(pat, "The second desk is open on Saturdays now.")
        assert f"goes to {SUPPORTERS + 1} people" in done, done
        everyone = [author, *people]
        # Stopped a third of the way through.
        await while_progressing(
            lambda: sum(heard(p) for p in everyone) >= SUPPORTERS // 3,
            lambda: sum(heard(p) for p in everyone),
        )
    stopped_at = sum(heard(p) for p in everyone)
    assert stopped_at < SUPPORTERS, "all sent before the restart: nothing tested"
    async with make_bot(deployment=staffed) as bot:
        await run_job(bot, "send-to-citizens")
        await while_progressing(
            lambda: sum(heard(p) for p in everyone) >= len(everyone) - len(waits),
            lambda: sum(heard(p) for p in everyone),
        )
        assert all(w.hits == 1 for w in waits)
        assert not any(heard(p) for p in people[150:153])
        # Their wait, as Telegram asked, then theirs too.
        clock.advance(seconds=3)
        await run_job(bot, "send-to-citizens")
        await while_progressing(
            lambda: all(heard(p) for p in everyone), lambda: sum(heard(p) for p in everyone)
        )
        await emu.idle(quiet=0.5, timeout=STEP)
    assert [heard(p) for p in everyone] == [1] * len(everyone)
    assert all(w.hits == 1 for w in waits)
    assert sum("your feedback digest" in (m.text or "") for m in pat.messages) == 1
    assert stored(db_path, "SELECT state, COUNT(*) FROM outbox GROUP BY state") == [
        ("sent", SUPPORTERS + 1)
    ]
