"""The guarantees: nothing saved is lost, no update is dropped or handled twice,
people are handled concurrently and each in order, one failure stops no one else."""

from __future__ import annotations

import asyncio
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram import Bot, Update
from telegram.ext import ContextTypes, TypeHandler

from bot.app import YousaidBot
from emulator import Emulator, Limits, MessageView, Person
from handlers import texts
from tests.conftest import EXAMPLE, FakeClock, connect
from tests.e2e.conftest import TOKEN, BotFactory, start_bot
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job


async def test_updates_sent_while_the_bot_is_down_are_handled_when_it_returns(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    people = [emu.person(f"P{i}") for i in range(5)]
    for person in people:
        await person.send("/start")
    assert emu.pending_updates == 5
    async with make_bot():
        for person in people:
            assert "Is that OK" in ((await person.next_message()).text or "")


async def test_updates_saved_but_not_handled_are_handled_after_a_crash(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    await alice.send("/start")
    crashed = make_bot()
    await crashed.db.open()
    async with Bot(TOKEN, base_url=emu.api_url) as raw:
        batch = await raw.get_updates(timeout=0)
    # Saved, then the process dies before any handler ran.
    assert len(await crashed.poller.receive(list(batch))) == 1
    await crashed.db.close()
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL") == [(1,)]
    async with make_bot():
        assert "Is that OK" in ((await alice.next_message()).text or "")
        await emu.idle(quiet=0.3)
    # Telegram delivered it again (never confirmed) but it was answered once.
    assert len(alice.messages) == 1
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL") == [(0,)]


async def saved_then_crashed(
    make_bot: BotFactory, emu: Emulator, effect: Callable[[YousaidBot, int], Awaitable[object]]
) -> None:
    """The one update waiting at Telegram is saved and its `effect` committed by a bot that
    then dies before replying (and before marking it handled)."""
    crashed = make_bot()
    await crashed.db.open()
    async with Bot(TOKEN, base_url=emu.api_url) as raw:
        (update,) = await raw.get_updates(timeout=0)
    assert len(await crashed.poller.receive([update])) == 1
    await effect(crashed, update.update_id)
    await crashed.db.close()


async def test_a_reply_lost_to_a_crash_after_the_save_is_given_again(
    make_bot: BotFactory, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    alice = emu.person("Alice")
    async with make_bot():
        await consent(alice)
        assert "What happened" in await press(alice, "Central Library")
    story = "The lift to the first floor has been broken for a month."
    await alice.send(story)
    # Saved, its effect committed (the story kept), then the process dies before replying.
    await saved_then_crashed(make_bot, emu, lambda bot, u: bot.intake.text(u, alice.id, story))
    seen = len(alice.messages)
    async with make_bot() as bot:
        # Telegram delivers it again: already handled, so nothing is said at once...
        await emu.idle(quiet=0.3)
        assert len(alice.messages) == seen
        # ...but once it is clear that its handling never finished, she is shown where she
        # was, once.
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        shown = await alice.wait_for(lambda msgs: len(msgs) > seen)
        assert texts.RESUMED.strip() in (shown[-1].text or "")
        assert "How would you rate it" in (shown[-1].text or "")
        await run_job(bot, "answer-again-after-a-crash")
        await emu.idle(quiet=0.3)
        assert len(alice.messages) == seen + 1
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0") == [(0,)]
    assert stored(db_path, "SELECT state, text FROM conversations") == [("rating", story)]


async def test_a_consent_question_lost_to_a_crash_is_asked_again(
    make_bot: BotFactory, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """A sticker before agreeing: its update claimed with the question as its answer, then
    the process dies before asking. Once it is clear, the question is asked, once."""
    nell = emu.person("Nell")
    await nell.send_sticker()
    await saved_then_crashed(make_bot, emu, lambda bot, u: bot.intake.consent_question(nell.id, u))
    async with make_bot() as bot:
        await emu.idle(quiet=0.3)
        assert nell.messages == []
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        asked = await nell.next_message()
        assert "Is that OK" in (asked.text or "")
        assert [texts.CONSENT_YES, texts.CONSENT_NO] in asked.buttons
        await run_job(bot, "answer-again-after-a-crash")
        await emu.idle(quiet=0.3)
        assert len(nell.messages) == 1
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0") == [(0,)]


async def test_a_reply_lost_to_a_crash_is_not_given_again_once_she_wrote_since(
    make_bot: BotFactory, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    alice = emu.person("Alice")
    async with make_bot():
        await consent(alice)
        assert "What happened" in await press(alice, "Central Library")
    story = "The lift to the first floor has been broken for a month."
    await alice.send(story)
    await saved_then_crashed(make_bot, emu, lambda bot, u: bot.intake.text(u, alice.id, story))
    async with make_bot() as bot:
        await emu.idle(quiet=0.3)
        # She wonders, and writes again: answered, so nothing is owed to her any more.
        assert "How would you rate it" in await say(alice, "Hello? Did you get that?")
        seen = len(alice.messages)
        await emu.idle(quiet=0.3)
        await bot.marks.flush()  # handled marks are written in batches; now, not later
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        await emu.idle(quiet=0.3)
        assert len(alice.messages) == seen
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0") == [(0,)]


async def test_a_reference_lost_to_a_crash_at_the_last_press_is_given_again(
    make_bot: BotFactory, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    alice = emu.person("Alice")
    async with make_bot():
        await consent(alice)
        await press(alice, "Central Library")
        await say(alice, "The lift to the first floor has been broken for a month.")
        await press(alice, "2")
        assert "involved" in await press(alice, texts.YES)
    # The last press: the item is saved, then the process dies before saying its number.
    await alice.press(texts.NO)
    ((seq,),) = stored(db_path, "SELECT seq FROM conversations")
    await saved_then_crashed(
        make_bot, emu, lambda bot, u: bot.intake.involve(u, alice.id, int(str(seq)), False)
    )
    ((item,),) = stored(db_path, "SELECT id FROM feedback")
    seen = len(alice.messages)
    async with make_bot() as bot:
        await emu.idle(quiet=0.3)
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        told = await alice.wait_for(lambda msgs: len(msgs) > seen)
        assert f"Saved as #{item}" in (told[-1].text or "")


async def test_an_update_delivered_twice_creates_nothing_twice(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    await consent(alice)
    await press(alice, "Buses")
    await say(alice, "The bus shelter on Mill Road has no roof any more")
    await press(alice, "2")
    await press(alice, texts.YES)
    await press(alice, texts.NO)
    await emu.idle(quiet=0.2)
    seen = len(alice.messages)
    last_text = [c for c in emu.calls_to("getUpdates") if c.response.get("result")]
    delivered = [u["update_id"] for c in last_text for u in c.response["result"]]
    for update_id in delivered:
        emu.redeliver(update_id)
    await emu.idle(quiet=0.3)
    assert emu.pending_updates == 0
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(1,)]
    assert len(alice.messages) == seen


async def test_people_are_handled_concurrently_and_each_in_order(
    make_bot: BotFactory, db_path: Path
) -> None:
    async with Emulator(token=TOKEN, latency=0.05, limits=Limits.unlimited()) as slow:
        from bot.config import load_deployment
        from tests.e2e.conftest import make_settings

        bot = YousaidBot(make_settings(slow, db_path), load_deployment(EXAMPLE), TOKEN)
        async with bot:
            people = [slow.person(f"P{i}") for i in range(8)]
            for person in people:
                await consent(person)
                await press(person, "Central Library")
                await say(person, "First part of what happened at the library")
            # Now each sends six more messages at once, all queued before any is handled.
            for person in people:
                for part in range(6):
                    await person.send(f"{person.first_name} part {part}")
            for person in people:
                await person.wait_for(lambda msgs: len(msgs) >= 8, timeout=15)
    sends = sorted((c.time, c.time + c.duration) for c in slow.calls_to("sendMessage"))
    overlapping = max(
        sum(1 for start, end in sends if start <= moment < end) for moment, _ in sends
    )
    assert overlapping >= 4, "replies to different people should be in flight together"
    with connect(db_path) as conn:
        drafts = dict(conn.execute("SELECT citizen_id, text FROM conversations").fetchall())
    assert len(drafts) == 8
    for text in drafts.values():
        lines = text.splitlines()
        name = lines[1].split()[0]
        assert lines[1:] == [f"{name} part {part}" for part in range(6)]


async def test_one_persons_failure_stops_no_one_else(bot: YousaidBot, emu: Emulator) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")

    async def break_for_bob(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_user and update.effective_user.id == bob.id:
            raise RuntimeError("simulated bug for Bob only")

    bot.application.add_handler(TypeHandler(Update, break_for_bob), group=-1)
    await bob.send("/start")
    await bob.wait_for(lambda msgs: any(m.text == texts.ERROR for m in msgs))
    await consent(alice)
    assert "What happened" in await press(alice, "Parks and green spaces")
    await bob.send("/help")
    await bob.wait_for(lambda msgs: sum(m.text == texts.ERROR for m in msgs) == 2)
    assert not any(m.text == texts.ERROR for m in alice.messages)


async def test_an_update_that_cannot_be_read_is_skipped_and_the_rest_handled(
    bot: YousaidBot, emu: Emulator
) -> None:
    alice = emu.person("Alice")
    # A chat member without the until_date Telegram always sends for "kicked": unreadable.
    broken = {"status": "kicked", "user": {"id": emu.bot_id, "is_bot": True, "first_name": "b"}}
    emu.inject(
        {
            "my_chat_member": {
                "chat": {"id": alice.id, "type": "private", "first_name": "Alice"},
                "from": dict(alice.user),
                "date": 1764150000,
                "old_chat_member": {"status": "member", "user": broken["user"]},
                "new_chat_member": broken,
            }
        }
    )
    await consent(alice)
    assert "What happened" in await press(alice, "Parks and green spaces")


class Citizen:
    """Drives a person through conversations by reading what the bot shows, whatever
    happened before: replies lost to a crash are recovered with /start."""

    def __init__(self, person: Person, conversations: int) -> None:
        self.person = person
        self.wanted = conversations
        self.stories: list[str] = []
        self.told: dict[int, str] = {}

    async def act(self) -> None:
        last = self.person.messages[-1] if self.person.messages else None
        text = (last.text or "") if last else ""
        labels = [label for row in (last.buttons if last else []) for label in row]
        if texts.CONSENT_YES in labels:
            await self.person.press(texts.CONSENT_YES)
        elif "Bins and recycling" in labels:
            await self.person.press("Bins and recycling")
        elif "What happened" in text or "a little more" in text:
            story = f"{self.person.first_name} story {len(self.stories)}: the bins were missed"
            self.stories.append(story)
            await self.person.send(story)
        elif "3" in labels:
            await self.person.press("3")
        elif texts.YES in labels:
            await self.person.press(texts.YES if "hear back" in text else texts.NO)
        else:
            saved = re.search(r"Saved as #(\d+)", text)
            if saved and int(saved.group(1)) not in self.told:
                self.told[int(saved.group(1))] = self.person.first_name
            await self.person.send("/start")

    async def run(self) -> None:
        while len(self.told) < self.wanted:
            before = [(m.message_id, m.text) for m in self.person.messages]

            def changed(msgs: list[MessageView], before: list[object] = before) -> bool:
                return [(m.message_id, m.text) for m in msgs] != before

            await self.act()
            try:
                await self.person.wait_for(changed, timeout=4)
            except TimeoutError:
                # The reply was lost with a crash (or the press expired): ask where we are,
                # and act again only once the bot has answered. A restarted bot may take a
                # while to start on a busy machine, so ask again until it answers.
                for _ in range(ASKS):
                    await self.person.send("/start")
                    try:
                        await self.person.wait_for(changed, timeout=10)
                        break
                    except TimeoutError:
                        continue
                else:
                    raise TimeoutError(f"{self.person.first_name} got no answer")


# How many times a citizen asks where she is before giving up (10 s apart).
ASKS = 18


async def serving(emu: Emulator, since: float, log: Path) -> None:
    """Wait until a bot started at `since` asks Telegram for updates (it is serving)."""
    for _ in range(600):
        if any(c.time > since for c in emu.calls_to("getUpdates")):
            return
        await emu.changed(0.2)
    raise TimeoutError(f"the bot never started serving:\n{log.read_text()[-3000:]}")


async def test_nothing_is_lost_when_the_bot_is_killed_at_any_moment(
    tmp_path: Path, db_path: Path
) -> None:
    log = tmp_path / "bot.log"
    async with Emulator(token=TOKEN, latency=0.002, limits=Limits.unlimited()) as emu:
        citizens = [Citizen(emu.person(f"C{i}"), conversations=3) for i in range(8)]
        started = time.monotonic()
        process = start_bot(emu, db_path, log)
        driving = asyncio.gather(*(c.run() for c in citizens))
        rng = random.Random(2)
        kills = 0
        try:
            while not driving.done() and kills < 5:
                # Kill it while it serves, not while it starts (slow on a busy machine).
                await serving(emu, started, log)
                await asyncio.wait({driving}, timeout=rng.uniform(0.8, 2.0))
                if driving.done():
                    break
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += 1
                started = time.monotonic()
                process = start_bot(emu, db_path, log)
            await asyncio.wait_for(driving, timeout=900)
            await emu.idle(quiet=0.5, timeout=20)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        issued = set(emu.updates.history)
    assert kills >= 1, log.read_text()
    with connect(db_path) as conn:
        items = dict(conn.execute("SELECT id, text FROM feedback").fetchall())
        handled = {
            r[0] for r in conn.execute("SELECT update_id FROM updates WHERE handled_at IS NOT NULL")
        }
    # Everything a citizen was told is saved is there, in their own words only.
    for citizen in citizens:
        for reference in citizen.told:
            lines = items[reference].splitlines()
            assert lines and all(line in citizen.stories for line in lines), items[reference]
    # Nothing twice: no story is in two items, nor twice in one.
    saved_lines = [line for text in items.values() for line in text.splitlines()]
    assert len(saved_lines) == len(set(saved_lines))
    # No update dropped: every update Telegram issued was saved and handled.
    assert issued <= handled, sorted(issued - handled)[:10]
