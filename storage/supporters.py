"""Supporters of published items ("me too"), and the recent items a new text may join."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

import aiosqlite

from storage import feedback
from storage.db import stamp
from storage.places import Place

# What counts as published: approved with words for providers (erased items have none).
_PUBLISHED = "f.status = 'approved' AND f.published_text IS NOT NULL AND f.published_text <> ''"


class Published(NamedTuple):
    """A published item a new text may join."""

    id: int
    text: str
    # When it was published (a stamp).
    at: str
    # Its kinds of feedback (the main one first): the moderator's one where they set it, else
    # the model's; none for items not in English, which the kind model cannot read.
    kinds: tuple[str, ...]
    # Detected to be in another language than English.
    foreign: bool = False


async def recent(conn: aiosqlite.Connection, service_slug: str, since: datetime) -> list[Published]:
    """The service's items published since `since`, oldest first."""
    return await published_after(conn, service_slug, stamp(since), inclusive=True)


async def published_after(
    conn: aiosqlite.Connection, service_slug: str, mark: str, inclusive: bool = False
) -> list[Published]:
    """The service's items published after the stamp `mark` (what a search index has not
    seen yet), oldest first."""
    op = ">=" if inclusive else ">"
    async with conn.execute(
        "SELECT f.id, f.published_text, f.moderated_at, f.kind, f.kind_set_by, f.also_kinds,"
        " f.language"
        " FROM feedback f"
        f" WHERE f.status = 'approved' AND f.service_slug = ? AND f.moderated_at {op} ?"
        f" AND {_PUBLISHED} ORDER BY f.moderated_at, f.id",
        (service_slug, mark),
    ) as cursor:
        return [
            Published(
                int(i),
                str(t),
                str(m),
                _kinds(kind, by, also, language),
                language not in (None, "", "en", "und"),
            )
            for i, t, m, kind, by, also, language in await cursor.fetchall()
        ]


def _kinds(
    kind: str | None, set_by: int | None, also: str | None, language: str | None
) -> tuple[str, ...]:
    if language not in (None, "", "en") or not kind:
        return ()
    if set_by is not None:
        return (kind,)
    try:
        more = json.loads(also) if also else []
    except ValueError:
        more = []
    extra = [k for k in more if isinstance(k, str) and k != kind] if isinstance(more, list) else []
    return (kind, *extra)


async def still_offered(
    conn: aiosqlite.Connection, item_ids: Sequence[int], service_slug: str, since: datetime
) -> dict[int, str]:
    """The published text of each of `item_ids` that may still be joined (see `joinable`):
    an item withdrawn, erased or edited since a search index saw it is shown as it is now."""
    if not item_ids:
        return {}
    marks = ", ".join("?" for _ in item_ids)
    async with conn.execute(
        f"SELECT f.id, f.published_text FROM feedback f WHERE f.id IN ({marks})"
        f" AND f.service_slug = ? AND f.moderated_at >= ? AND {_PUBLISHED}",
        (*item_ids, service_slug, stamp(since)),
    ) as cursor:
        return {int(i): str(t) for i, t in await cursor.fetchall()}


async def joinable(
    conn: aiosqlite.Connection, item_id: int, service_slug: str, since: datetime
) -> bool:
    """Whether the item may be joined from a conversation about `service_slug`: published,
    of that service, published since `since`."""
    async with conn.execute(
        "SELECT 1 FROM feedback f WHERE f.id = ? AND f.service_slug = ?"
        f" AND f.moderated_at >= ? AND {_PUBLISHED}",
        (item_id, service_slug, stamp(since)),
    ) as cursor:
        return await cursor.fetchone() is not None


async def joined_by(
    conn: aiosqlite.Connection, citizen_id: int, limit: int = 10
) -> list[tuple[int, str]]:
    """(item id, when they joined it) of the items the citizen supports, newest first."""
    async with conn.execute(
        "SELECT feedback_id, created_at FROM supporters WHERE citizen_id = ?"
        " ORDER BY created_at DESC, feedback_id DESC LIMIT ?",
        (citizen_id, limit),
    ) as cursor:
        return [(int(i), str(at)) for i, at in await cursor.fetchall()]


