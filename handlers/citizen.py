"""The citizen's private chat: read the update, call the intake core, render the step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot import dates
from bot.heard import Heard, Problem, Themes
from bot.i18n import current, speaking
from bot.intake import CONSENT_VERSION, MERGED_GONE, Exact, Intake, Show, Step, link_payload
from bot.languages import Languages
from bot.roles import INVITE_PREFIX, Accepted, Roles
from handlers import safely, texts
from handlers.fitting import name, pack, quote
from handlers.language import FIRST_START, FIRST_TEXT, LanguageHandlers
from handlers.questions import Questions
from handlers.texts import esc
from storage.engines import STORAGE_ERRORS
from storage.feedback import FeedbackItem
from storage.missed_notices import MissedNotice
from storage.services import ServiceRow

if TYPE_CHECKING:
    from bot.moderation import Card
    from handlers.admin import AdminHandlers

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | None

# Callback data, at most 64 bytes: a prefix, the conversation number, the choice.
CONSENT_PREFIX = "c"
SERVICE_PREFIX = "s"
PAGE_PREFIX = "p"
RATING_PREFIX = "r"
HEAR_BACK_PREFIX = "h"
INVOLVE_PREFIX = "i"
# A side prompt (comment on a response, answer to a question): z:<seq>:s skip, and after
# /start z:<seq>:c carry on or z:<seq>:n start something new.
SIDE_PREFIX = "z"
DRAFT_PREFIX = "u"
# "Me too": t:<seq>:<item> joins that published item, t:<seq>:d says it is different;
# n:<item> undoes the join (it was not the same after all).
METOO_PREFIX = "t"
UNDO_JOIN_PREFIX = "n"
# Places: g:<seq>:<site number> picks one of the service's sites, g:<seq>:s skips;
# x:<seq>:<latitude>:<longitude> keeps the exact point of a location just shared.
PLACE_PREFIX = "g"
EXACT_PREFIX = "x"
# The themes heard in a saved item: e:<item>:o shows them to tick, e:<item>:1:<theme> and
# e:<item>:0:<theme> switch one on or off (so a double tap changes nothing more), e:<item>:d
# goes back to the saved message.
THEMES_PREFIX = "e"
# Notes of a question asked again, unchanged, because words came where a tap was wanted.
REMINDERS = frozenset({"use_buttons", "metoo_buttons"})
# The buttons that answer the conversation's question (only its last copy keeps them).
# Not the consent question's: a copy of it may carry the words typed before it (the message
# it answers), which a copy asked again by /start does not.
ANSWER_PREFIXES = frozenset(
    {
        SERVICE_PREFIX,
        PAGE_PREFIX,
        RATING_PREFIX,
        HEAR_BACK_PREFIX,
        INVOLVE_PREFIX,
        SIDE_PREFIX,
        DRAFT_PREFIX,
        METOO_PREFIX,
        PLACE_PREFIX,
    }
)
# Telegram's limit on a button's data.
MAX_DATA = 64
# The answers to a location shared too early or at the wrong moment, by the core's note.
_PLACE_NOTES = {"consent": "place_consent", "side_prompt": "place_side_prompt"}
# How long after an update's effect was committed its handling must have ended: past it, a
# reply not marked sent was lost (the process died) and the citizen is shown where they were.
ANSWER_GRACE = timedelta(minutes=1)


def service_name(row: ServiceRow, names: Languages | None = None) -> str:
    """A service's name in the language spoken now (the deployment's `name_cy`...), given
    the deployment's names; as stored without them."""
    return names.service_name(row.slug, row.name) if names is not None else row.name


def theme_label(theme_id: str, labels: Mapping[str, str] | None) -> str:
    """A broad theme's name for a citizen: short, in the language spoken now (the
    taxonomy's label, in it where it has one, for a theme without a short name)."""
    short = texts.THEME_SHORT.get(theme_id)
    if short:
        return str(short)
    return str((labels or {}).get(theme_id, theme_id))


def render(
    step: Step, names: Languages | None = None, labels: Mapping[str, str] | None = None
) -> tuple[str, Markup]:
    """The text and buttons that show a step (services named in the language spoken now
    when given the deployment's `names`; the themes heard named after `labels`), after
    what became of an album's photos that waited for these words, if any did."""
    text, markup = _render(step, names, labels)
    waited = []
    if step.photos:
        waited.append(texts.PHOTOS_WAITED.format(step.photos))
    if step.photos_left:
        waited.append(str(texts.PHOTOS_WAITED_LEFT))
    if not waited:
        return text, markup
    lead = "\n".join(waited)
    return (f"{lead}\n\n{text}" if text else lead), markup


