"""The moderators' path, and what careless or hostile people in that role do on it: merges of
one's own duplicates, of items whose author asked not to hear back, undoing an item others
went into, chains of merges and wrong numbers, edits empty, huge or putting details back, a
card deleted by hand, a long queue, a moderator removed mid-edit, photos checked one by one
and replayed buttons. Each reply is read as the moderator reads it, and the database is
checked for what it holds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.intake import CONSENT_VERSION
from emulator import Emulator, MessageView
from handlers import texts
from storage import citizens, feedback, responses, supporters
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, give, press_card
from tests.e2e.test_moderation import team as team  # the fixture

BUS = "The 42 bus driver was very rude to my mother at the station."
BUS_AGAIN = "Bus 42: the driver shouted at my mum at the station, very rude."
LATE = "The number 7 bus is late every single morning this month."


async def pending(
    team: Team, telegram_id: int, service: str, text: str, hear_back: bool = True
) -> int:
    """An item as a citizen leaves it (saved, not yet tagged), straight into storage, at the
    bot's time."""
    clock = team.bot.clock

    async def run(conn: aiosqlite.Connection) -> int:
        now = clock()
        citizen = await citizens.get_or_create(conn, telegram_id, now)
        if await citizens.latest_consent(conn, citizen.id) is None:
            await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", now)
        return await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug=service,
            text=text,
            rating=2,
            hear_back=hear_back,
            now=now,
        )

    return await team.bot.db.write(run)


async def sweep(team: Team) -> None:
    """Run the moderation sweep now: new items are tagged and their cards posted."""
    job_queue = team.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("moderation-sweep")
    await job.run(team.bot.application)


async def carded(team: Team, item: int) -> MessageView:
    await sweep(team)
    return await card_of(team.group, item)


async def approve(team: Team, item: int) -> MessageView:
    card = await carded(team, item)
    assert (await press_card(team.sam, team.group, card, texts.APPROVE)).get("text") in (None, "")
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    return card


def supporters_of(db_path: Path, item: int) -> list[tuple[int]]:
    return stored(
        db_path,
        "SELECT c.telegram_id FROM supporters s JOIN citizens c ON c.id = s.citizen_id"
        f" WHERE s.feedback_id = {item} ORDER BY c.telegram_id",
    )


