"""The "me too" search: the recent published items of a service a new text may be about.

The similarity is nlp.similar's. `MeToo` (one per running bot, built in bot/app.py, held by
the Intake) keeps one growing index per service over its items published in the window:

- a search reads only from the read connection and runs its CPU work in a thread, before
  the conversation's write transaction (which then only re-checks what it stores), so no
  one else's update waits for it;
- items published since the index last looked are added to it (a cheap indexed query and
  an index part of their own: nlp.similar.Growing); items past the window are left out by
  their publication time; items withdrawn, erased or edited since are re-read before they
  are offered (never shown from the cache);
- a full rebuild (the first one of a large service, or once the added parts or left-out
  items weigh too much) runs in the background; searches use the index they have meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nlp.similar import LIMIT, THRESHOLD, Candidate, Growing, close_to_best, query
from storage import supporters
from storage.db import Database, parse_stamp
from storage.supporters import Published

log = logging.getLogger(__name__)

# The default window (Settings.metoo_weeks).
WEEKS = 6
# A service's first index is built while its citizen waits (in a thread) up to this many
# items (about 0.4 ms each); past it, in the background, and nothing is offered until then.
INLINE_BUILD = 5_000
# Rebuild in the background once the parts added weigh this share of the base, or once
# this share of the index is past the window or withdrawn.
REBUILD_SHARE = 0.25
# ...but not for fewer added items than this (small parts are cheap to search).
REBUILD_MIN = 1_000
# How many are looked at past the threshold, so that withdrawn ones, the citizen's own and
# those elsewhere can be left out and LIMIT still be offered (a citizen may have written the
# same many times).
LOOK_AT = 32


@dataclass
class _Service:
    """One service's index and what it has seen."""

    index: Growing
    # The newest publication stamp the index has seen.
    mark: str
    # Items found withdrawn, erased or edited since they were indexed.
    dropped: frozenset[int] = frozenset()
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MeToo:
    """Suggestions of recent published items like a citizen's words, one index per service."""

    def __init__(
        self,
        db: Database,
        weeks: int = WEEKS,
        inline_build: int = INLINE_BUILD,
        reading: Callable[[str], tuple[Sequence[str], bool]] | None = None,
    ) -> None:
        self.db = db
        # Of a new text: the kinds of feedback it is (the theme model's), so that a request
        # is not offered a complaint's item, and whether it is in a language the sentence
        # space reads (English). None: kinds are not compared and every text is read.
        self.reading = reading
        self.window = timedelta(weeks=max(0, weeks))
        self.inline_build = inline_build
        self._services: dict[str, _Service] = {}
        self._building: dict[str, asyncio.Task[None]] = {}

    @property
    def enabled(self) -> bool:
        return self.window > timedelta(0)

    def since(self, now: datetime) -> datetime:
        """The oldest publication still offered."""
        return now - self.window

    async def suggestions(
        self, service_slug: str, text: str, now: datetime, place: str | None = None
    ) -> tuple[tuple[int, str, float], ...]:
        """(id, published text, score) of at most LOOK_AT items like `text`, best first,
        none cut for being far below the best (the caller leaves out the citizen's own
        items first, then cuts: see `offered`); () when none
        is close enough, or the service's index is still being built (the conversation then
        goes on as if nothing was looked for). `place`: where the new text is about, when
        known (items elsewhere are left out)."""
        if not self.enabled or not text.strip():
            return ()
        service = await self.refresh(service_slug, now)
        if service is None:
            return ()
        start = self.since(now)
        found = await asyncio.to_thread(
            self._search, service.index, text, place, service.dropped, start.timestamp()
        )
        if not found:
            return ()
        ids = [c.id for c, _ in found]
        current = await supporters.still_offered(self.db.reader, ids, service_slug, start)
        gone = frozenset(ids) - current.keys()
        edited = frozenset(c.id for c, _ in found if c.id in current and current[c.id] != c.text)
        if gone or edited:
            # Edited items come back with their new words when the index next looks.
            service.dropped = service.dropped | gone | edited
            self._maybe_rebuild(service_slug, service, now)
        return tuple(
            (c.id, current[c.id], score)
            for c, score in found
            if c.id in current and c.id not in edited
        )

    def _search(
        self, index: Growing, text: str, place: str | None, dropped: Collection[int], since: float
    ) -> list[tuple[Candidate, float]]:
        """The search itself (in a worker thread: the kinds and the scores cost CPU)."""
        kinds, reads = self.reading(text) if self.reading is not None else ((), True)
        foreign = not reads
        return index.search(
            query(text, kinds, foreign), THRESHOLD, LOOK_AT, place, dropped, since, relative=False
        )

    async def refresh(self, service_slug: str, now: datetime) -> _Service | None:
        """The service's index, with the items published since it last looked added; None
        while its first index is built in the background."""
        service = self._services.get(service_slug)
        if service is None:
            if service_slug in self._building:
                return None
            rows = await supporters.recent(self.db.reader, service_slug, self.since(now))
            if len(rows) > self.inline_build:
                self._start_build(service_slug, now, rows)
                return None
            service = await self._build(service_slug, rows)
            self._services.setdefault(service_slug, service)
            return self._services[service_slug]
        async with service.lock:
            rows = await supporters.published_after(self.db.reader, service_slug, service.mark)
            if rows:
                await self._add(service, rows)
        self._maybe_rebuild(service_slug, service, now)
        return service

    async def _add(self, service: _Service, rows: list[Published]) -> None:
        """Add newly published items (the caller holds the service's lock)."""
        service.index = await asyncio.to_thread(service.index.add, _candidates(rows))
        service.mark = max(service.mark, rows[-1].at)
        # An item published again (edited) is searched with its new words.
        service.dropped = service.dropped - {p.id for p in rows}

    @staticmethod
    async def _build(service_slug: str, rows: list[Published]) -> _Service:
        index = await asyncio.to_thread(Growing.build, _candidates(rows))
        return _Service(index, max((p.at for p in rows), default=""))

    def _maybe_rebuild(self, service_slug: str, service: _Service, now: datetime) -> None:
        """Start a background rebuild when the added parts or the items left out weigh too
        much (a search stays cheap without one, only slower by their share)."""
        if service_slug in self._building:
            return
        index = service.index
        size = max(len(index.base), REBUILD_MIN)
        old = int((index.at < self.since(now).timestamp()).sum())
        if index.added > size * REBUILD_SHARE or old + len(service.dropped) > size * REBUILD_SHARE:
            self._start_build(service_slug, now, None)

    def _start_build(self, service_slug: str, now: datetime, rows: list[Published] | None) -> None:
        task = asyncio.get_running_loop().create_task(self._rebuild(service_slug, now, rows))
        self._building[service_slug] = task
        task.add_done_callback(lambda _: self._building.pop(service_slug, None))

    async def _rebuild(
        self, service_slug: str, now: datetime, rows: list[Published] | None
    ) -> None:
        try:
            if rows is None:
                rows = await supporters.recent(self.db.reader, service_slug, self.since(now))
            fresh = await self._build(service_slug, rows)
            # Items published while it was built are added by the next search's look.
            self._services[service_slug] = fresh
        except Exception:
            log.exception("rebuilding the me-too index of %s failed", service_slug)

    async def wait_built(self) -> None:
        """Wait for the background builds running (tests, benchmarks, shutdown)."""
        while self._building:
            await asyncio.gather(*self._building.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._building.values()):
            task.cancel()
        await asyncio.gather(*self._building.values(), return_exceptions=True)


def offered(found: Sequence[tuple[int, str, float]]) -> tuple[tuple[int, str], ...]:
    """What to offer of what is left of a search: at most LIMIT, each close to the best."""
    if not found:
        return ()
    best = found[0][2]
    return tuple((i, text) for i, text, score in found if close_to_best(score, best))[:LIMIT]


def _candidates(rows: list[Published]) -> list[Candidate]:
    return [
        Candidate(p.id, p.text, at=parse_stamp(p.at).timestamp(), kinds=p.kinds, foreign=p.foreign)
        for p in rows
    ]
