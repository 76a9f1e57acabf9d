"""Corrections as labels: the items people corrected, as training examples."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

# Where a theme came from when a person set it: a moderator on the card, or the author on
# the message that said their item was saved (a moderator's switch then makes it theirs).
CORRECTED_BY = ("moderator", "citizen")


@dataclass(frozen=True)
class Corrected:
    """One item a person corrected: its published text and its final labels."""

    item_id: int
    service_slug: str
    # The published text (redacted, checked by a moderator): never the original words.
    text: str
    # The themes active now, whoever set them.
    themes: tuple[str, ...]
    kind: str | None
    # What the model said the kind was (None when tagged before the model's kind was kept).
    model_kind: str | None
    # Whether a person set the themes, the kind, or both.
    themes_corrected: bool
    kind_corrected: bool


async def corrected(conn: aiosqlite.Connection) -> list[Corrected]:
    """Every published item whose themes or kind a person set, oldest first.

    Only approved items: their text is the one a moderator read and published, so no
    personal details the redactor missed go into training data. Erased items have no text.
    """
    marks = ", ".join("?" for _ in CORRECTED_BY)
    # A theme a person switched (on or off), or one a person added before set_at was kept.
    touched = f"SELECT feedback_id FROM item_themes WHERE set_at IS NOT NULL OR source IN ({marks})"
    async with conn.execute(
        "SELECT f.id, f.service_slug, f.published_text, f.kind, f.model_kind,"
        f" f.id IN ({touched}), f.kind_set_at IS NOT NULL FROM feedback f"
        " WHERE f.status = 'approved' AND f.erased = 0 AND f.published_text IS NOT NULL"
        f" AND (f.kind_set_at IS NOT NULL OR f.id IN ({touched})) ORDER BY f.id",
        (*CORRECTED_BY, *CORRECTED_BY),
    ) as cursor:
        rows = await cursor.fetchall()
    themes: dict[int, list[str]] = {}
    ids = [int(r[0]) for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        async with conn.execute(
            "SELECT feedback_id, theme_id FROM item_themes WHERE active = 1 AND feedback_id IN"
            f" ({', '.join('?' for _ in chunk)}) ORDER BY feedback_id, theme_id",
            chunk,
        ) as cursor:
            for item_id, theme_id in await cursor.fetchall():
                themes.setdefault(int(item_id), []).append(str(theme_id))
    return [
        Corrected(
            item_id=int(r[0]),
            service_slug=str(r[1]),
            text=str(r[2]),
            themes=tuple(themes.get(int(r[0]), ())),
            kind=r[3],
            model_kind=r[4],
            themes_corrected=bool(r[5]),
            kind_corrected=bool(r[6]),
        )
        for r in rows
    ]
