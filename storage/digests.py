"""Digests and their delivery: one row per provider and period, one per chat it goes to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage import leases
from storage.db import parse_stamp, stamp


@dataclass(frozen=True)
class DigestRow:
    """A provider's digest for one period."""

    id: int
    provider_id: str
    period_start: str
    period_end: str
    state: str

    @property
    def period(self) -> tuple[datetime, datetime]:
        """The period as datetimes: [start, end)."""
        return parse_stamp(self.period_start), parse_stamp(self.period_end)


@dataclass(frozen=True)
class Delivery:
    """A digest on its way to one chat."""

    digest_id: int
    chat_id: int
    state: str
    parts_done: int
    attempts: int
    next_attempt_at: str | None


async def schedule_since(conn: aiosqlite.Connection, provider_id: str, now: datetime) -> str:
    """From when the provider's schedule counts (set to now on first use)."""
    await conn.execute(
        "INSERT INTO digest_schedules (provider_id, since) VALUES (?, ?)"
        " ON CONFLICT (provider_id) DO NOTHING",
        (provider_id, stamp(now)),
    )
    async with conn.execute(
        "SELECT since FROM digest_schedules WHERE provider_id = ?", (provider_id,)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return str(row[0])


async def latest_end(conn: aiosqlite.Connection, provider_id: str) -> str | None:
    """The end of the provider's latest digest period, if any."""
    async with conn.execute(
        "SELECT MAX(period_end) FROM digests WHERE provider_id = ?", (provider_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def create(
    conn: aiosqlite.Connection,
    provider_id: str,
    start: datetime,
    end: datetime,
    chats: list[int],
    now: datetime,
) -> bool:
    """Create the digest of a period with a delivery per chat; False if it exists already."""
    cursor = await conn.execute(
        "INSERT INTO digests (provider_id, period_start, period_end, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (provider_id, period_end) DO NOTHING RETURNING id",
        (provider_id, stamp(start), stamp(end), stamp(now)),
    )
    row = await cursor.fetchone()
    if row is None:
        return False
    digest_id = row[0]
    await conn.executemany(
        "INSERT INTO digest_deliveries (digest_id, chat_id) VALUES (?, ?)"
        " ON CONFLICT (digest_id, chat_id) DO NOTHING",
        [(digest_id, chat_id) for chat_id in chats],
    )
    return True


async def get(conn: aiosqlite.Connection, digest_id: int) -> DigestRow | None:
    """One digest."""
    async with conn.execute(
        "SELECT id, provider_id, period_start, period_end, state FROM digests WHERE id = ?",
        (digest_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return DigestRow(*row) if row else None


async def pending(conn: aiosqlite.Connection) -> list[DigestRow]:
    """Digests not fully delivered yet, oldest period first."""
    async with conn.execute(
        "SELECT id, provider_id, period_start, period_end, state FROM digests"
        " WHERE state = 'pending' ORDER BY period_end, id"
    ) as cursor:
        return [DigestRow(*row) for row in await cursor.fetchall()]


async def for_provider(conn: aiosqlite.Connection, provider_id: str) -> list[DigestRow]:
    """Every digest of a provider, oldest first."""
    async with conn.execute(
        "SELECT id, provider_id, period_start, period_end, state FROM digests"
        " WHERE provider_id = ? ORDER BY period_end",
        (provider_id,),
    ) as cursor:
        return [DigestRow(*row) for row in await cursor.fetchall()]


async def deliveries(conn: aiosqlite.Connection, digest_id: int) -> list[Delivery]:
    """The chats a digest goes to, with how far each got."""
    async with conn.execute(
        "SELECT digest_id, chat_id, state, parts_done, attempts, next_attempt_at"
        " FROM digest_deliveries WHERE digest_id = ? ORDER BY chat_id",
        (digest_id,),
    ) as cursor:
        return [Delivery(*row) for row in await cursor.fetchall()]


async def fix_services(
    conn: aiosqlite.Connection, digest_id: int, chat_id: int, slugs: list[str]
) -> list[str] | None:
    """The services a chat's digest counts: `slugs` the first time, those fixed then after
    (None if the chat has no delivery of this digest)."""
    await conn.execute(
        "UPDATE digest_deliveries SET services = ?"
        " WHERE digest_id = ? AND chat_id = ? AND services IS NULL",
        (",".join(slugs), digest_id, chat_id),
    )
    return await services_of(conn, digest_id, chat_id)


async def services_of(conn: aiosqlite.Connection, digest_id: int, chat_id: int) -> list[str] | None:
    """The services a chat's digest counted, if fixed."""
    async with conn.execute(
        "SELECT services FROM digest_deliveries WHERE digest_id = ? AND chat_id = ?",
        (digest_id, chat_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return [slug for slug in str(row[0]).split(",") if slug]


async def recover_in_flight(conn: aiosqlite.Connection) -> int:
    """After a crash: a part in flight from an instance that is gone is taken as delivered
    (never twice); the parts of an instance still running are left to it."""
    cursor = await conn.execute(
        "UPDATE digest_deliveries SET state = 'pending', parts_done = parts_done + 1,"
        " claimed_by = NULL WHERE state = 'sending'"
        f" AND (claimed_by IS NULL OR NOT {leases.alive(conn, 'claimed_by')})"
    )
    return cursor.rowcount


async def mark_sending(
    conn: aiosqlite.Connection, digest_id: int, chat_id: int, part: int, owner: str = ""
) -> bool:
    """Claim part `part` (counted from 0) for `owner`; False if it is not this one's to send.

    Compare-and-set: only a pending delivery that has sent exactly `part` parts changes,
    so of two senders (a second instance, a job run twice) one wins and the other sends
    nothing.
    """
    cursor = await conn.execute(
        "UPDATE digest_deliveries SET state = 'sending', attempts = attempts + 1, claimed_by = ?"
        " WHERE digest_id = ? AND chat_id = ? AND state = 'pending' AND parts_done = ?",
        (owner, digest_id, chat_id, part),
    )
    return cursor.rowcount > 0


async def mark_part_sent(
    conn: aiosqlite.Connection,
    digest_id: int,
    chat_id: int,
    parts: int,
    now: datetime,
    owner: str = "",
) -> bool:
    """A part that `owner` claimed arrived; the delivery is done once all `parts` have.

    False when the claim is no longer `owner`'s (settled after it was taken for gone, or
    another instance claims the next part): then nothing changes."""
    cursor = await conn.execute(
        "UPDATE digest_deliveries SET parts_done = parts_done + 1, error = NULL,"
        " state = CASE WHEN parts_done + 1 >= ? THEN 'sent' ELSE 'pending' END,"
        " sent_at = CASE WHEN parts_done + 1 >= ? THEN ? ELSE sent_at END, claimed_by = NULL"
        " WHERE digest_id = ? AND chat_id = ? AND state = 'sending' AND claimed_by = ?",
        (parts, parts, stamp(now), digest_id, chat_id, owner),
    )
    return cursor.rowcount > 0


async def mark_retry(
    conn: aiosqlite.Connection,
    digest_id: int,
    chat_id: int,
    error: str,
    at: datetime,
    owner: str = "",
) -> None:
    """The part `owner` claimed did not go (network trouble): try again at `at`."""
    await conn.execute(
        "UPDATE digest_deliveries SET state = 'pending', error = ?, next_attempt_at = ?,"
        " claimed_by = NULL WHERE digest_id = ? AND chat_id = ? AND state = 'sending'"
        " AND claimed_by = ?",
        (error[:200], stamp(at), digest_id, chat_id, owner),
    )


async def mark_final(
    conn: aiosqlite.Connection,
    digest_id: int,
    chat_id: int,
    state: str,
    error: str,
    owner: str = "",
) -> None:
    """The chat cannot get this digest ('blocked', 'failed', or 'sent' with nothing left to
    send); no more tries. A part another instance is sending is left to it."""
    await conn.execute(
        "UPDATE digest_deliveries SET state = ?, error = ?, claimed_by = NULL"
        " WHERE digest_id = ? AND chat_id = ? AND (state <> 'sending' OR claimed_by = ?)",
        (state, error[:200], digest_id, chat_id, owner),
    )


async def close_if_done(conn: aiosqlite.Connection, digest_id: int, now: datetime) -> bool:
    """Mark the digest sent once no delivery is still pending; True if it was closed."""
    cursor = await conn.execute(
        "UPDATE digests SET state = 'sent', sent_at = ? WHERE id = ? AND state = 'pending'"
        " AND NOT EXISTS (SELECT 1 FROM digest_deliveries d WHERE d.digest_id = digests.id"
        " AND d.state IN ('pending', 'sending'))",
        (stamp(now), digest_id),
    )
    return cursor.rowcount > 0


async def mark_unreachable(
    conn: aiosqlite.Connection, chat_id: int, reason: str, now: datetime
) -> None:
    """Remember that a chat cannot receive messages any more."""
    await conn.execute(
        "INSERT INTO unreachable_chats (chat_id, reason, since) VALUES (?, ?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET reason = excluded.reason",
        (chat_id, reason[:200], stamp(now)),
    )


async def known_chat(conn: aiosqlite.Connection, chat_id: int) -> bool:
    """Whether the bot keeps anything about this chat: a group, or a person's private chat
    (its id is their Telegram id) when they are a citizen or staff. A person forgotten, or
    never known, is not to be remembered by their id just because they blocked the bot."""
    if chat_id < 0:
        return True
    for table in ("citizens", "staff"):
        async with conn.execute(
            f"SELECT 1 FROM {table} WHERE telegram_id = ?", (chat_id,)
        ) as cursor:
            if await cursor.fetchone() is not None:
                return True
    return False


async def reachable_again(conn: aiosqlite.Connection, chat_id: int) -> None:
    """The chat talked to the bot again: it can receive messages."""
    await conn.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))


async def reopen_latest_blocked(conn: aiosqlite.Connection, chat_id: int, since: datetime) -> int:
    """The newest digest for this chat, made at `since` or after, that could not reach it
    (the bot was blocked, or removed from the group) is due again there; older ones stay
    closed (/digest shows the latest at any time). How many (0 or 1)."""
    cursor = await conn.execute(
        "UPDATE digest_deliveries SET state = 'pending', attempts = 0, next_attempt_at = NULL,"
        " error = NULL, claimed_by = NULL"
        " WHERE chat_id = ? AND state = 'blocked'"
        " AND digest_id = (SELECT MAX(d.digest_id) FROM digest_deliveries d WHERE d.chat_id = ?)"
        " AND digest_id IN (SELECT id FROM digests WHERE created_at >= ?)",
        (chat_id, chat_id, stamp(since)),
    )
    if not cursor.rowcount:
        return 0
    await conn.execute(
        "UPDATE digests SET state = 'pending', sent_at = NULL WHERE state = 'sent' AND id IN"
        " (SELECT digest_id FROM digest_deliveries WHERE chat_id = ? AND state = 'pending')",
        (chat_id,),
    )
    return cursor.rowcount


async def is_unreachable(conn: aiosqlite.Connection, chat_id: int) -> bool:
    """Whether a chat is known not to receive messages."""
    async with conn.execute(
        "SELECT 1 FROM unreachable_chats WHERE chat_id = ?", (chat_id,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def unreachable(conn: aiosqlite.Connection) -> set[int]:
    """Every chat known not to receive messages."""
    async with conn.execute("SELECT chat_id FROM unreachable_chats") as cursor:
        return {int(r[0]) for r in await cursor.fetchall()}


async def unsubscribed(conn: aiosqlite.Connection, chat_id: int) -> set[str]:
    """The services a chat has unsubscribed from."""
    async with conn.execute(
        "SELECT service_slug FROM digest_unsubscriptions WHERE chat_id = ?", (chat_id,)
    ) as cursor:
        return {str(r[0]) for r in await cursor.fetchall()}


async def set_subscribed(
    conn: aiosqlite.Connection, chat_id: int, service_slug: str, subscribed: bool
) -> None:
    """Subscribe a chat to a service's digest, or unsubscribe it."""
    if subscribed:
        await conn.execute(
            "DELETE FROM digest_unsubscriptions WHERE chat_id = ? AND service_slug = ?",
            (chat_id, service_slug),
        )
    else:
        await conn.execute(
            "INSERT INTO digest_unsubscriptions (chat_id, service_slug) VALUES (?, ?)"
            " ON CONFLICT (chat_id, service_slug) DO NOTHING",
            (chat_id, service_slug),
        )
