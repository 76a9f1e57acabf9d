"""An author's merged item after their erasure: counted once with the item it went into, its
words gone everywhere (the audit log, others' offers), others' words merged into theirs
standing on their own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.digest_content import Period
from bot.evidence import evidence
from emulator import Emulator
from handlers import texts
from storage import services as services_store
from storage import supporters
from tests.e2e.helpers import add_item, last_has, press_on
from tests.e2e.test_citizen import consent, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE
from tests.e2e.test_metoo import DAN_WIFI, SAME, WIFI, erase, offered
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_privacy import everything_in
from tests.e2e.test_privacy_attacks import forget_all
from tests.e2e.test_responses import WEDNESDAY, World
from tests.e2e.test_responses import world as world

LIFT_A = "The lift at the library has been broken for three weeks now."
LIFT_B = "Library lift out of order again, my mum Gwenllian cannot get upstairs."
LIFT_C = "Lift at the central library broken, had to carry the pram up."
LIFT_B2 = "Still no lift at the library, Gwenllian missed her reading group."
EVER = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def forget_keep(person) -> None:  # type: ignore[no-untyped-def]
    await person.send("/forget")
    await person.wait_for(last_has("can't be undone"))
    await press_on(person, person.messages[-1], texts.FORGET_KEEP)
    await person.wait_for(last_has(texts.FORGET_DONE))


async def _library(team: Team):  # type: ignore[no-untyped-def]  # noqa: F811
    (library,) = [s for s in await services_store.active(team.bot.db.reader) if s.slug == "library"]
    return library


async def test_erased_merged_items_words_leave_the_audit_log(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's B merged into Cy's A (the /merge is audited with B's text as `before`). Bea
    erases everything: B's words leave the audit row of the merge too."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await forget_all(bea)
    assert stored(db_path, f"SELECT text FROM feedback WHERE id = {b}") == [("",)]
    assert "Gwenllian" not in everything_in(db_path), stored(
        db_path, f"SELECT action, before, after FROM audit WHERE subject = 'item:{b}'"
    )


async def test_one_author_of_both_items_counts_once_after_forgetting(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea wrote A and B, both published; B merged into A: she is one person, counted once.
    She forgets, keeping what was published: still one person, and A has no one more."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, bea.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    library = await _library(team)
    before = await evidence(team.bot.db, [library], EVER)
    assert before.total.people == 1
    assert (await supporters.counts(team.bot.db.reader, [a])).get(a, 0) == 0
    await forget_keep(bea)
    after = await evidence(team.bot.db, [library], EVER)
    counted = (await supporters.counts(team.bot.db.reader, [a])).get(a, 0)
    assert (after.total.people, counted) == (1, 0), "one person, counted twice after /forget"


async def test_two_merged_items_of_one_author_count_one_person_after_forgetting(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's B1 and B2 both merged into Cy's A: 2 people, +1. After her /forget (keep
    published) still 2 people, +1."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b1 = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    b2 = await add_item(team.bot.db, bea.id, "library", LIFT_B2, at)
    assert await say(team.sam, f"/merge {a} {b1}") == texts.MERGED.format(item=b1, into=a)
    assert await say(team.sam, f"/merge {a} {b2}") == texts.MERGED.format(item=b2, into=a)
    library = await _library(team)
    assert (await evidence(team.bot.db, [library], EVER)).total.people == 2
    assert await supporters.counts(team.bot.db.reader, [a]) == {a: 1}
    await forget_keep(bea)
    after = await evidence(team.bot.db, [library], EVER)
    counted = await supporters.counts(team.bot.db.reader, [a])
    assert (after.total.people, counted) == (2, {a: 1})


async def test_an_offer_quoting_a_merged_item_whose_author_erases_everything_is_drawn_again(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob is offered Alice's item and Dan's. Dan's is then merged into Alice's; Dan erases
    everything: Bob's offer no longer quotes Dan's words."""
    alice, dan, bob = emu.person("Alice"), emu.person("Dan"), emu.person("Bob")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    d = await add_item(world.bot.db, dan.id, "library", DAN_WIFI, WEDNESDAY)
    await consent(bob)
    said = await offered(bob, SAME)
    assert WIFI in said and DAN_WIFI in said
    offer = bob.last

    async def merge(conn: aiosqlite.Connection) -> None:
        await supporters.merge(conn, a, d, 1, WEDNESDAY)

    await world.bot.db.write(merge)
    await erase(dan, texts.FORGET_ALL)
    assert stored(db_path, f"SELECT status, text FROM feedback WHERE id = {d}") == [("merged", "")]
    await run_job(world.bot, "take-back-messages")
    await emu.idle(quiet=0.3)
    assert DAN_WIFI not in (offer.text or ""), offer.text


async def test_own_item_merged_into_own_then_erase_everything_posts_no_card_anew(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's published B merged into her own published A. She erases everything: B is not
    released to be erased at once, and no card (with her words, or empty) is posted anew."""
    bea = emu.person("Bea")
    a = await give(bea, SERVICE, LIFT_A)
    b = await give(bea, SERVICE, LIFT_B)
    card_a, card_b = await card_of(team.group, a), await card_of(team.group, b)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_a.text or ""))
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    seen = {m.message_id for m in team.group.messages}
    await forget_all(bea)
    await team.group.wait_for(lambda _: card_b.deleted and card_a.deleted)
    await emu.idle(quiet=0.5)
    fresh = [m.text for m in team.group.messages if m.message_id not in seen and not m.deleted]
    assert not any("Gwenllian" in (t or "") for t in fresh), fresh
    assert not any((t or "").startswith(f"#{b} ") for t in fresh), fresh


async def test_own_item_merged_into_own_then_erase_everything_counts_her_once(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's published B merged into her own published A. She erases everything: she was
    one person with one item, and stays so in the report."""
    bea = emu.person("Bea")
    a = await give(bea, SERVICE, LIFT_A)
    b = await give(bea, SERVICE, LIFT_B)
    card_a, card_b = await card_of(team.group, a), await card_of(team.group, b)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_a.text or ""))
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    library = await _library(team)
    assert (await evidence(team.bot.db, [library], EVER)).total.people == 1
    await forget_all(bea)
    after = await evidence(team.bot.db, [library], EVER)
    assert (after.total.items, after.total.people) == (1, 1), stored(
        db_path, "SELECT id, status, erased, withdrawn_reason FROM feedback"
    )


async def test_a_chain_of_own_items_releases_anothers_words_merged_into_them(
    team: Team,  # noqa: F811
    emu: Emulator,
    db_path: Path,
) -> None:
    """Cal's published C merged into Bea's published B, B into Bea's published A. Bea erases
    everything: her words go, and Cal's C stands on its own again, published."""
    bea, cal = emu.person("Bea"), emu.person("Cal")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, bea.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    c = await add_item(team.bot.db, cal.id, "library", LIFT_C, at)
    assert await say(team.sam, f"/merge {b} {c}") == texts.MERGED.format(item=c, into=b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await forget_all(bea)
    worded = f"SELECT COUNT(*) FROM feedback WHERE id = {b} AND COALESCE(published_text, '') <> ''"
    assert stored(db_path, worded) == [(0,)]
    assert stored(db_path, f"SELECT status, withdrawn_reason FROM feedback WHERE id = {c}") == [
        ("approved", None)
    ]
