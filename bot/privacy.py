"""A citizen's data rights: see everything kept (/mydata), be forgotten (/forget), and
nothing kept longer than the deployment says."""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.config import Deployment
from bot.intake import UNDO_JOIN, Clock
from bot.outbox import RESEND_WITHIN
from storage import (
    citizen_drafts,
    citizens,
    db,
    media,
    places,
    privacy,
    supporters,
    traces,
    updates,
)
from storage.db import Database, utcnow
from storage.privacy import FORGET, ORIGINALS, Erased, Erasure
from storage.traces import ToClean

log = logging.getLogger(__name__)

# Taking a message back from Telegram: the first retry after this, doubling, up to a cap;
# after so many attempts (a chat the bot was removed from, say) it is given up.
CLEAN_RETRY = timedelta(seconds=30)
CLEAN_RETRY_MAX = timedelta(hours=6)
CLEAN_ATTEMPTS = 12


@dataclass(frozen=True)
class Retained:
    """What a retention run removed."""

    originals_removed: int
    citizens_forgotten: int
    # Words kept from conversations that went quiet, as old as original texts may be.
    drafts_removed: int = 0


class Privacy:
    """Export, erasure and retention over one database."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock) -> None:
        self.db = db
        self.settings = deployment.privacy
        self.clock = clock
        # Days voice notes and photos are kept (YOUSAID_MEDIA_KEEP_DAYS; the app sets it).
        self.keep_media_days = 90
        # How long an answer that could not reach someone who had blocked the bot waits for
        # them to come back (YOUSAID_RESEND_BLOCKED_DAYS; the app sets it): an inactive
        # citizen is not forgotten before it has gone or been given up on.
        self.resend_within = RESEND_WITHIN

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
            erased = await privacy.erase(conn, citizen.id, keep, now)
            await privacy.record_erasure(
                conn, Erasure.new(FORGET, now, citizen.id, keep, erased.items)
            )
            return erased

        erased = await self.db.write(run)
        if erased is None:
            # Nobody kept, but words they wrote before agreeing were saved (as the update
            # Telegram sent) until handled: they may still be in SQLite's WAL.
            await self.db.checkpoint()
        else:
            await self._journal()
            await self.db.checkpoint()
            log.info(
                "a citizen was forgotten: %d items deleted, %d kept anonymously, %d counted only",
                erased.items_deleted,
                erased.items_kept_anonymous,
                erased.items_counted_only,
            )
        return erased

    async def expire_undos(self) -> int:
        """Remove the words kept to undo a "me too" past its undo window (an hourly job, so
        they outlive the window by an hour at most, not by a day)."""
        cutoff = self.clock() - UNDO_JOIN

        async def run(conn: aiosqlite.Connection) -> int:
            return await supporters.undo_older_than(conn, cutoff)

        undos = await self.db.write(run)
        if undos:
            log.info('retention: the words kept to undo %d "me too" joins removed', undos)
        return undos

    async def retention(self) -> Retained:
        """Remove original texts and inactive citizens past the deployment's limits."""
        now = self.clock()
        before = now - timedelta(days=self.settings.keep_original_days)

        async def originals(conn: aiosqlite.Connection) -> int:
            old = await privacy.old_originals(conn, before)
            if not old:
                return 0
            await privacy.record_erasure(conn, Erasure.new(ORIGINALS, now, items=tuple(old)))
            return await privacy.remove_originals(conn, old, now)

        removed = await self.db.write(originals)

        async def old_updates(conn: aiosqlite.Connection) -> int:
            # Telegram redelivers for 24 hours at most: two days of ids are plenty.
            return await updates.prune(conn, now - timedelta(days=2))

        await self.db.write(old_updates)

        async def old_drafts(conn: aiosqlite.Connection) -> int:
            return await citizen_drafts.older_than(conn, before)

        drafts = await self.db.write(old_drafts)

        await self.expire_undos()
        keep_media = timedelta(days=self.keep_media_days)

        async def old_media(conn: aiosqlite.Connection) -> int:
            # Voice notes and photos past their days (the items and their words stay).
            return await media.older_than(conn, now - keep_media, now)

        photos_and_voice = await self.db.write(old_media)
        if photos_and_voice:
            log.info("retention: %d voice notes and photos removed", photos_and_voice)

        async def exact_spots(conn: aiosqlite.Connection) -> int:
            # An exact spot is kept as long as the words as written, then to about 100 m.
            return await places.blur_exact_before(conn, before)

        blurred = await self.db.write(exact_spots)
        if blurred:
            log.info("retention: %d exact spots kept to about 100 m from now on", blurred)
        quiet_since = now - timedelta(days=self.settings.forget_inactive_days)
        resend_since = now - self.resend_within
        idle = await privacy.inactive(self.db.reader, quiet_since, resend_since)
        forgotten = 0
        for citizen_id in idle:

            async def forget(conn: aiosqlite.Connection, citizen_id: int = citizen_id) -> bool:
                # Asked again where it is decided: an answer queued for them meanwhile (or
                # their coming back) keeps them.
                if not await privacy.inactive(conn, quiet_since, resend_since, citizen_id):
                    return False
                # Forgotten for inactivity, published items stay as anonymous contributions.
                erased = await privacy.erase(conn, citizen_id, True, now)
                await privacy.record_erasure(
                    conn, Erasure.new(FORGET, now, citizen_id, True, erased.items)
                )
                return True

            forgotten += await self.db.write(forget)
        if removed or forgotten or drafts:
            await self._journal()
            await self.db.checkpoint()
            log.info(
                "retention: %d original texts removed, %d drafts removed, %d citizens forgotten",
                removed,
                drafts,
                forgotten,
            )
        return Retained(removed, forgotten, drafts)

    async def _journal(self) -> None:
        """Copy erasures the journal file lacks into it (after their commit: the database
        holds them first, so one lost to a crash here is copied at the next erasure)."""
        path = self.db.path
        if path is None:
            # A server database: its backups are the operator's (pg_dump), see the README.
            return
        try:
            written = {e.id for e in privacy.read_journal(path)}
            for erasure in await privacy.erasures(self.db.reader):
                if erasure.id not in written:
                    privacy.append_journal(path, erasure)
        except OSError as exc:
            # The erasure itself is done and in the database's journal; the file catches up
            # at the next erasure.
            log.error("the erasure journal file could not be written: %s", exc)

    async def sent_to_staff(self, item_id: int, chat_id: int, message_id: int) -> None:
        """Remember a message carrying an item's words to staff, to take back on /forget."""

        async def run(conn: aiosqlite.Connection) -> None:
            await traces.record_item(conn, item_id, chat_id, message_id, self.clock())

        await self.db.write(run)

    async def relayed_to_staff(self, acceptance_id: int, chat_id: int, message_id: int) -> None:
        """Remember a message carrying what a citizen said or shared to a provider's chat."""

        async def run(conn: aiosqlite.Connection) -> None:
            await traces.record_acceptance(conn, acceptance_id, chat_id, message_id, self.clock())

        await self.db.write(run)

    async def to_clean(self) -> list[ToClean]:
        """Messages due to be taken back from Telegram now."""
        return await traces.due(self.db.reader, self.clock())

    async def cleaned(self, message: ToClean) -> None:
        """A message was taken back (deleted, or edited to the note, or already gone)."""

        async def run(conn: aiosqlite.Connection) -> None:
            await traces.cleaned(conn, message.chat_id, message.message_id)

        await self.db.write(run)

    async def clean_failed(self, message: ToClean, error: str) -> None:
        """Taking a message back failed: try later, backing off, or give up after a bound."""
        attempts = message.attempts + 1
        if attempts >= CLEAN_ATTEMPTS:
            log.warning("gave up taking back a message after %d attempts: %s", attempts, error)
            await self.cleaned(message)
            return
        wait = min(CLEAN_RETRY * 2 ** (attempts - 1), CLEAN_RETRY_MAX)
        at = self.clock() + wait

        async def run(conn: aiosqlite.Connection) -> None:
            await traces.retry(conn, message.chat_id, message.message_id, at, error)

        await self.db.write(run)
        log.info("a message was not taken back yet (attempt %d): %s", attempts, error)


