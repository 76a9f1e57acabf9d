"""Welcomes and answers lost to a crash or a Telegram fault, replays behind a later update,
and kept time-out notices and their resend bound (found by an attack on 0c8b5ab and the
commits before it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, last_has, press_on
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_missed_notices import NOTICE, blocked_mid_conversation, told
from tests.e2e.test_privacy_attacks import member_update
from tests.e2e.test_responses import (
    IN_PROGRESS,
    WEDNESDAY,
    answer_item,
    notice_of,
    send_words,
    staffed,
)
from tests.e2e.test_staff_replays import link, marks_lost
from tests.e2e.test_staff_welcomes_and_replays import lost_welcome, unanswered, welcomes
from tests.e2e.test_webhook import until


def latest_answered(db_path: Path) -> bool:
    """Whether every update saved was handled and the latest one's answer is known to have
    gone (its handled mark written)."""
    return stored(
        db_path,
        "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL"
        " OR (chat_key <> 0 AND update_id = (SELECT MAX(update_id) FROM updates))",
    ) == [(0,)]


# ------------------------------------------------------------------ welcomes (0c8b5ab)


async def test_a_lost_welcome_is_told_even_if_the_newcomer_sends_start_before_the_job(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Sam opens his moderator's invitation; the role is granted, then the process dies
    before the welcome goes. Back up, Sam has seen nothing, so he sends /start (as anyone
    would) before the answer-again job's round: he is answered as a citizen (the consent
    question), which says nothing of his role. The handled mark of that /start leaves the
    invitation's update (its answer was a welcome, this one's not), so the job tells him he
    is now a moderator, once."""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    await lost_welcome(make_bot, emu, staff, admin, sam)
    async with make_bot(deployment=staff) as bot:
        seen = len(sam.messages)
        await sam.send("/start")
        await sam.wait_for(lambda msgs: len(msgs) > seen)
        await until(lambda: latest_answered(db_path))
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        await sam.wait_for(lambda msgs: bool(msgs) and texts.QUEUE_EMPTY in (msgs[-1].text or ""))
    assert welcomes(sam) == 1, [m.text for m in sam.messages]


async def test_a_welcome_whose_answer_timed_out_after_telegram_took_it_is_not_told_twice(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """Sam opens his invitation; Telegram carries the welcome out but answers after the bot
    gave up waiting (a timeout, a NetworkError). The error handler takes it as told (as the
    answer-again job does), not as failed: Sam reads "now a moderator" once."""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff, YOUSAID_TELEGRAM_TIMEOUT="2"):
        token = await link(admin, "moderator")
        late = emu.faults.late("sendMessage", chat_id=sam.id, delay=4, times=1)
        await sam.send(f"/start {token}")
        await sam.wait_for(lambda _: welcomes(sam) >= 1)
        assert late.hits == 1
        # The handling over (the error handler's too): its handled mark written.
        await until(lambda: unanswered(db_path) == 0 and latest_answered(db_path))
        await sam.send("/queue")
        await sam.wait_for(lambda msgs: bool(msgs) and texts.QUEUE_EMPTY in (msgs[-1].text or ""))
    assert welcomes(sam) == 1, [m.text for m in sam.messages]


# ----------------------------------------------- replays behind a later update (0c8b5ab)


async def test_a_command_handled_again_after_a_restart_ends_no_comment_prompt_begun_after_it(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Alice has a response to her item. She sends /help, then rates the response "Not
    really" and is asked what is missing; the process stops before the handled marks are
    written. /help claims nothing, so it is handled again at the next start, behind the
    rating that began the comment prompt: it does not end that prompt (a later update of
    the chat was handled, `handled_after`), and her comment is saved as one."""
    alice = emu.person("Alice")
    async with staffed(make_bot, emu, deployment, clock) as world:
        item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays.", WEDNESDAY)
        await answer_item(world.pat, item, IN_PROGRESS)
        await send_words(world.pat, "We are asking the council for Sunday funding.")
        notice = await notice_of(alice)
        marks_lost(world.bot)
        await alice.send("/help")
        await alice.wait_for(last_has("/mine"))
        await press_on(alice, notice, texts.ANSWERED_NO)
        await alice.wait_for(last_has("say what's missing"))
        staff = world.bot.deployment
    seen = len(alice.messages)
    async with make_bot(deployment=staff):
        # /help is handled again first (its answer given again, which is harmless).
        await alice.wait_for(lambda msgs: any("/mine" in (m.text or "") for m in msgs[seen:]))
        await alice.send("Sunday opening matters most for working parents.")
        await alice.wait_for(
            lambda msgs: (
                any(
                    "comment is saved" in (m.text or "") or "Which service" in (m.text or "")
                    for m in msgs[seen:]
                )
                or len(msgs) > seen + 2
            )
        )
    said = [m.text or "" for m in alice.messages[seen:]]
    assert not any("stopped waiting" in t for t in said), said
    assert any("comment is saved" in t for t in said), said


# --------------------------------------------- kept time-out notices and their bound


async def test_a_kept_notice_is_not_told_past_the_resend_bound_after_a_failed_telling(
    bot: YousaidBot, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Kim blocked the bot as her conversation went quiet: its time-out notice is kept, to be
    told if she is back within YOUSAID_RESEND_BLOCKED_DAYS (30). Five days before that bound
    she lets the bot back in, and blocks it again before the notice reaches her: it is kept
    again, as of the time it was first kept. Ten days later, 35 days after the notice, she
    is back: past the bound, she is not told it."""
    kim = emu.person("Kim")
    await blocked_mid_conversation(kim, bot, clock)
    bound = timedelta(days=bot.settings.resend_blocked_days)
    clock.advance(seconds=(bound - timedelta(days=5)).total_seconds())
    refused = emu.faults.error(
        "sendMessage",
        status=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=kim.id,
        times=1,
    )
    refused.text_contains = NOTICE
    kim.unblock()
    emu.inject(member_update(kim, emu, "kicked", "member"))

    def kept_again() -> bool:
        # Taken from the store to be told, refused, and kept again (the chat unreachable).
        return (
            refused.hits == 1
            and stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(1,)]
            and stored(db_path, f"SELECT COUNT(*) FROM unreachable_chats WHERE chat_id = {kim.id}")
            == [(1,)]
        )

    await until(kept_again)
    assert not told(kim)
    # 35 days after the notice was first kept, she writes again.
    clock.advance(days=10)
    await kim.send("/mine")
    await kim.wait_for(last_has(texts.MINE_HEADER), timeout=10)
    assert not told(kim), [m.text for m in kim.messages]
