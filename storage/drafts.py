"""What a staff member is writing in a chat, until their text arrives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime

import aiosqlite

from storage import updates
from storage.db import stamp

_COLUMNS = (
    "author, chat_id, kind, provider_id, service_slug, theme_id, item_id, period_start,"
    " period_end, status, ref_id, created_at, text, seen_at, texts"
)


@dataclass(frozen=True)
class Draft:
    """A response, question, invitation or message being written."""

    author: int
    chat_id: int
    kind: str
    provider_id: str
    service_slug: str | None = None
    theme_id: str | None = None
    item_id: int | None = None
    period_start: str | None = None
    period_end: str | None = None
    status: str | None = None
    ref_id: int | None = None
    created_at: str = ""
    # A response's words, once written: they wait here, previewed, until "Send".
    text: str | None = None
    # Its words in the other required languages, once written ({"cy": "..."}); a language
    # given None is left for a moderator to add.
    texts: dict[str, str | None] = field(default_factory=dict)
    # A response's: colleagues' responses to the same items since this stamp are not known
    # to its writer (set when it is begun, moved on when they are told of one).
    seen_at: str = ""

    def but(self, **changes: object) -> Draft:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


async def save(conn: aiosqlite.Connection, draft: Draft, now: datetime) -> None:
    """Start or change the author's draft in that chat (one at a time per chat)."""
    d = draft
    await conn.execute(
        f"INSERT INTO drafts ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (author, chat_id) DO UPDATE SET kind = excluded.kind,"
        " provider_id = excluded.provider_id, service_slug = excluded.service_slug,"
        " theme_id = excluded.theme_id, item_id = excluded.item_id,"
        " period_start = excluded.period_start, period_end = excluded.period_end,"
        " status = excluded.status, ref_id = excluded.ref_id, created_at = excluded.created_at,"
        " text = excluded.text, seen_at = excluded.seen_at, texts = excluded.texts",
        (
            d.author,
            d.chat_id,
            d.kind,
            d.provider_id,
            d.service_slug,
            d.theme_id,
            d.item_id,
            d.period_start,
            d.period_end,
            d.status,
            d.ref_id,
            stamp(now),
            d.text,
            d.seen_at or stamp(now),
            json.dumps(d.texts, sort_keys=True) if d.texts else None,
        ),
    )


async def begin(
    conn: aiosqlite.Connection, draft: Draft, update_id: int | None, now: datetime
) -> bool:
    """Begin a draft, with the update that began it claimed in the same transaction; False
    (nothing saved) if that update was handled before a restart."""
    if update_id is not None and not await updates.claim(conn, update_id, now):
        return False
    await save(conn, draft, now)
    return True


async def get(conn: aiosqlite.Connection, author: int, chat_id: int) -> Draft | None:
    """The author's draft in that chat, if any."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM drafts WHERE author = ? AND chat_id = ?", (author, chat_id)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    *fields, seen_at, texts = row
    draft = Draft(*fields).but(seen_at=seen_at or "")
    return draft.but(texts=json.loads(texts)) if texts else draft


async def delete(conn: aiosqlite.Connection, author: int, chat_id: int) -> bool:
    """Drop the author's draft in that chat; True if there was one."""
    cursor = await conn.execute(
        "DELETE FROM drafts WHERE author = ? AND chat_id = ?", (author, chat_id)
    )
    return cursor.rowcount > 0


async def older_than(conn: aiosqlite.Connection, cutoff: datetime) -> int:
    """Drop drafts left unfinished since before `cutoff`; how many."""
    cursor = await conn.execute("DELETE FROM drafts WHERE created_at < ?", (stamp(cutoff),))
    return cursor.rowcount
