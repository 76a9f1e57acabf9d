"""The "me too" offer end to end: a citizen whose words match a published item may join
it, hears back on it like its author, and publishes nothing; "It's different" goes on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiosqlite

from bot.config import Deployment
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_guarantees import saved_then_crashed
from tests.e2e.test_moderation import invite
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

WIFI = "The wifi in the central library keeps dropping"
SAME = "Internet at the library disconnects every few minutes, wifi is useless"
TUESDAY = WEDNESDAY - timedelta(days=1)
STORY_TIME = "The children's story time on Saturday was wonderful"
DAN_WIFI = "Wifi at the central library keeps dropping all day"


async def erase(person: Person, choice: str) -> None:
    """/forget, and the choice of what goes."""
    await person.send("/forget")
    await person.wait_for(lambda msgs: bool(msgs) and "can't be undone" in (msgs[-1].text or ""))
    assert texts.FORGET_DONE in await press(person, choice)


async def offered(person: Person, words: str) -> str:
    """Choose the library, write; the bot's reply (the offer, or the rating question)."""
    assert "What happened" in await press(person, "Central Library")
    return await say(person, words)


async def test_a_near_duplicate_joins_the_published_item_and_both_hear_back_once(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice, bob, carol = emu.person("Alice"), emu.person("Bob"), emu.person("Carol")
    db = world.bot.db
    item = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    # Published, but another service's; and one of the library's never published.
    other = await add_item(db, alice.id, "parks", "The wifi in the park keeps dropping", WEDNESDAY)
    hidden = await add_item(db, alice.id, "library", "The wifi keeps dropping, awful", WEDNESDAY)

    async def withdraw(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE feedback SET status = 'withdrawn' WHERE id = ?", (hidden,))

    await db.write(withdraw)
    stored_rows = stored(db_path, "SELECT COUNT(*) FROM feedback")
    await consent(bob)
    reply = await offered(bob, SAME)
    assert "Is it one of these?" in reply and WIFI in reply
    offer = bob.messages[-1]
    labels = buttons_of(offer)
    assert labels["It's 1"].endswith(f":{item}") and texts.METOO_DIFFERENT in labels
    seq = labels["It's 1"].split(":")[1]

    # Forged: another service's item, a withdrawn one, one that does not exist: nothing.
    for forged in (other, hidden, 9999):
        result = await bob.press_data(offer.message_id, f"t:{seq}:{forged}")
        await result.answered()
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]

    joined = await press_on(bob, offer, "It's 1")
    assert joined is not None
    await bob.wait_for(last_has("Thank you: your support is added"))
    assert f"#{item}" in (bob.messages[-1].text or "")
    # Nothing of Bob's is an item: only his support.
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == stored_rows
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]

    # Carol's words are like it too, but hers is different: a new item, as before.
    await consent(carol)
    assert "Is it one of these?" in await offered(carol, SAME)
    assert "How would you rate it" in await press(carol, texts.METOO_DIFFERENT)
    assert "hear back" in await press(carol, "3")
    assert "involved" in await press(carol, texts.YES)
    assert "Saved as" in await press(carol, texts.NO)

    # The digest counts him with the item it quotes.
    digest = await digest_in_private(world, clock)
    assert "(+1 person said the same)" in (digest.text or "")

    await answer_item(world.pat, item, CHANGED)
    done = await send_words(world.pat, "We have replaced the library's wifi router.")
    assert "goes to 2 people" in done
    for person in (alice, bob):
        await person.wait_for(
            lambda m: any("has responded" in (x.text or "") for x in m), timeout=15
        )
    # Once each, however they came to it.
    for person in (alice, bob):
        assert sum("has responded" in (m.text or "") for m in person.messages) == 1
    assert not any("has responded" in (m.text or "") for m in carol.messages)
    # Alice hears of her own feedback; Bob of the one he added his voice to, not "yours".
    [heard_a] = [m.text or "" for m in alice.messages if "has responded" in (m.text or "")]
    [heard_b] = [m.text or "" for m in bob.messages if "has responded" in (m.text or "")]
    assert f"your feedback #{item}" in heard_a
    assert "your feedback" not in heard_b
    assert f"#{item}" in heard_b and "which you added your voice to" in heard_b


