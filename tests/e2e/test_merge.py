"""/merge A B end to end: a moderator says item B says what published item A says. B's
author is counted with A and hears back on it; B leaves the queue and every count; wrong or
forged numbers get a clear answer and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from emulator import Emulator
from handlers import texts
from storage import responses
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, has
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_merge_answers import shown_once_released
from tests.e2e.test_metoo import SAME, WIFI
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    press_card,
    team,  # noqa: F401 - the fixture, shared
)
from tests.e2e.test_responses import (
    CHANGED,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    notice_of,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

A_TEXT = "The 42 bus driver was very rude to my mother."
B_TEXT = "Bus number forty-two: the man at the wheel shouted at my mum all the way."


async def test_merge_counts_b_with_a_and_refuses_what_is_wrong(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    bea = emu.person("Bea")
    a = await give(team.citizen, "Buses", A_TEXT)
    b = await give(bea, "Buses", B_TEXT)
    other = await give(bea, "Central Library", "The library lift has been broken for weeks.")
    card_a, card_b = await card_of(team.group, a), await card_of(team.group, b)
    # Not published yet: nothing can be merged into it.
    assert "isn't published" in await say(team.sam, f"/merge {a} {b}")
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_a.text or ""))

    # Wrong or forged: a clear answer each, and nothing changes.
    assert await say(team.sam, "/merge") == texts.MERGE_USAGE
    assert await say(team.sam, f"/merge {a}") == texts.MERGE_USAGE
    assert "itself" in await say(team.sam, f"/merge {a} {a}")
    assert f"#{b + 99}" in await say(team.sam, f"/merge {a} {b + 99}")
    assert f"#{a + 99}" in await say(team.sam, f"/merge {a + 99} {b}")
    assert "different services" in await say(team.sam, f"/merge {a} {other}")
    assert f"#{b} isn't published" in await say(team.sam, f"/merge {b} {a}")
    assert await say(team.pat, f"/merge {a} {b}") == texts.NOT_ALLOWED
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.merged'") == [(0,)]

    reply = await say(team.sam, f"/merge #{a} #{b}")
    assert reply == texts.MERGED.format(item=b, into=a)
    await team.group.wait_for(lambda _: f"Merged into #{a}" in (card_b.text or ""))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("merged",)]
    ((bea_id,),) = stored(db_path, f"SELECT citizen_id FROM feedback WHERE id = {b}")
    assert stored(db_path, "SELECT feedback_id, citizen_id FROM supporters") == [(a, bea_id)]
    assert stored(db_path, "SELECT subject FROM audit WHERE action = 'item.merged'") == [
        (f"item:{b}",)
    ]
    # Out of the queue (the library item is all that waits), counted once with A.
    assert f"#{b} " not in await say(team.sam, "/queue")
    # Again, or the other way round: already merged, nothing changes.
    assert "already merged" in await say(team.sam, f"/merge {a} {b}")
    assert "already merged" in await say(team.sam, f"/merge {b} {a}")
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.merged'") == [(1,)]

    # A response to A reaches both authors, once each.
    async def respond(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
        response = await responses.create(
            conn, provider_id="p", service_slug="buses", theme_id=None, item_id=a,
            period=None, status="changed", text="We spoke to the driver.", author=5,
            follow_up_at=None, items=[a], now=datetime.now(UTC),
        )  # fmt: skip
        return await responses.audience(conn, response)

    audience = await team.bot.db.write(respond)
    assert len(audience) == 2 and bea_id in [c for c, _ in audience]
    await bea.send("/mine")
    found = await bea.wait_for(lambda msgs: "What you've told us" in (msgs[-1].text or ""))
    mine = found[-1].text or ""
    assert texts.MERGE_MINE_STATUS in mine
    # The answer shows under her own item; A is not listed as one she said "me too" to.
    assert "We spoke to the driver." in mine
    assert texts.MINE_SUPPORTED_HEADER not in mine and f"#{a}" not in mine


async def test_an_author_who_asked_to_hear_back_on_the_merged_item_hears_back_on_the_other(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    ada = emu.person("Ada")
    at = datetime.now(UTC)
    # Ada wrote A without asking to hear back, then B (the same) asking to.
    a = await add_item(
        team.bot.db, ada.id, "library", "The library wifi keeps dropping", at, hear_back=False
    )
    b = await add_item(team.bot.db, ada.id, "library", "Library wifi drops all the time", at)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)

    async def respond(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
        response = await responses.create(
            conn, provider_id="p", service_slug="library", theme_id=None, item_id=a,
            period=None, status="changed", text="New wifi points are in.", author=5,
            follow_up_at=None, items=[a], now=datetime.now(UTC),
        )  # fmt: skip
        return await responses.audience(conn, response)

    ((ada_id,),) = stored(db_path, f"SELECT citizen_id FROM feedback WHERE id = {a}")
    assert [c for c, _ in await team.bot.db.write(respond)] == [ada_id]


async def test_an_item_taken_down_cannot_be_merged_back_into_the_counts(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", "The library wifi drops", at)
    b = await add_item(team.bot.db, bea.id, "library", "Library wifi keeps dropping", at)
    await say(team.sam, f"/unpublish {b} it names a member of staff")
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("withdrawn",)]
    reply = await say(team.sam, f"/merge {a} {b}")
    assert reply == texts.MERGE_PROBLEMS["taken_down"].format(item=b, into=a)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("withdrawn",)]
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


async def test_unpublishing_an_item_puts_those_merged_into_it_back_in_the_queue(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """B (with a photo) merged into A, then A unpublished: B is back in the queue with its
    photo, its card offers a decision again, and its author hears that decision; /mine never
    says B went with A."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", "Library wifi drops all day", at)
    await consent(bea)
    await press(bea, SERVICE)
    await reply_to(bea, bea.send_photo(gps_photo(), caption=WORDS))
    b = await saved(bea)
    card_b = await card_of(team.group, b)
    await team.group.wait_for(lambda _: len(under(team, card_b, "photo")) == 1)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await team.group.wait_for(lambda _: f"Merged into #{a}" in (card_b.text or ""))
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {a}") == [(1,)]
    await bea.send("/mine")
    found = await bea.wait_for(lambda msgs: any("What you've told" in (m.text or "") for m in msgs))
    assert texts.MERGE_MINE_STATUS in (found[-1].text or "")

    reply = await say(team.sam, f"/unpublish {a} it names a member of staff")
    assert reply.startswith(texts.UNPUBLISHED.format(item=a))
    assert texts.UNPUBLISHED_UNMERGED.format(1, items=f"#{b}") in reply
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("pending",)]
    assert stored(db_path, f"SELECT COUNT(*) FROM media WHERE feedback_id = {b}") == [(1,)]
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE action = 'item.unmerged' AND subject = 'item:{b}'",
    ) == [(1,)]
    await team.group.wait_for(lambda _: texts.APPROVE in str(card_b.buttons))
    assert f"Merged into #{a}" not in (card_b.text or "")
    await bea.send("/mine")
    found = await bea.wait_for(
        lambda msgs: len([m for m in msgs if "What you've told us" in (m.text or "")]) == 2
    )
    mine = found[-1].text or ""
    assert texts.MERGE_GONE_MINE_STATUS not in mine and texts.MERGE_MINE_STATUS not in mine
    # Her support of A was the merge's: it went with it.
    assert f"#{a} ·" not in mine
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {a}") == [(0,)]
    # Decided on its own: published, and its author told so.
    told = len(bea.messages)
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    await bea.wait_for(
        lambda msgs: any(
            f"#{b} about {SERVICE} has been checked" in (m.text or "") for m in msgs[told:]
        )
    )
    # A moderator who unpublished by mistake cannot merge it back into the withdrawn one.
    assert "isn't published" in await say(team.sam, f"/merge {a} {b}")


