"""Items are tagged (so carded) in the order they came in, however their authors' answers race."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosqlite

from bot.config import load_deployment
from bot.intake import sync_services
from bot.moderation import Moderation
from bot.tagging import Tagger, Tagging, load_tagger
from storage import citizens, feedback
from storage.db import Database, parse_stamp
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock

# How long the older item's tagging waits for a newer one to overtake it: only ever waited in
# full when nothing overtakes (as it should be), so a slow machine cannot make this fail.
OVERTAKE_WINDOW = 2.0


class SlowFirst(Tagger):
    """The real tagger, whose answer for one text is held back until a newer item is tagged
    in the database (or a while has passed); each answer moves the clock on a second, so
    when an item was tagged tells the order."""

    def __init__(
        self, real: Tagger, slow_text: str, db: Database, newer: int, clock: FakeClock
    ) -> None:
        super().__init__(real.analyser, real.redactor, real.labels, real.model, real.broad)
        self.slow_text, self.db, self.newer, self.clock = slow_text, db, newer, clock

    async def tag(
        self, texts: Sequence[str], languages: Sequence[str] | None = None
    ) -> list[Tagging]:
        found = await super().tag(texts, languages)
        if self.slow_text in texts:
            await self._newer_tagged_or_window()
        self.clock.advance(seconds=1)
        return found

    async def _newer_tagged_or_window(self) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + OVERTAKE_WINDOW
        while loop.time() < until:
            if await self.db.fetchone(
                "SELECT 1 FROM feedback WHERE id = ? AND tagged_at IS NOT NULL", (self.newer,)
            ):
                return
            await asyncio.sleep(0.01)


async def test_a_newer_item_is_not_tagged_before_an_older_one(
    db: Database, clock: FakeClock
) -> None:
    """Two authors finish at once and the older item's tagging is slow: the newer item waits
    for it (cards are posted for what is tagged, so it would have reached moderators first)."""
    deployment = load_deployment(EXAMPLE)
    await sync_services(
        db, [ServiceRow(s.slug, s.name, s.description, s.provider) for s in deployment.services]
    )
    texts = [
        "The 42 bus skipped the Mill Lane stop this morning.",
        "The library toilets were out of order all week.",
    ]

    async def run(conn: aiosqlite.Connection) -> list[int]:
        made = []
        for n, text in enumerate(texts):
            citizen = await citizens.get_or_create(conn, 5560001 + n, clock())
            made.append(
                await feedback.create(
                    conn,
                    citizen_id=citizen.id,
                    service_slug="buses",
                    text=text,
                    rating=None,
                    hear_back=False,
                    now=clock(),
                )
            )
        return made

    older, newer = await db.write(run)
    moderation = Moderation(
        db, deployment, clock, SlowFirst(load_tagger(), texts[0], db, newer, clock)
    )
    # Both authors' answers are on their way at once, the older one's a moment first.
    first = asyncio.create_task(moderation.tag_item(older))
    await asyncio.sleep(0)
    await asyncio.gather(first, moderation.tag_item(newer))

    rows = await db.fetchall("SELECT id, tagged_at FROM feedback")
    tagged = {int(r[0]): parse_stamp(r[1]) for r in rows}
    assert tagged[older] < tagged[newer], tagged
    cards = await moderation.cards_to_post()
    assert [c.item.id for c in cards] == [older, newer]
