"""Providers' questions to citizens and invitations to get involved, who may be sent them,
and what citizens who accepted chose to share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import stamp

_ASK_COLUMNS = (
    "id, kind, provider_id, service_slug, text, author, author_chat, state, created_at,"
    " decided_at, decided_by, card_chat_id, card_message_id"
)
_ACCEPTANCE_COLUMNS = "id, ask_id, citizen_id, share, first_name, username, created_at, told_at"


@dataclass(frozen=True)
class Ask:
    """A question or an invitation about one service."""

    id: int
    kind: str
    provider_id: str
    service_slug: str
    text: str
    author: int
    author_chat: int
    state: str
    created_at: str
    decided_at: str | None
    decided_by: int | None
    card_chat_id: int | None
    card_message_id: int | None


@dataclass(frozen=True)
class Acceptance:
    """A citizen said yes to an invitation, and what they chose to share."""

    id: int
    ask_id: int
    citizen_id: int
    share: str
    first_name: str | None
    username: str | None
    created_at: str
    told_at: str | None


# Who has used a service: an item of theirs about it (the anonymous author, id 0, is nobody).
_USED = "EXISTS (SELECT 1 FROM feedback f WHERE f.citizen_id = c.id AND f.service_slug = ?{})"
_REACHABLE = (
    "c.id <> 0"
    " AND NOT EXISTS (SELECT 1 FROM ask_optouts o WHERE o.citizen_id = c.id"
    " AND o.service_slug = ?)"
    " AND c.telegram_id NOT IN (SELECT chat_id FROM unreachable_chats)"
)


async def create(
    conn: aiosqlite.Connection,
    *,
    kind: str,
    provider_id: str,
    service_slug: str,
    text: str,
    author: int,
    author_chat: int,
    now: datetime,
) -> int:
    """Store a proposed question or invitation; its id."""
    cursor = await conn.execute(
        "INSERT INTO asks (kind, provider_id, service_slug, text, author, author_chat,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (kind, provider_id, service_slug, text, author, author_chat, stamp(now)),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def get(conn: aiosqlite.Connection, ask_id: int) -> Ask | None:
    """One question or invitation."""
    async with conn.execute(f"SELECT {_ASK_COLUMNS} FROM asks WHERE id = ?", (ask_id,)) as cursor:
        row = await cursor.fetchone()
    return Ask(*row) if row else None


async def decide(
    conn: aiosqlite.Connection, ask_id: int, state: str, moderator: int, now: datetime
) -> bool:
    """Approve or reject a proposed ask; False if it was decided already (first one wins)."""
    cursor = await conn.execute(
        "UPDATE asks SET state = ?, decided_at = ?, decided_by = ?"
        " WHERE id = ? AND state = 'proposed'",
        (state, stamp(now), moderator, ask_id),
    )
    return cursor.rowcount > 0


async def set_card(conn: aiosqlite.Connection, ask_id: int, chat_id: int, message_id: int) -> None:
    """Where the moderators' card of an ask is."""
    await conn.execute(
        "UPDATE asks SET card_chat_id = ?, card_message_id = ? WHERE id = ?",
        (chat_id, message_id, ask_id),
    )