async def test_merging_ones_own_duplicate_counts_the_author_once(team: Team, db_path: Path) -> None:
    """A citizen who said the same twice is one person: merged, they do not support their own
    item (the digest would say one more person said so)."""
    cy = team.citizen
    a = await pending(team, cy.id, "buses", BUS)
    b = await pending(team, cy.id, "buses", BUS_AGAIN)
    await approve(team, a)
    card_b = await card_of(team.group, b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await team.group.wait_for(lambda _: f"Merged into #{a}" in (card_b.text or ""))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {b}") == [("merged",)]
    assert supporters_of(db_path, a) == []

    # Someone else's duplicate, merged too: one supporter, and the author of A not among them.
    bea = team.mo  # any other person will do
    c = await pending(team, bea.id, "buses", "The driver on the 42 was rude to us too.")
    await carded(team, c)
    assert await say(team.sam, f"/merge {a} {c}") == texts.MERGED.format(item=c, into=a)
    assert supporters_of(db_path, a) == [(bea.id,)]


async def test_a_merged_author_who_asked_not_to_hear_back_is_not_told(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """B's author said "no" to hearing back: merged into A, they are counted with A, and a
    response to A still does not reach them (it reaches A's author, who said yes)."""
    quiet, keen = emu.person("Quiet"), emu.person("Keen")
    a = await pending(team, keen.id, "buses", BUS, hear_back=True)
    b = await pending(team, quiet.id, "buses", BUS_AGAIN, hear_back=False)
    await approve(team, a)
    await carded(team, b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    # Counted with A, as anyone who said the same.
    assert supporters_of(db_path, a) == [(quiet.id,)]

    async def respond(conn: aiosqlite.Connection) -> list[tuple[int, int]]:
        response = await responses.create(
            conn, provider_id="p", service_slug="buses", theme_id=None, item_id=a,
            period=None, status="changed", text="We spoke to the driver.", author=5,
            follow_up_at=None, items=[a], now=datetime.now(UTC),
        )  # fmt: skip
        return await responses.audience(conn, response)

    audience = await team.bot.db.write(respond)
    ((keen_id,),) = stored(db_path, f"SELECT id FROM citizens WHERE telegram_id = {keen.id}")
    assert [c for c, _ in audience] == [keen_id]


async def test_an_approval_others_were_merged_into_cannot_be_undone(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Undone, A would go back to the queue (and maybe be rejected) with B inside it: B's
    words would be in no count at all. Undo is refused, and unpublishing is offered."""
    bea = emu.person("Bea")
    a = await pending(team, team.citizen.id, "buses", BUS)
    b = await pending(team, bea.id, "buses", BUS_AGAIN)
    card_a = await approve(team, a)
    assert texts.UNDO in buttons_of(card_a)
    await carded(team, b)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    answer = await press_card(team.mo, team.group, card_a, texts.UNDO)
    assert answer.get("show_alert") is True
    assert f"/unpublish {a}" in str(answer.get("text")), answer
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {a}") == [("approved",)]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.undone'") == [(0,)]
    assert supporters_of(db_path, a) == [(bea.id,)]


async def test_an_approval_someone_joined_cannot_be_undone(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A citizen who said "me too" to a just-published item had their own words dropped:
    undone (and maybe rejected), their support would point at nothing published."""
    bea = emu.person("Bea")
    a = await pending(team, team.citizen.id, "buses", BUS)
    card_a = await approve(team, a)
    assert texts.UNDO in buttons_of(card_a)

    async def join(conn: aiosqlite.Connection) -> None:
        citizen = await citizens.get_or_create(conn, bea.id, datetime.now(UTC))
        assert await supporters.add(conn, a, citizen.id, datetime.now(UTC))

    await team.bot.db.write(join)
    answer = await press_card(team.mo, team.group, card_a, texts.UNDO)
    assert answer.get("show_alert") is True
    assert "me too" in str(answer.get("text")) and f"/unpublish {a}" in str(answer.get("text"))
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {a}") == [("approved",)]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.undone'") == [(0,)]


async def test_merge_chains_and_wrong_numbers(team: Team, emu: Emulator, db_path: Path) -> None:
    bea, cal, dee = emu.person("Bea"), emu.person("Cal"), emu.person("Dee")
    a = await pending(team, team.citizen.id, "buses", BUS)
    b = await pending(team, bea.id, "buses", BUS_AGAIN)
    c = await pending(team, cal.id, "buses", "Rude driver on the 42 again, shouting at people.")
    d = await pending(team, dee.id, "buses", LATE)
    library = await pending(team, dee.id, "library", "The library lift is broken again.")
    await approve(team, a)
    await approve(team, c)
    for item in (b, d, library):
        await carded(team, item)
    before = stored(db_path, "SELECT id, status, version FROM feedback ORDER BY id")

    # Wrong in every way a hurried moderator can be: each has a clear answer, nothing changes.
    for wrong in (
        f"/merge {a} {b} {c}",
        f"/merge {a}",
        "/merge a b",
        f"/merge -{a} {b}",
        "/merge ١ ٢",
        f"/merge {a},{b}",
        f"/merge {a} {b}.5",
    ):
        assert await say(team.sam, wrong) == texts.MERGE_USAGE, wrong
    assert f"#{'9' * 30}" in await say(team.sam, f"/merge {a} {'9' * 30}")
    assert "#0" in await say(team.sam, f"/merge {a} 0")
    assert "itself" in await say(team.sam, f"/merge {a} #{a}")
    assert "different services" in await say(team.sam, f"/merge {a} {library}")
    assert f"#{d} isn't published" in await say(team.sam, f"/merge {d} {b}")
    assert stored(db_path, "SELECT id, status, version FROM feedback ORDER BY id") == before
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]

    # B into A, then A (with B's author behind it) into C: C gathers everyone.
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    assert await say(team.mo, f"/merge {c} {a}") == texts.MERGED.format(item=a, into=c)
    assert supporters_of(db_path, c) == sorted([(team.citizen.id,), (bea.id,)])
    # Nothing can go into a merged item, nor a merged item anywhere, nor round in a circle.
    assert "already merged" in await say(team.sam, f"/merge {a} {d}")
    assert "already merged" in await say(team.sam, f"/merge {c} {a}")
    assert "already merged" in await say(team.sam, f"/merge {b} {c}")
    assert stored(db_path, "SELECT id, status FROM feedback WHERE id IN (1, 2, 3) ORDER BY id")
    statuses = dict(stored(db_path, "SELECT id, status FROM feedback"))
    assert (statuses[a], statuses[b], statuses[c], statuses[d]) == (
        "merged",
        "merged",
        "approved",
        "pending",
    )
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.merged'") == [(2,)]
    # The queue no longer lists what was merged; D and the library item wait.
    queue = await say(team.sam, "/queue")
    assert "2 waiting" in queue and f"#{b} " not in queue and f"#{d} " in queue


async def test_two_moderators_merging_one_item_two_ways_at_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    bea, dee = emu.person("Bea"), emu.person("Dee")
    a = await pending(team, team.citizen.id, "buses", BUS)
    c = await pending(team, bea.id, "buses", "Rude driver on the 42 again, shouting at people.")
    b = await pending(team, dee.id, "buses", BUS_AGAIN)
    await approve(team, a)
    await approve(team, c)
    await carded(team, b)
    sam_said, mo_said = await asyncio.gather(
        say(team.sam, f"/merge {a} {b}"), say(team.mo, f"/merge {c} {b}")
    )
    # One merge happens; the other is told B went already; Dee supports the one it went into.
    done = [texts.MERGED.format(item=b, into=a), texts.MERGED.format(item=b, into=c)]
    assert len([r for r in (sam_said, mo_said) if r in done]) == 1, (sam_said, mo_said)
    assert len([r for r in (sam_said, mo_said) if "already merged" in r]) == 1
    ((into,),) = stored(db_path, f"SELECT withdrawn_reason FROM feedback WHERE id = {b}")
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'item.merged'") == [(1,)]
    assert supporters_of(db_path, int(str(into).lstrip("#"))) == [(dee.id,)]
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(1,)]


async def test_edits_empty_huge_and_putting_details_back(team: Team, db_path: Path) -> None:
    item = await give(
        team.citizen,
        "Riverside GP Surgery",
        "Dr Patel was rude to me at reception. Call me on 07700 900123 if you need more.",
    )
    card = await card_of(team.group, item)
    assert "07700" not in (card.text or "")

    async def prompt() -> MessageView:
        await press_card(team.sam, team.group, card, texts.EDIT)
        found = await team.group.wait_for(
            lambda msgs: any("reply to this message" in (m.text or "") for m in msgs[-2:])
        )
        return next(m for m in reversed(found) if "reply to this message" in (m.text or ""))

    asked = await prompt()
    # A photo in reply is no text: refused kindly, nothing kept, the edit still open.
    photo = [{**team.sam._media(gps_photo(), "photo"), "width": 90, "height": 68}]
    team.sam._post(
        team.group.chat, {"photo": photo, **team.sam._reply_fields(team.group.chat, asked)}
    )
    await team.group.wait_for(
        lambda msgs: (msgs[-1].text or "") == texts.EDIT_TEXT_ONLY.format(item=item)
    )
    # Only spaces: empty.
    await team.sam.send("   ", chat=team.group, reply_to=asked)
    await team.group.wait_for(lambda msgs: "can't be empty" in (msgs[-1].text or ""))
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(None,)]

    # The longest text Telegram carries, all markup characters: kept exactly, the card fits.
    huge = ("<b>&amp;</b> " * 400)[:4096].strip()
    await team.sam.send(huge, chat=team.group, reply_to=asked)
    await team.group.wait_for(lambda _: texts.CARD_EDITED in (card.text or ""), timeout=10)
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(huge,)]
    assert len(card.text or "") <= 4096 and "&amp;" in (card.text or "")
    assert texts.WHOLE_TEXT in buttons_of(card)

    # An edit that puts the phone number back: the card asks to check it before approving.
    asked = await prompt()
    back = "Dr Patel was rude to me at reception. Call me on 07700 900123."
    await team.sam.send(back, chat=team.group, reply_to=asked)
    await team.group.wait_for(lambda _: "07700 900123" in (card.text or ""), timeout=10)
    assert "Check before approving" in (card.text or "") or "check" in (card.text or "").lower()
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}") == [(back,)]


