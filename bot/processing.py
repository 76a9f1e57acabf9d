"""Fetching, saving and confirming updates, and handling each chat's updates in order.

python-telegram-bot's own polling confirms a batch of updates as soon as it has queued
it, so a crash loses what was queued but not yet handled. Here each batch is first saved
to the `updates` table (committed), and only then confirmed by asking for the next batch.
Updates saved but not handled when the bot stopped are handled when it starts again, and
an update Telegram delivers twice is saved once and handled once.

Faults that pass (the network, a proxy's 5xx or HTML page, redirect loops, a busy or
briefly full database) are waited out with capped backoff, logged once per streak. Those
that cannot pass (a refused token, a database that cannot be written) end `Poller.run`
with their exception, so that the process stops and a supervisor can restart it.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

import aiosqlite
from telegram import Bot, TelegramObject, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import BaseUpdateProcessor
from telegram.warnings import PTBUserWarning

from bot.health import Heartbeat
from bot.intake import Clock
from bot.ratelimit import handling_update, seconds
from storage import updates, webhooks
from storage.db import Database, DatabaseUnusable
from storage.engines import DATA_ERRORS, STORAGE_ERRORS

if TYPE_CHECKING:
    from bot.unreadable import Unreadable

log = logging.getLogger(__name__)

# The update types the bot asks Telegram for.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# The base class's semaphore would hold a slot while an update waits for its chat's turn,
# so it is set high and the real limit is applied inside, after the chat's lock.
_UNBOUNDED = 1_000_000
# A failing getUpdates is tried again after this long, doubling up to the maximum.
RETRY_FIRST = 1.0
RETRY_MAX = 30.0
# What saving one update can raise for a reason of its own (its values), not the database's:
# that update is not kept, the others are, and the bot goes on. (OverflowError: an integer
# SQLite cannot hold.)
UPDATE_FAULTS: tuple[type[BaseException], ...] = (
    TypeError,
    ValueError,
    OverflowError,
    *DATA_ERRORS,
)
# An update as saved: its id, its payload (None: it could not be stored), its chat's key.
Row = tuple[int, dict[str, Any] | None, int]


def chat_key(update: object) -> int | None:
    """What orders updates: the chat (or the user when there is no chat)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


def stored_form(update: Update) -> dict[str, Any]:
    """The update in JSON's own types, as Telegram sends it, so that it is stored and reads
    back with Update.de_json (a crash's replay, another instance).

    python-telegram-bot's to_dict leaves some values as it holds them: an
    InaccessibleMessage (a pinned message or a button's message the bot cannot see, `date`
    0) keeps its date as a datetime, which json.dumps refused, and polling stopped on it."""
    return _plain(update.to_dict())


@dataclass
class Kept:
    """What became of a batch of updates offered to the database."""

    # Saved now, and not seen before (a redelivery is neither new nor unsaved).
    new: set[int] = field(default_factory=set)
    # Not saved at all (even without their payload): handled from memory, once.
    unsaved: set[int] = field(default_factory=set)


async def keep(
    batch: Sequence[Update], save: Callable[[list[Row]], Awaitable[Iterable[int]]]
) -> Kept:
    """Save a batch of updates with `save` (one transaction, which returns the ids that were
    new), whichever mode received them (polling, the webhook).

    An update that cannot be stored for a reason of its own (its values) is saved without its
    payload, so that it still holds its place in its chat's order and a redelivery is known,
    or, refused even so, not at all: either way it is logged, handled from memory (not again
    after a stop) and confirmed like the rest; refused, it would come again after every
    restart and hold up its chat, or everyone. The database's own faults (an outage, a busy
    file) are raised: nothing is confirmed."""
    rows: list[Row] = []
    for update in batch:
        payload: dict[str, Any] | None
        try:
            payload = stored_form(update)
        except UPDATE_FAULTS as exc:
            payload = None
            _not_kept(update, exc)
        rows.append((update.update_id, payload, chat_key(update) or 0))
    try:
        return Kept(new=set(await save(rows)))
    except UPDATE_FAULTS:
        if len(rows) == 1 and rows[0][1] is None:
            _not_kept(batch[0], None)
            return Kept(unsaved={rows[0][0]})
    # One of them, presumably (its values, refused by the database): each alone, so that
    # only that one goes without its payload.
    kept = Kept()
    for update, (update_id, payload, key) in zip(batch, rows, strict=True):
        if payload is not None:
            try:
                kept.new.update(await save([(update_id, payload, key)]))
                continue
            except UPDATE_FAULTS as exc:
                _not_kept(update, exc)
        try:
            kept.new.update(await save([(update_id, None, key)]))
        except UPDATE_FAULTS:
            _not_kept(update, None)
            kept.unsaved.add(update_id)
    return kept