async def test_nothing_like_it_asks_nothing(world: World, emu: Emulator, db_path: Path) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    reply = await offered(bob, "The children's story time on Saturday was wonderful")
    assert "How would you rate it" in reply and "Is it one of these?" not in reply


async def test_only_an_item_offered_can_be_joined(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A forged join names a published item of the service never offered: at the offer,
    or at the rating question past it. Nothing changes."""
    alice, eve, bob = emu.person("Alice"), emu.person("Eve"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    other = await add_item(world.bot.db, eve.id, "library", STORY_TIME, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    offer = bob.last
    seq = buttons_of(offer)["It's 1"].split(":")[1]
    answer = await (await bob.press_data(offer.message_id, f"t:{seq}:{other}")).answered()
    assert answer.get("text") == texts.EXPIRED
    # Past the offer, at the rating question: nor then.
    assert "How would you rate" in await press(bob, "It's different")
    rating = bob.last
    seq = buttons_of(rating)["1"].split(":")[1]
    answer = await (await bob.press_data(rating.message_id, f"t:{seq}:{other}")).answered()
    assert answer.get("text") == texts.EXPIRED
    assert supported_by(db_path, bob) == []
    assert stored(db_path, "SELECT state FROM conversations") == [("rating",)]


async def test_an_offer_waiting_before_offers_were_kept_can_still_be_joined(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Shown by the release before migration 0042: the items it named were not kept."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)

    async def before(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE conversations SET offered_items = NULL")

    await world.bot.db.write(before)
    assert f"#{item}" in await press(bob, "It's 1")
    assert supported_by(db_path, bob) == [(item,)]


async def test_an_offer_quoting_words_their_author_erases_is_drawn_again_without_them(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob is offered Alice's item and Dan's. Dan erases himself but keeps his published
    words: the offer stands. Alice erases everything: the offer, searched anew, quotes her
    no more."""
    alice, dan, bob = emu.person("Alice"), emu.person("Dan"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    kept = await add_item(world.bot.db, dan.id, "library", DAN_WIFI, WEDNESDAY)
    await consent(bob)
    said = await offered(bob, SAME)
    assert WIFI in said and DAN_WIFI in said
    offer = bob.last
    await erase(dan, texts.FORGET_KEEP)
    await emu.idle(quiet=0.3)
    assert offer.text == said
    await erase(alice, texts.FORGET_ALL)
    await bob.wait_for(lambda _: WIFI not in (offer.text or ""))
    assert DAN_WIFI in (offer.text or "") and "It's 2" not in str(offer.buttons)
    await press_on(bob, offer, "It's 1")
    await bob.wait_for(lambda _: f"#{kept}" in (offer.text or ""))
    assert supported_by(db_path, bob) == [(kept,)]


async def test_an_offer_answered_before_the_erasure_is_taken_back_is_left_as_it_is(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob pressed "It's different" (his offer became the rating question in place): not
    touched. Eve joined Dan's item after Alice's erasure was committed and before its
    messages were taken back: her thanks, and its Undo, stay."""
    alice, dan, bob, eve = (emu.person(n) for n in ("Alice", "Dan", "Bob", "Eve"))
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    kept = await add_item(world.bot.db, dan.id, "library", DAN_WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    at_bob = bob.last
    await press_on(bob, at_bob, "It's different")
    await bob.wait_for(lambda _: "How would you rate it" in (at_bob.text or ""))
    await consent(eve)
    assert "Is it one of these?" in await offered(eve, SAME)
    at_eve = eve.last
    assert await world.bot.privacy.forget(10**9, alice.id, keep_published=False)
    await press_on(eve, at_eve, "It's 2")
    await eve.wait_for(lambda _: f"#{kept}" in (at_eve.text or ""))
    shown = [(at_bob.text, at_bob.buttons), (at_eve.text, at_eve.buttons)]
    await run_job(world.bot, "take-back-messages")
    await emu.idle(quiet=0.3)
    assert [(at_bob.text, at_bob.buttons), (at_eve.text, at_eve.buttons)] == shown
    assert not at_bob.deleted and not at_eve.deleted
    assert texts.METOO_UNDO in str(at_eve.buttons) and "3" in str(at_bob.buttons)
    assert stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]


async def test_an_offer_passed_over_by_words_typed_since_is_taken_back_on_the_erasure(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob typed more instead of answering: the offer stands above, quoting Alice. She erases
    everything: it goes; the question below stays."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    offer = bob.last
    assert "added that" in await say(bob, "And the staff said it has been like this for weeks")
    below = bob.last
    await erase(alice, texts.FORGET_ALL)
    await bob.wait_for(lambda _: offer.deleted)
    assert not below.deleted and "How would you rate it" in (below.text or "")
    assert stored(db_path, "SELECT state, offered FROM conversations") == [("rating", 0)]


async def test_an_offer_left_with_nothing_to_offer_becomes_the_rating_question(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    offer = bob.last
    await erase(alice, texts.FORGET_ALL)
    await bob.wait_for(lambda _: WIFI not in (offer.text or ""))
    assert "How would you rate it" in (offer.text or "") and "It's 1" not in str(offer.buttons)
    await press_on(bob, offer, "3")
    await bob.wait_for(lambda _: "hear back" in (offer.text or ""))
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT rating, offered FROM conversations") == [(3, 0)]


async def test_a_request_is_not_offered_a_complaint_about_the_same_thing(
    world: World, emu: Emulator
) -> None:
    """The kinds the theme model gives (the item's stored, the new words' found at the
    offer) must share one: asking for something is not the same report as a complaint."""
    alice, bob, carol = emu.person("Alice"), emu.person("Bob"), emu.person("Carol")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY, kind="complaint")
    await consent(bob)
    reply = await offered(bob, "Please could the central library get wifi that stops dropping")
    assert "How would you rate it" in reply and "Is it one of these?" not in reply
    await consent(carol)
    reply = await offered(carol, "wifi in the central library keeps dropping out, useless")
    assert "Is it one of these?" in reply and WIFI in reply


async def test_words_typed_at_the_offer_are_added_and_it_goes_on_as_different(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Typing instead of pressing loses nothing: the words join what they wrote, and it
    goes on as a new item (the offer's buttons still join, should they press one)."""
    alice, dan = emu.person("Alice"), emu.person("Dan")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(dan)
    assert "Is it one of these?" in await offered(dan, SAME)
    more = "It has been like this every evening since the new router went in"
    reply = await say(dan, more)
    assert texts.ADDED_TEXT.strip() in reply and "How would you rate it" in reply
    assert "hear back" in await press(dan, "3")
    assert "involved" in await press(dan, texts.YES)
    assert "Saved as" in await press(dan, texts.NO)
    ((text,),) = stored(db_path, "SELECT text FROM feedback ORDER BY id DESC LIMIT 1")
    assert text == f"{SAME}\n{more}"
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


async def test_the_same_words_sent_twice_at_the_offer_show_the_offer_again(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A message sent twice (a double tap, an app sending again) while the offer waits is
    neither more of the story nor past the offer: the offer again, the words kept once."""
    alice, erin = emu.person("Alice"), emu.person("Erin")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(erin)
    assert "Is it one of these?" in await offered(erin, SAME)
    again = await say(erin, SAME)
    assert "Is it one of these?" in again and "How would you rate it" not in again
    assert await press_on(erin, erin.messages[-1], "It's 1") is not None
    await erin.wait_for(last_has("Thank you: your support is added"))
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]


async def test_a_place_shared_at_the_offer_keeps_the_offer_waiting(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The place is kept and the list comes back under it: asked for a rating instead, a
    rating typed next was refused as a number of the list."""
    alice, dan = emu.person("Alice"), emu.person("Dan")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(dan)
    assert "Is it one of these?" in await offered(dan, SAME)
    await dan.send_location(52.4080, -1.5107)
    reply = (await dan.next_message()).text or ""
    assert "Central Library" in reply and "Is it one of these?" in reply
    assert "How would you rate it" not in reply and texts.METOO_DIFFERENT in buttons_of(dan.last)
    assert "How would you rate it" in await press(dan, texts.METOO_DIFFERENT)
    assert "hear back" in await say(dan, "3")
    assert stored(db_path, "SELECT site FROM places") == [("Central Library",)]
    assert stored(
        db_path, "SELECT COUNT(*) FROM supporters WHERE feedback_id = ?".replace("?", str(item))
    ) == [(0,)]


async def test_supporters_of_an_item_its_author_erased_hear_the_answer_to_its_theme(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """The author chose "erase everything": the item is counted in the digest but never
    quoted, and the one who said "me too" still hears when the service answers its theme."""
    from tests.e2e.test_responses import ACCESS, notice_of, respond

    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    await alice.send("/forget")
    await alice.wait_for(last_has("can't be undone"))
    assert texts.FORGET_DONE in await press(alice, texts.FORGET_ALL)
    assert stored(db_path, f"SELECT erased FROM feedback WHERE id = {item}") == [(1,)]

    digest = await digest_in_private(world, clock)
    assert WIFI not in (digest.text or "")
    done = await respond(
        world.pat, digest, f"↩️ Respond: {ACCESS}", CHANGED, "The library has new wifi."
    )
    assert "goes to 1 person" in done, done
    notice = await notice_of(bob)
    assert "new wifi" in (notice.text or "") and "added your voice to" in (notice.text or "")


async def test_joining_an_item_merged_since_into_ones_own_hears_back_on_ones_own(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Told "I'll let you know" on joining: they hear back, though the item is their own."""
    alice, carol = emu.person("Alice"), emu.person("Carol")
    # (A moderator merges what says the same; which words, this test does not mind.)
    own = await add_item(
        world.bot.db, carol.id, "library", "The toilets are dirty", WEDNESDAY, hear_back=False
    )
    theirs = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    # Her own item gave her consent already: the services come first.
    assert "Which service" in await say(carol, "/start")
    assert "Is it one of these?" in await offered(carol, SAME)
    offer = carol.messages[-1]
    assert buttons_of(offer)["It's 1"].endswith(f":{theirs}")
    await world.sam.send(f"/merge {own} {theirs}", chat=world.mods)
    await world.mods.wait_for(lambda m: any(f"#{theirs}" in (x.text or "") for x in m[-1:]))
    await press_on(carol, offer, "It's 1")
    await carol.wait_for(last_has("your support is added"))
    assert f"#{own}" in (carol.messages[-1].text or "")
    assert stored(db_path, f"SELECT hear_back FROM feedback WHERE id = {own}") == [(1,)]


async def test_ones_own_item_as_the_best_match_does_not_hide_anothers(
    world: World, emu: Emulator
) -> None:
    """Bob writes again what he wrote before: his own item is the closest by far, and is
    never offered to him; Alice's, further off, still is (it was cut as far below the best
    before his own was left out)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    own = await add_item(world.bot.db, bob.id, "library", SAME, WEDNESDAY)
    reply = await offered(bob, SAME)
    assert "Is it one of these?" in reply and WIFI in reply
    assert not any(label.endswith(f":{own}") for label in buttons_of(bob.messages[-1]).values())


async def test_a_join_can_be_undone_and_the_words_go_on_as_ones_own(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """An offer is wrong often enough that a join can be taken back: the support goes, the
    words come back at the rating (not offered again), and the item is saved as usual. A
    replayed, late, forged or busy "Undo" changes nothing."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    joined = await press_on(bob, bob.messages[-1], "It's 1")
    assert joined is not None
    await bob.wait_for(last_has("your support is added"))
    message = bob.messages[-1]
    assert texts.METOO_UNDO in buttons_of(message)
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]

    # Forged: another item's undo is not his to press.
    forged = await bob.press_data(message.message_id, f"n:{item + 1}")
    await forged.answered()
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]

    # Busy telling something else: nothing changes until that is done.
    await say(bob, "/start")
    busy = await bob.press_data(message.message_id, f"n:{item}")
    assert texts.METOO_UNDO_BUSY in str((await busy.answered()).get("text"))
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]
    await say(bob, "/cancel")

    undone = await press_on(bob, message, texts.METOO_UNDO)
    assert undone is not None
    views = await bob.wait_for(lambda ms: any(texts.METOO_UNDONE in (m.text or "") for m in ms))
    shown = [m for m in views if texts.METOO_UNDONE in (m.text or "")]
    assert "How would you rate it" in (shown[0].text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM metoo_undo") == [(0,)]
    # Pressed again: undone already (not "your support stays"), nothing more changes.
    again = await bob.press_data(message.message_id, f"n:{item}")
    assert texts.METOO_UNDO_DONE in str((await again.answered()).get("text"))
    # The conversation goes on in that message (edited in place), to the end.
    for label, then in (("3", "hear back"), (texts.YES, "involved"), (texts.NO, "Saved as")):
        await (await bob.press(label)).answered()
        await bob.wait_for(lambda ms, then=then: any(then in (m.text or "") for m in ms))
    rows = stored(db_path, f"SELECT text FROM feedback WHERE id <> {item} ORDER BY id")
    assert rows == [(SAME,)]


async def join_first(person: Person) -> MessageView:
    """Write SAME, which is offered WIFI's item, and join it; the thanks message."""
    assert "Is it one of these?" in await offered(person, SAME)
    await press_on(person, person.messages[-1], "It's 1")
    await person.wait_for(last_has("your support is added"))
    return person.messages[-1]


async def undo(person: Person, thanks: MessageView) -> None:
    await press_on(person, thanks, texts.METOO_UNDO)
    await person.wait_for(lambda ms: any(texts.METOO_UNDONE in (m.text or "") for m in ms))


def supported_by(db_path: Path, person: Person) -> list[tuple[object, ...]]:
    return stored(
        db_path,
        "SELECT s.feedback_id FROM supporters s JOIN citizens c ON c.id = s.citizen_id"
        f" WHERE c.telegram_id = {person.id} ORDER BY s.feedback_id",
    )


async def test_undo_keeps_the_support_an_own_item_merged_since_gives(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob joins A; a moderator then merges Bob's own item X into A: Undo takes back the
    join, not the support X gives him (the merge kept the join's row)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    x = await add_item(world.bot.db, bob.id, "library", "The library opens too late", TUESDAY)
    thanks = await join_first(bob)
    assert await say(world.sam, f"/merge {a} {x}") == texts.MERGED.format(item=x, into=a)
    await undo(bob, thanks)
    assert supported_by(db_path, bob) == [(a,)]


async def test_undo_after_two_merges_leaves_no_support_behind(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob, carol, dan = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Dan"))
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    b = await add_item(world.bot.db, carol.id, "library", "The toilets are dirty", WEDNESDAY)
    c = await add_item(world.bot.db, dan.id, "library", "The toilets are filthy", WEDNESDAY)
    await consent(bob)
    thanks = await join_first(bob)
    assert await say(world.sam, f"/merge {b} {a}") == texts.MERGED.format(item=a, into=b)
    assert await say(world.sam, f"/merge {c} {b}") == texts.MERGED.format(item=b, into=c)
    await undo(bob, thanks)
    assert supported_by(db_path, bob) == []


async def test_undo_ends_a_comment_waited_for_as_any_button_does(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    a = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    thanks = await join_first(bob)
    await answer_item(world.pat, a, CHANGED)
    await send_words(world.pat, "We replaced the router.")
    await press_on(bob, await notice_of(bob), texts.ANSWERED_NO)
    await bob.wait_for(last_has("say what's missing"))
    await undo(bob, thanks)
    assert supported_by(db_path, bob) == []


async def test_many_own_items_do_not_hide_anothers(world: World, emu: Emulator) -> None:
    """A citizen who wrote the same every week: their own items never use up the items
    looked at, and another's (further off) is still offered."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    for n in range(16):
        when = WEDNESDAY - timedelta(hours=n + 1)
        await add_item(world.bot.db, bob.id, "library", f"{SAME} (week {n})", when)
    reply = await offered(bob, SAME)
    assert "Is it one of these?" in reply and WIFI in reply


async def test_the_words_kept_to_undo_go_within_the_hour_after_the_window(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """The words kept to undo a join live no longer than its window and the job's hour,
    not until the next daily retention run."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    await join_first(bob)
    job_queue = world.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("expire-me-too-undos")
    assert job.job.trigger.interval.total_seconds() <= 3600
    clock.advance(hours=23, minutes=59)
    await job.run(world.bot.application)
    assert stored(db_path, "SELECT COUNT(*) FROM metoo_undo") == [(1,)]
    clock.advance(minutes=2)
    await job.run(world.bot.application)
    assert stored(db_path, "SELECT COUNT(*) FROM metoo_undo") == [(0,)]
    # The support itself stays: only the words kept to undo it go.
    assert supported_by(db_path, bob) != []


PARK = "The swings at Riverside Park are broken and the gate does not close"
PARK_SAME = "Swings broken at Riverside Park, the gate will not close either"


async def test_undo_in_a_service_with_sites_gives_back_the_site_chosen(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The site picked before joining comes back with the words at an undo: the item is
    saved there (not without a place, nor asked again)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "parks", PARK, WEDNESDAY)
    await consent(bob)
    await press(bob, "Parks and green spaces")
    await say(bob, PARK_SAME)
    assert "Is it one of these?" in await press(bob, "Riverside Park")
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    assert stored(db_path, "SELECT site FROM metoo_undo") == [("Riverside Park",)]
    await undo(bob, bob.messages[-1])
    shown = [m for m in bob.messages if texts.METOO_UNDONE in (m.text or "")]
    assert "How would you rate it" in (shown[-1].text or "")
    for label, then in (("3", "hear back"), (texts.YES, "involved"), (texts.NO, "Saved as")):
        await (await bob.press(label)).answered()
        await bob.wait_for(lambda ms, then=then: any(then in (m.text or "") for m in ms))
    rows = stored(
        db_path,
        "SELECT p.site FROM places p JOIN feedback f ON f.id = p.feedback_id"
        f" WHERE f.text = '{PARK_SAME}'",
    )
    assert rows == [("Riverside Park",)]


async def test_a_join_whose_answer_telegram_keeps_failing_is_told_in_a_new_message(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The join was made: when Telegram fails every edit saying so, a new message tells
    it, with its Undo (as "Saved as" is told for an item)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    emu.faults.server_error("editMessageText", chat_id=bob.id, status=502, times=2)
    await (await bob.press("It's 1")).answered()
    told = await bob.wait_for(last_has("Thank you: your support is added"))
    assert f"#{item}" in (told[-1].text or "")
    assert texts.METOO_UNDO in buttons_of(told[-1])
    assert supported_by(db_path, bob) == [(item,)]


async def test_an_undo_whose_answer_telegram_keeps_failing_is_told_as_undone(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The undo was made: the new message says so above the rating, and the old button
    then says it is undone already (never "your support stays")."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    thanks = await join_first(bob)
    emu.faults.server_error("editMessageText", chat_id=bob.id, status=502, times=2)
    await (await bob.press_data(thanks.message_id, f"n:{item}")).answered()
    told = await bob.wait_for(last_has(texts.METOO_UNDONE))
    assert "How would you rate it" in (told[-1].text or "")
    assert supported_by(db_path, bob) == []
    again = await bob.press_data(thanks.message_id, f"n:{item}")
    assert texts.METOO_UNDO_DONE in str((await again.answered()).get("text"))


async def test_a_join_lost_to_a_crash_is_told_as_that_join_after_a_merge(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Bob joins A and the process dies before saying so; a moderator then merges Bob's own
    older item X into B. The recovery tells the join of A (with its Undo), not B."""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    alice, bob, carol = emu.person("Alice"), emu.person("Bob"), emu.person("Carol")
    mods = emu.group("Moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        a = await add_item(bot.db, alice.id, "library", WIFI, WEDNESDAY)
        b = await add_item(bot.db, carol.id, "library", "The toilets are dirty", WEDNESDAY)
        await consent(bob)
        x = await add_item(bot.db, bob.id, "library", "The library opens too late", TUESDAY)
        assert "Is it one of these?" in await offered(bob, SAME)
        offer = bob.messages[-1]
    data = buttons_of(offer)["It's 1"]
    seq = int(data.split(":")[1])
    await bob.press_data(offer.message_id, data)
    await saved_then_crashed(make_bot, emu, lambda bot, u: bot.intake.join(u, bob.id, seq, a))
    seen = len(bob.messages)
    async with make_bot(deployment=staffed) as bot:
        clock.advance(seconds=30)
        assert await say(sam, f"/merge {b} {x}") == texts.MERGED.format(item=x, into=b)
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        told = await bob.wait_for(lambda msgs: len(msgs) > seen)
        text = told[-1].text or ""
        assert "your support is added" in text
        assert f"#{a}" in text and f"#{b}" not in text, text
        assert texts.METOO_UNDO in buttons_of(told[-1])


async def test_undo_after_the_kept_site_was_renamed_asks_the_place_again(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A site kept with the words that the service no longer has (the deployment renamed
    it) is not given back: the place question comes again."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    clock.now = WEDNESDAY
    async with make_bot() as bot:
        await add_item(bot.db, alice.id, "parks", PARK, WEDNESDAY)
        await consent(bob)
        await press(bob, "Parks and green spaces")
        await say(bob, PARK_SAME)
        assert "Is it one of these?" in await press(bob, "Riverside Park")
        await press_on(bob, bob.messages[-1], "It's 1")
        await bob.wait_for(last_has("your support is added"))
        thanks = bob.messages[-1]
    services = []
    for service in deployment.services:
        if service.slug == "parks":
            sites = [
                s.model_copy(update={"name": "Riverside Country Park"})
                if s.name == "Riverside Park"
                else s
                for s in service.sites
            ]
            service = service.model_copy(update={"sites": sites})
        services.append(service)
    renamed = deployment.model_copy(update={"services": services})
    async with make_bot(deployment=renamed):
        await undo(bob, thanks)
        shown = [m for m in bob.messages if texts.METOO_UNDONE in (m.text or "")]
        assert "Where was this?" in (shown[-1].text or "")
        assert "Riverside Country Park" in str(shown[-1].buttons)


async def test_an_undo_lost_to_a_crash_is_told_as_undone(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Bob undoes his "me too" and the process dies before saying so: the answer given
    again after the restart says his support was taken off (not only "let's carry on")."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    clock.now = WEDNESDAY
    async with make_bot() as bot:
        item = await add_item(bot.db, alice.id, "library", WIFI, WEDNESDAY)
        await consent(bob)
        thanks = await join_first(bob)
    await bob.press_data(thanks.message_id, buttons_of(thanks)[texts.METOO_UNDO])
    await saved_then_crashed(make_bot, emu, lambda bot, u: bot.intake.undo_join(u, bob.id, item))
    assert supported_by(db_path, bob) == []
    seen = len(bob.messages)
    async with make_bot() as bot:
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        told = await bob.wait_for(lambda msgs: len(msgs) > seen)
        text = told[-1].text or ""
        assert texts.METOO_UNDONE in text, text
        assert "How would you rate it" in text
        # Told once: the next round has nothing to say again.
        await run_job(bot, "answer-again-after-a-crash")
        await emu.idle(quiet=0.3)
        assert len(bob.messages) == seen + 1
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE payload LIKE '%undone%'") == [(0,)]


async def test_joining_an_item_answered_already_brings_its_answer_once(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Bob says "me too" to Alice's item after the service answered it: told he will hear
    back, he gets the answer it gave (once, however often the answer is owed again)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    assert "goes to 1 person" in await send_words(world.pat, "We replaced the wifi router.")
    await notice_of(alice)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    heard = await notice_of(bob)
    assert "We replaced the wifi router." in (heard.text or "")
    assert supported_by(db_path, bob) == [(item,)]
    # Alice heard it when it was sent, not again.
    await run_job(world.bot, "send-to-citizens")
    notices = "SELECT COUNT(*) FROM outbox WHERE kind = 'response'"
    assert stored(db_path, notices) == [(2,)]
    assert len([m for m in alice.messages if "has responded" in (m.text or "")]) == 1