async def test_a_card_deleted_by_hand_can_be_posted_again_from_the_queue(
    team: Team, db_path: Path
) -> None:
    """A moderator deletes a card in the group (by mistake, or tidying): the item still
    waits, and /queue gives a way to have its card again, once."""
    item = await pending(team, team.citizen.id, "buses", LATE)
    card = await carded(team, item)
    team.group.chat.deleted.add(card.message_id)  # deleted by a person in the group
    # Just saved, its card not made yet (the sweep has not run): no button to post it early.
    later = await pending(team, team.citizen.id, "buses", BUS)
    queue = await say(team.sam, "/queue")
    assert f"#{item}" in queue and f"#{later}" in queue
    listing = team.sam.messages[-1]
    label = texts.QUEUE_POST.format(item=item)
    assert label in buttons_of(listing), listing.buttons
    if texts.QUEUE_POST.format(item=later) in buttons_of(listing):  # the timer's sweep ran
        assert stored(db_path, f"SELECT card_message_id FROM feedback WHERE id = {later}") != [
            (None,)
        ]
    answer = await press_card(team.sam, team.group, listing, label)
    assert answer.get("text") == texts.CARD_POSTED.format(item=item)
    cards = [
        m for m in team.group.messages if (m.text or "").startswith(f"#{item} ") and not m.deleted
    ]
    assert len(cards) == 1 and cards[0].message_id != card.message_id
    assert stored(db_path, f"SELECT card_message_id FROM feedback WHERE id = {item}") == [
        (cards[0].message_id,)
    ]
    # Pressed again while that card is there: not a second one.
    again = await press_card(team.sam, team.group, listing, label)
    assert again.get("text") == texts.CARD_ALREADY.format(item=item)
    shown = [m.message_id for m in team.group.messages if (m.text or "").startswith(f"#{item} ")]
    assert shown == [cards[0].message_id]
    # The new card works.
    await press_card(team.sam, team.group, cards[0], texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (cards[0].text or ""))


