"""The moderators' chat: item cards with buttons, edits, the queue, and their jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.moderation import Card, Moderation, Outcome, Problem, Reason
from bot.privacy import Privacy
from bot.roles import Roles, Who
from handlers import safely, texts
from handlers.common import command_allowed
from handlers.texts import esc

log = logging.getLogger(__name__)

PREFIX = "m"
# Actions on a card, as they appear in callback data: m:<action>:<item>:<version>[:<arg>].
APPROVE, EDIT, THEMES, REJECT_MENU, REJECT, TOGGLE, ORIGINAL, BACK = "a e t x r g o b".split()


def render_card(
    card: Card, labels: dict[str, str], menu: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and buttons of an item's card."""
    item = card.item
    rating = texts.CARD_RATING.format(rating=item.rating) if item.rating else ""
    kind = texts.KINDS.get(item.kind or "", item.kind or "feedback")
    lines = [
        texts.CARD_HEAD.format(
            item=item.id, service=esc(item.service_name), rating=rating, kind=kind
        )
    ]
    active = [labels.get(t.theme_id, t.theme_id) for t in card.themes if t.active]
    lines.append(
        texts.CARD_THEMES.format(themes=esc(", ".join(active))) if active else texts.CARD_NO_THEMES
    )
    if item.response_id is not None:
        lines.append(texts.CARD_COMMENT.format(response=item.response_id))
    if item.ask_id is not None:
        lines.append(texts.CARD_ANSWER.format(ask=item.ask_id))
    lines.append("")
    shown = item.published_text if item.status == "approved" else item.working_text
    lines.append(_marked(shown or ""))
    lines.append("")
    kinds = sorted({str(r["kind"]) for r in card.redactions})
    if kinds:
        lines.append(
            texts.CARD_REDACTED.format(
                kinds=", ".join(texts.REDACTION_KINDS.get(k, k) for k in kinds)
            )
        )
    if item.edited_text:
        lines.append(texts.CARD_EDITED)
    who = card.moderator_name or (
        texts.CARD_AUTO if item.moderated_by is None else texts.CARD_SOMEONE
    )
    at = (item.moderated_at or "")[11:16]
    reason = texts.REASONS.get(item.reject_reason or "", item.reject_reason or "")
    lines.append(texts.CARD_STATUS[item.status].format(who=esc(who), at=at, reason=reason))
    return "\n".join(lines), _keyboard(card, labels, menu)


def _marked(text: str) -> str:
    """The text with redaction placeholders in bold, so moderators see what was removed."""
    out, rest = [], text
    while "[" in rest and "]" in rest[rest.index("[") :]:
        start = rest.index("[")
        end = rest.index("]", start)
        out.append(esc(rest[:start]))
        out.append(f"<b>{esc(rest[start : end + 1])}</b>")
        rest = rest[end + 1 :]
    out.append(esc(rest))
    return "".join(out)


def _data(action: str, card: Card, arg: str = "") -> str:
    return ":".join(
        p for p in (PREFIX, action, str(card.item.id), str(card.item.version), arg) if p
    )