def _render(
    step: Step, names: Languages | None = None, labels: Mapping[str, str] | None = None
) -> tuple[str, Markup]:
    show = step.show
    service = esc(service_name(step.service, names)) if step.service else ""
    if show is Show.CONSENT:
        lead = {
            "version_changed": texts.CONSENT_AGAIN,
            "consent_first": texts.CONSENT_FIRST,
            "lost": texts.CONSENT_LOST,
        }
        markup = InlineKeyboardMarkup(
            [
                [
                    _button(
                        texts.CONSENT_YES, CONSENT_PREFIX, "y", CONSENT_VERSION, step.pending_slug
                    ),
                    _button(texts.CONSENT_NO, CONSENT_PREFIX, "n", CONSENT_VERSION),
                ]
            ]
        )
        body = texts.CONSENT_REMINDER if step.note == "reminder" else texts.CONSENT
        # Earlier messages wait too: all go on, so "the message this answers" would not do.
        carry = (
            texts.CONSENT_CARRY_ALL if step.earlier else texts.CONSENT_CARRY if step.text else ""
        )
        return lead.get(step.note, "") + body + carry, markup
    if show is Show.DRAFT:
        markup = InlineKeyboardMarkup(
            [
                [_button(texts.DRAFT_CARRY_ON, DRAFT_PREFIX, "y", step.pending_slug)],
                [_button(texts.DRAFT_AFRESH, DRAFT_PREFIX, "n", step.pending_slug)],
            ]
        )
        return texts.DRAFT_OFFER.format(text=quote(_snippet(step.text, 600))), markup
    if show is Show.SERVICES:
        return _services(step, names)
    if show is Show.ASK_TEXT:
        return _lead(step) + texts.ASK_TEXT.format(service=service), None
    if show is Show.MORE_TEXT:
        return texts.MORE_TEXT, None
    if show is Show.METOO:
        lines = "\n".join(
            texts.METOO_ITEM.format(n=n, text=esc(_snippet(words, 200)))
            for n, (_, words) in enumerate(step.similar, 1)
        )
        joins = [
            _button(texts.METOO_JOIN.format(n=n), METOO_PREFIX, step.seq, item)
            for n, (item, _) in enumerate(step.similar, 1)
        ]
        different = [_button(texts.METOO_DIFFERENT, METOO_PREFIX, step.seq, "d")]
        text = _lead(step) + texts.METOO_ASK.format(service=service, items=lines)
        return text, InlineKeyboardMarkup([joins, different])
    if show is Show.JOINED:
        joined = texts.METOO_JOINED.format(reference=step.reference, service=service)
        if step.note == "media_dropped":
            joined = f"{joined}\n\n{texts.METOO_JOINED_DROPPED}"
        if not step.undo:
            return joined, None
        undo = _button(texts.METOO_UNDO, UNDO_JOIN_PREFIX, step.reference or 0)
        return f"{joined}\n\n{texts.METOO_UNDO_HINT}", InlineKeyboardMarkup([[undo]])
    if show is Show.PLACE:
        rows = [
            [_button(_site(step, site, names), PLACE_PREFIX, step.seq, n)]
            for n, site in enumerate(step.sites)
        ]
        rows.append([_button(texts.SKIP, PLACE_PREFIX, step.seq, "s")])
        return _lead(step) + texts.PLACE_ASK.format(service=service), InlineKeyboardMarkup(rows)
    if show is Show.RATING:
        row = [_button(label, RATING_PREFIX, step.seq, label) for label in texts.RATING_LABELS]
        markup = InlineKeyboardMarkup([row, [_button(texts.SKIP, RATING_PREFIX, step.seq, 0)]])
        return _lead(step) + texts.RATING.format(service=service), markup
    if show is Show.HEAR_BACK:
        return _lead(step) + texts.HEAR_BACK, _yes_no(HEAR_BACK_PREFIX, step.seq)
    if show is Show.INVOLVE:
        return _lead(step) + texts.INVOLVE, _yes_no(INVOLVE_PREFIX, step.seq)
    if show in (Show.ASK_COMMENT, Show.ASK_ANSWER):
        prompt = texts.ASK_COMMENT if show is Show.ASK_COMMENT else texts.ASK_ANSWER
        skip = InlineKeyboardMarkup([[_button(texts.SKIP, SIDE_PREFIX, step.seq, "s")]])
        return _lead(step) + prompt, skip
    if show is Show.SIDE_OPEN:
        about = texts.SIDE_ABOUT[step.note].format(service=service)
        choices = [
            _button(texts.SIDE_CARRY_ON, SIDE_PREFIX, step.seq, "c"),
            _button(texts.SIDE_START_NEW, SIDE_PREFIX, step.seq, "n"),
        ]
        return texts.SIDE_OPEN.format(about=about), InlineKeyboardMarkup([choices])
    if show is Show.SIDE_ENDED and step.note in texts.SIDE_SKIPPED:
        return texts.SIDE_SKIPPED[step.note], None
    if show is Show.SIDE_ENDED:
        return _lead(step).strip(), None
    if show is Show.SAVED and step.note in ("comment", "answer"):
        template = texts.SAVED_COMMENT if step.note == "comment" else texts.SAVED_ANSWER
        return template.format(reference=step.reference, service=service), None
    if show is Show.SAVED:
        text = texts.SAVED.format(reference=step.reference, service=service)
        if step.hear_back:
            text += texts.SAVED_HEAR_BACK
        if step.note == "contact":
            text += texts.SAVED_CONTACT + (
                texts.SAVED_CONTACT_ROUTE.format(service=service, contact=esc(step.contact))
                if step.contact
                else texts.SAVED_CONTACT_NO_ROUTE.format(service=service)
            )
        if step.heard is None or step.reference is None:
            return text + texts.SAVED_MINE, None
        heard = ", ".join(esc(theme_label(t, labels)) for t in step.heard)
        text += texts.HEARD.format(themes=heard) if heard else texts.HEARD_NONE
        fix = texts.HEARD_FIX if heard else texts.HEARD_ADD
        fixing = InlineKeyboardMarkup([[_button(fix, THEMES_PREFIX, step.reference, "o")]])
        return text + texts.SAVED_MINE, fixing
    if show is Show.TIMED_OUT and step.note.startswith("lapsed_"):
        return texts.SIDE_LAPSED.format(
            what=texts.SIDE_WHAT[step.note.removeprefix("lapsed_")]
        ), None
    if show is Show.TIMED_OUT:
        if step.reference is not None:
            # Left at the "me too" list: their words are a new item, not one of those shown.
            saved = texts.TIMED_OUT_SAVED_METOO if step.note == "metoo" else texts.TIMED_OUT_SAVED
            text = saved.format(reference=step.reference, service=service)
            return text + (texts.SAVED_HEAR_BACK if step.hear_back else ""), None
        text = texts.TIMED_OUT_DRAFT if step.note == "draft" else texts.TIMED_OUT
        # A voice note, photos or a place go with an item only: without one, not kept.
        return text + (texts.TIMED_OUT_NOT_KEPT if step.total else ""), None
    if show is Show.CANCELLED and step.note == "draft":
        return texts.CANCELLED_DRAFT, None
    if show is Show.MINE:
        return "\n\n".join(_mine(step, names)), None
    if show is Show.DECLINED and step.note == "kept":
        return texts.DECLINED_KEPT, None
    simple = {
        Show.DECLINED: texts.DECLINED,
        Show.CANCELLED: texts.CANCELLED,
        Show.NOTHING_TO_CANCEL: texts.NOTHING_TO_CANCEL,
        Show.EXPIRED: texts.EXPIRED,
        Show.TOO_LONG: texts.TOO_LONG_MESSAGE,
    }
    return simple.get(show, ""), None


def _site(step: Step, site: str, names: Languages | None) -> str:
    slug = step.service.slug if step.service else ""
    return names.site_name(slug, site) if names is not None else site


