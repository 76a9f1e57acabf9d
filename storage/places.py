"""Where items happened: kept with the citizen's conversation, then with their item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp


@dataclass(frozen=True)
class Place:
    """An item's place: a site, a point (rounded unless `exact`), both, or neither (the
    citizen skipped the question); a shared point's uncertainty in metres (`accuracy_m`,
    Telegram's horizontal accuracy) when Telegram said it."""

    site: str | None
    latitude: float | None
    longitude: float | None
    exact: bool = False
    accuracy_m: float | None = None

    @property
    def known(self) -> bool:
        """Whether anything is known (not a skipped question)."""
        return self.site is not None or self.latitude is not None


def _place(row: aiosqlite.Row | tuple[object, ...]) -> Place:
    lat, lon = row[1], row[2]
    return Place(
        None if row[0] is None else str(row[0]),
        None if lat is None else float(lat),  # type: ignore[arg-type]
        None if lon is None else float(lon),  # type: ignore[arg-type]
        bool(row[3]),
        None if row[4] is None else float(row[4]),  # type: ignore[arg-type]
    )


async def put(
    conn: aiosqlite.Connection, citizen_id: int, seq: int, place: Place, now: datetime
) -> None:
    """Keep (or replace) the place of the citizen's conversation `seq`."""
    await conn.execute(
        "INSERT INTO places (citizen_id, conversation_seq, site, latitude, longitude, exact,"
        " accuracy_m, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (citizen_id, conversation_seq) DO UPDATE SET site = excluded.site,"
        " latitude = excluded.latitude, longitude = excluded.longitude,"
        " exact = excluded.exact, accuracy_m = excluded.accuracy_m,"
        " created_at = excluded.created_at",
        (
            citizen_id,
            seq,
            place.site,
            place.latitude,
            place.longitude,
            int(place.exact),
            place.accuracy_m,
            stamp(now),
        ),
    )


async def drop_unsaved(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """Places of conversations that never became an item (cancelled, lapsed, joined)."""
    cursor = await conn.execute(
        "DELETE FROM places WHERE citizen_id = ? AND feedback_id IS NULL", (citizen_id,)
    )
    return int(cursor.rowcount or 0)


async def of_conversation(conn: aiosqlite.Connection, citizen_id: int, seq: int) -> Place | None:
    """The place given with a conversation not saved yet (None: not asked or not given)."""
    async with conn.execute(
        "SELECT site, latitude, longitude, exact, accuracy_m FROM places"
        " WHERE citizen_id = ? AND conversation_seq = ? AND feedback_id IS NULL",
        (citizen_id, seq),
    ) as cursor:
        row = await cursor.fetchone()
    return _place(row) if row else None


async def of_seq(conn: aiosqlite.Connection, citizen_id: int, seq: int) -> Place | None:
    """The place given with the citizen's conversation `seq`, saved as an item or not."""
    async with conn.execute(
        "SELECT site, latitude, longitude, exact, accuracy_m FROM places"
        " WHERE citizen_id = ? AND conversation_seq = ?",
        (citizen_id, seq),
    ) as cursor:
        row = await cursor.fetchone()
    return _place(row) if row else None


async def make_exact(
    conn: aiosqlite.Connection, citizen_id: int, seq: int, latitude: float, longitude: float
) -> None:
    """Keep the exact point of the place given with conversation `seq` (the citizen agreed)."""
    await conn.execute(
        "UPDATE places SET latitude = ?, longitude = ?, exact = 1"
        " WHERE citizen_id = ? AND conversation_seq = ?",
        (latitude, longitude, citizen_id, seq),
    )


async def attach(conn: aiosqlite.Connection, citizen_id: int, seq: int, feedback_id: int) -> None:
    """The conversation's place now belongs to the item saved from it."""
    await conn.execute(
        "UPDATE places SET feedback_id = ? WHERE citizen_id = ? AND conversation_seq = ?"
        " AND feedback_id IS NULL",
        (feedback_id, citizen_id, seq),
    )


async def of_items(conn: aiosqlite.Connection, item_ids: Sequence[int]) -> dict[int, Place]:
    """The known places of these items, by item id."""
    found: dict[int, Place] = {}
    ids = list(item_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        async with conn.execute(
            f"SELECT feedback_id, site, latitude, longitude, exact, accuracy_m FROM places"
            f" WHERE feedback_id IN ({marks})",
            chunk,
        ) as cursor:
            for row in await cursor.fetchall():
                place = _place(tuple(row)[1:])
                if place.known:
                    found[int(row[0])] = place
    return found


async def blur_exact_before(conn: aiosqlite.Connection, cutoff: datetime) -> int:
    """Exact points given before `cutoff` are kept to 0.001 degrees (about 100 m) from
    now on (the site stays); how many."""
    cursor = await conn.execute(
        "UPDATE places SET latitude = ROUND(CAST(latitude AS NUMERIC), 3),"
        " longitude = ROUND(CAST(longitude AS NUMERIC), 3),"
        " exact = 0 WHERE exact = 1 AND created_at < ?",
        (stamp(cutoff),),
    )
    return cursor.rowcount
