"""Telegram calls whose failure is not worth an error: late button answers, tidy-ups."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)


async def answer(awaitable: Awaitable[Any]) -> None:
    """Answer a callback query; an answer that comes too late is only logged."""
    try:
        await awaitable
    except BadRequest as exc:
        log.info("callback answer not delivered: %s", exc.message)


async def quietly(awaitable: Awaitable[Any]) -> None:
    """Run a call whose failure changes nothing for anyone (an edit, a delete)."""
    try:
        await awaitable
    except TelegramError as exc:
        log.info("ignored: %s", exc)
