"""Sending messages to citizens: responses, questions and invitations, one by one, within
Telegram's limits. Each kind registers a renderer that turns a queued row into a message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot.i18n import speaking
from bot.languages import Languages
from bot.outbox import Outbox
from bot.ratelimit import ACQUIRED_NO_RETRY, FloodLimiter, seconds
from handlers import safely
from storage.outbox import OutboxRow

log = logging.getLogger(__name__)

# What became of one message sent.
SENT = "sent"
CLOSED = "closed"  # blocked, or refused (tried again later or closed as undeliverable)
WAITING = "waiting"  # Telegram asked to wait (429), for this chat
TROUBLE = "trouble"  # the network or Telegram failed; tried again after a backoff
# Transient failures in a row (to different chats) after which a round pauses.
TROUBLE_IN_A_ROW = 5

Rendered = tuple[str, InlineKeyboardMarkup | None]
# None: the message is no longer wanted (what it was about was hidden or withdrawn).
Renderer = Callable[[OutboxRow], Awaitable[Rendered | None]]


class OutboxSender:
    """Sends what is queued for citizens; one sender, so at most one message is in flight."""

    def __init__(self, outbox: Outbox, languages: Languages) -> None:
        self.outbox = outbox
        self.languages = languages
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
        # Transient failures one after the other, each to a different chat: the network or
        # Telegram is down for everyone, so the rest wait for the next round.
        troubled = 0
        limiter = context.bot.rate_limiter
        for row in rows:
            if self.stopping:
                return sent, True
            renderer = self.renderers.get(row.kind)
            try:
                # Written in the citizen's language, whoever's update queued it.
                language = await self.languages.of_person(row.telegram_id)
                with speaking(language):
                    rendered = await renderer(row) if renderer else None
            except Exception as exc:  # one message's fault stays with it
                log.exception("message %d to a citizen could not be written", row.id)
                await self.outbox.retry(row, f"could not be written: {exc!r}")
                continue
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
            outcome = await self._send(context, row, text, markup)
            if outcome is SENT:
                sent += 1
            troubled = troubled + 1 if outcome is TROUBLE else 0
            if troubled >= TROUBLE_IN_A_ROW:
                log.warning("%d messages to citizens failed in a row; pausing", troubled)
                return sent, True
        return sent, False

    async def _send(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        row: OutboxRow,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> str:
        """Send one message marked as leaving; its outcome (the row records it)."""
        try:
            message = await context.bot.send_message(
                row.telegram_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=ACQUIRED_NO_RETRY,  # type: ignore[arg-type]
            )
        except Forbidden as exc:
            await self.outbox.final(row, "blocked", exc.message)
            return CLOSED
        except RetryAfter as exc:
            # Telegram's own wait, for this message alone; the others go on meanwhile.
            wait = timedelta(seconds=seconds(exc.retry_after))
            await self.outbox.retry(row, "flood limit", wait)
            return WAITING
        except TimedOut as exc:
            if not safely.maybe_sent(exc):
                await self.outbox.retry(row, str(exc))
                return TROUBLE
            # Telegram may have it: counted as sent, so it is never sent twice.
            await self.outbox.sent(row, None)
            return SENT
        except BadRequest as exc:
            # Before NetworkError, which it is a kind of: a refusal about this chat alone.
            await self.outbox.refused(row, exc.message)
            return CLOSED
        except TelegramError as exc:
            # The network, a 5xx, an answer that is not Telegram's: tried again later.
            await self.outbox.retry(row, str(exc))
            return TROUBLE
        await self.outbox.sent(row, message.message_id)
        return SENT
