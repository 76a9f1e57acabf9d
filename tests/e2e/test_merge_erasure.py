"""Merges and erasure: what was merged into an item its author erases stands on its own
again, nothing merges into words that are gone, and a forgotten author merged in still
counts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.digest_content import Period
from bot.evidence import evidence
from emulator import Emulator
from handlers import texts
from storage import published, supporters
from storage import services as services_store
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

EVER = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


async def test_a_chain_whose_middle_author_forgets_still_counts_then_releases_the_first(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """C (with a photo, never decided) merged into B, B into A. B's author does /forget: B
    stays, counted with A without words, and C with it; once A is unpublished C is back in
    the queue with its photo (B having nothing to stand on), its card offering a decision."""
    bea, cal = emu.person("Bea"), emu.person("Cal")
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, datetime.now(UTC))
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
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    assert stored(db_path, "SELECT feedback_id FROM media WHERE kind = 'photo'") == [(a,)]

    await forget_all(bea)
    # B still counts with A, as an anonymous contribution without words; C with it.
    assert stored(db_path, f"SELECT citizen_id, status, text FROM feedback WHERE id = {b}") == [
        (0, "merged", "")
    ]
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {c}") == [("merged",)]
    # A is unpublished: B has no words to stand on, and stays; C, merged into it, stands
    # on its own, back in the queue with its photo; its author no longer counts with A.
    await say(team.sam, f"/unpublish {a} it names a member of staff")
    assert stored(db_path, f"SELECT status, withdrawn_reason FROM feedback WHERE id = {c}") == [
        ("pending", None)
    ]
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("merged",)]
    assert stored(db_path, "SELECT feedback_id, merged_from FROM media WHERE kind = 'photo'") == [
        (c, None)
    ]
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {a}") == [(0,)]
    # Its card offers a decision again.
    await team.group.wait_for(lambda _: texts.APPROVE in str(card_c.buttons))
    await press_card(team.sam, team.group, card_c, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_c.text or ""))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {c}") == [("approved",)]


async def test_an_item_merged_into_one_whose_author_erases_it_is_published_again(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's published B merged into Cy's A; Cy does /forget, "Erase everything": A's words
    are wiped, and B is published again as it was, its words read by providers."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await forget_all(team.citizen)
    assert stored(db_path, f"SELECT status, withdrawn_reason FROM feedback WHERE id = {b}") == [
        ("approved", None)
    ]
    shown = await published.items(team.bot.db.reader, ["library"])
    assert any("mum cannot get upstairs" in item.text for item in shown)
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {a}") == [(0,)]
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE action = 'item.unmerged' AND subject = 'item:{b}'",
    ) == [(1,)]


async def test_merging_into_an_item_its_author_erased_is_refused(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """Cy's published A is erased by her /forget (it counts, with no words): a merge of Bea's
    B into it is refused as one into an item not published, and B stays as it was."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    await forget_all(team.citizen)
    assert stored(db_path, f"SELECT status, published_text FROM feedback WHERE id = {a}") == [
        ("approved", "")
    ]
    reply = await say(team.sam, f"/merge {a} {b}")
    assert reply == texts.MERGE_PROBLEMS["not_published"].format(item=a, into=a)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("approved",)]
    shown = await published.items(team.bot.db.reader, ["library"])
    assert any("mum cannot get upstairs" in item.text for item in shown)


async def test_an_item_whose_author_forgot_merged_in_still_counts_its_person(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """Bea's published B stays as an anonymous contribution after her /forget. Merged into
    A, which says the same, B's author is counted with A: the report's People stays 2, and
    A's quote counts one more person who said the same."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", LIFT_A, at)
    b = await add_item(team.bot.db, bea.id, "library", LIFT_B, at)
    await bea.send("/forget")
    await bea.wait_for(last_has("can't be undone"))
    await press_on(bea, bea.messages[-1], texts.FORGET_KEEP)
    await bea.wait_for(last_has(texts.FORGET_DONE))
    assert stored(db_path, f"SELECT citizen_id, status FROM feedback WHERE id = {b}") == [
        (0, "approved")
    ]
    (library,) = [s for s in await services_store.active(team.bot.db.reader) if s.slug == "library"]
    before = await evidence(team.bot.db, [library], EVER)
    assert before.total.items == 2 and before.total.people == 2
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    after = await evidence(team.bot.db, [library], EVER)
    assert after.total.items == 1 and after.total.people == 2
    assert await supporters.counts(team.bot.db.reader, [a]) == {a: 1}
