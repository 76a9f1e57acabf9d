"""The question a citizen is asked now: only the copy of it shown last keeps its buttons.

A question is asked again below an odd message (a sticker, a location, words where a tap was
expected). Left live, the copy above answers a question asked again below (which then looks
unanswered), and the copy below then says it belongs to an earlier conversation.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

log = logging.getLogger(__name__)

# Chats remembered at most (the oldest forgotten first): one entry is two numbers and a
# keyboard, and a chat forgotten only keeps an earlier copy's buttons, as before.
REMEMBERED = 20_000


def _answers(button: InlineKeyboardButton, prefixes: frozenset[str]) -> bool:
    data = button.callback_data
    return isinstance(data, str) and data.partition(":")[0] in prefixes


class Questions:
    """Where each citizen's current question is shown, in this process."""

    def __init__(self, prefixes: frozenset[str], offer_prefix: str = "") -> None:
        # The callback data prefixes of the conversation's answers (rating, hear back...);
        # other buttons (the themes heard, undo a "me too", keep the exact spot) stay.
        self.prefixes = prefixes
        self._shown: OrderedDict[int, tuple[int, InlineKeyboardMarkup]] = OrderedDict()
        # A "me too" offer's buttons, and what to tell of the message showing one (chat,
        # message): it quotes other people's words, drawn again when they are erased.
        self._offer = frozenset({offer_prefix} if offer_prefix else ())
        self.offered: Callable[[int, int], Awaitable[None]] | None = None

    def _offers(self, markup: object) -> bool:
        return isinstance(markup, InlineKeyboardMarkup) and any(
            _answers(b, self._offer) for row in markup.inline_keyboard for b in row
        )

    def _asks(self, markup: object) -> bool:
        return isinstance(markup, InlineKeyboardMarkup) and any(
            _answers(b, self.prefixes) for row in markup.inline_keyboard for b in row
        )

    def _rest(self, markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
        rows = [
            [b for b in row if not _answers(b, self.prefixes)] for row in markup.inline_keyboard
        ]
        rows = [row for row in rows if row]
        return InlineKeyboardMarkup(rows) if rows else None

    async def shown(
        self, bot: Bot, sent: object, markup: object, *, answered: bool = False
    ) -> None:
        """A conversation message was sent, or (`answered`) a copy of the question was
        answered and shows what came next in its place. A new question, or an answer given
        on another copy, takes the answer buttons off the copy remembered; a message beside
        the question (a photo kept, say) leaves it open."""
        if not isinstance(sent, Message) or sent.chat_id <= 0:
            return
        chat, message_id = sent.chat_id, sent.message_id
        if self.offered is not None and self._offers(markup):
            try:
                await self.offered(chat, message_id)
            except Exception:
                # Sent already; only drawing it again on an erasure is lost.
                log.exception("the message of a 'me too' offer not recorded")
        asks = isinstance(markup, InlineKeyboardMarkup) and self._asks(markup)
        before = self._shown.get(chat)
        if before is not None and (answered or asks):
            self._shown.pop(chat)
        if asks:
            self._shown[chat] = (message_id, markup)  # type: ignore[assignment]
            while len(self._shown) > REMEMBERED:
                self._shown.popitem(last=False)
        if before is None or before[0] == message_id or not (answered or asks):
            return
        try:
            await bot.edit_message_reply_markup(chat, before[0], reply_markup=self._rest(before[1]))
        except TelegramError as exc:
            # Deleted by the person, or too old to edit: nothing is left to press there.
            log.info("an earlier question's buttons not taken off: %s", exc)

    def below(self, chat: int, message_id: int) -> bool:
        """Whether the question's live copy in this chat came after message `message_id`
        (so it already stands below it, as asked again for a message before)."""
        shown = self._shown.get(chat)
        return shown is not None and shown[0] > message_id

    def redrawn(self, sent: object, markup: InlineKeyboardMarkup | None) -> None:
        """A message's buttons changed in place (one used, such as "Keep the exact spot"):
        what is remembered of it follows, so taking its answers off later keeps the rest."""
        if not isinstance(sent, Message):
            return
        before = self._shown.get(sent.chat_id)
        if before is not None and before[0] == sent.message_id:
            if markup is not None and self._asks(markup):
                self._shown[sent.chat_id] = (sent.message_id, markup)
            else:
                self._shown.pop(sent.chat_id)
