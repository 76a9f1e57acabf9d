"""The language each update is answered in, and the citizen's choice of it.

At first contact, where the deployment offers more than one language, a new person is asked
which they would like before anything else (the question in every offered language, one
button each, in the deployment's order); their choice is recorded and the bot carries on
where it would have gone, with the words they typed first. /language asks again at any time.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot.i18n import current, speak, speaking
from bot.languages import Languages, endonym
from handlers import safely, texts
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

# Callback data: l:<language>:<mode>[:<the /start payload>], at most 64 bytes.
PREFIX = "l"
# The question answers a first message of words (they ride on the question, as a reply).
FIRST_TEXT = "t"
# The question answers /start (its payload, a deep link, follows).
FIRST_START = "s"
# /language: a change, confirmed in the new language.
CHANGE = "c"
MODES = (FIRST_TEXT, FIRST_START, CHANGE)
# Telegram's limit on a button's callback data.
MAX_DATA = 64
# The mark of the language suggested (Telegram's language, or the one spoken now).
MARK = "✓ "

# Whether the person this update comes from has not chosen a language yet (set by `speak`).
_UNCHOSEN: ContextVar[bool] = ContextVar("unchosen", default=False)

# After a first-contact choice: carry on where the bot would have gone (mode, payload).
CarryOn = Callable[[Update, ContextTypes.DEFAULT_TYPE, str, str], Awaitable[None]]


def question(
    languages: Languages, marked: str | None, mode: str, payload: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The question in every offered language (a line each, from its own catalogue), and a
    button per language, named in itself, in the deployment's order; `marked` is ticked."""
    lines = []
    for language in languages.offered:
        with speaking(language):
            lines.append(texts.LANGUAGE_QUESTION)
    rows = []
    for language in languages.offered:
        label = (MARK if language == marked else "") + endonym(language)
        data = ":".join([PREFIX, language, mode, *([payload] if payload else [])])
        if len(data.encode()) > MAX_DATA:
            data = ":".join([PREFIX, language, mode])  # an overlong link is dropped
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


