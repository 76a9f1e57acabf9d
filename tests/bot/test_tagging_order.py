"""Cards reach moderators in the order items came in, though items are tagged as their
authors' answers come (so maybe out of order)."""

from __future__ import annotations

from bot.config import load_deployment
from bot.moderation import IN_ORDER_FOR, Moderation
from bot.tagging import load_tagger
from storage.db import Database
from tests.bot.test_tagging_faults import made_items
from tests.conftest import EXAMPLE, FakeClock


async def test_an_item_tagged_first_waits_for_the_older_one_to_be_carded_after_it(
    db: Database, clock: FakeClock
) -> None:
    """The newer item's author answered first, so it was tagged first: its card waits for
    the older one's tagging, and both are due oldest first; an older item the language
    tools never finish holds it back for a while only."""
    texts = [
        "The 42 bus skipped the Mill Lane stop this morning.",
        "The library toilets were out of order all week.",
        "The bins on Elm Road were not collected on Tuesday.",
        "The number 9 was late again.",
    ]
    # The third is never tagged (as if the language tools never finished it).
    older, newer, _, last = await made_items(db, clock, texts)
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, load_tagger())

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
