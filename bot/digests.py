"""When digests are due, and the state of their delivery. The database is the source of
truth: one digest per provider and period, created when its period ends (or when the bot
comes back after missing it), each chat's delivery tracked part by part."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiosqlite
from apscheduler.triggers.cron import CronTrigger

from bot.config import Deployment, Provider, crontab
from bot.intake import Clock
from storage import citizens, digests, published, services, staff, updates
from storage.db import Database, parse_stamp, stamp
from storage.digests import Delivery, DigestRow
from storage.services import ServiceRow

log = logging.getLogger(__name__)

# After a long outage, catch up at most this many periods per provider (the rest are old news).
MAX_CATCH_UP = 12
# Network trouble: wait this long before trying a chat again, doubling up to the maximum.
RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)


def trigger(provider: Provider) -> CronTrigger:
    """The provider's schedule as an APScheduler trigger in its own time zone."""
    return crontab(provider.schedule, ZoneInfo(provider.timezone))


def _repeated(moment: datetime) -> bool:
    """Whether a local time is the second of the two that share its wall-clock reading (the
    night the clocks go back): cron runs what is due at 01:30 that night once, not twice."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def fire_times(provider: Provider, after: datetime, until: datetime) -> list[datetime]:
    """Scheduled times in (after, until], oldest first (as UTC moments)."""
    cron = trigger(provider)
    times: list[datetime] = []
    moment = after.astimezone(UTC) + timedelta(microseconds=1)
    while True:
        nxt = cron.get_next_fire_time(None, moment)
        if nxt is None or nxt.astimezone(UTC) > until.astimezone(UTC):
            return times
        if not _repeated(nxt):
            times.append(nxt.astimezone(UTC))
        # Counted on the UTC line: a step on the local wall clock from the second 01:30 of
        # the night the clocks go back lands before it (fold is lost), and finds it again.
        moment = nxt.astimezone(UTC) + timedelta(microseconds=1)


def previous_fire(provider: Provider, before: datetime) -> datetime:
    """The scheduled time just before `before` (the start of the period ending then)."""
    for days in (2, 8, 32, 367, 3700):
        found = fire_times(
            provider, before - timedelta(days=days), before - timedelta(microseconds=1)
        )
        if found:
            return found[-1]
    return before - timedelta(days=7)


def next_fire(provider: Provider, now: datetime) -> datetime | None:
    """When the provider's next digest is due (as `fire_times` counts them)."""
    cron = trigger(provider)
    moment = now.astimezone(UTC) + timedelta(microseconds=1)
    while (found := cron.get_next_fire_time(None, moment)) is not None and _repeated(found):
        moment = found.astimezone(UTC) + timedelta(microseconds=1)
    return found.astimezone(UTC) if found is not None else None


@dataclass(frozen=True)
class Work:
    """One delivery to attempt: which digest, which chat, how far it got."""

    digest: DigestRow
    delivery: Delivery


