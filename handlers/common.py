"""What every chat shares: messages the bot cannot use, and the one error handler."""

from __future__ import annotations

import html
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, Protocol, TypeVar

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.intake import Intake, Show, Step
from bot.languages import Languages
from bot.outbox import Outbox
from bot.roles import Roles, Who
from handlers import safely, texts
from handlers.citizen import ANSWER_PREFIXES, UNDO_JOIN_PREFIX, message_kind, render
from handlers.outbox import OutboxSender
from handlers.places import team_chat
from handlers.questions import Questions
from storage.missed_notices import MissedNotice

log = logging.getLogger(__name__)

# The largest number SQLite keeps as an integer: an id typed or forged beyond it is no id.
_LARGEST = 2**63 - 1


def id_number(text: str) -> int | None:
    """A number typed or carried by a button (ASCII digits, within what the database holds);
    None for anything else, such as "²", "-3" or twenty nines."""
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= _LARGEST else None


async def command_allowed(
    roles: Roles, update: Update, check: Callable[[Who], bool], command: str
) -> Who | None:
    """The person sending a command, if `check` allows it; otherwise told no, and audited."""
    message, user = update.effective_message, update.effective_user
    assert message and user
    who = await roles.who(user.id)
    if check(who):
        return who
    await roles.denied(who, command)
    await message.reply_text(texts.NOT_ALLOWED)
    return None


Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
# Refused presses of one person a minute, audited as one row with a count.
MISPLACED_ROWS = 1


class Buttons:
    """Where each kind of button belongs: always the presser's own private chat; moderators'
    buttons also the moderators' chat, providers' buttons also their providers' chats. A
    press anywhere else (data forged against another chat's message) does nothing but a
    short alert, and is audited, folded so that a flood leaves a row a minute."""

    def __init__(self, roles: Roles) -> None:
        self.roles = roles

    def only(
        self, callback: Callback, *, moderators: bool = False, providers: bool = False
    ) -> Callback:
        """`callback` for presses where its buttons belong; the rest refused here."""

        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if await self.belongs(update, moderators=moderators, providers=providers):
                await callback(update, context)
            else:
                await self.refuse(update)

        return guarded

    async def belongs(self, update: Update, *, moderators: bool, providers: bool) -> bool:
        """Whether the message pressed is in a chat where this kind of button belongs."""
        query, user = update.callback_query, update.effective_user
        # No message: a button of an inline message, which the bot never sends.
        if query is None or user is None or query.message is None:
            return False
        chat = query.message.chat
        if chat.type == ChatType.PRIVATE:
            return chat.id == user.id
        deployment = self.roles.deployment
        # A group that became a supergroup is still the group the file names.
        home = self.roles.home(chat.id)
        if moderators and home == deployment.moderators_chat:
            return True
        if providers and any(home in p.chats for p in deployment.providers):
            return team_chat(await self.roles.who(user.id), deployment.providers, home)
        return False

    async def refuse(self, update: Update) -> None:
        """A press where the button does not belong: audited, and a short alert."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        who = await self.roles.who(user.id)
        await self.roles.denied(who, "button elsewhere", query.data or "", rows=MISPLACED_ROWS)
        await safely.answer(query.answer(texts.BUTTON_ELSEWHERE, show_alert=True))


def _undoing(update: Update) -> int | None:
    """The item whose join the update's button undoes, if it is an "Undo" press."""
    data = update.callback_query.data if update.callback_query else None
    prefix, _, item = (data or "").partition(":")
    return int(item) if prefix == UNDO_JOIN_PREFIX and item.isdigit() else None


def kind_of(update: Update) -> str:
    """Which kind of unusable message this is, as a key of texts.UNSUPPORTED."""
    if update.edited_message is not None:
        return "edited"
    message = update.effective_message
    return "other" if message is None else message_kind(message)


class WelcomeAgain(Protocol):
    """Tells a newcomer the role they took again, if the update whose answer failed gave it
    (True); not when Telegram may have `told` it already (a timeout), though still True."""

    def __call__(
        self, context: ContextTypes.DEFAULT_TYPE, chat: int, *, told: bool = False
    ) -> Awaitable[bool]: ...