def _not_kept(update: Update, exc: BaseException | None) -> None:
    if exc is None:
        log.error(
            "update %s cannot be saved even without its payload; handled from memory, once",
            update.update_id,
        )
        return
    log.error(
        "update %s cannot be saved whole (%s: %s); handled from memory, not after a stop",
        update.update_id,
        exc.__class__.__name__,
        exc,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, TelegramObject):
        return _plain(value.to_dict())
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        # Telegram's dates are Unix times; a naive one is UTC (as python-telegram-bot reads).
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return _number(aware.timestamp())
    if isinstance(value, timedelta):
        return _number(value.total_seconds())
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a {value.__class__.__name__} in an update cannot be stored")


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


class HandledMarks:
    """Marks updates handled in batches: those with effects already did so in their own
    transaction; for the rest (help texts, unusable messages) handling them twice after a
    crash is harmless, so their marks need not cost a commit each."""

    def __init__(self, db: Database, clock: Clock, interval: float = 0.2) -> None:
        self.db = db
        self.clock = clock
        self.interval = interval
        self._pending: list[int] = []
        self._task: asyncio.Task[None] | None = None

    def add(self, update_id: int) -> None:
        """Remember that an update has been handled."""
        self._pending.append(update_id)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_later(), name="handled-marks")

    async def _flush_later(self) -> None:
        # Marks added while a batch is being written wait for the next round of this task
        # (`add` starts none while it runs): without it they stayed unwritten until another
        # update came, each keeping whose chat it was, and looking unanswered to `unanswered`.
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except DatabaseUnusable:
                return  # The writer is gone, and the app stops for it (said there).
            except STORAGE_ERRORS as exc:
                # Kept (`flush`) and tried again next round: dropped, they would be handled
                # again only at the next start, perhaps long after updates that came later.
                log.info("handled updates not marked now: %s", exc)
            if not self._pending:
                return

    async def flush(self) -> None:
        """Write the pending marks now."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await updates.mark_handled(conn, batch, now)

        try:
            await self.db.write(run)
        except BaseException:
            # Not written: the batch goes back, ahead of marks added meanwhile.
            self._pending = batch + self._pending
            raise

    async def close(self) -> None:
        """Write what is pending and stop."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Handles different chats concurrently and each chat's updates in the order received."""

    def __init__(self, max_concurrent: int, marks: HandledMarks | None = None) -> None:
        super().__init__(max_concurrent_updates=_UNBOUNDED)
        self.limit = max_concurrent
        self.marks = marks
        self._slots = asyncio.Semaphore(max_concurrent)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        # Set at stop: updates not yet begun are left unhandled, for the next start.
        self.stopping = False

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn, then for a free slot, then handle the update."""
        key = chat_key(update)
        if key is None:
            async with self._slots:
                handled = await self._handle(coroutine)
        else:
            # asyncio.Lock wakes waiters in FIFO order, and updates reach here in the order
            # they were queued, so a chat's updates run in order.
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                async with lock, self._slots:
                    handled = await self._handle(coroutine)
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key], self._locks[key]
        if handled and self.marks is not None and isinstance(update, Update):
            self.marks.add(update.update_id)

    async def _handle(self, coroutine: Awaitable[Any]) -> bool:
        if self.stopping:
            # Saved and not confirmed as handled: the next start handles it.
            if inspect.iscoroutine(coroutine):
                coroutine.close()
            return False
        # So that a reply to a group Telegram holds for long goes back at once instead of
        # holding the group's next updates (bot/ratelimit.py).
        with handling_update():
            await coroutine
        return True

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: pending marks are flushed by the app."""