async def test_a_chain_undone_keeps_each_photo_with_its_item_and_leaves_nothing_nowhere(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """C (with a photo) merged into B, B (published) into A; A unpublished: B published
    again as it was, with C still in it (and C's photo with B), its author not told twice;
    B then unpublished: C back in the queue too, with its photo, and its author's /mine never
    says it went with something taken down."""
    bea, cal = emu.person("Bea"), emu.person("Cal")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", "Library wifi drops all day", at)
    b = await give(bea, SERVICE, "The lift at the library has been out of order since May.")
    await consent(cal)
    await press(cal, SERVICE)
    await reply_to(cal, cal.send_photo(gps_photo(), caption=WORDS))
    c = await saved(cal)
    card_b = await card_of(team.group, b)
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    assert await say(team.sam, f"/merge {b} {c}") == texts.MERGED.format(item=c, into=b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    assert stored(db_path, "SELECT feedback_id FROM media WHERE kind = 'photo'") == [(a,)]

    published = stored(db_path, f"SELECT moderated_by, moderated_at FROM feedback WHERE id = {b}")

    reply = await say(team.sam, f"/unpublish {a} it names a member of staff")
    assert texts.UNPUBLISHED_REPUBLISHED.format(1, items=f"#{b}") in reply
    assert texts.UNPUBLISHED_UNMERGED.format(1, items=f"#{b}") not in reply
    assert stored(db_path, "SELECT feedback_id FROM media WHERE kind = 'photo'") == [(b,)]
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {c}") == [("merged",)]
    # Published as it was: by whom and when (a digest that showed it shows it no second time).
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("approved",)]
    assert (
        stored(db_path, f"SELECT moderated_by, moderated_at FROM feedback WHERE id = {b}")
        == published
    )
    await team.group.wait_for(
        lambda _: (
            "Published by \u2068Sam\u2069" in (card_b.text or "")
            and f"Merged into #{a}" not in (card_b.text or "")
        )
    )
    assert texts.APPROVE not in str(card_b.buttons)
    # C is with B, published again: nothing was taken down that C went with.
    await cal.send("/mine")
    found = await cal.wait_for(lambda msgs: any("What you've told" in (m.text or "") for m in msgs))
    assert texts.MERGE_MINE_STATUS in (found[-1].text or "")
    # Bea is owed no second word on B's publication.
    assert stored(db_path, f"SELECT author_told_at IS NOT NULL FROM feedback WHERE id = {b}") == [
        (1,)
    ]

    reply = await say(team.sam, f"/unpublish {b} it names a member of staff")
    assert texts.UNPUBLISHED_UNMERGED.format(1, items=f"#{c}") in reply
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {c}") == [("pending",)]
    assert stored(db_path, "SELECT feedback_id FROM media WHERE kind = 'photo'") == [(c,)]
    await cal.send("/mine")
    found = await cal.wait_for(
        lambda msgs: len([m for m in msgs if "What you've told" in (m.text or "")]) == 2
    )
    mine = found[-1].text or ""
    assert texts.MERGE_GONE_MINE_STATUS not in mine and texts.MERGE_MINE_STATUS not in mine


async def test_a_voice_note_nobody_wrote_down_is_not_merged(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """Merged, its audio would leave the chat and its file be forgotten: were it ever back
    in the queue, nobody could write it down. Written down first, it merges."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", "Library wifi drops all day", at)
    await consent(bea)
    await press(bea, SERVICE)
    await reply_to(bea, bea.send_voice(b"OggS-voice", duration=7))
    b = await saved(bea)
    reply = await say(team.sam, f"/merge {a} {b}")
    assert reply == texts.MERGE_PROBLEMS["needs_transcript"].format(item=b, into=a)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("pending",)]
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE file_id IS NOT NULL") == [(1,)]


async def test_an_item_merged_into_one_answered_already_brings_its_author_the_answer(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    """A answered by the service; B (its author asked to hear back) merged into it later:
    B's author gets A's answer, once."""
    bea = emu.person("Bea")
    at = datetime.now(UTC)
    a = await add_item(team.bot.db, team.citizen.id, "library", "Library wifi drops all day", at)
    b = await add_item(team.bot.db, bea.id, "library", "The wifi at the library is useless", at)

    async def respond(conn: aiosqlite.Connection) -> int:
        return await responses.create(
            conn, provider_id="culture-leisure", service_slug="library", theme_id=None,
            item_id=a, period=None, status="changed", text="We replaced the router.",
            author=team.pat.id, follow_up_at=None, items=[a], now=team.bot.clock(),
        )  # fmt: skip

    await team.bot.db.write(respond)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await run_job(team.bot, "send-to-citizens")
    found = await bea.wait_for(lambda m: any("has responded" in (x.text or "") for x in m))
    (notice,) = [m.text or "" for m in found if "has responded" in (m.text or "")]
    assert "We replaced the router." in notice
    # She knows it by her own item, not as one she added her voice to.
    assert f"your feedback #{b}" in notice and "added your voice" not in notice
    await run_job(team.bot, "send-to-citizens")
    assert len([m for m in bea.messages if "has responded" in (m.text or "")]) == 1


async def test_an_item_merged_before_any_digest_showed_it_is_in_the_next_once_released(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """B published, then merged into A before any digest; Monday's digest counts B's author
    with A. A unpublished: B is published again and, as no provider ever read it, the next
    digest shows it (published again as of then, not of a period already sent)."""
    alice, bea = emu.person("Alice"), emu.person("Bea")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    b_text = "The toilets on the first floor of the library were filthy"
    b = await add_item(world.bot.db, bea.id, "library", b_text, WEDNESDAY)
    assert await say(world.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    first = await digest_in_private(world, clock)
    assert b_text not in (first.text or "")
    await shown_once_released(world, clock, db_path, a, b, b_text)


async def test_an_answer_a_merge_queued_is_not_sent_once_the_merge_is_released(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A answered; B merged into it queues A's answer for B's author, who has blocked the
    bot. A is unpublished at once: B stands on its own, and its author, back, is not sent
    A's answer as the item she added her voice to."""
    alice, bea = emu.person("Alice"), emu.person("Bea")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    b = await add_item(world.bot.db, bea.id, "library", SAME, WEDNESDAY)
    await answer_item(world.pat, a, CHANGED)
    await send_words(world.pat, "We replaced the wifi router.")
    await notice_of(alice)
    bea.block()
    assert await say(world.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await say(world.sam, f"/unpublish {a} it names a member of staff")
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {a}") == [(0,)]
    bea.unblock()
    # Back: what waited for her while she had blocked the bot is due again.
    await bea.send("/mine")
    await bea.wait_for(has("What you've told"))
    await run_job(world.bot, "send-to-citizens")
    row = (
        "SELECT state FROM outbox o JOIN citizens c ON c.id = o.citizen_id"
        f" WHERE c.telegram_id = {bea.id}"
    )
    assert stored(db_path, row) == [("cancelled",)]
    assert not any("has responded" in (m.text or "") for m in bea.messages)
