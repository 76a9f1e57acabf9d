"""The "me too" search: the recent published items of a service a new text may be about.

The similarity is nlp.similar's; this keeps one index per service over its items published
in the window, rebuilt only when those items change (a cheap fingerprint query), so a
search costs a query and a sparse product, not a rebuild.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from nlp.similar import LIMIT, THRESHOLD, Candidate, Index
from storage import supporters

# How far back published items are offered (the default of Settings.metoo_weeks).
WINDOW = timedelta(weeks=6)

_indexes: dict[str, tuple[tuple[int, int, str, int, str], Index]] = {}


def since(now: datetime, window: timedelta = WINDOW) -> datetime:
    """The oldest publication still offered."""
    return now - window


async def suggestions(
    conn: aiosqlite.Connection,
    service_slug: str,
    text: str,
    now: datetime,
    window: timedelta = WINDOW,
    place: str | None = None,
) -> tuple[tuple[int, str], ...]:
    """(id, published text) of at most LIMIT items like `text`, best first; () when none is
    close enough (the conversation then goes on as if nothing was looked for). `place`:
    where the new text is about, when known (items elsewhere are left out)."""
    if window <= timedelta(0) or not text.strip():
        return ()
    start = since(now, window)
    mark = await supporters.fingerprint(conn, service_slug, start)
    if mark[0] == 0:
        return ()
    # The window's start moves by the day at most for the cache: an item just past it is
    # still checked by `joinable` when pressed.
    key = (*mark, start.date().isoformat())
    cached = _indexes.get(service_slug)
    if cached is None or cached[0] != key:
        rows = await supporters.recent(conn, service_slug, start)
        cached = (key, Index([Candidate(i, t) for i, t in rows]))
        _indexes[service_slug] = cached
    found = cached[1].search(text, THRESHOLD, LIMIT, place=place)
    return tuple((c.id, c.text) for c, _ in found)
