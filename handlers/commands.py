"""The command menus: each person sees only the commands they can use."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from bot.config import Deployment
from bot.roles import Who
from handlers import texts

log = logging.getLogger(__name__)


def _commands(pairs: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in pairs]


def menu_for(who: Who) -> list[BotCommand]:
    """The commands one person may use in their private chat with the bot."""
    commands = _commands(texts.COMMANDS)
    if who.admin:
        commands += _commands(texts.ADMIN_COMMANDS)
    elif who.moderates:
        commands += _commands(texts.MODERATOR_PRIVATE_COMMANDS)
    if who.provider or who.admin:
        commands += _commands(texts.PROVIDER_COMMANDS + texts.ASKS_PROVIDER_COMMANDS)
    # A command shared by two roles (/responses) is listed once.
    unique: dict[str, BotCommand] = {}
    for command in commands:
        unique.setdefault(command.command, command)
    return list(unique.values())


async def publish_commands(bot: Bot, deployment: Deployment) -> None:
    """Register each scope's commands at start: citizens, admins, the moderators' chat."""
    await bot.set_my_commands(_commands(texts.COMMANDS), scope=BotCommandScopeAllPrivateChats())
    for admin_id in deployment.admins:
        await publish_for(bot, Who(admin_id, admin=True))
    if deployment.moderators_chat is not None:
        await _set(bot, deployment.moderators_chat, _commands(texts.MODERATOR_COMMANDS))


async def publish_for(bot: Bot, who: Who) -> None:
    """Register one person's menu (after a role is granted or revoked)."""
    await _set(bot, who.telegram_id, menu_for(who))


async def _set(bot: Bot, chat_id: int, commands: list[BotCommand]) -> None:
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except (BadRequest, Forbidden) as exc:
        # Telegram knows a chat only once the person has opened it with the bot.
        log.debug("commands for chat %s not set yet: %s", chat_id, exc.message)