def with_place(step: Step, names: Languages | None = None) -> tuple[str, Markup]:
    """A step after a location was shared: what was kept first, and a button to keep the
    exact point instead of the rounded one."""
    text, markup = render(replace(step, note=""), names)
    site = _site(step, step.site, names) if step.site else ""
    lead = texts.PLACE_KEPT_SITE.format(site=esc(site)) if site else texts.PLACE_KEPT
    rows = list(markup.inline_keyboard) if markup is not None else []
    if step.point is not None:
        latitude, longitude = step.point
        exact = f"{EXACT_PREFIX}:{step.seq}:{latitude:.6f}:{longitude:.6f}"
        rows.append((InlineKeyboardButton(texts.PLACE_EXACT, callback_data=exact),))
    return f"{lead}\n\n{text}", InlineKeyboardMarkup(rows) if rows else None


def _lead(step: Step) -> str:
    notes = {
        "resumed": texts.RESUMED,
        "added_text": texts.ADDED_TEXT,
        "too_long": texts.TOO_LONG,
        "use_buttons": texts.USE_BUTTONS,
        "metoo_buttons": texts.METOO_USE_BUTTONS,
        "not_a_rating": texts.NOT_A_RATING,
        "kept_text": texts.KEPT_TEXT,
        "say_more": texts.SAY_MORE,
        "unknown_service": texts.UNKNOWN_SERVICE,
        "no_match": texts.NO_MATCH,
        "carried": texts.DRAFT_CARRIED,
        "dropped": texts.DRAFT_DROPPED,
        "undone": texts.METOO_UNDONE,
    }
    lead = notes.get(step.note, "")
    if step.note.startswith("closed_"):
        lead = texts.SIDE_CLOSED.format(what=texts.SIDE_WHAT[step.note.removeprefix("closed_")])
    if step.note == "throttled" and step.held is not None:
        count, window, minutes = step.held
        wait = (
            texts.THROTTLE_MINUTES.format(minutes)
            if minutes < 120
            else texts.THROTTLE_HOURS.format(-(-minutes // 60))
        )
        lead = texts.THROTTLED.format(count, window=texts.THROTTLE_WINDOWS[window], wait=wait)
    return f"{lead.strip()}\n\n" if lead and step.show is not Show.SERVICES else lead


def _services(step: Step, names: Languages | None) -> tuple[str, Markup]:
    rows = [
        [_button(service_name(s, names), SERVICE_PREFIX, step.seq, s.slug)] for s in step.services
    ]
    if step.query:
        return texts.SEARCH_RESULTS.format(query=esc(step.query)), InlineKeyboardMarkup(rows)
    nav = []
    if step.page > 0:
        nav.append(_button(texts.PREVIOUS, PAGE_PREFIX, step.seq, step.page - 1))
    if step.page < step.pages - 1:
        nav.append(_button(texts.NEXT, PAGE_PREFIX, step.seq, step.page + 1))
    if nav:
        rows.append(nav)
    question = (
        texts.PICK_SERVICE_PAGE.format(page=step.page + 1, pages=step.pages)
        if step.pages > 1
        else texts.PICK_SERVICE
    )
    return _lead(step) + question, InlineKeyboardMarkup(rows)


def _mine(step: Step, names: Languages | None = None) -> list[str]:
    """/mine's blocks: the header, one per item (with its responses), then how many more;
    then the items of others they said "me too" to, with their responses."""
    if not step.items and not step.supported:
        return [texts.MINE_TELLING if step.note == "telling" else texts.MINE_EMPTY]
    parts = [texts.MINE_HEADER] if step.items else []
    for item in step.items:
        parts.append(_mine_item(item, names) + _mine_sent_with(step, item.id))
        published = item.published_text
        if item.status == "approved" and published and published.strip() != item.text.strip():
            # A moderator redacted or edited it: say what the service actually read.
            parts[-1] += "\n" + texts.MINE_PUBLISHED_AS.format(text=quote(_snippet(published)))
        parts[-1] += _mine_responses(step, item.id)
    if step.total > len(step.items):
        parts.append(texts.MINE_MORE.format(step.total - len(step.items)))
    if step.supported:
        # Their support is theirs too: the item's published words (the author's own never).
        parts.append(texts.MINE_SUPPORTED_HEADER)
        for item in step.supported:
            parts.append(_mine_item(item, names) + _mine_responses(step, item.id))
    return parts


def _merged_status(status: str) -> str | None:
    """/mine's words for a merged item (read at each call: in the citizen's language)."""
    if status == "merged":
        return texts.MERGE_MINE_STATUS
    return texts.MERGE_GONE_MINE_STATUS if status == MERGED_GONE else None


def _mine_item(item: FeedbackItem, names: Languages | None) -> str:
    """One item of /mine: its number, service, day, status and words."""
    return texts.MINE_ITEM.format(
        reference=item.id,
        service=name(
            names.service_name(item.service_slug, item.service_name)
            if names is not None
            else item.service_name
        ),
        date=dates.day(item.created_at),
        status=texts.STATUS.get(item.status) or _merged_status(item.status) or esc(item.status),
        snippet=quote(_snippet(item.text)),
    )


def _mine_sent_with(step: Step, item_id: int) -> str:
    """What an item of /mine was told with besides words (a voice note, photos), a line."""
    photos, voices = step.sent_with.get(item_id, (0, 0))
    said = ([texts.MINE_VOICE] if voices else []) + (
        [texts.MINE_PHOTOS.format(photos)] if photos else []
    )
    return "\n" + " · ".join(said) if said else ""


def _mine_responses(step: Step, item_id: int) -> str:
    """The responses covering one item of /mine, a line each."""
    return "".join(
        "\n"
        + texts.MINE_RESPONSE.format(
            status=texts.RESPONSE_STATUS.get(response.status, esc(response.status)),
            date=dates.day(response.created_at),
            text=quote(_snippet(response.text)),
        )
        for response in step.responses.get(item_id, [])
    )


def _snippet(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "…"


def _button(label: str, prefix: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=":".join([prefix, *map(str, parts)]))


def _yes_no(prefix: str, seq: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(texts.YES, prefix, seq, "y"), _button(texts.NO, prefix, seq, "n")]]
    )


def theme_keyboard(
    heard: Heard, broad: list[str], labels: Mapping[str, str] | None
) -> InlineKeyboardMarkup:
    """The broad themes to tick, two to a row, those heard ticked; then Done."""
    toggles = []
    for theme_id in broad:
        on = theme_id in heard.themes
        label = theme_label(theme_id, labels)
        data = f"{THEMES_PREFIX}:{heard.item_id}:{0 if on else 1}:{theme_id}"
        if len(data.encode()) > MAX_DATA:
            log.warning("theme %r left off the citizen's choice: its id is too long", theme_id)
            continue
        shown = texts.HEARD_TICKED.format(label=label) if on else label
        toggles.append(InlineKeyboardButton(shown, callback_data=data))
    rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    rows.append([_button(texts.HEARD_DONE, THEMES_PREFIX, heard.item_id, "d")])
    return InlineKeyboardMarkup(rows)


async def send(
    message: Message,
    step: Step,
    names: Languages | None = None,
    labels: Mapping[str, str] | None = None,
    questions: Questions | None = None,
) -> None:
    """Reply to a message with a step (nothing for a replayed update)."""
    if step.show is Show.NOTHING:
        return
    text, markup = render(step, names, labels)
    # Words typed before consent are not stored: the consent question answers them, so the
    # press of its button brings them back (see `button`).
    carry = step.show is Show.CONSENT and bool(step.text)
    try:
        sent = await message.reply_text(
            text, reply_markup=markup, parse_mode=ParseMode.HTML, do_quote=carry
        )
    except Forbidden:
        log.info("citizen blocked the bot; reply not delivered")
        return
    if questions is not None:
        await questions.shown(message.get_bot(), sent, markup)


class CitizenHandlers:
    """Callbacks for the citizen's private chat, bound to one intake core."""

    def __init__(
        self,
        intake: Intake,
        conversation_timeout: timedelta,
        *,
        roles: Roles,
        admin: AdminHandlers,
        after_saved: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]],
        language: LanguageHandlers | None = None,
        themes: Themes | None = None,
        redraw_card: Callable[[ContextTypes.DEFAULT_TYPE, Card], Awaitable[None]] | None = None,
        questions: Questions | None = None,
    ) -> None:
        self.intake = intake
        # Where each citizen's question is shown now (its earlier copies lose their buttons).
        self.questions = questions or Questions(ANSWER_PREFIXES, METOO_PREFIX)
        # The citizen's language: asked at first contact, each person's for what jobs send,
        # and the deployment's names of services in it.
        self.language = language
        self.names = language.languages if language is not None else None
        self.conversation_timeout = conversation_timeout
        self.roles = roles
        self.admin = admin
        # Runs after an item is saved: tags it and puts it before the moderators.
        self.after_saved = after_saved
        # The themes heard in a saved item, which its author may fix (None: not offered),
        # and how the moderators' card of an item is drawn again after they do.
        self.themes = themes
        self.labels = themes.moderation.tagger.labels if themes is not None else None
        self.redraw_card = redraw_card
        # Sends what waits for citizens now: an item joined ("me too") may have been
        # answered already, its answer queued for the one who joined.
        self.joined: Callable[[ContextTypes.DEFAULT_TYPE], None] | None = None
        # Keeps a time-out notice saying an item was saved that could not reach its citizen
        # (telegram id, item, note, why, refused: blocked or not found, not a passing fault;
        # when one kept again was first kept).
        self.missed: (
            Callable[[int, int, str, str, bool, datetime | None], Awaitable[None]] | None
        ) = None
        # Kept notices whose send failed for a while (not refused), taken to be told now.
        self.due_notices: Callable[[], Awaitable[dict[int, list[MissedNotice]]]] | None = None
        # Albums' photos waiting for words (MediaHandlers.albums_left), at each time-out round.
        self.albums_left: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        # Notes on albums that joined a saved item, owed after a passing fault
        # (MediaHandlers.tell_owed), at each answer-again round.
        self.notes_owed: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        # Ends a moderator's open edit (or summary) prompt on /cancel in private, and says
        # which (ModeratorHandlers.cancel_elsewhere).
        self.end_edit: Callable[[int, Bot], Awaitable[str | None]] | None = None

    async def _heard(self, step: Step) -> Step:
        """A saved item's step with the themes heard in it."""
        if self.themes is None or step.show is not Show.SAVED:
            return step
        try:
            return await self.themes.after_saved(step)
        except STORAGE_ERRORS as exc:
            # The item is saved: its number matters more than its themes.
            log.warning("themes of #%s not read for its author: %s", step.reference, exc)
            return step

    async def _send(self, message: Message, step: Step) -> None:
        try:
            await send(message, await self._heard(step), self.names, self.labels, self.questions)
        except TelegramError:
            if step.show is Show.CONSENT:
                # Not "just above" for the reminder the next /start would show.
                self.intake.consent_not_delivered(message.chat_id)
            raise

    def _saved(self, step: Step, context: ContextTypes.DEFAULT_TYPE) -> None:
        if step.reference is not None:
            context.application.create_task(self.after_saved(context))

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, maybe with a deep link `s_<slug>`."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        payload = context.args[0] if context.args else ""
        if payload.startswith(INVITE_PREFIX):
            await self.admin.accept(update, context, payload.removeprefix(INVITE_PREFIX))
            return
        # First contact where languages are offered: which one, before anything else.
        if self.language and await self.language.first_contact(update, FIRST_START, payload):
            return
        await self._send(message, await self.intake.start(update.update_id, user.id, payload))

    async def group_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start in a group: the conversation happens in private, one tap away."""
        message = update.effective_message
        assert message
        payload = link_payload(context.args[0] if context.args else "")
        link = f"https://t.me/{context.bot.username}" + (f"?start={payload}" if payload else "")
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GROUP_START_BUTTON, url=link)]])
        try:
            await message.reply_text(texts.GROUP_START, reply_markup=markup)
        except Forbidden:
            log.info("cannot write in that group; /start not answered")

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any text that is not a command."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.text is not None
        # The language first; the words ride on its question and go on once it is chosen.
        if await self._language_first(update, message.text):
            return
        step = await self.intake.text(
            update.update_id, user.id, message.text, message=message.message_id
        )
        if step.note in REMINDERS and self.questions.below(message.chat_id, message.message_id):
            # Sent before the reminder to an earlier message arrived: that one, just below
            # it with the buttons, answers this too; the same words again would be noise.
            return
        await self._send(message, step)
        # A comment on a response or an answer to a question is saved by its text.
        self._saved(step, context)

    async def caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, video or file with words: the words go on as text; the file is not kept."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.caption is not None
        if await self._language_first(update, message.caption):
            return
        step = await self.intake.text(
            update.update_id,
            user.id,
            message.caption,
            album=message.media_group_id,
            message=message.message_id,
        )
        if step.show is Show.NOTHING:
            return
        kind = next((k for k in texts.CAPTION_WHAT if getattr(message, k, None)), "document")
        what = texts.CAPTION_WHAT[kind]
        text, markup = render(await self._heard(step), self.names, self.labels)
        try:
            sent = await message.reply_text(
                f"{texts.CAPTION_READ.format(what=what)}\n\n{text}",
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                # Before consent, the words ride on this reply (see `send`).
                do_quote=step.show is Show.CONSENT and bool(step.text),
            )
            await self.questions.shown(context.bot, sent, markup)
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
        self._saved(step, context)

    async def _language_first(self, update: Update, words: str) -> bool:
        """Whether the language question was asked first (the words ride on it, and wait in
        memory with any earlier ones, which all go on together once she agrees)."""
        if self.language is None:
            return False
        if not await self.language.first_contact(update, FIRST_TEXT, words=True):
            return False
        message, user = update.effective_message, update.effective_user
        if message is not None and user is not None:
            self.intake.hold(user.id, message.message_id, words)
        return True

    async def caption_words(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> Step | None:
        """A photo's caption as the citizen's words: the step they led to (None when the
        language question came first; the words ride on it)."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.caption is not None
        if await self._language_first(update, message.caption):
            return None
        step = await self.intake.text(
            update.update_id,
            user.id,
            message.caption,
            album=message.media_group_id,
            message=message.message_id,
        )
        self._saved(step, context)
        # Saved: its number comes with the themes heard, as after typed words.
        return await self._heard(step)

    async def end_side_prompt(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Before any command but /start and /cancel: a comment or an answer the bot was
        waiting for ends, and the citizen is told, since their next text is not it."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        command = message.text.split()[0].split("@")[0].casefold()
        if command in ("/start", "/cancel"):
            return  # /start asks about it; /cancel ends it and says so itself
        await self._send(message, await self.intake.end_side_prompt(update.update_id, user.id))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        step = await self.intake.cancel(update.update_id, user.id)
        ended = await self.end_edit(user.id, context.bot) if self.end_edit else None
        if step.show is Show.NOTHING_TO_CANCEL:
            if ended is not None:
                await safely.quietly(message.reply_text(ended))
                return
            who = await self.roles.who(user.id)
            if who.admin or who.moderates or who.provider:
                # Not the citizens' "Send /start to tell us about a service".
                await safely.quietly(message.reply_text(texts.STAFF_NOTHING_TO_CANCEL))
                return
        await self._send(message, step)
        if ended is not None:
            await safely.quietly(message.reply_text(ended))

    async def mine(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/mine: the citizen's items and their status, over several messages if need be."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        for text in pack(_mine(await self.intake.mine(user.id), self.names)):
            try:
                await message.reply_text(text, parse_mode=ParseMode.HTML)
            except Forbidden:
                log.info("citizen blocked the bot; /mine not delivered")
                return

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help: what this person can do, their staff roles included."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        await message.reply_text(await self._help(user.id), parse_mode=ParseMode.HTML)

    async def _help(self, telegram_id: int) -> str:
        """What /help lists for this person: their staff roles, and /language where offered."""
        who = await self.roles.who(telegram_id)
        text = texts.HELP
        if who.admin:
            text += texts.STAFF_HELP["admin"]
        if who.moderates:
            text += texts.STAFF_HELP["moderator"]
        if who.provider or who.admin:
            text += texts.STAFF_HELP["provider"]
        if self.language and self.language.choice:
            text += texts.HELP_LANGUAGE
        return text

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command we do not have: the same list as /help."""
        message, user = update.effective_message, update.effective_user
        assert message
        listed = await self._help(user.id) if user is not None else texts.HELP
        await message.reply_text(texts.UNKNOWN_COMMAND + listed, parse_mode=ParseMode.HTML)

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any inline button of the citizen conversation."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        if (query.data or "").startswith(f"{EXACT_PREFIX}:"):
            await self._exact(update.update_id, user.id, query)
            return
        if (query.data or "").startswith(f"{THEMES_PREFIX}:"):
            await self._themes_press(update.update_id, user.id, query, context)
            return
        original = _original(query)
        step = await self._press(
            update.update_id,
            user.id,
            query.data or "",
            _answered(query),
            original.message_id if original is not None else None,
        )
        if step is None:
            log.info("ignored unknown callback data %r from a citizen", (query.data or "")[:64])
            step = Step(Show.EXPIRED)
        if step.show is Show.NOTHING:
            return
        if step.show is Show.EXPIRED:
            # An item offered that left the published ones meanwhile: say so, in a box that
            # stays until read (the offer stays, with "It's different").
            alerts = {
                "metoo_gone": texts.METOO_GONE,
                "metoo_elsewhere": texts.METOO_ELSEWHERE,
                "undo_late": texts.METOO_UNDO_LATE,
                "undo_done": texts.METOO_UNDO_DONE,
                "undo_busy": texts.METOO_UNDO_BUSY,
            }
            said = alerts.get(step.note, texts.EXPIRED)
            await safely.answer(query.answer(said, show_alert=step.note in alerts))
            return
        await self._show_pressed(query, step, context)

    async def location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A location shared in the private chat: kept with the item being told."""
        message, user = update.effective_message, update.effective_user
        assert message and user and message.location
        where = message.location
        # How uncertain the point is (a phone located by its cell tower: up to 1,500 m).
        step = await self.intake.location(
            update.update_id, user.id, where.latitude, where.longitude, where.horizontal_accuracy
        )
        if step.show is Show.NOTHING:
            return
        asked = await self.intake.consent_question(user.id) if step.note == "consent" else None
        if asked is not None:
            # Not kept before agreeing: said above the question itself.
            text, markup = render(asked, self.names)
            text = f"{texts.MEDIA_NOTES['place_consent_below']}\n\n{text}"
        elif step.show is Show.MEDIA:
            # Said of a place, not of the photos and voice notes the same answers speak of.
            note = _PLACE_NOTES.get(step.note, step.note)
            text, markup = str(texts.MEDIA_NOTES.get(note, texts.MEDIA_NOTES["no_item"])), None
        elif step.note == "place_kept":
            text, markup = with_place(step, self.names)
        elif step.note == "place_outside":
            text, markup = render(replace(step, note=""), self.names)
            text = f"{texts.MEDIA_NOTES['place_outside']}\n\n{text}"
        else:
            text, markup = render(await self._heard(step), self.names, self.labels)
        try:
            sent = await message.reply_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
            await self.questions.shown(context.bot, sent, markup)
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
        self._saved(step, context)

    async def _themes_press(
        self,
        update_id: int,
        telegram_id: int,
        query: CallbackQuery,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        """A press on the themes heard: show them to tick, switch one, or go back."""
        parts = (query.data or "").split(":")
        try:
            item_id, action = _number(parts[1]), parts[2]
            shapes = {"o": 3, "d": 3, "1": 4, "0": 4}
            if self.themes is None or shapes.get(action) != len(parts):
                raise ValueError(query.data)
        except (IndexError, ValueError):
            log.info("ignored unknown theme button %r from a citizen", (query.data or "")[:64])
            await safely.answer(query.answer(texts.EXPIRED))
            return
        themes = self.themes
        if action == "d":
            step = await themes.saved(telegram_id, item_id)
            if step is None:
                await safely.answer(query.answer(texts.HEARD_NOT_THEIRS, show_alert=True))
                return
            await self._show_pressed(query, step, context)
            return
        if action == "o":
            heard = await themes.shown(telegram_id, item_id)
        else:
            heard = await themes.switch(update_id, telegram_id, item_id, parts[3], action == "1")
        if heard.card is not None and self.redraw_card is not None:
            try:
                await self.redraw_card(context, heard.card)
            except TelegramError as exc:
                # The citizen's choice is stored: the card shows it when next drawn.
                log.warning("card of #%s not redrawn after its author's themes: %s", item_id, exc)
        refused = {
            Problem.NOT_THEIRS: texts.HEARD_NOT_THEIRS,
            Problem.DECIDED: texts.HEARD_DECIDED.format(reference=item_id),
            Problem.UNKNOWN_THEME: texts.HEARD_UNKNOWN_THEME,
        }
        if heard.problem in refused:
            assert heard.problem is not None
            await safely.answer(query.answer(refused[heard.problem], show_alert=True))
            return
        note = texts.HEARD_MODERATOR_SET if heard.problem is Problem.MODERATOR_SET else None
        markup = theme_keyboard(heard, themes.broad(), self.labels)
        results = await asyncio.gather(
            safely.answer(query.answer(note, show_alert=bool(note))),
            query.edit_message_text(
                texts.HEARD_PICK.format(reference=item_id),
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            ),
            return_exceptions=True,
        )
        edit = results[1]
        if isinstance(edit, BadRequest) and "not modified" in edit.message:
            return
        if isinstance(edit, Forbidden):
            log.info("citizen blocked the bot; themes not shown")
        elif isinstance(edit, BaseException):
            raise edit

    async def _exact(self, update_id: int, telegram_id: int, query: CallbackQuery) -> None:
        """Keep the exact point of a location just shared; the button goes, the step stays."""
        parts = (query.data or "").split(":")
        try:
            seq, latitude, longitude = _number(parts[1]), float(parts[2]), float(parts[3])
        except (IndexError, ValueError):
            seq, latitude, longitude = -1, float("nan"), float("nan")
        done = await self.intake.exact_place(update_id, telegram_id, seq, latitude, longitude)
        said = {Exact.KEPT: texts.PLACE_EXACT_KEPT, Exact.REPLACED: texts.PLACE_EXACT_REPLACED}
        await safely.answer(query.answer(said.get(done, texts.EXPIRED)))
        message = query.message
        if done == Exact.KEPT and isinstance(message, Message) and message.reply_markup is not None:
            rows = [
                row
                for row in message.reply_markup.inline_keyboard
                if not any((b.callback_data or "") == query.data for b in row)
            ]
            markup = InlineKeyboardMarkup(rows) if rows else None
            await safely.quietly(message.edit_reply_markup(markup))
            self.questions.redrawn(message, markup)

    async def after_language(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, mode: str, payload: str
    ) -> None:
        """A language chosen at first contact: carry on where the bot would have gone, in it
        (the /start link it answered, or the words it was a reply to)."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        words = _answered(query) if mode == FIRST_TEXT else ""
        original = _original(query)
        if original is not None and self.intake.taken(user.id, original.message_id):
            words = ""  # they went on, with later words, when she agreed
        if words:
            step = await self.intake.text(
                update.update_id,
                user.id,
                words,
                message=original.message_id if original is not None else None,
            )
        else:
            step = await self.intake.start(update.update_id, user.id, payload)
        if step.show is Show.NOTHING:
            await safely.answer(query.answer())
            return
        # A first voice note, photo or place the language question answered: not kept.
        lead = _not_kept_before_consent(query) if step.show is Show.CONSENT else ""
        await self._show_pressed(query, step, context, lead)

    async def _show_pressed(
        self,
        query: CallbackQuery,
        step: Step,
        context: ContextTypes.DEFAULT_TYPE,
        lead: str = "",
    ) -> None:
        """The next step, in place of the message whose button was pressed (`lead` above)."""
        step = await self._heard(step)
        text, markup = render(step, self.names, self.labels)
        text = f"{lead}\n\n{text}" if lead else text
        # One round trip: answer the press and show the next step at the same time.
        results = await asyncio.gather(
            safely.answer(query.answer()),
            query.edit_message_text(text, reply_markup=markup, parse_mode=ParseMode.HTML),
            return_exceptions=True,
        )
        self._saved(step, context)
        if step.show is Show.JOINED and self.joined is not None:
            self.joined(context)
        edit = results[1]
        if not isinstance(edit, BaseException):
            await self.questions.shown(context.bot, query.message, markup, answered=True)
        if isinstance(edit, BadRequest) and "not modified" in edit.message:
            return
        if isinstance(edit, BadRequest) and isinstance(query.message, Message):
            # The message is gone (deleted by the person): say it as a new one instead.
            await self._send(query.message, step)
        elif isinstance(edit, BaseException) and not isinstance(edit, Forbidden):
            if step.show is Show.CONSENT:
                self.intake.consent_not_delivered(query.from_user.id)
            raise edit

    async def _press(
        self,
        update_id: int,
        telegram_id: int,
        data: str,
        words: str = "",
        words_id: int | None = None,
    ) -> Step | None:
        prefix, _, rest = data.partition(":")
        parts = rest.split(":")
        intake = self.intake
        try:
            if prefix == CONSENT_PREFIX and parts[0] in {"y", "n"} and len(parts) >= 2:
                slug = parts[2] if len(parts) > 2 else ""
                given = parts[0] == "y"
                return await intake.consent(
                    update_id,
                    telegram_id,
                    given,
                    parts[1],
                    slug,
                    words if given else "",
                    words_id if given else None,
                )
            if prefix == DRAFT_PREFIX and parts[0] in {"y", "n"} and len(parts) == 2:
                return await intake.draft(update_id, telegram_id, parts[0] == "y", parts[1])
            if prefix == UNDO_JOIN_PREFIX and len(parts) == 1:
                return await intake.undo_join(update_id, telegram_id, _number(parts[0]))
            if len(parts) != 2:
                return None
            seq, choice = _number(parts[0]), parts[1]
            if prefix == SERVICE_PREFIX:
                return await intake.choose_service(update_id, telegram_id, seq, choice)
            if prefix == PAGE_PREFIX:
                return await intake.page(update_id, telegram_id, seq, _number(choice))
            if prefix == RATING_PREFIX:
                rating = _number(choice)
                return await intake.rate(update_id, telegram_id, seq, rating or None)
            if prefix == HEAR_BACK_PREFIX and choice in {"y", "n"}:
                return await intake.hear_back(update_id, telegram_id, seq, choice == "y")
            if prefix == INVOLVE_PREFIX and choice in {"y", "n"}:
                return await intake.involve(update_id, telegram_id, seq, choice == "y")
            if prefix == METOO_PREFIX and choice == "d":
                return await intake.different(update_id, telegram_id, seq)
            if prefix == METOO_PREFIX:
                return await intake.join(update_id, telegram_id, seq, _number(choice))
            if prefix == PLACE_PREFIX:
                return await intake.place(update_id, telegram_id, seq, choice)
            if prefix == SIDE_PREFIX and choice in {"s", "c", "n"}:
                return await intake.side_prompt(update_id, telegram_id, seq, choice)
        except ValueError:
            return None
        return None

    async def _language_of(self, telegram_id: int) -> str:
        """A citizen's language, for what is written to them outside their own updates."""
        if self.names is None:
            return current()
        try:
            return await self.names.of_person(telegram_id)
        except STORAGE_ERRORS as exc:
            log.warning("language of %s not read: %s", telegram_id, exc)
            return self.names.default

    async def _deliver(
        self, context: ContextTypes.DEFAULT_TYPE, telegram_id: int, step: Step
    ) -> None:
        """Send a step to a citizen outside their own updates, in their language."""
        with speaking(await self._language_of(telegram_id)):
            text, markup = render(step, self.names)
        sent = await context.bot.send_message(
            telegram_id, text, reply_markup=markup, parse_mode=ParseMode.HTML
        )
        await self.questions.shown(context.bot, sent, markup)

    async def _notice(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        telegram_id: int,
        step: Step,
        what: str,
        kept_at: datetime | None = None,
    ) -> None:
        """Send a time-out notice; one saying an item was saved that cannot reach the citizen
        (blocked, chat not found) is kept to be told when they are back, once (`kept_at`:
        when one kept already was first kept, kept again as of then)."""
        try:
            await self._deliver(context, telegram_id, step)
        except (Forbidden, BadRequest) as exc:
            if not _unreachable(exc):
                log.warning("%s not delivered: %s", what, exc.message)
                return
            kept = await self._keep(telegram_id, step, exc.message, True, kept_at)
            log.info(
                "citizen's chat cannot be reached (%s); %s %s",
                exc.message,
                what,
                "kept for their return" if kept else "not delivered",
            )
        except TelegramError as exc:
            # The network, a 5xx, a 429 past the limiter's tries: a notice that an item was
            # saved is kept and tried again at the next round of the time-out job.
            kept = await self._keep(telegram_id, step, str(exc), False, kept_at)
            log.warning("%s not delivered%s: %s", what, " (kept to try again)" if kept else "", exc)

    async def _keep(
        self, telegram_id: int, step: Step, reason: str, refused: bool, kept_at: datetime | None
    ) -> bool:
        """Keep a time-out notice that said an item was saved (True), to tell it later."""
        if step.show is not Show.TIMED_OUT or step.reference is None or self.missed is None:
            return False
        note = "metoo" if step.note == "metoo" else ""
        await self.missed(telegram_id, step.reference, note, reason, refused, kept_at)
        return True

    async def tell_missed(
        self, context: ContextTypes.DEFAULT_TYPE, telegram_id: int, notices: Sequence[MissedNotice]
    ) -> None:
        """Tell a citizen back the time-out notices they missed, each once (they were taken
        from the store before); one that cannot reach them again is kept again."""
        for notice in notices:
            step = Step(
                Show.TIMED_OUT,
                reference=notice.feedback_id,
                service=notice.service,
                # Rejected meanwhile: no answer from the service is to be promised.
                hear_back=notice.hear_back and notice.status != "rejected",
                note=notice.note,
            )
            await self._notice(context, telegram_id, step, "missed time-out notice", notice.kept_at)

    async def redraw_offer(self, bot: Bot, chat_id: int, message_id: int) -> bool:
        """Draw a citizen's "me too" offer again, searched anew, if it still waits (an item it
        quoted was erased); False if it is to be taken back (passed over by words typed
        since); True else (answered in its place meanwhile, or gone: left as it is)."""
        if chat_id <= 0:
            return False
        if await self.intake.offer_passed(chat_id, message_id):
            return False
        step = await self.intake.offer_redrawn(chat_id, message_id)
        if step is None or step.show is Show.NOTHING:
            return True
        with speaking(await self._language_of(chat_id)):
            text, markup = render(step, self.names)
        sent = await bot.edit_message_text(
            text, chat_id, message_id, reply_markup=markup, parse_mode=ParseMode.HTML
        )
        self.questions.redrawn(sent, markup)
        return True

    async def expire_idle(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: close conversations that went quiet, saying so (and saving any words)."""
        for telegram_id, step in await self.intake.expire_idle(self.conversation_timeout):
            self._saved(step, context)
            await self._notice(context, telegram_id, step, "time-out notice")
        if self.due_notices is not None:
            for telegram_id, notices in (await self.due_notices()).items():
                await self.tell_missed(context, telegram_id, notices)
        if self.albums_left is not None:
            # Albums' photos waiting for words: told if a restart lost that, dropped late.
            await self.albums_left(context)

    async def answer_again(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: a citizen whose answer a crash may have lost (what they sent was saved, the
        process died before the reply) is shown where they were, or the number of the item
        just saved, once; someone who had just taken a staff role is told it, once."""
        if self.language is not None and self.language.choice:
            # A newcomer's wordless first album, whose language question a restart lost.
            await self.language.ask_owed(context)
        if self.notes_owed is not None:
            await self.notes_owed(context)
        before, chats = await self.intake.unanswered(ANSWER_GRACE)
        done = []
        for chat, since in chats:
            accepted = await self.roles.lost_answer(chat) if chat > 0 else None
            try:
                if accepted is not None:
                    await self._welcome(context, chat, accepted)
                else:
                    # A person's private chat; groups' cards and digests recover on their own.
                    step = (
                        await self.intake.lost_answer(chat, since)
                        if chat > 0
                        else Step(Show.NOTHING)
                    )
                    if step.show is not Show.NOTHING:
                        await self._deliver(context, chat, step)
            except TimedOut as exc:
                if not safely.maybe_sent(exc):
                    # It never reached Telegram (no connection made): told at a later round.
                    log.warning("answer after a restart could not connect: next round")
                    continue
                # Telegram may have carried it out and answered late: taken as told, so that
                # it is never told twice.
                log.warning("answer after a restart timed out: taken as sent")
            except TelegramError as exc:
                if not _unreachable(exc):
                    log.warning("answer after a restart not sent now (%s): next round", exc)
                    continue
                # Blocked, or the chat gone: trying again at every round would not help.
                log.info("chat cannot be reached (%s): answer after a restart dropped", exc.message)
            done.append(chat)
        if done:
            await self.intake.answered(done, before)

    async def welcome_again(
        self, context: ContextTypes.DEFAULT_TYPE, chat: int, *, told: bool = False
    ) -> bool:
        """Tell a newcomer the welcome whose sending Telegram failed (a 5xx), if the update
        that failed gave them a role (True; its error said nothing else); not when Telegram
        may have `told` it already (a timeout), so that it is never told twice."""
        accepted = await self.roles.lost_answer(chat)
        if accepted is None:
            return False
        if told:
            log.warning("welcome timed out: taken as sent")
            return True
        try:
            await self._welcome(context, chat, accepted)
        except TelegramError as exc:
            log.warning("welcome not sent again: %s", exc)
        return True

    async def _welcome(
        self, context: ContextTypes.DEFAULT_TYPE, chat: int, accepted: Accepted
    ) -> None:
        """Tell a person the role they took, outside its own update."""
        # The language it was first written in (Telegram's, for one who chose none).
        with speaking(accepted.language or await self._language_of(chat)):
            text = self.admin.accepted_text(accepted)
        await context.bot.send_message(chat, text, parse_mode=ParseMode.HTML)


def _unreachable(exc: TelegramError) -> bool:
    """Whether Telegram's refusal says the chat cannot be written to: blocked, not found."""
    return isinstance(exc, Forbidden) or "chat not found" in exc.message.lower()


# The largest number the database keeps as an integer (as handlers.common.id_number).
_LARGEST = 2**63 - 1


def _number(text: str) -> int:
    """A number carried by a button: ASCII digits, within what the database holds. Anything
    else ("-3", "1e3", "١", twenty nines) is forged data: ValueError, so the press does
    nothing (a number past the database's integers used to fail the handler)."""
    if not (text.isascii() and text.isdigit()) or int(text) > _LARGEST:
        raise ValueError(f"not a number of ours: {text[:30]!r}")
    return int(text)


def _original(query: CallbackQuery) -> Message | None:
    """The person's own message that the pressed message answers, if any."""
    message = query.message
    if not isinstance(message, Message) or message.reply_to_message is None:
        return None
    original = message.reply_to_message
    if original.from_user is None or original.from_user.id != query.from_user.id:
        return None
    return original


def message_kind(message: Message) -> str:
    """Which kind of unusable message this is, as a key of texts.UNSUPPORTED."""
    if message.forward_origin is not None or (message.via_bot is not None and not message.text):
        # A picture another bot found (inline results) is someone else's, as a forward is.
        return "forwarded"
    if message.video_note is not None:
        return "video"  # a round one: a video all the same
    for kind in (
        "photo",
        "video",
        "voice",
        "audio",
        "sticker",
        "animation",
        "document",
        "location",
        "contact",
    ):
        if getattr(message, kind):
            return kind
    return "other"


def _not_kept_before_consent(query: CallbackQuery) -> str:
    """Why what the pressed message answers was not kept (sent before agreeing, or a kind
    never kept), or "" if it answers none or only words."""
    original = _original(query)
    if original is None:
        return ""
    if message_kind(original) == "forwarded":
        return str(texts.UNSUPPORTED["forwarded"])
    if original.photo or original.voice:
        return str(texts.MEDIA_NOTES["consent_below"])
    if original.location or original.venue:
        return str(texts.MEDIA_NOTES["place_consent_below"])
    if original.text or original.caption:
        return ""
    # A contact, sticker, poll... first: the language question answered it, so this is
    # where she hears it was not kept.
    return str(texts.UNSUPPORTED[message_kind(original)])


def _answered(query: CallbackQuery) -> str:
    """The person's own words that the pressed message answers (a consent question sent in
    reply to feedback typed before consent), or ""."""
    original = _original(query)
    if original is None or message_kind(original) == "forwarded":
        # A forward the language question answered is someone else's words, never hers.
        return ""
    return original.text or original.caption or ""
