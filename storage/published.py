"""The one read path for anything a provider will read: approved, redacted, anonymous.

Nothing here selects a citizen id, a Telegram id, the original text, the redacted
suggestion or a moderator's draft: only what a moderator approved for publication.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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
    # A moderator's summary in the deployment's default language (items in another one).
    summary: str | None = None


# The range every provider read here uses: approved, publishable items of some services in
# [since, until). Written so it matches the partial index `feedback_published` (migration
# 0004) term for term: one index range scan per service, whatever the size of the table.
def _range(services: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in services)
    return (
        "f.status = 'approved' AND f.published_text IS NOT NULL"
        f" AND f.service_slug IN ({marks}) AND f.moderated_at >= ? AND f.moderated_at < ?"
    )


async def undoable_in(
    conn: aiosqlite.Connection, provider_id: str, since: str, until: str, now: str
) -> bool:
    """Whether an item of the provider's services published in [since, until) can still be
    undone at `now` (its digest waits: what a moderator takes back never reaches a provider,
    and an item undone and approved again is counted in one period, the next)."""
    async with conn.execute(
        "SELECT 1 FROM feedback f JOIN services s ON s.slug = f.service_slug"
        " WHERE s.provider_id = ? AND f.status = 'approved' AND f.undo_until > ?"
        " AND f.moderated_at >= ? AND f.moderated_at < ? LIMIT 1",
        (provider_id, now, since, until),
    ) as cursor:
        return await cursor.fetchone() is not None


async def items(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    since: str = "",
    until: str = "9999",
) -> list[PublishedItem]:
    """Approved items of these services, published in [since, until), oldest first."""
    if not services:
        return []
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.published_text, f.rating, f.kind, f.created_at,"
        f" f.moderated_at, f.summary FROM feedback f WHERE {_range(services)} AND f.erased = 0"
        " ORDER BY f.moderated_at, f.id",
        (*services, since, until),
    ) as cursor:
        rows = await cursor.fetchall()
    # The themes of all these items in one query over the same range (not one per item).
    themes: dict[int, list[str]] = {}
    async with conn.execute(
        "SELECT t.feedback_id, t.theme_id FROM feedback f"
        " JOIN item_themes t ON t.feedback_id = f.id AND t.active = 1"
        f" WHERE {_range(services)} ORDER BY t.feedback_id, t.score DESC, t.theme_id",
        (*services, since, until),
    ) as cursor:
        for item_id, theme_id in await cursor.fetchall():
            themes.setdefault(int(item_id), []).append(str(theme_id))
    return [
        PublishedItem(
            item_id,
            slug,
            text,
            rating,
            kind,
            tuple(themes.get(item_id, ())),
            created_at,
            published_at,
            summary,
        )
        for item_id, slug, text, rating, kind, created_at, published_at, summary in rows
    ]


@dataclass(frozen=True)
class Tally:
    """Counts of the approved items of some services in one period."""

    items: int
    # Service slug -> items.
    by_service: dict[str, int]
    # Kind (complaint, compliment, suggestion, question; "" when not classified) -> items.
    by_kind: dict[str, int]
    # Theme id -> items with that theme active (an item may have several themes).
    by_theme: dict[str, int]
    # Service slug -> (sum of ratings, number of ratings): averages are taken in Python,
    # so integer division rules of the database never matter.
    ratings: dict[str, tuple[int, int]]
    # Broad theme id -> items with it or any of its sub-themes active (each item once); empty
    # when no item of the period has a sub-theme (by_theme says it all then).
    by_broad: dict[str, int] = field(default_factory=dict)

    @property
    def rating_count(self) -> int:
        """How many items carry a rating."""
        return sum(count for _, count in self.ratings.values())

    @property
    def average_rating(self) -> float | None:
        """The mean rating of the period, or None without ratings."""
        total = sum(value for value, _ in self.ratings.values())
        count = self.rating_count
        return total / count if count else None

    def service_average(self, slug: str) -> float | None:
        """The mean rating of one service in the period, or None without ratings."""
        total, count = self.ratings.get(slug, (0, 0))
        return total / count if count else None


async def tally(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    since: str,
    until: str,
    broad: Mapping[str, str] | None = None,
) -> Tally:
    """Counts by service, kind and theme, and ratings, of approved items in [since, until);
    with `broad` (sub-theme id -> broad theme id), counts by broad theme too."""
    if not services:
        return Tally(0, {}, {}, {}, {})
    params = (*services, since, until)
    by_service: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    ratings: dict[str, tuple[int, int]] = {}
    async with conn.execute(
        "SELECT f.service_slug, f.kind, COUNT(*), SUM(f.rating), COUNT(f.rating)"
        f" FROM feedback f WHERE {_range(services)} GROUP BY f.service_slug, f.kind",
        params,
    ) as cursor:
        for slug, kind, count, rating_sum, rating_count in await cursor.fetchall():
            by_service[slug] = by_service.get(slug, 0) + int(count)
            by_kind[kind or ""] = by_kind.get(kind or "", 0) + int(count)
            old_sum, old_count = ratings.get(slug, (0, 0))
            ratings[slug] = (old_sum + int(rating_sum or 0), old_count + int(rating_count))
    async with conn.execute(
        "SELECT t.theme_id, COUNT(*) FROM feedback f"
        " JOIN item_themes t ON t.feedback_id = f.id AND t.active = 1"
        f" WHERE {_range(services)} GROUP BY t.theme_id",
        params,
    ) as cursor:
        by_theme = {str(theme): int(count) for theme, count in await cursor.fetchall()}
    by_broad: dict[str, int] = {}
    subs = {sub: top for sub, top in (broad or {}).items() if sub in by_theme}
    if subs:
        # An item with a broad theme and one of its sub-themes (or two sub-themes) counts once.
        pairs = ", ".join("(?, ?)" for _ in subs)
        async with conn.execute(
            f"WITH sub (theme_id, broad) AS (VALUES {pairs})"
            " SELECT COALESCE(sub.broad, t.theme_id), COUNT(DISTINCT f.id) FROM feedback f"
            " JOIN item_themes t ON t.feedback_id = f.id AND t.active = 1"
            f" LEFT JOIN sub ON sub.theme_id = t.theme_id WHERE {_range(services)}"
            " GROUP BY COALESCE(sub.broad, t.theme_id)",
            (*(v for pair in subs.items() for v in pair), *params),
        ) as cursor:
            by_broad = {str(theme): int(count) for theme, count in await cursor.fetchall()}
    return Tally(sum(by_service.values()), by_service, by_kind, by_theme, ratings, by_broad)


@dataclass(frozen=True)
class QuoteCandidate:
    """An approved item that could be quoted for a theme, without its text yet."""

    id: int
    service_slug: str
    theme_id: str
    score: float
    length: int


async def quote_candidates(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    since: str,
    until: str,
    themes: Sequence[str],
    broad: Mapping[str, str] | None = None,
) -> list[QuoteCandidate]:
    """Approved items in [since, until) with one of these themes active, by theme and item;
    with `broad` (sub-theme id -> broad theme id), an item with a sub-theme of one of these
    themes is a candidate for it too (as digests count it), once, at its best score."""
    if not services or not themes:
        return []
    wanted = set(themes)
    subs = {sub: top for sub, top in (broad or {}).items() if top in wanted and sub != top}
    read = [*themes, *(sub for sub in subs if sub not in wanted)]
    theme_marks = ", ".join("?" for _ in read)
    # Only lengths here: the texts of the few items chosen are read afterwards.
    async with conn.execute(
        "SELECT f.id, f.service_slug, t.theme_id, t.score, LENGTH(f.published_text)"
        " FROM feedback f JOIN item_themes t ON t.feedback_id = f.id AND t.active = 1"
        f" WHERE {_range(services)} AND f.erased = 0 AND t.theme_id IN ({theme_marks})"
        " ORDER BY t.theme_id, f.id",
        (*services, since, until, *read),
    ) as cursor:
        rows = await cursor.fetchall()
    best: dict[tuple[str, int], QuoteCandidate] = {}
    for r in rows:
        found = QuoteCandidate(int(r[0]), str(r[1]), str(r[2]), float(r[3]), int(r[4]))
        for theme in (found.theme_id, subs.get(found.theme_id, "")):
            if theme not in wanted:
                continue
            key = (theme, found.id)
            if key not in best or found.score > best[key].score:
                best[key] = replace(found, theme_id=theme)
    return [best[key] for key in sorted(best)]


async def texts(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, PublishedItem]:
    """Approved items by id (ids not approved are simply absent), without their themes."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    # Looked up by id alone and the status checked here: with `status = ?` in the query,
    # SQLite (without statistics) may read every approved item through an index on status
    # instead of fetching a few rows by id. Only published_text is selected either way.
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.published_text, f.rating, f.kind, f.created_at,"
        f" f.moderated_at, f.status, f.erased, f.summary FROM feedback f"
        f" WHERE f.id IN ({marks})",
        tuple(ids),
    ) as cursor:
        rows = await cursor.fetchall()
    return {
        int(r[0]): PublishedItem(int(r[0]), r[1], r[2], r[3], r[4], (), r[5], r[6], r[9])
        for r in rows
        if r[7] == "approved" and r[2] is not None and not r[8]
    }


async def answers(conn: aiosqlite.Connection, ask_id: int, limit: int = 2) -> list[PublishedItem]:
    """Approved answers to a provider's question, newest first, without their themes."""
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.published_text, f.rating, f.kind, f.created_at,"
        " f.moderated_at FROM feedback f WHERE f.ask_id = ? AND f.status = 'approved'"
        " AND f.published_text IS NOT NULL AND f.erased = 0 ORDER BY f.moderated_at DESC, f.id"
        " LIMIT ?",
        (ask_id, limit),
    ) as cursor:
        rows = await cursor.fetchall()
    return [PublishedItem(int(r[0]), r[1], r[2], r[3], r[4], (), r[5], r[6]) for r in rows]
