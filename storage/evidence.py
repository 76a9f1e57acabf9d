"""What providers' responses achieved: the reads behind the "evidence of value" figures.

Counts only. Like `storage.published`, nothing here selects a citizen id, a Telegram id or
any text: items are approved ones (erased items still count, as in digests), responses
are visible ones (a response a moderator hid counts for nothing), and the citizens'
replies are tallied, never listed. The SQL is portable (no SQLite-only functions);
stamps are ISO-8601 UTC text, so comparing them as text compares the moments, and
durations and medians are worked out by the caller in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aiosqlite

from storage import supporters


@dataclass(frozen=True)
class ItemFacts:
    """One approved item of a period and what responses did about it by the period's end."""

    id: int
    service_slug: str
    published_at: str
    # When the first visible response covering it was published, or None.
    first_response_at: str | None
    # A visible 'changed' response covers it, or answered one of its themes (or the broad
    # theme of one of its sub-themes) after it.
    changed: bool
    # Who: its author and those who said "me too" to it (or had an item merged into it), by
    # citizen id (an author forgotten since is someone no other item is known to share: minus
    # the item's id), so that each person counts once.
    people: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Replies:
    """What citizens answered, for one service, when asked if a response met their point."""

    yes: int
    no: int


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)


# Approved items of some services published in [since, until): the same terms, in the same
# order, as the partial index `feedback_published` (migration 0004), as in storage.published.
def _published_in(services: Sequence[str]) -> str:
    return (
        "f.status = 'approved' AND f.published_text IS NOT NULL"
        f" AND f.service_slug IN ({_marks(services)})"
        " AND f.moderated_at >= ? AND f.moderated_at < ?"
    )


# When a response r went out to people: with its last words (a response that waited for
# words in a language the deployment requires went out when they were added; one written
# in every language at once, when it was written).
_OUT = (
    "COALESCE((SELECT MAX(rt.written_at) FROM response_texts rt WHERE rt.response_id = r.id),"
    " r.created_at)"
)

# A visible response covering the item f, gone out before the end of the report (one still
# waiting for words in a language the deployment requires has reached no one).
_COVERING = (
    "FROM response_items ri JOIN responses r ON r.id = ri.response_id"
    " WHERE ri.feedback_id = f.id AND r.hidden_at IS NULL AND r.waiting_since IS NULL"
    f" AND {_OUT} < ?"
)


# A visible 'changed' response to one of f's active themes at f's service, published
# after f and before the end of the report: the provider changed something f was about.
# With sub-themes (`sub`: sub-theme id -> broad theme id), a response to the broad theme of
# one of f's sub-themes counts too, as digests count f under it (its broad theme may be off).
def _changed_theme(subs: bool) -> str:
    theme = "r.theme_id = t.theme_id"
    if subs:
        theme = f"({theme} OR r.theme_id = sub.broad)"
    return (
        "FROM item_themes t"
        + (" LEFT JOIN sub ON sub.theme_id = t.theme_id" if subs else "")
        + f" JOIN responses r ON r.service_slug = f.service_slug AND {theme}"
        " WHERE t.feedback_id = f.id AND t.active = 1 AND r.hidden_at IS NULL"
        " AND r.waiting_since IS NULL"
        f" AND r.status = 'changed' AND r.created_at >= f.moderated_at AND {_OUT} < ?"
    )


