"""The state of messages to citizens (responses, questions, invitations): which are due,
which left, which cannot go. Sending itself is in handlers/outbox.py.

At most once, by design: a message is marked as leaving just before it is sent, and one
found leaving after a crash counts as sent. So nobody gets the same message twice; the
price is that a message in flight at the very moment of a crash may be lost.
"""

from __future__ import annotations

import logging

import aiosqlite

from bot.intake import Clock
from storage import digests, outbox
from storage.db import Database
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)


class Outbox:
    """Delivery state of messages to citizens, over one database."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def recover(self) -> int:
        """At start: messages that were leaving when the bot died count as sent."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> int:
            return await outbox.recover_in_flight(conn, now)

        recovered = await self.db.write(run)
        if recovered:
            log.warning("%d message(s) to citizens were in flight at the last stop", recovered)
        return recovered

    async def due(self, limit: int = 200) -> list[OutboxRow]:
        """Messages to send now, oldest first; those to unreachable chats are closed."""
        rows = await outbox.due(self.db.reader, limit)
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
            return await outbox.mark_sending(conn, row.id)

        return await self.db.write(run)

    async def sent(self, row: OutboxRow, message_id: int | None) -> None:
        """The message arrived."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_sent(conn, row.id, message_id, now)

        await self.db.write(run)

    async def retry(self, row: OutboxRow, error: str) -> None:
        """The message did not leave: it goes in a later round."""

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_pending(conn, row.id, error)

        await self.db.write(run)

    async def final(self, row: OutboxRow, state: str, error: str) -> None:
        """The message cannot go; a chat that blocked the bot is remembered for the rest."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await outbox.mark_final(conn, row.id, state, error)
            if state == "blocked":
                await digests.mark_unreachable(conn, row.telegram_id, error, now)

        await self.db.write(run)

    async def reachable(self, chat_id: int) -> bool:
        """The chat spoke to the bot again (or let it back in): messages can reach it.
        True if it had been marked unreachable."""
        if not await digests.is_unreachable(self.db.reader, chat_id):
            return False

        async def run(conn: aiosqlite.Connection) -> None:
            await digests.reachable_again(conn, chat_id)

        await self.db.write(run)
        log.info("a chat that could not be reached is back")
        return True

    async def unreachable(self, chat_id: int, reason: str) -> None:
        """Telegram says the bot was blocked or removed: stop trying that chat."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await digests.mark_unreachable(conn, chat_id, reason, now)

        await self.db.write(run)
