"""Where provider commands answer: a provider's private chat or their team's chats.

A provider who is also in the moderators' group must not get a digest, a list of responses
or their invitations posted there (nor in any other group the bot is in): in such a chat
the command gets a short pointer and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from telegram import Message
from telegram.constants import ChatType

from bot.config import Provider
from bot.roles import Who
from handlers import safely, texts


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


def here(who: Who, providers: Iterable[Provider], chat_id: int, private: bool) -> Who:
    """What `who` may do as a provider in this chat: everything in their private chat; in a
    team's chat, only that team's (its members may not read another service's items, even
    when the person, or an admin, speaks for that service too)."""
    if private:
        return who
    team = frozenset(p.id for p in providers if chat_id in p.chats and who.speaks_for(p.id))
    return replace(who, admin=False, providers=team)
