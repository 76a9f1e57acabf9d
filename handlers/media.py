"""Voice notes and photos on Telegram: a citizen's (private chat), the moderators' (under a
card), a provider's (/photo N). Thin: read the update, call bot/attachments.py, render."""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from bot import i18n
from bot import media as cleaning
from bot.attachments import GONE, ON_ITS_WAY, Attachments
from bot.i18n import Plural
from bot.intake import Show, Step
from bot.media import DOWNLOAD_LIMIT, IMAGE_TYPES, TRANSCRIBE_AT_ONCE, NotAnImage
from bot.moderation import CARD_ATTEMPTS, Moderation
from bot.privacy import Privacy
from bot.ratelimit import seconds
from bot.roles import Roles
from handlers import safely, texts
from handlers.bidi import isolate
from handlers.citizen import ANSWER_PREFIXES, render
from handlers.common import Remembered, id_number
from handlers.places import Elsewhere, here, provider_place
from handlers.questions import Questions
from handlers.texts import esc
from storage.media import OwedNote

if TYPE_CHECKING:
    from bot.languages import Languages

log = logging.getLogger(__name__)
# Notes of a step whose words were not taken (a caption at a button question): the photo's
# own note must not say its words were kept.
REFUSED = frozenset({"not_a_rating", "use_buttons", "metoo_buttons", "too_long"})
# Steps a photo's words lead to when they were not kept as the item's words: refused, too
# few, or an answer ("4" at the rating, "no" at hearing back, "no thanks" at the last).
WORDS_ANSWERED = frozenset(
    {Show.TOO_LONG, Show.MORE_TEXT, Show.HEAR_BACK, Show.INVOLVE, Show.SAVED}
)


# What an album is told once, however many of its photos it concerns.
ALBUM_ONCE = frozenset(
    {"consent", "no_item", "too_many", "side_prompt", "side_prompt_caption", "saved_checked"}
)
# A photo kept with its words, said of it with its album's photos kept before it.
ALBUM_NOTES = {"photo_added": "album_added", "photo_added_words": "album_added_words"}
# Albums remembered as told (a few minutes of a busy bot's albums).
ALBUMS_REMEMBERED = 1024
# An album's photos kept waiting for words (nothing being told): the citizen is told so this
# many seconds after its last photo came, if no words took them meanwhile (its photos come
# milliseconds apart; a job, so that no update waits for it).
ALBUM_QUIET = 2.0
# Times the telling waits again, ALBUM_QUIET each, while the chat has updates not handled
# yet (the rest of the album, behind a slow download or a busy bot).
ALBUM_WAITS = 5
# After a restart (the job gone), the time-out job tells albums quiet this long.
ALBUM_STALE = timedelta(seconds=30)
# An update's callback, as the application calls it.
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _seconds(message: Message) -> int:
    """How long a message's voice note is, in seconds."""
    assert message.voice is not None
    with warnings.catch_warnings():
        # PTB 22.2+ warns that `duration` becomes a timedelta: both are read.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        length = message.voice.duration
    return int(length.total_seconds()) if isinstance(length, timedelta) else int(length)


def _words_taken(step: Step) -> bool:
    """Whether the words sent with a photo went on as the citizen's (not refused, nor too
    few to keep: "Could you tell me a little more?")."""
    return step.show not in WORDS_ANSWERED and step.note not in REFUSED


# Callback data: a photo's decision in the moderators' chat (y:<media id>:a|r), a
# citizen's answer to a draft transcript (t:<media id>:y|n).
PHOTO_PREFIX = "y"
TRANSCRIPT_PREFIX = "j"
# A voice note whose sending under its card went unanswered, posted again on a moderator's
# press (b:<media id>).
VOICE_PREFIX = "b"


def media_note(step: Step) -> str:
    """What a Show.MEDIA step says."""
    entry = texts.MEDIA_NOTES.get(step.note, "")
    # The item it speaks of, when it is one already saved.
    named = {} if step.reference is None else {"reference": step.reference}
    if isinstance(entry, Plural):
        return entry.format(step.total, **named)
    return str(entry).format(**named) if named else str(entry)


def largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    """The largest size of a photo a bot may fetch (Telegram lists them smallest first, but
    a server need not; the largest of all when none says it is small enough)."""
    fetchable = [s for s in sizes if s.file_size is None or s.file_size <= DOWNLOAD_LIMIT]
    return max(fetchable or sizes, key=lambda size: size.width * size.height)


