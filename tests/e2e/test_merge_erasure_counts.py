"""Merges and erasure: counts hold after a merged author forgets, a released item's old card
goes with its photos, an item without words is not released empty."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.digest_content import Period
from bot.evidence import evidence
from emulator import Emulator
from handlers import texts
from storage import services as services_store
from storage import supporters
from tests.e2e.helpers import add_item, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_privacy_attacks import forget_all

LIFT_A = "The lift at the library has been broken for three weeks now."
LIFT_B = "Library lift out of order again, my mum cannot get upstairs."
LIFT_C = "Lift at the central library broken, had to carry the pram up."

EVER = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def _library(team: Team):  # type: ignore[no-untyped-def]  # noqa: F811
    (library,) = [s for s in await services_store.active(team.bot.db.reader) if s.slug == "library"]
    return library


async def forget_keep(person) -> None:  # type: ignore[no-untyped-def]
    await person.send("/forget")
    await person.wait_for(last_has("can't be undone"))
    await press_on(person, person.messages[-1], texts.FORGET_KEEP)
    await person.wait_for(last_has(texts.FORGET_DONE))


async def test_forget_keeping_published_after_a_merge_still_counts_the_author(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's published B is merged into Cy's A; then Bea does /forget keeping her published
    comments: as when she forgets first and B is merged after, People stays 2 and A still
    has one more who said the same."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    library = await _library(team)
    before = await evidence(team.bot.db, [library], EVER)
    assert before.total.items == 1 and before.total.people == 2
    assert await supporters.counts(team.bot.db.reader, [a]) == {a: 1}
    await forget_keep(bea)
    after = await evidence(team.bot.db, [library], EVER)
    assert after.total.people == 2, "Bea's published words still said the same as A"
    assert await supporters.counts(team.bot.db.reader, [a]) == {a: 1}


async def test_erase_everything_after_a_merge_keeps_past_counts(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """README: a published item whose author erases everything "still counts, so past
    digests keep their numbers". Bea's published B merged into A counted her with A; after
    her "Erase everything" the report for that period still says 2 people."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    library = await _library(team)
    assert (await evidence(team.bot.db, [library], EVER)).total.people == 2
    await forget_all(bea)
    after = await evidence(team.bot.db, [library], EVER)
    assert after.total.people == 2, "a published item erased still counts its person"


async def test_released_items_old_photo_is_taken_back_with_its_old_card(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Cal's C (a photo, posted under C's card) is merged into Bea's published B. Bea
    forgets: C's old card is taken back and a new one posted with the photo under it. The
    photo under the old card goes with it: the moderators' chat shows C's photo once."""
    bea, cal = emu.person("Bea"), emu.person("Cal")
    b = await give(bea, SERVICE, "The lift at the library has been out of order since May.")
    await consent(cal)
    await press(cal, SERVICE)
    await reply_to(cal, cal.send_photo(gps_photo(), caption=WORDS))
    c = await saved(cal)
    card_b, card_c = await card_of(team.group, b), await card_of(team.group, c)
    await team.group.wait_for(lambda _: len(under(team, card_c, "photo")) == 1)
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    assert await say(team.sam, f"/merge {b} {c}") == texts.MERGED.format(item=c, into=b)
    await forget_all(bea)
    fresh = await team.group.wait_for(
        lambda msgs: any(
            (m.text or "").startswith(f"#{c} ") and m.message_id != card_c.message_id for m in msgs
        )
    )
    card = next(
        m
        for m in fresh
        if (m.text or "").startswith(f"#{c} ") and m.message_id != card_c.message_id
    )
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1)
    await team.group.wait_for(lambda _: card_c.deleted)
    photos = [m for m in team.group.messages if m.photo]
    assert len(photos) == 1, [(m.message_id, m.reply_to) for m in photos]


async def test_a_merged_item_whose_words_retention_removed_is_not_released_empty(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    """Cal's C, never decided, is merged into Cy's published A. Half a year on, retention
    removes the originals of decided items: C loses its words (never published). Cy then
    erases everything: C does not come back to the queue as an empty item to approve; it
    stays counted with A."""
    cal = emu.person("Cal")
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, clock.now)
    c = await give(cal, SERVICE, LIFT_C)
    await card_of(team.group, c)
    assert await say(team.sam, f"/merge {a} {c}") == texts.MERGED.format(item=c, into=a)
    clock.advance(days=181)
    await team.bot.privacy.retention()
    await forget_all(team.citizen)
    assert stored(db_path, f"SELECT status, text FROM feedback WHERE id = {c}") == [("merged", "")]
    assert f"#{c} " not in await say(team.sam, "/queue")
