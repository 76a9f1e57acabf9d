"""The moderators' chat: item cards with buttons, edits, the queue, and their jobs."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from babel import Locale, UnknownLocaleError
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ContextTypes

from bot import i18n
from bot.chatmoves import Move
from bot.i18n import Plural, current, speaking
from bot.languages import Languages, endonym
from bot.moderation import (
    CARD_ATTEMPTS,
    KINDS,
    Card,
    Moderation,
    Outcome,
    Problem,
    Reason,
    Stuck,
    percent,
)
from bot.privacy import Privacy
from bot.ratelimit import NO_RETRY, seconds
from bot.roles import Role, Roles, Who
from handlers import safely, texts
from handlers.bidi import isolate
from handlers.commands import publish_for
from handlers.common import command_allowed, id_number
from handlers.fitting import MESSAGE_LIMIT, cut, fit, person, visible_length
from handlers.places import command_of
from handlers.texts import esc
from storage.engines import STORAGE_ERRORS
from storage.feedback import ItemTheme, Moderated
from storage.places import Place

if TYPE_CHECKING:
    from handlers.media import MediaHandlers

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "m"
# Actions on a card, as they appear in callback data: m:<action>:<item>:<version>[:<arg>].
APPROVE, EDIT, THEMES, REJECT_MENU, REJECT, TOGGLE, ORIGINAL, BACK = "a e t x r g o b".split()
# Taking a decision back within the undo window; withdrawing a published item later (a menu
# of reasons, then the reason); the Cancel button under an edit prompt.
UNDO, UNPUBLISH_MENU, UNPUBLISH, CANCEL_EDIT = "u p y n".split()
# The whole text of a shortened card; an item's full card from a list of several; a card
# posted on a moderator's word from /queue.
WHOLE, VIEW, POST = "w v c".split()
# The menu of kinds, and setting the kind (m:s:<item>:<version>:<kind>).
KIND_MENU, SET_KIND = "k s".split()
# Writing a summary in the default language (the moderator's next reply, as for an edit).
SUMMARY = "z"
# Presses that leave a moderator's pending edit of the same item alone (looking, tagging).
KEEP_EDIT = {
    EDIT,
    SUMMARY,
    THEMES,
    TOGGLE,
    KIND_MENU,
    SET_KIND,
    BACK,
    ORIGINAL,
    WHOLE,
    REJECT_MENU,
    CANCEL_EDIT,
}
# More cards due than half the messages a group may get in a minute (10 under Telegram's
# 20): they go out as lists of BATCH_SIZE items, so the moderators' chat keeps up.
GROUP_PER_MINUTE = 20
BATCH_SIZE = 8
# The sweep that posts the cards a 429 held back, once Telegram's wait is over.
SWEEP_AFTER_WAIT = "moderation-sweep-after-429"
# How much of each item a list of several quotes (UTF-16 units), longest first.
EXCERPTS = (240, 120, 40, 0)
# A card lists this many things to check at most, each quoted to this many UTF-16 units.
CHECK_SHOWN = 5
CHECK_QUOTE = 32


def in_moderators_language(
    method: Callable[..., Coroutine[Any, Any, T]],
) -> Callable[..., Coroutine[Any, Any, T]]:
    """For a method that writes in the moderators' chat: in that chat's language, whoever's
    update (a citizen's new item, a job) led to it."""

    @functools.wraps(method)
    async def speaking_theirs(self: ModeratorHandlers, *args: Any, **kwargs: Any) -> T:
        with speaking(self.moderation.deployment.moderators_language):
            return await method(self, *args, **kwargs)

    return speaking_theirs


def _place(place: Place) -> str:
    """The card's line about where it happened: the site, and the point as a map link."""
    parts = [esc(place.site)] if place.site else []
    if place.latitude is not None and place.longitude is not None:
        lat, lon = place.latitude, place.longitude
        link = (
            f"https://www.openstreetmap.org/?mlat={lat:.6f}&amp;mlon={lon:.6f}"
            f"#map=17/{lat:.6f}/{lon:.6f}"
        )
        template = texts.CARD_PLACE_EXACT if place.exact else texts.CARD_PLACE_ROUGH
        digits = 5 if place.exact else 3
        parts.append(template.format(link=link, point=f"{lat:.{digits}f}, {lon:.{digits}f}"))
    return texts.CARD_PLACE.format(place=" · ".join(parts))


def render_card(
    card: Card, labels: dict[str, str], menu: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of an item's card, within Telegram's limit whatever the text."""
    item = card.item
    top = [_head(card)]
    other = card.other_language
    if other is not None:
        top.append(texts.CARD_LANGUAGE.format(language=esc(language_name(other))))
    active = [_theme(t, labels) for t in card.themes if t.active]
    themes = texts.CARD_THEMES.format(themes=esc(", ".join(active))) if active else ""
    by_author = texts.CARD_THEMES_BY_AUTHOR if card.themes_by_author else ""
    top.append((themes or texts.CARD_NO_THEMES) + by_author)
    if card.model_unread and not card.themes_checked:
        top.append(texts.CARD_LANGUAGE_THEMES)
    unsure = _unsure(card)
    if unsure:
        top.append(unsure)
    if item.response_id is not None:
        top.append(texts.CARD_COMMENT.format(response=item.response_id))
    if item.ask_id is not None:
        top.append(texts.CARD_ANSWER.format(ask=item.ask_id))
    for voice in (m for m in card.media if m.kind == "voice"):
        # "Confirmed" only when the words hold the draft the author said was right (a draft
        # ignored, or words typed instead of it, are the author's own words, not a draft).
        confirmed = bool(voice.transcript) and (voice.transcript or "") in item.text
        line = texts.CARD_VOICE_DRAFT if confirmed else texts.CARD_VOICE
        top.append(line.format(seconds=voice.duration))
    photos = sum(m.kind == "photo" for m in card.media)
    if photos:
        top.append(texts.CARD_PHOTOS.format(photos))
    if card.place is not None and card.place.known:
        top.append(_place(card.place))
    tail = []
    kinds = card.removed_kinds
    if kinds:
        tail.append(
            texts.CARD_REDACTED.format(
                kinds=", ".join(texts.REDACTION_KINDS.get(k, k) for k in kinds)
            )
        )
    check = card.to_check
    if check:
        items = [
            texts.CARD_CHECK_ITEM.format(kind=_check_kind(kind), text=isolate(esc(_quote(text))))
            for kind, text in check[:CHECK_SHOWN]
        ]
        if len(check) > CHECK_SHOWN:
            items.append(texts.CARD_CHECK_MORE.format(len(check) - CHECK_SHOWN))
        tail.append(texts.CARD_CHECK.format(items=", ".join(items)))
    if item.edited_text:
        tail.append(texts.CARD_EDITED)
    if item.summary:
        tail.append(texts.CARD_SUMMARY.format(summary=isolate(esc(item.summary))))
    if item.kind_set_by is not None and item.model_kind and item.model_kind != item.kind:
        tail.append(texts.CARD_KIND_SET.format(model=texts.KINDS.get(item.model_kind, "?")))
    tail.append(_status(card))
    marks = card.placeholders

    def render(quoted: str) -> str:
        # Isolated: a direction override in the text must not turn the lines around it.
        return "\n".join([*top, "", isolate(_marked(quoted, marks)), "", *tail])

    text, more = fit(render, card.shown_text)
    return text, _keyboard(card, labels, menu, shortened=more > 0)


def language_name(language: str) -> str:
    """A language's name in the language spoken now, with its own name beside it when they
    differ ("Welsh · Cymraeg"); the code itself when it is not a language Babel knows."""
    if language == "und":
        return language
    try:
        native = endonym(language)
        here = Locale.parse(language).get_display_name(i18n.current()) or native
    except (ValueError, TypeError, UnknownLocaleError):
        return language
    here = here[:1].upper() + here[1:]
    return here if here == native else f"{here} · {native}"


def _theme(theme: ItemTheme, labels: dict[str, str]) -> str:
    """A theme as the card lists it: with the model's score, unless a person set it."""
    label = labels.get(theme.theme_id, theme.theme_id)
    if theme.source in ("moderator", "citizen"):
        return label
    return texts.CARD_THEME_SCORE.format(label=label, percent=percent(theme.score))


def _unsure(card: Card) -> str:
    """The line saying where the model is unsure, so moderators know where to look ('' if
    it is sure of both the kind and the themes)."""
    parts = []
    kind = card.unsure_kind
    if kind is not None:
        parts.append(texts.CARD_UNSURE_KIND.format(percent=percent(kind)))
    best = card.unsure_themes
    if best is not None:
        parts.append(
            texts.CARD_UNSURE_THEMES.format(percent=percent(best))
            if best > 0
            else texts.CARD_UNSURE_NO_THEME
        )
    return texts.CARD_UNSURE.format(what=texts.CARD_UNSURE_JOIN.join(parts)) if parts else ""


def _check_kind(kind: str) -> str:
    return texts.CHECK_KINDS.get(kind) or texts.REDACTION_KINDS.get(kind, kind)


def _quote(text: str) -> str:
    """A flagged part of an item, short enough for a line of the card."""
    text = " ".join(text.split())
    short = cut(text, CHECK_QUOTE)
    return short if short == text else short + "…"


def _head(card: Card) -> str:
    item = card.item
    rating = texts.CARD_RATING.format(rating=item.rating) if item.rating else ""
    return texts.CARD_HEAD.format(
        item=item.id, service=esc(item.service_name), rating=rating, kind=kind_text(item)
    )


def kind_text(item: Moderated) -> str:
    """The item's kind as the card shows it: mixed feedback names every kind the model found,
    until a moderator sets one."""
    main = texts.KINDS.get(item.kind or "", item.kind or "feedback")
    if item.kind_set_by is not None or not item.also_kinds:
        return main
    try:
        others = [str(k) for k in json.loads(item.also_kinds)]
    except (ValueError, TypeError):
        return main
    names = [main] + [texts.KINDS[k] for k in others if k in texts.KINDS and k != item.kind]
    return texts.KINDS_JOINER.join(names)


def _status(card: Card) -> str:
    item = card.item
    # A moderator's name as they chose it, kept to itself on the line (an open right-to-left
    # override in it would turn the rest of the line round).
    who = (
        person(card.moderator_name)
        if card.moderator_name
        else esc(texts.CARD_AUTO if item.moderated_by is None else texts.CARD_SOMEONE)
    )
    at = (item.moderated_at or "")[11:16]
    reason = texts.REASONS.get(item.reject_reason or "", item.reject_reason or "")
    if item.status == "withdrawn":
        # A reason from the card's menu, or a moderator's own words from /unpublish.
        why = item.withdrawn_reason or ""
        reason = texts.REASONS.get(why) or esc(why)
    if item.status == "merged":
        into = (item.withdrawn_reason or "").lstrip("#")
        return texts.MERGE_CARD_STATUS.format(item=esc(into), who=who, at=at)
    return texts.CARD_STATUS[item.status].format(who=who, at=at, reason=reason)


def render_batch(cards: list[Card]) -> tuple[str, InlineKeyboardMarkup]:
    """One message listing several items (excerpts), with buttons for each."""
    if not cards:
        return texts.BATCH_EMPTY, InlineKeyboardMarkup([])
    button = InlineKeyboardButton
    rows = []
    for card in cards:
        row = [button(texts.BATCH_VIEW.format(item=card.item.id), callback_data=_data(VIEW, card))]
        if card.item.status == "pending":
            approve = texts.BATCH_APPROVE.format(item=card.item.id)
            row.insert(0, button(approve, callback_data=_data(APPROVE, card)))
        rows.append(row)
    for room in EXCERPTS:
        lines = [texts.BATCH_HEAD.format(len(cards))]
        for card in cards:
            shown = card.shown_text
            excerpt = cut(shown, room)
            if len(excerpt) < len(shown):
                excerpt += "…"
            item = card.item
            lines += [
                "",
                texts.BATCH_LINE.format(
                    item=item.id,
                    service=esc(item.service_name),
                    rating=texts.CARD_RATING.format(rating=item.rating) if item.rating else "",
                    kind=kind_text(item),
                    excerpt=isolate(esc(excerpt)),
                    status=_check_line(card) + _status(card),
                ),
            ]
        text = "\n".join(lines)
        if visible_length(text) <= MESSAGE_LIMIT:
            break
    return text, InlineKeyboardMarkup(rows)


def _check_line(card: Card) -> str:
    """In a list of several items: what to check in this one before approving it, kinds
    only (its card quotes them), on a line of its own; '' when nothing."""
    kinds = list(dict.fromkeys(_check_kind(kind) for kind, _ in card.to_check))
    return texts.BATCH_CHECK.format(kinds=", ".join(kinds)) + "\n" if kinds else ""


def _marked(text: str, marks: list[tuple[int, int]]) -> str:
    """The text with the bot's own redaction placeholders in bold, so moderators see what
    was removed; brackets a person typed stay as they typed them."""
    out, at = [], 0
    for start, end in marks:
        if start < at or end > len(text) or text[start] != "[" or text[end - 1] != "]":
            continue  # cut off by shortening
        out.append(esc(text[at:start]))
        out.append(f"<b>{esc(text[start:end])}</b>")
        at = end
    out.append(esc(text[at:]))
    return "".join(out)


def split_text(text: str, room: int) -> list[str]:
    """`text` in parts of at most `room` UTF-16 units, cut at word boundaries where near."""
    parts, rest = [], text
    while rest:
        head = cut(rest, room) or rest[:room]
        parts.append(head)
        rest = rest[len(head) :].lstrip()
    return parts or [""]


def _data(action: str, card: Card, arg: str = "") -> str:
    return ":".join(
        p for p in (PREFIX, action, str(card.item.id), str(card.item.version), arg) if p
    )


def _keyboard(
    card: Card, labels: dict[str, str], menu: str, shortened: bool = False
) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton
    if menu == REJECT_MENU and card.item.status == "pending":
        rows = [
            [button(label, callback_data=_data(REJECT, card, reason))]
            for reason, label in texts.REASONS.items()
        ]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    if menu == UNPUBLISH_MENU and card.item.status == "approved":
        rows = [
            [button(label, callback_data=_data(UNPUBLISH, card, reason))]
            for reason, label in texts.REASONS.items()
        ]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    if menu == KIND_MENU:
        rows = [
            [
                button(
                    texts.KIND_CHOSEN.format(kind=label) if kind == card.item.kind else label,
                    callback_data=_data(SET_KIND, card, kind),
                )
                for kind, label in list(texts.KIND_CHOICES.items())[i : i + 2]
            ]
            for i in range(0, len(texts.KIND_CHOICES), 2)
        ]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    if menu == THEMES:
        active = {t.theme_id for t in card.themes if t.active}
        toggles = [
            button(
                ("✓ " if theme_id in active else "") + label,
                # What the press means (on or off) travels with it: a switch made meanwhile
                # by the author is not undone by a tap on what the menu showed before.
                callback_data=_data(TOGGLE, card, f"{theme_id}:{0 if theme_id in active else 1}"),
            )
            for theme_id, label in labels.items()
        ]
        rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    original = button(texts.ORIGINAL, callback_data=_data(ORIGINAL, card))
    last = [original]
    if shortened:
        last.append(button(texts.WHOLE_TEXT, callback_data=_data(WHOLE, card)))
    if card.item.status == "pending":
        rows = [
            [
                button(texts.APPROVE, callback_data=_data(APPROVE, card)),
                button(texts.EDIT, callback_data=_data(EDIT, card)),
            ],
            [
                button(texts.THEMES, callback_data=_data(THEMES, card)),
                button(texts.KIND, callback_data=_data(KIND_MENU, card)),
                button(texts.REJECT, callback_data=_data(REJECT_MENU, card)),
            ],
        ]
        # Written in another language than providers read (or summarised already).
        if card.other_language is not None or card.item.summary:
            name = language_name(card.default_language)
            rows.append(
                [button(texts.SUMMARY.format(language=name), callback_data=_data(SUMMARY, card))]
            )
        return InlineKeyboardMarkup([*rows, last])
    themes = button(texts.THEMES, callback_data=_data(THEMES, card))
    kind = button(texts.KIND, callback_data=_data(KIND_MENU, card))
    rows = [[themes, kind, original]]
    if shortened:
        rows.append(last[1:])
    # Within the window a decision can be taken back; after it, a published item can only
    # be withdrawn, with a reason.
    if card.undoable:
        rows.insert(0, [button(texts.UNDO, callback_data=_data(UNDO, card))])
    elif card.item.status == "approved":
        rows.insert(0, [button(texts.UNPUBLISH, callback_data=_data(UNPUBLISH_MENU, card))])
    return InlineKeyboardMarkup(rows)


def _age(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return texts.AGE_MINUTES.format(minutes)
    if minutes < 48 * 60:
        return texts.AGE_HOURS.format(minutes // 60, minutes=minutes % 60)
    return texts.AGE_DAYS.format(minutes // (24 * 60))


def _stuck_line(stuck: Stuck) -> str:
    """A line of /queue on a card that needs a look."""
    entry = texts.QUEUE_STUCK[stuck.why]
    values = {"item": stuck.item_id, "service": esc(stuck.service_name)}
    if isinstance(entry, Plural):
        return entry.format(CARD_ATTEMPTS, error=_refusal(stuck.error, 100, esc), **values)
    return entry.format(**values)


class ModeratorHandlers:
    """Callbacks for moderators, bound to the moderation and roles cores."""

    def __init__(
        self,
        moderation: Moderation,
        roles: Roles,
        moderators_chat: int | None,
        privacy: Privacy | None = None,
        languages: Languages | None = None,
    ) -> None:
        self.moderation = moderation
        # Each author is told about their item in their own language.
        self.languages = languages
        # Records messages carrying a citizen's words, to take back when they are forgotten.
        self.privacy = privacy
        self.roles = roles
        self.moderators_chat = moderators_chat
        self.labels = moderation.tagger.labels
        self._sweeping = asyncio.Lock()
        self._again = False
        # Set when the bot stops: long loops end early; what is left is done after restart.
        self.stopping = False
        # Posts an item's voice note and photos under its card (handlers/media.py).
        self.media: MediaHandlers | None = None
        # Takes back the messages queued to go (PrivacyHandlers.clean): the photos a
        # provider asked for leave their chat as soon as the item's approval is undone, the
        # voice note as soon as it is decided where there is no undo window.
        self.take_back: Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]] | None = (
            None
        )
        # The menu open on each card message, so that a card drawn again for another reason
        # (its author switched a theme) does not close it under a moderator's finger.
        self._menus: dict[tuple[int, int], str] = {}

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any button on a card."""
        query, user = update.callback_query, update.effective_user
        assert query and user
        parts = (query.data or "").split(":")
        who = await self.roles.who(user.id)
        if not who.moderates:
            await self.roles.denied(who, "card button", query.data or "")
            await safely.answer(query.answer(texts.NOT_ALLOWED_BUTTON, show_alert=True))
            return
        try:
            _, action, item_text, version_text, *rest = parts
            item_id, version = id_number(item_text), id_number(version_text)
            if item_id is None or version is None:
                raise ValueError(query.data)
        except ValueError:
            await self.roles.denied(who, "malformed card button", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        arg = rest[0] if rest else ""
        if action not in (POST, CANCEL_EDIT):
            await self._reconcile(query.message)
        if action == CANCEL_EDIT:
            await self._cancel_edit(query, who, item_id, context.bot)
            return
        # Pressing anything else (another card's button, a decision) ends a pending edit:
        # its prompt goes, and the moderator's next reply is not taken as a new text.
        editing = await self.moderation.editing(who)
        if editing is not None and (editing != item_id or action not in KEEP_EDIT):
            await self._end_edit(who, context.bot)
        if action in (REJECT_MENU, THEMES, KIND_MENU, BACK, UNPUBLISH_MENU):
            await self._menu(query, item_id, version, action)
            return
        if action == ORIGINAL:
            await self._original(query, who, item_id, context)
            return
        if action in (EDIT, SUMMARY):
            await self._begin_edit(query, who, item_id, version, context, action == SUMMARY)
            return
        if action == WHOLE:
            await self._whole(query, who, item_id, context)
            return
        if action in (VIEW, POST):
            await self._post_on_request(query, item_id, context, from_list=action == VIEW)
            return
        outcome = await self._act(who, action, item_id, version, arg, rest[1:])
        if outcome is None:
            await self.roles.denied(who, "unknown card action", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        problem = (
            texts.MOD_NEEDS_TRANSCRIPT
            if outcome.problem == Problem.NEEDS_TRANSCRIPT
            else texts.MOD_PROBLEMS[outcome.problem].format(item=item_id)
            if outcome.problem
            else ""
        )
        menu = THEMES if action == TOGGLE and not outcome.problem else ""
        listed = False
        if not problem and action == APPROVE and outcome.card is not None:
            # Approving the words decides nothing about the photos: say so, once. A list
            # shows no photos: the item's own card is posted, with them under it.
            undecided = sum(
                1 for m in outcome.card.media if m.kind == "photo" and m.status == "pending"
            )
            listed = undecided > 0 and outcome.card.item.card_batched
            if listed:
                problem = texts.MOD_PHOTOS_UNDECIDED_LISTED.format(undecided)
            elif undecided:
                problem = texts.MOD_PHOTOS_UNDECIDED.format(undecided)
        if not problem and outcome.also:
            # Unpublished or rejected: what was merged into it is back in the queue.
            problem = _unmerged(outcome.also, SHOWN_ON_BUTTON)
        await asyncio.gather(
            safely.answer(query.answer(problem or None, show_alert=bool(problem))),
            self._show(query.message, outcome.card, menu),
            *(self._refresh_card(context, card) for card in outcome.also),
        )
        if listed:
            await self._post_on_request(query, item_id, context, from_list=True, answer=False)
        if outcome.problem is None and action in (APPROVE, REJECT, UNDO) and self.take_back:
            # What the decision queued to go (an undo's photos; without an undo window, the
            # voice note) leaves now, not at the next sweep.
            context.application.create_task(self.take_back(context))
        if outcome.problem is None and action in (APPROVE, REJECT, UNDO):
            await self.tell_authors(context)

    async def _act(
        self, who: Who, action: str, item_id: int, version: int, arg: str, more: list[str]
    ) -> Outcome | None:
        if action == APPROVE:
            return await self.moderation.approve(who, item_id, version)
        if action == REJECT and arg in set(Reason):
            return await self.moderation.reject(who, item_id, version, Reason(arg))
        if action == TOGGLE:
            # Buttons drawn before the press carried its meaning toggle, as they did.
            on = {"1": True, "0": False}.get(more[0]) if more else None
            if len(more) > 1 or (more and on is None):
                return None
            return await self.moderation.toggle_theme(who, item_id, version, arg, on)
        if action == SET_KIND and arg in KINDS:
            return await self.moderation.set_kind(who, item_id, version, arg)
        if action == UNDO:
            return await self.moderation.undo(who, item_id, version)
        if action == UNPUBLISH and arg in set(Reason):
            return await self.moderation.unpublish(who, item_id, version, arg)
        return None

    async def _menu(self, query: object, item_id: int, version: int, menu: str) -> None:
        card = await self.moderation.card(item_id)
        if card is None:
            await safely.answer(query.answer(texts.MOD_PROBLEMS["no_such_item"]))  # type: ignore[attr-defined]
            return
        stale = card.item.version != version
        await asyncio.gather(
            safely.answer(query.answer(texts.MOD_PROBLEMS["stale"] if stale else None)),  # type: ignore[attr-defined]
            self._show(query.message, card, "" if stale or menu == BACK else menu),  # type: ignore[attr-defined]
        )

    async def _show(self, message: object, card: Card | None, menu: str = "") -> None:
        if card is None or not isinstance(message, Message):
            return
        item = card.item
        if item.card_batched and (item.card_chat_id, item.card_message_id) == (
            message.chat_id,
            message.message_id,
        ):
            text, markup = render_batch(await self.moderation.batch(*_where(message)))
        else:
            text, markup = render_card(card, self.labels, menu)
        if menu:
            self._menus[_where(message)] = menu
        else:
            self._menus.pop(_where(message), None)
        try:
            await message.edit_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            if "not modified" in exc.message:
                return
            # The card is gone (deleted by hand, pressed from a client that still showed it):
            # what the press did stands; the moderators are not told it failed.
            log.warning("card of #%s not drawn again: %s", item.id, exc.message)

    async def _reconcile(self, message: object) -> None:
        """A press on a card (or list) whose sending was in doubt proves it arrived."""
        if not isinstance(message, Message):
            return
        if self.roles.home(message.chat_id) != self.moderators_chat:
            return
        markup = message.reply_markup
        items = set()
        for row in markup.inline_keyboard if markup else ():
            for key in row:
                parts = str(key.callback_data or "").split(":")
                if len(parts) >= 4 and parts[0] == PREFIX and parts[1] not in (POST, CANCEL_EDIT):
                    items.add(id_number(parts[2]) or 0)
        items.discard(0)
        if items:
            settled = await self.moderation.card_seen(
                sorted(items), *_where(message), batched=len(items) > 1
            )
            if settled:
                log.info("cards of %s found in the chat; not sent again", settled)

    async def _original(
        self, query: object, who: Who, item_id: int, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        text = await self.moderation.original(who, item_id)
        if isinstance(text, Problem):
            await safely.answer(query.answer(texts.MOD_PROBLEMS[text], show_alert=True))  # type: ignore[attr-defined]
            return
        try:
            await self._send_parts(
                context.bot, who.telegram_id, texts.ORIGINAL_PRIVATE, item_id, text
            )
        except (Forbidden, BadRequest):
            # They never opened a private chat with the bot: a short alert instead.
            short = text if len(text) <= 190 else text[:187] + "…"
            await safely.answer(query.answer(short or texts.ORIGINAL_START_FIRST, show_alert=True))  # type: ignore[attr-defined]
            return
        await safely.answer(query.answer(texts.ORIGINAL_SENT))  # type: ignore[attr-defined]

    async def _whole(
        self, query: object, who: Who, item_id: int, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        text = await self.moderation.whole_text(who, item_id)
        if isinstance(text, Problem):
            await safely.answer(query.answer(texts.MOD_PROBLEMS[text], show_alert=True))  # type: ignore[attr-defined]
            return
        try:
            await self._send_parts(
                context.bot, who.telegram_id, texts.WHOLE_TEXT_PRIVATE, item_id, text
            )
        except (Forbidden, BadRequest):
            await safely.answer(query.answer(texts.ORIGINAL_START_FIRST, show_alert=True))  # type: ignore[attr-defined]
            return
        await safely.answer(query.answer(texts.WHOLE_TEXT_SENT))  # type: ignore[attr-defined]

    async def _send_parts(
        self, bot: Bot, chat_id: int, template: str, item_id: int, text: str
    ) -> None:
        """A person's text, whole, in as many messages as it needs (each remembered, to take
        back if the citizen is forgotten)."""
        longest = template.format(
            item=item_id, part=texts.TEXT_PART.format(n=99, total=99), text=""
        )
        parts = split_text(text, MESSAGE_LIMIT - visible_length(longest) - 16)
        for n, part in enumerate(parts, 1):
            numbered = texts.TEXT_PART.format(n=n, total=len(parts)) if len(parts) > 1 else ""
            sent = await bot.send_message(
                chat_id,
                template.format(item=item_id, part=numbered, text=esc(part)),
                parse_mode=ParseMode.HTML,
            )
            if self.privacy is not None:
                await self.privacy.sent_to_staff(item_id, sent.chat_id, sent.message_id)

    async def _post_on_request(
        self,
        query: object,
        item_id: int,
        context: ContextTypes.DEFAULT_TYPE,
        from_list: bool,
        answer: bool = True,
    ) -> None:
        """🔍 on a list of several, or 📋 from /queue: the item's own card, posted now.
        `answer`: False when the press was answered already (nothing more is said)."""
        bot = context.bot

        async def say(words: str | None, alert: bool = False) -> None:
            if answer:
                await safely.answer(query.answer(words, show_alert=alert))  # type: ignore[attr-defined]

        card = await self.moderation.card(item_id)
        if card is None or self.moderators_chat is None:
            await say(texts.MOD_PROBLEMS["no_such_item"])
            return
        item = card.item
        if item.card_message_id is not None and not item.card_batched:
            if await self._card_there(bot, card):
                await say(texts.CARD_ALREADY.format(item=item_id))
                return
            log.info("card of #%s was deleted in the chat; posted again on request", item_id)
        text, markup = render_card(card, self.labels)
        try:
            sent = await bot.send_message(
                self.moderators_chat, text, reply_markup=markup, parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:
            log.warning(
                "card of #%s not posted on request to chat %s%s: %s",
                item_id,
                self.moderators_chat,
                _setting(exc),
                _why(exc),
            )
            error = texts.CARD_NOT_POSTED.format(item=item_id, error=_refusal(_why(exc), 120))
            await say(error, alert=True)
            return
        await self.moderation.card_posted(item_id, sent.chat_id, sent.message_id)
        await self.moderation.chat_reached()
        await say(texts.CARD_POSTED.format(item=item_id))
        if self.media is not None:
            # Its voice note and photos, under the card it now has of its own; those
            # Telegram held back go with the sweep after its wait, as under any card.
            wait = await self.media.under_card(bot, item_id, sent, again=True)
            if wait is not None:
                self.come_back(context, wait)
        message = query.message  # type: ignore[attr-defined]
        if from_list and isinstance(message, Message):
            # The list no longer carries the item: it has its own card now.
            text, markup = render_batch(await self.moderation.batch(*_where(message)))
            await safely.quietly(
                message.edit_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
            )

    async def cards_gone(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job, after a topic of the moderators' group was deleted with the cards in it: the
        cards no longer there are posted again (in General), so no item waits unseen."""
        if self.moderators_chat is None:
            return
        where = self.roles.moves.current(self.moderators_chat)
        lost = 0
        for card, message_id in await self.moderation.cards_shown(where):
            if self.stopping:
                return
            if not await self._card_there(context.bot, card):
                lost += await self.moderation.card_lost(card.item.id, message_id)
        for message_id, items in await self.moderation.lists_shown(where):
            if self.stopping:
                return
            if not await self._list_there(context.bot, where, message_id):
                for item_id in items:
                    lost += await self.moderation.card_lost(item_id, message_id)
        if lost:
            log.warning("%d card(s) went with a deleted topic: posting them again", lost)
            await self.sweep(context)

    @in_moderators_language
    async def _card_there(self, bot: Bot, card: Card) -> bool:
        """Whether an item's own card is still in the chat: drawn again as it is now, which
        Telegram refuses only when the message is gone (deleted by a person)."""
        item = card.item
        assert item.card_chat_id is not None and item.card_message_id is not None
        text, markup = render_card(card, self.labels)
        try:
            await bot.edit_message_text(
                text,
                item.card_chat_id,
                item.card_message_id,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            return "not found" not in exc.message.lower()
        except TelegramError:
            return True  # not known to be gone: not posted twice
        return True

    @in_moderators_language
    async def _list_there(self, bot: Bot, chat_id: int, message_id: int) -> bool:
        """Whether a message listing several items is still in the chat (as `_card_there`)."""
        text, markup = render_batch(await self.moderation.batch(chat_id, message_id))
        try:
            await bot.edit_message_text(
                text, chat_id, message_id, reply_markup=markup, parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            return "not found" not in exc.message.lower()
        except TelegramError:
            return True  # not known to be gone: not posted twice
        return True

    async def _begin_edit(
        self,
        query: object,
        who: Who,
        item_id: int,
        version: int,
        context: ContextTypes.DEFAULT_TYPE,
        summary: bool = False,
    ) -> None:
        message = query.message  # type: ignore[attr-defined]
        if not isinstance(message, Message):
            return
        purpose = "summary" if summary else "edit"
        other = await self.moderation.other_editor(who, item_id, purpose)
        if other is not None:
            # Another moderator's prompt for it is open: two texts written at once, the later
            # would replace the earlier unseen. No prompt is posted.
            await safely.answer(query.answer(_taken(other, item_id, purpose), show_alert=True))  # type: ignore[attr-defined]
            return
        if await self.moderation.card(item_id) is None:
            # Erased by its author since the card was drawn: no prompt for what is gone.
            no_such = texts.MOD_PROBLEMS[Problem.NO_SUCH_ITEM].format(item=item_id)
            await safely.answer(query.answer(no_such, show_alert=True))  # type: ignore[attr-defined]
            return
        earlier = await self.moderation.edit_prompt(who)
        words, markup = self._prompt(
            who.telegram_id,
            query.from_user.first_name,  # type: ignore[attr-defined]
            item_id,
            version,
            purpose,
        )
        # The card may be gone (taken down with its item, deleted by hand) while a client
        # still shows it: the prompt goes all the same.
        prompt = await message.reply_text(
            words,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            allow_sending_without_reply=True,
        )
        problem = await self.moderation.begin_edit(
            who,
            item_id,
            version,
            prompt.chat_id,
            prompt.message_id,
            purpose,
        )
        if problem is not None:
            if problem is Problem.EDIT_TAKEN:  # pressed by two at once: the other was first
                other = await self.moderation.other_editor(who, item_id, purpose)
                words = _taken(other or "", item_id, purpose)
            else:
                words = texts.MOD_PROBLEMS[problem].format(item=item_id)
            await asyncio.gather(
                safely.answer(query.answer(words, show_alert=True)),  # type: ignore[attr-defined]
                safely.quietly(prompt.delete()),
            )
            return
        await safely.answer(query.answer())  # type: ignore[attr-defined]
        if earlier is not None:
            # Edit pressed again (on this card or another): one prompt stays, the newest.
            await _delete(context.bot, *earlier)

    def _prompt(
        self, moderator: int, name: str, item_id: int, version: int, purpose: str
    ) -> tuple[str, InlineKeyboardMarkup]:
        """An edit (or summary) prompt naming the moderator who is to reply to it."""
        mention = f'<a href="tg://user?id={moderator}">{person(name)}</a>'
        # An inline Cancel rather than a forced reply (a message carries one or the other):
        # replies to the bot's own message reach it in any case.
        cancel = InlineKeyboardButton(
            texts.EDIT_CANCEL,
            callback_data=":".join((PREFIX, CANCEL_EDIT, str(item_id), str(version))),
        )
        if purpose == "summary":
            language = language_name(self.moderation.deployment.default_language)
            words = texts.SUMMARY_PROMPT.format(mention=mention, item=item_id, language=language)
        else:
            words = texts.EDIT_PROMPT.format(mention=mention, item=item_id)
        return words, InlineKeyboardMarkup([[cancel]])

    @in_moderators_language
    async def edits_again(self, context: ContextTypes.DEFAULT_TYPE, move: Move) -> None:
        """The moderators' group became a supergroup (after its cards were posted again
        there): an edit (or summary) prompt still open in the old group, where nobody can
        reply any more, is posted again where it is now, under the item's card, and the
        reply is taken there. One that cannot be is let go, holding the item up for nobody."""
        for edit in await self.moderation.edits_in(move.old):
            old = (edit.chat_id, edit.message_id)
            card = await self.moderation.card(edit.item_id)
            if card is None or card.item.status != "pending":
                await self.moderation.drop_edit(edit.moderator, old)
                continue
            item = card.item
            under = (
                item.card_message_id
                if item.card_chat_id == move.new and not item.card_batched
                else None
            )
            name = await _first_name(context.bot, move.new, edit.moderator)
            words, markup = self._prompt(
                edit.moderator, name or texts.OTHER_MODERATOR, item.id, item.version, edit.purpose
            )
            try:
                prompt = await context.bot.send_message(
                    move.new,
                    words,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    reply_parameters=(
                        ReplyParameters(under, allow_sending_without_reply=True)
                        if under is not None
                        else None
                    ),
                )
            except TelegramError as exc:
                log.warning("edit prompt of #%s not posted again: %s", item.id, _why(exc))
                await self.moderation.drop_edit(edit.moderator, old)
                continue
            if not await self.moderation.edit_moved(edit.moderator, old, _where(prompt)):
                await _delete(context.bot, *_where(prompt))  # ended meanwhile

    async def _cancel_edit(self, query: object, who: Who, item_id: int, bot: Bot) -> None:
        """✖️ Cancel under an edit prompt: the edit ends, the prompt goes."""
        if await self.moderation.editing(who) != item_id:
            await safely.answer(query.answer(texts.EDIT_NOT_YOURS))  # type: ignore[attr-defined]
            return
        await self._end_edit(who, bot)
        await safely.answer(query.answer(texts.EDIT_CANCELLED.format(item=item_id)))  # type: ignore[attr-defined]

    async def _end_edit(self, who: Who, bot: Bot) -> int | None:
        """End a moderator's pending edit and take its prompt away; the item, if any."""
        ended = await self.moderation.end_edit(who)
        if ended is None:
            return None
        item_id, prompt = ended
        await _delete(bot, *prompt)
        return item_id

    async def leave_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any command: a moderator who was editing has moved on, so the edit ends (except
        /cancel in the moderators' chat or in private, which ends it and says so)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        who = Who(user.id)
        if await self.moderation.editing(who) is None:
            return
        if command_of(message) == "/cancel" and (
            message.chat.type == ChatType.PRIVATE
            or self.roles.home(message.chat_id) == self.moderators_chat
        ):
            return
        await self._end_edit(who, context.bot)

    async def cancel_elsewhere(self, user_id: int, bot: Bot) -> str | None:
        """/cancel away from the moderators' chat: end a moderator's open edit (or summary)
        and say which, or None when none was open."""
        who = Who(user_id)
        purpose = "summary" if await self.moderation.summarising(who) else "edit"
        item = await self._end_edit(who, bot)
        if item is None:
            return None
        return texts.EDIT_CANCELLED_ELSEWHERE[purpose].format(item=item)

    async def edit_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in the moderators' chat: maybe the corrected text of an item."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        who = await self.roles.who(user.id)
        if not who.moderates:
            return
        replied = message.reply_to_message
        reply_to = (replied.chat_id, replied.message_id) if replied is not None else None
        if reply_to is not None and reply_to != await self.moderation.edit_prompt(who):
            # An answer to another moderator's prompt is not taken: say so, rather than
            # leave them thinking their text was saved.
            others = await self.moderation.others_prompt(who, reply_to)
            if others is not None:
                await message.reply_text(texts.EDIT_PROMPT_NOT_YOURS.format(item=others))
                return
        if await self.moderation.editing(who) is None:
            return  # ordinary chat between moderators
        purpose = "summary" if await self.moderation.summarising(who) else "edit"
        outcome = await self.moderation.edit(who, message.text or "", reply_to)
        if outcome.problem is Problem.EDIT_OUTDATED and outcome.card is not None:
            # Another moderator saved theirs since the prompt: this text is not saved (the
            # message stays, to copy from), the prompt goes, and the card shows what is now.
            item_id = outcome.card.item.id
            who_saved = isolate(outcome.by) if outcome.by else texts.OTHER_MODERATOR
            words = texts.EDIT_OUTDATED[purpose].format(who=who_saved, item=item_id)
            await message.reply_text(words)
            if reply_to is not None:
                await _delete(context.bot, *reply_to)
            await self._refresh_card(context, outcome.card)
            return
        if outcome.problem is Problem.UNCHANGED and outcome.card is not None:
            # Nothing to save, and the edit is over: said so, and its prompt goes.
            words = texts.EDIT_UNCHANGED[purpose].format(item=outcome.card.item.id)
            await message.reply_text(words)
            if reply_to is not None:
                await _delete(context.bot, *reply_to)
            return
        if outcome.problem is not None:
            if outcome.problem is not Problem.NO_EDIT:
                await message.reply_text(texts.MOD_PROBLEMS[outcome.problem])
            return
        assert outcome.card is not None and reply_to is not None
        await self._refresh_card(context, outcome.card)
        # Saved: the card shows the new text, so the prompt and the reply carrying it go,
        # and the chat keeps one message. Where the bot may not delete, they just stay.
        await asyncio.gather(
            _delete(context.bot, *reply_to),
            _delete(context.bot, message.chat_id, message.message_id),
        )

    async def edit_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice note or file in reply to a moderator's own edit prompt: the
        corrected text must be typed, so they are told (the edit stays open)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or message.reply_to_message is None:
            return
        who = await self.roles.who(user.id)
        item = await self.moderation.editing(who) if who.moderates else None
        if item is None or await self.moderation.edit_prompt(who) != _where(
            message.reply_to_message
        ):
            return  # ordinary chat between moderators
        await message.reply_text(texts.EDIT_TEXT_ONLY.format(item=item))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel in the moderators' chat: drop a pending edit, or say there is none."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        who = await self.roles.who(user.id)
        item = await self._end_edit(who, context.bot)
        if item is None:
            await safely.quietly(message.reply_text(texts.MODERATORS_NOTHING_TO_CANCEL))
            return
        await message.reply_text(texts.EDIT_CANCELLED.format(item=item))

    async def unpublish(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unpublish N reason: withdraw a published item (after the undo window)."""
        message = update.effective_message
        assert message
        who = await command_allowed(self.roles, update, lambda w: w.moderates, "/unpublish")
        if who is None:
            return
        args = context.args or []
        typed = args[0].lstrip("#") if args else ""
        reason = " ".join(args[1:])
        if not (typed.isascii() and typed.isdigit()) or not reason.strip():
            await message.reply_text(texts.UNPUBLISH_USAGE)
            return
        item_id = id_number(typed)
        if item_id is None:  # more digits than any item number has
            await message.reply_text(texts.MOD_PROBLEMS[Problem.NO_SUCH_ITEM].format(item=typed))
            return
        outcome = await self.moderation.unpublish(
            who, item_id, None, reason, update_id=update.update_id
        )
        if outcome.problem is Problem.REPLAYED:
            return
        if outcome.problem is not None:
            await message.reply_text(texts.MOD_PROBLEMS[outcome.problem].format(item=item_id))
            return
        assert outcome.card is not None
        await self._refresh_card(context, outcome.card)
        for card in outcome.also:
            await self._refresh_card(context, card)
        said = texts.UNPUBLISHED.format(item=item_id)
        if outcome.also:
            said += " " + _unmerged(outcome.also, SHOWN_IN_MESSAGE)
        await message.reply_text(said)

    async def merge(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/merge A B: B says the same as published item A (its author supports A)."""
        message = update.effective_message
        assert message
        who = await command_allowed(self.roles, update, lambda w: w.moderates, "/merge")
        if who is None:
            return
        typed = [a.lstrip("#") for a in (context.args or [])]
        if len(typed) != 2 or not all(t.isascii() and t.isdigit() for t in typed):
            await message.reply_text(texts.MERGE_USAGE)
            return
        into, merged = id_number(typed[0]), id_number(typed[1])
        if into is None or merged is None:  # more digits than any item number has
            bad = typed[0] if into is None else typed[1]
            await message.reply_text(texts.MERGE_PROBLEMS[Problem.NO_SUCH_ITEM].format(item=bad))
            return
        outcome = await self.moderation.merge(who, into, merged, update_id=update.update_id)
        if outcome.problem is Problem.REPLAYED:
            return
        if outcome.problem is not None:
            problem = outcome.problem
            if problem in (Problem.NO_SUCH_ITEM, Problem.NOT_PUBLISHED) and outcome.card:
                # B exists: the item that is missing or unpublished is A.
                merged = into
            if outcome.merged is not None:
                # Which of the two was merged already, and into which item.
                merged, into = outcome.merged
            words = texts.MERGE_PROBLEMS.get(problem) or texts.MOD_PROBLEMS[problem]
            await message.reply_text(words.format(item=merged, into=into))
            return
        assert outcome.card is not None
        await self._refresh_card(context, outcome.card)
        await message.reply_text(texts.MERGED.format(item=merged, into=into))

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue: how many items wait, oldest first, and cards that need a look."""
        message = update.effective_message
        assert message
        if await command_allowed(self.roles, update, lambda w: w.moderates, "/queue") is None:
            return
        stuck = await self.moderation.stuck()
        waiting = await self.moderation.queue()
        text = self._queue_text(waiting, stuck)
        # A button per card that needs a look, and per item listed: a card deleted in the
        # chat by hand (Telegram does not tell the bot) is posted again from here.
        carded = await self.moderation.with_card([item for item, _, _ in waiting.oldest])
        listed = [s.item_id for s in stuck[:10]] + carded
        markup = None
        if listed:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            texts.QUEUE_POST.format(item=item),
                            callback_data=f"{PREFIX}:{POST}:{item}:0",
                        )
                    ]
                    for item in dict.fromkeys(listed)
                ]
            )
        await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)

    def _queue_text(self, queue: object, stuck: list[Stuck]) -> str:
        count, oldest = queue.count, queue.oldest  # type: ignore[attr-defined]
        if not count:
            return texts.QUEUE_EMPTY
        now = self.moderation.clock()
        lines = [texts.QUEUE_HEAD.format(count)]
        lines += [
            texts.QUEUE_LINE.format(item=item, service=esc(name), age=_age(since, now))
            for item, name, since in oldest
        ]
        if count > len(oldest):
            lines.append(texts.QUEUE_MORE.format(count - len(oldest)))
        if stuck:
            lines.append(texts.QUEUE_STUCK_HEAD)
            lines += [_stuck_line(s) for s in stuck[:10]]
        return "\n".join(lines)

    async def left(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone left the moderators' chat: a moderator's role ends with it."""
        message = update.effective_message
        if message is None or message.left_chat_member is None:
            return
        gone = message.left_chat_member.id
        if await self.roles.left_moderators_chat(gone):
            # The role ended: the moderator's commands leave their menu now, not at a restart.
            await publish_for(
                context.bot, await self.roles.who(gone), self.roles.deployment.languages
            )

    @in_moderators_language
    async def redraw_list(self, bot: Bot, chat_id: int, message_id: int) -> bool:
        """Draw a list message again from the items it still lists; False if it lists none."""
        cards = await self.moderation.batch(chat_id, message_id)
        if not cards:
            return False
        text, markup = render_batch(cards)
        try:
            await bot.edit_message_text(
                text, chat_id, message_id, reply_markup=markup, parse_mode=ParseMode.HTML
            )
        except ChatMigrated:
            # A list left in a group that became a supergroup: it cannot be edited now (what
            # it listed that still waits was posted again in the new group).
            log.info("list %s in %s not redrawn: now a supergroup", message_id, chat_id)
        return True

    async def refresh_card(self, context: ContextTypes.DEFAULT_TYPE, card: Card) -> None:
        """Draw an item's card again where it is (its author changed its themes)."""
        await self._refresh_card(context, card)

    @in_moderators_language
    async def _refresh_card(self, context: ContextTypes.DEFAULT_TYPE, card: Card) -> None:
        await self._refresh_card_here(context.bot, card)

    async def _refresh_card_here(self, bot: Bot, card: Card) -> None:
        if card.item.card_chat_id is None or card.item.card_message_id is None:
            return
        if card.item.card_batched:
            text, markup = render_batch(
                await self.moderation.batch(card.item.card_chat_id, card.item.card_message_id)
            )
        else:
            menu = self._menus.get((card.item.card_chat_id, card.item.card_message_id), "")
            text, markup = render_card(card, self.labels, menu)
        try:
            await bot.edit_message_text(
                text,
                card.item.card_chat_id,
                card.item.card_message_id,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            log.info("card of #%s not updated: %s", card.item.id, exc.message)
        except ChatMigrated:
            # A card left in a group that became a supergroup can no longer be edited; the
            # decision stands all the same (cards still waiting were posted again there).
            log.info("card of #%s not updated: its group became a supergroup", card.item.id)

    async def sweep(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job (and after each new item): tag new items, post their cards, tell authors."""
        # Asked while a sweep runs: that sweep goes round once more, so nothing waits for
        # the next timer.
        self._again = True
        if self._sweeping.locked():
            return
        async with self._sweeping:
            while self._again and not self.stopping:
                self._again = False
                await self.moderation.tag_new()
                await self.post_cards(context)
                await self.post_media(context)
                await self.close_undo(context)
                await self.tell_authors(context)

    @in_moderators_language
    async def close_undo(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Cards whose undo window has passed lose their Undo button (Unpublish instead)."""
        for card in await self.moderation.undo_ended():
            await self._refresh_card(context, card)

    @in_moderators_language
    async def post_cards(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Post the card of every tagged item whose card is due; many at once go out as
        lists of several. A card Telegram refuses waits (with backoff) alone."""
        if self.moderators_chat is None:
            return
        limit = _list_threshold(context.bot)
        while await self.moderation.cards_due() > limit and not self.stopping:
            posted, wait = await self._post_lists(context.bot)
            if wait is not None:
                self.come_back(context, wait)
                return
            if not posted:
                break
        for card in await self.moderation.cards_to_post():
            if self.stopping:
                return
            wait = await self._post(context.bot, [card])
            if wait is not None:
                self.come_back(context, wait)
                return

    @in_moderators_language
    async def post_media(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Voice notes and photos not under their item's card yet (Telegram asked to wait,
        or failed, as they went): posted under it now."""
        if self.media is None or self.moderators_chat is None:
            return
        for item_id in await self.media.attachments.to_post():
            if self.stopping:
                return
            # Those left under an earlier card too (a wait stopped a card posted anew).
            wait = await self.media.under_card_late(context.bot, item_id, again=True)
            if wait is not None:
                self.come_back(context, wait)
                return

    def come_back(self, context: ContextTypes.DEFAULT_TYPE, wait: float) -> None:
        """Telegram holds the moderators' chat for `wait` seconds: the cards wait, in order,
        while the rest of the sweep (telling authors, new items) goes on; a sweep posts
        them when the wait is over."""
        log.warning("Telegram asks to wait %.0f s before more cards go to the moderators", wait)
        job_queue = context.job_queue
        if job_queue is not None and not job_queue.get_jobs_by_name(SWEEP_AFTER_WAIT):
            job_queue.run_once(self.sweep, wait, name=SWEEP_AFTER_WAIT)

    async def _post_lists(self, bot: Bot) -> tuple[int, float | None]:
        """Lists of several due cards; how many cards there were, and Telegram's wait if
        it asked for one."""
        cards = await self.moderation.cards_to_post()
        for start in range(0, len(cards), BATCH_SIZE):
            if self.stopping:
                break
            wait = await self._post(bot, cards[start : start + BATCH_SIZE])
            if wait is not None:
                return len(cards), wait
        return len(cards), None

    @in_moderators_language
    async def _post(self, bot: Bot, cards: list[Card]) -> float | None:
        """One card, or one list of several; recorded as being sent before it is sent.
        Telegram's wait in seconds if it asked for one (the cards are due again after)."""
        assert self.moderators_chat is not None
        ids = [c.item.id for c in cards if await self.moderation.begin_card(c.item.id)]
        cards = [c for c in cards if c.item.id in ids]
        if not cards:
            return None
        batched = len(cards) > 1
        try:
            text, markup = render_batch(cards) if batched else render_card(cards[0], self.labels)
            sent = await bot.send_message(  # type: ignore[call-arg]
                self.moderators_chat,
                text,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                # A 429 comes straight back: waiting it out here would hold up the sweep.
                rate_limit_args=NO_RETRY,
            )
        except RetryAfter as exc:
            for item_id in ids:
                await self.moderation.card_waits(item_id)
            return seconds(exc.retry_after)
        except TimedOut as exc:
            # Telegram may have taken it and answered too late. Sending again could put two
            # cards in the chat: it stays "begun", /queue shows it, and a press on it (or a
            # moderator's 📋 in /queue) settles it.
            log.warning("cards of %s may not have been posted: %s", ids, _why(exc))
            for item_id in ids:
                await self.moderation.card_unsure(item_id, _why(exc))
            return None
        except Exception as exc:
            # Isolation boundary: this card waits and is tried again later; the others go on.
            for item_id in ids:
                attempts = await self.moderation.card_failed(item_id, _why(exc))
                log.error(
                    "card of #%s not posted to chat %s%s (attempt %d of %d): %s",
                    item_id,
                    self.moderators_chat,
                    _setting(exc),
                    attempts,
                    CARD_ATTEMPTS,
                    _why(exc),
                )
            await self._tell_if_lost(bot, _why(exc))
            return None
        for item_id in ids:
            await self.moderation.card_posted(item_id, sent.chat_id, sent.message_id, batched)
        await self.moderation.chat_reached()
        if not batched:
            # Its author may have fixed its themes while it was on its way: drawn again then.
            now = await self.moderation.card(ids[0])
            if now is not None and render_card(now, self.labels)[0] != text:
                try:
                    await self._refresh_card_here(bot, now)
                except TelegramError as exc:
                    log.warning("card of #%s not drawn again: %s", ids[0], _why(exc))
        if self.media is not None and not batched:
            # Telegram's wait for its photos: the sweep after it posts them.
            return await self.media.under_card(bot, ids[0], sent)
        return None

    async def _language_of(self, telegram_id: int) -> str:
        """An author's language, for what they are told outside their own updates."""
        if self.languages is None:
            return current()
        try:
            return await self.languages.of_person(telegram_id)
        except STORAGE_ERRORS as exc:
            log.warning("language of %s not read: %s", telegram_id, exc)
            return self.languages.default

    def _service(self, stored_name: str) -> str:
        """A service's name in the language spoken now."""
        return self.languages.service_named(stored_name) if self.languages else stored_name

    async def tell_authors(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Tell each author whose item was decided what happened, and why (once: telling is
        claimed first, so a sweep and a press that race cannot both tell)."""
        await self._tell_corrections(context)
        for note in await self.moderation.authors_to_tell():
            if self.stopping:
                return
            if not await self.moderation.claim_telling(note.item_id):
                continue
            # Written for the author, in their language (not the moderators' chat's).
            with speaking(await self._language_of(note.telegram_id)):
                if note.status == "approved":
                    text = texts.AUTHOR_PUBLISHED.format(
                        item=note.item_id, service=esc(self._service(note.service_name))
                    )
                    if note.redacted_kinds:
                        kinds = [texts.REDACTION_KINDS.get(k, k) for k in note.redacted_kinds]
                        text += texts.AUTHOR_PUBLISHED_REDACTED.format(kinds=_and(kinds))
                        # Both happened: each is said, so the author is not surprised by either.
                        if note.edited:
                            text += texts.AUTHOR_PUBLISHED_ALSO_EDITED
                    elif note.changed:
                        text += texts.AUTHOR_PUBLISHED_EDITED
                else:
                    reason = texts.AUTHOR_REASONS.get(
                        note.reason or "", texts.AUTHOR_REASONS["other"]
                    )
                    text = texts.AUTHOR_REJECTED.format(
                        item=note.item_id,
                        service=esc(self._service(note.service_name)),
                        reason=reason,
                    )
            try:
                await context.bot.send_message(note.telegram_id, text, parse_mode=ParseMode.HTML)
            except Forbidden:
                log.info("author of #%s blocked the bot; not told", note.item_id)
            except BadRequest as exc:
                # "Chat not found": the account is gone. Telling them can never work.
                log.info("author of #%s cannot be told: %s", note.item_id, exc.message)
            except TimedOut as exc:
                # Maybe told: once is better than twice, so it is not sent again.
                log.warning("author of #%s may not have been told: %s", note.item_id, exc)
            except TelegramError as exc:
                log.warning("author of #%s not told, tried again later: %s", note.item_id, exc)
                await self.moderation.telling_failed(note.item_id)

    async def _tell_corrections(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Authors told an outcome a moderator then undid: it is being checked again."""
        for note in await self.moderation.corrections_to_tell():
            if self.stopping or not await self.moderation.claim_correction(note.item_id):
                continue
            with speaking(await self._language_of(note.telegram_id)):
                text = texts.AUTHOR_UNDONE.format(
                    item=note.item_id, service=esc(self._service(note.service_name))
                )
            try:
                await context.bot.send_message(note.telegram_id, text, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                # Not sent again: they hear the new outcome in any case.
                log.info("author of #%s not told of the undo: %s", note.item_id, exc)

    @in_moderators_language
    async def remind(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: nudge the moderators' chat when the oldest item has waited too long (once
        in each reminder period, whichever instance checks, also after a restart)."""
        if self.moderators_chat is None:
            return
        due = await self.moderation.reminder_due()
        if due is None:
            return
        queue, now = due
        item, _, since = queue.oldest[0]
        try:
            await context.bot.send_message(
                self.moderators_chat,
                texts.REMINDER.format(queue.count, item=item, age=_age(since, now)),
            )
        except TelegramError as exc:
            log.warning("could not remind the moderators: %s", _why(exc))
            await self.moderation.reminder_not_sent(now)
            await self._tell_if_lost(context.bot, _why(exc))
            return
        await self.moderation.chat_reached()

    async def _tell_if_lost(self, bot: Bot, why: str) -> None:
        """A card or a reminder was refused (`why`, as `_why` gives it): when the moderators'
        group refuses the bot for good, nobody reads it, so those who can fix it hear it in
        private (once until it is reached again)."""
        lost = lost_chat(why)
        if lost is None:
            return
        queue = await self.moderation.queue()
        if not queue.oldest:
            return
        item, _, since = queue.oldest[0]
        await self._tell_lost(bot, lost, queue.count, item, _age(since, self.moderation.clock()))

    async def _tell_lost(self, bot: Bot, lost: str, count: int, item: int, age: str) -> None:
        """The moderators' group refuses the bot for good while items wait: the admins are
        told in private what to do, each in their language (the moderators, when no admin
        can be), once until the group is reached again (not at every reminder or card)."""
        assert self.moderators_chat is not None
        at = await self.moderation.chat_lost(self.moderators_chat)
        if at is None:
            return
        log.error(
            "the moderators' group (moderators_chat %s in the deployment file) refuses the bot"
            " (%s) while %d item(s) wait: telling the admins in private",
            self.moderators_chat,
            lost,
            count,
        )
        admins = list(self.roles.deployment.admins)
        moderators = [
            r.telegram_id for r in await self.roles.everyone() if r.role == Role.MODERATOR
        ]
        tried_again = False
        for people in (admins, moderators):
            told = False
            for telegram_id in dict.fromkeys(people):
                with speaking(await self._language_of(telegram_id)):
                    text = texts.MODERATORS_CHAT_LOST_STAFF.format(
                        count, item=item, age=age, why=texts.MODERATORS_CHAT_LOST[lost]
                    )
                try:
                    await bot.send_message(telegram_id, text)
                    told = True
                except TimedOut:
                    told = True  # maybe told: once is better than twice
                except (Forbidden, BadRequest) as exc:
                    # Blocked the bot, or never started it: not to be told in private.
                    log.info("%s not told of the moderators' group: %s", telegram_id, exc)
                except TelegramError as exc:
                    log.warning("%s not told of the moderators' group: %s", telegram_id, exc)
                    tried_again = True
            if told:
                return
        if tried_again:
            # Nobody heard it, some for a passing fault: the next refused card or reminder
            # check tries again.
            await self.moderation.chat_lost_untold(at)


def _list_threshold(bot: Bot) -> float:
    """How many due cards go out one by one; more go out as lists. It follows the bot's own
    limit on messages to a group (a deployment that raises it, like the demo, lists later;
    with no limit, never)."""
    limiter = getattr(bot, "rate_limiter", None)
    per_minute = float(getattr(limiter, "group_per_minute", GROUP_PER_MINUTE))
    return per_minute / 2 if per_minute else float("inf")


def _taken(name: str, item_id: int, purpose: str) -> str:
    """What a moderator is told who pressed Edit (or Summary) on an item another moderator
    is writing for (`name`, "" when not known)."""
    who = isolate(name) if name else texts.OTHER_MODERATOR
    return texts.EDIT_TAKEN[purpose].format(who=who, item=item_id)


def _where(message: Message) -> tuple[int, int]:
    return message.chat_id, message.message_id


def _why(exc: BaseException) -> str:
    """The real cause, for the log and /queue (Telegram's errors name their kind already:
    "Forbidden: bot was kicked from the group chat")."""
    said, kind = str(exc), type(exc).__name__
    return said if said.startswith(kind) else f"{kind}: {said}"


def lost_chat(error: str) -> str | None:
    """Why Telegram refuses the bot a group for good, from its error (as `_why` gives it):
    "gone" (the bot is not in the group: removed, or never added), "missing" (no such chat)
    or "muted" (in it, but not allowed to post); None for anything else."""
    lowered = error.lower()
    if lowered.startswith("forbidden"):
        return "gone"
    if "chat not found" in lowered:
        return "missing"
    if "not enough rights" in lowered or "have no rights" in lowered:
        return "muted"
    return None


def _refusal(error: str, limit: int, escape: Callable[[str], str] = str) -> str:
    """Why a card was refused, for a moderator: what to do, in plain words, when the bot is
    out of the moderators' group; Telegram's own words (cut to `limit`) otherwise."""
    lost = lost_chat(error)
    return texts.MODERATORS_CHAT_LOST[lost] if lost else escape(error[:limit])


def _setting(exc: BaseException) -> str:
    """Where the moderators' chat id comes from, when Telegram does not know that chat or
    will not let the bot in: the operator's fix is in the deployment file."""
    missing = isinstance(exc, BadRequest) and "chat not found" in exc.message.lower()
    if missing or isinstance(exc, Forbidden):
        return " (moderators_chat in the deployment file)"
    return ""


def _and(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return texts.LIST_AND.format(some=texts.LIST_SEPARATOR.join(items[:-1]), last=items[-1])


async def _first_name(bot: Bot, chat_id: int, user_id: int) -> str:
    """A member's first name as Telegram has it now ("" when it will not say)."""
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("member %s of %s not read: %s", user_id, chat_id, exc)
        return ""
    return member.user.first_name or ""


async def _delete(bot: Bot, chat_id: int, message_id: int) -> None:
    """Delete a message if Telegram lets the bot (its own within 48 hours; others' only as
    an admin of the group); otherwise it stays, which only costs some tidiness."""
    try:
        await bot.delete_message(chat_id, message_id)
    except TelegramError as exc:
        log.info("message %s in %s not deleted: %s", message_id, chat_id, exc)


# How many item numbers a note names at most: on a button's answer (200 characters at most)
# and in a message.
SHOWN_ON_BUTTON = 8
SHOWN_IN_MESSAGE = 50


def _unmerged(cards: tuple[Card, ...], shown: int) -> str:
    """UNPUBLISHED_UNMERGED for these items back in the queue, UNPUBLISHED_REPUBLISHED for
    those published again, naming `shown` of each at most."""
    said = []
    for published, line in (
        (False, texts.UNPUBLISHED_UNMERGED),
        (True, texts.UNPUBLISHED_REPUBLISHED),
    ):
        these = [c for c in cards if (c.item.status == "approved") == published]
        if these:
            items = ", ".join(f"#{card.item.id}" for card in these[:shown])
            if len(these) > shown:
                items += ", …"
            said.append(line.format(len(these), items=items))
    return " ".join(said)
