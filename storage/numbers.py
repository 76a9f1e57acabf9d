"""Row ids never given twice, on SQLite as PostgreSQL's identities are."""

from __future__ import annotations

import aiosqlite

from storage.postgres import Connection as PostgresConnection

# The tables whose ids are kept past their rows (in messages' buttons, media_forgotten,
# "Saved as #N"): a deleted row's id given to a new one would be read as the new one.
_KEPT = frozenset({"media", "feedback"})


async def fresh_id(conn: aiosqlite.Connection, table: str) -> int | None:
    """The id for a new row of `table` on SQLite, never one given before; None on
    PostgreSQL (its identity numbers it)."""
    assert table in _KEPT
    if isinstance(conn, PostgresConnection):
        return None
    # One writer at a time on SQLite: nothing else numbers a row between this and the insert.
    async with conn.execute(
        f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0),"
        " COALESCE((SELECT high FROM ids_used WHERE name = ?), 0)) + 1",
        (table,),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    number = int(row[0])
    await conn.execute(
        "INSERT INTO ids_used (name, high) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET high = excluded.high",
        (table, number),
    )
    return number


def with_id(number: int | None, columns: str, values: str) -> tuple[str, str, tuple[int, ...]]:
    """An insert's column and value lists with the id first when it is given."""
    if number is None:
        return columns, values, ()
    return f"id, {columns}", f"?, {values}", (number,)
