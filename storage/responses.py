"""Providers' responses: what they answered, which items it covers, who should hear it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage import outbox
from storage.db import stamp

STATUSES = ("acknowledged", "in_progress", "changed", "not_changing")
# The kinds of feedback that raise a problem: a response to a theme answers these, never
# praise (an item not yet given a kind counts, rather than go unanswered).
PROBLEM_KINDS = ("complaint", "suggestion", "question")
_RAISED = f"(f.kind IS NULL OR f.kind IN ({', '.join(repr(k) for k in PROBLEM_KINDS)}))"


@dataclass(frozen=True)
class Response:
    """A provider's answer to a theme of a service over a period, or to one item."""

    id: int
    provider_id: str
    service_slug: str
    theme_id: str | None
    item_id: int | None
    period_start: str | None
    period_end: str | None
    status: str
    text: str
    author: int
    created_at: str
    follow_up_at: str | None
    hidden_at: str | None
    # The moderators' card of the response, once posted.
    card_chat: int | None = None
    card_message: int | None = None
    # Since when it waits for a required language (nothing reaches citizens before).
    waiting_since: str | None = None

    @property
    def hidden(self) -> bool:
        """Whether a moderator hid it."""
        return self.hidden_at is not None

    @property
    def waiting(self) -> bool:
        """Whether it still waits for a language before going to citizens."""
        return self.waiting_since is not None


_COLUMNS = (
    "r.id, r.provider_id, r.service_slug, r.theme_id, r.item_id, r.period_start,"
    " r.period_end, r.status, r.text, r.author, r.created_at, r.follow_up_at, r.hidden_at,"
    " r.card_chat, r.card_message, r.waiting_since"
)

# Items a provider may be answering: approved, still publishable.
_PUBLISHED = "f.status = 'approved' AND f.published_text IS NOT NULL AND f.erased = 0"
# Items an answer to a theme covers: those, and those whose author erased them since (still
# counted in digests, never quoted; their supporters asked to hear back).
_COUNTED = "f.status = 'approved' AND f.published_text IS NOT NULL"