async def audience(
    conn: aiosqlite.Connection, kind: str, service_slug: str, quiet_since: datetime
) -> list[int]:
    """The citizens an ask about a service goes to.

    Questions: those with an item of that service who asked to hear back or to be
    involved. Invitations: those with an item of that service who said they would like to
    be involved. Never those who opted out of that service, nor chats known unreachable;
    a question skips whoever was sent one about that service since `quiet_since`.
    """
    if kind == "question":
        used = _USED.format(" AND (f.hear_back = 1 OR c.involve = 'yes')")
        quiet = (
            " AND NOT EXISTS (SELECT 1 FROM outbox x JOIN asks a ON a.id = x.ref_id"
            " WHERE x.kind = 'question' AND x.citizen_id = c.id AND a.service_slug = ?"
            " AND x.created_at >= ?)"
        )
        args: tuple[object, ...] = (service_slug, service_slug, service_slug, stamp(quiet_since))
    else:
        used = "c.involve = 'yes' AND " + _USED.format("")
        quiet = ""
        args = (service_slug, service_slug)
    async with conn.execute(
        f"SELECT c.id FROM citizens c WHERE {used} AND {_REACHABLE}{quiet} ORDER BY c.id", args
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def opt_out(conn: aiosqlite.Connection, citizen_id: int, service_slug: str) -> bool:
    """The citizen wants no more questions about a service; False if they said so before."""
    cursor = await conn.execute(
        "INSERT INTO ask_optouts (citizen_id, service_slug) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (citizen_id, service_slug),
    )
    return cursor.rowcount > 0


async def opted_out(conn: aiosqlite.Connection, citizen_id: int, service_slug: str) -> bool:
    """Whether the citizen asked for no more questions about a service."""
    async with conn.execute(
        "SELECT 1 FROM ask_optouts WHERE citizen_id = ? AND service_slug = ?",
        (citizen_id, service_slug),
    ) as cursor:
        return await cursor.fetchone() is not None


async def accept(
    conn: aiosqlite.Connection,
    *,
    ask_id: int,
    citizen_id: int,
    share: str,
    first_name: str | None,
    username: str | None,
    now: datetime,
) -> int | None:
    """Record a yes to an invitation; its id, or None if this citizen accepted before."""
    cursor = await conn.execute(
        "INSERT INTO acceptances (ask_id, citizen_id, share, first_name, username, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ask_id, citizen_id) DO NOTHING RETURNING id",
        (ask_id, citizen_id, share, first_name, username, stamp(now)),
    )
    row = await cursor.fetchone()
    return None if row is None else int(row[0])


async def acceptance(conn: aiosqlite.Connection, acceptance_id: int) -> Acceptance | None:
    """One acceptance."""
    async with conn.execute(
        f"SELECT {_ACCEPTANCE_COLUMNS} FROM acceptances WHERE id = ?", (acceptance_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return Acceptance(*row) if row else None


async def untold(conn: aiosqlite.Connection) -> list[Acceptance]:
    """Acceptances the provider has not been told about yet, oldest first."""
    async with conn.execute(
        f"SELECT {_ACCEPTANCE_COLUMNS} FROM acceptances WHERE told_at IS NULL ORDER BY id"
    ) as cursor:
        return [Acceptance(*row) for row in await cursor.fetchall()]


async def mark_told(conn: aiosqlite.Connection, acceptance_id: int, now: datetime) -> bool:
    """The provider is being told about an acceptance; False if it was already."""
    cursor = await conn.execute(
        "UPDATE acceptances SET told_at = ? WHERE id = ? AND told_at IS NULL",
        (stamp(now), acceptance_id),
    )
    return cursor.rowcount > 0


async def not_told(conn: aiosqlite.Connection, acceptance_id: int, at: datetime) -> None:
    """The provider's chats did not get the news claimed `at` (Telegram failed): tell again."""
    await conn.execute(
        "UPDATE acceptances SET told_at = NULL WHERE id = ? AND told_at = ?",
        (acceptance_id, stamp(at)),
    )


async def involved(conn: aiosqlite.Connection, service_slugs: Sequence[str]) -> dict[str, int]:
    """Per service: how many citizens with an item of it would like to be involved (and did
    not opt out of it)."""
    counts: dict[str, int] = {}
    for slug in service_slugs:
        async with conn.execute(
            f"SELECT COUNT(*) FROM citizens c WHERE c.involve = 'yes' AND {_USED.format('')}"
            " AND c.id <> 0 AND NOT EXISTS (SELECT 1 FROM ask_optouts o"
            " WHERE o.citizen_id = c.id AND o.service_slug = ?)",
            (slug, slug),
        ) as cursor:
            row = await cursor.fetchone()
        counts[slug] = int(row[0]) if row else 0
    return counts


async def approved(
    conn: aiosqlite.Connection,
    kind: str,
    service_slugs: Sequence[str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Ask]:
    """Approved asks of a kind about these services, decided in [since, until), oldest first."""
    if not service_slugs:
        return []
    marks = ", ".join("?" for _ in service_slugs)
    sql = (
        f"SELECT {_ASK_COLUMNS} FROM asks WHERE state = 'approved' AND kind = ?"
        f" AND service_slug IN ({marks})"
    )
    args: list[object] = [kind, *service_slugs]
    if since is not None:
        sql += " AND decided_at >= ?"
        args.append(stamp(since))
    if until is not None:
        sql += " AND decided_at < ?"
        args.append(stamp(until))
    async with conn.execute(sql + " ORDER BY decided_at, id", args) as cursor:
        return [Ask(*row) for row in await cursor.fetchall()]


async def accepted_count(conn: aiosqlite.Connection, ask_id: int) -> int:
    """How many citizens accepted an invitation."""
    async with conn.execute(
        "SELECT COUNT(*) FROM acceptances WHERE ask_id = ?", (ask_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def answer_count(conn: aiosqlite.Connection, ask_id: int) -> int:
    """How many approved answers a question has."""
    async with conn.execute(
        "SELECT COUNT(*) FROM feedback WHERE ask_id = ? AND status = 'approved'", (ask_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def sent_count(conn: aiosqlite.Connection, kind: str, ask_id: int) -> int:
    """How many citizens an ask is queued for or reached (not blocked, failed, cancelled)."""
    async with conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE kind = ? AND ref_id = ?"
        " AND state IN ('pending', 'sending', 'sent')",
        (kind, ask_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def add_text(
    conn: aiosqlite.Connection, ask_id: int, language: str, text: str, author: int, now: datetime
) -> bool:
    """Keep an ask's words in one language; False if that language has words already."""
    cursor = await conn.execute(
        "INSERT INTO ask_texts (ask_id, language, text, author, written_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ask_id, language, text, author, stamp(now)),
    )
    return cursor.rowcount > 0


async def texts_of(conn: aiosqlite.Connection, ask_id: int) -> dict[str, str]:
    """An ask's words by language (empty for one written before languages)."""
    async with conn.execute(
        "SELECT language, text FROM ask_texts WHERE ask_id = ? ORDER BY language", (ask_id,)
    ) as cursor:
        return {str(lang): str(text) for lang, text in await cursor.fetchall()}
