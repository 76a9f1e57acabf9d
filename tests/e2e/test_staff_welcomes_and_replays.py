"""Staff updates handled again after a restart, and welcomes lost to a crash told by the
answer-again job: once, in the newcomer's language, in place of nothing else (found by an
attack on d4eceb5)."""

from __future__ import annotations

from pathlib import Path

from telegram import Bot

from bot.config import Deployment
from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import TOKEN, BotFactory
from tests.e2e.helpers import add_item
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_guarantees import saved_then_crashed
from tests.e2e.test_moderation import invite
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_responses import IN_PROGRESS, WEDNESDAY, answer_item, staffed
from tests.e2e.test_staff_replays import first_after, link, marks_lost
from tests.e2e.test_webhook import until

# --------------------------------------------------------------------------- helpers


async def lost_welcome(
    make_bot: BotFactory,
    emu: Emulator,
    staff: Deployment,
    admin: Person,
    newcomer: Person,
    speaking: str = "en",
) -> None:
    """The admin invites the newcomer as a moderator; their /start grants the role (its
    answer to be written in `speaking`, as the handler passes it), then the process dies
    before saying so."""
    async with make_bot(deployment=staff):
        token = await link(admin, "moderator")
    await newcomer.send(f"/start {token}")
    await saved_then_crashed(
        lambda **kw: make_bot(deployment=staff, **kw),
        emu,
        lambda bot, u: bot.roles.accept(
            newcomer.id,
            newcomer.first_name,
            token.removeprefix("inv_"),
            update_id=u,
            language=speaking,
        ),
    )


def unanswered(db_path: Path) -> int:
    """Updates whose answer is not known to have gone (their chat kept for the job)."""
    ((count,),) = stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0")
    return int(count)  # type: ignore[call-overload]


def welcomes(person: Person, words: str = "now a moderator") -> int:
    """How many times this person was told they are now a moderator."""
    return sum(words in (m.text or "") for m in person.messages)


# --------------------------------------------------------------- staff replays (d4eceb5)


async def test_a_lost_welcome_is_told_in_the_newcomers_language(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A bilingual deployment. Gwen's Telegram speaks Welsh: an invitation accepted as usual
    welcomes her in Welsh. Sion's is Welsh too, and a crash lost his welcome: the
    answer-again job tells it in Welsh too, the language kept with the role's note (it used
    to ask only for a language chosen, which someone who came by an invitation never
    chose: English)."""
    admin = emu.person("Ada")
    gwen, sion = emu.person("Gwen", language_code="cy"), emu.person("Sion", language_code="cy")
    staff = deployment.model_copy(update={"admins": [admin.id], "languages": ["en", "cy"]})
    async with make_bot(deployment=staff):
        told = await invite(admin, gwen, "moderator")
    assert told.startswith("Croeso!"), told
    await lost_welcome(make_bot, emu, staff, admin, sion, speaking="cy")
    async with make_bot(deployment=staff) as bot:
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        told = (await first_after(sion, 0)).text or ""
    assert told.startswith("Croeso!"), told


async def test_a_welcome_that_met_a_telegram_fault_is_given_not_try_again(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Sam opens his invitation; Telegram answers the welcome with a 502. The role is his
    (claimed with the update): the error handler gives the welcome (with where his work
    comes), once, not "something went wrong, try again". (It used to say that, and the
    welcome was never given, neither then nor by the answer-again job: the update was
    marked answered.)"""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff) as bot:
        token = await link(admin, "moderator")
        emu.faults.server_error("sendMessage", chat_id=sam.id, times=1)
        await sam.send(f"/start {token}")
        await sam.wait_for(lambda msgs: bool(msgs))
        # Its handling over, its handled mark written (within 0.2 s; the job runs every 30).
        await until(lambda: unanswered(db_path) == 0)
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        await sam.wait_for(lambda msgs: bool(msgs) and texts.QUEUE_EMPTY in (msgs[-1].text or ""))
    assert welcomes(sam) == 1, [m.text for m in sam.messages]
    assert not any(texts.ERROR in (m.text or "") for m in sam.messages)


