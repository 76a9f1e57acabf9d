"""The command menus: each person sees only the commands they can use, in their language.

Telegram shows each person the list registered for their app's language (`language_code`)
when there is one, else the list without a language: so each list is registered in every
language the deployment offers, and without a language in its default one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError

from bot.config import Deployment
from bot.i18n import current, speaking
from bot.ratelimit import NO_RETRY
from bot.roles import Who
from handlers import texts

log = logging.getLogger(__name__)


def _commands(pairs: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(name, text) for name, text in pairs]


def citizen_menu(choice: bool = False) -> list[BotCommand]:
    """Everyone's commands, with /language where there is a choice of languages."""
    return _commands(texts.COMMANDS + (texts.LANGUAGE_COMMANDS if choice else ()))


def menu_for(who: Who, choice: bool = False) -> list[BotCommand]:
    """The commands one person may use in their private chat with the bot."""
    commands = citizen_menu(choice)
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


def in_each(
    languages: Sequence[str], make: Callable[[], list[BotCommand]]
) -> list[tuple[str | None, list[BotCommand]]]:
    """A menu without a language code in the first (default) language, then, where there
    is a choice, in each language with its code."""
    menus: list[tuple[str | None, list[BotCommand]]] = []
    for index, language in enumerate(languages):
        with speaking(language):
            commands = make()
        if index == 0:
            menus.append((None, commands))
        if len(languages) > 1:
            menus.append((language, commands))
    return menus


async def publish_commands(
    bot: Bot,
    deployment: Deployment,
    staff: Sequence[Who] = (),
    where: Callable[[int], int] | None = None,
) -> None:
    """Register each scope's commands at start: citizens, admins, the people who hold or held
    a role (`staff`: a menu Telegram failed to take when a role was granted or revoked is set
    again, and an admin taken out of the file loses the admin's menu), the moderators' chat
    (where it is now: `where` follows a group that became a supergroup)."""
    languages = deployment.languages
    choice = len(languages) > 1
    for code, commands in in_each(languages, lambda: citizen_menu(choice)):
        try:
            await bot.set_my_commands(
                commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
            )
        except BadRequest as exc:
            # A Bot API server without scopes (an older or independent one): the citizen's
            # menu for everyone, rather than no menu at all and no staff menus after it.
            log.warning("command scopes refused (%s); the citizen's menu is set for all", exc)
            await bot.set_my_commands(commands, language_code=code)
    for admin_id in deployment.admins:
        await publish_for(bot, Who(admin_id, admin=True), languages)
    for who in staff:
        # Admins' menus are set above; everyone else's as they stand now (a role revoked,
        # or an admin no longer in the file, leaves the citizen's menu).
        if not who.admin:
            await publish_for(bot, who, languages)
    if deployment.moderators_chat is not None:
        chat = deployment.moderators_chat
        await publish_moderators_chat(bot, deployment, where(chat) if where else chat)


async def publish_moderators_chat(bot: Bot, deployment: Deployment, chat_id: int) -> None:
    """Register the moderators' commands in their chat (at `chat_id`, where it is now)."""
    # In its own language, whatever each member's app speaks.
    with speaking(deployment.moderators_language):
        commands = _commands(texts.MODERATOR_COMMANDS)
    await _set(bot, chat_id, commands, None)


async def publish_for(bot: Bot, who: Who, languages: Sequence[str] = ()) -> None:
    """Register one person's menu (after a role is granted or revoked), in each of the
    deployment's `languages` (in the language spoken now without them). A menu is a
    convenience (every command works typed): Telegram failing it (5xx, 429, a timeout) is
    logged, not waited out, and never stops the reply about the role itself; the next
    start sets it again."""
    languages = list(languages) or [current()]
    for code, commands in in_each(languages, lambda: menu_for(who, len(languages) > 1)):
        if not await _set(bot, who.telegram_id, commands, code):
            return


async def _set(bot: Bot, chat_id: int, commands: list[BotCommand], code: str | None) -> bool:
    try:
        # The bot is the application's ExtBot: a 429 goes back at once, not waited out.
        await bot.set_my_commands(  # type: ignore[call-arg]
            commands,
            scope=BotCommandScopeChat(chat_id),
            language_code=code,
            rate_limit_args=NO_RETRY,
        )
    except (BadRequest, Forbidden) as exc:
        # Telegram knows a chat only once the person has opened it with the bot.
        log.debug("commands for chat %s not set yet: %s", chat_id, exc.message)
        return False
    except InvalidToken:
        raise
    except TelegramError as exc:
        log.warning(
            "the command menu of chat %s was not set (%s); the next start sets it", chat_id, exc
        )
        return False
    return True
