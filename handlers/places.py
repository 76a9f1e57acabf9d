"""Where commands answer, and a short pointer where they do not.

Provider commands answer in a provider's private chat or their team's chats: a provider who
is also in the moderators' group must not get a digest, a list of responses or their
invitations posted there (nor in any other group the bot is in). The moderators' commands
answer in private and in the moderators' group; everyone else's (an admin's, a citizen's,
/help) in private only. Typed in a group where it does not answer, a command gets a short
pointer to where it does, and nothing else: never an invitation link or a person's data in
a group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.config import Provider
from bot.roles import Roles, Who
from bot.topics import mentions, named
from handlers import safely, texts

# Commands that answer in the private chat only, and who may use them there (None: anyone;
# /start in a group has its own answer, citizen.group_start).
PRIVATE_ONLY: dict[str, Callable[[Who], bool] | None] = {
    "help": None,
    "mine": None,
    "language": None,
    "privacy": None,
    "mydata": None,
    "forget": None,
    "invite": lambda who: who.admin,
    "roles": lambda who: who.admin,
    "audit": lambda who: who.admin,
}
# The moderators' commands: in private, and in the moderators' group.
MODERATORS_ONLY = ("queue", "unpublish", "merge")


def team_chat(who: Who, providers: Iterable[Provider], chat_id: int) -> bool:
    """Whether `chat_id` is a chat (from the deployment file) of a provider `who` speaks for."""
    return any(chat_id in p.chats and who.speaks_for(p.id) for p in providers)


async def provider_place(
    who: Who, providers: Iterable[Provider], message: Message, home: Callable[[int], int]
) -> bool:
    """Whether a provider command may answer in this message's chat (`home` gives the id the
    deployment file names it by, also once a group became a supergroup); if not, say where
    it does."""
    private = message.chat.type == ChatType.PRIVATE
    if private or team_chat(who, providers, home(message.chat_id)):
        return True
    await safely.quietly(message.reply_text(texts.PROVIDER_ELSEWHERE))
    return False


def moderators_place(roles: Roles, message: Message) -> bool:
    """Whether a moderators' command may answer in this message's chat: in private, or in
    the moderators' group (also once it became a supergroup)."""
    moderators = roles.deployment.moderators_chat
    private = message.chat.type == ChatType.PRIVATE
    return private or (moderators is not None and roles.home(message.chat_id) == moderators)


def command_of(message: Message) -> str:
    """The command a message starts with, without a bot's @name: "/digest"."""
    return (message.text or "").split()[0].partition("@")[0].lower()


async def point(message: Message, username: str | None, key: str, command: str) -> None:
    """The short pointer to where `command` works (COMMAND_ELSEWHERE[key]), with a button to
    the private chat."""
    text = texts.COMMAND_ELSEWHERE[key].format(command=command)
    markup = None
    if username:
        link = f"https://t.me/{username}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GROUP_START_BUTTON, url=link)]])
    await safely.quietly(message.reply_text(text, reply_markup=markup))


async def moderators_pointer(roles: Roles, message: Message, username: str | None) -> None:
    """Where a moderator's command works: the moderators' group too, if there is one."""
    command = command_of(message)
    key = "private" if roles.deployment.moderators_chat is None else "moderators"
    await point(message, username, key, command)


def here(who: Who, providers: Iterable[Provider], chat_id: int, private: bool) -> Who:
    """What `who` may do as a provider in this chat: everything in their private chat; in a
    team's chat, only that team's (its members may not read another service's items, even
    when the person, or an admin, speaks for that service too)."""
    if private:
        return who
    team = frozenset(p.id for p in providers if chat_id in p.chats and who.speaks_for(p.id))
    return replace(who, admin=False, providers=team)


class Elsewhere:
    """A command typed in a group where it does not answer: a short pointer to where it
    does, for the staff who may use it (anywhere), and for anyone in a group the bot serves
    (the moderators', a team's) or who names this bot (/help@this_bot). A command that is
    not the sender's (a citizen's /roles), or a citizen's bare /help in a group the bot only
    happens to be in (perhaps meant for another bot there), is left unanswered."""

    def __init__(self, roles: Roles) -> None:
        self.roles = roles

    def _served(self, chat_id: int) -> bool:
        deployment = self.roles.deployment
        home = self.roles.home(chat_id)
        return home == deployment.moderators_chat or any(
            home in p.chats for p in deployment.providers
        )

    async def pointer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Say where the command works, with a button to the private chat."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None or not message.text:
            return
        command = command_of(message)
        name = command.removeprefix("/")
        who = await self.roles.who(user.id)
        staff = who.admin or who.moderates or who.provider
        if name in MODERATORS_ONLY:
            if not who.moderates:
                return
            moderators = self.roles.deployment.moderators_chat is not None
            key = "moderators" if moderators else "private"
        else:
            allowed = PRIVATE_ONLY.get(name)
            if allowed is not None and not allowed(who):
                return
            key = "private" if staff else "citizen"
        if not staff and not self._served(message.chat_id) and not named(message):
            return
        await point(message, context.bot.username, key, command)

    async def not_provider(self, message: Message, who: Who, username: str | None) -> None:
        """A provider's command from someone who speaks for no provider. In private: it is
        for the people who run services. In a team's group: it is that team's providers',
        and how to become one. In any other group, as `pointer` does: who it is for and
        where it works, for staff anywhere and for anyone in the moderators' group or who
        names this bot; nothing for a citizen's bare command (perhaps another bot's)."""
        if message.chat.type == ChatType.PRIVATE:
            await message.reply_text(texts.NOT_A_PROVIDER)
            return
        command = command_of(message)
        home = self.roles.home(message.chat_id)
        if any(home in p.chats for p in self.roles.deployment.providers):
            text = texts.COMMAND_ELSEWHERE["team"].format(command=command)
            await safely.quietly(message.reply_text(text))
            return
        staff = who.admin or who.moderates or who.provider
        if not staff and not self._served(message.chat_id) and not named(message):
            return
        await point(message, username, "providers", command)

    async def provider_allowed(
        self, update: Update, username: str | None, command: str
    ) -> Who | None:
        """The sender of a provider's command (/ask, /involved, /photo) if they speak for a
        provider or are an admin; otherwise audited and told so: no, in private; in a group,
        who it is for and where it works (`not_provider`)."""
        message, user = update.effective_message, update.effective_user
        assert message and user
        who = await self.roles.who(user.id)
        if who.provider or who.admin:
            return who
        await self.roles.denied(who, command)
        if message.chat.type == ChatType.PRIVATE:
            await message.reply_text(texts.NOT_ALLOWED)
        else:
            await self.not_provider(message, who, username)
        return None

    async def mentioned(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Words naming this bot (@this_bot) in a group it does not serve (neighbours telling
        it about the bins): the pointer /start gets there, quoting none of them. Nothing of
        them is kept; in a group it serves, the mention is someone else's business."""
        message = update.effective_message
        if message is None or self._served(message.chat_id):
            return
        if not mentions(message, context.bot.username):
            return
        link = f"https://t.me/{context.bot.username}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.GROUP_START_BUTTON, url=link)]])
        await safely.quietly(message.reply_text(texts.GROUP_START, reply_markup=markup))