async def items(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    since: str,
    until: str,
    broad: Mapping[str, str] | None = None,
) -> list[ItemFacts]:
    """Items of these services published in [since, until), with responses up to `until`;
    `broad` (sub-theme id -> broad theme id) as for digests."""
    if not services:
        return []
    pairs = [(sub, top) for sub, top in sorted((broad or {}).items()) if sub != top]
    values = ", ".join("(?, ?)" for _ in pairs)
    with_subs = f"WITH sub (theme_id, broad) AS (VALUES {values}) " if pairs else ""
    async with conn.execute(
        f"{with_subs}SELECT f.id, f.service_slug, f.moderated_at,"
        f" (SELECT MIN({_OUT}) {_COVERING}),"
        " CASE"
        f" WHEN EXISTS (SELECT 1 {_COVERING} AND r.status = 'changed') THEN 1"
        f" WHEN EXISTS (SELECT 1 {_changed_theme(bool(pairs))}) THEN 1"
        " ELSE 0 END,"
        " f.citizen_id"
        f" FROM feedback f WHERE {_published_in(services)}"
        " ORDER BY f.moderated_at, f.id",
        (*(v for pair in pairs for v in pair), until, until, until, *services, since, until),
    ) as cursor:
        rows = await cursor.fetchall()
    backers: dict[int, set[int]] = {}
    async with conn.execute(
        "SELECT s.feedback_id, s.citizen_id FROM supporters s JOIN feedback f"
        f" ON f.id = s.feedback_id WHERE {_published_in(services)}",
        (*services, since, until),
    ) as cursor:
        for item_id, citizen_id in await cursor.fetchall():
            backers.setdefault(int(item_id), set()).add(int(citizen_id))
    # The forgotten author of an item merged into one is someone too (minus their item's id).
    merged = await supporters.anonymous_merged(conn, [int(r[0]) for r in rows])
    for item_id, anonymous in merged.items():
        backers.setdefault(item_id, set()).update(-i for i in anonymous)
    return [
        ItemFacts(
            int(r[0]),
            str(r[1]),
            str(r[2]),
            r[3],
            bool(r[4]),
            frozenset({int(r[5]) if r[5] else -int(r[0])} | backers.get(int(r[0]), set())),
        )
        for r in rows
    ]


# Citizens' yes/no to responses: those of people still here (their outbox rows) and those
# kept as bare figures when a citizen was forgotten (a negative person: never a citizen id).
_ANSWERS = (
    "(SELECT o.ref_id AS response_id, o.reply, o.replied_at, o.citizen_id AS person"
    " FROM outbox o WHERE o.kind = 'response' AND o.reply IN ('yes', 'no')"
    " UNION ALL SELECT e.response_id, e.reply, e.replied_at, -e.person FROM erased_replies e)"
)


async def replies(
    conn: aiosqlite.Connection, services: Sequence[str], since: str, until: str
) -> dict[str, Replies]:
    """By service: citizens' yes/no to visible responses of it, replied in [since, until)."""
    if not services:
        return {}
    async with conn.execute(
        "SELECT r.service_slug,"
        " SUM(CASE WHEN a.reply = 'yes' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN a.reply = 'no' THEN 1 ELSE 0 END)"
        f" FROM {_ANSWERS} a JOIN responses r ON r.id = a.response_id"
        " WHERE a.replied_at >= ? AND a.replied_at < ?"
        f" AND r.hidden_at IS NULL AND r.service_slug IN ({_marks(services)})"
        " GROUP BY r.service_slug",
        (since, until, *services),
    ) as cursor:
        return {
            str(slug): Replies(int(yes or 0), int(no or 0))
            for slug, yes, no in await cursor.fetchall()
        }


async def people_replying(
    conn: aiosqlite.Connection, services: Sequence[str], since: str, until: str
) -> tuple[int, int]:
    """How many people said yes to at least one visible response of these services, and
    how many people replied yes or no at all, in [since, until). Counts, never who."""
    if not services:
        return 0, 0
    async with conn.execute(
        "SELECT COUNT(DISTINCT CASE WHEN a.reply = 'yes' THEN a.person END),"
        " COUNT(DISTINCT a.person)"
        f" FROM {_ANSWERS} a JOIN responses r ON r.id = a.response_id"
        " WHERE a.replied_at >= ? AND a.replied_at < ?"
        f" AND r.hidden_at IS NULL AND r.service_slug IN ({_marks(services)})",
        (since, until, *services),
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)