class CommonHandlers:
    """Callbacks shared by every role."""

    def __init__(
        self,
        intake: Intake,
        outbox: Outbox,
        names: Languages | None = None,
        sender: OutboxSender | None = None,
        questions: Questions | None = None,
    ) -> None:
        self.intake = intake
        self.outbox = outbox
        # Where each citizen's question is shown now (shared with the citizen's handlers).
        self.questions = questions or Questions(ANSWER_PREFIXES)
        # Sends what is due again when someone who had blocked the bot comes back.
        self.sender = sender
        # The deployment's names of services, in each reader's language.
        self.names = names
        # Tells a citizen back the time-out notices they missed (set by the citizen's side).
        self.tell_missed: (
            Callable[[ContextTypes.DEFAULT_TYPE, int, Sequence[MissedNotice]], Awaitable[None]]
            | None
        ) = None
        # Tells a newcomer the role they took again, if that update's answer failed (True).
        self.welcome_again: WelcomeAgain | None = None

    async def reachability(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every update first: a chat marked unreachable that speaks again can be written to
        again; Telegram's word that the bot was blocked or removed marks it unreachable. A
        time-out notice they missed is told then, before what they sent is answered."""
        member = update.my_chat_member
        if member is not None:
            status = member.new_chat_member.status
            if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
                await self.outbox.unreachable(member.chat.id, f"bot {status} by the chat")
            else:
                await self._back(context, member.chat.id)
            return
        chat = update.effective_chat
        if chat is not None and (update.effective_message or update.callback_query):
            # Answers that could not reach them while they had blocked the bot go now.
            await self._back(context, chat.id)

    async def _back(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
        """What a chat missed while it could not be reached, if it was marked so."""
        back = await self.outbox.reachable(chat_id)
        if back is None:
            return
        if back.notices and self.tell_missed is not None:
            await self.tell_missed(context, chat_id, back.notices)
        if back.answers and self.sender is not None:
            self.sender.kick(context)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: a citizen whose answer Telegram failed to take (a 5xx, a
        timeout) is shown what was saved or where they are, not told to try again what was
        done already (their words would be added twice); anything else as `on_error`."""
        error = context.error
        if (
            isinstance(error, NetworkError)
            and not isinstance(error, BadRequest)
            and isinstance(update, Update)
            and update.effective_chat is not None
            and update.effective_user is not None
            and update.effective_chat.id == update.effective_user.id
        ):
            chat = update.effective_chat.id
            claimed = await self.intake.claimed(update.update_id)
            welcome = self.welcome_again
            told = safely.maybe_sent(error)
            if claimed and welcome is not None and await welcome(context, chat, told=told):
                # A role taken: its welcome given (unless Telegram may have it: a timeout),
                # not "try again" (it was taken already).
                log.warning("a Telegram call failed while welcoming new staff: %s", error)
                return
            step = await self.intake.answer_failed(update.update_id, chat, _undoing(update))
            if step.show is not Show.NOTHING:
                log.warning("a Telegram call failed while answering a citizen: %s", error)
                if update.callback_query is not None:
                    await safely.quietly(update.callback_query.answer())
                text, markup = render(step, self.names)
                try:
                    sent = await context.bot.send_message(
                        chat, text, reply_markup=markup, parse_mode=ParseMode.HTML
                    )
                    await self.questions.shown(context.bot, sent, markup)
                except TelegramError as exc:
                    log.warning("could not show the citizen where they are: %s", exc)
                return
        await on_error(update, context)

    async def anonymous(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command, or a reply to the bot, from an admin posting as the group: who it is
        cannot be known, so say how to be known (and nothing else handles it). Before, a
        moderator's command was refused as a stranger's, and a corrected text ignored."""
        message = update.effective_message
        if message is None or message.sender_chat is None:
            return
        if message.sender_chat.id != message.chat_id:
            return  # a channel's post forwarded into its discussion group, say
        replied = message.reply_to_message
        to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
        first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
        name = first.partition("@")[2].lower()
        command = first.startswith("/") and name in ("", context.bot.username.lower())
        if not (command or to_bot):
            return
        await message.reply_text(texts.ANONYMOUS_ADMIN)
        raise ApplicationHandlerStop

    async def unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, voice note, sticker, file, edit, forward...: say kindly what we accept;
        before agreeing, with the consent question."""
        await self._unsupported(update, context, consent=True)

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Something not text sent by staff writing a response or a question: say so."""
        await self._unsupported(update, context, consent=False)

    async def _unsupported(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, consent: bool
    ) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        text = texts.UNSUPPORTED[kind_of(update)]
        markup = None
        edit = update.edited_message
        if consent and edit is not None and (edit.text or edit.caption):
            # Words waiting for their consent: the edit is taken, and said so.
            if self.intake.edit_held(user.id, edit.message_id, edit.text or edit.caption or ""):
                text = texts.EDITED_BEFORE_CONSENT
        # Remind them where they were, in the same message.
        step = await self.intake.remind(update.update_id, user.id)
        if step.show is Show.NOTHING and consent and message.chat.type == ChatType.PRIVATE:
            # Not agreed yet (a sticker first): what to agree to, right there with it.
            asked = await self.intake.consent_question(user.id, update.update_id)
            if asked is not None and asked.show is Show.NOTHING:
                return  # a replay: asked already
            step = asked or step
        if consent and kind_of(update) == "edited" and text != texts.EDITED_BEFORE_CONSENT:
            text = await self._edited(user.id, step) or text
        if step.show is not Show.NOTHING:
            question, markup = render(step, self.names)
            text = f"{text}\n\n{question}"
        try:
            sent = await context.bot.send_message(
                message.chat_id, text, reply_markup=markup, parse_mode=ParseMode.HTML
            )
        except Forbidden:
            log.info("citizen blocked the bot; reply not delivered")
            return
        await self.questions.shown(context.bot, sent, markup)

    async def _edited(self, telegram_id: int, step: Step) -> str | None:
        """What to say of an edit where "send it as a new message" would not add to what
        was edited (None where it does: the report is still being written)."""
        if step.show in (Show.HEAR_BACK, Show.INVOLVE):
            return texts.EDITED_WRITTEN
        if step.show is Show.NOTHING:
            saved = await self.intake.latest_saved(telegram_id)
            if saved is not None:
                # Named only when it is their one item: with several, the edited message may
                # be of any of them (nothing kept says which), not only of the latest.
                reference, alone = saved
                if not alone:
                    return texts.EDITED_SAVED_SOME
                return texts.EDITED_SAVED.format(reference=reference)
        return None


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log anything unexpected, and tell the person it happened (their update only)."""
    if context.error is not None and safely.not_modified(context.error):
        # An edit to what a message shows already (a button pressed twice): nothing failed.
        log.info("an edit changed nothing: %s", context.error)
        if isinstance(update, Update) and update.callback_query is not None:
            await safely.answer(update.callback_query.answer())
        return
    if isinstance(context.error, RetryAfter):
        # Telegram holds the chat for a while (its flood limit): the answer was not sent, and
        # the chat's next updates were not kept waiting for it.
        log.warning("an answer was not sent: %s", context.error)
    elif isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest):
        # Telegram or the way to it failed (5xx, timeout, 429): a fault of the moment, not a
        # bug, so one line without a traceback; the person is still told to try again.
        log.warning("a Telegram call failed while handling an update: %s", context.error)
    else:
        log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
            return
        except TelegramError:
            pass  # too late to answer the button: fall through to a message
    try:
        await context.bot.send_message(update.effective_chat.id, html.escape(texts.ERROR))
    except TelegramError as exc:
        log.warning("could not tell the person about the error: %s", exc)


K = TypeVar("K")


class Remembered(Generic[K]):
    """The last `size` keys seen, oldest forgotten first (albums already answered)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: OrderedDict[K, None] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def first(self, key: K) -> bool:
        """Whether `key` is new; remembers it either way."""
        if key in self._keys:
            return False
        self._keys[key] = None
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True