class LanguageHandlers:
    """Sets the language of every update's answers; lets citizens choose theirs."""

    def __init__(self, languages: Languages) -> None:
        self.languages = languages
        # Set by `handlers.register`: the citizen conversation, carried on after a choice.
        self.carry_on: CarryOn | None = None

    @property
    def choice(self) -> bool:
        """Whether there is a choice to make (more than one language offered)."""
        return len(self.languages.offered) > 1

    async def speak(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update first: answers are written in the language of whoever is answered
        (the person in private; the chat's own language in a group)."""
        speak(await self.language_of(update))

    async def language_of(self, update: Update) -> str:
        """The language of the person or chat this update comes from."""
        chat, user = update.effective_chat, update.effective_user
        _UNCHOSEN.set(False)
        if chat is not None and chat.type != ChatType.PRIVATE:
            return self.languages.of_group(chat.id)
        if user is None:
            return self.languages.default
        try:
            chosen = await self.languages.chosen(user.id)
        except STORAGE_ERRORS as exc:
            # The answer comes in a guessed language rather than not at all.
            log.warning("language of %s not read: %s", user.id, exc)
            return self.languages.guess(user.language_code) or self.languages.default
        _UNCHOSEN.set(chosen is None)
        return chosen or self.languages.guess(user.language_code) or self.languages.default

    def unchosen(self) -> bool:
        """Whether this update's person has a language to choose and has not chosen yet."""
        return self.choice and _UNCHOSEN.get()

    async def first_contact(
        self, update: Update, mode: str, payload: str = "", *, words: bool = False
    ) -> bool:
        """Ask a person who has not chosen yet which language they would like (only where
        there is a choice). True when asked: the update's own answer waits for the choice.
        With `words`, the question replies to their message, which the choice carries on."""
        message, user = update.effective_message, update.effective_user
        if not self.choice or not _UNCHOSEN.get() or message is None or user is None:
            return False
        text, markup = question(
            self.languages, self.languages.guess(user.language_code), mode, payload
        )
        try:
            # Asked now: no longer owed (an album's, to be asked after a restart).
            await self.languages.settle_question(user.id)
        except STORAGE_ERRORS as exc:
            log.warning("owed language question not settled: %s", exc)
        try:
            await message.reply_text(text, reply_markup=markup, do_quote=words)
        except Forbidden:
            log.info("citizen blocked the bot; language question not delivered")
        except TimedOut:
            log.warning("language question timed out: taken as asked")
        except TelegramError:
            # Lost on the way: owed, so an edit of their message (or the answer-again job)
            # asks it rather than take it as waiting for their choice.
            await self._owe(user.id, user.language_code)
            raise
        return True

    async def _owe(self, telegram_id: int, code: str | None) -> None:
        try:
            await self.languages.owe_question(telegram_id, code)
        except STORAGE_ERRORS as exc:
            log.warning("lost language question not owed: %s", exc)

    async def take_owed(self, telegram_id: int) -> bool:
        """Whether the language question is owed to this person (then no longer: the
        caller asks it)."""
        try:
            return await self.languages.settle_question(telegram_id)
        except STORAGE_ERRORS as exc:
            log.warning("owed language question not read: %s", exc)
            return False

    async def ask_owed(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Part of the answer-again job: the language question owed to a newcomer whose
        wordless first album's job was lost to a restart (MediaHandlers.language_later) is
        asked, once; not while a job here still waits to ask it."""
        queue = context.job_queue
        waiting = [job.name or "" for job in queue.jobs()] if queue is not None else []
        for telegram_id, code in await self.languages.questions_owed():
            if any(name.startswith(f"language:{telegram_id}:") for name in waiting):
                continue  # its album's job asks it
            if not await self.languages.settle_question(telegram_id):
                continue  # asked meanwhile
            if await self.languages.chosen(telegram_id) is not None:
                continue
            text, markup = question(self.languages, self.languages.guess(code), FIRST_START)
            try:
                await context.bot.send_message(telegram_id, text, reply_markup=markup)
            except Forbidden:
                log.info("citizen blocked the bot; owed language question not delivered")
            except TimedOut:
                log.warning("owed language question timed out: taken as asked")
            except TelegramError as exc:
                log.warning("owed language question not sent now (%s): next round", exc)
                await self.languages.owe_question(telegram_id, code)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/language: the same buttons, the language spoken now ticked."""
        message = update.effective_message
        assert message
        if not self.choice:
            name = endonym(self.languages.default)
            await message.reply_text(texts.LANGUAGE_ONLY_ONE.format(language=name))
            return
        # Before a first choice this is the first-contact question: the choice carries on
        # to the welcome, rather than leave a newcomer at "done" with nothing to do next.
        mode = FIRST_START if self.unchosen() else CHANGE
        text, markup = question(self.languages, current(), mode)
        await message.reply_text(text, reply_markup=markup)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A language pressed: recorded; then a change is confirmed in the new language, or
        the first contact carries on where it would have gone."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        _, _, rest = (query.data or "").partition(":")
        language, _, rest = rest.partition(":")
        mode, _, payload = rest.partition(":")
        if language not in self.languages.offered or mode not in MODES:
            # Forged, or a button from before the deployment changed: nothing changes.
            log.info("ignored language callback %r", (query.data or "")[:MAX_DATA])
            await safely.answer(query.answer(texts.LANGUAGE_NOT_OFFERED, show_alert=True))
            return
        await self.languages.choose(user.id, language)
        speak(language)
        _UNCHOSEN.set(False)
        if mode == CHANGE or self.carry_on is None:
            await safely.answer(query.answer())
            if isinstance(query.message, Message):
                await safely.quietly(query.edit_message_text(texts.LANGUAGE_CHOSEN))
            return
        await self.carry_on(update, context, mode, payload)
