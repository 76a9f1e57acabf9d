"""Updates python-telegram-bot cannot read (Update.de_json raises: a shape newer than this
library, a field missing): skipped, as they must be, but a person who wrote in private is
told kindly that their message could not be read, once per update, rather than hear
nothing. Read here from the raw JSON, since no Update can be made of it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import aiosqlite
from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import speaking
from bot.intake import Clock
from bot.languages import Languages
from handlers import texts
from storage import updates
from storage.db import Database, DatabaseUnusable
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

# The kinds of update that carry a message a person wrote.
_MESSAGES = ("message", "edited_message")


def _integer(value: object) -> bool:
    """Whether a value is an integer both engines store (64-bit, and not a bool)."""
    return type(value) is int and -(2**63) <= value < 2**63


def private_sender(payload: object) -> tuple[int, str | None] | None:
    """The private chat an unreadable update's message came from, and its sender's Telegram
    language; None when it names none (a group's, a button's, something else)."""
    if not isinstance(payload, dict):
        return None
    for kind in _MESSAGES:
        message = payload.get(kind)
        if not isinstance(message, dict):
            continue
        chat = message.get("chat")
        if not isinstance(chat, dict) or chat.get("type") != "private":
            return None
        if not _integer(chat.get("id")) or not _integer(payload.get("update_id")):
            return None
        sender = message.get("from")
        code = sender.get("language_code") if isinstance(sender, dict) else None
        return chat["id"], code if isinstance(code, str) else None
    return None


class Unreadable:
    """Tells a person in private that the bot could not read their message."""

    def __init__(self, bot: Bot, db: Database, languages: Languages, clock: Clock) -> None:
        self.bot = bot
        self.db = db
        self.languages = languages
        self.clock = clock
        self._sending: set[asyncio.Task[None]] = set()

    async def skipped(self, payload: object) -> None:
        """An update that cannot be read, about to be skipped (and confirmed): its private
        chat is told, once for this update (known in the database, so a redelivery is not
        told again), in the background. Never raises: the update is skipped regardless."""
        found = private_sender(payload)
        if found is None:
            return
        assert isinstance(payload, dict)
        update_id: int = payload["update_id"]
        chat, code = found
        now = self.clock()
        try:
            if not await self.db.write(_claim(update_id, now)):
                return  # told already
        except (DatabaseUnusable, *STORAGE_ERRORS) as exc:  # type: ignore[misc]
            # Nothing kept to make it once: better silent than told at every redelivery.
            log.warning("unreadable update %s not answered: %s", update_id, exc)
            return
        task = asyncio.create_task(self._tell(chat, code), name=f"unreadable-{update_id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _tell(self, chat: int, code: str | None) -> None:
        try:
            language = await self.languages.of_person(chat, code)
        except STORAGE_ERRORS:
            language = self.languages.guess(code) or self.languages.default
        with speaking(language):
            text = texts.UNREADABLE_UPDATE
        try:
            await self.bot.send_message(chat, text)
        except TelegramError as exc:
            log.info("unreadable update's chat %s not told: %s", chat, exc)

    async def close(self) -> None:
        """Wait for the answers being sent."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


def _claim(update_id: int, now: datetime) -> Any:
    async def run(conn: aiosqlite.Connection) -> bool:
        return await updates.claim(conn, update_id, now)

    return run
