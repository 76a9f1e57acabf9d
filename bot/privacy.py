"""A citizen's data rights: see everything kept (/mydata), be forgotten (/forget), and
nothing kept longer than the deployment says."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiosqlite

from bot.config import Deployment
from bot.intake import Clock
from storage import citizens, privacy, updates
from storage.db import Database
from storage.privacy import Erased

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retained:
    """What a retention run removed."""

    originals_removed: int
    citizens_forgotten: int


class Privacy:
    """Export, erasure and retention over one database."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock) -> None:
        self.db = db
        self.settings = deployment.privacy
        self.clock = clock

    async def mydata(self, telegram_id: int) -> dict[str, Any]:
        """Everything kept about this person ({} when nothing is)."""
        citizen = await citizens.by_telegram_id(self.db.reader, telegram_id)
        if citizen is None:
            return {}
        return await privacy.export(self.db.reader, citizen.id)

    async def forget(self, update_id: int, telegram_id: int, keep_published: bool) -> Erased | None:
        """Erase this person (None if nothing was kept), then flush the WAL so no copy lingers."""
        keep = keep_published and self.settings.keep_published_on_forget

        async def run(conn: aiosqlite.Connection) -> Erased | None:
            now = self.clock()
            await updates.claim(conn, update_id, now)
            citizen = await citizens.by_telegram_id(conn, telegram_id)
            if citizen is None:
                return None
            return await privacy.erase(conn, citizen.id, keep, now)

        erased = await self.db.write(run)
        if erased is not None:
            await self.db.checkpoint()
            log.info(
                "a citizen was forgotten: %d items deleted, %d kept anonymously, %d counted only",
                erased.items_deleted,
                erased.items_kept_anonymous,
                erased.items_counted_only,
            )
        return erased

    async def retention(self) -> Retained:
        """Remove original texts and inactive citizens past the deployment's limits."""
        now = self.clock()
        before = now - timedelta(days=self.settings.keep_original_days)

        async def originals(conn: aiosqlite.Connection) -> int:
            return await privacy.remove_old_originals(conn, before)

        removed = await self.db.write(originals)

        async def old_updates(conn: aiosqlite.Connection) -> int:
            # Telegram redelivers for 24 hours at most: two days of ids are plenty.
            return await updates.prune(conn, now - timedelta(days=2))

        await self.db.write(old_updates)
        idle = await privacy.inactive(
            self.db.reader, now - timedelta(days=self.settings.forget_inactive_days)
        )
        for citizen_id in idle:

            async def forget(conn: aiosqlite.Connection, citizen_id: int = citizen_id) -> None:
                # Forgotten for inactivity, published items stay as anonymous contributions.
                await privacy.erase(conn, citizen_id, True, now)

            await self.db.write(forget)
        if removed or idle:
            await self.db.checkpoint()
            log.info(
                "retention: %d original texts removed, %d citizens forgotten", removed, len(idle)
            )
        return Retained(removed, len(idle))
