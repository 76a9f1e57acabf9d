"""What the webhook was last set to, changed compare-and-set so one instance sets it."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.db import parse_stamp, stamp


async def current(conn: aiosqlite.Connection) -> tuple[str, datetime] | None:
    """The fingerprint of the webhook last set, and when; None if never."""
    async with conn.execute(
        "SELECT fingerprint, set_at FROM webhook_setting WHERE id = 1"
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else (str(row[0]), parse_stamp(row[1]))


async def change(
    conn: aiosqlite.Connection,
    old: tuple[str, datetime] | None,
    new: tuple[str, datetime] | None,
) -> bool:
    """Replace `old` with `new` if `old` is still what is stored; whether it was."""
    if old is None and new is None:
        return True
    if old is None:
        assert new is not None
        cursor = await conn.execute(
            "INSERT INTO webhook_setting (id, fingerprint, set_at) VALUES (1, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (new[0], stamp(new[1])),
        )
    elif new is None:
        cursor = await conn.execute(
            "DELETE FROM webhook_setting WHERE id = 1 AND fingerprint = ? AND set_at = ?",
            (old[0], stamp(old[1])),
        )
    else:
        cursor = await conn.execute(
            "UPDATE webhook_setting SET fingerprint = ?, set_at = ?"
            " WHERE id = 1 AND fingerprint = ? AND set_at = ?",
            (new[0], stamp(new[1]), old[0], stamp(old[1])),
        )
    return cursor.rowcount > 0
