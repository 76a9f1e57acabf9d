"""An item the language tools keep failing on still reaches moderators, read by a person,
and does not keep other items from being tagged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.config import load_deployment
from bot.intake import sync_services
from bot.moderation import TAG_TRIES, Moderation
from bot.tagging import UNREAD, load_tagger
from handlers.moderator import render_card
from storage import citizens, feedback
from storage.db import Database
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock

CHOKE = "the word the tools choke on"


class Choking:
    """The real analyser, but for texts holding CHOKE (as if spaCy raised on them)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def analyse(self, texts: Sequence[str]) -> Sequence[Any]:
        if any(CHOKE in t for t in texts):
            raise ValueError("cannot read this")
        return self.real.analyse(texts)

    def kinds(self, text: str) -> list[str]:
        return list(self.real.kinds(text))


async def _items(db: Database, clock: FakeClock, texts: list[str]) -> list[int]:
    deployment = load_deployment(EXAMPLE)
    await sync_services(
        db, [ServiceRow(s.slug, s.name, s.description, s.provider) for s in deployment.services]
    )

    async def run(conn: aiosqlite.Connection) -> list[int]:
        made = []
        for n, text in enumerate(texts):
            citizen = await citizens.get_or_create(conn, 5570001 + n, clock())
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

    return await db.write(run)


async def test_an_item_that_always_fails_is_carded_unread_after_a_few_tries(
    db: Database, clock: FakeClock
) -> None:
    ids = await _items(
        db,
        clock,
        [
            f"Call Jane Smith on 07700 900123 about {CHOKE}, the 42 was late.",
            "The number 9 was late again.",
        ],
    )
    tagger = load_tagger()
    tagger.analyser = Choking(tagger.analyser)
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)

    # The first sweep tags the other item (one by one, once both at once failed).
    assert TAG_TRIES == 3
    assert await moderation.tag_new() == [ids[1]]
    assert await moderation.tag_new() == []
    assert await feedback.untagged(db.reader) == [(ids[0], await _text(db, ids[0]))]
    assert await moderation.tag_new() == [ids[0]]
    assert await feedback.untagged(db.reader) == []

    card = await moderation.card(ids[0])
    assert card is not None
    assert card.item.kind is None and card.themes == ()
    # Still redacted (the redactor works), and a person is asked to read the whole text.
    assert "07700 900123" not in card.shown_text and "Jane Smith" not in card.shown_text
    assert [kind for kind, _ in card.to_check] == [UNREAD]
    text, _ = render_card(card, {})
    assert "could not read" in text
    assert [c.item.id for c in await moderation.cards_to_post()] == ids


async def test_many_items_that_always_fail_do_not_keep_others_from_being_tagged(
    db: Database, clock: FakeClock
) -> None:
    ids = await _items(db, clock, [f"{CHOKE} {n}" for n in range(4)] + ["The 9 was late."])
    tagger = load_tagger()
    tagger.analyser = Choking(tagger.analyser)
    # The redactor fails on them too: the text is shown as written, for a person to read.
    real = tagger.redactor

    def redactor(text: str) -> Any:
        if CHOKE in text:
            raise RuntimeError("cannot redact this")
        return real(text)

    tagger.redactor = redactor
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)
    # Each sweep takes the 4 oldest untagged: the failing ones, until they are stored unread.
    for _ in range(TAG_TRIES - 1):
        assert await moderation.tag_new(limit=4) == []
    assert await moderation.tag_new(limit=4) == ids[:4]
    assert await moderation.tag_new(limit=4) == ids[4:]
    first = await moderation.card(ids[0])
    assert first is not None and first.shown_text == f"{CHOKE} 0"
    assert first.to_check == [(UNREAD, f"{CHOKE} 0")]
    last = await moderation.card(ids[4])
    assert last is not None and last.to_check == [] and last.item.kind is not None


async def _text(db: Database, item_id: int) -> str:
    text = await feedback.untagged_one(db.reader, item_id)
    assert text is not None
    return text