@dataclass(frozen=True)
class Restored:
    """What a restore did."""

    replayed: int


async def restore(backup: Path, database: Path) -> Restored:
    """Put a backup in the database's place, with the bot stopped, then replay every erasure
    made after the backup was taken (from the live database and the journal file), so
    people who were erased stay erased. Raises db.DatabaseInUse while the bot runs."""
    with db.stopped(database):
        journal = {e.id: e for e in privacy.read_journal(database)}
        for erasure in _erasures_in(database, live=True):
            journal.setdefault(erasure.id, erasure)
        done = {e.id for e in _erasures_in(backup)}
        db.restore(backup, database)
        todo = sorted((e for e in journal.values() if e.id not in done), key=lambda e: e.at)
        conn = await aiosqlite.connect(database, isolation_level=None)
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA secure_delete=ON")
            await conn.execute("PRAGMA foreign_keys=ON")
            # A backup from before a migration is brought up to date first.
            await db.migrate(conn)
            await conn.execute("BEGIN IMMEDIATE")
            now = utcnow()
            for erasure in todo:
                await privacy.replay(conn, erasure, now)
            await conn.execute("COMMIT")
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await conn.close()
        # The journal file keeps every erasure, those of the restored database included.
        written = set(journal)
        for erasure in _erasures_in(database):
            if erasure.id not in written:
                privacy.append_journal(database, erasure)
    log.info("restored %s: %d later erasures replayed", backup, len(todo))
    return Restored(len(todo))


def _erasures_in(path: Path, live: bool = False) -> list[Erasure]:
    """The erasures a database file records ([] if it cannot be read or predates them)."""
    if not path.exists():
        return []
    # The live file may need its WAL recovered (the bot was killed): opened for writing.
    uri = f"file:{path}" if live else f"file:{path}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            rows = conn.execute(
                "SELECT id, kind, at, citizen_id, keep_published, items FROM erasures"
            ).fetchall()
    except sqlite3.Error as exc:
        if live and "no such table" not in str(exc):
            log.warning("the live database could not be read (%s): the journal file alone", exc)
        return []
    return [
        Erasure(str(i), str(k), str(at), c, bool(keep), tuple(json.loads(items)))
        for i, k, at, c, keep, items in rows
    ]
