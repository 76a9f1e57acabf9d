"""Keeping under Telegram's flood limits, so it never has to answer 429.

python-telegram-bot's AIORateLimiter has no per-chat limit for private chats, and when a
429 comes anyway it pauses every request, for everyone. Here each kind of limit waits only
the requests it concerns: about 30 messages a second overall, 20 a minute to one group, and
about one a second to one private chat after a short burst. Only messages count (send*,
copy, forward); edits, answers to buttons and chat actions pass. A 429 that still comes
(another instance, a stricter Telegram) is waited out for that request alone and retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

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
# Per chat, where the pace is slow, the allowance is a fixed time per message.
SLACK_SECONDS = 0.1


def _chat_bucket(burst: float, period: float) -> AsyncLimiter:
    """A burst of `burst` messages, refilled over `period` seconds, with slack per message."""
    return AsyncLimiter(burst, period + burst * SLACK_SECONDS)


def _is_message(endpoint: str) -> bool:
    name = endpoint.lower()
    return (name.startswith("send") and name != "sendchataction") or name in {
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }


class FloodLimiter(BaseRateLimiter[int]):
    """Per-chat, per-group and overall limits on messages, each waiting only its own."""

    def __init__(
        self,
        per_second: float = 30,
        group_per_minute: float = 20,
        private_burst: int = PRIVATE_BURST,
        max_retries: int = 3,
        group_period: float = 60,
    ) -> None:
        self.overall = AsyncLimiter(per_second, MARGIN) if per_second else None
        # A group may take `group_per_minute` messages at once, then refills over the period.
        self.group_per_minute = group_per_minute
        self.group_period = group_period
        self.private_burst = private_burst
        self.max_retries = max_retries
        self._chats: dict[int | str, AsyncLimiter] = {}
        # Set at stop: a 429's wait (Telegram may ask for minutes) would hold the stop up.
        self._stopping = asyncio.Event()

    def stop_waiting(self) -> None:
        """From now on a 429 goes straight back to the caller, and a wait for one ends."""
        self._stopping.set()

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

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
            if chat_id is not None:
                try:
                    chat_id = int(chat_id)  # type: ignore[call-overload]
                except (TypeError, ValueError):
                    pass  # a channel's @username
                chat = self._chat_limiter(chat_id)  # type: ignore[arg-type]
                if chat is not None:
                    limiters.append(chat)
            if self.overall is not None:
                limiters.append(self.overall)
        return limiters

    async def acquire(self, endpoint: str, chat_id: int) -> None:
        """Wait for this message's turn now; send it with `rate_limit_args=ACQUIRED`.

        For callers that must record "about to send" only once nothing can hold it back.
        """
        for limiter in self._limiters(endpoint, chat_id):
            await limiter.acquire()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the limits this request falls under, send it, retry a 429 alone."""
        limiters = self._limiters(endpoint, data.get("chat_id"))
        acquired = rate_limit_args in (ACQUIRED, ACQUIRED_NO_RETRY)
        retries = self.max_retries if rate_limit_args is None or acquired else rate_limit_args
        if rate_limit_args == ACQUIRED_NO_RETRY:
            retries = 0
        for attempt in range(retries + 1):
            if attempt or not acquired:
                for limiter in limiters:
                    await limiter.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries or self._stopping.is_set():
                    raise
                wait = seconds(exc.retry_after) + 0.1
                log.info("429 from Telegram on %s; retrying in %.1f s", endpoint, wait)
                try:
                    await asyncio.wait_for(self._stopping.wait(), wait)
                except TimeoutError:
                    continue
                raise
        raise AssertionError("unreachable")


def seconds(value: object) -> float:
    """A RetryAfter's wait in seconds (python-telegram-bot gives int or timedelta)."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
