"""The language each update is answered in, and the citizen's choice of it."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.i18n import speak
from bot.languages import Languages
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)


class LanguageHandlers:
    """Sets the language of every update's answers; lets citizens choose theirs."""

    def __init__(self, languages: Languages) -> None:
        self.languages = languages

    async def speak(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update first: answers are written in the language of whoever is answered
        (the person in private; the chat's own language in a group)."""
        speak(await self.language_of(update))

    async def language_of(self, update: Update) -> str:
        """The language of the person or chat this update comes from."""
        chat, user = update.effective_chat, update.effective_user
        if chat is not None and chat.type != ChatType.PRIVATE:
            return self.languages.of_group(chat.id)
        if user is None:
            return self.languages.default
        try:
            return await self.languages.of_person(user.id, user.language_code)
        except STORAGE_ERRORS as exc:
            # The answer comes in a guessed language rather than not at all.
            log.warning("language of %s not read: %s", user.id, exc)
            return self.languages.guess(user.language_code) or self.languages.default
