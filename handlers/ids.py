"""How an operator finds the ids the deployment file needs: /id in any chat, and a log line
when the bot is added to a group, removed from one, or a group becomes a supergroup."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import ContextTypes

from bot.config import Deployment, Provider
from handlers import texts
from handlers.fitting import name

log = logging.getLogger(__name__)

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


class IdHandlers:
    """/id and the bot's own membership of groups, read against the deployment file."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment

    def _provider(self, chat_id: int) -> Provider | None:
        return next((p for p in self.deployment.providers if chat_id in p.chats), None)

    def _role_text(self, chat_id: int) -> str:
        if chat_id == self.deployment.moderators_chat:
            return texts.ID_ROLE_MODERATORS
        provider = self._provider(chat_id)
        if provider is not None:
            return texts.ID_ROLE_PROVIDER.format(provider=name(provider.name))
        return texts.ID_ROLE_NONE

    def _role_log(self, chat_id: int) -> str:
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
        """Log, for the operator, each group the bot is added to or removed from, with its id."""
        member = update.my_chat_member
        if member is None or member.chat.type == ChatType.PRIVATE:
            return
        chat = member.chat
        was_in = member.old_chat_member.status not in GONE
        is_in = member.new_chat_member.status not in GONE
        # Groups' titles and ids are staff's, not citizens': fine in the log at INFO.
        if is_in and not was_in:
            log.info("added to group %r (id %s): %s", chat.title, chat.id, self._role_log(chat.id))
        elif was_in and not is_in:
            log.info("removed from group %r (id %s)", chat.title, chat.id)

    async def migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group that became a supergroup has a new id: the deployment file must follow."""
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None:
            return
        log.warning(
            "group %r (id %s) became a supergroup: its id is now %s; where the deployment file"
            " names the old id, put the new one",
            message.chat.title,
            message.chat_id,
            message.migrate_to_chat_id,
        )