class Poller:
    """Long-polls getUpdates, saves each batch, then hands new updates to the application."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        queue: asyncio.Queue[object],
        clock: Clock,
        timeout: int = 30,
        heartbeat: Heartbeat | None = None,
        unreadable: Unreadable | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.queue = queue
        self.clock = clock
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.unreadable = unreadable
        self.offset: int | None = None

    async def recover(self) -> int:
        """Queue the updates saved but not handled before the last stop; return how many."""
        payloads = await updates.unhandled(self.db.reader)
        # Those saved without their payload (see `keep`) are not handled again: marked, or
        # their chat looked busy for good. Marked only: no answer went, so the chat's earlier
        # answers a crash may have lost are still given again.
        unreadable: list[int] = await updates.bare(self.db.reader)
        for payload in payloads:
            try:
                update = Update.de_json(payload, self.bot)
            except (TypeError, ValueError, KeyError) as exc:
                # Raised here, it stopped every start: marked handled instead, and said.
                log.error("saved update %s skipped: %s", payload.get("update_id"), exc)
                unreadable += [payload["update_id"]] if "update_id" in payload else []
                continue
            await self.queue.put(update)
        if unreadable:
            now = self.clock()

            async def skip(conn: aiosqlite.Connection) -> None:
                await updates.skip(conn, unreadable, now)

            await self.db.write(skip)
        if payloads:
            log.info("handling %d updates saved before the last stop", len(payloads))
        return len(payloads)

    async def receive(self, batch: list[Update]) -> list[Update]:
        """Save a batch (committed) and queue the updates not seen before; return those.
        What cannot be saved, and the database's faults: see `keep`."""
        if not batch:
            return []
        now = self.clock()

        def save(rows: list[Row]) -> Awaitable[list[int]]:
            # An update of no chat and no one (a poll's new state, a kind newer than this
            # library) is stored under 0, as webhook mode does: without a key the insert
            # failed, polling stopped, and it stopped on the same update after every restart.
            async def run(conn: aiosqlite.Connection) -> list[int]:
                return await updates.save_new(conn, rows, now)

            return self.db.write(run)

        kept = await keep(batch, save)
        fresh = [u for u in batch if u.update_id in kept.new | kept.unsaved]
        for update in fresh:
            await self.queue.put(update)
        return fresh

    async def _skip_unreadable(self) -> None:
        """Fetch the batch as plain JSON, save and queue what can be read, step past it."""
        with warnings.catch_warnings():
            # It advises Bot.get_updates, which is the call that cannot read this batch.
            warnings.simplefilter("ignore", PTBUserWarning)
            raw = await self.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": self.offset,
                    "timeout": 0,
                    "allowed_updates": ALLOWED_UPDATES,
                },
            )
        readable, last = [], None
        for payload in raw or []:
            last = payload.get("update_id", last)
            try:
                readable.append(Update.de_json(payload, self.bot))
            except (TypeError, ValueError, KeyError) as exc:
                log.error("update %s skipped: %s", payload.get("update_id"), exc)
                if self.unreadable is not None:
                    await self.unreadable.skipped(payload)
        await self.receive(readable)
        if last is not None:
            self.offset = int(last) + 1

    async def run(self) -> None:
        """Poll until cancelled; faults that pass are waited out, the others raised."""
        delay, failing_since, failures = RETRY_FIRST, 0.0, 0
        if self.heartbeat is not None:
            self.heartbeat.start()
        while True:
            failure = await self._round()
            if self.heartbeat is not None:
                self.heartbeat.beat(failure)
            if failure is None:
                if failures:
                    log.warning(
                        "getUpdates works again, after %d failed tries in %.0f s",
                        failures,
                        time.monotonic() - failing_since,
                    )
                delay, failing_since, failures = RETRY_FIRST, 0.0, 0
                continue
            if not failures:
                failing_since = time.monotonic()
                log.warning("%s; trying again with backoff until it passes", failure)
            else:
                log.debug("%s (try %d)", failure, failures + 1)
            failures += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _leave_webhook_mode(self) -> str | None:
        """Delete the webhook Telegram still has from webhook mode, as python-telegram-bot's
        own polling does at start; its undelivered updates come by getUpdates instead."""
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as exc:
            return f"the webhook set at Telegram could not be deleted to poll ({exc.message})"
        old = await webhooks.current(self.db.reader)

        async def forget(conn: aiosqlite.Connection) -> bool:
            return await webhooks.change(conn, old, None)

        # So that webhook mode, started again, sets it at once rather than trust the record.
        await self.db.write(forget)
        log.warning(
            "a webhook was set at Telegram (webhook mode was used before): deleted it, to poll;"
            " its undelivered updates come by polling"
        )
        return None

    async def _round(self) -> str | None:
        """One getUpdates round: fetch, save, confirm; why it failed, if it did."""
        try:
            batch = await self.bot.get_updates(
                offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES
            )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await asyncio.sleep(seconds(exc.retry_after))
            return None
        except Conflict as exc:
            if "webhook" in exc.message.lower():
                return await self._leave_webhook_mode()
            return f"another instance is polling ({exc.message})"
        except TelegramError as exc:
            # The network, a 5xx, a proxy's HTML page ("Invalid server response"), a
            # redirect loop: all of them pass.
            return f"getUpdates failed ({exc.__class__.__name__}: {exc.message})"
        except (TypeError, ValueError, KeyError) as exc:
            # An update python-telegram-bot cannot read: without this, polling would stop
            # on it, and stop again on it after every restart.
            log.error("an update could not be read (%s); skipping only that", exc)
            try:
                await self._skip_unreadable()
            except TelegramError as fetch:
                return f"getUpdates failed ({fetch.__class__.__name__}: {fetch.message})"
            return None
        if batch:
            await self.receive(list(batch))
            # Asking from here on confirms the batch: it is saved now.
            self.offset = batch[-1].update_id + 1
        return None