class Digests:
    """Scheduling and delivery state of digests, over one database."""

    def __init__(self, db: Database, deployment: Deployment, clock: Clock, owner: str = "") -> None:
        self.db = db
        self.deployment = deployment
        self.clock = clock
        # This instance's id: its claims on parts leaving are marked with it.
        self.owner = owner
        self.providers = {p.id: p for p in deployment.providers}

    async def chats_of(self, provider: Provider, conn: aiosqlite.Connection) -> list[int]:
        """Where a provider's digests go: its chats in the deployment file and the private
        chats of the people who accepted an invitation to speak for it."""
        people = [
            r.telegram_id
            for r in await staff.everyone(conn)
            if r.role == "provider" and r.provider_id == provider.id
        ]
        return sorted(set(provider.chats) | set(people))

    async def language_of(self, chat_id: int) -> str:
        """The language a digest to this chat is written in: the chat's own (`language` of
        a provider chat in the deployment file), else the language a provider's person chose
        for their private chat, else the deployment's default."""
        offered = self.deployment.languages
        for provider in self.deployment.providers:
            language = provider.chat_language(chat_id)
            if language in offered:
                return language
        chosen = await citizens.language_of(self.db.reader, chat_id)
        return chosen if chosen in offered else self.deployment.default_language

    def named_in(
        self, language: str, provider: Provider, rows: list[ServiceRow]
    ) -> tuple[Provider, list[ServiceRow]]:
        """The provider and its services with their names in `language` (`name_cy = ...`
        in the deployment file; as given by default)."""
        renamed = [
            ServiceRow(r.slug, found.word("name", language), r.description, r.provider_id)
            if (found := self.deployment.service(r.slug)) is not None
            else r
            for r in rows
        ]
        return provider.model_copy(update={"name": provider.word("name", language)}), renamed

    def site_names(self, language: str) -> dict[str, str]:
        """The name in `language` of every site of a service in several places, by its name
        in the deployment file (a digest counts items per site of those alone)."""
        return {
            site.name: site.word("name", language)
            for service in self.deployment.services
            if len(service.sites) > 1
            for site in service.sites
        }

    async def schedule(self) -> int:
        """Create the digest of every period that has ended (caught up after downtime); a
        period with an item a moderator can still undo waits until they no longer can (a
        few minutes: the catch-up job creates it then)."""
        now = self.clock()
        created = 0
        for provider in self.deployment.providers:

            async def run(conn: aiosqlite.Connection, provider: Provider = provider) -> int:
                since = parse_stamp(await digests.schedule_since(conn, provider.id, now))
                latest = await digests.latest_end(conn, provider.id)
                after = max(since, parse_stamp(latest)) if latest else since
                due = fire_times(provider, after, now)[-MAX_CATCH_UP:]
                if not due:
                    return 0
                chats = await self.chats_of(provider, conn)
                count = 0
                start = parse_stamp(latest) if latest else previous_fire(provider, due[0])
                for end in due:
                    if await published.undoable_in(
                        conn, provider.id, stamp(start), stamp(end), stamp(now)
                    ):
                        break
                    if await digests.create(conn, provider.id, start, end, chats, now):
                        count += 1
                    start = end
                return count

            made = await self.db.write(run)
            if made:
                log.info("%d digest(s) due for %s", made, provider.id)
            created += made
        return created

    async def work(self) -> list[Work]:
        """Deliveries to attempt now, oldest period first; unreachable chats are closed.

        A chat whose older digest is still on its way (waiting to retry, or being sent)
        gets none of its newer ones yet: each chat reads its digests in order.
        """
        now = self.clock()
        unreachable = await digests.unreachable(self.db.reader)
        held: set[int] = set()
        todo = []
        for digest in await digests.pending(self.db.reader):
            for delivery in await digests.deliveries(self.db.reader, digest.id):
                if delivery.state not in ("pending", "sending") or delivery.chat_id in held:
                    continue
                if delivery.state == "sending":
                    held.add(delivery.chat_id)
                    continue
                if delivery.chat_id in unreachable:
                    await self.final(digest.id, delivery.chat_id, "blocked", "chat unreachable")
                    continue
                if delivery.next_attempt_at and parse_stamp(delivery.next_attempt_at) > now:
                    held.add(delivery.chat_id)
                    continue
                todo.append(Work(digest, delivery))
            await self.close_if_done(digest.id)
        return todo

    async def recover(self) -> int:
        """Parts that were in flight when their instance died count as delivered (run by the
        instance that takes the scheduler's lease; a live instance's parts are its own)."""

        async def run(conn: aiosqlite.Connection) -> int:
            return await digests.recover_in_flight(conn)

        recovered = await self.db.write(run)
        if recovered:
            log.warning(
                "%d digest message(s) were in flight at the last stop: not resent", recovered
            )
        return recovered

    async def sending(self, digest_id: int, chat_id: int, part: int) -> bool:
        """Claim a part that is about to leave (from now on it counts as sent if the bot
        dies); False if someone else has it or sent it: then it must not be sent."""

        async def run(conn: aiosqlite.Connection) -> bool:
            return await digests.mark_sending(conn, digest_id, chat_id, part, self.owner)

        return await self.db.write(run)

    async def sent(self, digest_id: int, chat_id: int, parts: int) -> bool:
        """A part arrived; False if its claim was no longer ours (settled meanwhile)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> bool:
            ours = await digests.mark_part_sent(conn, digest_id, chat_id, parts, now, self.owner)
            await digests.close_if_done(conn, digest_id, now)
            return ours

        return await self.db.write(run)

    async def retry_later(self, work: Work, error: str, wait: timedelta | None = None) -> None:
        """The part did not leave (network trouble): try again later, with backoff."""
        backoff = wait or min(RETRY_FIRST * (2 ** max(0, work.delivery.attempts)), RETRY_MAX)
        at = self.clock() + backoff

        async def run(conn: aiosqlite.Connection) -> None:
            await digests.mark_retry(
                conn, work.digest.id, work.delivery.chat_id, error, at, self.owner
            )

        await self.db.write(run)

    async def final(self, digest_id: int, chat_id: int, state: str, error: str) -> None:
        """The chat cannot get this digest; a blocked chat is remembered for the others."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            await digests.mark_final(conn, digest_id, chat_id, state, error, self.owner)
            if state == "blocked":
                await digests.mark_unreachable(conn, chat_id, error, now)
            await digests.close_if_done(conn, digest_id, now)

        await self.db.write(run)

    async def unreachable(self) -> set[int]:
        """Chats marked as not to be written to (blocked the bot, removed it) until they
        speak to it again."""
        return await digests.unreachable(self.db.reader)

    async def refused(self, chat_id: int, reason: str) -> None:
        """Telegram says the bot was blocked in a chat: it is marked unreachable until it
        speaks again (a person forgotten, or never known, is not remembered by it)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> None:
            if await digests.known_chat(conn, chat_id):
                await digests.mark_unreachable(conn, chat_id, reason, now)

        await self.db.write(run)

    async def work_rows(self) -> list[DigestRow]:
        """Every digest of every provider, oldest period first."""
        rows: list[DigestRow] = []
        for provider_id in self.providers:
            rows += await digests.for_provider(self.db.reader, provider_id)
        return sorted(rows, key=lambda r: (r.period_end, r.provider_id))

    async def get(self, digest_id: int) -> DigestRow | None:
        """One digest."""
        return await digests.get(self.db.reader, digest_id)

    async def close_if_done(self, digest_id: int) -> None:
        """Mark a digest sent once every chat has it (or cannot have it)."""
        now = self.clock()

        async def run(conn: aiosqlite.Connection) -> bool:
            return await digests.close_if_done(conn, digest_id, now)

        await self.db.write(run)

    async def services_for(self, provider_id: str, chat_id: int) -> list[ServiceRow]:
        """The provider's services that this chat is subscribed to."""
        everything = await services.active(self.db.reader)
        off = await digests.unsubscribed(self.db.reader, chat_id)
        return [s for s in everything if s.provider_id == provider_id and s.slug not in off]

    async def services_of_digest(
        self, provider_id: str, digest_id: int, chat_id: int, fix: bool = False
    ) -> list[ServiceRow]:
        """The services a chat's digest counts: those fixed when it was first built (`fix`:
        the chat's services now, if not fixed yet), else the chat's services now."""
        now = await self.services_for(provider_id, chat_id)
        if fix:
            slugs = [s.slug for s in now]

            async def run(conn: aiosqlite.Connection) -> list[str] | None:
                return await digests.fix_services(conn, digest_id, chat_id, slugs)

            kept = await self.db.write(run)
        else:
            kept = await digests.services_of(self.db.reader, digest_id, chat_id)
        if kept is None:
            return now
        # Retired services too (and one since moved to another provider): the digest
        # counted their items.
        everything = await services.every(self.db.reader)
        return [s for s in everything if s.slug in kept]

    async def all_services(self, provider_id: str) -> list[ServiceRow]:
        """Every service a provider covers."""
        return [s for s in await services.active(self.db.reader) if s.provider_id == provider_id]

    async def all_services_everywhere(self) -> list[ServiceRow]:
        """Every active service."""
        return await services.active(self.db.reader)

    async def provider_chats(self, provider: Provider) -> list[int]:
        """Where a provider's digests go (its chats and its people's private chats)."""
        return await self.chats_of(provider, self.db.reader)

    async def latest_sent(self, provider_id: str) -> DigestRow | None:
        """The provider's most recent digest, if any."""
        rows = await digests.for_provider(self.db.reader, provider_id)
        return rows[-1] if rows else None

    async def unsubscribed(self, chat_id: int) -> set[str]:
        """The services a chat has turned off."""
        return await digests.unsubscribed(self.db.reader, chat_id)

    async def toggle(
        self, chat_id: int, service_slug: str, update_id: int | None = None
    ) -> bool | None:
        """Subscribe or unsubscribe a chat to a service; True if now subscribed. `update_id`:
        the press's update, so that one handled again after a restart does not switch the
        service back (None then)."""

        async def run(conn: aiosqlite.Connection) -> bool | None:
            if update_id is not None and not await updates.claim(conn, update_id, self.clock()):
                return None
            subscribe = service_slug in await digests.unsubscribed(conn, chat_id)
            await digests.set_subscribed(conn, chat_id, service_slug, subscribe)
            return subscribe

        return await self.db.write(run)

    def period_from(self, provider: Provider, start: datetime) -> tuple[datetime, datetime]:
        """The period that began at `start`: the one in progress, or (once it has ended) up
        to the first scheduled time after it."""
        now_start, now = self.current_period(provider)
        if start >= now_start:
            return now_start, now
        later = fire_times(provider, start, now_start)
        return start, later[0] if later else now_start

    def current_period(self, provider: Provider) -> tuple[datetime, datetime]:
        """The period in progress: from the last scheduled time until now."""
        now = self.clock()
        start = previous_fire(provider, now + timedelta(microseconds=1))
        if start >= now:
            # Asked at the very moment a period begins: the one that just ended, not nothing.
            start = previous_fire(provider, now)
        return start, now
