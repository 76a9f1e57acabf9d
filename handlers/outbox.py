"""Sending messages to citizens: responses, questions and invitations, one by one, within
Telegram's limits. Each kind registers a renderer that turns a queued row into a message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ContextTypes

from bot.outbox import Outbox
from bot.ratelimit import ACQUIRED, FloodLimiter, seconds
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

Rendered = tuple[str, InlineKeyboardMarkup | None]
# None: the message is no longer wanted (what it was about was hidden or withdrawn).
Renderer = Callable[[OutboxRow], Awaitable[Rendered | None]]


class OutboxSender:
    """Sends what is queued for citizens; one sender, so at most one message is in flight."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.renderers: dict[str, Renderer] = {}
        self._lock = asyncio.Lock()
        self._again = False
        # Set when the bot stops: sending ends between messages; the rest go after restart.
        self.stopping = False

    def register(self, kind: str, renderer: Renderer) -> None:
        """Say how messages of one kind are written."""
        self.renderers[kind] = renderer

    def kick(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send what is queued now, in the background (something was just queued)."""
        context.application.create_task(self.send(context), update=None)

    async def send(self, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Job: send every message due; how many left."""
        if self._lock.locked():
            self._again = True  # the running round picks the new rows up
            return 0
        total = 0
        async with self._lock:
            while not self.stopping:
                self._again = False
                rows = await self.outbox.due()
                if not rows:
                    if self._again:
                        continue
                    break
                sent, stop = await self._round(context, rows)
                total += sent
                if stop:
                    break
        return total

    async def _round(
        self, context: ContextTypes.DEFAULT_TYPE, rows: list[OutboxRow]
    ) -> tuple[int, bool]:
        sent = 0
        limiter = context.bot.rate_limiter
        for row in rows:
            if self.stopping:
                return sent, True
            renderer = self.renderers.get(row.kind)
            rendered = await renderer(row) if renderer else None
            if rendered is None:
                await self.outbox.final(row, "cancelled", "no longer wanted")
                continue
            text, markup = rendered
            # Wait for Telegram's pace first, so "leaving" is marked only when nothing
            # holds the message back: the window in which a crash could lose it is tiny.
            if isinstance(limiter, FloodLimiter):
                await limiter.acquire("sendMessage", row.telegram_id)
            if not await self.outbox.sending(row):
                continue
            try:
                message = await context.bot.send_message(
                    row.telegram_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    rate_limit_args=ACQUIRED,  # type: ignore[arg-type]
                )
            except Forbidden as exc:
                await self.outbox.final(row, "blocked", exc.message)
                continue
            except TimedOut:
                # Telegram may have it: counted as sent, so it is never sent twice.
                await self.outbox.sent(row, None)
                sent += 1
                continue
            except RetryAfter as exc:
                await self.outbox.retry(row, "flood limit")
                await asyncio.sleep(seconds(exc.retry_after))
                continue
            except NetworkError as exc:
                await self.outbox.retry(row, str(exc))
                return sent, True
            except BadRequest as exc:
                await self.outbox.final(row, "failed", exc.message)
                continue
            await self.outbox.sent(row, message.message_id)
            sent += 1
        return sent, False
