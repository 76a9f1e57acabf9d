"""Citizens' voice notes and photos: kept with their conversation, then with their item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage import traces
from storage.db import parse_stamp, stamp
from storage.numbers import fresh_id, with_id

VOICE = "voice"
PHOTO = "photo"


@dataclass(frozen=True)
class Media:
    """One voice note or photo (a photo's bytes are read apart: see `photo_bytes`)."""

    id: int
    citizen_id: int
    feedback_id: int | None
    kind: str
    file_id: str | None
    duration: int
    transcript: str | None
    status: str
    # The moderator who decided on a photo (None while pending).
    decided_by: int | None = None


_COLUMNS = (
    "id, citizen_id, feedback_id, kind, file_id, duration, transcript, status, decided_by"
    " FROM media"
)


def _media(row: aiosqlite.Row | tuple[object, ...]) -> Media:
    return Media(
        int(row[0]),  # type: ignore[arg-type]
        int(row[1]),  # type: ignore[arg-type]
        None if row[2] is None else int(row[2]),  # type: ignore[arg-type]
        str(row[3]),
        None if row[4] is None else str(row[4]),
        int(row[5]),  # type: ignore[arg-type]
        None if row[6] is None else str(row[6]),
        str(row[7]),
        None if row[8] is None else int(row[8]),  # type: ignore[arg-type]
    )


async def add(
    conn: aiosqlite.Connection,
    *,
    citizen_id: int,
    seq: int,
    kind: str,
    now: datetime,
    file_id: str | None = None,
    duration: int = 0,
    data: bytes | None = None,
) -> int:
    """Keep a voice note or photo with the citizen's conversation `seq`; its id."""
    columns, values, number = with_id(
        await fresh_id(conn, "media"),
        "citizen_id, conversation_seq, kind, file_id, duration, data, created_at",
        "?, ?, ?, ?, ?, ?, ?",
    )
    cursor = await conn.execute(
        f"INSERT INTO media ({columns}) VALUES ({values}) RETURNING id",
        (*number, citizen_id, seq, kind, file_id, duration, data, stamp(now)),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def add_to_item(
    conn: aiosqlite.Connection, citizen_id: int, feedback_id: int, data: bytes, now: datetime
) -> int:
    """Keep a photo with an item already saved (sent just after it); its id."""
    columns, values, number = with_id(
        await fresh_id(conn, "media"),
        "citizen_id, conversation_seq, feedback_id, kind, data, created_at",
        "?, 0, ?, 'photo', ?, ?",
    )
    cursor = await conn.execute(
        f"INSERT INTO media ({columns}) VALUES ({values}) RETURNING id",
        (*number, citizen_id, feedback_id, data, stamp(now)),
    )
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def add_waiting(
    conn: aiosqlite.Connection, citizen_id: int, album: str, data: bytes, now: datetime
) -> int:
    """Keep a photo of `album` waiting for its words (no conversation, no item yet); told
    already if its album's other photos were. How many of the album's photos wait now."""
    columns, values, number = with_id(
        await fresh_id(conn, "media"),
        "citizen_id, conversation_seq, kind, data, created_at, album, album_told",
        "?, 0, 'photo', ?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM media WHERE citizen_id = ?"
        " AND album = ? AND feedback_id IS NULL AND album_told = 1) THEN 1 ELSE 0 END",
    )
    await conn.execute(
        f"INSERT INTO media ({columns}) VALUES ({values})",
        (*number, citizen_id, data, stamp(now), album, citizen_id, album),
    )
    return len(await waiting(conn, citizen_id, album))


async def waiting(
    conn: aiosqlite.Connection, citizen_id: int, album: str | None = None
) -> list[int]:
    """The citizen's photos waiting for words (of `album` only, if given), oldest first."""
    mine = " AND album = ?" if album is not None else ""
    async with conn.execute(
        "SELECT id FROM media WHERE citizen_id = ? AND conversation_seq = 0"
        " AND feedback_id IS NULL AND album IS NOT NULL" + mine + " ORDER BY id",
        (citizen_id, album) if album is not None else (citizen_id,),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def kept_waiting(conn: aiosqlite.Connection, citizen_id: int, album: str) -> int:
    """How many of the citizen's photos wait for words and stay when `album` comes: its own
    and those of albums the citizen was told are kept."""
    async with conn.execute(
        "SELECT COUNT(*) FROM media WHERE citizen_id = ? AND conversation_seq = 0"
        " AND feedback_id IS NULL AND (album = ? OR album_told = 1)",
        (citizen_id, album),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def drop_waiting(
    conn: aiosqlite.Connection, citizen_id: int, *, but: str | None = None
) -> int:
    """The citizen's photos waiting for words go (but those of the album `but`, and then
    those of albums the citizen was told are kept: they were promised to the next words)."""
    other = " AND album <> ? AND album_told = 0" if but is not None else ""
    cursor = await conn.execute(
        "DELETE FROM media WHERE citizen_id = ? AND conversation_seq = 0"
        " AND feedback_id IS NULL AND album IS NOT NULL" + other,
        (citizen_id, but) if but is not None else (citizen_id,),
    )
    return int(cursor.rowcount or 0)


async def take_waiting(
    conn: aiosqlite.Connection, citizen_id: int, seq: int, room: int, album: str | None
) -> tuple[int, int]:
    """Photos waiting for words join the conversation `seq`, oldest first, up to `room`; the
    rest go. With words of an album (`album`): that album's photos and those of albums the
    citizen was told are kept; another album's go. (How many joined, how many went for
    want of room.)"""
    if album is not None:
        await drop_waiting(conn, citizen_id, but=album)
    found = await waiting(conn, citizen_id)
    taken, left = found[: max(room, 0)], found[max(room, 0) :]
    for media_id in taken:
        await conn.execute(
            "UPDATE media SET conversation_seq = ?, album = NULL, album_told = 0 WHERE id = ?",
            (seq, media_id),
        )
    for media_id in left:
        await conn.execute("DELETE FROM media WHERE id = ?", (media_id,))
    return len(taken), len(left)


async def waiting_to_item(
    conn: aiosqlite.Connection, citizen_id: int, album: str, feedback_id: int, room: int
) -> tuple[int, int]:
    """An album's photos waiting for words, none of them told of (not promised to the next
    words), join the saved item `feedback_id` instead, oldest first, up to `room`; the rest
    go. Compare-and-set: (how many joined, how many went for want of room), (0, 0) when
    none wait untold (taken by words, told, or joined already, here or on another
    instance)."""
    async with conn.execute(
        "SELECT id, album_told FROM media WHERE citizen_id = ? AND conversation_seq = 0"
        " AND feedback_id IS NULL AND album = ? ORDER BY id",
        (citizen_id, album),
    ) as cursor:
        found = [(int(row[0]), int(row[1])) for row in await cursor.fetchall()]
    if not found or any(told for _, told in found):
        return 0, 0
    ids = [media_id for media_id, _ in found]
    taken, left = ids[: max(room, 0)], ids[max(room, 0) :]
    for media_id in taken:
        await conn.execute(
            "UPDATE media SET feedback_id = ?, album = NULL, album_told = 0 WHERE id = ?",
            (feedback_id, media_id),
        )
    for media_id in left:
        await conn.execute("DELETE FROM media WHERE id = ?", (media_id,))
    return len(taken), len(left)


async def tell_waiting(conn: aiosqlite.Connection, citizen_id: int, album: str) -> int:
    """Mark an album's waiting photos as told about, compare-and-set: how many were not yet
    (0: told already, by this instance or another, or taken by words meanwhile)."""
    cursor = await conn.execute(
        "UPDATE media SET album_told = 1 WHERE citizen_id = ? AND album = ?"
        " AND feedback_id IS NULL AND album_told = 0",
        (citizen_id, album),
    )
    return int(cursor.rowcount or 0)


async def untell_waiting(conn: aiosqlite.Connection, citizen_id: int, album: str) -> int:
    """An album's note was not delivered (a passing fault): its photos still waiting are to
    be told about again, at a later round; compare-and-set, how many."""
    cursor = await conn.execute(
        "UPDATE media SET album_told = 0 WHERE citizen_id = ? AND album = ?"
        " AND feedback_id IS NULL AND album_told = 1",
        (citizen_id, album),
    )
    return int(cursor.rowcount or 0)


async def untold_albums(
    conn: aiosqlite.Connection, quiet_since: datetime, limit: int = 100
) -> list[tuple[int, str]]:
    """Albums whose photos still wait for words, not yet told about, none of them sent
    after `quiet_since`: (citizen id, album)."""
    async with conn.execute(
        "SELECT citizen_id, album FROM media WHERE album IS NOT NULL AND feedback_id IS NULL"
        " GROUP BY citizen_id, album HAVING MAX(album_told) = 0 AND MAX(created_at) < ?"
        " ORDER BY MIN(id) LIMIT ?",
        (stamp(quiet_since), limit),
    ) as cursor:
        return [(int(c), str(a)) for c, a in await cursor.fetchall()]


async def words_came(
    conn: aiosqlite.Connection, citizen_id: int, album: str, now: datetime
) -> None:
    """Remember that words came with a message of `album` (its later photos wait for none)."""
    await conn.execute(
        "INSERT INTO album_words (citizen_id, album, came_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (citizen_id, album, stamp(now)),
    )


async def had_words(conn: aiosqlite.Connection, citizen_id: int, album: str) -> bool:
    """Whether words came with a message of `album` (`words_came`)."""
    async with conn.execute(
        "SELECT 1 FROM album_words WHERE citizen_id = ? AND album = ?", (citizen_id, album)
    ) as cursor:
        return await cursor.fetchone() is not None


async def drop_waiting_before(conn: aiosqlite.Connection, before: datetime) -> int:
    """Photos that waited for words since before `before`: they go (none came); albums
    whose words came before then are forgotten (their photos came seconds apart)."""
    await conn.execute("DELETE FROM album_words WHERE came_at < ?", (stamp(before),))
    cursor = await conn.execute(
        "DELETE FROM media WHERE album IS NOT NULL AND feedback_id IS NULL AND created_at < ?",
        (stamp(before),),
    )
    return int(cursor.rowcount or 0)


async def claim_posting(
    conn: aiosqlite.Connection,
    media_id: int,
    card: tuple[int, int],
    now: datetime,
    stale_before: datetime,
    anew: bool,
) -> bool:
    """Take a voice note or photo to post under this card (chat, message), compare-and-set:
    False if it is posted, or on its way, under a card already (under this very card, when
    `anew`: the card is a new one in place of one gone). A taking since before
    `stale_before` that never became a post (its instance died on the way) is taken again."""
    elsewhere = " OR card_chat_id <> ? OR card_message_id <> ?" if anew else ""
    cursor = await conn.execute(
        "UPDATE media SET card_chat_id = ?, card_message_id = ?, posting_since = ?"
        " WHERE id = ? AND (card_message_id IS NULL"
        " OR (posting_since IS NOT NULL AND posting_since < ?)" + elsewhere + ")",
        (*card, stamp(now), media_id, stamp(stale_before), *(card if anew else ())),
    )
    return bool(cursor.rowcount)


async def claim_again(
    conn: aiosqlite.Connection, media_id: int, card: tuple[int, int], now: datetime
) -> bool:
    """Take a voice note to post again under this card (chat, message), compare-and-set: only
    one whose sending there went unanswered (it may have arrived: left for a moderator to
    say) and that no message there is recorded as carrying."""
    cursor = await conn.execute(
        "UPDATE media SET posting_since = ? WHERE id = ? AND kind = 'voice'"
        " AND file_id IS NOT NULL AND card_chat_id = ? AND card_message_id = ?"
        " AND posting_since IS NULL AND NOT EXISTS (SELECT 1 FROM media_messages x"
        " WHERE x.media_id = media.id AND x.chat_id = ? AND x.given = 0)",
        (stamp(now), media_id, *card, card[0]),
    )
    return bool(cursor.rowcount)


async def release_posting(conn: aiosqlite.Connection, media_id: int, card: tuple[int, int]) -> None:
    """A voice note or photo taken to post under this card did not go: free to take again."""
    await conn.execute(
        "UPDATE media SET card_chat_id = NULL, card_message_id = NULL, posting_since = NULL"
        " WHERE id = ? AND card_chat_id = ? AND card_message_id = ? AND posting_since IS NOT NULL",
        (media_id, *card),
    )


async def refused_posting(conn: aiosqlite.Connection, media_id: int, card: tuple[int, int]) -> None:
    """Telegram refused a voice note or photo under this card (a note under it says so):
    not tried again under it; a card posted anew takes it again."""
    await conn.execute(
        "UPDATE media SET posting_since = NULL"
        " WHERE id = ? AND card_chat_id = ? AND card_message_id = ? AND posting_since IS NOT NULL",
        (media_id, *card),
    )


async def failed_posting(
    conn: aiosqlite.Connection, media_id: int, card: tuple[int, int], most: int
) -> bool:
    """A voice note or photo taken to post under this card failed to go (the network, a 5xx
    from Telegram): counted (up to `most`), and free to take again until it failed `most`
    times. True if it is to be given up now: it stays taken until the note under the card
    saying so has gone (`refused_posting`) or could not go (`release_posting`: tried again,
    and given up again, at the next try); a poster that dies meanwhile leaves it to be
    taken again once stale."""
    cursor = await conn.execute(
        "UPDATE media SET post_failures = CASE WHEN post_failures < ? THEN post_failures + 1"
        " ELSE post_failures END"
        " WHERE id = ? AND card_chat_id = ? AND card_message_id = ? AND posting_since IS NOT NULL",
        (most, media_id, *card),
    )
    if not cursor.rowcount:
        return False
    async with conn.execute("SELECT post_failures FROM media WHERE id = ?", (media_id,)) as c:
        row = await c.fetchone()
    if row is not None and int(row[0]) >= most:
        return True
    await release_posting(conn, media_id, card)
    return False


async def to_post(conn: aiosqlite.Connection, stale_before: datetime, limit: int = 50) -> list[int]:
    """Items with a card of their own and a voice note or photo not under it yet (one that
    did not go when Telegram asked to wait or failed, or whose poster died on the way, or
    left under a card since posted anew); not one Telegram refused under it."""
    async with conn.execute(
        "SELECT DISTINCT m.feedback_id FROM media m JOIN feedback f ON f.id = m.feedback_id"
        " WHERE f.card_message_id IS NOT NULL AND f.card_batched = 0"
        " AND f.status IN ('pending', 'approved')"
        " AND ((m.kind = 'photo' AND m.data IS NOT NULL)"
        " OR (m.kind = 'voice' AND m.file_id IS NOT NULL))"
        " AND (m.card_message_id IS NULL OR m.card_chat_id <> f.card_chat_id"
        " OR m.card_message_id <> f.card_message_id"
        " OR (m.posting_since IS NOT NULL AND m.posting_since < ?))"
        " ORDER BY m.feedback_id LIMIT ?",
        (stamp(stale_before), limit),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def of_conversation(conn: aiosqlite.Connection, citizen_id: int, seq: int) -> list[Media]:
    """What the citizen sent with the conversation `seq` that is not saved yet (not an
    album's photos waiting for words: those belong to no conversation yet)."""
    async with conn.execute(
        f"SELECT {_COLUMNS} WHERE citizen_id = ? AND conversation_seq = ?"
        " AND feedback_id IS NULL AND album IS NULL ORDER BY id",
        (citizen_id, seq),
    ) as cursor:
        return [_media(r) for r in await cursor.fetchall()]


async def attach(conn: aiosqlite.Connection, citizen_id: int, seq: int, feedback_id: int) -> None:
    """The conversation's media now belong to the item saved from it."""
    await conn.execute(
        "UPDATE media SET feedback_id = ? WHERE citizen_id = ? AND conversation_seq = ?"
        " AND feedback_id IS NULL",
        (feedback_id, citizen_id, seq),
    )


async def drop_unsaved(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """Media of conversations that never became an item (cancelled, lapsed)."""
    cursor = await conn.execute(
        "DELETE FROM media WHERE citizen_id = ? AND feedback_id IS NULL", (citizen_id,)
    )
    return int(cursor.rowcount or 0)


async def of_item(conn: aiosqlite.Connection, feedback_id: int) -> list[Media]:
    """An item's voice note and photos, in the order sent."""
    async with conn.execute(
        f"SELECT {_COLUMNS} WHERE feedback_id = ? ORDER BY id", (feedback_id,)
    ) as cursor:
        return [_media(r) for r in await cursor.fetchall()]


async def sent_with(
    conn: aiosqlite.Connection, item_ids: Sequence[int]
) -> dict[int, tuple[int, int]]:
    """By item: how many photos sent with it are still held, and how many voice notes it was
    told with (a photo a merge moved to another item counts with the one it was sent with)."""
    if not item_ids:
        return {}
    marks = ", ".join("?" for _ in item_ids)
    sent = "COALESCE(merged_from, feedback_id)"
    async with conn.execute(
        f"SELECT {sent}, SUM(CASE WHEN kind = 'photo' AND data IS NOT NULL THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN kind = 'voice' THEN 1 ELSE 0 END)"
        f" FROM media WHERE {sent} IN ({marks}) GROUP BY {sent}",
        tuple(item_ids),
    ) as cursor:
        rows = await cursor.fetchall()
    return {int(i): (int(p or 0), int(v or 0)) for i, p, v in rows if p or v}


async def get(conn: aiosqlite.Connection, media_id: int) -> Media | None:
    async with conn.execute(f"SELECT {_COLUMNS} WHERE id = ?", (media_id,)) as cursor:
        row = await cursor.fetchone()
    return _media(row) if row else None


async def photo_bytes(conn: aiosqlite.Connection, media_id: int) -> bytes | None:
    """A photo's cleaned bytes (None if gone)."""
    async with conn.execute(
        "SELECT data FROM media WHERE id = ? AND kind = 'photo'", (media_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


async def decide(
    conn: aiosqlite.Connection, media_id: int, status: str, by: int, now: datetime
) -> bool:
    """A moderator's decision on one photo (any time before /forget); whether it changed."""
    cursor = await conn.execute(
        "UPDATE media SET status = ?, decided_by = ?, decided_at = ?"
        " WHERE id = ? AND kind = 'photo' AND status <> ?",
        (status, by, stamp(now), media_id, status),
    )
    return bool(cursor.rowcount)


async def set_transcript(conn: aiosqlite.Connection, media_id: int, text: str | None) -> None:
    await conn.execute("UPDATE media SET transcript = ? WHERE id = ?", (text, media_id))


async def set_draft_transcript(conn: aiosqlite.Connection, media_id: int, text: str) -> bool:
    """A draft for a voice note still in its conversation (not saved, not forgotten)."""
    cursor = await conn.execute(
        "UPDATE media SET transcript = ? WHERE id = ? AND feedback_id IS NULL", (text, media_id)
    )
    return bool(cursor.rowcount)


async def release_voice(conn: aiosqlite.Connection, feedback_id: int) -> int:
    """An item's voice note is no longer needed (its text approved): forget the file_id."""
    cursor = await conn.execute(
        "UPDATE media SET file_id = NULL WHERE feedback_id = ? AND kind = 'voice'"
        " AND file_id IS NOT NULL",
        (feedback_id,),
    )
    return int(cursor.rowcount or 0)


async def erase_citizen(conn: aiosqlite.Connection, citizen_id: int) -> int:
    """Everything a citizen sent (/forget)."""
    cursor = await conn.execute("DELETE FROM media WHERE citizen_id = ?", (citizen_id,))
    return int(cursor.rowcount or 0)


async def older_than(
    conn: aiosqlite.Connection, before: datetime, now: datetime | None = None
) -> int:
    """Retention: voice notes and photos sent before `before` go (the items stay), and the
    messages that carried them to staff are queued to be taken back."""
    async with conn.execute(
        "SELECT mm.chat_id, mm.message_id FROM media_messages mm"
        " JOIN media m ON m.id = mm.media_id WHERE m.created_at < ?",
        (stamp(before),),
    ) as cursor:
        posted = [(int(c), int(m)) for c, m in await cursor.fetchall()]
    await traces.take_back_messages(conn, posted, traces.RETENTION, now or before)
    cursor = await conn.execute("DELETE FROM media WHERE created_at < ?", (stamp(before),))
    return int(cursor.rowcount or 0)


async def take_back_voice(conn: aiosqlite.Connection, feedback_id: int, now: datetime) -> int:
    """Queue the messages that carried an item's voice note to staff to be taken back."""
    async with conn.execute(
        "SELECT mm.id, mm.chat_id, mm.message_id FROM media_messages mm"
        " JOIN media m ON m.id = mm.media_id WHERE m.feedback_id = ? AND m.kind = 'voice'",
        (feedback_id,),
    ) as cursor:
        rows = [(int(i), int(c), int(m)) for i, c, m in await cursor.fetchall()]
    await traces.take_back_messages(conn, [(c, m) for _, c, m in rows], traces.RETENTION, now)
    for row_id, _, _ in rows:
        await conn.execute("DELETE FROM media_messages WHERE id = ?", (row_id,))
    return len(rows)


async def move_photos(conn: aiosqlite.Connection, from_item: int, to_item: int) -> int:
    """An item's photos go with the item it was merged into (decided or not, as they were),
    each remembering the item it was sent with (see `move_photos_back`)."""
    cursor = await conn.execute(
        "UPDATE media SET feedback_id = ?, merged_from = COALESCE(merged_from, ?)"
        " WHERE feedback_id = ? AND kind = 'photo'",
        (to_item, from_item, from_item),
    )
    return int(cursor.rowcount or 0)


async def move_photos_back(
    conn: aiosqlite.Connection, from_item: int, to_item: int, inside: Sequence[int] = ()
) -> int:
    """The photos a merge moved from `to_item` into `from_item` go back to it (the merge is
    undone), with those of the items `inside` it (merged into it, and still so)."""
    sent_with = [to_item, *inside]
    marks = ", ".join("?" for _ in sent_with)
    cursor = await conn.execute(
        "UPDATE media SET feedback_id = ?,"
        " merged_from = CASE WHEN merged_from = ? THEN NULL ELSE merged_from END"
        f" WHERE feedback_id = ? AND kind = 'photo' AND merged_from IN ({marks})",
        (to_item, to_item, from_item, *sent_with),
    )
    return int(cursor.rowcount or 0)


async def messages_in(
    conn: aiosqlite.Connection, chat_id: int, item_ids: Sequence[int]
) -> list[tuple[int, int]]:
    """The messages in this chat carrying the voice notes or photos of these items (sent
    with them, wherever merges took them since), forgotten here: the caller takes them back."""
    marks = ", ".join("?" for _ in item_ids)
    async with conn.execute(
        "SELECT mm.id, mm.chat_id, mm.message_id FROM media_messages mm"
        f" JOIN media m ON m.id = mm.media_id WHERE mm.chat_id = ? AND (m.feedback_id IN ({marks})"
        f" OR m.merged_from IN ({marks}))",
        (chat_id, *item_ids, *item_ids),
    ) as cursor:
        rows = [(int(i), int(c), int(m)) for i, c, m in await cursor.fetchall()]
    for row_id, _, _ in rows:
        await conn.execute("DELETE FROM media_messages WHERE id = ?", (row_id,))
    return [(c, m) for _, c, m in rows]


async def move_photos_home(
    conn: aiosqlite.Connection, item_id: int, inside: Sequence[int] = ()
) -> int:
    """The photos a merge moved from this item go back to it, wherever a chain of merges
    took them, with those of the items `inside` it (merged into it, and still so); all to be
    posted under its card anew."""
    sent_with = [item_id, *inside]
    marks = ", ".join("?" for _ in sent_with)
    cursor = await conn.execute(
        "UPDATE media SET feedback_id = ?,"
        " merged_from = CASE WHEN merged_from = ? THEN NULL ELSE merged_from END,"
        " card_chat_id = NULL, card_message_id = NULL, posting_since = NULL, post_failures = 0"
        f" WHERE kind = 'photo' AND merged_from IN ({marks})",
        (item_id, item_id, *sent_with),
    )
    return int(cursor.rowcount or 0)


async def carried_by(
    conn: aiosqlite.Connection, media_id: int, chat_id: int, message_id: int
) -> bool:
    """Whether this message (chat id, message id) is one that carried the voice note or
    photo to staff."""
    async with conn.execute(
        "SELECT 1 FROM media_messages WHERE media_id = ? AND chat_id = ? AND message_id = ?",
        (media_id, chat_id, message_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def posted_under(conn: aiosqlite.Connection, media_id: int) -> tuple[int, int] | None:
    """The card (chat id, message id) a voice note or photo is posted, or taken to be
    posted, under; if none (a sending that did not go, to be tried again by a sweep), its
    item's own card. None if neither."""
    async with conn.execute(
        "SELECT m.card_chat_id, m.card_message_id, f.card_chat_id, f.card_message_id,"
        " f.card_batched FROM media m LEFT JOIN feedback f ON f.id = m.feedback_id"
        " WHERE m.id = ?",
        (media_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    if row[0] is not None and row[1] is not None:
        return int(row[0]), int(row[1])
    if row[2] is not None and row[3] is not None and not row[4]:
        return int(row[2]), int(row[3])
    return None


async def adopt(
    conn: aiosqlite.Connection, media_id: int, card: tuple[int, int], message_id: int
) -> None:
    """A message under this card (in its chat) found to carry the voice note or photo
    (a sending Telegram took but answered too late): recorded as its, posted under the
    card, on its way no longer."""
    await _carried(conn, media_id, card[0], message_id, given=False)
    await conn.execute(
        "UPDATE media SET card_chat_id = ?, card_message_id = ?, posting_since = NULL,"
        " post_failures = 0 WHERE id = ?",
        (*card, media_id),
    )


async def taken_under(conn: aiosqlite.Connection, media_id: int, card: tuple[int, int]) -> bool:
    """Whether a voice note or photo is still taken to be posted under this card, not
    recorded as posted there yet (by its poster, or by a press on a copy of it)."""
    async with conn.execute(
        "SELECT 1 FROM media WHERE id = ? AND card_chat_id = ? AND card_message_id = ?"
        " AND posting_since IS NOT NULL",
        (media_id, *card),
    ) as cursor:
        return await cursor.fetchone() is not None


async def carrying(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> int | None:
    """The voice note or photo this message (chat id, message id) is recorded as carrying;
    None if none."""
    async with conn.execute(
        "SELECT media_id FROM media_messages WHERE chat_id = ? AND message_id = ?",
        (chat_id, message_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def copies_under(
    conn: aiosqlite.Connection, media_id: int, card: tuple[int, int]
) -> list[int]:
    """The messages recorded as carrying this voice note or photo under this card (chat id,
    message id): in its chat and after it (not one under an earlier card of its item, nor
    a copy given to a provider), oldest first."""
    async with conn.execute(
        "SELECT message_id FROM media_messages WHERE media_id = ? AND chat_id = ?"
        " AND given = 0 AND message_id > ? ORDER BY message_id",
        (media_id, *card),
    ) as cursor:
        return [int(row[0]) for row in await cursor.fetchall()]


async def take_back_copies(
    conn: aiosqlite.Connection,
    media_id: int,
    chat_id: int,
    message_ids: Sequence[int],
    now: datetime,
) -> None:
    """Queue copies of a voice note or photo posted twice under its card to be taken back
    (the moderators decide on the other copy); their rows go, and they are remembered as
    its duplicates (`duplicate_of`), gone or not."""
    for message_id in message_ids:
        await conn.execute(
            "DELETE FROM media_messages WHERE media_id = ? AND chat_id = ? AND message_id = ?",
            (media_id, chat_id, message_id),
        )
        await conn.execute(
            "INSERT INTO media_duplicates (chat_id, message_id, media_id) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id, message_id) DO NOTHING",
            (chat_id, message_id, media_id),
        )
    await traces.take_back_messages(
        conn, [(chat_id, m) for m in message_ids], traces.DUPLICATE, now
    )


async def duplicate_of(conn: aiosqlite.Connection, chat_id: int, message_id: int) -> int | None:
    """The voice note or photo this message (chat id, message id) was a copy too many of,
    taken back (`take_back_copies`); None if it was none's."""
    async with conn.execute(
        "SELECT media_id FROM media_duplicates WHERE chat_id = ? AND message_id = ?",
        (chat_id, message_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


async def on_its_way(
    conn: aiosqlite.Connection, media_id: int, chat_id: int, stale_before: datetime
) -> bool:
    """Whether a voice note or photo is taken to be posted in this chat (since `stale_before`
    or later) and not recorded as posted yet: its message may be in the chat already, its
    poster (this process or another) not having recorded which one it is."""
    async with conn.execute(
        "SELECT 1 FROM media WHERE id = ? AND card_chat_id = ? AND posting_since IS NOT NULL"
        " AND posting_since >= ?",
        (media_id, chat_id, stamp(stale_before)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def posted(conn: aiosqlite.Connection, media_id: int, chat_id: int, message_id: int) -> None:
    """A voice note or photo was posted to staff as this message."""
    await _carried(conn, media_id, chat_id, message_id, given=False)
    # On its way no longer: it is there.
    await conn.execute(
        "UPDATE media SET posting_since = NULL, post_failures = 0 WHERE id = ?", (media_id,)
    )


async def given(conn: aiosqlite.Connection, media_id: int, chat_id: int, message_id: int) -> None:
    """A photo was sent as this message to a provider who asked for it (`posted` for one
    under a card): taken back whenever the photo goes, or is no longer theirs to see."""
    await _carried(conn, media_id, chat_id, message_id, given=True)


async def _carried(
    conn: aiosqlite.Connection, media_id: int, chat_id: int, message_id: int, *, given: bool
) -> None:
    await conn.execute(
        "INSERT INTO media_messages (media_id, chat_id, message_id, given) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (media_id, chat_id, message_id, int(given)),
    )


async def still_shown(conn: aiosqlite.Connection, media_id: int) -> bool:
    """Whether a photo is still one providers may see (approved, of a published item), in a
    transaction about to record a copy given: its row and its item's are written (unchanged),
    so that on a server database a moderator keeping it back or undoing the item at the same
    moment conflicts with this transaction (one of the two runs again), and never finds no
    copy to take back while this one finds the photo still shown."""
    cursor = await conn.execute(
        "UPDATE media SET status = status WHERE id = ? AND kind = 'photo'"
        " AND status = 'approved' AND data IS NOT NULL AND feedback_id IS NOT NULL",
        (media_id,),
    )
    if not cursor.rowcount:
        return False
    cursor = await conn.execute(
        "UPDATE feedback SET status = status WHERE status = 'approved'"
        " AND id = (SELECT feedback_id FROM media WHERE id = ?)",
        (media_id,),
    )
    return bool(cursor.rowcount)


async def take_back_given(
    conn: aiosqlite.Connection, media_ids: Sequence[int], now: datetime
) -> int:
    """Queue the copies of these photos given to providers (/photo N) to be taken back: the
    photos are no longer theirs to see (kept back, the item's approval undone). The photo
    under the card stays."""
    found: list[tuple[int, int]] = []
    for media_id in media_ids:
        async with conn.execute(
            "SELECT chat_id, message_id FROM media_messages WHERE media_id = ? AND given = 1",
            (media_id,),
        ) as cursor:
            found += [(int(c), int(m)) for c, m in await cursor.fetchall()]
        await conn.execute(
            "DELETE FROM media_messages WHERE media_id = ? AND given = 1", (media_id,)
        )
    await traces.take_back_messages(conn, found, traces.UNSHARED, now)
    return len(found)


async def take_back_citizen(conn: aiosqlite.Connection, citizen_id: int, now: datetime) -> int:
    """Queue every message carrying a citizen's voice notes or photos (/forget), whichever
    item it was shown with: under a card (a merge may have taken a photo under another
    author's) or given to a provider. The rows go with the media."""
    async with conn.execute(
        "SELECT mm.chat_id, mm.message_id FROM media_messages mm"
        " JOIN media m ON m.id = mm.media_id WHERE m.citizen_id = ?",
        (citizen_id,),
    ) as cursor:
        found = [(int(c), int(m)) for c, m in await cursor.fetchall()]
    await traces.take_back_messages(conn, found, traces.FORGET, now)
    return len(found)


@dataclass(frozen=True)
class OwedNote:
    """A note on photos that joined a saved item, owed to its citizen (its sending failed)."""

    telegram_id: int
    feedback_id: int
    note: str
    photos: int
    photos_left: int
    attempts: int
    owed_at: datetime


async def owe_note(
    conn: aiosqlite.Connection,
    citizen_id: int,
    feedback_id: int,
    note: str,
    counts: tuple[int, int],
    attempts: int,
    times: tuple[datetime, datetime],
) -> None:
    """Keep the note on photos that joined an item, to be told at `times[0]` (its next try;
    `times[1]`: when it was first owed); `counts`: the item's photos, those with no room."""
    next_try, owed_at = times
    await conn.execute(
        "INSERT INTO media_notes_owed (feedback_id, citizen_id, note, photos, photos_left,"
        " attempts, next_try_at, owed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (feedback_id) DO NOTHING",
        (feedback_id, citizen_id, note, *counts, attempts, stamp(next_try), stamp(owed_at)),
    )


async def take_owed_notes(conn: aiosqlite.Connection, now: datetime) -> list[OwedNote]:
    """The owed notes due by `now`, taken (deleted) in the caller's transaction: whoever
    takes one tells it, and no one else does."""
    async with conn.execute(
        "SELECT c.telegram_id, n.feedback_id, n.note, n.photos, n.photos_left, n.attempts,"
        " n.owed_at FROM media_notes_owed n JOIN citizens c ON c.id = n.citizen_id"
        " WHERE n.next_try_at <= ? ORDER BY n.owed_at, n.feedback_id",
        (stamp(now),),
    ) as cursor:
        rows = await cursor.fetchall()
    taken = []
    for telegram_id, feedback_id, note, photos, left, attempts, owed_at in rows:
        cursor = await conn.execute(
            "DELETE FROM media_notes_owed WHERE feedback_id = ?", (feedback_id,)
        )
        if cursor.rowcount < 1:
            continue  # taken by another instance meanwhile
        taken.append(
            OwedNote(
                int(telegram_id),
                int(feedback_id),
                str(note),
                int(photos),
                int(left),
                int(attempts),
                parse_stamp(str(owed_at)),
            )
        )
    return taken


async def any_owed_notes(conn: aiosqlite.Connection) -> bool:
    """Whether any note is owed at all (the usual answer: none)."""
    async with conn.execute("SELECT 1 FROM media_notes_owed LIMIT 1") as cursor:
        return await cursor.fetchone() is not None


async def remember_forgotten(conn: aiosqlite.Connection, citizen_id: int, now: datetime) -> None:
    """/forget: the ids of the citizen's photos that went to staff, kept (alone) so that a
    leftover copy of one, taken down later, says why it went."""
    await conn.execute(
        "INSERT INTO media_forgotten (media_id, forgotten_at) SELECT id, ? FROM media"
        " WHERE citizen_id = ? AND kind = 'photo' AND feedback_id IS NOT NULL"
        " ON CONFLICT (media_id) DO NOTHING",
        (stamp(now), citizen_id),
    )


async def forgotten(conn: aiosqlite.Connection, media_id: int) -> bool:
    """Whether this photo went with its author's /forget (not retention)."""
    async with conn.execute(
        "SELECT 1 FROM media_forgotten WHERE media_id = ?", (media_id,)
    ) as cursor:
        return await cursor.fetchone() is not None


async def approved_photos(
    conn: aiosqlite.Connection, feedback_ids: list[int]
) -> dict[int, list[int]]:
    """The approved photos of these items: item id -> photo ids (a few queries at most)."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(feedback_ids), 500):
        part = feedback_ids[start : start + 500]
        marks = ", ".join("?" for _ in part)
        async with conn.execute(
            f"SELECT feedback_id, id FROM media WHERE feedback_id IN ({marks})"
            " AND kind = 'photo' AND status = 'approved' ORDER BY id",
            tuple(part),
        ) as cursor:
            for item_id, photo_id in await cursor.fetchall():
                found.setdefault(int(item_id), []).append(int(photo_id))
    return found


async def photo_service(conn: aiosqlite.Connection, media_id: int) -> str | None:
    """The service of the published item an approved photo belongs to (None otherwise)."""
    async with conn.execute(
        "SELECT f.service_slug FROM media m JOIN feedback f ON f.id = m.feedback_id"
        " WHERE m.id = ? AND m.kind = 'photo' AND m.status = 'approved'"
        " AND f.status = 'approved' AND m.data IS NOT NULL",
        (media_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row else None
