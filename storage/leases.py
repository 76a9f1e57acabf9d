"""Leases: a named right (the scheduler's) held by one instance until a moment of the
database's clock, taken or renewed by compare-and-set; and the database's clock itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.postgres import Connection as PostgresConnection
from storage.postgres import Reader as PostgresReader

# Seconds since 1970 on the database server: every instance reads the same clock, so the
# machines' own clocks never decide who holds a lease.
_PG_NOW = "CAST(extract(epoch FROM clock_timestamp()) AS DOUBLE PRECISION)"
_SQLITE_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


def now_sql(conn: Any) -> str:
    """The SQL expression for the database's current time in seconds since 1970."""
    return _PG_NOW if isinstance(conn, (PostgresConnection, PostgresReader)) else _SQLITE_NOW


async def take(conn: Any, names: Sequence[str], holder: str, seconds: float) -> set[str]:
    """Take or renew each lease for `seconds`: those now held by `holder`.

    Compare-and-set: a lease changes hands only once its holder let it run out."""
    now = now_sql(conn)
    held: set[str] = set()
    for name in names:
        cursor = await conn.execute(
            f"INSERT INTO leases (name, holder, until) VALUES (?, ?, {now} + ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            f" WHERE leases.holder = excluded.holder OR leases.until < {now}"
            " RETURNING name",
            (name, holder, seconds),
        )
        if await cursor.fetchone() is not None:
            held.add(name)
    return held


async def release(conn: Any, holder: str) -> int:
    """Give up every lease `holder` holds (a clean stop: another takes over at once)."""
    cursor = await conn.execute("DELETE FROM leases WHERE holder = ?", (holder,))
    return int(cursor.rowcount)


async def clear(conn: Any) -> None:
    """Forget every lease (SQLite: this process is the only one, the others are gone)."""
    await conn.execute("DELETE FROM leases")


async def holder(conn: Any, name: str) -> str | None:
    """Who holds a lease now, if anyone."""
    now = now_sql(conn)
    async with conn.execute(
        f"SELECT holder FROM leases WHERE name = ? AND until >= {now}", (name,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


def alive(conn: Any, column: str) -> str:
    """SQL that is true when the instance named in `column` still holds a lease."""
    return (
        f"EXISTS (SELECT 1 FROM leases WHERE leases.holder = {column}"
        f" AND leases.until >= {now_sql(conn)})"
    )
