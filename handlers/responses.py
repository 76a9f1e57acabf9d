"""Responses: providers answer from the digest or /respond; moderators may hide one;
contributors receive it and say whether it answered their point."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.chatmoves import Move
from bot.digest_content import Period, format_period
from bot.digests import Digests
from bot.hearing import Hearing, Verdict
from bot.i18n import current, speaking
from bot.languages import endonym
from bot.responses import (
    MAX_TEXT,
    MIN_REASON_WORDS,
    MIN_WORDS,
    Choice,
    Needs,
    Preview,
    Problem,
    Published,
    Responses,
    Status,
    service_key,
)
from bot.roles import Roles, Who
from handlers import safely, texts
from handlers.citizen import render as render_step
from handlers.common import Remembered, command_allowed, id_number
from handlers.fitting import cut, fit, name, pack, person, quote
from handlers.outbox import OutboxSender, Rendered
from handlers.places import here, moderators_place, moderators_pointer, provider_place, team_chat
from storage.db import parse_stamp
from storage.drafts import Draft
from storage.outbox import OutboxRow
from storage.responses import Response

log = logging.getLogger(__name__)

# Callback data. Providers: o:t:<digest>:<theme>[:<service key>] a theme of a digest's period
# (digest 0: the period so far), o:i:<item>, o:s:<status>, o:x (cancel anything being
# written), o:y:<fingerprint> (send the words previewed), o:e (edit them), o:f:<response>
# (an update after a follow-up), o:m (leave the languages not written to a moderator).
# Moderators: o:h:<response>, o:l:<response>:<language> (add a waiting response's words in
# that language). Citizens: v:y|n:<response>.
# The status, send, edit and cancel buttons under a status menu or a preview end in
# :<writer> (their telegram id): in a team's group they are one colleague's, not everyone's.
PREFIX = "o"
VERDICT = "v"
STATUS_CODES = {"a": Status.ACKNOWLEDGED, "p": Status.IN_PROGRESS, "c": Status.CHANGED}
STATUS_CODES["n"] = Status.NOT_CHANGING
CODE_OF = {status: code for code, status in STATUS_CODES.items()}
# Buttons under a digest: a row per quoted theme, then the quoted items four to a row.
ITEMS_PER_ROW = 4
# How many parts each writer's button has before its :<writer>.
WRITER_AFTER = {"s": 3, "y": 3, "e": 2, "x": 2, "m": 2}
# An album sent while writing is told once that photos are not passed on: its words' reply
# says it, else a note this many seconds after its last photo (each photo of an album is
# its own update; the words may come on any of them).
ALBUM_QUIET = 2.0
# Albums remembered as told (a few minutes of a busy bot's albums).
ALBUMS_REMEMBERED = 1024
ALBUM_JOB = "writing-album"


def languages_named(languages: tuple[str, ...] | list[str]) -> str:
    """Languages as staff read them: "Cymraeg", "Cymraeg, Polski"."""
    return ", ".join(endonym(language) for language in languages)


def _follow_up(weeks: int, subject: str, words: str) -> str:
    return texts.FOLLOW_UP.format(weeks, subject=subject, text=quote(words))


# Marks a theme button's period by when it began (the period so far has no digest row).
SINCE = "s"


def _since(slot: str) -> datetime | None:
    """When the period a theme button carries began ("s<seconds>"), if it carries one."""
    seconds = slot.removeprefix(SINCE)
    if slot.startswith(SINCE) and seconds.isascii() and seconds.isdigit() and len(seconds) < 12:
        return datetime.fromtimestamp(int(seconds), UTC)
    return None


def respond_buttons(
    digest_id: int,
    themes: tuple[str, ...],
    items: tuple[int, ...],
    labels: dict[str, str],
    broad: Mapping[str, str] | None = None,
    since: datetime | None = None,
) -> list[list[InlineKeyboardButton]]:
    """The rows of "respond" buttons under a digest: one per theme, then the quoted items.

    A sub-theme listed after its broad theme (`broad`: sub-theme id -> broad theme id) is
    marked as one, as the digest names it on the broad theme's line. With no digest (the
    period so far), `since`: when that period began, so that a button pressed after the next
    period has begun still answers the items the text showed."""
    listed = set(themes)
    if not digest_id and since is not None:
        slot = f"{SINCE}{math.floor(since.timestamp())}"
    else:
        slot = str(digest_id)
    rows = [
        [
            InlineKeyboardButton(
                (
                    texts.RESPOND_SUB_THEME_BUTTON
                    if (broad or {}).get(t) in listed
                    else texts.RESPOND_THEME_BUTTON
                ).format(theme=labels.get(t, t))[:60],
                callback_data=f"{PREFIX}:t:{slot}:{t}"[:64],
            )
        ]
        for t in themes
    ]
    buttons = [
        InlineKeyboardButton(
            texts.RESPOND_ITEM_BUTTON.format(item=i), callback_data=f"{PREFIX}:i:{i}"
        )
        for i in items
    ]
    rows += [buttons[n : n + ITEMS_PER_ROW] for n in range(0, len(buttons), ITEMS_PER_ROW)]
    return rows


def keep_writing(message: Message) -> InlineKeyboardMarkup | ForceReply:
    """Under a prompt for a staff member's words: Cancel in a private chat; in a group,
    Telegram's reply box (a bot in privacy mode hears only replies to it there; /cancel)."""
    if message.chat.type == ChatType.PRIVATE:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.RESPOND_CANCEL, callback_data=f"{PREFIX}:x")]]
        )
    return ForceReply(selective=True)


def _mark_hidden(listing: str, response_id: int) -> str | None:
    """A /responses list with one response's line marked hidden; None if it is not listed."""
    lines = listing.split("\n")
    head = f"• R{response_id} · "
    for number, line in enumerate(lines):
        if line.startswith(head):
            if not line.endswith(texts.RESPONSE_LIST_HIDDEN):
                lines[number] = line + texts.RESPONSE_LIST_HIDDEN
            return "\n".join(lines)
    return None