async def merged_into(conn: aiosqlite.Connection, item_id: int) -> int | None:
    """The item a merged item went into, following later merges (None if it was not merged)."""
    seen = {item_id}
    into = None
    while (step := await _merged_once(conn, into or item_id)) is not None and step not in seen:
        seen.add(step)
        into = step
    return into


async def add(conn: aiosqlite.Connection, item_id: int, citizen_id: int, now: datetime) -> bool:
    """The citizen supports the item; False if they already did."""
    # The item's row is written first: a merge of it at the same moment (which moves its
    # supporters on) then conflicts with this join, so one of the two runs again after the
    # other, rather than both committing with this support left on the merged item.
    await conn.execute("UPDATE feedback SET version = version WHERE id = ?", (item_id,))
    cursor = await conn.execute(
        "INSERT INTO supporters (feedback_id, citizen_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (item_id, citizen_id, stamp(now)),
    )
    return cursor.rowcount > 0


async def own_merged_into(conn: aiosqlite.Connection, into: int, citizen_id: int) -> int | None:
    """The citizen's own item merged into `into` (the one they know it by), if any."""
    async with conn.execute(
        "SELECT MAX(id) FROM feedback WHERE citizen_id = ? AND status = 'merged'"
        " AND withdrawn_reason = ?",
        (citizen_id, f"#{into}"),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


async def hearing_back(conn: aiosqlite.Connection, item_id: int, citizen_id: int) -> bool:
    """Whether the citizen hears back on the item: its author who asked to, or one of its
    supporters who does."""
    async with conn.execute(
        "SELECT 1 FROM feedback WHERE id = ? AND citizen_id = ? AND hear_back = 1"
        " UNION ALL SELECT 1 FROM supporters WHERE feedback_id = ? AND citizen_id = ?"
        " AND hear_back = 1",
        (item_id, citizen_id, item_id, citizen_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def hears_back(conn: aiosqlite.Connection, item_id: int, citizen_id: int) -> None:
    """The citizen, who wrote the item or supports it, hears back on it from now on."""
    await conn.execute(
        "UPDATE feedback SET hear_back = 1 WHERE id = ? AND citizen_id = ?", (item_id, citizen_id)
    )
    await conn.execute(
        "UPDATE supporters SET hear_back = 1 WHERE feedback_id = ? AND citizen_id = ?",
        (item_id, citizen_id),
    )


async def merge(
    conn: aiosqlite.Connection,
    into: int,
    merged: int,
    moderator: int,
    now: datetime,
) -> None:
    """A moderator merged item `merged` into `into` (they say the same): its author (0 when
    forgotten) supports `into` unless they wrote it too (hearing back on it only if they
    asked to on their own item), and it leaves the queue and every count (status 'merged', the
    item it went into kept as its reason)."""
    # `into`'s row is written too: its unpublishing (or its own merge) at the same moment then
    # conflicts with this merge, so one runs again after the other, never leaving `merged` in
    # an item that no longer counts.
    await conn.execute("UPDATE feedback SET version = version WHERE id = ?", (into,))
    async with conn.execute(
        "SELECT citizen_id, hear_back FROM feedback WHERE id = ?", (merged,)
    ) as cursor:
        row = await cursor.fetchone()
    author, hears = (int(row[0] or 0), bool(row[1])) if row else (0, False)
    async with conn.execute("SELECT citizen_id FROM feedback WHERE id = ?", (into,)) as cursor:
        row = await cursor.fetchone()
    # The author of `into` is counted with it already: never one of its supporters too (a
    # citizen who said the same twice is one person).
    owner = int(row[0] or 0) if row else 0
    # Whoever supports `into` already, or asked to hear back once, keeps hearing back.
    keep = (
        " ON CONFLICT (feedback_id, citizen_id) DO UPDATE SET hear_back ="
        " CASE WHEN excluded.hear_back = 1 THEN 1 ELSE supporters.hear_back END"
    )
    if owner:
        # The author of `into` who asked to hear back on the merged item, as its author or
        # one of its supporters, hears back on `into` now.
        async with conn.execute(
            "SELECT 1 FROM supporters WHERE feedback_id = ? AND citizen_id = ? AND hear_back = 1",
            (merged, owner),
        ) as cursor:
            supported = await cursor.fetchone() is not None
        if supported or (author == owner and hears):
            await hears_back(conn, into, owner)
    if author and author != owner:
        await conn.execute(
            "INSERT INTO supporters (feedback_id, citizen_id, created_at, hear_back)"
            f" VALUES (?, ?, ?, ?){keep}",
            (into, author, stamp(now), int(hears)),
        )
    # Those who had joined the merged item support the one it went into.
    await conn.execute(
        "INSERT INTO supporters (feedback_id, citizen_id, created_at, hear_back)"
        " SELECT ?, citizen_id, created_at, hear_back FROM supporters"
        f" WHERE feedback_id = ? AND citizen_id <> ?{keep}",
        (into, merged, owner),
    )
    when = stamp(now)
    # Published already: who published it and when are kept, to publish it again as it was
    # were it ever released (`unmerge_all`).
    await conn.execute(
        "UPDATE feedback SET published_when_merged = CASE WHEN status = 'approved' THEN"
        " COALESCE(CAST(moderated_by AS TEXT), '') || ' ' || moderated_at END,"
        " status = 'merged', withdrawn_reason = ?, moderated_by = ?,"
        " moderated_at = ?, undo_until = NULL, author_told_at = COALESCE(author_told_at, ?),"
        " updated_at = ? WHERE id = ?",
        (f"#{into}", moderator, when, when, when, merged),
    )


async def unmerge_all(
    conn: aiosqlite.Connection, into: int, now: datetime
) -> list[tuple[int, str]]:
    """The items merged into `into` (unpublished) each stand on their own again: one that
    was published when merged is published again as it was (its author told then); any
    other goes back to the queue, to be decided, its author told the outcome then. Their
    ids and statuses. Their supporters were copied, not moved, at the merge: they are
    theirs still, and the copies (and the author's support the merge gave) leave `into`,
    and the items `into` itself went into, which a merge of `into` copied them to."""
    async with conn.execute(
        "SELECT id, citizen_id, moderated_at, published_when_merged, text FROM feedback"
        " WHERE status = 'merged' AND withdrawn_reason = ? ORDER BY id",
        (f"#{into}",),
    ) as cursor:
        every = [
            (int(i), int(c or 0), str(at), str(was) if was else None, str(words or ""))
            for i, c, at, was, words in await cursor.fetchall()
        ]
    # One without words (erased, or its original past retention and never published) has
    # nothing to stand on: it stays as it is, and those merged into it stand instead.
    rows = [(i, c, at, was) for i, c, at, was, words in every if words]
    hollow = [i for i, _, _, _, words in every if not words]
    found = [(item_id, "approved" if was else "pending") for item_id, _, _, was in rows]
    holders = [into, *await _merged_above(conn, into)] if rows else [into]
    for item_id, author, merged_at, was in rows:
        for holder in holders:
            # A row the merge wrote carries its time; one the citizen wrote before, their own.
            await conn.execute(
                "DELETE FROM supporters WHERE feedback_id = ? AND citizen_id = ?"
                " AND created_at = ?",
                (holder, author, merged_at),
            )
            await conn.execute(
                "DELETE FROM supporters WHERE feedback_id = ? AND EXISTS (SELECT 1 FROM"
                " supporters s WHERE s.feedback_id = ? AND s.citizen_id = supporters.citizen_id"
                " AND s.created_at = supporters.created_at)",
                (holder, item_id),
            )
        if was is not None:
            by, _, at = was.partition(" ")
            if not await _read_as_published(conn, item_id, at, merged_at):
                # No provider read it before it went (no digest showed it, no answer named
                # it): published now, in the next digest, as an approval now would be.
                at = max(stamp(now), await feedback.latest_digest_end(conn, item_id) or "")
            await conn.execute(
                "UPDATE feedback SET status = 'approved', withdrawn_reason = NULL,"
                " moderated_by = ?, moderated_at = ?, published_when_merged = NULL,"
                " undo_until = NULL, version = version + 1, updated_at = ?"
                " WHERE id = ? AND status = 'merged'",
                (int(by) if by else None, at, stamp(now), item_id),
            )
            continue
        await conn.execute(
            "UPDATE feedback SET status = 'pending', withdrawn_reason = NULL,"
            " published_text = NULL, reject_reason = NULL, moderated_by = NULL,"
            " moderated_at = NULL, undo_until = NULL, author_told_at = NULL,"
            " published_when_merged = NULL, version = version + 1, updated_at = ?"
            " WHERE id = ? AND status = 'merged'",
            (stamp(now), item_id),
        )
    for item_id in hollow:
        found += await unmerge_all(conn, item_id, now)
    return found


async def _merged_above(conn: aiosqlite.Connection, item_id: int) -> list[int]:
    """The item this one was merged into, the one that went into, and so on."""
    found: list[int] = []
    current = item_id
    while True:
        async with conn.execute(
            "SELECT withdrawn_reason FROM feedback WHERE id = ? AND status = 'merged'",
            (current,),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or not str(row[0] or "").startswith("#"):
            return found
        current = int(str(row[0])[1:])
        if current == item_id or current in found:
            return found
        found.append(current)


async def anonymous_merged(
    conn: aiosqlite.Connection, item_ids: Sequence[int]
) -> dict[int, set[int]]:
    """For each of these items, the items of forgotten authors merged into it, or into an
    item merged into it, and so on (items with none are left out)."""
    found: dict[int, set[int]] = {}
    wanted = set(item_ids)
    if not wanted:
        return found
    async with conn.execute(
        "SELECT id, withdrawn_reason FROM feedback WHERE status = 'merged'"
        " AND COALESCE(citizen_id, 0) = 0"
    ) as cursor:
        anonymous = [(int(i), str(r or "")) for i, r in await cursor.fetchall()]
    for item_id, reason in anonymous:
        if not reason.startswith("#"):
            continue
        into = int(reason[1:])
        top = ([into, *await _merged_above(conn, into)])[-1]
        if top in wanted:
            found.setdefault(top, set()).add(item_id)
    return found


async def _read_as_published(
    conn: aiosqlite.Connection, item_id: int, published_at: str, merged_at: str
) -> bool:
    """Whether a provider had the item, published at `published_at`, before it was merged
    at `merged_at`: a digest of its period delivered before then (a digest is written as it
    is sent), or an answer covering it."""
    async with conn.execute(
        "SELECT 1 FROM feedback f JOIN services s ON s.slug = f.service_slug"
        " JOIN digests d ON d.provider_id = s.provider_id"
        " JOIN digest_deliveries dd ON dd.digest_id = d.id WHERE f.id = ?"
        " AND d.period_start <= ? AND ? < d.period_end AND dd.sent_at < ?"
        " UNION ALL SELECT 1 FROM response_items WHERE feedback_id = ?",
        (item_id, published_at, published_at, merged_at, item_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def merged_under(conn: aiosqlite.Connection, item_id: int) -> list[int]:
    """The items merged into this one, and into those, and so on (never itself)."""
    found: list[int] = []
    seen = {item_id}
    step = [item_id]
    while step:
        marks = ", ".join("?" for _ in step)
        async with conn.execute(
            f"SELECT id FROM feedback WHERE status = 'merged' AND withdrawn_reason IN ({marks})"
            " ORDER BY id",
            tuple(f"#{i}" for i in step),
        ) as cursor:
            step = [int(r[0]) for r in await cursor.fetchall() if int(r[0]) not in seen]
        seen.update(step)
        found.extend(step)
    return found


async def merged_in(conn: aiosqlite.Connection, item_id: int) -> int:
    """How many items moderators merged into this one."""
    async with conn.execute(
        "SELECT COUNT(*) FROM feedback WHERE status = 'merged' AND withdrawn_reason = ?",
        (f"#{item_id}",),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def counts(conn: aiosqlite.Connection, item_ids: Sequence[int]) -> dict[int, int]:
    """How many supporters each item has, the forgotten authors of items merged into it
    counted (items with none are left out)."""
    if not item_ids:
        return {}
    marks = ", ".join("?" for _ in item_ids)
    async with conn.execute(
        f"SELECT feedback_id, COUNT(*) FROM supporters WHERE feedback_id IN ({marks})"
        " GROUP BY feedback_id",
        tuple(item_ids),
    ) as cursor:
        found = {int(i): int(n) for i, n in await cursor.fetchall()}
    # A forgotten author is no one a supporter row can name, yet still someone who said it.
    for item_id, merged in (await anonymous_merged(conn, item_ids)).items():
        found[item_id] = found.get(item_id, 0) + len(merged)
    return found


async def of_citizen(conn: aiosqlite.Connection, citizen_id: int) -> list[tuple[int, str, str]]:
    """(item, its published text, when they joined) for each item the citizen supports."""
    async with conn.execute(
        "SELECT s.feedback_id, COALESCE(f.published_text, ''), s.created_at FROM supporters s"
        " JOIN feedback f ON f.id = s.feedback_id WHERE s.citizen_id = ? ORDER BY s.created_at",
        (citizen_id,),
    ) as cursor:
        return [(int(i), str(t), str(w)) for i, t, w in await cursor.fetchall()]


async def forget(conn: aiosqlite.Connection, citizen_id: int) -> None:
    """The citizen's support goes (on /forget)."""
    await conn.execute("DELETE FROM supporters WHERE citizen_id = ?", (citizen_id,))


async def forget_item(conn: aiosqlite.Connection, item_id: int) -> None:
    """An item deleted takes its supporters' support with it."""
    await conn.execute("DELETE FROM supporters WHERE feedback_id = ?", (item_id,))


async def already_theirs(
    conn: aiosqlite.Connection, item_ids: Sequence[int], citizen_id: int
) -> set[int]:
    """Which of these items the citizen wrote or supports already (never offered to them)."""
    if not item_ids:
        return set()
    marks = ", ".join("?" for _ in item_ids)
    async with conn.execute(
        f"SELECT id FROM feedback WHERE citizen_id = ? AND id IN ({marks})"
        f" UNION SELECT feedback_id FROM supporters WHERE citizen_id = ?"
        f" AND feedback_id IN ({marks})",
        (citizen_id, *item_ids, citizen_id, *item_ids),
    ) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


async def joined_since(conn: aiosqlite.Connection, citizen_id: int, since: str) -> int | None:
    """The item the citizen joined at `since` (a stored time) or first after it; never one
    their support went to by a moderator's merge of an item of theirs."""
    async with conn.execute(
        "SELECT s.feedback_id FROM supporters s WHERE s.citizen_id = ? AND s.created_at >= ?"
        " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.citizen_id = s.citizen_id"
        " AND f.status = 'merged' AND f.withdrawn_reason = '#' || s.feedback_id)"
        " ORDER BY s.created_at, s.feedback_id LIMIT 1",
        (citizen_id, since),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else None


class Undoable(NamedTuple):
    """A "me too" the citizen can still undo: the item joined and the words they wrote."""

    item_id: int
    service_slug: str
    text: str
    # When they joined (a stamp; their support row has the same).
    joined_at: str
    # The place they gave with the words, if any (given back with them).
    place: Place | None = None


async def keep_undo(conn: aiosqlite.Connection, citizen_id: int, undoable: Undoable) -> None:
    """Keep the citizen's words with the item they joined, so the join can be undone (one
    per citizen: the latest join replaces an earlier one)."""
    place = undoable.place or Place(None, None, None)
    await conn.execute(
        "INSERT INTO metoo_undo (citizen_id, feedback_id, service_slug, text, joined_at, site,"
        " latitude, longitude, exact, accuracy_m) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (citizen_id) DO UPDATE SET feedback_id = excluded.feedback_id,"
        " service_slug = excluded.service_slug, text = excluded.text,"
        " joined_at = excluded.joined_at, site = excluded.site, latitude = excluded.latitude,"
        " longitude = excluded.longitude, exact = excluded.exact,"
        " accuracy_m = excluded.accuracy_m",
        (
            citizen_id,
            *undoable[:4],
            place.site,
            place.latitude,
            place.longitude,
            int(place.exact),
            place.accuracy_m,
        ),
    )


async def undoable(conn: aiosqlite.Connection, citizen_id: int) -> Undoable | None:
    """The citizen's join that can still be undone, if any."""
    async with conn.execute(
        "SELECT feedback_id, service_slug, text, joined_at, site, latitude, longitude, exact,"
        " accuracy_m FROM metoo_undo WHERE citizen_id = ?",
        (citizen_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    site, lat, lon = row[4], row[5], row[6]
    place = Place(
        None if site is None else str(site),
        None if lat is None else float(lat),
        None if lon is None else float(lon),
        bool(row[7]),
        None if row[8] is None else float(row[8]),
    )
    kept = place if place.known else None
    return Undoable(int(row[0]), str(row[1]), str(row[2]), str(row[3]), kept)


async def drop_undo(conn: aiosqlite.Connection, citizen_id: int) -> None:
    """The join can no longer be undone (undone, or past its time, or /forget)."""
    await conn.execute("DELETE FROM metoo_undo WHERE citizen_id = ?", (citizen_id,))


async def undo_older_than(conn: aiosqlite.Connection, cutoff: datetime) -> int:
    """Forget the words of joins made before `cutoff`; how many."""
    cursor = await conn.execute("DELETE FROM metoo_undo WHERE joined_at < ?", (stamp(cutoff),))
    return cursor.rowcount


async def undo_join(conn: aiosqlite.Connection, citizen_id: int, joined: Undoable) -> None:
    """Take back the support that join added: on the item, and on each item a moderator
    merged it into since (the support copied there keeps the time it was given); but never
    support the citizen has there for another reason (an item of theirs, or another item they
    joined, merged into it)."""
    # As for a join (`add`): a merge of the item at the same moment, which copies this
    # support on, conflicts with the undo, so one of the two runs again after the other.
    await conn.execute("UPDATE feedback SET version = version WHERE id = ?", (joined.item_id,))
    chain = [joined.item_id]
    while (into := await _merged_once(conn, chain[-1])) is not None and into not in chain:
        chain.append(into)
    for item_id in chain:
        reason = f"#{item_id}"
        await conn.execute(
            "DELETE FROM supporters WHERE citizen_id = ? AND feedback_id = ? AND created_at = ?"
            " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.citizen_id = ?"
            " AND f.status = 'merged' AND f.withdrawn_reason = ?)"
            " AND NOT EXISTS (SELECT 1 FROM supporters s JOIN feedback f ON f.id = s.feedback_id"
            " WHERE s.citizen_id = ? AND f.status = 'merged' AND f.withdrawn_reason = ?)",
            (citizen_id, item_id, joined.joined_at, citizen_id, reason, citizen_id, reason),
        )
    await drop_undo(conn, citizen_id)


async def skip_in_chain(conn: aiosqlite.Connection, item_id: int) -> None:
    """The items merged into this merged item (about to go) go, as merged, into the item it
    went into: the chain holds without it."""
    async with conn.execute(
        "SELECT withdrawn_reason FROM feedback WHERE id = ? AND status = 'merged'", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or not row[0]:
        return
    await conn.execute(
        "UPDATE feedback SET withdrawn_reason = ? WHERE status = 'merged' AND withdrawn_reason = ?",
        (str(row[0]), f"#{item_id}"),
    )


async def _merged_once(conn: aiosqlite.Connection, item_id: int) -> int | None:
    """The item this one was merged into (one step), if it was."""
    async with conn.execute(
        "SELECT withdrawn_reason FROM feedback WHERE id = ? AND status = 'merged'", (item_id,)
    ) as cursor:
        row = await cursor.fetchone()
    reason = str(row[0]) if row and row[0] else ""
    return int(reason[1:]) if reason.startswith("#") and reason[1:].isdigit() else None