class MediaHandlers:
    """Callbacks for voice notes and photos, bound to the attachments core."""

    def __init__(
        self,
        attachments: Attachments,
        moderation: Moderation,
        roles: Roles,
        moderators_chat: int | None,
        privacy: Privacy | None = None,
        languages: Languages | None = None,
        questions: Questions | None = None,
        consent: Callable[[int, int | None], Awaitable[Step | None]] | None = None,
    ) -> None:
        self.attachments = attachments
        # The consent question for a telegram id (`Intake.consent_question`): asked at once
        # of someone who sent a voice note or photo before agreeing.
        self.consent = consent
        # Where each citizen's question is shown now (shared with the citizen's handlers).
        self.questions = questions or Questions(ANSWER_PREFIXES)
        self.moderation = moderation
        self.roles = roles
        self.elsewhere = Elsewhere(roles)
        self.moderators_chat = moderators_chat
        self.privacy = privacy
        self.names = languages
        self._engine = asyncio.Semaphore(TRANSCRIBE_AT_ONCE)
        # Voice notes whose transcription job runs now: a second job for one is not started.
        self._transcribing: set[int] = set()
        # Albums (a chat's media group) already answered, by a photo's words or told why
        # its photos are not kept: one answer an album, not one a photo (oldest forgotten
        # first).
        self._albums_told: Remembered[tuple[int, str]] = Remembered(ALBUMS_REMEMBERED)
        # A moderation sweep after Telegram's wait (ModeratorHandlers.come_back): what did
        # not go under a card then goes with it.
        self.come_back: Callable[[ContextTypes.DEFAULT_TYPE, float], None] | None = None
        # Takes back the messages queued to go (PrivacyHandlers.clean): a photo kept back
        # leaves the chats of the providers who asked for it without waiting for the job.
        self.take_back: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        # The same, where there is only the bot (a photo posted twice under its card: the
        # copy nobody pressed goes at once).
        self.tidy: Callable[[Bot], Awaitable[None]] | None = None
        # Asks the language question at first contact, in reply to the update's message
        # (set by `handlers.register`): an album whose words come on a later message asks
        # it once, with them (`language_later`).
        self.ask_language: Callback | None = None

    # -- the citizen -----------------------------------------------------------------------

    async def _reply(
        self, message: Message, step: Step, lead: str = "", update_id: int | None = None
    ) -> None:
        """Say `step`; `update_id`: the update, where nothing has claimed it yet (a replay of
        it then asks no consent question again)."""
        if step.show is Show.NOTHING:
            return
        if self._told_album(message, step):
            return
        if step.note == "consent" and step.show is Show.MEDIA:
            # Not kept before agreeing: say so above the question itself.
            asked = await self._consent_for(message, update_id)
            if asked is not None and asked.show is Show.NOTHING:
                return  # a replay: asked already
            if asked is not None:
                step, lead = asked, str(texts.MEDIA_NOTES["consent_below"])
        if step.show is Show.MEDIA:
            text, markup = media_note(step), None
        else:
            text, markup = render(step, self.names, self.moderation.tagger.labels)
        if lead:
            text = f"{lead}\n\n{text}" if text else lead
        try:
            sent = await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(message.get_bot(), sent, markup)

    def _told_album(self, message: Message, step: Step) -> bool:
        """Whether this photo's album was answered already when its photo is not kept (the
        consent question, "tell me what it's about first", "three at most"...): an album of
        five sent before agreeing asks once, not five times. Remembers it if not."""
        if message.media_group_id is None or step.show is not Show.MEDIA:
            return False
        if step.note not in ALBUM_ONCE:
            return False
        # "Three at most" is news even to an album whose words were answered.
        return self.album_answered(message, "too_many" if step.note == "too_many" else "")

    def album_answered(self, message: Message, what: str = "") -> bool:
        """Whether the message's album was answered already (of `what`); remembers that it
        is now."""
        if message.media_group_id is None:
            return False
        key = (message.chat_id, f"{message.media_group_id}:{what}")
        return not self._albums_told.first(key)

    def language_now(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """A message of an album at first contact, before a language is chosen: whether it
        asks the language question now (its own handler asks it, its words riding on it).
        The one with the album's words does, and is the album's only question; a wordless
        one asks none now: the question comes ALBUM_QUIET seconds after the album's last
        photo, unless its words came meanwhile (`language_later`)."""
        name = f"language:{message.chat_id}:{message.media_group_id}"
        if message.caption:
            self.album_answered(message, "language")
            queue = context.job_queue
            for job in queue.get_jobs_by_name(name) if queue is not None else ():
                job.schedule_removal()
            return True
        return False

    async def language_later(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, waits: int = 0
    ) -> None:
        """A wordless message of an album at first contact: the language question in reply
        to it ALBUM_QUIET seconds from now, unless the album's words ask it first (each of
        its messages puts it off again); none if the album asked it already. It is owed in
        the database meanwhile: a restart that loses the job still asks it
        (LanguageHandlers.ask_owed)."""
        message, user = update.effective_message, update.effective_user
        queue = context.job_queue
        if message is None or user is None or message.media_group_id is None or queue is None:
            return
        if (message.chat_id, f"{message.media_group_id}:language") in self._albums_told:
            return  # asked already, with its words or by an earlier job
        if self.names is not None and not waits:
            await self.names.owe_question(user.id, user.language_code)
        name = f"language:{message.chat_id}:{message.media_group_id}"
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        queue.run_once(self._language_quiet, ALBUM_QUIET, data=(update, waits), name=name)

    async def _language_quiet(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: no words came with a first-contact album: ask the language question."""
        assert context.job is not None
        data = context.job.data
        assert isinstance(data, tuple)
        update, waits = data
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if waits < ALBUM_WAITS and await self.attachments.chat_busy(user.id):
            # More of the chat is still to be handled: its words may be in it.
            await self.language_later(update, context, waits + 1)
            return
        if self.album_answered(message, "language") or self.ask_language is None:
            return  # its words asked it meanwhile
        if self.names is not None and not await self.names.settle_question(user.id):
            return  # asked meanwhile (after a restart, by the answer-again job)
        await self.ask_language(update, context)

    async def _consent_for(self, message: Message, update_id: int | None) -> Step | None:
        user = message.from_user
        if self.consent is None or user is None:
            return None
        return await self.consent(user.id, update_id)

    async def photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo without words: it joins the item being told (checked before fetching);
        one of an album with nothing being told waits for its album's words."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.photo
        # After its album's words (taken as a comment, an answer...), it has none to wait for.
        album = None if await self.words_came(message) else message.media_group_id
        refused = await self.attachments.photo_refused(user.id, album)
        if refused is not None:
            await self._reply(message, refused, update_id=update.update_id)
            return
        await self._keep_photo(
            message, update.update_id, user.id, largest(message.photo), context, album
        )

    async def words_came(self, message: Message) -> bool:
        """Whether words came with a message of this message's album already (remembered
        by `album_answered(message, "words")` in this process, and in the database by the
        words' transaction: after a restart, on another instance)."""
        album, user = message.media_group_id, message.from_user
        if album is None or user is None:
            return False
        if (message.chat_id, f"{album}:words") in self._albums_told:
            return True
        return await self.attachments.words_came(user.id, album)

    def _album_later(
        self, context: ContextTypes.DEFAULT_TYPE, telegram_id: int, album: str, waits: int = 0
    ) -> None:
        """Tell the citizen that the album's photos wait for words ALBUM_QUIET seconds from
        now, unless words take them first (each photo of the album puts it off again)."""
        queue = context.job_queue
        if queue is None:
            return
        name = f"album:{telegram_id}:{album}"
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        queue.run_once(self._album_quiet, ALBUM_QUIET, data=(telegram_id, album, waits), name=name)

    async def _album_quiet(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: no words came with an album whose photos wait for them: tell the citizen."""
        assert context.job is not None
        data = context.job.data
        assert isinstance(data, tuple)
        telegram_id, album, waits = data
        if waits < ALBUM_WAITS and await self.attachments.chat_busy(telegram_id):
            # More of the chat is still to be handled: its words may be in it.
            self._album_later(context, telegram_id, album, waits + 1)
            return
        await self._tell_waiting(context, telegram_id, album)

    async def _tell_waiting(
        self, context: ContextTypes.DEFAULT_TYPE, telegram_id: int, album: str
    ) -> None:
        """An album that brought no words: its photos join the item just saved if it can
        still take them (a citizen adding photos to what they just said), and they are told
        so; else they are told, once an album, that its photos wait for their words (for how
        long), if they still do."""
        bot = context.bot
        joined = await self.attachments.join_saved(telegram_id, album)
        if joined is not None:
            await self._tell_joined(context, telegram_id, joined)
            return
        photos = await self.attachments.tell_waiting(telegram_id, album)
        if not photos:
            return  # taken by words, dropped, or told already (here or on another instance)
        minutes = max(1, round(self.attachments.waiting.total_seconds() / 60))
        language = await self._language_of(telegram_id)
        with i18n.speaking(language):
            text = texts.MEDIA_NOTES["waiting"]
            assert isinstance(text, Plural)
            said = text.format(photos, minutes=minutes)
        try:
            await bot.send_message(telegram_id, said, parse_mode=ParseMode.HTML)
        except Forbidden:
            log.info("citizen blocked the bot; album note not delivered")
        except TelegramError as exc:
            if "chat not found" in exc.message.lower():
                log.info("citizen's chat not found; album note not delivered")
                return
            # A passing fault (nothing sent): marked told beforehand, so that one instance
            # tells it; unmarked, the time-out round tells it later while the photos wait.
            log.warning("album note not delivered, to be told later: %s", exc)
            await self.attachments.untell_waiting(telegram_id, album)

    async def _language_of(self, telegram_id: int) -> str:
        return await self.names.of_person(telegram_id) if self.names else i18n.current()

    async def _tell_joined(
        self, context: ContextTypes.DEFAULT_TYPE, telegram_id: int, step: Step
    ) -> None:
        """Tell a citizen that their album's photos joined the item just saved (`step`, of
        `join_saved`), and post them under its card if it is out."""
        await self._say_joined(context, telegram_id, step)
        assert step.reference is not None
        wait = await self.under_card_late(context.bot, step.reference)
        if wait is not None and self.come_back is not None:
            self.come_back(context, wait)

    async def _say_joined(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        telegram_id: int,
        step: Step,
        owed: OwedNote | None = None,
    ) -> None:
        """Send the note on photos that joined a saved item; owed to a later round if a
        passing fault (a 5xx, a flood wait, the network) kept it from leaving (`owed`: the
        owed note being told)."""
        with i18n.speaking(await self._language_of(telegram_id)):
            said = media_note(step)
            if step.photos_left:
                said = f"{said}\n{texts.PHOTOS_WAITED_LEFT}"
        wait: timedelta | None = None
        try:
            await context.bot.send_message(telegram_id, said, parse_mode=ParseMode.HTML)
            return
        except Forbidden:
            log.info("citizen blocked the bot; album note not delivered")
            return
        except TimedOut as exc:
            if safely.maybe_sent(exc):
                # Telegram may have it: taken as told, so that it is never told twice.
                log.warning("album note timed out: taken as sent")
                return
            log.warning("album note not delivered, to be told later: %s", exc)
        except RetryAfter as exc:
            wait = timedelta(seconds=seconds(exc.retry_after))
            log.warning("album note not delivered (flood wait), to be told later")
        except BadRequest as exc:
            # A refusal about this chat (not found, deactivated): telling again would not help.
            log.info("album note not delivered: %s", exc.message)
            return
        except TelegramError as exc:
            log.warning("album note not delivered, to be told later: %s", exc)
        await self.attachments.owe_joined_note(telegram_id, step, wait, owed)

    async def tell_owed(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Part of the answer-again job: notes on albums that joined a saved item whose
        sending met a passing fault are told now, once."""
        for owed, step in await self.attachments.owed_joined_notes():
            await self._say_joined(context, owed.telegram_id, step, owed)

    async def albums_left(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Part of the time-out job: albums whose telling was lost to a restart are told
        (unless the chat still has updates to handle); photos that waited too long for
        words go."""
        for telegram_id, album in await self.attachments.untold_albums(ALBUM_STALE):
            if not await self.attachments.chat_busy(telegram_id):
                await self._tell_waiting(context, telegram_id, album)
        dropped = await self.attachments.drop_waiting()
        if dropped:
            log.info("%d album photos dropped: no words came for them", dropped)

    async def room(self, update: Update) -> str:
        """Why a photo of this update's sender cannot join an item now ("" if it can)."""
        user = update.effective_user
        return await self.attachments.photo_room(user.id) if user else "no_item"

    async def captioned_photo(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step, room: str = ""
    ) -> None:
        """A photo whose caption already went on as words (`step` is what they led to;
        `room`: why the photo could not join an item before the words went on)."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.photo
        if step.show is Show.NOTHING:
            return
        # Its words answer for its album: the album's other photos are not refused apart.
        self.album_answered(message)
        if step.show is Show.CONSENT:
            # Not agreed yet: the words ride on the consent question; the photo waits.
            await self._consent_with_words(message, step, "consent_asked")
            return
        # Words at a comment or an answer were that reply: the photo cannot go with it.
        why = "side_prompt_caption" if room == "side_prompt" else ""
        why = why or await self.attachments.photo_room(user.id)
        kept = (
            Step(Show.MEDIA, note=why)
            if why
            else await self._fetch_and_keep(
                message, user.id, largest(message.photo), context, None, _words_taken(step)
            )
        )
        if step.photos and kept.note in ALBUM_NOTES:
            # Its album's photos before it, kept waiting for these words, went with them:
            # said in one note with this one.
            kept, step = replace(kept, note=ALBUM_NOTES[kept.note]), replace(step, photos=0)
        if step.photos_left:
            # "Three at most" is said of them all, this photo too, above its words' answer.
            self.album_answered(message, "too_many")
            kept = Step(Show.NOTHING) if kept.note == "too_many" else kept
        elif kept.note == "too_many" and self.album_answered(message, "too_many"):
            kept = Step(Show.NOTHING)  # said already for its album
        text, markup = render(step, self.names, self.moderation.tagger.labels)
        await self._reply_both(message, kept, text, markup)
        if kept.note == "photo_added_saved" and kept.reference is not None:
            # Its words saved the item, whose card may be out already: the photo goes under it.
            wait = await self.under_card_late(context.bot, kept.reference)
            if wait is not None and self.come_back is not None:
                self.come_back(context, wait)

    async def _reply_both(
        self, message: Message, kept: Step, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        note = media_note(kept) if kept.show is Show.MEDIA else ""
        try:
            sent = await message.reply_text(
                f"{note}\n\n{text}" if note else text,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(message.get_bot(), sent, markup)

    async def _keep_photo(
        self,
        message: Message,
        update_id: int,
        telegram_id: int,
        size: PhotoSize,
        context: ContextTypes.DEFAULT_TYPE,
        album: str | None = None,
    ) -> None:
        step = await self._fetch_and_keep(
            message, telegram_id, size, context, update_id, album=album
        )
        if step.note == "waiting" and album is not None:
            # Said once, shortly, if no words of its album take it first.
            self._album_later(context, telegram_id, album)
            return
        await self._reply(message, step)
        if step.note == "photo_added_saved" and step.reference is not None:
            wait = await self.under_card_late(context.bot, step.reference)
            if wait is not None and self.come_back is not None:
                self.come_back(context, wait)

    async def under_card_late(self, bot: Bot, item_id: int, again: bool = False) -> float | None:
        """Photos added to an item after its card went out, posted under that card for the
        moderators to check (with the card still to come, they go out with it); Telegram's
        wait if it asked for one (what did not go is posted by a later sweep). `again`: also
        those left under an earlier card of the item."""
        card = await self.attachments.card_of(item_id)
        if card is None:
            return None
        return await self._under_card(bot, item_id, *card, again=again)

    async def _fetch_and_keep(
        self,
        message: Message,
        telegram_id: int,
        size: PhotoSize,
        context: ContextTypes.DEFAULT_TYPE,
        update_id: int | None,
        words_kept: bool = True,
        album: str | None = None,
    ) -> Step:
        if size.file_size is not None and size.file_size > DOWNLOAD_LIMIT:
            return Step(Show.MEDIA, note="too_big")
        try:
            file = await context.bot.get_file(size.file_id)
            if file.file_size is not None and file.file_size > DOWNLOAD_LIMIT:
                return Step(Show.MEDIA, note="too_big")
            if not file.file_path:
                # Optional in getFile's answer: without it there is nothing to download.
                log.warning("a photo could not be fetched: getFile gave no file_path")
                return Step(Show.MEDIA, note="not_fetched")
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in exc.message.lower():
                return Step(Show.MEDIA, note="too_big")
            log.warning("a photo could not be fetched: %s", exc.message)
            return Step(Show.MEDIA, note="not_fetched")
        except TelegramError as exc:
            log.warning("a photo could not be fetched: %s", exc)
            return Step(Show.MEDIA, note="not_fetched")
        try:
            cleaned = await cleaning.clean(data)
        except NotAnImage:
            return Step(Show.MEDIA, note="unreadable")
        return await self.attachments.photo(
            update_id,
            telegram_id,
            cleaned,
            after_text=update_id is None and words_kept,
            album=album,
        )

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """An image sent as a file: say how to send a photo (True if it was one)."""
        message, user = update.effective_message, update.effective_user
        if message is None or not image_document(message):
            return False
        # Before agreeing, nothing written is kept either: the consent question comes first.
        consent = user is not None and await self.attachments.photo_room(user.id) == "consent"
        step = Step(Show.MEDIA, note="consent" if consent else "as_document")
        await self._reply(message, step, update_id=update.update_id)
        return True

    async def captioned_document(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step
    ) -> None:
        """An image sent as a file with words: the words went on as typed (`step` is what
        they led to); the file is not kept, and how to send a photo is said first."""
        message = update.effective_message
        assert message is not None
        if step.show is Show.NOTHING:
            return
        text, markup = render(step, self.names, self.moderation.tagger.labels)
        note = str(texts.MEDIA_NOTES["as_document"])
        try:
            sent = await message.reply_text(
                f"{note}\n\n{text}" if text else note,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                # Before consent, the words ride on this reply (see CitizenHandlers.caption).
                do_quote=step.show is Show.CONSENT and bool(step.text),
            )
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(context.bot, sent, markup)

    async def _consent_with_words(self, message: Message, step: Step, note: str) -> None:
        """The consent question (`step`), in reply to the message whose words ride on it,
        with a note on its photo or voice note first."""
        text, markup = render(step, self.names, self.moderation.tagger.labels)
        try:
            sent = await message.reply_text(
                f"{texts.MEDIA_NOTES[note]}\n\n{text}",
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                do_quote=True,
            )
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(message.get_bot(), sent, markup)

    async def captioned_voice(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step, room: str = ""
    ) -> None:
        """A voice note with words (some clients allow it): the words went on as typed
        (`step` is what they led to), and the voice note goes with them (`room`: why a
        photo could not have joined an item before the words went on)."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.voice
        if step.show is Show.NOTHING:
            return
        if step.show is Show.CONSENT:
            # Not agreed yet: the words ride on the consent question; the voice note is not
            # kept (sent again once agreed).
            await self._consent_with_words(message, step, "consent")
            return
        if room == "side_prompt" or step.show is Show.SAVED:
            # Words at a comment or an answer, or at the last question (saving the item),
            # were that reply: the voice note cannot go with it.
            kept = Step(Show.MEDIA, note="side_prompt_voice_caption")
        else:
            kept = await self.attachments.voice(
                update.update_id, user.id, message.voice.file_id, _seconds(message), captioned=True
            )
        if kept.show is not Show.MEDIA:
            # Its words were not kept (too few): the voice note is the item's words.
            step, lead = kept, texts.VOICE_KEPT
        else:
            lead = texts.VOICE_ADDED if kept.note == "voice_added" else media_note(kept)
        text, markup = render(step, self.names, self.moderation.tagger.labels)
        try:
            sent = await message.reply_text(
                f"{lead}\n\n{text}" if text else lead,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(context.bot, sent, markup)
        fetchable = message.voice.file_size is None or message.voice.file_size <= DOWNLOAD_LIMIT
        if kept.note in ("voice_added", "voice_kept") and fetchable:
            if self.attachments.settings.transcribe:
                context.application.create_task(
                    self._transcribe(user.id, message.voice.file_id, context)
                )

    async def voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice note: the words of an item, until someone writes them down."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.voice
        voice = message.voice
        # Not refused for its size: moderators play it from Telegram by its file_id, and the
        # bot fetches it only for a speech-to-text engine (which then is not offered it).
        step = await self.attachments.voice(
            update.update_id, user.id, voice.file_id, _seconds(message)
        )
        lead = {
            "voice_kept": texts.VOICE_KEPT,
            "voice_added": texts.VOICE_ADDED,
            "voice_new_item": texts.VOICE_NEW_ITEM.format(reference=step.reference),
        }.get(step.note)
        if lead:
            step = Step(
                step.show,
                seq=step.seq,
                service=step.service,
                services=step.services,
                page=step.page,
                pages=step.pages,
                photos=step.photos,
                photos_left=step.photos_left,
            )
        await self._reply(message, step, lead or "")
        fetchable = voice.file_size is None or voice.file_size <= DOWNLOAD_LIMIT
        if lead and self.attachments.settings.transcribe and fetchable:
            context.application.create_task(self._transcribe(user.id, voice.file_id, context))

    async def _transcribe(
        self, telegram_id: int, file_id: str, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """The deployment's speech-to-text on the voice note, in the background: its draft
        is offered to the citizen to confirm. One job per voice note, whatever the timing."""
        media_id = await self.attachments.voice_to_transcribe(telegram_id, file_id)
        if media_id is None or media_id in self._transcribing:
            return
        self._transcribing.add(media_id)
        try:
            await self._transcribe_one(telegram_id, media_id, file_id, context)
        finally:
            self._transcribing.discard(media_id)

    async def _transcribe_one(
        self, telegram_id: int, media_id: int, file_id: str, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        settings = self.attachments.settings
        try:
            file = await context.bot.get_file(file_id)
            if not file.file_path:
                log.warning("a voice note could not be fetched for transcription: no file_path")
                return
            audio = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("a voice note could not be fetched for transcription: %s", exc)
            return
        # One engine at a time: a local model takes the machine's cores, and several at once
        # would slow the bot for everyone (the others wait their turn).
        async with self._engine:
            if not await self.attachments.still_told(media_id):
                return  # saved, cancelled or forgotten while it waited its turn
            text = await cleaning.transcribe(
                settings.transcribe, audio, settings.transcribe_seconds
            )
        del audio  # the audio is not kept: only the draft words are
        if text == "":
            # The engine heard no words: the citizen may have recorded silence. The voice
            # note stays (a moderator listens to it), and they can type what they meant.
            note = await self.attachments.silent_note(media_id)
            if note is not None:
                await self._tell(context, telegram_id, str(texts.MEDIA_NOTES[note]))
            return
        if not text:
            return
        if not await self.attachments.draft_transcript(media_id, text):
            return  # the item was saved (or dropped) meanwhile: nothing to confirm
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.TRANSCRIPT_YES, callback_data=f"{TRANSCRIPT_PREFIX}:{media_id}:y"
                    ),
                    InlineKeyboardButton(
                        texts.TRANSCRIPT_NO, callback_data=f"{TRANSCRIPT_PREFIX}:{media_id}:n"
                    ),
                ]
            ]
        )
        try:
            await context.bot.send_message(
                telegram_id,
                texts.TRANSCRIPT_DRAFT.format(text=esc(text)),
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except Forbidden:
            log.info("citizen blocked the bot; draft transcript not delivered")

    @staticmethod
    async def _tell(context: ContextTypes.DEFAULT_TYPE, telegram_id: int, text: str) -> None:
        try:
            await context.bot.send_message(telegram_id, text, parse_mode=ParseMode.HTML)
        except Forbidden:
            log.info("citizen blocked the bot; note not delivered")

    async def transcript_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The citizen's answer to a draft transcript."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        _, media_text, choice = ((query.data or "") + "::").split(":")[:3]
        media_id = id_number(media_text)
        if media_id is None or choice not in ("y", "n"):
            await safely.answer(query.answer(texts.EXPIRED))
            return
        step = await self.attachments.confirm_transcript(
            update.update_id, user.id, media_id, choice == "y"
        )
        if step.show is Show.NOTHING:
            return
        await safely.answer(query.answer())
        note = media_note(step) if step.show is Show.MEDIA else texts.EXPIRED
        try:
            await query.edit_message_text(note)
        except (BadRequest, Forbidden):
            pass

    # -- the moderators --------------------------------------------------------------------

    async def under_card(
        self, bot: Bot, item_id: int, card_message: Message, again: bool = False
    ) -> float | None:
        """The item's voice note and photos, each under its card in the moderators' chat
        (recorded, to be taken back if the author is forgotten). Those posted already (a
        photo that joined the item as its card went out) are not, unless `again`: the card
        is posted anew in place of one gone. Telegram's wait if it asked for one: the rest
        go with a later sweep."""
        return await self._under_card(
            bot, item_id, card_message.chat_id, card_message.message_id, again
        )

    async def _under_card(
        self, bot: Bot, item_id: int, chat_id: int, message_id: int, again: bool
    ) -> float | None:
        # Each voice note and photo is taken in the database before it is sent: whoever
        # else posts this item's media meanwhile (a photo joining it as its card goes out,
        # here or on another instance) leaves it to the one that took it.
        card = (chat_id, message_id)
        photo = 0
        refusals: list[str] = []
        waits: list[float] = []
        failures: list[str] = []
        refused_ids: list[int] = []
        given_up: list[tuple[int, str]] = []
        # Voice notes whose sending Telegram never answered (they may be there already).
        unsure: list[str] = []
        unsure_ids: list[int] = []
        for item in await self.attachments.of_item(item_id):
            if waits:
                break  # the chat is held: the rest go with the sweep after the wait
            photo += item.kind == "photo"
            if not (item.kind == "photo" or (item.kind == "voice" and item.file_id)):
                continue  # a voice note no longer needed (written down and approved)
            if not await self.attachments.take_to_post(item.id, card, anew=again):
                continue
            send: Callable[[], Awaitable[Message]]
            if item.kind == "voice" and item.file_id:
                send = functools.partial(
                    bot.send_voice,
                    chat_id,
                    item.file_id,
                    caption=texts.CARD_VOICE_CAPTION.format(item=item_id),
                    reply_to_message_id=message_id,
                )
            else:
                data = await self.attachments.photo_bytes(item.id)
                if data is None:
                    continue  # forgotten or past retention meanwhile
                send = functools.partial(
                    bot.send_photo,
                    chat_id,
                    data,
                    caption=await self._photo_caption(item_id, photo, item.status, item.decided_by),
                    reply_markup=_photo_buttons(item.id),
                    reply_to_message_id=message_id,
                )
            refused, failed, unsured = len(refusals), len(failures), len(unsure)
            # A voice note is not sent again blindly: it has no buttons, so a second copy
            # could never be told from the first, nor taken back (a photo's can).
            careful = unsure if item.kind == "voice" else None
            sent = await _with_retries(send, item_id, refusals, waits, failures, careful)
            if sent is None and len(unsure) > unsured:
                unsure_ids.append(item.id)  # stays taken: the moderators are asked below
                continue
            if sent is None:
                if not await self.attachments.not_posted(
                    item.id, card, len(refusals) > refused, len(failures) > failed
                ):
                    continue
                if len(refusals) > refused:
                    refused_ids.append(item.id)
                    continue
                log.error(
                    "%s %s of #%s not posted under its card: %d tries failed (%s);"
                    " not tried again once the moderators are told",
                    item.kind,
                    item.id,
                    item_id,
                    CARD_ATTEMPTS,
                    failures[-1],
                )
                given_up.append((item.id, failures[-1]))
                continue
            if not await self.attachments.posted(item.id, sent.chat_id, sent.message_id, card):
                # Gone meanwhile, or a second copy (Telegram answered an earlier sending
                # too late, and a moderator pressed that copy): taken back.
                if self.tidy is not None:
                    await self.tidy(bot)
                continue
            if self.privacy is not None:
                await self.privacy.sent_to_staff(item_id, sent.chat_id, sent.message_id)
        # The card says its voice note or photos are below: the moderators must know they
        # are not (Telegram refused them, or kept failing to take them as often as a card
        # is tried), or they would decide on what they have not heard or seen. Given up
        # only once the note has gone: else they are tried again at a later sweep.
        notes: list[tuple[list[int], str]] = []
        if refused_ids:
            error = esc(refusals[0][:120])
            notes.append((refused_ids, texts.CARD_MEDIA_REFUSED.format(item=item_id, error=error)))
        if given_up:
            error = esc(given_up[0][1][:120])
            ids = [media_id for media_id, _ in given_up]
            notes.append((ids, texts.CARD_MEDIA_FAILED.format(item=item_id, error=error)))
        for ids, note in notes:
            send_note = functools.partial(
                bot.send_message,
                chat_id,
                note,
                parse_mode=ParseMode.HTML,
                reply_to_message_id=message_id,
            )
            told = not waits and await _said(send_note, item_id, waits)
            await self.attachments.given_up(ids, card, told)
        for media_id in unsure_ids:
            # Telegram may have it: the moderators, who see the chat, say if it is missing.
            send_note = functools.partial(
                bot.send_message,
                chat_id,
                texts.CARD_VOICE_UNSURE.format(item=item_id),
                parse_mode=ParseMode.HTML,
                reply_to_message_id=message_id,
                reply_markup=_again_button(media_id),
            )
            told = await _said(send_note, item_id, waits)
            await self.attachments.given_up([media_id], card, told)
        return max(waits) if waits else None

    async def voice_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A moderator says a voice note whose sending went unanswered is not under its card:
        it is posted there now, once."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        who = await self.roles.who(user.id)
        if not who.moderates:
            await self.roles.denied(who, "voice button", query.data or "")
            await safely.answer(query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True))
            return
        media_id = id_number(((query.data or "") + ":").split(":")[1])
        note = query.message
        card = note.reply_to_message if isinstance(note, Message) else None
        if media_id is None or not isinstance(note, Message) or card is None:
            await self.roles.denied(who, "malformed voice button", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        where = (note.chat.id, card.message_id)
        voice = await self.attachments.voice_again(media_id, where)
        if voice is None or voice.feedback_id is None or voice.file_id is None:
            await safely.answer(query.answer(texts.MOD_PROBLEMS["no_such_item"]))
            await safely.quietly(query.edit_message_reply_markup(None))
            return
        send = functools.partial(
            context.bot.send_voice,
            where[0],
            voice.file_id,
            caption=texts.CARD_VOICE_CAPTION.format(item=voice.feedback_id),
            reply_to_message_id=where[1],
        )
        unsure: list[str] = []
        sent = await _with_retries(send, voice.feedback_id, unsure=unsure)
        if sent is None:
            # Not taken (or unanswered again): the button stays for another press.
            await self.attachments.not_again(media_id, where)
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        await safely.answer(query.answer())
        if await self.attachments.posted(media_id, sent.chat_id, sent.message_id, where):
            if self.privacy is not None:
                await self.privacy.sent_to_staff(voice.feedback_id, sent.chat_id, sent.message_id)
        await safely.quietly(query.edit_message_reply_markup(None))

    async def _photo_caption(self, item_id: int, number: int, status: str, who: int | None) -> str:
        """A photo's caption under its card: its number, and who decided on it."""
        name = ""
        if who is not None:
            name = await self.attachments.staff_name(who)
        # A plain caption: the name kept to itself on its line all the same.
        state = texts.PHOTO_STATUS.get(status, status).format(who=isolate(name) if name else name)
        return texts.CARD_PHOTO_CAPTION.format(item=item_id, n=number, status=state)

    async def photo_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A moderator approves one photo, or keeps it back."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        who = await self.roles.who(user.id)
        if not who.moderates:
            await self.roles.denied(who, "photo button", query.data or "")
            await safely.answer(query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True))
            return
        _, media_text, choice = ((query.data or "") + "::").split(":")[:3]
        media_id = id_number(media_text)
        if media_id is None or choice not in ("a", "r"):
            await self.roles.denied(who, "malformed photo button", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        pressed = query.message
        where = (pressed.chat.id, pressed.message_id) if pressed is not None else (0, 0)
        decided = await self.attachments.decide_photo(
            who.telegram_id,
            media_id,
            "approved" if choice == "a" else "rejected",
            where,
            _copy_under(pressed, context.bot.id, media_id),
        )
        if (
            decided == GONE
            and where[0] == self.moderators_chat
            and await self.attachments.take_down(media_id, *where)
        ):
            # A copy of a photo that is gone (posted twice, recorded nowhere, so its
            # author's /forget or retention left it): taken down now.
            if self.take_back is not None:
                context.application.create_task(self.take_back(context))
            await safely.answer(query.answer(texts.MOD_PROBLEMS["photo_gone"]))
            return
        if decided is None or decided == GONE:
            await safely.answer(query.answer(texts.MOD_PROBLEMS["no_such_item"]))
            return
        if isinstance(decided, str):
            assert decided == ON_ITS_WAY
            # Its message came before its poster recorded it, and still is not recorded: not
            # taken, and the moderator is told so rather than left wondering.
            await safely.answer(query.answer(texts.MOD_PROBLEMS["photo_on_its_way"]))
            return
        if (
            decided.status == "rejected" or decided.copies_gone or decided.on_duplicate
        ) and self.take_back is not None:
            # Kept back: the copies given to providers go; pressed on one of two copies
            # under the card (posted twice): the other goes (or the pressed one, if it is
            # the one taken back and still there).
            context.application.create_task(self.take_back(context))
        if decided.on_duplicate:
            # Pressed on a copy taken back as one too many (another moderator pressed the
            # other copy): the decision is the photo's, shown on the copy that stays.
            await safely.answer(query.answer(texts.MOD_PROBLEMS["photo_other_copy"]))
        else:
            await safely.answer(query.answer())
        if decided.shown_on is None:
            return
        caption = await self._photo_caption(
            decided.item_id, decided.number, decided.status, decided.decided_by
        )
        try:
            await context.bot.edit_message_caption(
                *decided.shown_on, caption=caption, reply_markup=_photo_buttons(media_id)
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.info("photo caption not updated: %s", exc.message)

    # -- providers -------------------------------------------------------------------------

    async def send_photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/photo N: an approved photo of an item about one of the provider's services."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        who = await self.elsewhere.provider_allowed(update, context.bot.username, "/photo")
        if who is None:
            return
        number = id_number(context.args[0]) if context.args else None
        if number is None:
            await message.reply_text(texts.PHOTO_USAGE)
            return
        providers = self.roles.deployment.providers
        if not await provider_place(who, providers, message, self.roles.home):
            return
        private = message.chat.type == ChatType.PRIVATE
        found = await self.attachments.photo_for(
            number, here(who, providers, self.roles.home(message.chat_id), private)
        )
        if found is None:
            await message.reply_text(texts.PHOTO_NOT_FOUND.format(id=number))
            return
        item_id, data = found
        sent = await message.reply_photo(
            data, caption=texts.PHOTO_FOR_PROVIDER.format(id=number, item=item_id)
        )
        # The citizen's photo in a staff chat: taken back with the photo's other copies.
        await self.attachments.given(number, sent.chat_id, sent.message_id)


# A voice note or photo Telegram failed to take (a 5xx, the network) is sent again, after
# these waits: a moderator must see every photo to approve it.
SEND_RETRIES = (0.5, 2.0, 5.0)


async def _with_retries(
    send: Callable[[], Awaitable[Message]],
    item_id: int,
    refusals: list[str] | None = None,
    waits: list[float] | None = None,
    failures: list[str] | None = None,
    unsure: list[str] | None = None,
) -> Message | None:
    """`send()`, tried again on a fault that passes; None if it never went (Telegram's reason
    for refusing it added to `refusals`, the wait it asked for to `waits`, the fault that
    did not pass to `failures`). With `unsure`, a sending Telegram may have taken without
    its answer coming back is not tried again: the fault is added there."""
    for wait in (*SEND_RETRIES, None):
        try:
            return await send()
        except RetryAfter as exc:
            # Not a refusal: it goes once the wait is over (a sweep then).
            log.info("media of #%s waits: Telegram asks for %s s", item_id, exc.retry_after)
            if waits is not None:
                waits.append(seconds(exc.retry_after))
            return None
        except (BadRequest, Forbidden) as exc:
            log.warning("media of #%s not posted under its card: %s", item_id, exc.message)
            if refusals is not None:
                refusals.append(exc.message)
            return None
        except (NetworkError, TimedOut) as exc:
            if unsure is not None and safely.maybe_sent(exc):
                log.warning("media of #%s may be under its card: no answer came (%s)", item_id, exc)
                unsure.append(str(exc))
                return None
            if wait is None:
                log.warning("media of #%s not posted under its card: %s", item_id, exc)
                if failures is not None:
                    failures.append(str(exc))
                return None
            await asyncio.sleep(wait)
        except TelegramError as exc:
            log.warning("media of #%s not posted under its card: %s", item_id, exc)
            if failures is not None:
                failures.append(str(exc))
            return None
    return None


async def _said(send: Callable[[], Awaitable[Message]], item_id: int, waits: list[float]) -> bool:
    """Whether a note under a card saying its media will not come is settled: it went, or
    Telegram refused it (no note can go there then). False if it failed in a way that
    passes (the network, a 5xx, a wait, added to `waits`): the media are tried again."""
    try:
        await send()
    except RetryAfter as exc:
        waits.append(seconds(exc.retry_after))
        return False
    except (BadRequest, Forbidden) as exc:
        log.warning("note under the card of #%s not posted: %s", item_id, exc.message)
    except TelegramError as exc:
        log.warning("note under the card of #%s not posted, said again later: %s", item_id, exc)
        return False
    return True


def image_document(message: Message) -> bool:
    """Whether a message is a picture sent as a file (a document of an image type)."""
    if message.document is None:
        return False
    mime = (message.document.mime_type or "").lower()
    return mime in IMAGE_TYPES or mime.startswith("image/")


def _copy_under(pressed: object, bot_id: int, media_id: int) -> int | None:
    """The message a pressed message replies to, when Telegram shows it as the bot's own
    photo message whose buttons are this photo's own (a copy of the photo, recorded or not:
    see `Attachments.decide_photo`); None otherwise (forged buttons, another message)."""
    if not isinstance(pressed, Message) or not pressed.photo:
        return None
    if pressed.from_user is None or pressed.from_user.id != bot_id:
        return None
    if pressed.reply_to_message is None or pressed.reply_markup is None:
        return None
    own = {b.callback_data for b in _photo_buttons(media_id).inline_keyboard[0]}
    shown = {b.callback_data for row in pressed.reply_markup.inline_keyboard for b in row}
    return pressed.reply_to_message.message_id if shown == own else None


def _again_button(media_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.CARD_VOICE_AGAIN, callback_data=f"{VOICE_PREFIX}:{media_id}")]]
    )


def _photo_buttons(media_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.PHOTO_APPROVE, callback_data=f"{PHOTO_PREFIX}:{media_id}:a"
                ),
                InlineKeyboardButton(
                    texts.PHOTO_REJECT, callback_data=f"{PHOTO_PREFIX}:{media_id}:r"
                ),
            ]
        ]
    )
