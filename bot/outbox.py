"""The state of messages to citizens (responses, questions, invitations): which are due,
which left, which cannot go. Sending itself is in handlers/outbox.py.

At most once, by design: a message is marked as leaving just before it is sent, and one
found leaving after a crash counts as sent. So nobody gets the same message twice; the
price is that a message in flight at the very moment of a crash may be lost.

Each message fails alone: a try that did not work (the network, Telegram's 5xx, a 429, a
refusal) sets that row's own next try, waiting longer each time, while the others go on.
A refusal (400: chat not found, user deactivated) may be a passing glitch at Telegram, so
it is tried a few times before the message is closed as undeliverable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.intake import Clock
from storage import citizens, digests, missed_notices, outbox
from storage.db import Database
from storage.missed_notices import MissedNotice
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

# The wait after a first failed try; it doubles with each try, up to RETRY_MAX.
RETRY_FIRST = timedelta(seconds=10)
RETRY_MAX = timedelta(hours=1)
RETRY_LEAST = timedelta(seconds=1)
# Refusals (400) of one message before it is closed as undeliverable.
REFUSALS = 3
# Answers re-sent to someone back after blocking the bot: those queued this recently.
RESEND_WITHIN = timedelta(days=30)


@dataclass(frozen=True)
class Back:
    """What is due to a chat that could not be reached and is back."""

    # Answers due again: the sender sends them in the background.
    answers: int
    # Time-out notices it missed, taken for the caller to tell now, before anything else.
    notices: tuple[MissedNotice, ...] = ()


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed try (1, 2, ...)."""
    return min(RETRY_FIRST * 2 ** min(max(attempts - 1, 0), 20), RETRY_MAX)