async def theme_items(
    conn: aiosqlite.Connection,
    service_slug: str,
    theme_id: str,
    since: str,
    until: str,
    problems_only: bool = True,
    subs: Sequence[str] = (),
) -> list[int]:
    """Approved items of a service with a theme or one of its sub-themes `subs`, published
    in [since, until), each once (erased ones too, as digests count them): those that raised
    a problem (complaints, suggestions, questions), or with praise too."""
    raised = f" AND {_RAISED}" if problems_only else ""
    # An item whose broad theme a moderator switched off, a sub-theme kept, still counts
    # under the broad theme (as digests count it).
    themes = (theme_id, *subs)
    marks = ", ".join("?" * len(themes))
    async with conn.execute(
        "SELECT DISTINCT f.id FROM feedback f"
        " JOIN item_themes t ON t.feedback_id = f.id AND t.active = 1"
        f" WHERE {_COUNTED}{raised} AND f.service_slug = ? AND t.theme_id IN ({marks})"
        " AND f.moderated_at >= ? AND f.moderated_at < ? ORDER BY f.id",
        (service_slug, *themes, since, until),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def earlier_theme_items(
    conn: aiosqlite.Connection, service_slug: str, theme_id: str, subs: Sequence[str] = ()
) -> list[int]:
    """Items that raised a problem, covered by earlier visible responses to the same theme of
    the same service or to one of its sub-themes `subs`, each once."""
    # Who heard an answer to "Play areas" hears a later answer to its broad theme, as
    # `theme_items` counts the sub-themes' items under it.
    themes = (theme_id, *subs)
    marks = ", ".join("?" * len(themes))
    async with conn.execute(
        "SELECT DISTINCT ri.feedback_id FROM responses r"
        " JOIN response_items ri ON ri.response_id = r.id"
        " JOIN feedback f ON f.id = ri.feedback_id"
        f" WHERE r.service_slug = ? AND r.theme_id IN ({marks}) AND r.hidden_at IS NULL"
        f" AND r.waiting_since IS NULL AND {_COUNTED}"
        f" AND {_RAISED}"
        " ORDER BY ri.feedback_id",
        (service_slug, *themes),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def answered(conn: aiosqlite.Connection, item_id: int) -> bool:
    """Whether any response (even one hidden since) covers the item."""
    async with conn.execute(
        "SELECT 1 FROM response_items WHERE feedback_id = ? LIMIT 1", (item_id,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def answered_since(
    conn: aiosqlite.Connection, items: Sequence[int], since: str, not_by: int
) -> bool:
    """Whether a response by someone other than `not_by` covering one of these items went
    out to people after `since` (a stamp): with its last words, so one that waited for a
    language counts from when it was added; one still waiting, or hidden, does not count."""
    for start in range(0, len(items), 500):
        part = list(items[start : start + 500])
        marks = ", ".join("?" for _ in part)
        async with conn.execute(
            "SELECT 1 FROM responses r JOIN response_items ri ON ri.response_id = r.id"
            f" WHERE ri.feedback_id IN ({marks}) AND r.author <> ?"
            " AND r.hidden_at IS NULL AND r.waiting_since IS NULL"
            " AND COALESCE((SELECT MAX(rt.written_at) FROM response_texts rt"
            " WHERE rt.response_id = r.id), r.created_at) > ? LIMIT 1",
            (*part, not_by, since),
        ) as cursor:
            if await cursor.fetchone() is not None:
                return True
    return False


async def hold_items(conn: aiosqlite.Connection, items: Sequence[int]) -> None:
    """Hold these items' rows until the transaction ends, by writing them unchanged.

    Two colleagues' Sends at the same moment each check `answered_since` first; on
    PostgreSQL neither snapshot sees the other's response. Both writing the same rows makes
    the later one fail as a conflict and run again, seeing the first (SQLite's writes take
    turns already)."""
    for start in range(0, len(items), 500):
        part = sorted(items[start : start + 500])
        marks = ", ".join("?" for _ in part)
        await conn.execute(
            f"UPDATE feedback SET updated_at = updated_at WHERE id IN ({marks})", part
        )


async def publishable_item(conn: aiosqlite.Connection, item_id: int) -> str | None:
    """The service of an approved item, or None if it cannot be answered (yet)."""
    async with conn.execute(
        f"SELECT f.service_slug FROM feedback f WHERE f.id = ? AND {_PUBLISHED}", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def erased_item(conn: aiosqlite.Connection, item_id: int) -> str | None:
    """The service of an approved item whose author had it erased (/forget), if it is one."""
    async with conn.execute(
        "SELECT f.service_slug FROM feedback f WHERE f.id = ? AND f.status = 'approved'"
        " AND f.erased = 1",
        (item_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def create(
    conn: aiosqlite.Connection,
    *,
    provider_id: str,
    service_slug: str,
    theme_id: str | None,
    item_id: int | None,
    period: tuple[str, str] | None,
    status: str,
    text: str,
    author: int,
    follow_up_at: datetime | None,
    items: Sequence[int],
    now: datetime,
    waiting: bool = False,
) -> int:
    """Store a response covering `items` (published, or `waiting` for a language); its id."""
    cursor = await conn.execute(
        "INSERT INTO responses (provider_id, service_slug, theme_id, item_id, period_start,"
        " period_end, status, text, author, created_at, follow_up_at, waiting_since)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            provider_id,
            service_slug,
            theme_id,
            item_id,
            period[0] if period else None,
            period[1] if period else None,
            status,
            text,
            author,
            stamp(now),
            stamp(follow_up_at) if follow_up_at else None,
            stamp(now) if waiting else None,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    response_id = int(row[0])
    await conn.executemany(
        "INSERT INTO response_items (response_id, feedback_id) VALUES (?, ?)"
        " ON CONFLICT DO NOTHING",
        [(response_id, i) for i in items],
    )
    return response_id


async def audience(conn: aiosqlite.Connection, response_id: int) -> list[tuple[int, int]]:
    """(citizen, item) for each citizen who asked to hear back on an item the response
    covers, or supports one ("me too", or an item of theirs merged into it, if they asked to
    hear back on it): one each, their newest such item. Forgotten authors
    are nobody."""
    async with conn.execute(
        "SELECT a.citizen_id, MAX(a.item) FROM ("
        " SELECT f.citizen_id AS citizen_id, f.id AS item FROM response_items ri"
        " JOIN feedback f ON f.id = ri.feedback_id"
        " WHERE ri.response_id = ? AND f.hear_back = 1 AND f.citizen_id <> 0"
        " UNION ALL SELECT s.citizen_id AS citizen_id, s.feedback_id AS item"
        " FROM response_items ri JOIN supporters s ON s.feedback_id = ri.feedback_id"
        " WHERE ri.response_id = ? AND s.hear_back = 1"
        ") a GROUP BY a.citizen_id ORDER BY MAX(a.item)",
        (response_id, response_id),
    ) as cursor:
        return [(int(c), int(i)) for c, i in await cursor.fetchall()]


async def send_latest(conn: aiosqlite.Connection, item_id: int, now: datetime) -> int:
    """The item's latest visible response, queued for whoever hears back on it and never
    had it queued (who joined it, or whose item was merged into it, after it was answered);
    how many."""
    answers = (await for_items(conn, [item_id])).get(item_id)
    if not answers:
        return 0
    async with conn.execute(
        "SELECT f.citizen_id FROM feedback f WHERE f.id = ? AND f.hear_back = 1"
        " AND f.citizen_id <> 0 UNION SELECT s.citizen_id FROM supporters s"
        " WHERE s.feedback_id = ? AND s.hear_back = 1",
        (item_id, item_id),
    ) as cursor:
        people = [(int(row[0]), item_id) for row in await cursor.fetchall()]
    # Those who had it queued before (when it was sent, or since) are left as they are.
    return await outbox.enqueue(conn, "response", answers[-1].id, people, now)


async def heard_on(conn: aiosqlite.Connection, response_id: int, citizen_id: int) -> int | None:
    """The newest item the response covers that the citizen hears back on (their own, or
    one they support), if any: whether it is still theirs to hear."""
    async with conn.execute(
        "SELECT MAX(a.item) FROM ("
        " SELECT f.id AS item FROM response_items ri JOIN feedback f ON f.id = ri.feedback_id"
        " WHERE ri.response_id = ? AND f.citizen_id = ? AND f.hear_back = 1"
        " UNION ALL SELECT s.feedback_id AS item FROM response_items ri"
        " JOIN supporters s ON s.feedback_id = ri.feedback_id"
        " WHERE ri.response_id = ? AND s.citizen_id = ? AND s.hear_back = 1"
        ") a",
        (response_id, citizen_id, response_id, citizen_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def audience_of(conn: aiosqlite.Connection, items: Sequence[int]) -> int:
    """How many people a response covering `items` would reach: distinct citizens who asked
    to hear back on one of them (forgotten authors are nobody)."""
    if not items:
        return 0
    marks = ", ".join("?" for _ in items)
    async with conn.execute(
        "SELECT COUNT(DISTINCT a.citizen_id) FROM ("
        f" SELECT f.citizen_id AS citizen_id FROM feedback f WHERE f.id IN ({marks})"
        " AND f.hear_back = 1 AND f.citizen_id <> 0"
        f" UNION ALL SELECT s.citizen_id FROM supporters s WHERE s.feedback_id IN ({marks})"
        " AND s.hear_back = 1"
        ") a",
        (*items, *items),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def sample_item(conn: aiosqlite.Connection, items: Sequence[int]) -> int | None:
    """One of `items` as a person it would reach knows it (the newest whose author asked to
    hear back), else the newest; for a preview of the notice."""
    if not items:
        return None
    marks = ", ".join("?" for _ in items)
    async with conn.execute(
        f"SELECT MAX(f.id) FROM feedback f WHERE f.id IN ({marks})"
        " AND f.hear_back = 1 AND f.citizen_id <> 0",
        tuple(items),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else max(items)


async def set_card(
    conn: aiosqlite.Connection, response_id: int, chat_id: int, message_id: int
) -> None:
    """Remember where the moderators' card of a response is."""
    await conn.execute(
        "UPDATE responses SET card_chat = ?, card_message = ? WHERE id = ?",
        (chat_id, message_id, response_id),
    )


async def get(conn: aiosqlite.Connection, response_id: int) -> Response | None:
    """One response."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses r WHERE r.id = ?", (response_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return Response(*row) if row else None


async def latest_by(conn: aiosqlite.Connection, author: int, since: datetime) -> Response | None:
    """The newest response this person wrote since `since`, if any."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses r WHERE r.author = ? AND r.created_at >= ?"
        " ORDER BY r.id DESC LIMIT 1",
        (author, stamp(since)),
    ) as cursor:
        row = await cursor.fetchone()
    return Response(*row) if row else None


async def covered_count(conn: aiosqlite.Connection, response_id: int) -> int:
    """How many items a response covers."""
    async with conn.execute(
        "SELECT COUNT(*) FROM response_items WHERE response_id = ?", (response_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def for_items(
    conn: aiosqlite.Connection, item_ids: Sequence[int]
) -> dict[int, list[Response]]:
    """The visible responses covering each item, oldest first."""
    if not item_ids:
        return {}
    marks = ", ".join("?" for _ in item_ids)
    found: dict[int, list[Response]] = {}
    async with conn.execute(
        f"SELECT ri.feedback_id, {_COLUMNS} FROM response_items ri"
        " JOIN responses r ON r.id = ri.response_id"
        f" WHERE ri.feedback_id IN ({marks}) AND r.hidden_at IS NULL AND r.waiting_since IS NULL"
        " ORDER BY r.created_at, r.id",
        tuple(item_ids),
    ) as cursor:
        for row in await cursor.fetchall():
            found.setdefault(int(row[0]), []).append(Response(*row[1:]))
    return found


async def recent(
    conn: aiosqlite.Connection, provider_ids: Sequence[str] | None = None, limit: int = 10
) -> list[Response]:
    """The newest responses (of some providers, or all), newest first."""
    where, params = "", ()  # type: tuple[str, tuple[str, ...]]
    if provider_ids is not None:
        if not provider_ids:
            return []
        where = f" WHERE r.provider_id IN ({', '.join('?' for _ in provider_ids)})"
        params = tuple(provider_ids)
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses r{where} ORDER BY r.id DESC LIMIT ?",
        (*params, limit),
    ) as cursor:
        return [Response(*row) for row in await cursor.fetchall()]


async def hide(conn: aiosqlite.Connection, response_id: int, by: int, now: datetime) -> bool:
    """Hide a response; False if it was hidden already (or does not exist)."""
    cursor = await conn.execute(
        "UPDATE responses SET hidden_at = ?, hidden_by = ? WHERE id = ? AND hidden_at IS NULL",
        (stamp(now), by, response_id),
    )
    return cursor.rowcount > 0


async def follow_ups_due(conn: aiosqlite.Connection, now: datetime) -> list[Response]:
    """ "In progress" responses whose time to ask for an update has come, with nothing newer
    on the same subject since."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses r WHERE r.follow_up_at <= ?"
        " AND r.follow_up_asked_at IS NULL AND r.hidden_at IS NULL AND r.waiting_since IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM responses n WHERE n.id > r.id AND n.hidden_at IS NULL"
        " AND n.service_slug = r.service_slug"
        " AND ((r.theme_id IS NOT NULL AND n.theme_id = r.theme_id)"
        " OR (r.item_id IS NOT NULL AND n.item_id = r.item_id)))"
        " ORDER BY r.follow_up_at",
        (stamp(now),),
    ) as cursor:
        return [Response(*row) for row in await cursor.fetchall()]


async def follow_up_asked(conn: aiosqlite.Connection, response_id: int, now: datetime) -> bool:
    """Record that the provider was asked for an update; False if it was already."""
    cursor = await conn.execute(
        "UPDATE responses SET follow_up_asked_at = ? WHERE id = ? AND follow_up_asked_at IS NULL",
        (stamp(now), response_id),
    )
    return cursor.rowcount > 0


async def follow_up_not_asked(conn: aiosqlite.Connection, response_id: int, at: datetime) -> None:
    """The update asked for `at` reached none of the provider's chats (blocked, not found,
    Telegram failing): still owed, the next run asks again."""
    await conn.execute(
        "UPDATE responses SET follow_up_asked_at = NULL WHERE id = ? AND follow_up_asked_at = ?",
        (response_id, stamp(at)),
    )


async def close_follow_ups(conn: aiosqlite.Connection, response: Response, now: datetime) -> None:
    """A newer response on the same subject answers any update still to be asked for."""
    await conn.execute(
        "UPDATE responses SET follow_up_asked_at = ? WHERE follow_up_asked_at IS NULL"
        " AND follow_up_at IS NOT NULL AND id < ? AND service_slug = ?"
        " AND ((theme_id IS NOT NULL AND theme_id = ?) OR (item_id IS NOT NULL AND item_id = ?))",
        (stamp(now), response.id, response.service_slug, response.theme_id, response.item_id),
    )


async def add_text(
    conn: aiosqlite.Connection,
    response_id: int,
    language: str,
    text: str,
    author: int,
    now: datetime,
) -> bool:
    """Keep a response's words in one language; False if that language has words already
    (the first written stay: a second moderator's words do not replace them)."""
    cursor = await conn.execute(
        "INSERT INTO response_texts (response_id, language, text, author, written_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (response_id, language, text, author, stamp(now)),
    )
    return cursor.rowcount > 0


async def texts_of(conn: aiosqlite.Connection, response_id: int) -> dict[str, str]:
    """A response's words by language (empty for a response written before languages)."""
    async with conn.execute(
        "SELECT language, text FROM response_texts WHERE response_id = ? ORDER BY language",
        (response_id,),
    ) as cursor:
        return {str(lang): str(text) for lang, text in await cursor.fetchall()}


async def stop_waiting(conn: aiosqlite.Connection, response_id: int) -> bool:
    """A waiting response has its languages: it is published. False if it was not waiting
    (published already, by someone else's words)."""
    cursor = await conn.execute(
        "UPDATE responses SET waiting_since = NULL WHERE id = ? AND waiting_since IS NOT NULL",
        (response_id,),
    )
    return cursor.rowcount > 0


async def waiting(
    conn: aiosqlite.Connection, provider_ids: Sequence[str] | None = None
) -> list[Response]:
    """Responses waiting for a language (of some providers, or all), oldest first; hidden
    ones are not waiting for anything."""
    where, params = "", ()  # type: tuple[str, tuple[str, ...]]
    if provider_ids is not None:
        if not provider_ids:
            return []
        where = f" AND r.provider_id IN ({', '.join('?' for _ in provider_ids)})"
        params = tuple(provider_ids)
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses r WHERE r.waiting_since IS NOT NULL"
        f" AND r.hidden_at IS NULL{where} ORDER BY r.id",
        params,
    ) as cursor:
        return [Response(*row) for row in await cursor.fetchall()]