async def test_a_lost_welcome_told_after_a_timeout_is_not_told_twice(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A crash lost Sam's welcome. The answer-again job tells it; Telegram carries it out but
    answers after the bot gave up (2 s): the job takes it as possibly sent (as a response's
    follow-up does), and does not tell it again at its next round. (It used to: twice.)"""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    await lost_welcome(make_bot, emu, staff, admin, sam)
    async with make_bot(deployment=staff, YOUSAID_TELEGRAM_TIMEOUT="2") as bot:
        late = emu.faults.late("sendMessage", chat_id=sam.id, delay=4, times=1)
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        assert late.hits == 1
        await sam.wait_for(lambda _: welcomes(sam) == 1)
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        await sam.wait_for(lambda msgs: bool(msgs) and texts.QUEUE_EMPTY in (msgs[-1].text or ""))
    assert welcomes(sam) == 1, [m.text for m in sam.messages]


async def test_a_welcome_already_given_is_not_told_again_for_a_citizen_answer_lost_later(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Sam, telling the library something, opens a moderator's invitation and is welcomed;
    its handled mark is lost. He then writes his story; it is saved and the process dies
    before answering. After the restart the answer-again job tells him the welcome again,
    and never shows him where he was (the rating question his story led to): the job takes
    the chat's latest noted update (the invitation's) for the one whose answer was lost."""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff) as bot:
        await consent(sam)
        assert "What happened" in await press(sam, "Central Library")
        token = await link(admin, "moderator")
        await until(lambda: unanswered(db_path) == 0)
        marks_lost(bot)
        assert "now a moderator" in await say(sam, f"/start {token}")
    story = "The lift to the first floor has been broken for a month."
    await sam.send(story)
    await saved_then_crashed(
        lambda **kw: make_bot(deployment=staff, **kw),
        emu,
        lambda bot, u: bot.intake.text(u, sam.id, story),
    )
    seen = len(sam.messages)
    async with make_bot(deployment=staff) as bot:
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        shown = (await first_after(sam, seen)).text or ""
    assert welcomes(sam) == 1, [m.text for m in sam.messages]
    assert "How would you rate it" in shown, shown


async def test_a_command_handled_again_after_a_restart_puts_aside_no_response_begun_after_it(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Pat sends /help, then /respond N and its status; the process stops before the handled
    marks are written. /help claims nothing, so it is handled again at the next start,
    behind the response begun after it: it leaves that response be, and Pat's words go
    to its preview. (It used to put it aside, "I've stopped the response you were
    writing", and Pat's words went nowhere.)"""
    alice = emu.person("Alice")
    async with staffed(make_bot, emu, deployment, clock) as world:
        pat = world.pat
        item = await add_item(world.bot.db, alice.id, "library", "The queue was long.", WEDNESDAY)
        marks_lost(world.bot)
        await pat.send("/help")
        await pat.wait_for(lambda msgs: "/respond" in (msgs[-1].text or ""))
        await answer_item(pat, item, IN_PROGRESS)
        staff = world.bot.deployment
    seen = len(pat.messages)
    words = "We are adding a second desk at the library from next week."
    async with make_bot(deployment=staff):
        await pat.send(words)
        await pat.wait_for(
            lambda msgs: any(
                texts.RESPOND_PREVIEW_FOOT in (m.text or "")
                or texts.STAFF_TEXT_NOT_WAITING.split(",")[0] in (m.text or "")
                for m in msgs[seen:]
            )
        )
    said = [m.text or "" for m in pat.messages[seen:]]
    assert not any(texts.DRAFT_PUT_ASIDE["response"] in t for t in said), said
    assert any(texts.RESPOND_PREVIEW_FOOT in t for t in said), said


async def test_a_welcome_lost_to_a_crash_is_not_cleared_by_an_earlier_updates_late_mark(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Sam sends /help, then opens his invitation. /help is handled and its handled mark
    waits for the batch (written every 0.2 s); the invitation's role is granted (its update
    claimed), and while the welcome is on its way the batch is written; then the process
    dies. Writing /help's mark clears only updates before it, not the later invitation's:
    the answer-again job tells the welcome, once. (It used to clear them all: never told.)"""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff):
        token = await link(admin, "moderator")
    await sam.send("/help")
    await sam.send(f"/start {token}")
    crashed = make_bot(deployment=staff)
    await crashed.db.open()
    async with Bot(TOKEN, base_url=emu.api_url) as raw:
        asked, opened = await raw.get_updates(timeout=0)
    assert len(await crashed.poller.receive([asked, opened])) == 2
    crashed.marks.add(asked.update_id)  # /help answered; its mark waits for the batch
    await crashed.roles.accept(sam.id, "Sam", token.removeprefix("inv_"), opened.update_id)
    await crashed.marks.flush()  # the batch, written while the welcome is on its way
    await crashed.db.close()  # the process dies before the welcome went
    async with make_bot(deployment=staff) as bot:
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        await sam.wait_for(lambda msgs: bool(msgs) and texts.QUEUE_EMPTY in (msgs[-1].text or ""))
    assert welcomes(sam) == 1, [m.text for m in sam.messages]


async def test_a_lost_welcome_telegram_refuses_for_good_is_not_tried_at_every_round(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A crash lost Sam's welcome, and his chat is gone since (Telegram: "chat not found").
    The answer-again job takes this refusal as final, as a block: it is not tried again at
    every round. (It used to be, every 30 s, until the update was pruned two days later.)"""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    await lost_welcome(make_bot, emu, staff, admin, sam)
    async with make_bot(deployment=staff) as bot:
        refused = emu.faults.error(
            "sendMessage", chat_id=sam.id, description="Bad Request: chat not found"
        )
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        assert refused.hits == 1
        clock.advance(seconds=30)
        await run_job(bot, "answer-again-after-a-crash")
    assert refused.hits == 1
