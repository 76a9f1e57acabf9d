"""Forum groups (topics): answers go to the topic asked in, the bot's own posts to the topic
where the group's staff last used a command of their role.

A moderators' or providers' group may run as a forum. A command typed in a topic is
answered in that topic, whichever way the answer is sent (python-telegram-bot's replies name
the topic; a message sent to the chat by id does not, so it is placed here). What the bot
posts there by itself (cards, reminders, digests) goes to the topic where a moderator (in
the moderators' group) or a provider (in theirs) last used a command, remembered in the
database for every instance and the next start; a command in General makes it General again.
When that topic was deleted or closed, Telegram refuses the message: it is sent to General
once, and the topic forgotten, so nothing is lost.

Every request passes through the rate limiter (bot/ratelimit.py), which asks `place` where a
message goes and tells `refused` of a topic Telegram would not take.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import aiosqlite
from telegram import Message, MessageEntity, Update

from bot.intake import Clock
from bot.roles import Roles
from storage import forum_topics
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

MODERATORS = "moderator"
PROVIDERS = "provider"
# What Telegram answers for a message sent to a topic that cannot take it.
GONE = ("message thread not found", "topic_closed", "topic_deleted")
# Methods that post a new message in a chat (and so may name a topic).
POSTS = ("send", "copymessage", "forwardmessage")


@dataclass(frozen=True)
class Asked:
    """The update being answered: its task, chat, and topic (None: General or no forum)."""

    task: asyncio.Task[Any] | None
    chat_id: int
    thread: int | None


_asked: ContextVar[Asked | None] = ContextVar("forum_topic_asked", default=None)


def topic_of(message: object) -> int | None:
    """The forum topic a message is in (None: General, or a chat without topics; a message
    the bot can no longer see, under a button, tells none)."""
    if not getattr(message, "is_topic_message", False):
        return None
    thread = getattr(message, "message_thread_id", None)
    return thread if isinstance(thread, int) else None


def refused_for_topic(description: str) -> bool:
    """Whether Telegram refused a message because its topic is deleted or closed."""
    lowered = description.lower()
    return any(words in lowered for words in GONE)


class Topics:
    """Where in a forum group the bot's messages go."""

    def __init__(self, roles: Roles, clock: Clock) -> None:
        self.roles = roles
        self.db = roles.db
        self.clock = clock
        # Told when a group's topic was found deleted (its messages with it): (group, role).
        self.deleted: list[Callable[[int, str], object]] = []
        deployment = roles.deployment
        self.moderators_chat = deployment.moderators_chat
        # Each provider's group, and the providers it serves (a group may serve several).
        self.providers_in: dict[int, frozenset[str]] = {}
        for provider in deployment.providers:
            for chat in provider.chats:
                self.providers_in[chat] = self.providers_in.get(chat, frozenset()) | {provider.id}

    def role_of(self, chat_id: int) -> tuple[int, str] | None:
        """The group of the deployment file this chat is (by the id the file names it) and
        the role it serves; None for any other chat."""
        if chat_id >= 0:
            return None
        home = self.roles.home(chat_id)
        if home == self.moderators_chat:
            return home, MODERATORS
        if home in self.providers_in:
            return home, PROVIDERS
        return None

    async def heard(self, update: Update, bot_username: str | None) -> None:
        """An update arrived: answers to it go to its topic; a command of the group's role
        by someone who holds it moves the bot's own posts there."""
        message = update.effective_message
        chat = update.effective_chat
        # Set for every update: a task that handles several in turn carries none over.
        _asked.set(None)
        if chat is None or message is None:
            return
        thread = topic_of(message)
        _asked.set(Asked(asyncio.current_task(), chat.id, thread))
        if update.message is None or not chat.is_forum or update.effective_user is None:
            return
        if not ours(update.message, bot_username):
            return
        served = self.role_of(chat.id)
        if served is None:
            return
        home, role = served
        who = await self.roles.who(update.effective_user.id)
        holds = (
            who.moderates
            if role == MODERATORS
            else any(who.speaks_for(p) for p in self.providers_in[home])
        )
        if not holds:
            return
        if thread == await forum_topics.one(self.db.reader, home, role):
            return
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await forum_topics.remember(conn, home, role, thread, now)

        await self.db.write(run)
        log.info("%s group %s: the bot posts in topic %s from now on", role, home, thread)

    async def place(self, endpoint: str, data: dict[str, Any]) -> int | None:
        """The topic to name in a new message that names none (nor replies to a message,
        which puts it in that message's topic): the topic of the update being answered
        there, else the one remembered for the group; None to leave it as it is."""
        chat_id = data.get("chat_id")
        if not isinstance(chat_id, int) or chat_id >= 0:
            return None
        if not endpoint.lower().startswith(POSTS) or "message_thread_id" in data:
            return None
        if "reply_parameters" in data or "reply_to_message_id" in data:
            return None
        asked = _asked.get()
        if asked is not None and asked.task is asyncio.current_task():
            if self.roles.home(asked.chat_id) == self.roles.home(chat_id):
                return asked.thread
        served = self.role_of(chat_id)
        if served is None:
            return None
        try:
            return await forum_topics.one(self.db.reader, *served)
        except STORAGE_ERRORS as exc:
            # The message matters more than its topic: it goes to General.
            log.warning("topic for %s not read (%s): the message goes to General", chat_id, exc)
            return None

    async def refused(self, chat_id: int, thread: int, description: str) -> None:
        """Telegram would not take a message in this topic (deleted, or closed): forget it,
        so the bot's posts go to General until a command names a topic again."""
        served = self.role_of(chat_id)
        if served is None:
            return
        home, role = served

        async def run(conn: aiosqlite.Connection) -> bool:
            return await forum_topics.forget(conn, home, role, thread)

        if not await self.db.write(run):
            return
        log.warning(
            "%s group %s: topic %s refused a message (%s); posting in General until a "
            "command is used in a topic again",
            role,
            home,
            thread,
            description,
        )
        if "not found" in description.lower():
            # Deleted, with what the bot had posted there (cards waiting for a decision).
            for listener in self.deleted:
                listener(home, role)


# Whether a message is for this bot, by what it names: read in one place, so that the
# commands' filter, the forum topics and the pointers in groups agree.


def addressed_to(message: Message) -> str | None:
    """The bot a command names after its @ (/queue@some_bot), lower case; None when the
    message is no command or names no bot."""
    entities = message.entities or ()
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return None
    command = (message.text or "")[: entities[0].length]
    _, _, addressed = command.partition("@")
    return addressed.lower() or None


def ours(message: Message, bot_username: str | None) -> bool:
    """Whether the message is a command for this bot (not /cmd@another_bot)."""
    entities = message.entities or ()
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return False
    addressed = addressed_to(message)
    return addressed is None or addressed == (bot_username or "").lower()


def named(message: Message) -> bool:
    """Whether a command names a bot after its @ (/help@some_bot): where several bots
    share a group, a bare /help may be any of theirs."""
    return addressed_to(message) is not None


def mentions(message: Message, bot_username: str | None) -> bool:
    """Whether the message's words name this bot (@this_bot), not only another."""
    username = (bot_username or "").lower()
    if not username:
        return False
    names = message.parse_entities([MessageEntity.MENTION]).values()
    return f"@{username}" in (name.lower() for name in names)