def _keyboard(card: Card, labels: dict[str, str], menu: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton
    if menu == REJECT_MENU and card.item.status == "pending":
        rows = [
            [button(label, callback_data=_data(REJECT, card, reason))]
            for reason, label in texts.REASONS.items()
        ]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    if menu == THEMES:
        active = {t.theme_id for t in card.themes if t.active}
        toggles = [
            button(
                ("✓ " if theme_id in active else "") + label,
                callback_data=_data(TOGGLE, card, theme_id),
            )
            for theme_id, label in labels.items()
        ]
        rows = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
        rows.append([button(texts.BACK, callback_data=_data(BACK, card))])
        return InlineKeyboardMarkup(rows)
    if card.item.status == "pending":
        return InlineKeyboardMarkup(
            [
                [
                    button(texts.APPROVE, callback_data=_data(APPROVE, card)),
                    button(texts.EDIT, callback_data=_data(EDIT, card)),
                ],
                [
                    button(texts.THEMES, callback_data=_data(THEMES, card)),
                    button(texts.REJECT, callback_data=_data(REJECT_MENU, card)),
                ],
                [button(texts.ORIGINAL, callback_data=_data(ORIGINAL, card))],
            ]
        )
    return InlineKeyboardMarkup(
        [
            [
                button(texts.THEMES, callback_data=_data(THEMES, card)),
                button(texts.ORIGINAL, callback_data=_data(ORIGINAL, card)),
            ]
        ]
    )


def _age(since: datetime, now: datetime) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


class ModeratorHandlers:
    """Callbacks for moderators, bound to the moderation and roles cores."""

    def __init__(
        self,
        moderation: Moderation,
        roles: Roles,
        moderators_chat: int | None,
        privacy: Privacy | None = None,
    ) -> None:
        self.moderation = moderation
        # Records messages carrying a citizen's words, to take back when they are forgotten.
        self.privacy = privacy
        self.roles = roles
        self.moderators_chat = moderators_chat
        self.labels = moderation.tagger.labels
        self._sweeping = asyncio.Lock()
        self._again = False
        self._reminded: datetime | None = None
        # Set when the bot stops: long loops end early; what is left is done after restart.
        self.stopping = False

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
            item_id, version = int(item_text), int(version_text)
        except ValueError:
            await self.roles.denied(who, "malformed card button", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        arg = rest[0] if rest else ""
        if action in (REJECT_MENU, THEMES, BACK):
            await self._menu(query, item_id, version, action)
            return
        if action == ORIGINAL:
            await self._original(query, who, item_id, context)
            return
        if action == EDIT:
            await self._begin_edit(query, who, item_id, version, context)
            return
        outcome = await self._act(who, action, item_id, version, arg)
        if outcome is None:
            await self.roles.denied(who, "unknown card action", query.data or "")
            await safely.answer(query.answer(texts.MOD_PROBLEMS["stale"]))
            return
        problem = texts.MOD_PROBLEMS[outcome.problem] if outcome.problem else ""
        menu = THEMES if action == TOGGLE and not outcome.problem else ""
        await asyncio.gather(
            safely.answer(query.answer(problem or None, show_alert=bool(problem))),
            self._show(query.message, outcome.card, menu),
        )
        if outcome.problem is None and action in (APPROVE, REJECT):
            await self.tell_authors(context)

    async def _act(
        self, who: Who, action: str, item_id: int, version: int, arg: str
    ) -> Outcome | None:
        if action == APPROVE:
            return await self.moderation.approve(who, item_id, version)
        if action == REJECT and arg in set(Reason):
            return await self.moderation.reject(who, item_id, version, Reason(arg))
        if action == TOGGLE:
            return await self.moderation.toggle_theme(who, item_id, version, arg)
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
        text, markup = render_card(card, self.labels, menu)
        try:
            await message.edit_text(text, reply_markup=markup, parse_mode=ParseMode.HTML)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise

    async def _original(
        self, query: object, who: Who, item_id: int, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        text = await self.moderation.original(who, item_id)
        if isinstance(text, Problem):
            await safely.answer(query.answer(texts.MOD_PROBLEMS[text], show_alert=True))  # type: ignore[attr-defined]
            return
        try:
            sent = await context.bot.send_message(
                who.telegram_id,
                texts.ORIGINAL_PRIVATE.format(item=item_id, text=esc(text)),
                parse_mode=ParseMode.HTML,
            )
        except (Forbidden, BadRequest):
            # They never opened a private chat with the bot: a short alert instead.
            short = text if len(text) <= 190 else text[:187] + "…"
            await safely.answer(query.answer(short or texts.ORIGINAL_START_FIRST, show_alert=True))  # type: ignore[attr-defined]
            return
        if self.privacy is not None:
            await self.privacy.sent_to_staff(item_id, sent.chat_id, sent.message_id)
        await safely.answer(query.answer(texts.ORIGINAL_SENT))  # type: ignore[attr-defined]

    async def _begin_edit(
        self,
        query: object,
        who: Who,
        item_id: int,
        version: int,
        context: ContextTypes.DEFAULT_TYPE,
    ) -> None:
        message = query.message  # type: ignore[attr-defined]
        if not isinstance(message, Message):
            return
        mention = f'<a href="tg://user?id={who.telegram_id}">{esc(query.from_user.first_name)}</a>'  # type: ignore[attr-defined]
        prompt = await message.reply_text(
            texts.EDIT_PROMPT.format(mention=mention, item=item_id),
            parse_mode=ParseMode.HTML,
            reply_markup=ForceReply(selective=True),
        )
        problem = await self.moderation.begin_edit(
            who, item_id, version, prompt.chat_id, prompt.message_id
        )
        if problem is not None:
            await asyncio.gather(
                safely.answer(query.answer(texts.MOD_PROBLEMS[problem], show_alert=True)),  # type: ignore[attr-defined]
                safely.quietly(prompt.delete()),
            )
            return
        await safely.answer(query.answer())  # type: ignore[attr-defined]

    async def edit_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in the moderators' chat: maybe the corrected text of an item."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        who = await self.roles.who(user.id)
        if not who.moderates or await self.moderation.editing(who) is None:
            return  # ordinary chat between moderators
        outcome = await self.moderation.edit(who, message.text or "")
        if outcome.problem is not None:
            if outcome.problem is not Problem.NO_EDIT:
                await message.reply_text(texts.MOD_PROBLEMS[outcome.problem])
            return
        assert outcome.card is not None
        await self._refresh_card(context, outcome.card)
        await message.reply_text(texts.EDIT_DONE.format(item=outcome.card.item.id))

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel in the moderators' chat: drop a pending edit."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        who = await self.roles.who(user.id)
        item = await self.moderation.editing(who)
        if item is not None and await self.moderation.cancel_edit(who):
            await message.reply_text(texts.EDIT_CANCELLED.format(item=item))

    async def queue(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/queue: how many items wait, oldest first."""
        message = update.effective_message
        assert message
        if await command_allowed(self.roles, update, lambda w: w.moderates, "/queue") is None:
            return
        await message.reply_text(
            self._queue_text(await self.moderation.queue()), parse_mode=ParseMode.HTML
        )

    def _queue_text(self, queue: object) -> str:
        count, oldest = queue.count, queue.oldest  # type: ignore[attr-defined]
        if not count:
            return texts.QUEUE_EMPTY
        now = self.moderation.clock()
        lines = [texts.QUEUE_HEAD.format(count=count)]
        lines += [
            texts.QUEUE_LINE.format(item=item, service=esc(name), age=_age(since, now))
            for item, name, since in oldest
        ]
        return "\n".join(lines)

    async def left(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone left the moderators' chat: a moderator's role ends with it."""
        message = update.effective_message
        if message is None or message.left_chat_member is None:
            return
        await self.roles.left_moderators_chat(message.left_chat_member.id)

    async def _refresh_card(self, context: ContextTypes.DEFAULT_TYPE, card: Card) -> None:
        if card.item.card_chat_id is None or card.item.card_message_id is None:
            return
        text, markup = render_card(card, self.labels)
        try:
            await context.bot.edit_message_text(
                text,
                card.item.card_chat_id,
                card.item.card_message_id,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
            )
        except BadRequest as exc:
            log.info("card of #%s not updated: %s", card.item.id, exc.message)

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
                await self.tell_authors(context)

    async def post_cards(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Post the card of every tagged item that has none yet."""
        if self.moderators_chat is None:
            return
        for card in await self.moderation.cards_to_post():
            if self.stopping:
                return
            text, markup = render_card(card, self.labels)
            try:
                sent = await context.bot.send_message(
                    self.moderators_chat, text, reply_markup=markup, parse_mode=ParseMode.HTML
                )
            except (Forbidden, BadRequest) as exc:
                # Not a member, or no such chat (a wrong moderators_chat): the cards wait,
                # and the rest of the sweep (telling authors) still runs.
                log.error("the bot cannot post in the moderators' chat: %s", exc.message)
                return
            await self.moderation.card_posted(card.item.id, sent.chat_id, sent.message_id)

    async def tell_authors(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Tell each author whose item was decided what happened, and why."""
        for note in await self.moderation.authors_to_tell():
            if self.stopping:
                return
            if note.status == "approved":
                text = texts.AUTHOR_PUBLISHED.format(
                    item=note.item_id, service=esc(note.service_name)
                )
                if note.redacted_kinds:
                    kinds = [texts.REDACTION_KINDS.get(k, k) for k in note.redacted_kinds]
                    text += texts.AUTHOR_PUBLISHED_REDACTED.format(kinds=_and(kinds))
                elif note.changed:
                    text += texts.AUTHOR_PUBLISHED_EDITED
            else:
                reason = texts.AUTHOR_REASONS.get(note.reason or "", texts.AUTHOR_REASONS["other"])
                text = texts.AUTHOR_REJECTED.format(
                    item=note.item_id, service=esc(note.service_name), reason=reason
                )
            try:
                await context.bot.send_message(note.telegram_id, text, parse_mode=ParseMode.HTML)
            except Forbidden:
                log.info("author of #%s blocked the bot; not told", note.item_id)
            except BadRequest as exc:
                # "Chat not found": the account is gone. Telling them can never work.
                log.info("author of #%s cannot be told: %s", note.item_id, exc.message)
            await self.moderation.author_told(note.item_id)

    async def remind(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: nudge the moderators' chat when the oldest item has waited too long."""
        if self.moderators_chat is None:
            return
        queue = await self.moderation.overdue()
        now = self.moderation.clock()
        if queue is None:
            self._reminded = None
            return
        every = self.moderation.deployment.moderation.remind_after_minutes * 60
        if self._reminded is not None and (now - self._reminded).total_seconds() < every:
            return
        item, _, since = queue.oldest[0]
        try:
            await context.bot.send_message(
                self.moderators_chat,
                texts.REMINDER.format(count=queue.count, item=item, age=_age(since, now)),
            )
            self._reminded = now
        except TelegramError as exc:
            log.warning("could not remind the moderators: %s", exc)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
