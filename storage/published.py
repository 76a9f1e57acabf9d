"""The one read path for anything a provider will read: approved, redacted, anonymous.

Nothing here selects a citizen id, a Telegram id, the original text, the redacted
suggestion or a moderator's draft: only what a moderator approved for publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class PublishedItem:
    """An approved item as a provider may see it."""

    id: int
    service_slug: str
    text: str
    rating: int | None
    kind: str | None
    themes: tuple[str, ...]
    created_at: str
    published_at: str


async def items(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    since: str = "",
    until: str = "9999",
) -> list[PublishedItem]:
    """Approved items of these services, published in [since, until), oldest first."""
    if not services:
        return []
    marks = ", ".join("?" for _ in services)
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.published_text, f.rating, f.kind, f.created_at,"
        " f.moderated_at FROM feedback f"
        f" WHERE f.status = 'approved' AND f.published_text IS NOT NULL"
        f" AND f.service_slug IN ({marks}) AND f.moderated_at >= ? AND f.moderated_at < ?"
        " ORDER BY f.moderated_at, f.id",
        (*services, since, until),
    ) as cursor:
        rows = await cursor.fetchall()
    found = []
    for item_id, slug, text, rating, kind, created_at, published_at in rows:
        async with conn.execute(
            "SELECT theme_id FROM item_themes WHERE feedback_id = ? AND active = 1"
            " ORDER BY score DESC, theme_id",
            (item_id,),
        ) as cursor:
            themes = tuple(str(r[0]) for r in await cursor.fetchall())
        found.append(
            PublishedItem(item_id, slug, text, rating, kind, themes, created_at, published_at)
        )
    return found
