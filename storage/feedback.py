"""Feedback items: what citizens said about a service."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage.db import stamp
from storage.numbers import fresh_id, with_id
from storage.postgres import ITEM_NUMBERS
from storage.postgres import Connection as PostgresConnection

# Items whose author was forgotten belong to this citizen (storage.privacy.ANONYMOUS).
_FORGOTTEN = 0


@dataclass(frozen=True)
class FeedbackItem:
    """One item of feedback as its author sees it."""

    id: int
    service_slug: str
    service_name: str
    text: str
    rating: int | None
    hear_back: bool
    status: str
    created_at: str
    # What providers read, once approved (redacted or edited by a moderator, maybe).
    published_text: str | None = None


async def create(
    conn: aiosqlite.Connection,
    *,
    citizen_id: int,
    service_slug: str,
    text: str,
    rating: int | None,
    hear_back: bool,
    now: datetime,
    response_id: int | None = None,
    ask_id: int | None = None,
    conversation_seq: int | None = None,
) -> int:
    """Store a new item with status `pending`; return its reference number."""
    when = stamp(now)
    if isinstance(conn, PostgresConnection):
        # SQLite numbers and commits one writer at a time already.
        await conn.execute("SELECT pg_advisory_xact_lock(?)", (ITEM_NUMBERS,))
    columns, values, number = with_id(
        await fresh_id(conn, "feedback"),
        "citizen_id, service_slug, text, rating, hear_back, status, created_at, updated_at,"
        " response_id, ask_id, conversation_seq",
        "?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?",
    )
    cursor = await conn.execute(
        f"INSERT INTO feedback ({columns}) VALUES ({values}) RETURNING id",
        (
            *number,
            citizen_id,
            service_slug,
            text,
            rating,
            int(hear_back),
            when,
            when,
            response_id,
            ask_id,
            conversation_seq,
        ),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


_SELECT = (
    "SELECT f.id, f.service_slug, s.name, f.text, f.rating, f.hear_back, f.status, f.created_at,"
    " f.published_text FROM feedback f JOIN services s ON s.slug = f.service_slug"
)


def _item(row: aiosqlite.Row | tuple[object, ...]) -> FeedbackItem:
    values = list(row)
    values[5] = bool(values[5])
    return FeedbackItem(*values)  # type: ignore[arg-type]


async def for_citizen(
    conn: aiosqlite.Connection, citizen_id: int, limit: int = 10
) -> list[FeedbackItem]:
    """The citizen's most recent items, newest first."""
    async with conn.execute(
        f"{_SELECT} WHERE f.citizen_id = ? ORDER BY f.id DESC LIMIT ?", (citizen_id, limit)
    ) as cursor:
        return [_item(row) for row in await cursor.fetchall()]


async def saved_since(
    conn: aiosqlite.Connection, citizen_id: int, since: str
) -> FeedbackItem | None:
    """The citizen's newest item, if it was saved at `since` (a stored time) or later."""
    async with conn.execute(
        f"{_SELECT} WHERE f.citizen_id = ? AND f.created_at >= ? ORDER BY f.id DESC LIMIT 1",
        (citizen_id, since),
    ) as cursor:
        row = await cursor.fetchone()
    return _item(row) if row else None


