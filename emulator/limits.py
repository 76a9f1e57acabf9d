"""Telegram's limits: sizes, and flood control as token buckets.

Flood control defaults follow Telegram's FAQ ("avoid sending more than one message per
second" in a chat, "no more than 30 messages per second" overall, "no more than 20 messages
per minute" in a group). Real Telegram tolerates short bursts in a private chat, so the
per-chat bucket holds a few tokens; its exact size is not published, 5 is our choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.errors import too_many_requests


@dataclass
class Limits:
    """Every limit the emulator enforces; `Limits(flood_control=False)` for raw throughput."""

    text_max: int = 4096
    caption_max: int = 1024
    callback_data_max_bytes: int = 64
    callback_answer_text_max: int = 200
    commands_max: int = 100
    flood_control: bool = True
    # Private chat: `private_burst` messages at once, then `private_rate` per second.
    private_rate: float = 1.0
    private_burst: int = 5
    # Group chat: `group_burst` messages, refilled at `group_burst` per `group_period` seconds.
    group_burst: int = 20
    group_period: float = 60.0
    # Whole bot, across chats.
    global_rate: float = 30.0
    global_burst: int = 30
    # Seconds the bot has to answer a callback query (Telegram's clients give up after ~15 s).
    callback_answer_timeout: float = 15.0
    # Webhook redelivery after a failed POST: doubling from initial up to max seconds.
    webhook_retry_initial: float = 1.0
    webhook_retry_max: float = 60.0
    webhook_timeout: float = 10.0

    @classmethod
    def unlimited(cls) -> Limits:
        """Limits with flood control off (sizes still enforced): for throughput benchmarks."""
        return cls(flood_control=False)


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled continuously at `rate` per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    stamp: float = field(default=0.0)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_needed(self, now: float) -> float:
        """Seconds until one token is available (0 if one is now)."""
        self.refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else float("inf")


class FloodControl:
    """Per-chat and global buckets; `charge` takes one token from each or raises 429."""

    def __init__(self, limits: Callable[[], Limits], clock: Callable[[], float] = time.monotonic):
        self._limits = limits
        self._clock = clock
        self._chats: dict[int, TokenBucket] = {}
        self._global: TokenBucket | None = None

    def charge(self, chat_id: int, is_private: bool) -> None:
        """Count one sent message to `chat_id`, or raise 429 with the real wait needed."""
        limits = self._limits()
        if not limits.flood_control:
            return
        now = self._clock()
        if self._global is None:
            self._global = TokenBucket(limits.global_burst, limits.global_rate)
        chat = self._chats.get(chat_id)
        if chat is None:
            if is_private:
                chat = TokenBucket(limits.private_burst, limits.private_rate)
            else:
                chat = TokenBucket(limits.group_burst, limits.group_burst / limits.group_period)
            self._chats[chat_id] = chat
        wait = max(chat.wait_needed(now), self._global.wait_needed(now))
        if wait > 0:
            raise too_many_requests(wait)
        # Only a message that goes out costs a token, so a refused one does not extend the wait.
        chat.tokens -= 1
        self._global.tokens -= 1

    def reset(self) -> None:
        """Forget all buckets (e.g. after changing limits)."""
        self._chats.clear()
        self._global = None
