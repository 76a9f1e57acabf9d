"""Updates python-telegram-bot cannot read (Update.de_json raises: a shape newer than this
library, a field missing): skipped, as they must be, but a person who wrote in private is
told kindly that their message could not be read, once for a burst of them (an album comes
as one update a photo), rather than hear nothing; a button press is answered, so that it
stops spinning. Read here from the raw JSON, since no Update can be made of it."""

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
# Unreadable messages from one chat this close together are one burst (an album, a few
# forwarded at once), told once: seconds.
BURST = 10.0


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


def _album(payload: dict[str, Any]) -> str | None:
    """The album an unreadable message belongs to, if it says."""
    for kind in _MESSAGES:
        message = payload.get(kind)
        if isinstance(message, dict):
            group = message.get("media_group_id")
            return group if isinstance(group, str) else None
    return None


def button_press(payload: object) -> tuple[str, int, str | None] | None:
    """An unreadable update's button press: its id to answer, who pressed and their
    Telegram language; None when it is not one."""
    if not isinstance(payload, dict) or not _integer(payload.get("update_id")):
        return None
    query = payload.get("callback_query")
    if not isinstance(query, dict) or not isinstance(query.get("id"), str):
        return None
    sender = query.get("from")
    if not isinstance(sender, dict) or not _integer(sender.get("id")):
        return None
    code = sender.get("language_code")
    return query["id"], sender["id"], code if isinstance(code, str) else None


class Unreadable:
    """Tells a person in private that the bot could not read their message."""

    def __init__(self, bot: Bot, db: Database, languages: Languages, clock: Clock) -> None:
        self.bot = bot
        self.db = db
        self.languages = languages
        self.clock = clock
        self._sending: set[asyncio.Task[None]] = set()
        # Per chat told: when, and of which album. In memory: another instance may tell a
        # burst split between them once more, no worse than that.
        self._told: dict[int, tuple[datetime, str | None]] = {}

    async def skipped(self, payload: object) -> None:
        """An update that cannot be read, about to be skipped (and confirmed): its private
        chat is told, once for this update (known in the database, so a redelivery is not
        told again) and its burst, or its button press answered, in the background. Never
        raises: the update is skipped regardless."""
        press = button_press(payload)
        found = private_sender(payload)
        if press is None and found is None:
            return
        assert isinstance(payload, dict)
        update_id: int = payload["update_id"]
        now = self.clock()
        try:
            if not await self.db.write(_claim(update_id, now)):
                return  # told already
        except (DatabaseUnusable, *STORAGE_ERRORS) as exc:  # type: ignore[misc]
            # Nothing kept to make it once: better silent than told at every redelivery.
            log.warning("unreadable update %s not answered: %s", update_id, exc)
            return
        if press is not None:
            sending = self._answer(*press)
        else:
            assert found is not None
            chat, code = found
            if self._in_burst(chat, _album(payload), now):
                return
            sending = self._tell(chat, code)
        task = asyncio.create_task(sending, name=f"unreadable-{update_id}")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def _in_burst(self, chat: int, album: str | None, now: datetime) -> bool:
        """Whether the chat was told already of this album or a moment ago; noted if not."""
        last = self._told.get(chat)
        if last is not None and (
            (album is not None and album == last[1]) or abs((now - last[0]).total_seconds()) < BURST
        ):
            # The burst goes on: an album's later photos still count as it.
            self._told[chat] = (now, album or last[1])
            return True
        self._told = {
            c: told
            for c, told in self._told.items()
            if abs((now - told[0]).total_seconds()) < 60 * BURST
        }
        self._told[chat] = (now, album)
        return False

    async def _language(self, person: int, code: str | None) -> str:
        try:
            return await self.languages.of_person(person, code)
        except STORAGE_ERRORS:
            return self.languages.guess(code) or self.languages.default

    async def _tell(self, chat: int, code: str | None) -> None:
        with speaking(await self._language(chat, code)):
            text = texts.UNREADABLE_UPDATE
        try:
            await self.bot.send_message(chat, text)
        except TelegramError as exc:
            log.info("unreadable update's chat %s not told: %s", chat, exc)

    async def _answer(self, query: str, person: int, code: str | None) -> None:
        with speaking(await self._language(person, code)):
            text = texts.UNREADABLE_PRESS
        try:
            await self.bot.answer_callback_query(query, text=text)
        except TelegramError as exc:
            log.info("unreadable button press %s not answered: %s", query, exc)

    async def close(self) -> None:
        """Wait for the answers being sent."""
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)


def _claim(update_id: int, now: datetime) -> Any:
    async def run(conn: aiosqlite.Connection) -> bool:
        return await updates.claim(conn, update_id, now)

    return run
