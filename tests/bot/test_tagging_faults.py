"""An item the language tools keep failing on still reaches moderators, read by a person,
and does not keep other items from being tagged; an outage of the tools themselves makes
items wait, to be tagged in full once it is over."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.config import load_deployment
from bot.intake import sync_services
from bot.moderation import TAG_TRIES, UNREAD_AFTER, Moderation
from bot.tagging import UNREAD, Tagger, load_tagger
from handlers.moderator import render_card
from storage import citizens, feedback
from storage.db import Database
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock

CHOKE = "the word the tools choke on"
DETAILS = "Call Jane Smith on 07700 900123"


class Choking:
    """The real analyser, but for texts holding CHOKE (as if spaCy raised on them), and for
    every text while `down` (an outage)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = False

    def analyse(self, texts: Sequence[str]) -> Sequence[Any]:
        if self.down or any(CHOKE in t for t in texts):
            raise ValueError("cannot read this")
        return self.real.analyse(texts)

    def kinds(self, text: str) -> list[str]:
        return list(self.real.kinds(text))


def choking() -> tuple[Tagger, Choking]:
    tagger = load_tagger()
    analyser = Choking(tagger.analyser)
    tagger.analyser = analyser
    return tagger, analyser


async def made_items(db: Database, clock: FakeClock, texts: list[str]) -> list[int]:
    """Items of the example's services, one citizen each, as tagging finds them (untagged)."""
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


async def _untagged(db: Database) -> list[int]:
    return [item_id for item_id, _ in await feedback.untagged(db.reader)]


async def test_an_item_that_always_fails_is_carded_unread_after_a_while(
    db: Database, clock: FakeClock
) -> None:
    ids = await made_items(
        db, clock, [f"{DETAILS} about {CHOKE}, the 42 was late.", "The number 9 was late again."]
    )
    tagger, _ = choking()
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)

    # The first sweep tags the other item (one by one, once both at once failed).
    assert await moderation.tag_new() == [ids[1]]
    # Tried again and again at once: it waits (a failure may pass).
    for _ in range(TAG_TRIES + 2):
        assert await moderation.tag_new() == []
    assert await _untagged(db) == [ids[0]]
    clock.advance(seconds=UNREAD_AFTER.total_seconds())
    assert await moderation.tag_new() == [ids[0]]
    assert await _untagged(db) == []

    card = await moderation.card(ids[0])
    assert card is not None
    assert card.item.kind is None and card.themes == ()
    # Still redacted (the redactor works), and a person is asked to read the whole text.
    assert "07700 900123" not in card.shown_text and "Jane Smith" not in card.shown_text
    assert card.to_check[0][0] == UNREAD
    text, _ = render_card(card, {})
    assert "could not read" in text
    assert [c.item.id for c in await moderation.cards_to_post()] == ids


async def test_many_items_that_always_fail_do_not_keep_others_from_being_tagged(
    db: Database, clock: FakeClock
) -> None:
    ids = await made_items(db, clock, [f"{CHOKE} {n}" for n in range(4)] + ["The 9 was late."])
    tagger, _ = choking()
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
        clock.advance(seconds=UNREAD_AFTER.total_seconds() / (TAG_TRIES - 1))
    assert await moderation.tag_new(limit=4) == ids[:4]
    assert await moderation.tag_new(limit=4) == ids[4:]
    first = await moderation.card(ids[0])
    assert first is not None and first.shown_text == f"{CHOKE} 0"
    assert first.to_check == [(UNREAD, f"{CHOKE} 0")]
    last = await moderation.card(ids[4])
    assert last is not None and last.to_check == [] and last.item.kind is not None


async def test_an_outage_of_the_tools_makes_items_wait_not_unread(
    db: Database, clock: FakeClock
) -> None:
    ids = await made_items(db, clock, [f"{DETAILS}, the 42 was late.", "The 9 was late again."])
    tagger, analyser = choking()
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)
    analyser.down = True
    for _ in range(TAG_TRIES + 2):
        assert await moderation.tag_new() == []
        clock.advance(seconds=UNREAD_AFTER.total_seconds())
    assert await _untagged(db) == ids
    analyser.down = False
    assert await moderation.tag_new() == ids
    card = await moderation.card(ids[0])
    assert card is not None and card.item.kind is not None
    assert "Jane Smith" not in card.shown_text
    assert all(kind != UNREAD for kind, _ in card.to_check)


async def test_an_item_failing_in_a_sweep_and_for_its_author_at_once_is_stored_once(
    db: Database, clock: FakeClock
) -> None:
    (item,) = await made_items(db, clock, [f"{CHOKE}, the 42 was late."])
    tagger, _ = choking()
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)
    for _ in range(TAG_TRIES - 1):
        assert await moderation.tag_new() == []
        clock.advance(seconds=UNREAD_AFTER.total_seconds())
    # The author's last answer and a sweep reach the unread point together.
    _, swept = await asyncio.gather(moderation.tag_item(item), moderation.tag_new())
    assert await _untagged(db) == []
    assert swept in ([item], [])
    card = await moderation.card(item)
    assert card is not None and card.to_check[0][0] == UNREAD


async def test_a_new_item_after_a_forgotten_one_starts_its_tries_afresh(
    db: Database, clock: FakeClock
) -> None:
    (item,) = await made_items(db, clock, [f"{CHOKE} once"])
    tagger, _ = choking()
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)
    for _ in range(TAG_TRIES - 1):
        assert await moderation.tag_new() == []
        clock.advance(seconds=UNREAD_AFTER.total_seconds())

    async def forget(conn: aiosqlite.Connection) -> None:
        await conn.execute("DELETE FROM feedback WHERE id = ?", (item,))

    await db.write(forget)
    (again,) = await made_items(db, clock, [f"{CHOKE} twice"])
    assert again != item  # a number is never given again, on SQLite as on PostgreSQL
    # One failure of its own: it waits (the forgotten item's tries are not its tries).
    await moderation.tag_item(again)
    assert await _untagged(db) == [again]


class Recovering(Choking):
    """Down for every text until `recover_after` more calls have failed."""

    def __init__(self, real: Any, recover_after: int) -> None:
        super().__init__(real)
        self.left = recover_after

    def analyse(self, texts: Sequence[str]) -> Sequence[Any]:
        if self.left > 0:
            self.left -= 1
            raise ValueError("down")
        return self.real.analyse(texts)


async def test_an_outage_ending_as_an_item_is_given_up_on_tags_it_in_full(
    db: Database, clock: FakeClock
) -> None:
    (item,) = await made_items(db, clock, [f"{DETAILS}, the 42 was late."])
    tagger = load_tagger()
    # Down through its TAG_TRIES sweeps (each tries all at once, then one by one), back for
    # the probe.
    tagger.analyser = Recovering(tagger.analyser, 2 * TAG_TRIES)
    moderation = Moderation(db, load_deployment(EXAMPLE), clock, tagger)
    for _ in range(TAG_TRIES - 1):
        assert await moderation.tag_new() == []
        clock.advance(seconds=UNREAD_AFTER.total_seconds())
    assert await moderation.tag_new() == [item]
    card = await moderation.card(item)
    assert card is not None and card.item.kind is not None
    assert all(kind != UNREAD for kind, _ in card.to_check)
