"""How an operator finds the ids the deployment file needs: /id in any chat, and a log line
when the bot is added to a group or removed from one; and a group that becomes a supergroup,
followed to its new id (bot/chatmoves.py), the operator told in the log and the group."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes, JobQueue

from bot.chatmoves import ChatMoves, Move
from bot.config import Deployment, Provider
from bot.i18n import speaking
from bot.languages import Languages
from handlers import texts
from handlers.commands import publish_moderators_chat
from handlers.fitting import name

log = logging.getLogger(__name__)

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def may_post(member: ChatMember) -> bool:
    """Whether the bot, as this member of a group, may send messages there."""
    if member.status in GONE:
        return False
    if isinstance(member, ChatMemberRestricted):
        return member.is_member and member.can_send_messages
    return True


class IdHandlers:
    """/id and the bot's own membership of groups, read against the deployment file."""

    def __init__(
        self,
        deployment: Deployment,
        moves: ChatMoves,
        languages: Languages | None = None,
        job_queue: JobQueue | None = None,  # type: ignore[type-arg]
    ) -> None:
        self.deployment = deployment
        self.moves = moves
        self.languages = languages
        self.job_queue = job_queue
        # Run after the moderators' chat moved: its pending cards are posted again there.
        self.post_cards: Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]] | None = None
        # Run when the bot is back in the moderators' chat: cards refused meanwhile are due
        # at once; how many.
        self.cards_back: Callable[[], Awaitable[int]] | None = None
        # And the other cards waiting for a moderator's press there (asks, responses).
        self.post_again: list[Callable[[ContextTypes.DEFAULT_TYPE, Move], Awaitable[None]]] = []
        # Then what was open on those cards: a moderator's edit prompt, to reply to there.
        self.post_after: list[Callable[[ContextTypes.DEFAULT_TYPE, Move], Awaitable[None]]] = []
        moves.listeners.append(self.followed)

    def _provider(self, chat_id: int) -> Provider | None:
        return next((p for p in self.deployment.providers if chat_id in p.chats), None)

    def _role_text(self, chat_id: int) -> str:
        chat_id = self.moves.home(chat_id)
        if chat_id == self.deployment.moderators_chat:
            return texts.ID_ROLE_MODERATORS
        provider = self._provider(chat_id)
        if provider is not None:
            return texts.ID_ROLE_PROVIDER.format(provider=name(provider.name))
        return texts.ID_ROLE_NONE

    def _role_log(self, chat_id: int) -> str:
        chat_id = self.moves.home(chat_id)
        if chat_id == self.deployment.moderators_chat:
            return "it is moderators_chat in the deployment file"
        provider = self._provider(chat_id)
        if provider is not None:
            return f"it is in the chats of provider {provider.id} in the deployment file"
        return "not in the deployment file (moderators_chat, or a provider's chats)"

    async def show(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/id: in private the person's own user id; in a group, the group's id (for anyone:
        an id is no secret to a chat's members, and an operator setting up needs to read it)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        if message.chat.type == ChatType.PRIVATE:
            text = texts.ID_PRIVATE.format(user_id=user.id)
        else:
            text = texts.ID_GROUP.format(
                chat_id=message.chat_id, role=self._role_text(message.chat_id)
            )
        await message.reply_text(text, parse_mode=ParseMode.HTML)

    async def membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log, for the operator, each group the bot is added to or removed from, with its id;
        the moderators' cards held back go once the bot may post there again."""
        member = update.my_chat_member
        if member is None or member.chat.type == ChatType.PRIVATE:
            return
        chat = member.chat
        was_in = member.old_chat_member.status not in GONE
        is_in = member.new_chat_member.status not in GONE
        # Groups' titles and ids are staff's, not citizens': fine in the log at INFO.
        if is_in and not was_in:
            log.info("added to group %r (id %s): %s", chat.title, chat.id, self._role_log(chat.id))
        # Made an admin again: in a group where only admins may post, that is what lets the
        # bot post there again.
        old_status, new_status = member.old_chat_member.status, member.new_chat_member.status
        promoted = new_status == ChatMemberStatus.ADMINISTRATOR and old_status != new_status
        if may_post(member.new_chat_member) and (promoted or not may_post(member.old_chat_member)):
            if self.moves.home(chat.id) == self.deployment.moderators_chat:
                # Back after being removed, or allowed to post again: the cards Telegram
                # refused meanwhile go now, not at their next spaced-out try.
                again = await self.cards_back() if self.cards_back is not None else 0
                if again:
                    log.warning("back in the moderators' group: posting %d card(s) now", again)
                if self.post_cards is not None:
                    await self.post_cards(context)
        if was_in and not is_in:
            log.info("removed from group %r (id %s)", chat.title, chat.id)

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup (said in the old group, and again in the new one): the
        bot follows it to its new id (recorded once, whichever message comes first)."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = message.chat_id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id is not None:
            old, new = message.migrate_from_chat_id, message.chat_id
        else:
            return
        await self.moves.moved(old, new)

    def followed(self, move: Move) -> None:
        """A move was just recorded (from a service message, or a call Telegram refused with
        the new id): the operator is told, and the group too, where the file names it."""
        log.warning(
            "group (id %s) became a supergroup: its id is now %s; followed (%s, %d card(s) to post"
            " there again); the deployment file may name the new id when convenient",
            move.old,
            move.new,
            self._role_log(move.old),
            len(move.cards) + len(move.asks) + len(move.responses),
        )
        if move.home is not None and self.job_queue is not None:
            # Not inside the call that learned of it (a card or digest on its way there).
            self.job_queue.run_once(self._after_move, 0, data=move, name=f"moved:{move.old}")

    async def _after_move(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Job: say in the new group that the bot followed it; the moderators' chat gets its
        commands menu and its pending cards again (items, asks, responses), then the edit
        prompts that were open on them."""
        move = context.job.data if context.job is not None else None
        if not isinstance(move, Move) or move.home is None:
            return
        moderators = move.home == self.deployment.moderators_chat
        language = self.languages.of_group(move.new) if self.languages else None
        with speaking(language or self.deployment.languages[0]):
            text = texts.GROUP_MOVED.format(old=move.old, new=move.new)
        try:
            await context.bot.send_message(move.new, text, parse_mode=ParseMode.HTML)
            if moderators:
                await publish_moderators_chat(context.bot, self.deployment, move.new)
        except TelegramError as exc:
            log.warning("the group %s was not told it was followed: %s", move.new, exc)
        if moderators:
            for post in self.post_again:
                await post(context, move)
        if moderators and self.post_cards is not None:
            await self.post_cards(context)
        if moderators:
            for post in self.post_after:
                await post(context, move)
