"""Cards reach moderators in the order items came in, though items are tagged as their
authors' answers come (so maybe out of order)."""

from __future__ import annotations

import aiosqlite

from bot.config import load_deployment
from bot.intake import sync_services
from bot.moderation import IN_ORDER_FOR, Moderation
from bot.tagging import load_tagger
from storage import citizens, feedback
from storage.db import Database
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock


async def test_an_item_tagged_first_waits_for_the_older_one_to_be_carded_after_it(
    db: Database, clock: FakeClock
) -> None:
    """The newer item's author answered first, so it was tagged first: its card waits for
    the older one's tagging, and both are due oldest first; an older item the language
    tools never finish holds it back for a while only."""
    deployment = load_deployment(EXAMPLE)
    await sync_services(
        db, [ServiceRow(s.slug, s.name, s.description, s.provider) for s in deployment.services]
    )
    texts = [
        "The 42 bus skipped the Mill Lane stop this morning.",
        "The library toilets were out of order all week.",
        "The bins on Elm Road were not collected on Tuesday.",
        "The number 9 was late again.",
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

    # The third is never tagged (as if the language tools never finished it).
    older, newer, _, last = await db.write(run)
    moderation = Moderation(db, deployment, clock, load_tagger())

    async def due() -> list[int]:
        cards = [c.item.id for c in await moderation.cards_to_post()]
        assert await moderation.cards_due() == len(cards)
        return cards

    await moderation.tag_item(newer)
    assert await due() == []
    await moderation.tag_item(older)
    assert await due() == [older, newer]
    await moderation.tag_item(last)
    # The untagged item before it holds it back, until IN_ORDER_FOR has passed.
    assert await due() == [older, newer]
    clock.advance(seconds=IN_ORDER_FOR.total_seconds() + 1)
    assert await due() == [older, newer, last]
