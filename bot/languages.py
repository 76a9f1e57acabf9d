"""Which language each person and chat is written to in: chosen, guessed, or the default."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from functools import cache

import aiosqlite
from babel import Locale

from bot.chatmoves import ChatMoves
from bot.config import Deployment, Provider, Service
from bot.i18n import current
from storage import citizens
from storage.db import Database
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)


@cache
def endonym(language: str) -> str:
    """A language's name in itself ("Cymraeg", "Polski", "اردو"), capitalised."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


@cache
def right_to_left(language: str) -> bool:
    """Whether the language is written right to left."""
    return Locale.parse(language).character_order == "right-to-left"


def chat_language(deployment: Deployment, chat_id: int) -> str | None:
    """The language a provider chat was given in the deployment file, if any."""
    for provider in deployment.providers:
        language = provider.chat_language(chat_id)
        if language in deployment.languages:
            return language
    return None


class Languages:
    """The deployment's languages, and each person's choice among them."""

    def __init__(self, db: Database, deployment: Deployment, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.deployment = deployment
        self.clock = clock
        self._services: dict[str, Service] = {s.slug: s for s in deployment.services}
        self._providers: dict[str, Provider] = {p.id: p for p in deployment.providers}
        self._by_name: dict[str, Service] = {s.name: s for s in deployment.services}
        # Groups of the file that became supergroups (set by the app).
        self.moves: ChatMoves | None = None

    @property
    def offered(self) -> list[str]:
        """The languages people may choose, the default first."""
        return self.deployment.languages

    @property
    def default(self) -> str:
        """The language of whoever has not chosen."""
        return self.deployment.default_language

    def guess(self, telegram_code: str | None) -> str | None:
        """The deployment's language matching Telegram's language_code ("cy", "pl-PL"), if any."""
        if not telegram_code:
            return None
        primary = telegram_code.replace("_", "-").split("-", 1)[0].lower()
        return primary if primary in self.offered else None

    async def chosen(self, telegram_id: int) -> str | None:
        """The language this person chose, if it is still one the deployment offers."""
        language = await citizens.language_of(self.db.reader, telegram_id)
        return language if language in self.offered else None

    async def of_person(self, telegram_id: int, telegram_code: str | None = None) -> str:
        """The language to write to a person in: their choice, else Telegram's, else the
        default."""
        return await self.chosen(telegram_id) or self.guess(telegram_code) or self.default

    def of_group(self, chat_id: int) -> str:
        """The language of a group chat: the moderators' chat's, a provider chat's own,
        else the default."""
        if self.moves is not None:
            # A group that became a supergroup keeps the language the file gave it.
            chat_id = self.moves.home(chat_id)
        if chat_id == self.deployment.moderators_chat:
            return self.deployment.moderators_language
        return chat_language(self.deployment, chat_id) or self.default

    async def of_chat(self, chat_id: int) -> str:
        """The language of whoever reads a chat: a person's (a private chat's id is theirs),
        or a group's."""
        if chat_id < 0:
            return self.of_group(chat_id)
        try:
            return await self.of_person(chat_id)
        except STORAGE_ERRORS as exc:
            # Written in the default language rather than not at all.
            log.warning("language of a chat not read: %s", exc)
            return self.default

    async def choose(self, telegram_id: int, language: str) -> None:
        """Record a person's choice (one of the deployment's languages)."""
        if language not in self.offered:
            raise ValueError(f"{language!r} is not offered here")
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await citizens.set_language(conn, telegram_id, language, now)

        await self.db.write(run)

    async def owe_question(self, telegram_id: int, language_code: str | None) -> None:
        """Remember that this newcomer is owed the language question (asked later, by a job
        a restart may lose)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await citizens.owe_language(conn, telegram_id, language_code, now)

        await self.db.write(run)

    async def settle_question(self, telegram_id: int) -> bool:
        """The language question is being asked: no longer owed. Whether it was."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await citizens.settle_language(conn, telegram_id)

        return bool(await self.db.write(run))

    async def questions_owed(self) -> list[tuple[int, str | None]]:
        """Those still owed the language question: (telegram id, Telegram's language code)."""
        return await citizens.languages_owed(self.db.reader)

    def service_name(self, slug: str, default: str) -> str:
        """A service's name in the language spoken now (`name_cy = ...`), else as stored."""
        service = self._services.get(slug)
        return service.word("name", current()) if service is not None else default

    def service_description(self, slug: str, default: str) -> str:
        """A service's description in the language spoken now, else as stored."""
        service = self._services.get(slug)
        return service.word("description", current()) if service is not None else default

    def site_name(self, slug: str, site: str) -> str:
        """A service's site in the language spoken now (`name_cy = ...`), else as stored."""
        service = self._services.get(slug)
        found = next((s for s in service.sites if s.name == site), None) if service else None
        return found.word("name", current()) if found is not None else site

    def provider_name(self, provider_id: str, default: str) -> str:
        """A provider's name in the language spoken now, else as stored."""
        provider = self._providers.get(provider_id)
        return provider.word("name", current()) if provider is not None else default

    def service_named(self, stored_name: str) -> str:
        """A service known only by its stored name (the deployment's default one), in the
        language spoken now; the name itself when no service has it."""
        service = self._by_name.get(stored_name)
        return service.word("name", current()) if service is not None else stored_name
