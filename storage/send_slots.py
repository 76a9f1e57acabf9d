"""One sending budget shared by every instance (PostgreSQL): the next free moment of each
limit, on the database server's clock, reserved one message at a time.

Each limit is a generic cell rate: messages `step` seconds apart on average, with a burst of
`tolerance` seconds' worth allowed at once. One statement per limit reserves the message's
slot and moves the limit on, whichever instance asks; the caller then waits until the slot.
Reservations run outside the serializable write transactions (autocommit, one statement
each): the "all" row is hot, and PostgreSQL's row lock on it orders them without conflicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.postgres import PostgresDatabase

_NOW = "extract(epoch FROM clock_timestamp())::float8"

_RESERVE = (
    f"WITH t AS (SELECT GREATEST(%(at)s::float8, {_NOW}) AS t),"
    " r AS (INSERT INTO send_slots AS s (key, next_at) SELECT %(key)s, t + %(step)s FROM t"
    " ON CONFLICT (key) DO UPDATE SET next_at = GREATEST(s.next_at + %(step)s, excluded.next_at)"
    " RETURNING next_at)"
    f" SELECT r.next_at, t.t, {_NOW} FROM r, t"
)


@dataclass(frozen=True)
class Limit:
    """One limit a message falls under: its key, the spacing, the burst allowed."""

    key: str
    step: float
    tolerance: float = 0.0


@dataclass(frozen=True)
class Reservation:
    """A message's slot and the server's time when it was given, both in epoch seconds."""

    slot: float
    now: float

    @property
    def wait(self) -> float:
        """Seconds to wait before sending."""
        return max(0.0, self.slot - self.now)


async def reserve(db: PostgresDatabase, limits: Sequence[Limit]) -> Reservation:
    """Reserve the earliest moment every limit allows, each limit in turn (the later ones
    from the earlier ones' slot on, so no slot of theirs is spent waiting)."""
    at: float | None = None
    now = 0.0
    async with db.pool.connection() as conn:
        for limit in limits:
            cursor = await conn.execute(_RESERVE, {"at": at, "key": limit.key, "step": limit.step})
            row: Any = await cursor.fetchone()
            next_at, t, now = float(row[0]), float(row[1]), float(row[2])
            at = max(next_at - limit.step - limit.tolerance, t)
    return Reservation(at if at is not None else now, now)


async def prune(db: PostgresDatabase, older_than: float) -> int:
    """Forget limits whose next free moment passed `older_than` seconds ago (a chat not
    written to lately): a missing row means the same as a passed one."""
    async with db.pool.connection() as conn:
        cursor = await conn.execute(
            f"DELETE FROM send_slots WHERE next_at < {_NOW} - %s", (older_than,)
        )
        return int(cursor.rowcount)


async def slots(db: PostgresDatabase) -> dict[str, float]:
    """Every limit's next free moment (for tests and the curious)."""
    async with db.pool.connection() as conn:
        cursor = await conn.execute("SELECT key, next_at FROM send_slots")
        return {str(key): float(next_at) for key, next_at in await cursor.fetchall()}