async def test_queue_with_many_long_items_fits_and_lists_the_oldest(
    team: Team, db_path: Path
) -> None:
    long = "The bins were not collected again. " * 110  # near Telegram's limit
    items = [await pending(team, team.citizen.id, "bins", long[: 3900 - i]) for i in range(30)]
    queue = await say(team.sam, "/queue")
    assert "30 waiting" in queue
    assert f"#{items[0]} " in queue and f"#{items[-1]} " not in queue
    assert "…and 25 more." in queue
    assert len(queue) < 4096 and "bins were not" not in queue


async def test_a_moderator_removed_mid_edit_changes_nothing_and_others_go_on(
    team: Team, db_path: Path
) -> None:
    item = await pending(team, team.citizen.id, "buses", LATE)
    card = await carded(team, item)
    await press_card(team.mo, team.group, card, texts.EDIT)
    asked = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    # The admin revokes Mo's role meanwhile (Mo stays in the group, as people do).
    await say(team.admin, "/roles")
    revoke = next(label for row in team.admin.last.buttons for label in row if "Mo" in label)
    await press(team.admin, revoke)
    await press(team.admin, texts.REVOKE_YES)
    assert await say(team.mo, "/queue") == texts.NOT_ALLOWED
    await team.mo.send("Totally different words of my own.", chat=team.group, reply_to=asked)
    await sweep(team)  # the reply handled, whatever it did
    await asyncio.sleep(0.3)
    assert stored(db_path, f"SELECT edited_text, status FROM feedback WHERE id = {item}") == [
        (None, "pending")
    ]
    # Sam edits and approves as usual.
    await press_card(team.sam, team.group, card, texts.EDIT)
    mine = (
        await team.group.wait_for(
            lambda msgs: (
                "reply to this message" in (msgs[-1].text or "")
                and msgs[-1].message_id != asked.message_id
            )
        )
    )[-1]
    await team.sam.send("The 7 bus is late every morning.", chat=team.group, reply_to=mine)
    await team.group.wait_for(lambda _: "late every morning" in (card.text or ""))
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT published_text FROM feedback WHERE id = {item}") == [
        ("The 7 bus is late every morning.",)
    ]
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE subject = 'item:{item}' AND actor = {team.mo.id}",
    ) == [(0,)]


async def test_each_photo_is_checked_and_replayed_photo_buttons_do_nothing(
    team: Team, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, "Central Library")
    said = await reply_to(
        citizen, citizen.send_photo(gps_photo(), caption="The roof leaks onto the books.")
    )
    assert "(1 of 3)" in said
    await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 2)
    first, second = under(team, card, "photo")
    data = buttons_of(first)[texts.PHOTO_APPROVE]
    # A citizen and a provider replay the moderators' photo button: refused, nothing changes.
    for person in (citizen, team.pat):
        answer = await (await person.press_data(person.messages[-1].message_id, data)).answered()
        assert answer.get("text") == texts.NOT_ALLOWED_BUTTON
    assert stored(db_path, "SELECT DISTINCT status FROM media") == [("pending",)]
    # Two moderators on one photo at once; the other approved alone.
    await asyncio.gather(
        press_card(team.sam, team.group, first, texts.PHOTO_APPROVE),
        press_card(team.mo, team.group, first, texts.PHOTO_REJECT),
    )
    await press_card(team.sam, team.group, second, texts.PHOTO_APPROVE)
    await team.group.wait_for(lambda _: "approved by \u2068Sam\u2069" in (second.text or ""))
    statuses = [r[0] for r in stored(db_path, "SELECT status FROM media ORDER BY id")]
    assert statuses[1] == "approved" and statuses[0] in ("approved", "rejected")
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action LIKE 'photo.%'")[0][0] in (2, 3)
    # The item approved; the provider gets the approved photo and not the other one.
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
