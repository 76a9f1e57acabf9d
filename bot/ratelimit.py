"""Keeping under Telegram's flood limits, so it never has to answer 429.

python-telegram-bot's AIORateLimiter has no per-chat limit for private chats, and when a
429 comes anyway it pauses every request, for everyone. Here each kind of limit waits only
the requests it concerns: about 30 messages a second overall, 20 a minute to one group, and
about one a second to one private chat after a short burst. Only messages count (send*,
copy, forward); edits, answers to buttons and chat actions pass. A 429 that still comes
(a stricter Telegram, say) is waited out for that request alone and retried.

Several instances on PostgreSQL share one budget per bot token: `SharedBudget` reserves
each message's slot in the database (storage/send_slots.py), on the server's clock, so the
limits hold for all instances together. SQLite has one process: the limits stay in it.

Every request passes here, so here too a group that became a supergroup is followed
(bot/chatmoves.py): a call on a group goes to where it is now, and one Telegram refuses
because the group has just moved (ChatMigrated) is recorded and sent there once more.

A 429 also holds its chat: nothing more is sent there until Telegram's wait is over (each
would only meet another 429). A caller that takes 429s back (NO_RETRY) is told at once; a
message sent while handling an update, to a group held longer than UPDATE_WAIT, goes back
at once too, so that group's next updates (every moderator's button presses) are not held.
The outbox keeps each message's next try itself (ACQUIRED_NO_RETRY): holds leave it be.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, ChatMigrated, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.chatmoves import ChatMoves
from bot.topics import POSTS, Topics, refused_for_topic
from storage import send_slots
from storage.engines import STORAGE_ERRORS
from storage.postgres import PostgresDatabase
from storage.send_slots import Limit, Reservation

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

# What puts a new message in a forum topic.
IN_A_TOPIC = ("message_thread_id", "reply_parameters", "reply_to_message_id")

# Telegram's documented limits (core.telegram.org/bots/faq).
PRIVATE_BURST = 5
PRIVATE_PER_SECOND = 1.0
# Refill a little slower than Telegram does: requests reach Telegram some milliseconds
# after they leave, unevenly, and one that left on time must not arrive early there.
MARGIN = 1.05
# `rate_limit_args` meaning "acquire() was already called for this message".
ACQUIRED = -1
# The same, and a 429 goes straight back to the caller, who waits it out for that message
# alone (a queue of messages to many chats must not wait for one of them).
ACQUIRED_NO_RETRY = -2
# Wait for the turn as usual, but a 429 goes straight back to the caller (for calls that are
# a convenience, such as a person's command menu, not worth holding their reply for).
NO_RETRY = -3
# Per chat, where the pace is slow, the allowance is a fixed time per message.
SLACK_SECONDS = 0.1
# Messages of each chat's burst the shared budget keeps spare (see SharedBudget.limits).
SPARE = 2


def _chat_bucket(burst: float, period: float) -> AsyncLimiter:
    """A burst of `burst` messages, refilled over `period` seconds, with slack per message."""
    return AsyncLimiter(burst, period + burst * SLACK_SECONDS)


# Edits are the same whether they reach Telegram once or twice, so one that fails on the way
# (a 5xx, a timeout, a dropped connection) is tried again, after these pauses: otherwise a
# reply that says "saved" was lost and the person told to try again. An edit that had
# reached Telegram comes back "message is not modified", which callers take as done.
EDITS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})
EDIT_PAUSES = (0.5, 1.5)


# Calls naming a message of the chat: its ids are the old group's, so they are not sent to
# the supergroup (another message there has that id); they fail, and the caller copes.
ABOUT_A_MESSAGE = ("edit", "delete", "stop", "pin", "unpin", "setmessagereaction")
# A group moves once; this many moves within one call is a loop, not moves.
MOST_MOVES = 3


def _is_message(endpoint: str) -> bool:
    name = endpoint.lower()
    return (name.startswith("send") and name != "sendchataction") or name in {
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }


# The longest a message sent while handling an update waits for its group's 429 to pass.
UPDATE_WAIT = 3.0
# The task handling an update now (set by the update processors); tasks it starts (a sweep
# after a new item) are not it, and wait as usual.
_handling: ContextVar[asyncio.Task[Any] | None] = ContextVar("handling_update", default=None)


@contextmanager
def handling_update() -> Iterator[None]:
    """Mark the current task as handling one update, for as long as the block runs."""
    token = _handling.set(asyncio.current_task())
    try:
        yield
    finally:
        _handling.reset(token)


def _in_update() -> bool:
    task = _handling.get()
    return task is not None and task is asyncio.current_task()


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0


# How often a shared budget forgets the chats not written to lately, and how lately.
PRUNE_SECONDS = 60.0
PRUNE_AFTER = 60.0


def _chat_key(chat_id: object) -> int | str | None:
    """A chat id as an int where it is one (a channel's @username stays text)."""
    if chat_id is None:
        return None
    try:
        return int(chat_id)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return str(chat_id)


class SharedBudget:
    """Telegram's limits counted across every instance, in PostgreSQL: each message
    reserves its slot under its chat's limit and the overall one, then waits for it."""

    def __init__(
        self,
        db: PostgresDatabase,
        per_second: float = 30,
        group_per_minute: float = 20,
        private_burst: int = PRIVATE_BURST,
        group_period: float = 60,
    ) -> None:
        self.db = db
        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self.private_burst = private_burst
        self.group_period = group_period
        self._pruned = time.monotonic()

    def limits(self, chat_id: int | str | None) -> list[Limit]:
        """The limits a message to this chat falls under, the chat's first."""
        found: list[Limit] = []
        if chat_id is not None:
            group = isinstance(chat_id, str) or chat_id < 0
            # A reservation is kept at the moment reserved, not at the moment the message
            # leaves: a burst sent late eats into the refill after it. Two messages of each
            # burst are kept spare, so lateness under load does not meet Telegram's 429.
            if group and self.group_per_minute:
                burst = max(1.0, self.group_per_minute - SPARE)
                period = self.group_period * burst / self.group_per_minute
                found.append(_rate(f"chat:{chat_id}", burst, period))
            elif not group and self.private_burst:
                burst = max(1.0, self.private_burst - SPARE)
                found.append(_rate(f"chat:{chat_id}", burst, burst / PRIVATE_PER_SECOND))
        if self.per_second:
            step = MARGIN / self.per_second
            found.append(Limit("all", step, (self.per_second - 1) * step))
        return found

    async def acquire(self, chat_id: int | str | None) -> Reservation:
        """Reserve this message's slot and wait until it comes; the reservation."""
        reservation = await send_slots.reserve(self.db, self.limits(chat_id))
        if time.monotonic() - self._pruned > PRUNE_SECONDS:
            self._pruned = time.monotonic()
            await send_slots.prune(self.db, PRUNE_AFTER)
        if reservation.wait > 0:
            await asyncio.sleep(reservation.wait)
        return reservation


def _rate(key: str, burst: float, period: float) -> Limit:
    """`burst` messages at once, refilled over `period` seconds, with slack per message
    (as `_chat_bucket` in one process)."""
    step = period / burst + SLACK_SECONDS
    return Limit(key, step, (burst - 1) * step)


class FloodLimiter(BaseRateLimiter[int]):
    """Per-chat, per-group and overall limits on messages, each waiting only its own."""

    def __init__(
        self,
        per_second: float = 30,
        group_per_minute: float = 20,
        private_burst: int = PRIVATE_BURST,
        max_retries: int = 3,
        group_period: float = 60,
        shared: SharedBudget | None = None,
        moves: ChatMoves | None = None,
        topics: Topics | None = None,
    ) -> None:
        # Groups that became supergroups, followed (None: calls go where they are sent).
        self.moves = moves
        # Forum groups: which topic a message goes to (None: where it is sent).
        self.topics = topics
        # Several instances: the limits are counted in the database instead (the in-process
        # ones stand in while it cannot be reached).
        self.shared = shared
        self.overall = AsyncLimiter(per_second, MARGIN) if per_second else None
        # A group may take `group_per_minute` messages at once, then refills over the period.
        self.group_per_minute = group_per_minute
        self.group_period = group_period
        self.private_burst = private_burst
        self.max_retries = max_retries
        self._chats: dict[int | str, AsyncLimiter] = {}
        # Chats Telegram answered 429: the loop time until which nothing more goes there.
        self._held: dict[int | str, float] = {}
        # Set at stop: a 429's wait (Telegram may ask for minutes) would hold the stop up.
        self._stopping = asyncio.Event()

    def stop_waiting(self) -> None:
        """From now on a 429 goes straight back to the caller, and a wait for one ends."""
        self._stopping.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    def held(self, chat_id: object) -> float:
        """Seconds until Telegram takes messages to this chat again (0: it does now)."""
        key = _chat_key(chat_id)
        until = self._held.get(key) if key is not None else None
        if until is None:
            return 0.0
        left = until - asyncio.get_running_loop().time()
        if left <= 0:
            del self._held[key]  # type: ignore[arg-type]
            return 0.0
        return left

    def _hold(self, chat_id: object, wait: float) -> None:
        key = _chat_key(chat_id)
        if key is not None:
            until = asyncio.get_running_loop().time() + wait
            self._held[key] = max(until, self._held.get(key, until))

    def _back_at_once(self, chat_id: object, wait: float, no_retry: bool) -> bool:
        """Whether a wait for this chat's 429 goes back to the caller instead of being
        waited here: the caller waits alone, or the bot stops, or an update would hold its
        group's next ones too long."""
        if no_retry or self._stopping.is_set():
            return True
        key = _chat_key(chat_id)
        return key is not None and wait > UPDATE_WAIT and _is_group(key) and _in_update()

    async def _wait_held(self, endpoint: str, chat_id: object, no_retry: bool) -> None:
        """Wait until Telegram's 429 for this chat has passed, or raise it back at once."""
        if not _is_message(endpoint):
            return
        while (left := self.held(chat_id)) > 0:
            if self._back_at_once(chat_id, left, no_retry):
                raise RetryAfter(max(1, math.ceil(left)))
            try:
                await asyncio.wait_for(self._stopping.wait(), left)
            except TimeoutError:
                continue

    def _chat_limiter(self, chat_id: int | str) -> AsyncLimiter | None:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            group = isinstance(chat_id, str) or chat_id < 0
            if group and self.group_per_minute:
                limiter = _chat_bucket(self.group_per_minute, self.group_period)
            elif not group and self.private_burst:
                limiter = _chat_bucket(self.private_burst, self.private_burst / PRIVATE_PER_SECOND)
            else:
                return None
            self._chats[chat_id] = limiter
        return limiter

    def _limiters(self, endpoint: str, chat_id: object) -> list[AsyncLimiter]:
        limiters: list[AsyncLimiter] = []
        if _is_message(endpoint):
            key = _chat_key(chat_id)
            if key is not None:
                chat = self._chat_limiter(key)
                if chat is not None:
                    limiters.append(chat)
            if self.overall is not None:
                limiters.append(self.overall)
        return limiters

    async def _wait_turn(self, endpoint: str, chat_id: object) -> None:
        """Wait until this request may go under every limit it falls under."""
        if self.shared is not None and _is_message(endpoint):
            try:
                await self.shared.acquire(_chat_key(chat_id))
                return
            except STORAGE_ERRORS as exc:
                log.warning("shared sending budget not reached (%s): counting here alone", exc)
        for limiter in self._limiters(endpoint, chat_id):
            await limiter.acquire()

    async def acquire(self, endpoint: str, chat_id: int) -> None:
        """Wait for this message's turn now; send it with `rate_limit_args=ACQUIRED`.

        For callers that must record "about to send" only once nothing can hold it back.
        """
        await self._wait_turn(endpoint, chat_id)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the limits this request falls under, send it, retry a 429 alone; a call
        on a group that became a supergroup goes where it is now."""
        chat_id = data.get("chat_id")
        follows = self.moves is not None and not endpoint.lower().startswith(ABOUT_A_MESSAGE)
        if follows and isinstance(chat_id, int) and self.moves is not None:
            there = self.moves.current(chat_id)
            if there != chat_id:
                chat_id, data = there, {**data, "chat_id": there}
                args = (*args[:-1], data)
        # In a forum group, the topic it goes to: the one asked in, or the staff's.
        topic = await self.topics.place(endpoint, data) if self.topics is not None else None
        if topic is not None:
            data = {**data, "message_thread_id": topic}
            args = (*args[:-1], data)
        elif self.topics is not None and endpoint.lower().startswith(POSTS):
            # A reply to a command names its topic itself: closed or deleted between the
            # command and its answer, the answer goes to General all the same.
            named = data.get("message_thread_id")
            topic = named if isinstance(named, int) and not isinstance(named, bool) else None
        moves = 0
        acquired = rate_limit_args in (ACQUIRED, ACQUIRED_NO_RETRY)
        retries = self.max_retries if rate_limit_args is None or acquired else rate_limit_args
        if rate_limit_args in (ACQUIRED_NO_RETRY, NO_RETRY):
            retries = 0
        pauses = list(EDIT_PAUSES) if endpoint.lower() in EDITS else []
        no_retry = retries == 0
        attempt = 0
        # A caller that keeps each message's next try itself (by its own clock) is not
        # second-guessed: Telegram's answer is its to act on.
        own_schedule = rate_limit_args == ACQUIRED_NO_RETRY
        while True:
            if not own_schedule:
                await self._wait_held(endpoint, chat_id, no_retry)
            if attempt or moves or not acquired:
                await self._wait_turn(endpoint, chat_id)
            acquired = False  # a second try (the topic gone, say) waits its turn again
            try:
                return await callback(*args, **kwargs)
            except ChatMigrated as exc:
                # Nothing was sent: the group is a supergroup now. Recorded for every
                # instance, then sent there (once), unless it names a message of the old one.
                if self.moves is None or not isinstance(chat_id, int):
                    raise
                await self.moves.moved(chat_id, exc.new_chat_id)
                if not follows or moves == MOST_MOVES:
                    raise
                log.info(
                    "%s to %s: the group is now %s; sent there", endpoint, chat_id, exc.new_chat_id
                )
                moves += 1
                chat_id, data = exc.new_chat_id, {**data, "chat_id": exc.new_chat_id}
                args = (*args[:-1], data)
                continue
            except BadRequest as exc:
                # The topic placed here was deleted or closed: nothing was sent; it goes to
                # General instead (once), and the topic is forgotten.
                if topic is None or self.topics is None or not refused_for_topic(exc.message):
                    raise
                if isinstance(chat_id, int):
                    await self.topics.refused(chat_id, topic, exc.message)
                log.info("%s to %s: topic %s refused it; sent to General", endpoint, chat_id, topic)
                topic = None
                # A reply to a message in that topic would put it there again.
                data = {k: v for k, v in data.items() if k not in IN_A_TOPIC}
                args = (*args[:-1], data)
                continue
            except NetworkError as exc:
                if isinstance(exc, BadRequest) or not pauses or self._stopping.is_set():
                    raise
                log.info("%s failed on the way (%s); trying it again", endpoint, exc.message)
                await asyncio.sleep(pauses.pop(0))
                continue
            except RetryAfter as exc:
                wait = seconds(exc.retry_after) + 0.1
                held = _is_message(endpoint) and _chat_key(chat_id) is not None
                if held:
                    self._hold(chat_id, wait)
                if attempt == retries or self._back_at_once(chat_id, wait, no_retry):
                    raise
                log.info("429 from Telegram on %s; retrying in %.1f s", endpoint, wait)
                if not held:
                    # Not held per chat (a command menu, say): waited out here.
                    try:
                        await asyncio.wait_for(self._stopping.wait(), wait)
                    except TimeoutError:
                        pass
                    else:
                        raise
                # A message waits for its chat's hold at the top of the loop.
                attempt += 1


def seconds(value: object) -> float:
    """A RetryAfter's wait in seconds (python-telegram-bot gives int or timedelta)."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