def _without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The buttons but the one with this data (rows left empty go too)."""
    if markup is None:
        return None
    rows = [[b for b in row if b.callback_data != data] for row in markup.inline_keyboard]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


def _album_job(chat_id: int, album: str) -> str:
    return f"{ALBUM_JOB}:{chat_id}:{album}"


class ResponseHandlers:
    """Telegram side of responses, bound to the responses and hearing cores."""

    def __init__(
        self,
        responses: Responses,
        hearing: Hearing,
        roles: Roles,
        digests: Digests,
        sender: OutboxSender,
        labels: dict[str, str],
        moderators_chat: int | None,
        broad: Mapping[str, str] | None = None,
    ) -> None:
        self.responses = responses
        self.hearing = hearing
        self.roles = roles
        self.digests = digests
        self.sender = sender
        self.labels = labels
        self.moderators_chat = moderators_chat
        # Sub-theme id -> broad theme id (the tagger's: a new model changes it in place).
        self.broad = broad if broad is not None else {}
        sender.register("response", self.render_notice)
        # Ends a moderator's open edit (or summary) prompt on /cancel in private, and says
        # which (ModeratorHandlers.cancel_elsewhere).
        self.end_edit: Callable[[int, Bot], Awaitable[str | None]] | None = None
        # Albums sent while writing that were told their photos are not passed on.
        self._albums_told: Remembered[tuple[int, str]] = Remembered(ALBUMS_REMEMBERED)

    # ------------------------------------------------------------------ providers

    def _label(self, theme: str) -> str:
        return self.labels.get(theme, theme.replace("_", " ").capitalize())

    async def _service_name(self, slug: str | None) -> str:
        """A service's name in the language spoken now (`name_cy = ...`)."""
        found = self.digests.deployment.service(slug) if slug else None
        if found is not None:
            return found.word("name", current())
        for service in await self.digests.all_services_everywhere():
            if service.slug == slug:
                return service.name
        return slug or ""

    async def subject(self, about: Draft | Response) -> str:
        """What a response is about, as the provider reads it (a draft: with its count)."""
        service = name(await self._service_name(about.service_slug))
        if about.item_id is not None:
            return texts.RESPOND_SUBJECT_ITEM.format(item=about.item_id, service=service)
        provider = self.digests.providers.get(about.provider_id)
        period = ""
        if about.period_start and about.period_end and provider is not None:
            period = format_period(
                Period(parse_stamp(about.period_start), parse_stamp(about.period_end)),
                ZoneInfo(provider.timezone),
            )
        theme = name(self._label(about.theme_id or ""))
        if isinstance(about, Response):
            return texts.RESPONSE_SUBJECT_THEME.format(theme=theme, service=service, period=period)
        items = await self.responses.covered(about)
        return texts.RESPOND_SUBJECT_THEME.format(
            items, theme=theme, service=service, period=period
        )

    async def respond(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/respond [N]: answer item N, or pick a theme of the latest period to answer."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        who = await self.roles.who(user.id)
        if not (who.provider or who.admin):
            await self.roles.denied(who, "/respond")
            await message.reply_text(texts.NOT_A_PROVIDER)
            return
        if not await provider_place(who, self.digests.providers.values(), message, self.roles.home):
            return
        who = self._here(who, message)
        arg = (context.args or [""])[0].lstrip("#")
        if arg.isascii() and arg.isdigit():
            wanted = id_number(arg)
            found = (
                await self.responses.begin_item(who, message.chat_id, wanted, update.update_id)
                if wanted is not None
                else Problem.NO_SUCH_ITEM  # more digits than any item number has
            )
            if found is Problem.REPLAYED:
                return  # begun before a restart (and asked then)
            if isinstance(found, Problem):
                if found in (Problem.NOT_ALLOWED, Problem.NO_SUCH_ITEM):
                    await self.roles.denied(who, "/respond", arg)
                await message.reply_text(texts.RESPOND_PROBLEMS[found])
                return
            await self._ask_status(message, found, wanted)
            return
        rows: list[list[InlineKeyboardButton]] = []
        for provider_id in sorted(self.digests.providers):
            if not who.speaks_for(provider_id):
                continue
            # The latest digest's period; before the first digest, the period so far.
            latest = await self.digests.latest_sent(provider_id)
            provider = self.digests.providers[provider_id]
            period = latest.period if latest else self.digests.current_period(provider)
            services = await self.digests.services_for(provider_id, message.chat_id)
            # The themes as the digest lists them: broad themes, with their sub-themes.
            themes = await self.responses.themes_heard(services, *period, self.labels)
            rows += respond_buttons(
                latest.id if latest else 0, themes, (), self.labels, self.broad, since=period[0]
            )
        if not rows:
            await message.reply_text(texts.RESPOND_NOTHING, parse_mode=ParseMode.HTML)
            return
        await message.reply_text(
            texts.RESPOND_USAGE, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
        )

    def _here(self, who: Who, message: Message) -> Who:
        """In a team's chat, only that team's services may be answered (or shown)."""
        private = message.chat.type == ChatType.PRIVATE
        return here(who, self.digests.providers.values(), self.roles.home(message.chat_id), private)

    async def _periods(
        self, who: Who, digest_id: int, since: datetime | None = None
    ) -> dict[str, tuple[datetime, datetime]]:
        """The period each provider's theme response covers: a digest's, or the one so far
        (the one that began `since`, where the button says)."""
        if digest_id:
            row = await self.digests.get(digest_id)
            if row is None or not who.speaks_for(row.provider_id):
                return {}
            return {row.provider_id: row.period}
        return {
            pid: (
                self.digests.period_from(provider, since)
                if since is not None
                else self.digests.current_period(provider)
            )
            for pid, provider in self.digests.providers.items()
            if who.speaks_for(pid)
        }

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every o: button: choosing what to answer and how, hiding a response."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        message = query.message
        parts = (query.data or "").split(":")
        who = await self.roles.who(user.id)
        action = parts[1] if len(parts) > 1 else ""
        ref = id_number(parts[2]) if len(parts) > 2 else None
        if action == "h" and len(parts) == 3 and ref is not None:
            await self._hide(query, context, who, ref)
            return
        if action == "l":
            await self._begin_language(query, who, ref, parts, update.update_id)
            return
        if not (who.provider or who.admin) or not isinstance(message, Message):
            await self.roles.denied(who, "response button", query.data or "")
            await safely.answer(query.answer(texts.NOT_A_PROVIDER, show_alert=True))
            return
        if action in WRITER_AFTER and len(parts) == WRITER_AFTER[action] + 1:
            writer = parts.pop()
            if writer != str(user.id):
                # A colleague's menu or preview in the team's group: theirs to use.
                await safely.answer(query.answer(texts.RESPOND_NOT_YOURS, show_alert=True))
                return
        chat_id = message.chat_id
        who = self._here(who, message)
        found: Draft | Choice | Problem | None = None
        since = _since(parts[2]) if action == "t" and len(parts) > 2 else None
        if since is not None:
            ref = 0
        if action == "t" and len(parts) in (4, 5) and ref is not None:
            periods = await self._periods(who, ref, since)
            slug = parts[4] if len(parts) == 5 else ""
            found = (
                await self.responses.begin_theme(
                    who, chat_id, parts[3], periods, slug, update.update_id
                )
                if periods
                else Problem.NOT_ALLOWED
            )
            if isinstance(found, Choice):
                rows = [
                    [
                        InlineKeyboardButton(
                            s.name,
                            callback_data=f"{PREFIX}:t:{parts[2]}:{parts[3]}:{service_key(s.slug)}",
                        )
                    ]
                    for s in found.services
                ]
                await safely.answer(query.answer())
                await message.reply_text(
                    texts.RESPOND_PICK_SERVICE.format(theme=name(self._label(parts[3]))),
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(rows),
                )
                return
        elif action == "i" and len(parts) == 3 and ref is not None:
            found = await self.responses.begin_item(who, chat_id, ref, update.update_id)
            if isinstance(found, Draft):
                await safely.answer(query.answer())
                await self._ask_status(message, found, ref)
                return
        elif action == "f" and len(parts) == 3 and ref is not None:
            found = await self.responses.begin_again(who, chat_id, ref, update.update_id)
        elif action == "s" and len(parts) == 3 and parts[2] in STATUS_CODES:
            status = STATUS_CODES[parts[2]]
            found = await self.responses.choose_status(who, chat_id, status, update.update_id)
            if isinstance(found, Draft):
                await safely.answer(query.answer())
                await self._ask_words(message, user.first_name, who, status)
                return
        elif action == "y" and len(parts) == 3:
            sent = await self.responses.send(who, chat_id, update.update_id, parts[2])
            if sent is Problem.REPLAYED:
                return
            if isinstance(sent, Published):
                await safely.answer(query.answer())
                # The preview's last line said nothing was sent yet: now it was.
                shown = message.text_html or ""
                if shown.endswith(texts.RESPOND_PREVIEW_FOOT):
                    sent_text = shown.removesuffix(texts.RESPOND_PREVIEW_FOOT)
                    await safely.quietly(
                        message.edit_text(
                            sent_text + texts.RESPOND_PREVIEW_SENT,
                            parse_mode=ParseMode.HTML,
                            reply_markup=None,
                        )
                    )
                else:
                    await safely.quietly(message.edit_reply_markup(None))
                await self._published(message, context, sent)
                return
            if sent is Problem.ALREADY_SENT:
                # A second tap before the buttons went: it did go, once.
                await safely.answer(query.answer(self._problem(sent), show_alert=True))
                await safely.quietly(message.edit_reply_markup(None))
                return
            found = sent
        elif action == "m" and len(parts) == 2:
            left = await self.responses.leave_to_moderator(who, chat_id, update.update_id)
            if left is Problem.REPLAYED:
                return
            if isinstance(left, Preview):
                await safely.answer(query.answer())
                await safely.quietly(message.edit_reply_markup(None))
                await self._preview(message, left)
                return
            found = left
        elif action == "e" and len(parts) == 2:
            before = await self.responses.draft(who, chat_id)
            edited = await self.responses.edit(who, chat_id, update.update_id)
            if edited is Problem.REPLAYED:
                return
            if isinstance(edited, Draft) and edited.status is not None:
                await safely.answer(query.answer())
                await safely.quietly(message.edit_reply_markup(None))
                words = before.text if before is not None and before.text else ""
                await self._ask_words(message, user.first_name, who, Status(edited.status), words)
                return
            found = edited
        elif action == "x":
            cancelled = await self.responses.cancel(who, chat_id, update.update_id)
            if cancelled is Problem.REPLAYED:
                return
            if not cancelled:
                # An old prompt's Cancel, after its words were sent or stopped: say so.
                await safely.answer(query.answer(texts.RESPOND_NOTHING_TO_CANCEL))
                await safely.quietly(message.edit_reply_markup(None))
                return
            await safely.answer(query.answer(texts.RESPOND_CANCELLED))
            if message.text_html:
                await safely.quietly(
                    message.edit_text(
                        f"{message.text_html}\n\n{texts.RESPOND_CANCELLED}",
                        parse_mode=ParseMode.HTML,
                        reply_markup=None,
                    )
                )
            else:
                await safely.quietly(message.edit_reply_markup(None))
            return
        if isinstance(found, Draft):
            await safely.answer(query.answer())
            await self._ask_status(message, found)
            return
        if found is Problem.REPLAYED:
            return  # handled before a restart: nothing is begun or said again
        problem = found if isinstance(found, Problem) else Problem.NOT_ALLOWED
        if problem in (Problem.NOT_ALLOWED, Problem.NO_SUCH_ITEM):
            # Another provider's item looks like no item, and is recorded like a refusal.
            await self.roles.denied(who, "response button", query.data or "")
        await safely.answer(query.answer(self._problem(problem), show_alert=True))

    @staticmethod
    def _problem(problem: Problem) -> str:
        if problem is Problem.NOT_WAITING:
            return texts.LANG_NOT_WAITING
        return texts.RESPOND_PROBLEMS[problem].format(
            limit=MAX_TEXT, words=MIN_WORDS, reason_words=MIN_REASON_WORDS
        )

    async def _ask_status(self, message: Message, draft: Draft, asked: int | None = None) -> None:
        """What is being answered, and a button per status; `asked`: the item the provider
        asked for, when it was merged into the draft's."""
        rows = [
            [
                InlineKeyboardButton(
                    texts.RESPONSE_STATUS[status.value],
                    callback_data=f"{PREFIX}:s:{CODE_OF[status]}:{draft.author}",
                )
            ]
            for status in Status
        ]
        rows.append(
            [InlineKeyboardButton(texts.RESPOND_CANCEL, callback_data=f"{PREFIX}:x:{draft.author}")]
        )
        subject = await self.subject(draft)
        if draft.item_id is not None:
            # The item's approved photos, for the provider to look at before answering.
            photos = await self.responses.photos_of(draft.item_id)
            if photos:
                subject += texts.RESPOND_PHOTOS.format(
                    photos=", ".join(f"/photo {n}" for n in photos)
                )
        merged = ""
        if asked is not None and draft.item_id is not None and asked != draft.item_id:
            merged = texts.RESPOND_MERGED.format(merged=asked, item=draft.item_id)
        await message.reply_text(
            merged + texts.RESPOND_PICK_STATUS.format(subject=subject),
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(rows),
        )

    async def _ask_words(
        self, message: Message, name: str, who: Who, status: Status, before: str = ""
    ) -> None:
        mention = f'<a href="tg://user?id={who.telegram_id}">{person(name)}</a>'
        text = texts.RESPOND_PROMPT.format(
            mention=mention,
            status=texts.RESPONSE_STATUS[status.value],
            ask=texts.RESPOND_WRITE[status.value],
            limit=MAX_TEXT,
        )
        if before:
            text += texts.RESPOND_WRITTEN_BEFORE.format(text=quote(before))
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, reply_markup=keep_writing(message)
        )

    async def words(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any text (runs before the other handlers): the words of a response being written,
        shown back as a preview. Anything else passes on to the usual handlers."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        # Words sent with a photo or a file are her words too (as a citizen's are); only
        # what was attached is not passed on, and she is told so.
        words = message.text if message.text is not None else message.caption
        if words is None:
            return
        draft = await self.responses.draft(Who(user.id), message.chat_id)
        if draft is None or draft.kind not in ("response", "response_text"):
            return
        who = await self.roles.who(user.id)
        if draft.kind == "response_text":
            await self._add_language(update, context, who, message, words)
            raise ApplicationHandlerStop
        result = await self.responses.write(who, message.chat_id, update.update_id, words)
        if result is None:
            return
        if message.text is None and result is not Problem.REPLAYED:
            # Said for the whole album: its other photos are told nothing more.
            self.album_told(message, context)
            await message.reply_text(texts.RESPOND_CAPTION_TAKEN)
        if isinstance(result, Needs):
            await self._ask_language(message, result)
        elif isinstance(result, Preview):
            await self._preview(message, result)
        elif result is Problem.NO_STATUS:
            # Words before a status was chosen: the status first, then the words.
            await message.reply_text(texts.RESPOND_STATUS_FIRST)
            await self._ask_status(message, draft)
        elif result in (Problem.NOTHING_TO_ANSWER, Problem.NOT_ALLOWED, Problem.PROVIDER_GONE):
            await message.reply_text(self._problem(result))
        elif result is not Problem.REPLAYED:
            # Kindly why, and the prompt stays open for better words.
            await message.reply_text(self._problem(result), reply_markup=keep_writing(message))
        raise ApplicationHandlerStop

    def album_told(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Whether the message's album, sent while writing, was told already that photos are
        not passed on; remembers that it is now (its note still to come is not needed)."""
        if message.media_group_id is None:
            return False
        key = (message.chat_id, message.media_group_id)
        queue = context.job_queue
        for job in queue.get_jobs_by_name(_album_job(*key)) if queue is not None else ():
            job.schedule_removal()
        return not self._albums_told.first(key)

    async def album_later(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A wordless photo of an album sent while writing: one note for the album that its
        photos are not passed on, ALBUM_QUIET seconds after its last photo, unless its words
        said so first (no thanks for each photo)."""
        message = update.effective_message
        if message is None or message.media_group_id is None:
            return
        key = (message.chat_id, message.media_group_id)
        if key in self._albums_told:
            return
        queue = context.job_queue
        if queue is None:
            if not self.album_told(message, context):
                await safely.quietly(message.reply_text(texts.RESPOND_ALBUM_NOT_PASSED))
            return
        name = _album_job(*key)
        for job in queue.get_jobs_by_name(name):
            job.schedule_removal()
        queue.run_once(self._album_quiet, ALBUM_QUIET, data=message, name=name)

    async def _album_quiet(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: an album sent while writing brought no words: say its photos are not kept."""
        assert context.job is not None
        message = context.job.data
        assert isinstance(message, Message)
        if self.album_told(message, context):
            return
        # Outside the update: in the chat's language.
        with speaking(await self.digests.language_of(message.chat_id)):
            note = texts.RESPOND_ALBUM_NOT_PASSED
        try:
            await context.bot.send_message(message.chat_id, note)
        except TelegramError as exc:
            log.info("album note not delivered: %s", exc)

    async def _ask_language(self, message: Message, needs: Needs) -> None:
        """The first words are good: now the same in the next required language."""
        author = needs.draft.author
        rows = [
            [
                InlineKeyboardButton(
                    texts.LANG_MODERATOR_WILL_ADD, callback_data=f"{PREFIX}:m:{author}"
                ),
                InlineKeyboardButton(texts.RESPOND_CANCEL, callback_data=f"{PREFIX}:x:{author}"),
            ]
        ]
        await message.reply_text(
            texts.LANG_SAME_IN.format(language=endonym(needs.language)),
            reply_markup=InlineKeyboardMarkup(rows),
        )

    async def _preview(self, message: Message, preview: Preview) -> None:
        """The words as citizens will read them, how many they reach, and Send/Edit/Cancel."""
        draft = preview.draft
        assert draft.status is not None
        head = (
            texts.RESPOND_PREVIEW.format(
                preview.people, items=texts.RESPOND_ITEMS_COVERED.format(preview.items)
            )
            if preview.people
            else texts.RESPOND_PREVIEW_NOBODY.format(preview.items)
        )
        # The words in the other languages, or that a moderator will add them.
        others = "".join(
            "\n\n"
            + (
                texts.LANG_PREVIEW_TEXT.format(language=endonym(lang), text=quote(words))
                if words is not None
                else texts.LANG_PREVIEW_LEFT.format(language=endonym(lang))
            )
            for lang, words in preview.texts.items()
        )
        meanwhile = f"\n\n{texts.RESPOND_PREVIEW_MEANWHILE}" if preview.meanwhile else ""
        provider = self.digests.providers.get(draft.provider_id)
        text = self._notice_text(
            provider.word("name", current()) if provider else draft.provider_id,
            await self._service_name(draft.service_slug),
            draft.status,
            None if draft.item_id is not None else draft.theme_id,
            preview.sample_item,
            preview.items,
            preview.text,
            lambda notice: f"{head}\n\n{notice}{others}{meanwhile}\n\n{texts.RESPOND_PREVIEW_FOOT}",
        )
        rows = [
            [
                InlineKeyboardButton(
                    texts.RESPOND_SEND, callback_data=f"{PREFIX}:y:{preview.token}:{draft.author}"
                ),
                InlineKeyboardButton(
                    texts.RESPOND_EDIT, callback_data=f"{PREFIX}:e:{draft.author}"
                ),
                InlineKeyboardButton(
                    texts.RESPOND_CANCEL, callback_data=f"{PREFIX}:x:{draft.author}"
                ),
            ]
        ]
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup(rows),
        )

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel while writing a response stops it; otherwise /cancel means what it did."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if await self.responses.draft(Who(user.id), message.chat_id) is None:
            return
        cancelled = await self.responses.cancel(Who(user.id), message.chat_id, update.update_id)
        private = message.chat.type == ChatType.PRIVATE
        ended = await self.end_edit(user.id, context.bot) if self.end_edit and private else None
        if cancelled is not Problem.REPLAYED:
            said = [texts.RESPOND_CANCELLED] + ([ended] if ended else [])
            await message.reply_text("\n".join(said))
        raise ApplicationHandlerStop

    async def put_aside(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Another command or button while something is being written here: that writing
        ends (said once), so no later text is taken as its words. The update goes on."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        draft = await self.responses.draft(Who(user.id), chat.id)
        if draft is None or not await self.responses.put_aside(
            Who(user.id), chat.id, update.update_id
        ):
            return
        try:
            said = texts.DRAFT_PUT_ASIDE
            # A language's words added to a response or question: stopped like its own.
            kind = {"response_text": "response", "ask_text": "question"}.get(draft.kind, draft.kind)
            await context.bot.send_message(chat.id, said.get(kind, said["response"]))
        except (Forbidden, BadRequest) as exc:
            log.info("put-aside note not delivered: %s", exc.message)

    async def staff_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A provider's text in private with nothing being written and no feedback of theirs
        open: answered as staff (never the citizen's consent screen). Admins, who often try
        the bot as citizens, are left to the citizen's conversation."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.chat.type != ChatType.PRIVATE:
            return
        if not await self.staff_only(user.id):
            return
        await message.reply_text(texts.STAFF_TEXT_NOT_WAITING, parse_mode=ParseMode.HTML)
        raise ApplicationHandlerStop

    async def staff_only(self, telegram_id: int) -> bool:
        """Whether someone is answered as staff in private (see `staff_text`): a provider
        with no feedback of their own open."""
        who = await self.roles.who(telegram_id)
        return who.provider and not await self.responses.expects_feedback(telegram_id)

    async def _published(
        self, message: Message, context: ContextTypes.DEFAULT_TYPE, done: Published
    ) -> None:
        response = done.response
        subject = await self.subject(response)
        if done.waiting:
            await message.reply_text(
                texts.LANG_WAITING_PUBLISHED.format(
                    done.recipients,
                    subject=subject,
                    status=texts.RESPONSE_STATUS[response.status],
                    languages=languages_named(done.waiting),
                ),
                parse_mode=ParseMode.HTML,
            )
            await self._waiting_card(context, response, done.waiting)
            return
        await message.reply_text(
            texts.RESPOND_PUBLISHED.format(
                done.recipients,
                status=texts.RESPONSE_STATUS[response.status],
                subject=subject,
                items=texts.RESPOND_ITEMS.format(done.items),
            ),
            parse_mode=ParseMode.HTML,
        )
        self.sender.kick(context)
        if self.moderators_chat is None:
            return
        # Read in the moderators' chat: in its language, not the provider's.
        with speaking(self.roles.deployment.moderators_language):
            try:
                card = await context.bot.send_message(
                    self.moderators_chat,
                    await self._card_text(response),
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton(
                                    texts.RESPONSE_HIDE, callback_data=f"{PREFIX}:h:{response.id}"
                                )
                            ]
                        ]
                    ),
                )
            except TelegramError as exc:
                log.warning("response %s not shown to the moderators: %s", response.id, exc)
                return
            # Kept, so that hiding it from /responses updates the card too.
            await self.responses.card_posted(response.id, card.chat_id, card.message_id)

    async def post_again(self, context: ContextTypes.DEFAULT_TYPE, move: Move) -> None:
        """The moderators' group became a supergroup: the cards of the responses still
        waiting for a language in the old one (no longer pressable there) are posted again
        where it is now."""
        for response_id in move.responses:
            response = await self.responses.get(response_id)
            if response is None or not response.waiting or response.hidden:
                continue  # published or hidden meanwhile: nothing to add
            missing = await self.responses.missing(response_id)
            if missing:
                await self._waiting_card(context, response, missing, chat_id=move.new)

    async def _waiting_card(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        response: Response,
        missing: tuple[str, ...],
        chat_id: int | None = None,
    ) -> None:
        """The moderators' card of a response waiting for languages: a button for each (in
        the moderators' chat, or `chat_id`, where it moved)."""
        chat_id = chat_id if chat_id is not None else self.moderators_chat
        if chat_id is None:
            return
        # Read in the moderators' chat: in its language, not the provider's.
        with speaking(self.roles.deployment.moderators_language):
            provider = self.digests.providers.get(response.provider_id)
            subject = await self.subject(response)
            card, _ = fit(
                lambda words: texts.LANG_RESPONSE_CARD.format(
                    languages=languages_named(missing),
                    provider=name(
                        provider.word("name", current()) if provider else response.provider_id
                    ),
                    status=texts.RESPONSE_STATUS[response.status],
                    subject=subject,
                    text=quote(words),
                ),
                response.text,
            )
            rows = [
                [
                    InlineKeyboardButton(
                        texts.LANG_ADD_BUTTON.format(language=endonym(lang)),
                        callback_data=f"{PREFIX}:l:{response.id}:{lang}",
                    )
                ]
                for lang in missing
            ]
            rows.append(
                [
                    InlineKeyboardButton(
                        texts.RESPONSE_HIDE, callback_data=f"{PREFIX}:h:{response.id}"
                    )
                ]
            )
            try:
                posted = await context.bot.send_message(
                    chat_id,
                    card,
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(rows),
                )
            except TelegramError as exc:
                log.warning("waiting response %s not shown to the moderators: %s", response.id, exc)
                return
            await self.responses.card_posted(response.id, posted.chat_id, posted.message_id)

    async def _begin_language(
        self, query: CallbackQuery, who: Who, ref: int | None, parts: list[str], update_id: int
    ) -> None:
        """A moderator's "Add Cymraeg": their next words are that language's."""
        message = query.message
        if ref is None or len(parts) != 4 or not isinstance(message, Message):
            await self.roles.denied(who, "add language", query.data or "")
            await safely.answer(query.answer(texts.LANG_NOT_WAITING, show_alert=True))
            return
        found = await self.responses.begin_language(who, message.chat_id, ref, parts[3], update_id)
        if found is Problem.REPLAYED:
            return
        if isinstance(found, Problem):
            if found in (Problem.NOT_ALLOWED, Problem.NO_SUCH_ITEM):
                await self.roles.denied(who, "add language", query.data or "")
            await safely.answer(query.answer(self._problem(found), show_alert=True))
            return
        await safely.answer(query.answer())
        response = await self.responses.get(ref)
        mention = (
            f'<a href="tg://user?id={who.telegram_id}">{person(query.from_user.first_name)}</a>'
        )
        text, _ = fit(
            lambda words: texts.LANG_ADD_PROMPT.format(
                mention=mention, id=ref, language=endonym(parts[3]), text=quote(words)
            ),
            response.text if response else "",
        )
        await message.reply_text(
            text, parse_mode=ParseMode.HTML, reply_markup=ForceReply(selective=True)
        )

    async def _add_language(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        who: Who,
        message: Message,
        words: str,
    ) -> None:
        """A moderator's words in a language a waiting response lacked."""
        added = await self.responses.add_language(who, message.chat_id, update.update_id, words)
        if added is None or added is Problem.REPLAYED:
            return
        if message.text is None:
            await message.reply_text(texts.RESPOND_CAPTION_TAKEN)
        if isinstance(added, Problem):
            if added is Problem.NOT_ALLOWED:
                await self.roles.denied(who, "add language words", "")
            await message.reply_text(
                self._problem(added),
                reply_markup=ForceReply(selective=True)
                if added in (Problem.TOO_SHORT, Problem.TOO_LONG, Problem.NEEDS_REASON)
                else None,
            )
            return
        moderator = person(message.from_user.first_name if message.from_user else "")
        language = endonym(added.language)
        done = added.published
        if done is None:
            await message.reply_text(
                texts.LANG_ADDED_STILL.format(
                    language=language,
                    id=added.response.id,
                    who=moderator,
                    languages=languages_named(added.missing),
                ),
                parse_mode=ParseMode.HTML,
            )
            return
        self.sender.kick(context)
        await message.reply_text(
            texts.LANG_ADDED_PUBLISHED.format(
                done.recipients, language=language, id=added.response.id, who=moderator
            ),
            parse_mode=ParseMode.HTML,
        )
        response = done.response
        if response.card_chat is not None and response.card_message is not None:
            # The card no longer offers to add it; it offers to hide, as a published one's
            # (in the moderators' chat's language, wherever the words were added).
            with speaking(self.roles.deployment.moderators_language):
                card = await self._card_text(response)
                hide = texts.RESPONSE_HIDE
            await safely.quietly(
                context.bot.edit_message_text(
                    card,
                    chat_id=response.card_chat,
                    message_id=response.card_message,
                    parse_mode=ParseMode.HTML,
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton(hide, callback_data=f"{PREFIX}:h:{response.id}")]]
                    ),
                )
            )
        provider = self.digests.providers.get(response.provider_id)
        chats = await self.digests.provider_chats(provider) if provider else []
        for chat_id in chats:
            # The provider hears that what they wrote went out, in their chat's language.
            with speaking(await self.digests.language_of(chat_id)):
                told = texts.LANG_PROVIDER_PUBLISHED.format(
                    done.recipients, language=language, id=response.id
                )
            try:
                await context.bot.send_message(chat_id, told)
            except TelegramError as exc:
                log.info("provider not told response %s went out: %s", response.id, exc)

    async def _card_text(self, response: Response) -> str:
        """A response's card as the moderators read it."""
        provider = self.digests.providers.get(response.provider_id)
        subject = await self.subject(response)
        card, _ = fit(
            lambda words: texts.RESPONSE_CARD.format(
                provider=name(
                    provider.word("name", current()) if provider else response.provider_id
                ),
                status=texts.RESPONSE_STATUS[response.status],
                subject=subject,
                text=quote(words),
            ),
            response.text,
        )
        return card

    # ----------------------------------------------------------------- moderators

    async def _hide(
        self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, who: Who, response_id: int
    ) -> None:
        result = await self.responses.hide(who, response_id)
        if isinstance(result, Problem):
            if result is Problem.NOT_ALLOWED:
                await self.roles.denied(who, "hide response", str(response_id))
                await safely.answer(query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True))
            else:
                await safely.answer(query.answer(self._problem(result), show_alert=True))
            return
        hidden = texts.RESPONSE_HIDDEN.format(
            id=response_id, who=person(query.from_user.first_name)
        )
        message = query.message
        await safely.answer(query.answer(texts.RESPONSE_HIDDEN_SHORT.format(id=response_id)))
        pressed_card = message is not None and (result.card_chat, result.card_message) == (
            message.chat.id,
            message.message_id,
        )
        if isinstance(message, Message) and message.text_html is not None:
            marked = _mark_hidden(message.text_html, response_id)
            if marked is not None and not pressed_card:
                # The /responses list: that line marked, the other Hide buttons kept.
                await safely.quietly(
                    message.edit_text(
                        marked,
                        parse_mode=ParseMode.HTML,
                        reply_markup=_without(message.reply_markup, f"{PREFIX}:h:{response_id}"),
                    )
                )
            else:
                await safely.quietly(
                    message.edit_text(
                        f"{message.text_html}\n\n{hidden}",
                        parse_mode=ParseMode.HTML,
                        reply_markup=None,
                    )
                )
        if result.card_chat is not None and result.card_message is not None and not pressed_card:
            # Hidden from elsewhere: its card no longer offers to hide it (in the moderators'
            # chat's language, whoever hid it from wherever).
            with speaking(self.roles.deployment.moderators_language):
                there = texts.RESPONSE_HIDDEN.format(
                    id=response_id, who=person(query.from_user.first_name)
                )
                card = f"{await self._card_text(result)}\n\n{there}"
            await safely.quietly(
                context.bot.edit_message_text(
                    card,
                    chat_id=result.card_chat,
                    message_id=result.card_message,
                    parse_mode=ParseMode.HTML,
                    reply_markup=None,
                )
            )

    async def list_recent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/responses: the latest responses (moderators see all, with a hide button)."""
        message = update.effective_message
        assert message
        who = await command_allowed(
            self.roles, update, lambda w: w.moderates or w.provider, "/responses"
        )
        if who is None:
            return
        providers = self.digests.providers.values()
        if who.moderates and moderators_place(self.roles, message):
            pass  # every provider's responses, with a Hide button each
        elif who.provider and (
            message.chat.type == ChatType.PRIVATE
            or team_chat(who, providers, self.roles.home(message.chat_id))
        ):
            # In a team's chat, only that team's responses (a moderator's too).
            who = self._here(who, message)
        elif who.moderates:
            # Never every provider's answers in a group that is no place for them.
            await moderators_pointer(self.roles, message, context.bot.username)
            return
        else:
            await provider_place(who, providers, message, self.roles.home)
            return
        found = await self.responses.recent(who)
        if not found:
            await message.reply_text(texts.RESPONSE_LIST_EMPTY)
            return
        lines = [texts.RESPONSE_LIST_HEAD]
        rows: list[list[InlineKeyboardButton]] = []
        for response in found:
            short = response.text if len(response.text) <= 100 else cut(response.text, 97) + "…"
            # One still waiting for a language says which (moderators can add it from here).
            missing = await self.responses.missing(response.id) if response.waiting else ()
            marks = (
                texts.LANG_LIST_WAITING.format(languages=languages_named(missing))
                if missing
                else ""
            )
            lines.append(
                texts.RESPONSE_LIST_LINE.format(
                    id=response.id,
                    service=name(await self._service_name(response.service_slug)),
                    subject=name(
                        f"#{response.item_id}"
                        if response.item_id
                        else self._label(response.theme_id or "")
                    ),
                    status=texts.RESPONSE_STATUS[response.status],
                    hidden=texts.RESPONSE_LIST_HIDDEN if response.hidden else marks,
                    text=quote(short),
                )
            )
            if who.moderates and missing and not response.hidden:
                rows += [
                    [
                        InlineKeyboardButton(
                            texts.LANG_ADD_BUTTON_REF.format(
                                language=endonym(lang), id=response.id
                            ),
                            callback_data=f"{PREFIX}:l:{response.id}:{lang}",
                        )
                    ]
                    for lang in missing
                ]
            if who.moderates and not response.hidden:
                rows.append(
                    [
                        InlineKeyboardButton(
                            f"{texts.RESPONSE_HIDE} R{response.id}",
                            callback_data=f"{PREFIX}:h:{response.id}",
                        )
                    ]
                )
        messages = pack(lines, "\n")
        for number, text in enumerate(messages, 1):
            await message.reply_text(
                text,
                parse_mode=ParseMode.HTML,
                # The hide buttons under the last part, once.
                reply_markup=InlineKeyboardMarkup(rows)
                if rows and number == len(messages)
                else None,
            )

    # ------------------------------------------------------------------- follow-up

    async def follow_up(self, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Job: ask providers for an update on what they said was being worked on (and drop
        drafts nobody finished)."""
        await self.responses.drop_old_drafts()
        asked = 0
        claimed_at = self.responses.clock()
        for response in await self.responses.follow_ups(claimed_at):
            provider = self.digests.providers.get(response.provider_id)
            if provider is None:
                continue
            reached = False
            weeks = max(1, round(self.responses.follow_up.days / 7))
            # Chats that blocked the bot are not tried until they speak to it again.
            closed = await self.digests.unreachable()
            for chat_id in await self.digests.provider_chats(provider):
                if chat_id in closed:
                    continue
                # In each chat's language (a team's chat may have its own).
                with speaking(await self.digests.language_of(chat_id)):
                    subject = await self.subject(response)
                    text, _ = fit(partial(_follow_up, weeks, subject), response.text)
                    markup = InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton(
                                    texts.FOLLOW_UP_BUTTON,
                                    callback_data=f"{PREFIX}:f:{response.id}",
                                )
                            ]
                        ]
                    )
                try:
                    await context.bot.send_message(
                        chat_id,
                        text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                    asked += 1
                    reached = True
                except Forbidden as exc:
                    log.info("follow-up of response %s refused: %s", response.id, exc)
                    # Her return (any update from the chat) opens it again.
                    await self.digests.refused(chat_id, exc.message)
                except TelegramError as exc:
                    # One chat failing does not keep the follow-up from the others.
                    log.warning("follow-up of response %s to a chat failed: %s", response.id, exc)
                    # A timeout may have delivered it: counted as reached (never told twice).
                    reached = reached or isinstance(exc, TimedOut)
            if not reached:
                # No chat took it (blocked, not found, Telegram failing): still owed, asked
                # by the first run that finds one of the provider's chats open.
                await self.responses.follow_up_not_asked(response, claimed_at)
        return asked

    # -------------------------------------------------------------------- citizens

    def _notice_text(
        self,
        provider_name: str,
        service_name: str,
        status: str,
        theme_id: str | None,
        item_id: int | None,
        items: int,
        words: str,
        frame: Callable[[str], str] = str,
        own: bool = True,
    ) -> str:
        """A response as a contributor reads it (in the provider's preview, inside a frame;
        the words give way if the whole would not fit one message). Someone who added their
        voice to another's item is not told it is theirs."""
        service = name(service_name)
        if not own:
            subject = (
                texts.HEARD_SUBJECT_ITEM_SUPPORTED.format(item=item_id, service=service)
                if theme_id is None
                else texts.HEARD_SUBJECT_THEME_SUPPORTED.format(
                    theme=name(self._label(theme_id)), service=service, item=item_id
                )
            )
        elif theme_id is None:
            subject = texts.HEARD_SUBJECT_ITEM.format(item=item_id, service=service)
        elif items > 1:
            subject = texts.HEARD_SUBJECT_THEME_OTHERS.format(
                items, theme=name(self._label(theme_id)), service=service, item=item_id
            )
        else:
            subject = texts.HEARD_SUBJECT_THEME.format(
                theme=name(self._label(theme_id)), service=service, item=item_id
            )
        text, _ = fit(
            lambda words: frame(
                texts.HEARD_BACK.format(
                    provider=name(provider_name),
                    subject=subject,
                    status=texts.RESPONSE_STATUS[status],
                    text=quote(words),
                )
            ),
            words,
        )
        return text

    async def render_notice(self, row: OutboxRow, said: str = "") -> Rendered | None:
        """A queued response as its contributor reads it: with the buttons to rate it, or,
        once rated, with the line `said` in their place."""
        # In the citizen's language (the sender speaks it while this runs).
        notice = await self.hearing.notice(row, current())
        if notice is None:
            return None
        response = notice.response
        text = self._notice_text(
            notice.provider_name,
            notice.service_name,
            response.status,
            None if response.item_id is not None else response.theme_id,
            notice.item_id,
            notice.items,
            notice.text,
            frame=lambda text: text + said,
            own=notice.own,
        )
        if said:
            return text, None
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        texts.ANSWERED_YES, callback_data=f"{VERDICT}:y:{response.id}"
                    ),
                    InlineKeyboardButton(
                        texts.ANSWERED_NO, callback_data=f"{VERDICT}:n:{response.id}"
                    ),
                ]
            ]
        )
        return text, markup

    async def verdict(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A contributor's "this answers my point" / "it doesn't"."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        parts = (query.data or "").split(":")
        rated_id = id_number(parts[2]) if len(parts) == 3 else None
        if rated_id is None or parts[1] not in ("y", "n"):
            await self.roles.denied(
                await self.roles.who(user.id), "response rating", query.data or ""
            )
            await safely.answer(query.answer(texts.RATED_UNKNOWN))
            return
        rated = await self.hearing.rate(update.update_id, user.id, rated_id, parts[1] == "y")
        if rated.verdict is Verdict.REPLAYED:
            return
        if rated.verdict is Verdict.UNKNOWN:
            # Forged or someone else's button: recorded, like refused staff buttons.
            await self.roles.denied(
                await self.roles.who(user.id), "response rating", query.data or ""
            )
            await safely.answer(query.answer(texts.RATED_UNKNOWN, show_alert=True))
            return
        pressed = parts[1] == "y"
        # The answer kept (an earlier press's, if this one came too late to change it).
        answered = pressed if rated.answered is None else rated.answered
        if rated.verdict is Verdict.ALREADY and answered != pressed:
            said = texts.ANSWERED_YES if answered else texts.ANSWERED_NO
            await safely.answer(query.answer(texts.RATED_KEPT.format(answer=said)))
        elif rated.verdict is Verdict.ALREADY:
            await safely.answer(query.answer(texts.RATED_ALREADY))
        else:
            await safely.answer(query.answer(texts.RATED_YES if answered else texts.RATED_NO))
        message = query.message if isinstance(query.message, Message) else None
        if rated.row is not None and message is not None:
            # The answer takes the buttons' place, so nobody presses twice or wonders.
            said = texts.ANSWERED_YES if answered else texts.ANSWERED_NO
            said = texts.RATED_SAID.format(answer=said)
            shown = await self.render_notice(rated.row, said)
            try:
                if shown is not None:
                    await message.edit_text(shown[0], reply_markup=None, parse_mode=ParseMode.HTML)
                else:  # hidden meanwhile: its words stay as they were, the buttons go
                    await message.edit_reply_markup(None)
            except BadRequest as exc:
                log.info("rated response not updated: %s", exc.message)
            except Forbidden:
                log.info("citizen blocked the bot; rated response not updated")
        if rated.step is not None and message is not None:
            text, markup = render_step(rated.step)
            try:
                await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
            except Forbidden:
                log.info("citizen blocked the bot; comment prompt not delivered")
