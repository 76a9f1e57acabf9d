"""Messages waiting to go to citizens (responses, questions, invitations), one row each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage import leases
from storage.db import stamp


@dataclass(frozen=True)
class OutboxRow:
    """One message for one citizen."""

    id: int
    kind: str
    ref_id: int
    citizen_id: int
    telegram_id: int
    feedback_id: int | None
    state: str
    # Failed tries so far (network, Telegram's errors): how long the next wait is.
    attempts: int = 0


_SELECT = (
    "SELECT o.id, o.kind, o.ref_id, o.citizen_id, c.telegram_id, o.feedback_id, o.state,"
    " o.attempts FROM outbox o JOIN citizens c ON c.id = o.citizen_id"
)


async def enqueue(
    conn: aiosqlite.Connection,
    kind: str,
    ref_id: int,
    recipients: Iterable[tuple[int, int | None]],
    now: datetime,
) -> int:
    """Queue a message for each (citizen, item) not queued before; how many are new."""
    count = 0
    for citizen_id, feedback_id in recipients:
        cursor = await conn.execute(
            "INSERT INTO outbox (kind, ref_id, citizen_id, feedback_id, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, ref_id, citizen_id) DO NOTHING",
            (kind, ref_id, citizen_id, feedback_id, stamp(now)),
        )
        count += max(0, cursor.rowcount)
    return count


async def due(conn: aiosqlite.Connection, now: datetime, limit: int = 200) -> list[OutboxRow]:
    """Messages not sent yet whose next try is not in the future, oldest first."""
    async with conn.execute(
        f"{_SELECT} WHERE o.state = 'pending' AND (o.next_try_at IS NULL OR o.next_try_at <= ?)"
        " ORDER BY o.id LIMIT ?",
        (stamp(now), limit),
    ) as cursor:
        return [OutboxRow(*row) for row in await cursor.fetchall()]


async def find(
    conn: aiosqlite.Connection, kind: str, ref_id: int, telegram_id: int
) -> OutboxRow | None:
    """The message of this kind and reference sent to this person, if there was one."""
    async with conn.execute(
        f"{_SELECT} WHERE o.kind = ? AND o.ref_id = ? AND c.telegram_id = ?",
        (kind, ref_id, telegram_id),
    ) as cursor:
        row = await cursor.fetchone()
    return OutboxRow(*row) if row else None


async def mark_sending(conn: aiosqlite.Connection, row_id: int, owner: str = "") -> bool:
    """The message is about to leave, claimed by `owner`; False if it is no longer pending."""
    cursor = await conn.execute(
        "UPDATE outbox SET state = 'sending', claimed_by = ? WHERE id = ? AND state = 'pending'",
        (owner, row_id),
    )
    return cursor.rowcount > 0


async def mark_sent(
    conn: aiosqlite.Connection, row_id: int, message_id: int | None, now: datetime
) -> None:
    """The message arrived (or may have: it is never sent again)."""
    await conn.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, error = NULL WHERE id = ?",
        (stamp(now), message_id, row_id),
    )


async def mark_retry(
    conn: aiosqlite.Connection, row_id: int, error: str, next_try: datetime
) -> None:
    """The message did not leave (flood limit, network, a refusal): one more failed try,
    and it waits until `next_try`."""
    await conn.execute(
        "UPDATE outbox SET state = 'pending', error = ?, attempts = attempts + 1,"
        " next_try_at = ? WHERE id = ? AND state IN ('pending', 'sending')",
        (error[:200], stamp(next_try), row_id),
    )


async def mark_final(conn: aiosqlite.Connection, row_id: int, state: str, error: str) -> None:
    """The message cannot go: 'blocked', 'undeliverable' or 'cancelled'."""
    # A row that was leaving failed one more try.
    await conn.execute(
        "UPDATE outbox SET state = ?, error = ?, attempts = attempts"
        " + CASE WHEN state = 'sending' THEN 1 ELSE 0 END"
        " WHERE id = ?",
        (state, error[:200], row_id),
    )


async def reopen_blocked(conn: aiosqlite.Connection, telegram_id: int, since: datetime) -> int:
    """Responses closed because this person had blocked the bot, queued at `since` or
    after, are due again (they came back); how many. Older ones stay closed (/mine shows
    them), as do questions and invitations: they are of their week."""
    cursor = await conn.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_try_at = NULL, error = NULL"
        " WHERE state = 'blocked' AND kind = 'response' AND created_at >= ?"
        " AND citizen_id IN (SELECT id FROM citizens WHERE telegram_id = ?)",
        (stamp(since), telegram_id),
    )
    return cursor.rowcount


async def recover_in_flight(conn: aiosqlite.Connection, now: datetime) -> int:
    """After a crash: a message that was leaving from an instance that is gone is taken as
    sent (never twice); those of an instance still running are left to it."""
    cursor = await conn.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, error = 'in flight at a stop'"
        " WHERE state = 'sending'"
        f" AND (claimed_by IS NULL OR NOT {leases.alive(conn, 'claimed_by')})",
        (stamp(now),),
    )
    return cursor.rowcount


async def cancel(conn: aiosqlite.Connection, kind: str, ref_id: int, reason: str) -> int:
    """Stop the messages of something not sent yet (a response hidden, say)."""
    cursor = await conn.execute(
        "UPDATE outbox SET state = 'cancelled', error = ?"
        " WHERE kind = ? AND ref_id = ? AND state = 'pending'",
        (reason[:200], kind, ref_id),
    )
    return cursor.rowcount


async def set_reply(conn: aiosqlite.Connection, row_id: int, reply: str, now: datetime) -> None:
    """What the citizen answered to the message."""
    await conn.execute(
        "UPDATE outbox SET reply = ?, replied_at = ? WHERE id = ?", (reply, stamp(now), row_id)
    )


async def reply_of(conn: aiosqlite.Connection, row_id: int) -> str | None:
    """What the citizen answered, if anything."""
    async with conn.execute("SELECT reply FROM outbox WHERE id = ?", (row_id,)) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] is not None else None


async def replies(conn: aiosqlite.Connection, kind: str, ref_id: int) -> dict[str, int]:
    """How many citizens answered each way to one thing."""
    async with conn.execute(
        "SELECT reply, COUNT(*) FROM outbox WHERE kind = ? AND ref_id = ? AND reply IS NOT NULL"
        " GROUP BY reply",
        (kind, ref_id),
    ) as cursor:
        return {str(reply): int(n) for reply, n in await cursor.fetchall()}