class Outbox:
    """Delivery state of messages to citizens, over one database."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        owner: str = "",
        resend_within: timedelta = RESEND_WITHIN,
    ) -> None:
        self.db = db
        self.clock = clock
        # This instance's id: its claims on messages leaving are marked with it.
        self.owner = owner
        # Answers (and time-out notices) that could not reach someone who had blocked the
        # bot are sent when they come back only if no older than this: one from months ago,
        # out of the blue, would puzzle more than help (it stays in /mine).
        self.resend_within = resend_within

    async def recover(self) -> int:
        """Messages that were leaving when their instance died count as sent (run by the
        instance that holds the scheduler's lease; a live instance's messages are its own)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> int:
            return await outbox.recover_in_flight(conn, now)

        recovered = await self.db.write(run)
        if recovered:
            log.warning("%d message(s) to citizens were in flight at the last stop", recovered)
        return recovered

    async def due(self, limit: int = 200) -> list[OutboxRow]:
        """Messages to send now, oldest first (not those waiting for a later try); those to
        unreachable chats are closed."""
        rows = await outbox.due(self.db.reader, self.clock(), limit)
        if not rows:
            return []
        unreachable = await digests.unreachable(self.db.reader)
        ready = []
        for row in rows:
            if row.telegram_id in unreachable:
                await self.final(row, "blocked", "chat unreachable")
            else:
                ready.append(row)
        return ready

    async def sending(self, row: OutboxRow) -> bool:
        """The message is about to leave; False if it is no longer due."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await outbox.mark_sending(conn, row.id, self.owner)

        return await self.db.write(run)

    async def sent(self, row: OutboxRow, message_id: int | None) -> None:
        """The message arrived."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_sent(conn, row.id, message_id, now)

        await self.db.write(run)

    async def retry(self, row: OutboxRow, error: str, wait: timedelta | None = None) -> None:
        """The message did not leave (network, Telegram busy): it is tried again after
        `wait` (Telegram's retry_after) or its own backoff."""
        attempts = row.attempts + 1
        # Never due again at once: a round must not spin on one message.
        wait = backoff(attempts) if wait is None else max(wait, RETRY_LEAST)
        log.warning(
            "message %d to a citizen not sent (try %d): %s; next try in %ds",
            row.id,
            attempts,
            error,
            wait.total_seconds(),
        )
        next_try = self.clock() + wait

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_retry(conn, row.id, error, next_try)

        await self.db.write(run)

    async def refused(self, row: OutboxRow, error: str) -> None:
        """Telegram refused the message (400): tried again a few times, since that can be a
        passing glitch, then closed as undeliverable."""
        if row.attempts + 1 >= REFUSALS:
            log.warning("message %d to a citizen is undeliverable: %s", row.id, error)
            await self.final(row, "undeliverable", error)
        else:
            await self.retry(row, error)

    async def final(self, row: OutboxRow, state: str, error: str) -> None:
        """The message cannot go; a chat that blocked the bot is remembered for the rest."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_final(conn, row.id, state, error)
            if state == "blocked":
                await digests.mark_unreachable(conn, row.telegram_id, error, now)

        await self.db.write(run)

    async def reachable(self, chat_id: int) -> Back | None:
        """The chat spoke to the bot again (or let it back in): messages can reach it, and
        the answers that could not reach them while they had blocked the bot are due again
        (those queued within `resend_within`). None if it was not marked unreachable, else
        what is due: the time-out notices they missed (as recent) are taken in the same
        transaction, so they are the caller's to tell, once, whichever instance is first."""
        if not await digests.is_unreachable(self.db.reader, chat_id):
            return None

        since = self.clock() - self.resend_within

        async def run(conn: aiosqlite.Connection) -> tuple[Back, int]:
            await digests.reachable_again(conn, chat_id)
            answers = await outbox.reopen_blocked(conn, chat_id, since)
            notices = await missed_notices.take(conn, chat_id, since)
            # The digest it missed meanwhile too (a provider's group the bot was put back in).
            digest = await digests.reopen_latest_blocked(conn, chat_id, since)
            return Back(answers, tuple(notices)), digest

        back, digest = await self.db.write(run)
        log.info(
            "a chat that could not be reached is back (%d answer(s), %d digest and %d time-out"
            " notice(s) due again)",
            back.answers,
            digest,
            len(back.notices),
        )
        return back

    async def missed(
        self,
        telegram_id: int,
        feedback_id: int,
        note: str,
        reason: str,
        refused: bool = True,
        kept_at: datetime | None = None,
    ) -> None:
        """A time-out notice saying their words were saved as an item could not reach the
        citizen: kept. `refused` (blocked, chat not found): to be told when they are back,
        the chat marked unreachable until then (which is how their return is noticed); else
        (the network, a 5xx, a lasting 429) told again by the next round of `due_notices`.
        `kept_at`: when a notice kept again was first kept (its bound counts from then)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None:
                return  # forgotten meanwhile: nothing of theirs to tell
            await missed_notices.keep(conn, citizen.id, feedback_id, note, kept_at or now)
            if refused:
                await digests.mark_unreachable(conn, telegram_id, reason, now)

        await self.db.write(run)

    async def due_notices(self) -> dict[int, list[missed_notices.MissedNotice]]:
        """Kept time-out notices of citizens whose chat is not marked unreachable (a send
        that failed for a while), by Telegram id, taken to be told now (once)."""
        since = self.clock() - self.resend_within

        async def run(conn: aiosqlite.Connection) -> dict[int, list[missed_notices.MissedNotice]]:
            due = {}
            for telegram_id in await missed_notices.waiting_reachable(conn):
                notices = await missed_notices.take(conn, telegram_id, since)
                if notices:
                    due[telegram_id] = notices
            return due

        if not await missed_notices.any_waiting(self.db.reader):
            return {}
        return await self.db.write(run)

    async def unreachable(self, chat_id: int, reason: str) -> None:
        """Telegram says the bot was blocked or removed: stop trying that chat."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            # Nothing to send to someone the bot does not know (forgotten, or never met):
            # their Telegram id is not kept for it.
            if await digests.known_chat(conn, chat_id):
                await digests.mark_unreachable(conn, chat_id, reason, now)

        await self.db.write(run)
