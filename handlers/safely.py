"""Telegram calls whose failure is not worth an error: late button answers, tidy-ups, edits
that change nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from telegram.error import BadRequest, TelegramError, TimedOut

log = logging.getLogger(__name__)


async def answer(awaitable: Awaitable[Any]) -> None:
    """Answer a callback query; an answer that comes too late is only logged."""
    try:
        await awaitable
    except BadRequest as exc:
        log.info("callback answer not delivered: %s", exc.message)


def maybe_sent(exc: BaseException) -> bool:
    """Whether a failed request may have reached Telegram: a timeout, unless it never
    connected (a 5xx or a connection that failed said it did not)."""
    return isinstance(exc, TimedOut) and not isinstance(
        exc.__cause__, aiohttp.ConnectionTimeoutError
    )


def not_modified(exc: BaseException) -> bool:
    """Whether this is Telegram saying an edit would change nothing (a replayed button)."""
    return isinstance(exc, BadRequest) and "message is not modified" in exc.message.lower()


async def edit(awaitable: Awaitable[Any]) -> bool:
    """Edit a message the bot sent; an edit to what it shows already is no error. False then."""
    try:
        await awaitable
    except BadRequest as exc:
        if not not_modified(exc):
            raise
        log.info("edit changed nothing: %s", exc.message)
        return False
    return True


async def quietly(awaitable: Awaitable[Any]) -> None:
    """Run a call whose failure changes nothing for anyone (an edit, a delete)."""
    try:
        await awaitable
    except TelegramError as exc:
        log.info("ignored: %s", exc)
