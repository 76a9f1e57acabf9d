"""What is kept about a citizen: the export (/mydata), erasure (/forget) and retention."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage import audit, conversations, feedback, media, supporters, traces
from storage.db import stamp
from storage.feedback import kinds_only

# Items whose author was forgotten but chose to keep them belong to this citizen: nobody.
ANONYMOUS = 0


@dataclass(frozen=True)
class Erased:
    """What an erasure removed and what it kept."""

    items_deleted: int
    items_kept_anonymous: int
    items_counted_only: int
    # Every item of theirs, for the erasure journal.
    items: tuple[int, ...] = ()


async def export(conn: aiosqlite.Connection, citizen_id: int) -> dict[str, Any]:
    """Everything kept about a citizen, as plain data."""
    async with conn.execute(
        "SELECT id, created_at, involve, language FROM citizens WHERE id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return {}
    data: dict[str, Any] = {
        "you": {
            "reference": row[0],
            "first_seen": row[1],
            "would_like_to_be_involved": row[2],
            # The language they chose (None: never asked, the deployment's default used).
            "language": row[3],
        },
    }
    async with conn.execute(
        "SELECT version, decision, decided_at FROM consents WHERE citizen_id = ? ORDER BY id",
        (citizen_id,),
    ) as cursor:
        data["consents"] = [
            {"version": v, "decision": d, "at": at} for v, d, at in await cursor.fetchall()
        ]
    # Items they said were what they meant ("me too"): their support, not their words.
    async with conn.execute(
        "SELECT s.feedback_id, COALESCE(f.published_text, ''), s.created_at FROM supporters s"
        " JOIN feedback f ON f.id = s.feedback_id WHERE s.citizen_id = ? ORDER BY s.created_at",
        (citizen_id,),
    ) as cursor:
        data["supported"] = [
            {"reference": i, "published_text": t, "joined_at": at}
            for i, t, at in await cursor.fetchall()
        ]
    async with conn.execute(
        "SELECT f.id, s.name, f.text, f.rating, f.hear_back, f.status, f.kind,"
        " f.published_text, f.reject_reason, f.created_at, f.moderated_at,"
        " f.original_removed_at FROM feedback f JOIN services s ON s.slug = f.service_slug"
        " WHERE f.citizen_id = ? ORDER BY f.id",
        (citizen_id,),
    ) as cursor:
        items = await cursor.fetchall()
    data["items"] = []
    for item in items:
        async with conn.execute(
            "SELECT theme_id, source, active FROM item_themes WHERE feedback_id = ?"
            " ORDER BY score DESC",
            (item[0],),
        ) as cursor:
            themes = [
                {"theme": t, "found_by": src, "kept": bool(active)}
                for t, src, active in await cursor.fetchall()
            ]
        data["items"].append(
            {
                "reference": item[0],
                "service": item[1],
                "what_you_wrote": item[2] if item[11] is None else None,
                "original_removed_at": item[11],
                "rating": item[3],
                "wants_to_hear_back": bool(item[4]),
                "status": item[5],
                "kind": item[6],
                "as_published": item[7],
                "reason_not_published": item[8],
                "given_at": item[9],
                "decided_at": item[10],
                "themes": themes,
            }
        )
    async with conn.execute(
        "SELECT o.kind, o.ref_id, o.feedback_id, o.state, o.sent_at, o.reply, o.replied_at,"
        " r.status, r.text, r.created_at, a.text FROM outbox o"
        " LEFT JOIN responses r ON o.kind = 'response' AND r.id = o.ref_id"
        " LEFT JOIN asks a ON o.kind <> 'response' AND a.id = o.ref_id"
        " WHERE o.citizen_id = ? ORDER BY o.id",
        (citizen_id,),
    ) as cursor:
        sent = await cursor.fetchall()
    data["responses_sent_to_you"] = [
        {
            "about_your_item": item,
            "status": status,
            "response": text,
            "responded_at": at,
            "delivery": state,
            "sent_at": sent_at,
            "did_it_answer_your_point": reply,
            "you_said_at": replied_at,
        }
        for kind, _, item, state, sent_at, reply, replied_at, status, text, at, _ in sent
        if kind == "response"
    ]
    data["questions_and_invitations_sent_to_you"] = [
        {
            "kind": kind,
            "text": ask_text,
            "delivery": state,
            "sent_at": sent_at,
            "your_answer": reply,
            "you_said_at": replied_at,
        }
        for kind, _, _, state, sent_at, reply, replied_at, _, _, _, ask_text in sent
        if kind != "response"
    ]
    async with conn.execute(
        "SELECT a.text, x.share, x.first_name, x.username, x.created_at FROM acceptances x"
        " JOIN asks a ON a.id = x.ask_id WHERE x.citizen_id = ? ORDER BY x.id",
        (citizen_id,),
    ) as cursor:
        data["invitations_you_accepted"] = [
            {
                "invitation": text,
                # 'name' or 'relay' (replies through the bot only): in words on the way out.
                "shared": share,
                "first_name_shared": first,
                "username_shared": username,
                "at": at,
            }
            for text, share, first, username, at in await cursor.fetchall()
        ]
    async with conn.execute(
        "SELECT service_slug FROM ask_optouts WHERE citizen_id = ? ORDER BY service_slug",
        (citizen_id,),
    ) as cursor:
        data["no_questions_about"] = [str(r[0]) for r in await cursor.fetchall()]
    async with conn.execute(
        "SELECT state, service_slug, text, rating, started_at FROM conversations"
        " WHERE citizen_id = ?",
        (citizen_id,),
    ) as cursor:
        talk = await cursor.fetchone()
    data["conversation_in_progress"] = (
        dict(
            zip(
                ("waiting_for", "service", "text_so_far", "rating", "started_at"), talk, strict=True
            )
        )
        if talk
        else None
    )
    async with conn.execute(
        "SELECT text, written_at FROM citizen_drafts WHERE citizen_id = ?", (citizen_id,)
    ) as cursor:
        kept = await cursor.fetchone()
    data["draft_kept_for_you"] = {"text": kept[0], "written_at": kept[1]} if kept else None
    # A time-out notice that could not reach them (they had blocked the bot, or Telegram
    # failed for a while), kept to be told when they are back.
    async with conn.execute(
        "SELECT feedback_id, note, created_at FROM missed_notices WHERE citizen_id = ?"
        " ORDER BY created_at, feedback_id",
        (citizen_id,),
    ) as cursor:
        data["notices_kept_for_when_you_are_back"] = [
            {
                "about_your_item": item,
                "notice": "saved_as_new" if note == "metoo" else "saved",
                "kept_at": at,
            }
            for item, note, at in await cursor.fetchall()
        ]
    async with conn.execute(
        "SELECT feedback_id, text, joined_at, site, latitude, longitude, exact, accuracy_m"
        " FROM metoo_undo WHERE citizen_id = ?",
        (citizen_id,),
    ) as cursor:
        undo = await cursor.fetchone()
    data["words_kept_to_undo_a_me_too"] = (
        {
            "with_item": undo[0],
            "text": undo[1],
            "joined_at": undo[2],
            "site": undo[3],
            "latitude": undo[4],
            "longitude": undo[5],
            "exact": bool(undo[6]),
            "accuracy_metres": undo[7],
        }
        if undo
        else None
    )
    async with conn.execute(
        "SELECT kind, feedback_id, duration, transcript, status, created_at,"
        " file_id IS NOT NULL, data IS NOT NULL, LENGTH(data) FROM media WHERE citizen_id = ?"
        " ORDER BY id",
        (citizen_id,),
    ) as cursor:
        data["voice_notes_and_photos"] = [
            {
                "kind": kind,
                "with_item": item,
                "seconds": duration if kind == "voice" else None,
                "draft_transcript": transcript,
                "photo_status": status if kind == "photo" else None,
                "sent_at": at,
                "telegram_reference_kept": bool(has_file),
                "photo_bytes_kept": int(size or 0) if has_data else 0,
            }
            for kind, item, duration, transcript, status, at, has_file, has_data, size in (
                await cursor.fetchall()
            )
        ]
    async with conn.execute(
        "SELECT feedback_id, site, latitude, longitude, exact, accuracy_m, created_at"
        " FROM places"
        " WHERE citizen_id = ? ORDER BY id",
        (citizen_id,),
    ) as cursor:
        data["places"] = [
            {
                "with_item": item,
                "site": site,
                "latitude": lat,
                "longitude": lon,
                "exact": bool(exact),
                "accuracy_metres": accuracy,
                "given_at": at,
            }
            for item, site, lat, lon, exact, accuracy, at in await cursor.fetchall()
        ]
    return data


async def draw_person(conn: aiosqlite.Connection) -> int:
    """A number for one erased person's bare figures, never drawn before (two erasures at
    the same moment on PostgreSQL each read the highest before the other wrote: the row
    of ids_used makes the later one wait, and take the next)."""
    async with conn.execute(
        "INSERT INTO ids_used (name, high)"
        " SELECT 'erased_person', COALESCE(MAX(person), 0) + 1 FROM erased_replies WHERE TRUE"
        " ON CONFLICT (name) DO UPDATE SET high = ids_used.high + 1 RETURNING high"
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def erase(
    conn: aiosqlite.Connection, citizen_id: int, keep_published: bool, now: datetime
) -> Erased:
    """Remove a citizen and what they said, in the caller's transaction.

    Approved items either stay as anonymous contributions (their published text only, if
    the citizen chose that), or lose every text but still count, so past digests keep their
    numbers. Everything else about them goes.
    """
    items = await _items_of(conn, citizen_id)
    own = {i for i, _ in items}
    # Their items merged into another: one stays counted with the item at the end of its
    # chain, anonymous, as an anonymous contribution does (so that count holds); not where
    # that item is theirs too, or another of theirs counts there already (one person).
    merged: list[int] = []
    gone: list[int] = []
    tops: set[int] = set()
    for item_id, status in items:
        if status != "merged":
            continue
        top = await supporters.merged_into(conn, item_id)
        if top is None or top in own or top in tops:
            gone.append(item_id)
        else:
            merged.append(item_id)
            tops.add(top)
    # Their words in staff's chats too: cards, originals shown, relays (rows go below).
    await traces.take_back_citizen(conn, citizen_id, [i for i, _ in items], now)
    for item_id in gone:
        # What others merged into it stays in the chain, a step up; it goes now, before
        # anything merged into theirs is released (never one of theirs).
        await supporters.skip_in_chain(conn, item_id)
        await _delete_item(conn, item_id)
    approved = [i for i, status in items if status == "approved"]
    others = [i for i, status in items if status not in ("approved", "merged")] + gone
    # Others' items merged into one that goes, or loses its words, would count nowhere and
    # their words reach no one: they stand on their own again, as at an unpublish.
    for item_id in others if keep_published else others + approved:
        await _release_merged(conn, item_id, now)
    # Their voice notes (file_ids) and photos (bytes), whatever became of the items, and the
    # messages that carried them: under any card, given to a provider (/photo N).
    await media.take_back_citizen(conn, citizen_id, now)
    await media.remember_forgotten(conn, citizen_id, now)
    await conn.execute("DELETE FROM media WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM album_words WHERE citizen_id = ?", (citizen_id,))
    # Where their items happened, even a site: with the rest of what they said.
    await conn.execute("DELETE FROM places WHERE citizen_id = ?", (citizen_id,))
    for item_id in others:
        await _delete_item(conn, item_id)
    kept_words: set[int] = set()
    for item_id in merged:
        await conn.execute("DELETE FROM pending_edits WHERE feedback_id = ?", (item_id,))
        kept = await _kept_words(conn, item_id, keep_published)
        if kept is not None:
            kept_words.add(item_id)
        await conn.execute(
            "UPDATE feedback SET citizen_id = ?, text = ?, redacted_text = ?, edited_text = NULL,"
            " redactions = '[]', redaction_flags = '[]', published_text = ?, hear_back = 0,"
            " erased = ?, updated_at = ? WHERE id = ?",
            (ANONYMOUS, kept or "", kept, kept, int(kept is None), stamp(now), item_id),
        )
        await conn.execute(
            "UPDATE item_themes SET evidence = NULL WHERE feedback_id = ?", (item_id,)
        )
    for item_id in approved:
        if keep_published:
            # Only the approved text stays: the original and the suggestion go; of what
            # redaction found, only the kinds the published text is without.
            await conn.execute(
                "UPDATE feedback SET citizen_id = ?, text = published_text,"
                " redacted_text = published_text, edited_text = NULL, redactions = ?,"
                " redaction_flags = '[]', hear_back = 0, updated_at = ? WHERE id = ?",
                (ANONYMOUS, await _kinds_removed(conn, item_id), stamp(now), item_id),
            )
        else:
            await conn.execute(
                "UPDATE feedback SET citizen_id = ?, text = '', redacted_text = NULL,"
                " edited_text = NULL, redactions = '[]', redaction_flags = '[]',"
                " published_text = '', hear_back = 0, erased = 1, updated_at = ? WHERE id = ?",
                (ANONYMOUS, stamp(now), item_id),
            )
            await conn.execute(
                "UPDATE item_themes SET evidence = NULL WHERE feedback_id = ?", (item_id,)
            )
    wordless = [i for i in merged if not keep_published or i not in kept_words] + gone
    quoted = wordless + ([] if keep_published else approved)
    if quoted:
        # Offered to others meanwhile ("me too"): those offers are drawn again without them.
        offers = await conversations.offers_quoting(conn, quoted)
        await traces.take_back_messages(conn, offers, traces.OFFER, now)
    for item_id in own:
        # The audit trail keeps who did what, not the texts.
        await conn.execute(
            "UPDATE audit SET before = NULL, after = NULL WHERE subject = ?", (f"item:{item_id}",)
        )
    async with conn.execute(
        "SELECT telegram_id FROM citizens WHERE id = ?", (citizen_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        await conn.execute("UPDATE audit SET actor = NULL WHERE actor = ?", (row[0],))
        # Updates from them still waiting to be marked handled keep their id in the payload.
        await conn.execute(
            "UPDATE updates SET payload = NULL WHERE payload LIKE ? OR payload LIKE ?",
            (f'%"id": {int(row[0])},%', f'%"id": {int(row[0])}}}%'),
        )
        # Nor does their chat stay as the key of those updates.
        await conn.execute("UPDATE updates SET chat_key = 0 WHERE chat_key = ?", (row[0],))
        # A chat that blocked the bot is the person's Telegram id too; so is the key of the
        # chat's share of the sending budget (several instances on PostgreSQL).
        await conn.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (row[0],))
        await conn.execute("DELETE FROM send_slots WHERE key = ?", (f"chat:{int(row[0])}",))
    # Whether responses answered their point stays a bare figure in the evidence of value,
    # as their items still count: the answer and when, under a number that leads to no one.
    drawn = await draw_person(conn)
    await conn.execute(
        "INSERT INTO erased_replies (response_id, reply, replied_at, person)"
        " SELECT o.ref_id, o.reply, o.replied_at, ?"
        " FROM outbox o JOIN responses r ON r.id = o.ref_id"
        " WHERE o.citizen_id = ? AND o.kind = 'response' AND o.reply IN ('yes', 'no')"
        " AND o.replied_at IS NOT NULL",
        (drawn, citizen_id),
    )
    # What was sent to them, what they answered, what they shared with a provider.
    await conn.execute("DELETE FROM outbox WHERE citizen_id = ?", (citizen_id,))
    # A time-out notice waiting for them to come back: nothing of theirs is left to tell.
    await conn.execute("DELETE FROM missed_notices WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM media_notes_owed WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM acceptances WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM ask_optouts WHERE citizen_id = ?", (citizen_id,))
    # Their "me too" support: they no longer count with those items, nor hear back on them.
    await conn.execute("DELETE FROM supporters WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM metoo_undo WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM conversations WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM citizen_drafts WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM consents WHERE citizen_id = ?", (citizen_id,))
    await conn.execute("DELETE FROM citizens WHERE id = ?", (citizen_id,))
    return Erased(
        items_deleted=len(others),
        items_kept_anonymous=len(approved) + len(kept_words) if keep_published else 0,
        items_counted_only=len(merged) - len(kept_words) + (0 if keep_published else len(approved)),
        items=tuple(i for i, _ in items),
    )


async def _delete_item(conn: aiosqlite.Connection, item_id: int) -> None:
    await conn.execute("DELETE FROM item_themes WHERE feedback_id = ?", (item_id,))
    await conn.execute("DELETE FROM pending_edits WHERE feedback_id = ?", (item_id,))
    await conn.execute("DELETE FROM supporters WHERE feedback_id = ?", (item_id,))
    await conn.execute("DELETE FROM feedback WHERE id = ?", (item_id,))


async def _items_of(conn: aiosqlite.Connection, citizen_id: int) -> list[tuple[int, str]]:
    async with conn.execute(
        "SELECT id, status FROM feedback WHERE citizen_id = ? ORDER BY id", (citizen_id,)
    ) as cursor:
        return [(int(i), str(s)) for i, s in await cursor.fetchall()]


async def _kept_words(conn: aiosqlite.Connection, item_id: int, keep_published: bool) -> str | None:
    """The words a merged item keeps as an anonymous contribution: its published text, if
    the citizen keeps what was published and it was; else none."""
    if not keep_published:
        return None
    async with conn.execute(
        "SELECT published_text FROM feedback WHERE id = ? AND published_when_merged IS NOT NULL",
        (item_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return str(row[0]) if row and row[0] else None


async def _release_merged(conn: aiosqlite.Connection, item_id: int, now: datetime) -> None:
    """The items merged into this one stand on their own again (published as they were or
    back in the queue), with their photos and a new card each; those merged into them stay
    so, their photos going with them."""
    for merged, status in await supporters.unmerge_all(conn, item_id, now):
        inside = await supporters.merged_under(conn, merged)
        # Its card says it was merged: a new one is posted (a decision on it, if pending),
        # its photos under it; the old one goes, with the photos under it.
        old_card = await feedback.card_anew(conn, merged)
        if old_card is not None:
            under = await media.messages_in(conn, old_card[0], [merged, *inside])
            await traces.take_back_messages(conn, [old_card, *under], traces.FORGET, now)
        await media.move_photos_home(conn, merged, inside)
        await audit.record(
            conn,
            actor=None,
            actor_role="erasure",
            action="item.unmerged",
            subject=f"item:{merged}",
            before={"status": "merged", "into": item_id},
            after={"status": status, "reason": "the item it went into was erased"},
            now=now,
        )


async def old_originals(conn: aiosqlite.Connection, before: datetime) -> list[int]:
    """Items whose original text is older than `before` and still kept (decided ones)."""
    async with conn.execute(
        "SELECT id FROM feedback WHERE created_at < ? AND original_removed_at IS NULL"
        " AND citizen_id != ? AND status != 'pending' ORDER BY id",
        (stamp(before), ANONYMOUS),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def remove_originals(conn: aiosqlite.Connection, item_ids: list[int], now: datetime) -> int:
    """Drop these items' original texts: approved items keep their published text; items
    never published lose their text altogether. Originals shown to moderators are taken back."""
    removed = 0
    for item_id in item_ids:
        # Of what redaction found, only the kinds the published text is without stay, so a
        # card drawn again still says what was removed.
        cursor = await conn.execute(
            "UPDATE feedback SET text = COALESCE(published_text, ''), redacted_text ="
            " published_text, edited_text = NULL, redactions = ?, redaction_flags = '[]',"
            " original_removed_at = ? WHERE id = ? AND original_removed_at IS NULL"
            " AND status != 'pending'",
            (await _kinds_removed(conn, item_id), stamp(now), item_id),
        )
        removed += cursor.rowcount
    # Cards show the redacted text, which stays; originals shown to moderators go.
    await traces.take_back_items(conn, item_ids, now)
    return removed


async def _kinds_removed(conn: aiosqlite.Connection, item_id: int) -> str:
    """The item's findings as they may stay without its original: kinds only (JSON)."""
    async with conn.execute(
        "SELECT text, published_text, redactions FROM feedback WHERE id = ?", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row[1] is None:
        return "[]"  # never published: nothing it was without
    return kinds_only(str(row[0]), str(row[1]), row[2])


# -- the erasure journal ----------------------------------------------------------------------

FORGET, ORIGINALS = "forget", "originals"


@dataclass(frozen=True)
class Erasure:
    """One erasure, by internal ids only (never a Telegram id or a text): what a restore of
    an older backup replays."""

    id: str
    kind: str
    at: str
    citizen_id: int | None = None
    keep_published: bool = False
    items: tuple[int, ...] = ()

    @classmethod
    def new(
        cls,
        kind: str,
        now: datetime,
        citizen_id: int | None = None,
        keep_published: bool = False,
        items: tuple[int, ...] = (),
    ) -> Erasure:
        """A new erasure with a fresh id."""
        return cls(uuid.uuid4().hex, kind, stamp(now), citizen_id, keep_published, items)

    def as_line(self) -> str:
        """The erasure as one JSON line of the journal file."""
        return json.dumps(
            {
                "id": self.id,
                "kind": self.kind,
                "at": self.at,
                "citizen": self.citizen_id,
                "keep_published": self.keep_published,
                "items": list(self.items),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_line(cls, line: str) -> Erasure:
        """An erasure read back from a journal line."""
        data = json.loads(line)
        return cls(
            str(data["id"]),
            str(data["kind"]),
            str(data["at"]),
            data.get("citizen"),
            bool(data.get("keep_published")),
            tuple(int(i) for i in data.get("items", [])),
        )


async def record_erasure(conn: aiosqlite.Connection, erasure: Erasure) -> None:
    """Keep the erasure in the database's journal (a backup carries it)."""
    await conn.execute(
        "INSERT INTO erasures (id, kind, citizen_id, keep_published, items, at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            erasure.id,
            erasure.kind,
            erasure.citizen_id,
            int(erasure.keep_published),
            json.dumps(list(erasure.items)),
            erasure.at,
        ),
    )


async def erasures(conn: aiosqlite.Connection) -> list[Erasure]:
    """Every erasure the database records, oldest first."""
    async with conn.execute(
        "SELECT id, kind, at, citizen_id, keep_published, items FROM erasures ORDER BY at, id"
    ) as cursor:
        return [
            Erasure(str(i), str(k), str(at), c, bool(keep), tuple(json.loads(items)))
            for i, k, at, c, keep, items in await cursor.fetchall()
        ]


async def replay(conn: aiosqlite.Connection, erasure: Erasure, now: datetime) -> None:
    """Do an erasure again on a database restored from before it, and record it there."""
    if erasure.kind == FORGET and erasure.citizen_id is not None:
        # Ids are the backup's own (it is an older copy of this very database).
        await erase(conn, erasure.citizen_id, erasure.keep_published, now)
    elif erasure.kind == ORIGINALS:
        await remove_originals(conn, list(erasure.items), now)
    await record_erasure(conn, erasure)


def journal_path(database: Path) -> Path:
    """The append-only erasure journal beside the database, outside anything restorable."""
    return database.with_name(database.name + ".erasures")


def append_journal(database: Path, entry: Erasure) -> None:
    """Append one erasure to the journal file (owner-only, flushed to disk)."""
    fd = os.open(journal_path(database), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (entry.as_line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_journal(database: Path) -> list[Erasure]:
    """Every erasure in the journal file ([] if there is none); a torn last line is skipped."""
    path = journal_path(database)
    if not path.exists():
        return []
    found = []
    for line in path.read_text("utf-8").splitlines():
        try:
            found.append(Erasure.from_line(line))
        except (ValueError, KeyError):
            continue  # a line half-written when the machine stopped
    return found


async def inactive(
    conn: aiosqlite.Connection,
    before: datetime,
    resend_since: datetime,
    only: int | None = None,
) -> list[int]:
    """Citizens not in touch since `before`: no consent, item, conversation, "me too",
    answer to a response or question, invitation accepted or draft since then; and nothing
    still to reach them (a message queued, or an answer or time-out notice kept since
    `resend_since` for when they unblock the bot). `only`: that citizen, if so."""
    when, resend = stamp(before), stamp(resend_since)
    one = "" if only is None else " AND c.id = ?"
    async with conn.execute(
        f"SELECT c.id FROM citizens c WHERE c.id != ? AND c.created_at < ?{one}"
        " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.citizen_id = c.id AND f.created_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.citizen_id = c.id AND k.decided_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.citizen_id = c.id"
        " AND v.updated_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM supporters s WHERE s.citizen_id = c.id"
        " AND s.created_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.citizen_id = c.id"
        " AND o.replied_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM acceptances x WHERE x.citizen_id = c.id"
        " AND x.created_at >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM citizen_drafts d WHERE d.citizen_id = c.id"
        " AND d.written_at >= ?)"
        # Erasing them would drop what is on its way to them, and the chat id it needs.
        " AND NOT EXISTS (SELECT 1 FROM outbox q WHERE q.citizen_id = c.id"
        " AND (q.state IN ('pending', 'sending')"
        " OR (q.state = 'blocked' AND q.kind = 'response' AND q.created_at >= ?)))"
        " AND NOT EXISTS (SELECT 1 FROM missed_notices n WHERE n.citizen_id = c.id"
        " AND n.created_at >= ?)",
        (ANONYMOUS, when, *([] if only is None else [only]), *[when] * 7, resend, resend),
    ) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


def as_json(data: dict[str, Any]) -> bytes:
    """The export as a readable JSON file."""
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
