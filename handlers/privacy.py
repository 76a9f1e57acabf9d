"""A citizen's data rights in their private chat: /privacy, /mydata, /forget."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.config import Privacy as PrivacySettings
from bot.i18n import current, speaking
from bot.intake import CONSENT_VERSION
from bot.languages import Languages
from bot.privacy import Privacy
from handlers import safely, texts
from handlers.fitting import pack
from storage.privacy import as_json
from storage.traces import DUPLICATE, FORGET, OFFER, UNSHARED, ToClean

log = logging.getLogger(__name__)

# Draws a moderators' list message again from what it still lists; False if it lists nothing.
RedrawList = Callable[[Bot, int, int], Awaitable[bool]]

PREFIX = "f"
ALL, KEEP, NO = "all", "keep", "no"

# Telegram's answers when a message cannot be deleted (gone, or past its 48 hours): edit it.
_EDIT_INSTEAD = ("message to delete not found", "message can't be deleted")
# Its answers when an edit has nothing left to do: the message shows the note, or is gone.
_NOTHING_TO_EDIT = ("message is not modified", "message to edit not found")
# Its answer to a text edit of a photo or voice note: the caption is edited instead.
_NO_TEXT = "there is no text in the message to edit"


def in_words(data: Any, field: str = "") -> Any:
    """/mydata's data in the reader's language: its field names, and its fixed values (a
    state, a kind, yes or no); what the person wrote, names and dates stay as kept."""
    if isinstance(data, list):
        return [in_words(item, field) for item in data]
    if isinstance(data, str):
        values: dict[str, dict[str, str]] = texts.MYDATA_VALUES
        return values.get(field, {}).get(data, data)
    if not isinstance(data, dict):
        return data
    names: dict[str, str] = texts.MYDATA_KEYS
    named: dict[str, Any] = {}
    for key, value in data.items():
        name = names.get(str(key), str(key))
        # Two fields given one name by a translation: the second keeps its own, not lost.
        named[key if name in named else name] = in_words(value, str(key))
    return named


def privacy_text(settings: PrivacySettings) -> str:
    """The privacy text in the language spoken now: the deployment's own (`text_cy`...), or
    the default, with its numbers filled in."""
    template = settings.word("text", current()) or texts.PRIVACY_DEFAULT
    return template.format(
        keep_original_days=settings.keep_original_days,
        forget_inactive_days=settings.forget_inactive_days,
        version=CONSENT_VERSION,
    )


class PrivacyHandlers:
    """Callbacks for /privacy, /mydata and /forget, bound to the privacy core."""

    def __init__(
        self,
        privacy: Privacy,
        redraw_list: RedrawList | None = None,
        languages: Languages | None = None,
        redraw_offer: RedrawList | None = None,
        post_cards: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None,
    ) -> None:
        self.privacy = privacy
        # Items merged into one the erasure took lose their card: new ones go out at once.
        self.post_cards = post_cards
        # A citizen's "me too" offer quoting erased words is drawn again (if still waiting).
        self.redraw_offer = redraw_offer
        # The language of each chat a note is left in (English without it).
        self.languages = languages
        # A moderators' list that also shows others' items is drawn again, not deleted.
        self.redraw_list = redraw_list
        self._cleaning = asyncio.Lock()
        self._again = False
        # Set when the bot stops: the clean-up ends early; what is left is done after restart.
        self.stopping = False

    async def show(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/privacy: what is kept, why, for how long, who sees what."""
        assert update.effective_message
        # The deployment's own text may be long: sent in parts, split between paragraphs.
        for text in pack(privacy_text(self.privacy.settings).split("\n\n")):
            await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML)

    async def mydata(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/mydata: a file with everything kept about this person."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        data = await self.privacy.mydata(user.id)
        if not data:
            await message.reply_text(texts.MYDATA_EMPTY)
            return
        await message.reply_document(
            InputFile(io.BytesIO(as_json(in_words(data))), filename="my-data.json"),
            caption=texts.MYDATA_CAPTION,
        )

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: ask first, with the choices the deployment allows."""
        message = update.effective_message
        assert message
        button = InlineKeyboardButton
        if self.privacy.settings.keep_published_on_forget:
            rows = [
                [button(texts.FORGET_ALL, callback_data=f"{PREFIX}:{ALL}")],
                [button(texts.FORGET_KEEP, callback_data=f"{PREFIX}:{KEEP}")],
                [button(texts.FORGET_NO, callback_data=f"{PREFIX}:{NO}")],
            ]
            text = texts.FORGET_ASK
        else:
            rows = [
                [button(texts.FORGET_ALL, callback_data=f"{PREFIX}:{ALL}")],
                [button(texts.FORGET_NO, callback_data=f"{PREFIX}:{NO}")],
            ]
            text = texts.FORGET_ASK_ALL
        await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The answer to /forget's question (only ever about the person who presses it)."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        choice = (query.data or "").partition(":")[2]
        if choice not in (ALL, KEEP, NO):
            # Forged, or from another version: the question stands, its buttons still work.
            log.info("ignored /forget callback %r", (query.data or "")[:64])
            await safely.answer(query.answer(texts.EXPIRED))
            return
        if choice == NO:
            await query.answer()
            await safely.edit(query.edit_message_text(texts.FORGET_CANCELLED))
            return
        erased = await self.privacy.forget(update.update_id, user.id, keep_published=choice == KEEP)
        if erased is not None:
            # Committed: now their words leave the staff's chats too, without keeping them waiting.
            context.application.create_task(self.clean(context))
            if self.post_cards is not None:
                context.application.create_task(self.post_cards(context))
        await query.answer()
        done = texts.FORGET_DONE if erased else texts.FORGET_NOTHING
        try:
            await safely.edit(query.edit_message_text(done))
        except BadRequest as exc:
            # The question is gone (deleted, or pressed from another device): it was done
            # all the same, and they are told so in a new message.
            log.info("answer to /forget not shown in place: %s", exc.message)
            await safely.quietly(context.bot.send_message(user.id, done))

    async def retention(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job, daily: remove what is past the deployment's retention limits."""
        await self.privacy.retention()
        await self.clean(context)

    async def expire_undos(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job, hourly: the words kept to undo a "me too" go when its window has passed."""
        await self.privacy.expire_undos()

    async def clean(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job (and after each /forget): take back from Telegram every message queued as
        carrying a forgotten citizen's words; one failing waits its retry, the others go on."""
        await self.clean_with(context.bot)

    async def clean_with(self, bot: Bot) -> None:
        """`clean`, where there is only the bot (a sending that found its message was one
        too many)."""
        self._again = True
        if self._cleaning.locked():
            return
        async with self._cleaning:
            while self._again and not self.stopping:
                self._again = False
                while batch := await self.privacy.to_clean():
                    for message in batch:
                        if self.stopping:
                            return
                        await self._take_back(bot, message)

    async def _take_back(self, bot: Bot, message: ToClean) -> None:
        # A citizen's offer (OFFER) is drawn again if it still waits, left as it is if answered
        # in its place meanwhile (it shows what came next), taken back if passed over.
        redraw = self.redraw_offer if message.reason == OFFER else self.redraw_list
        if redraw is not None:
            drawn = await self._redrawn(bot, message, redraw)
            if drawn is None:
                return
            if drawn:
                await self.privacy.cleaned(message)
                return
        try:
            await bot.delete_message(message.chat_id, message.message_id)
        except BadRequest as exc:
            if not any(words in exc.message.lower() for words in _EDIT_INSTEAD):
                await self.privacy.clean_failed(message, f"delete: {exc.message}")
                return
            await self._edit(bot, message)
            return
        except TelegramError as exc:
            await self.privacy.clean_failed(message, f"delete: {exc}")
            return
        await self.privacy.cleaned(message)

    async def _redrawn(self, bot: Bot, message: ToClean, redraw: RedrawList) -> bool | None:
        """Whether `redraw` drew the message again (or it had nothing to change); None if it
        failed (tried again later)."""
        try:
            return await redraw(bot, message.chat_id, message.message_id)
        except BadRequest as exc:
            if any(words in exc.message.lower() for words in _NOTHING_TO_EDIT):
                return True
            await self.privacy.clean_failed(message, f"redraw: {exc.message}")
        except TelegramError as exc:
            await self.privacy.clean_failed(message, f"redraw: {exc}")
        return None

    async def _edit(self, bot: Bot, message: ToClean) -> None:
        try:
            # Read in a staff chat, whoever's /forget (or the retention job) led here: in
            # that chat's language.
            language = (
                await self.languages.of_chat(message.chat_id) if self.languages else current()
            )
            with speaking(language):
                by_author = message.reason in (FORGET, OFFER)
                note = texts.REMOVED_BY_AUTHOR if by_author else texts.REMOVED_EXPIRED
                media_note = texts.REMOVED_BY_AUTHOR if by_author else texts.MEDIA_REMOVED_EXPIRED
                if message.reason == UNSHARED:
                    # A provider's copy of a photo the moderators took back: not its age.
                    note = media_note = texts.PHOTO_REMOVED_UNSHARED
                elif message.reason == DUPLICATE:
                    # A photo posted twice under its card: the other copy stays.
                    note = media_note = texts.PHOTO_REMOVED_DUPLICATE
            try:
                # Without reply_markup the buttons go too.
                await bot.edit_message_text(note, message.chat_id, message.message_id)
            except BadRequest as exc:
                if _NO_TEXT not in exc.message.lower():
                    raise
                # A photo or voice note (Telegram lets a bot delete it only within 48
                # hours): its caption says it was removed, and its buttons go.
                await bot.edit_message_caption(
                    message.chat_id, message.message_id, caption=media_note
                )
        except BadRequest as exc:
            if not any(words in exc.message.lower() for words in _NOTHING_TO_EDIT):
                await self.privacy.clean_failed(message, f"edit: {exc.message}")
                return
        except TelegramError as exc:
            await self.privacy.clean_failed(message, f"edit: {exc}")
            return
        await self.privacy.cleaned(message)
