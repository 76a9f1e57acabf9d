"""Each chat's saved updates handled in order, by one instance at a time, across instances.

An update is saved (committed) with its chat's key before Telegram is answered. The
instance that saved it then tries to take the chat's turn: a row in `chat_turns`, taken
compare-and-set, with a lease it renews while it works. The holder drains the chat's
unhandled updates from the database in update_id order, one at a time, and gives the turn
back in the same transaction that finds none left, so an update saved meanwhile is either
seen by the holder or finds the turn free. Every instance also sweeps, about once a second,
for chats with unhandled updates and no live turn (a dead holder, a lost race) and takes
them. Everything needed to resume is in the database: no chat waits on a process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta

import aiosqlite
from telegram import Update
from telegram.ext import Application

from bot.intake import Clock
from bot.processing import Row, chat_key, keep
from bot.ratelimit import handling_update
from storage import turns, updates
from storage.db import Database, DatabaseUnusable
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

# What a write or read can raise when the database, not the request, is at fault.
_FAULTS: tuple[type[BaseException], ...] = (DatabaseUnusable, *STORAGE_ERRORS)

# How often each instance looks for chats nobody is handling, at the least: it also looks
# as soon as it finishes a chat, so a backlog moves at the pace of the handlers.
SWEEP_SECONDS = 1.0
# Chats an instance holds at once, per update it handles at once: a chat waiting for a
# handler keeps its turn (so its order holds) without costing one.
CHATS_PER_SLOT = 4
# Updates kept as received, per chat held at most (see ChatTurns._fresh).
FRESH_PER_CHAT = 8


@dataclass(frozen=True)
class _Lost:
    """The turn expired and another instance took it."""


LOST = _Lost()


class ChatTurns:
    """Takes chats' turns and drains their updates, at most `limit` updates at once."""

    def __init__(
        self,
        db: Database,
        application: Application,  # type: ignore[type-arg]
        clock: Clock,
        limit: int,
        lease: float,
        sweep_every: float = SWEEP_SECONDS,
    ) -> None:
        self.db = db
        self.application = application
        self.clock = clock
        self.limit = limit
        self.lease = timedelta(seconds=lease)
        self.sweep_every = sweep_every
        # Unique per process start: a restarted instance does not inherit the dead one's
        # turns, it waits for their leases like any other instance.
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self.handled = 0
        self.stopping = False
        self.last_beat = 0.0
        self._slots = asyncio.Semaphore(limit)
        self.max_chats = limit * CHATS_PER_SLOT
        # Set when a chat is finished: the sweep looks for waiting chats at once.
        self._freed = asyncio.Event()
        # Whether chats may be waiting for a free place here (the last sweep was full, or an
        # update arrived while every place was taken): only then is a freed place swept for.
        self._backlog = False
        self._active: dict[int, asyncio.Task[None]] = {}
        # Updates this instance received and has not handled yet, as Telegram sent them:
        # the database keeps them without people's names (which a reply may use, like an
        # invitation accepted "with my name"), and parsing them again costs time. One
        # handled by another instance goes from here in turn, oldest first.
        self._fresh: OrderedDict[int, Update] = OrderedDict()
        self._again: set[int] = set()
        self._loops: list[asyncio.Task[None]] = []
        # Updates handled from memory, outside any turn (see `receive`).
        self._loose: set[asyncio.Task[None]] = set()

    @property
    def in_hand(self) -> int:
        """How many chats this instance is handling now."""
        return len(self._active)

    async def start(self, alone: bool) -> None:
        """Begin sweeping and renewing; `alone` (SQLite's one process) forgets old turns."""
        if alone:
            await self.db.write(turns.clear)
        self.last_beat = time.monotonic()
        self._loops = [
            asyncio.create_task(self._sweep_forever(), name="chat-turns-sweep"),
            asyncio.create_task(self._renew_forever(), name="chat-turns-renew"),
        ]

    async def receive(self, update: Update) -> bool:
        """Save an update (committed when this returns) and take its chat's turn if free;
        whether it was new (a redelivery is not). Storage faults are raised."""
        key = chat_key(update) or 0
        now = self.clock()
        # While chats wait for a place, a new one queues behind them (the sweep serves the
        # longest waiting first): taking the place at once would let newcomers overtake.
        free = len(self._active) < self.max_chats and not self.stopping and not self._backlog

        mine = taken = False
        first: turns.Pending | None = None

        def save(rows: list[Row]) -> Awaitable[list[int]]:
            async def run(conn: aiosqlite.Connection) -> list[int]:
                nonlocal mine, taken, first
                mine, taken, first = False, False, None
                # Without its payload (one that cannot be stored), it still holds its place
                # in the chat's order, and is handled from `_fresh` (only here, until a stop).
                new = await updates.save_new(conn, rows, now)
                mine = key in self._active
                if not new or not free or mine:
                    return new
                if not await turns.take(conn, key, self.owner, now, now + self.lease):
                    return new
                # The chat's first update not handled: this one, or one an earlier holder left.
                taken, first = True, await turns.next_pending(conn, key)
                return new

            return self.db.write(run)

        kept = await keep([update], save)
        if kept.unsaved:
            # Not even its place could be saved: handled from memory, outside its chat's turn.
            task = asyncio.create_task(self._from_memory(update), name=f"update-{update.update_id}")
            self._loose.add(task)
            task.add_done_callback(self._loose.discard)
            return True
        new = bool(kept.new)
        if new and not free and not mine:
            self._freed.set()  # the sweep looks now, not in a second
        if new:
            self._fresh[update.update_id] = update
            while len(self._fresh) > self.max_chats * FRESH_PER_CHAT:
                self._fresh.popitem(last=False)
        if new and not free and len(self._active) >= self.max_chats:
            self._backlog = True
        if taken:
            self._begin(key, first)
        elif new and mine:
            if key in self._active:
                # Its drain may have just found nothing left: it looks again before it ends.
                self._again.add(key)
            else:
                # Its drain ended meanwhile and gave the turn back: take it again.
                self._active[key] = asyncio.create_task(
                    self._drain(key, retake=True), name=f"chat-{key}"
                )
        return new

    def _begin(self, key: int, first: turns.Pending | None = None) -> None:
        if key in self._active:
            # Its drain may have just found nothing left: it looks again before it ends.
            self._again.add(key)
            return
        self._active[key] = asyncio.create_task(self._drain(key, first), name=f"chat-{key}")

    async def _drain(
        self, key: int, first: turns.Pending | None = None, retake: bool = False
    ) -> None:
        done: int | None = None
        try:
            if retake:
                taken, first = await self._retake(key)
                if not taken:
                    return  # another instance has it, and its updates
            if first is not None and not self.stopping:
                # Taken with the turn, in the same transaction: no need to look it up again.
                await self._handle(first)
                done = first.update_id
            while True:
                stop = self.stopping
                found = await self._step(key, done, stop)
                done = None
                if stop or isinstance(found, _Lost):
                    return
                if found is None:
                    # The turn was given back. An update that arrived here meanwhile (while
                    # this chat was in hand, so it did not take the turn) is taken now.
                    if key not in self._again:
                        return
                    self._again.discard(key)
                    taken, found = await self._retake(key)
                    if not taken:
                        return  # another instance has it, and its updates
                    if found is None:
                        continue  # nothing after all: the next step gives the turn back
                self._again.discard(key)
                await self._handle(found)
                done = found.update_id
        except DatabaseUnusable:
            return  # The app stops for it; the turn's lease runs out for another instance.
        except STORAGE_ERRORS as exc:
            # The sweep (here or elsewhere) takes the chat again once its lease runs out.
            log.warning("chat %s left for now: %s", key, exc)
        finally:
            del self._active[key]
            if self._backlog:
                self._freed.set()

    async def _retake(self, key: int) -> tuple[bool, turns.Pending | None]:
        """Take a chat's turn again; whether taken, and its first update not handled."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> tuple[bool, turns.Pending | None]:
            if not await turns.take(conn, key, self.owner, now, now + self.lease):
                return False, None
            return True, await turns.next_pending(conn, key)

        return await self.db.write(run)

    async def _step(self, key: int, done: int | None, stop: bool) -> turns.Pending | _Lost | None:
        """Mark the update just handled, then: the chat's next update, or the turn given back."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> turns.Pending | _Lost | None:
            if done is not None:
                await updates.mark_handled(conn, [done], now)
            if not await turns.renew(conn, key, self.owner, now + self.lease):
                return LOST
            found = None if stop else await turns.next_pending(conn, key)
            if found is None:
                await turns.release(conn, key, self.owner)
            return found

        found = await self.db.write(run)
        if isinstance(found, _Lost):
            log.warning("the turn at chat %s expired and was taken over", key)
        return found

    async def _from_memory(self, update: Update) -> None:
        async with self._slots:
            with handling_update():
                await self.application.process_update(update)
        self.handled += 1

    async def _handle(self, pending: turns.Pending) -> None:
        update = self._fresh.pop(pending.update_id, None)
        if update is None:
            if pending.payload is None:
                return
            try:
                update = Update.de_json(pending.payload, self.application.bot)
            except (TypeError, ValueError, KeyError) as exc:
                log.error("update %s skipped: %s", pending.update_id, exc)
                return
        async with self._slots:
            # Handler errors go to the application's error handler; they do not reach here.
            with handling_update():
                await self.application.process_update(update)
        self.handled += 1

    async def _sweep_forever(self) -> None:
        while True:
            self._freed.clear()
            try:
                await self.sweep()
            except DatabaseUnusable:
                return
            except STORAGE_ERRORS as exc:
                log.warning("looking for chats nobody handles failed: %s", exc)
            else:
                self.last_beat = time.monotonic()
            # Again when a chat is finished (a slot is free), or after a while regardless.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._freed.wait(), self.sweep_every)

    async def sweep(self) -> int:
        """Take chats with unhandled updates and no live turn, up to the free slots; how many."""
        free = self.max_chats - len(self._active)
        if free <= 0 or self.stopping:
            return 0
        now = self.clock()
        waiting = await turns.unattended(self.db.reader, now, free)
        self._backlog = len(waiting) >= free
        if not waiting:
            return 0

        async def run(conn: aiosqlite.Connection) -> list[int]:
            return [
                key
                for key in waiting
                if key not in self._active
                and await turns.take(conn, key, self.owner, now, now + self.lease)
            ]

        taken = await self.db.write(run)
        for key in taken:
            self._begin(key)
        return len(taken)

    async def _renew_forever(self) -> None:
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            if not self._active:
                continue
            until = self.clock() + self.lease
            owner = self.owner

            async def run(conn: aiosqlite.Connection) -> int:
                return await turns.renew_all(conn, owner, until)  # noqa: B023 (run at once)

            try:
                await self.db.write(run)
            except DatabaseUnusable:
                return
            except STORAGE_ERRORS as exc:
                log.warning("chat turns not renewed now: %s", exc)

    async def stop(self) -> None:
        """Finish the updates in hand, give every turn back, stop sweeping."""
        self.stopping = True
        if not self._loops:
            return  # never started
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops = []
        draining = [*self._active.values(), *self._loose]
        if draining:
            await asyncio.gather(*draining, return_exceptions=True)

        async def run(conn: aiosqlite.Connection) -> None:
            await turns.release_all(conn, self.owner)

        try:
            await self.db.write(run)
        except _FAULTS as exc:
            # Their leases run out instead.
            log.info("chat turns not given back at stop: %s", exc)