async def count_for_citizen(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """How many items the citizen has given."""
    async with conn.execute(
        "SELECT COUNT(*) FROM feedback WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def get(conn: aiosqlite.Connection, item_id: int) -> FeedbackItem | None:
    """One item by reference number."""
    async with conn.execute(f"{_SELECT} WHERE f.id = ?", (item_id,)) as cursor:
        row = await cursor.fetchone()
    return _item(row) if row else None


async def all_items(conn: aiosqlite.Connection) -> list[FeedbackItem]:
    """Every item, oldest first (for the demo's account and exports)."""
    async with conn.execute(f"{_SELECT} ORDER BY f.id") as cursor:
        return [_item(row) for row in await cursor.fetchall()]


@dataclass(frozen=True)
class Moderated:
    """An item as moderators see it: everything but who wrote it."""

    id: int
    version: int
    service_slug: str
    service_name: str
    provider_id: str
    text: str
    rating: int | None
    status: str
    kind: str | None
    redacted_text: str | None
    redactions: str | None
    edited_text: str | None
    published_text: str | None
    reject_reason: str | None
    moderated_by: int | None
    moderated_at: str | None
    card_chat_id: int | None
    card_message_id: int | None
    created_at: str
    tagged_at: str | None
    # A comment on a provider's response, or an answer to a provider's question.
    response_id: int | None = None
    ask_id: int | None = None
    # Posting its card: failed attempts, the last failure, and when a send was begun.
    card_attempts: int = 0
    card_error: str | None = None
    card_sending_at: str | None = None
    # Shown in a message listing several items rather than a card of its own.
    card_batched: bool = False
    # Until when the decision on it may be undone (a stamp), while the card offers it.
    undo_until: str | None = None
    # Why it was withdrawn after publishing (status 'withdrawn').
    withdrawn_reason: str | None = None
    # What redaction left in but a moderator should check: JSON, '[]' when nothing.
    redaction_flags: str = "[]"
    # The kind the model gave and how sure it was (0 to 1); who set the kind on the card
    # (None while the model's kind stands).
    model_kind: str | None = None
    kind_score: float | None = None
    kind_set_by: int | None = None
    # Other kinds the model found beside `kind` (mixed feedback), as a JSON list.
    also_kinds: str | None = None
    # The language it was written in as detected ('und': unsure; None: not detected) and
    # how sure the detector was; a moderator's summary in the default language.
    language: str | None = None
    language_score: float | None = None
    summary: str | None = None

    @property
    def working_text(self) -> str:
        """What would be published now: the moderator's edit, else the redacted text."""
        return self.edited_text or self.redacted_text or self.text


@dataclass(frozen=True)
class ItemTheme:
    """One theme of an item."""

    theme_id: str
    score: float
    source: str
    evidence: str | None
    active: bool
    # A person switched it on or off (whoever suggested it first).
    set_by_person: bool = False


def removed_kinds(original: str, shown: str, redactions: list[dict[str, object]]) -> list[str]:
    """The kinds of what redaction found that `shown` has fewer of than `original`: a
    detail typed twice and removed once ("Dr Patel. Patel was great") was still removed,
    and one a moderator's edit put back is not any more. A finding kept without its text
    (the original is gone) was removed."""
    kinds = set()
    for r in redactions:
        part = str(r.get("text", ""))
        if not part.strip() or occurrences(shown, part) < occurrences(original, part):
            kinds.add(str(r["kind"]))
    return sorted(kinds)


def occurrences(text: str, part: str) -> int:
    """How often `part` is in `text` as typed, not inside a longer word ("Jo" in "Job")."""
    part = part.strip()
    if not part:
        return 0
    return len(re.findall(rf"(?<!\w){re.escape(part)}(?!\w)", text))


def kinds_only(original: str, shown: str, redactions: str | None) -> str:
    """Stored findings as they may stay once the original text goes: the kinds of what was
    removed from `shown`, without texts or offsets (JSON)."""
    kinds = removed_kinds(original, shown, json.loads(redactions or "[]"))
    return json.dumps([{"kind": kind} for kind in kinds])


_MODERATED = (
    "SELECT f.id, f.version, f.service_slug, s.name, s.provider_id, f.text, f.rating, f.status,"
    " f.kind, f.redacted_text, f.redactions, f.edited_text, f.published_text, f.reject_reason,"
    " f.moderated_by, f.moderated_at, f.card_chat_id, f.card_message_id, f.created_at,"
    " f.tagged_at, f.response_id, f.ask_id, f.card_attempts, f.card_error, f.card_sending_at,"
    " f.card_batched, f.undo_until, f.withdrawn_reason, f.redaction_flags, f.model_kind,"
    " f.kind_score, f.kind_set_by, f.also_kinds, f.language, f.language_score, f.summary"
    " FROM feedback f"
    " JOIN services s ON s.slug = f.service_slug"
)


# Where card_batched is in a row of _MODERATED (stored as 0 or 1).
_BATCHED = 25


async def latest_of(conn: aiosqlite.Connection, citizen_id: int) -> Moderated | None:
    """The citizen's most recent item (a comment or an answer included), if any."""
    async with conn.execute(
        "SELECT MAX(id) FROM feedback WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return await moderated(conn, int(row[0])) if row and row[0] is not None else None


async def count_of(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """How many items the citizen has (comments and answers included)."""
    async with conn.execute(
        "SELECT COUNT(*) FROM feedback WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def conversation_of(conn: aiosqlite.Connection, item_id: int) -> int | None:
    """The conversation an item was told in (its author's sequence number), if known."""
    async with conn.execute(
        "SELECT conversation_seq FROM feedback WHERE id = ?", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def moderated(conn: aiosqlite.Connection, item_id: int) -> Moderated | None:
    """One item with its moderation state."""
    async with conn.execute(f"{_MODERATED} WHERE f.id = ?", (item_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    values[_BATCHED] = bool(values[_BATCHED])
    return Moderated(*values)


async def untagged(conn: aiosqlite.Connection, limit: int = 100) -> list[tuple[int, str]]:
    """Items the language tools have not seen yet: (id, text), oldest first."""
    async with conn.execute(
        "SELECT id, text FROM feedback WHERE tagged_at IS NULL ORDER BY id LIMIT ?", (limit,)
    ) as cursor:
        return [(int(r[0]), str(r[1])) for r in await cursor.fetchall()]


async def save_tagging(
    conn: aiosqlite.Connection,
    item_id: int,
    *,
    kind: str | None,
    redacted_text: str,
    redactions: str,
    themes: list[tuple[str, float, str, str]],
    now: datetime,
    flags: str = "[]",
    kind_score: float | None = None,
    also_kinds: str = "[]",
    language: str | None = None,
    language_score: float | None = None,
) -> bool:
    """Store what tagging found (once), with what to check (`flags`, JSON), how sure the
    model was of the kind, and the language detected; False if the item was already tagged."""
    cursor = await conn.execute(
        "UPDATE feedback SET kind = ?, model_kind = ?, kind_score = ?, also_kinds = ?,"
        " redacted_text = ?, redactions = ?, redaction_flags = ?, tagged_at = ?,"
        " language = ?, language_score = ? WHERE id = ? AND tagged_at IS NULL",
        (
            kind,
            kind,
            kind_score,
            also_kinds,
            redacted_text,
            redactions,
            flags,
            stamp(now),
            language,
            language_score,
            item_id,
        ),
    )
    if cursor.rowcount == 0:
        return False
    await conn.executemany(
        "INSERT INTO item_themes (feedback_id, theme_id, score, source, evidence)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (feedback_id, theme_id) DO NOTHING",
        [
            (item_id, theme_id, score, source, evidence)
            for theme_id, score, source, evidence in themes
        ],
    )
    return True


async def themes_of(conn: aiosqlite.Connection, item_id: int) -> list[ItemTheme]:
    """The themes of an item, active and removed, strongest first."""
    async with conn.execute(
        "SELECT theme_id, score, source, evidence, active,"
        " set_at IS NOT NULL OR source IN ('moderator', 'citizen') FROM item_themes"
        " WHERE feedback_id = ? ORDER BY active DESC, score DESC, theme_id",
        (item_id,),
    ) as cursor:
        return [
            ItemTheme(r[0], float(r[1]), r[2], r[3], bool(r[4]), bool(r[5]))
            for r in await cursor.fetchall()
        ]


async def set_theme(
    conn: aiosqlite.Connection,
    item_id: int,
    theme_id: str,
    active: bool,
    now: datetime | None = None,
) -> None:
    """Turn a theme of an item on or off (a moderator's correction, marked as such); a
    theme the author had set becomes the moderator's."""
    when = stamp(now or datetime.now(UTC))
    await conn.execute(
        "INSERT INTO item_themes (feedback_id, theme_id, score, source, active, set_at)"
        " VALUES (?, ?, 1.0, 'moderator', ?, ?)"
        " ON CONFLICT (feedback_id, theme_id) DO UPDATE SET active = excluded.active,"
        " set_at = excluded.set_at, source = CASE WHEN item_themes.source = 'citizen'"
        " THEN 'moderator' ELSE item_themes.source END",
        (item_id, theme_id, int(active), when),
    )


async def set_theme_by_author(
    conn: aiosqlite.Connection, item_id: int, theme_id: str, active: bool, now: datetime
) -> bool:
    """Turn a theme of an item on or off as its author says; False where a moderator has
    set that theme already (theirs stands)."""
    # set_at on a row not the author's is a moderator's switch (only they set it otherwise).
    cursor = await conn.execute(
        "INSERT INTO item_themes (feedback_id, theme_id, score, source, active, set_at)"
        " VALUES (?, ?, 1.0, 'citizen', ?, ?)"
        " ON CONFLICT (feedback_id, theme_id) DO UPDATE SET active = excluded.active,"
        " set_at = excluded.set_at, source = 'citizen'"
        " WHERE item_themes.set_at IS NULL OR item_themes.source = 'citizen'",
        (item_id, theme_id, int(active), stamp(now)),
    )
    return cursor.rowcount > 0


async def touch(conn: aiosqlite.Connection, item_id: int, now: datetime) -> None:
    """Mark an item changed: a change made meanwhile to the same item (its card posted) makes
    this transaction run again, so that it sees it."""
    await conn.execute("UPDATE feedback SET updated_at = ? WHERE id = ?", (stamp(now), item_id))


@dataclass(frozen=True)
class Authored:
    """An item as its author may see it to fix its themes."""

    id: int
    service_slug: str
    text: str
    status: str
    hear_back: bool
    tagged: bool
    # A comment on a response or an answer to a question (their saved message differs).
    side: bool


async def authored(conn: aiosqlite.Connection, item_id: int, telegram_id: int) -> Authored | None:
    """An item of this person (by Telegram id), not erased; None if it is not theirs."""
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.text, f.status, f.hear_back, f.tagged_at IS NOT NULL,"
        " f.response_id IS NOT NULL OR f.ask_id IS NOT NULL FROM feedback f"
        " JOIN citizens c ON c.id = f.citizen_id"
        " WHERE f.id = ? AND c.telegram_id = ? AND f.erased = 0",
        (item_id, telegram_id),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Authored(
        int(row[0]), str(row[1]), str(row[2]), str(row[3]), bool(row[4]), bool(row[5]), bool(row[6])
    )


async def save_transcript(
    conn: aiosqlite.Connection,
    item_id: int,
    *,
    text: str,
    kind: str | None,
    redacted_text: str,
    redactions: str,
    themes: list[tuple[str, float, str, str]],
    now: datetime,
    flags: str = "[]",
    kind_score: float | None = None,
    also_kinds: str = "[]",
    language: str | None = None,
    language_score: float | None = None,
) -> None:
    """A voice note's words, typed by a moderator: the item's text now, tagged as typed words
    are (what redaction found, the kind, the themes); a kind or themes a moderator set stay."""
    await conn.execute(
        "UPDATE feedback SET text = ?, edited_text = NULL, redacted_text = ?, redactions = ?,"
        " redaction_flags = ?, model_kind = ?, kind_score = ?, also_kinds = ?,"
        " kind = CASE WHEN kind_set_by IS NULL THEN ? ELSE kind END,"
        " language = ?, language_score = ?, updated_at = ? WHERE id = ?",
        (
            text,
            redacted_text,
            redactions,
            flags,
            kind,
            kind_score,
            also_kinds,
            kind,
            language,
            language_score,
            stamp(now),
            item_id,
        ),
    )
    await conn.execute(
        "DELETE FROM item_themes WHERE feedback_id = ? AND set_at IS NULL"
        " AND source NOT IN ('moderator', 'citizen')",
        (item_id,),
    )
    await conn.executemany(
        "INSERT INTO item_themes (feedback_id, theme_id, score, source, evidence)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (feedback_id, theme_id) DO NOTHING",
        [
            (item_id, theme_id, score, source, evidence)
            for theme_id, score, source, evidence in themes
        ],
    )


async def untagged_one(conn: aiosqlite.Connection, item_id: int) -> str | None:
    """An item's text if the language tools have not seen it yet (None otherwise)."""
    async with conn.execute(
        "SELECT text FROM feedback WHERE id = ? AND tagged_at IS NULL", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def set_kind(
    conn: aiosqlite.Connection, item_id: int, kind: str, moderator: int, now: datetime
) -> None:
    """Set an item's kind (a moderator's correction); the model's kind is kept beside it."""
    when = stamp(now)
    await conn.execute(
        "UPDATE feedback SET model_kind = COALESCE(model_kind, kind), kind = ?, kind_set_by = ?,"
        " kind_set_at = ?, updated_at = ? WHERE id = ?",
        (kind, moderator, when, when, item_id),
    )


async def bump(conn: aiosqlite.Connection, item_id: int, version: int) -> bool:
    """Claim the item at this version for a change; False if it moved on meanwhile."""
    cursor = await conn.execute(
        "UPDATE feedback SET version = version + 1 WHERE id = ? AND version = ?",
        (item_id, version),
    )
    return cursor.rowcount > 0


async def decide(
    conn: aiosqlite.Connection,
    item_id: int,
    *,
    status: str,
    published_text: str | None,
    reject_reason: str | None,
    moderator: int | None,
    now: datetime,
    undo_until: datetime | None = None,
) -> None:
    """Record the moderation decision on an item (undoable until `undo_until`, if given).

    An item published is dated no earlier than the end of its provider's latest digest
    period: after a clock correction (or on an instance whose clock is behind the one that
    made the digest) it would otherwise fall inside a period already sent, and no digest
    would ever show it."""
    when = stamp(now)
    published_at = max(when, await latest_digest_end(conn, item_id) or when)
    # A correction not yet sent about an earlier, undone outcome is overtaken by this one.
    await conn.execute(
        "UPDATE feedback SET status = ?, published_text = ?, reject_reason = ?,"
        " moderated_by = ?, moderated_at = ?, updated_at = ?, undo_until = ?,"
        " correction_due = 0 WHERE id = ?",
        (
            status,
            published_text,
            reject_reason,
            moderator,
            published_at if status == "approved" else when,
            when,
            stamp(undo_until) if undo_until else None,
            item_id,
        ),
    )


async def latest_digest_end(conn: aiosqlite.Connection, item_id: int) -> str | None:
    """The end of the latest digest period of the provider whose service the item is about."""
    async with conn.execute(
        "SELECT MAX(d.period_end) FROM feedback f JOIN services s ON s.slug = f.service_slug"
        " JOIN digests d ON d.provider_id = s.provider_id WHERE f.id = ?",
        (item_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def undo(conn: aiosqlite.Connection, item_id: int, now: datetime) -> bool:
    """Put a decided item back to pending; True if its author had been told the outcome
    (they are then owed a correction)."""
    async with conn.execute(
        "SELECT author_told_at IS NOT NULL FROM feedback WHERE id = ?", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    told = bool(row and row[0])
    await conn.execute(
        "UPDATE feedback SET status = 'pending', published_text = NULL, reject_reason = NULL,"
        " moderated_by = NULL, moderated_at = NULL, undo_until = NULL, author_told_at = NULL,"
        " correction_due = ?, updated_at = ? WHERE id = ?",
        (int(told), stamp(now), item_id),
    )
    return told


async def withdraw(
    conn: aiosqlite.Connection, item_id: int, reason: str, moderator: int, now: datetime
) -> None:
    """Take a published item out of everything providers read from now on."""
    when = stamp(now)
    await conn.execute(
        "UPDATE feedback SET status = 'withdrawn', withdrawn_reason = ?, moderated_by = ?,"
        " moderated_at = ?, undo_until = NULL, updated_at = ? WHERE id = ?",
        (reason, moderator, when, when, item_id),
    )


async def undo_ended(conn: aiosqlite.Connection, now: datetime, limit: int = 50) -> list[int]:
    """Items whose card still offers Undo although the time for it has passed."""
    async with conn.execute(
        "SELECT id FROM feedback WHERE undo_until IS NOT NULL AND undo_until <= ?"
        " ORDER BY undo_until LIMIT ?",
        (stamp(now), limit),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def end_undo(conn: aiosqlite.Connection, item_id: int, now: datetime) -> bool:
    """The card no longer offers Undo; False if it already did not."""
    cursor = await conn.execute(
        "UPDATE feedback SET undo_until = NULL WHERE id = ? AND undo_until <= ?",
        (item_id, stamp(now)),
    )
    return cursor.rowcount > 0


async def corrections(conn: aiosqlite.Connection, limit: int = 50) -> list[tuple[int, int]]:
    """Items back with the moderators whose author was told an outcome that was undone:
    (item id, author's Telegram id)."""
    async with conn.execute(
        "SELECT f.id, c.telegram_id FROM feedback f JOIN citizens c ON c.id = f.citizen_id"
        " WHERE f.correction_due = 1 AND f.status = 'pending' ORDER BY f.id LIMIT ?",
        (limit,),
    ) as cursor:
        return [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]


async def claim_correction(conn: aiosqlite.Connection, item_id: int) -> bool:
    """Claim sending a correction (compare-and-set): only the first path gets True."""
    cursor = await conn.execute(
        "UPDATE feedback SET correction_due = 0 WHERE id = ? AND correction_due = 1", (item_id,)
    )
    return cursor.rowcount > 0


async def set_edited_text(
    conn: aiosqlite.Connection, item_id: int, text: str, now: datetime
) -> None:
    """Keep a moderator's corrected text."""
    await conn.execute(
        "UPDATE feedback SET edited_text = ?, updated_at = ? WHERE id = ?",
        (text, stamp(now), item_id),
    )


# A card is due: its item tagged, none posted, none begun, not given up, not waiting for its
# next try; and no older item saved since a given time still waits for its tagging (tagged
# at once by its author's answer, items can be tagged out of order: their cards are not).
_DUE = (
    "card_message_id IS NULL AND tagged_at IS NOT NULL AND card_sending_at IS NULL"
    " AND card_attempts < ? AND (card_retry_at IS NULL OR card_retry_at <= ?)"
    " AND NOT EXISTS (SELECT 1 FROM feedback o WHERE o.tagged_at IS NULL"
    " AND o.id < feedback.id AND o.created_at >= ?)"
)


async def uncarded(
    conn: aiosqlite.Connection,
    now: datetime,
    max_attempts: int,
    limit: int = 50,
    untagged_since: datetime | None = None,
) -> list[int]:
    """Items whose card is due (see `_DUE`; untagged items saved since `untagged_since` hold
    back newer ones), oldest first."""
    async with conn.execute(
        f"SELECT id FROM feedback WHERE {_DUE} ORDER BY id LIMIT ?",
        (max_attempts, stamp(now), stamp(untagged_since or now), limit),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def cards_due_again(conn: aiosqlite.Connection) -> int:
    """Cards Telegram refused (waiting for their next try, or given up) are due now, with
    their attempts counted afresh; how many."""
    cursor = await conn.execute(
        "UPDATE feedback SET card_attempts = 0, card_retry_at = NULL, card_error = NULL"
        " WHERE card_message_id IS NULL AND card_sending_at IS NULL AND status = 'pending'"
        " AND card_attempts > 0"
    )
    return cursor.rowcount


async def cards_shown(conn: aiosqlite.Connection, chat_id: int) -> list[tuple[int, int]]:
    """Items waiting for a decision whose own card (not a list of several) is in this chat:
    (item, card message), oldest first."""
    async with conn.execute(
        "SELECT id, card_message_id FROM feedback WHERE status = 'pending'"
        " AND card_chat_id = ? AND card_message_id IS NOT NULL AND card_batched = 0 ORDER BY id",
        (chat_id,),
    ) as cursor:
        return [(int(i), int(m)) for i, m in await cursor.fetchall()]


async def lists_shown(conn: aiosqlite.Connection, chat_id: int) -> list[tuple[int, list[int]]]:
    """Messages in this chat listing several items, with those of them still waiting for a
    decision: (message, items), oldest first."""
    found: dict[int, list[int]] = {}
    async with conn.execute(
        "SELECT card_message_id, id FROM feedback WHERE status = 'pending'"
        " AND card_chat_id = ? AND card_message_id IS NOT NULL AND card_batched = 1"
        " ORDER BY card_message_id, id",
        (chat_id,),
    ) as cursor:
        for message_id, item_id in await cursor.fetchall():
            found.setdefault(int(message_id), []).append(int(item_id))
    return list(found.items())


async def card_lost(conn: aiosqlite.Connection, item_id: int, message_id: int) -> bool:
    """An item's card is gone from the chat (deleted with its forum topic): it is due to be
    posted again, with its voice notes and photos; False if it was decided or moved since."""
    cursor = await conn.execute(
        "UPDATE feedback SET card_chat_id = NULL, card_message_id = NULL, card_batched = 0,"
        " card_sending_at = NULL, card_attempts = 0, card_error = NULL, card_retry_at = NULL"
        " WHERE id = ? AND card_message_id = ? AND status = 'pending'",
        (item_id, message_id),
    )
    if not cursor.rowcount:
        return False
    await conn.execute(
        "UPDATE media SET card_chat_id = NULL, card_message_id = NULL, posting_since = NULL,"
        " post_failures = 0 WHERE feedback_id = ?",
        (item_id,),
    )
    return True


async def card_anew(conn: aiosqlite.Connection, item_id: int) -> tuple[int, int] | None:
    """The item's card is to be posted again, with its voice notes and photos (the one it
    has says what is no longer so); that old card's message (chat, message), if any."""
    async with conn.execute(
        "SELECT card_chat_id, card_message_id FROM feedback WHERE id = ?"
        " AND card_message_id IS NOT NULL",
        (item_id,),
    ) as cursor:
        row = await cursor.fetchone()
    await conn.execute(
        "UPDATE feedback SET card_chat_id = NULL, card_message_id = NULL, card_batched = 0,"
        " card_sending_at = NULL, card_attempts = 0, card_error = NULL, card_retry_at = NULL"
        " WHERE id = ?",
        (item_id,),
    )
    await conn.execute(
        "UPDATE media SET card_chat_id = NULL, card_message_id = NULL, posting_since = NULL,"
        " post_failures = 0 WHERE feedback_id = ?",
        (item_id,),
    )
    return None if row is None else (int(row[0]), int(row[1]))


async def begin_card(conn: aiosqlite.Connection, item_id: int, now: datetime) -> bool:
    """Claim the sending of an item's card (before it is sent); False if posted or begun."""
    cursor = await conn.execute(
        "UPDATE feedback SET card_sending_at = ? WHERE id = ? AND card_message_id IS NULL"
        " AND card_sending_at IS NULL",
        (stamp(now), item_id),
    )
    return cursor.rowcount > 0


async def card_failed(
    conn: aiosqlite.Connection, item_id: int, error: str, retry_at: datetime
) -> int:
    """Telegram refused the card: count the attempt, keep why, try again at `retry_at`."""
    await conn.execute(
        "UPDATE feedback SET card_attempts = card_attempts + 1, card_error = ?,"
        " card_retry_at = ?, card_sending_at = NULL WHERE id = ? AND card_message_id IS NULL",
        (error[:500], stamp(retry_at), item_id),
    )
    async with conn.execute("SELECT card_attempts FROM feedback WHERE id = ?", (item_id,)) as c:
        row = await c.fetchone()
    return int(row[0]) if row else 0


async def card_waits(conn: aiosqlite.Connection, item_id: int) -> None:
    """Telegram asked to wait before the card could go: due again, no try counted."""
    await conn.execute(
        "UPDATE feedback SET card_sending_at = NULL WHERE id = ? AND card_message_id IS NULL",
        (item_id,),
    )


async def card_unsure(conn: aiosqlite.Connection, item_id: int, error: str) -> None:
    """The card may or may not have reached the chat: keep it begun, and say why."""
    await conn.execute(
        "UPDATE feedback SET card_error = ? WHERE id = ? AND card_message_id IS NULL",
        (error[:500], item_id),
    )


async def needing_a_look(
    conn: aiosqlite.Connection, max_attempts: int, begun_before: datetime, limit: int = 20
) -> list[tuple[int, str, str, str]]:
    """Pending items whose card failed too often or may be missing (begun before
    `begun_before` and never confirmed): (id, service name, "failed" or "unsure", the last
    error)."""
    async with conn.execute(
        "SELECT f.id, s.name, CASE WHEN f.card_sending_at IS NOT NULL THEN 'unsure'"
        " ELSE 'failed' END, COALESCE(f.card_error, '') FROM feedback f"
        " JOIN services s ON s.slug = f.service_slug"
        " WHERE f.card_message_id IS NULL AND f.tagged_at IS NOT NULL"
        " AND f.status = 'pending' AND (f.card_attempts >= ? OR f.card_sending_at < ?)"
        " ORDER BY f.id LIMIT ?",
        (max_attempts, stamp(begun_before), limit),
    ) as cursor:
        return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cursor.fetchall()]


async def count_uncarded(
    conn: aiosqlite.Connection,
    now: datetime,
    max_attempts: int,
    untagged_since: datetime | None = None,
) -> int:
    """How many cards are due now (as `uncarded`)."""
    async with conn.execute(
        f"SELECT COUNT(*) FROM feedback WHERE {_DUE}",
        (max_attempts, stamp(now), stamp(untagged_since or now)),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def set_card(
    conn: aiosqlite.Connection,
    item_id: int,
    chat_id: int,
    message_id: int,
    batched: bool = False,
) -> None:
    """Remember where an item's card (or the message listing it with others) is. Posted
    anew (another message than before, whatever posted it): the tries of its voice notes
    and photos under a card are counted afresh."""
    await conn.execute(
        "UPDATE media SET post_failures = 0 WHERE feedback_id = ? AND post_failures > 0"
        " AND EXISTS (SELECT 1 FROM feedback WHERE id = ?"
        " AND (card_message_id IS NULL OR card_chat_id <> ? OR card_message_id <> ?))",
        (item_id, item_id, chat_id, message_id),
    )
    await conn.execute(
        "UPDATE feedback SET card_chat_id = ?, card_message_id = ?, card_batched = ?,"
        " card_error = NULL, card_retry_at = NULL WHERE id = ?",
        (chat_id, message_id, int(batched), item_id),
    )


async def in_batch(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> list[int]:
    """The items listed in one message of several, in order (a forgotten author's leave it)."""
    async with conn.execute(
        "SELECT id FROM feedback WHERE card_message_id = ? AND card_chat_id = ?"
        " AND card_batched = 1 AND citizen_id != ? ORDER BY id",
        (message_id, chat_id, _FORGOTTEN),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def untold(conn: aiosqlite.Connection, limit: int = 50) -> list[tuple[int, int]]:
    """Decided items whose author has not been told: (item id, author's Telegram id)."""
    async with conn.execute(
        "SELECT f.id, c.telegram_id FROM feedback f JOIN citizens c ON c.id = f.citizen_id"
        " WHERE f.status IN ('approved', 'rejected') AND f.author_told_at IS NULL"
        " ORDER BY f.id LIMIT ?",
        (limit,),
    ) as cursor:
        return [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]


async def mark_told(conn: aiosqlite.Connection, item_id: int, now: datetime) -> None:
    """The author has been told the outcome (or cannot be)."""
    await conn.execute("UPDATE feedback SET author_told_at = ? WHERE id = ?", (stamp(now), item_id))


async def claim_telling(conn: aiosqlite.Connection, item_id: int, now: datetime) -> bool:
    """Claim telling the author (compare-and-set): only the first of two paths gets True."""
    cursor = await conn.execute(
        "UPDATE feedback SET author_told_at = ? WHERE id = ? AND author_told_at IS NULL",
        (stamp(now), item_id),
    )
    return cursor.rowcount > 0


async def release_telling(conn: aiosqlite.Connection, item_id: int) -> None:
    """Telling the author certainly failed: let a later sweep try again."""
    await conn.execute("UPDATE feedback SET author_told_at = NULL WHERE id = ?", (item_id,))


async def items_since(
    conn: aiosqlite.Connection, citizen_id: int, since: datetime, limit: int
) -> list[str]:
    """When the citizen's items since `since` were created, newest first (at most `limit`);
    comments on a response and answers to a question are not counted."""
    async with conn.execute(
        "SELECT created_at FROM feedback WHERE citizen_id = ? AND created_at >= ?"
        " AND response_id IS NULL AND ask_id IS NULL ORDER BY id DESC LIMIT ?",
        (citizen_id, stamp(since), limit),
    ) as cursor:
        return [str(r[0]) for r in await cursor.fetchall()]


async def waiting(
    conn: aiosqlite.Connection, limit: int = 5
) -> tuple[int, list[tuple[int, str, str]]]:
    """How many items wait for a moderator, and the oldest: (id, service name, created_at)."""
    async with conn.execute("SELECT COUNT(*) FROM feedback WHERE status = 'pending'") as cursor:
        row = await cursor.fetchone()
    count = int(row[0]) if row else 0
    async with conn.execute(
        "SELECT f.id, s.name, f.created_at FROM feedback f JOIN services s"
        " ON s.slug = f.service_slug WHERE f.status = 'pending' ORDER BY f.created_at, f.id"
        " LIMIT ?",
        (limit,),
    ) as cursor:
        oldest = [(int(r[0]), str(r[1]), str(r[2])) for r in await cursor.fetchall()]
    return count, oldest


async def set_pending_edit(
    conn: aiosqlite.Connection,
    moderator: int,
    item_id: int,
    version: int,
    prompt_chat_id: int,
    prompt_message_id: int,
    now: datetime,
    purpose: str = "edit",
) -> None:
    """Remember that a moderator's next reply is the corrected text of an item (`purpose`
    'edit') or a summary of it ('summary')."""
    await conn.execute(
        "INSERT INTO pending_edits"
        " (moderator, feedback_id, version, prompt_chat_id, prompt_message_id, created_at,"
        " purpose) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (moderator) DO UPDATE SET"
        " feedback_id = excluded.feedback_id, version = excluded.version,"
        " prompt_chat_id = excluded.prompt_chat_id,"
        " prompt_message_id = excluded.prompt_message_id, created_at = excluded.created_at,"
        " purpose = excluded.purpose, outdated_by = NULL",
        (moderator, item_id, version, prompt_chat_id, prompt_message_id, stamp(now), purpose),
    )


async def pending_purpose(conn: aiosqlite.Connection, moderator: int) -> str | None:
    """What a moderator's next typed reply is for ('edit' or 'summary'), if anything."""
    async with conn.execute(
        "SELECT purpose FROM pending_edits WHERE moderator = ?", (moderator,)
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def set_summary(
    conn: aiosqlite.Connection, item_id: int, summary: str | None, moderator: int, now: datetime
) -> None:
    """Keep (or clear, with None) a moderator's summary of an item in the default language."""
    await conn.execute(
        "UPDATE feedback SET summary = ?, summary_by = ?, summary_at = ?, updated_at = ?"
        " WHERE id = ?",
        (summary, moderator, stamp(now), stamp(now), item_id),
    )


async def pending_edit(conn: aiosqlite.Connection, moderator: int) -> tuple[int, int] | None:
    """The (item id, version) a moderator is editing, if any."""
    async with conn.execute(
        "SELECT feedback_id, version FROM pending_edits WHERE moderator = ?", (moderator,)
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


async def edit_prompt(conn: aiosqlite.Connection, moderator: int) -> tuple[int, int] | None:
    """The (chat id, message id) of the prompt a moderator's corrected text must reply to."""
    async with conn.execute(
        "SELECT prompt_chat_id, prompt_message_id FROM pending_edits WHERE moderator = ?",
        (moderator,),
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


async def editor_of(
    conn: aiosqlite.Connection,
    item_id: int,
    since: datetime,
    purpose: str = "edit",
    other_than: int | None = None,
) -> int | None:
    """A moderator writing the corrected text of an item (`purpose` 'edit'; or its summary,
    'summary') in an edit begun at `since` or later, other than `other_than`, if any."""
    async with conn.execute(
        "SELECT moderator FROM pending_edits WHERE feedback_id = ? AND purpose = ?"
        " AND created_at >= ? AND moderator <> ? ORDER BY created_at LIMIT 1",
        (item_id, purpose, stamp(since), -1 if other_than is None else other_than),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def outdate_edits(
    conn: aiosqlite.Connection, item_id: int, purpose: str, saved_by: int
) -> None:
    """A moderator saved an item's text (or summary): the other open prompts for it were
    given against the text before, and their replies are refused (see `outdated_by`)."""
    await conn.execute(
        "UPDATE pending_edits SET outdated_by = ?"
        " WHERE feedback_id = ? AND purpose = ? AND moderator <> ?",
        (saved_by, item_id, purpose, saved_by),
    )


async def outdated_by(conn: aiosqlite.Connection, moderator: int) -> int | None:
    """Who saved the text a moderator's open prompt was given for, after it was given."""
    async with conn.execute(
        "SELECT outdated_by FROM pending_edits WHERE moderator = ?", (moderator,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


@dataclass(frozen=True)
class OpenEdit:
    """A moderator's open edit (or summary) prompt: whose, for which item, what for, and
    where the prompt is."""

    moderator: int
    item_id: int
    purpose: str
    chat_id: int
    message_id: int


async def edits_in(conn: aiosqlite.Connection, chat_id: int) -> list[OpenEdit]:
    """The open prompts posted in a chat, oldest first."""
    async with conn.execute(
        "SELECT moderator, feedback_id, purpose, prompt_chat_id, prompt_message_id"
        " FROM pending_edits WHERE prompt_chat_id = ? ORDER BY created_at, moderator",
        (chat_id,),
    ) as cursor:
        rows = await cursor.fetchall()
    return [OpenEdit(int(r[0]), int(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows]


async def move_edit_prompt(
    conn: aiosqlite.Connection, moderator: int, old: tuple[int, int], new: tuple[int, int]
) -> bool:
    """The prompt of a moderator's open edit is now at `new` (posted again), if it was still
    at `old` (compare-and-set); False when the edit ended or moved meanwhile."""
    cursor = await conn.execute(
        "UPDATE pending_edits SET prompt_chat_id = ?, prompt_message_id = ?"
        " WHERE moderator = ? AND prompt_chat_id = ? AND prompt_message_id = ?",
        (*new, moderator, *old),
    )
    return cursor.rowcount > 0


async def clear_edit_at(
    conn: aiosqlite.Connection, moderator: int, prompt: tuple[int, int]
) -> bool:
    """Forget a moderator's open edit if its prompt is still at `prompt`; True if it was."""
    cursor = await conn.execute(
        "DELETE FROM pending_edits WHERE moderator = ? AND prompt_chat_id = ?"
        " AND prompt_message_id = ?",
        (moderator, *prompt),
    )
    return cursor.rowcount > 0


async def prompt_of(
    conn: aiosqlite.Connection, chat_id: int, message_id: int
) -> tuple[int, int] | None:
    """Whose edit prompt this message is: (moderator, item id), or None."""
    async with conn.execute(
        "SELECT moderator, feedback_id FROM pending_edits"
        " WHERE prompt_chat_id = ? AND prompt_message_id = ?",
        (chat_id, message_id),
    ) as cursor:
        row = await cursor.fetchone()
    return (int(row[0]), int(row[1])) if row else None


async def clear_pending_edit(conn: aiosqlite.Connection, moderator: int) -> bool:
    """Forget a moderator's pending edit; True if there was one."""
    cursor = await conn.execute("DELETE FROM pending_edits WHERE moderator = ?", (moderator,))
    return cursor.rowcount > 0
