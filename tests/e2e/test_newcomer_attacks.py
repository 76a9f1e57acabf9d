"""A newcomer's whole path through the bot, and what careless or hostile people do on it:
odd messages at each step, old and forged buttons, "me too" on items that changed meanwhile.
Each reply is read as the person reads it, and the database is checked for what it holds."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from emulator import Emulator, Person
from handlers import texts
from storage import supporters
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, buttons_of, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_metoo import SAME, WIFI, offered
from tests.e2e.test_responses import WEDNESDAY, World
from tests.e2e.test_responses import world as world  # the fixture
from tests.e2e.test_typed_answers import expire

SWINGS = "The swings in the Mill Lane play area have been broken for weeks"
MINE_SWINGS = "The swings at the play area are broken, my kids cannot use them"
PLACES = [["Riverside Park"], ["Mill Lane play area"], ["Allotments"], [texts.SKIP]]
POLL = {
    "id": "5",
    "question": "Which is worse?",
    "options": [
        {"persistent_id": "o1", "text": "the bins", "voter_count": 0},
        {"persistent_id": "o2", "text": "the buses", "voter_count": 0},
    ],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
    "allows_revoting": False,
    "members_only": False,
}


async def reminded(person: Person, send: object) -> tuple[str, list[list[str]]]:
    """Send something the bot cannot keep; its answer (text and buttons)."""
    del send  # already sent: the argument only makes the call read in order
    answer = await person.next_message()
    return answer.text or "", answer.buttons


async def join_offer(person: Person, words: str) -> tuple[int, dict[str, str]]:
    """At the library, write words like a published item; the offer's id and buttons."""
    assert "Is it one of these?" in await offered(person, words)
    offer = person.messages[-1]
    return offer.message_id, buttons_of(offer)


async def test_a_newcomer_at_a_park_gets_the_places_back_after_each_odd_message(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The whole path at a service with sites, with a sticker, a poll, a dice, an edit and
    a forward thrown in: each is answered kindly and the question comes back whole, buttons
    and all (the place question used to come back with "Skip" alone)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "parks", SWINGS, WEDNESDAY)
    await consent(bob)
    assert "What happened" in await press(bob, "Parks and green spaces")
    # Only emoji, then only spaces: not a story, and nothing kept.
    assert texts.MORE_TEXT in await say(bob, "😡😡😡")
    assert stored(db_path, "SELECT state, text FROM conversations") == [("text", None)]
    # Two messages in quick succession: both kept, in order, each answered.
    await bob.send(MINE_SWINGS)
    await bob.send("and the gate doesn't close")
    first, second = await bob.next_message(), await bob.next_message()
    assert "Where was this?" in (first.text or "") and first.buttons == PLACES
    assert (second.text or "").startswith(texts.ADDED_TEXT.strip())
    assert second.buttons == PLACES
    story = f"{MINE_SWINGS}\nand the gate doesn't close"
    assert stored(db_path, "SELECT state, text FROM conversations") == [("place", story)]

    await bob.send_sticker()
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["sticker"]) and "Where was this?" in text
    assert buttons == PLACES
    bob._post(bob.chat, {"poll": POLL})
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["other"]) and buttons == PLACES
    bob._post(bob.chat, {"dice": {"emoji": "🎲", "value": 3}})
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["other"]) and buttons == PLACES
    sent = await bob.send("It has been weeks")
    assert "Where was this?" in (await bob.next_message()).text  # type: ignore[operator]
    await bob.edit(sent, "It has been weeks now, honestly")
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["edited"]) and buttons == PLACES
    # The edit changed nothing kept; the words before it are all there.
    assert stored(db_path, "SELECT state, text FROM conversations") == [
        ("place", f"{story}\nIt has been weeks")
    ]

    # The place, then (if the published item about those swings is offered) "different".
    reply = await press(bob, "Mill Lane play area")
    if "Is it one of these?" in reply:
        assert SWINGS in reply
        reply = await press(bob, texts.METOO_DIFFERENT)
    assert "How would you rate it" in reply
    assert "hear back" in await press(bob, "2")
    assert "involved" in await press(bob, texts.YES)
    done = await press(bob, texts.YES)
    assert "Saved as #2" in done and "Parks and green spaces" in done
    assert stored(
        db_path, "SELECT service_slug, text, rating, hear_back FROM feedback WHERE id = 2"
    ) == [("parks", f"{story}\nIt has been weeks", 2, 1)]
    assert stored(db_path, "SELECT site FROM places WHERE feedback_id = 2") == [
        ("Mill Lane play area",)
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    # /help and /language after: each answers, and nothing new is started.
    assert "/mine" in await say(bob, "/help")
    assert await say(bob, "/language")
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_joining_an_item_merged_meanwhile_joins_the_item_it_went_into(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    db = world.bot.db
    first = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    kept = await add_item(db, alice.id, "library", "Library wifi drops all the time", WEDNESDAY)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)
    (label,) = [label for label, data in buttons.items() if data.endswith(f":{first}")]

    # Meanwhile a moderator merges the first into the other: they say the same.
    async def merge(conn: aiosqlite.Connection) -> None:
        await supporters.merge(conn, kept, first, 1, WEDNESDAY)

    await db.write(merge)
    answer = await bob.press_data(offer, buttons[label])
    assert (await answer.answered()).get("text") in (None, "")
    await bob.wait_for(last_has("your support is added"))
    assert f"#{kept}" in (bob.messages[-1].text or "")
    # Bob supports it (Alice too, as the merged item's author), the merged one nobody.
    assert stored(
        db_path,
        "SELECT s.feedback_id FROM supporters s JOIN citizens c ON c.id = s.citizen_id"
        f" WHERE c.telegram_id = {bob.id}",
    ) == [(kept,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {first}") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_joining_an_item_withdrawn_meanwhile_says_so_and_loses_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    db = world.bot.db
    item = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)

    async def withdraw(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE feedback SET status = 'withdrawn' WHERE id = ?", (item,))

    await db.write(withdraw)
    # Not "that button belongs to an earlier conversation": this one is going on.
    answer = await (await bob.press_data(offer, buttons["It's 1"])).answered()
    assert answer["text"] == texts.METOO_GONE and answer["show_alert"] is True
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT state, text FROM conversations") == [("rating", SAME)]
    # Their words go on as their own item.
    assert "How would you rate it" in await press(bob, texts.METOO_DIFFERENT)
    assert "hear back" in await press(bob, "1")
    assert "involved" in await press(bob, texts.NO)
    assert "Saved as #2" in await press(bob, texts.NO)
    assert stored(db_path, "SELECT text, rating FROM feedback WHERE id = 2") == [(SAME, 1)]


async def test_an_item_joined_is_in_mine_once_and_forget_takes_the_support_away(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Told "your support is added to #1", /mine listed nothing ("You haven't told us
    anything yet"): the support is shown, with the published words only."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    db = world.bot.db
    item = await add_item(db, alice.id, "library", WIFI, WEDNESDAY)

    async def edited(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "UPDATE feedback SET published_text = ? WHERE id = ?",
            ("The wifi in the library keeps dropping", item),
        )

    await db.write(edited)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    # Pressed again (a double tap, or the old message later): nothing more.
    again = await (await bob.press_data(offer, buttons["It's 1"])).answered()
    assert again["text"] == texts.EXPIRED
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]

    mine = await say(bob, "/mine")
    assert mine.startswith(texts.MINE_SUPPORTED_HEADER) and f"#{item}" in mine
    assert "The wifi in the library keeps dropping" in mine
    # Never the author's own words, and none of Bob's: he published nothing.
    assert WIFI not in mine and SAME not in mine
    assert texts.MINE_EMPTY not in mine

    # /forget, erase everything: the support goes, and /mine is empty.
    assert "This erases you" in await say(bob, "/forget")
    await press(bob, "Erase everything")
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert await say(bob, "/mine") == texts.MINE_EMPTY
    # Alice's item is untouched.
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("approved",)]


async def test_a_button_of_a_finished_conversation_and_a_forged_one_change_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    bob = emu.person("Bob")
    await consent(bob)
    await press(bob, "Buses")
    await say(bob, "The 7 bus never turns up on time in the mornings")
    rating = bob.messages[-1]
    old = buttons_of(rating)
    await press(bob, "3")
    await press(bob, texts.NO)
    assert "Saved as #1" in await press(bob, texts.NO)
    # The rating's buttons of the finished conversation, pressed on the edited message.
    for data in (old["5"], old[texts.SKIP], "r:999:4", "r:1:9", "t:1:1", "zz", "r:x:1"):
        answer = await (await bob.press_data(rating.message_id, data)).answered()
        assert answer["text"] == texts.EXPIRED
    assert stored(db_path, "SELECT id, rating FROM feedback") == [(1, 3)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_a_photo_and_a_place_given_before_joining_are_not_kept(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """ "Nothing else you wrote is sent": the photo and the spot shared on the way to "me too"
    were kept for good, linked to no item (only /forget took them away)."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "What happened" in await press(bob, "Central Library")
    await bob.send_photo()
    assert "Photo added" in ((await bob.next_message()).text or "")
    await bob.send_location(52.4080, -1.5107)
    assert "Central Library" in ((await bob.next_message()).text or "")
    assert "Is it one of these?" in await say(bob, SAME)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(1,)]
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    # He was told the photo was added: he is told it is not kept.
    assert texts.METOO_JOINED_DROPPED in (bob.messages[-1].text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]
    # His next item starts clean: nothing of the joined conversation rides on it.
    await say(bob, "/start")
    await press(bob, "Buses")
    await say(bob, "The 7 bus never turns up on time in the mornings")
    await press(bob, "3")
    await press(bob, texts.NO)
    assert "Saved as #2" in await press(bob, texts.NO)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]


async def test_cancel_takes_away_the_place_shared_with_the_conversation(
    world: World, emu: Emulator, db_path: Path
) -> None:
    bob = emu.person("Bob")
    await consent(bob)
    await press(bob, "Central Library")
    await say(bob, "The study room heating has been off all week long")
    await bob.send_location(52.4080, -1.5107)
    reply = (await bob.next_message()).text or ""
    assert "Central Library" in reply and "How would you rate it" in reply
    assert stored(db_path, "SELECT site FROM places") == [("Central Library",)]
    assert texts.CANCELLED.strip()[:20] in await say(bob, "/cancel")
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_a_number_typed_at_the_offer_is_not_taken_for_a_rating(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """ "Is it one of these? 1. … press its number": Bob types "1". It was taken as a rating
    of 1 (very poor), the offer was gone and his words became a new item."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "Is it one of these?" in await offered(bob, SAME)
    for typed in ("1", "it's 1", "3/5"):
        reply = await say(bob, typed)
        assert reply.startswith(texts.METOO_USE_BUTTONS.strip()), typed
        assert "Is it one of these?" in reply and WIFI in reply
        assert texts.METOO_DIFFERENT in buttons_of(bob.last)
        assert stored(db_path, "SELECT state, rating, text FROM conversations") == [
            ("rating", None, SAME)
        ]
    await press_on(bob, bob.last, "It's 1")
    await bob.wait_for(last_has("your support is added"))
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]


async def test_after_its_different_a_typed_number_is_the_rating(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, cat = emu.person("Alice"), emu.person("Cat")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(cat)
    assert "Is it one of these?" in await offered(cat, SAME)
    assert "How would you rate it" in await press(cat, texts.METOO_DIFFERENT)
    # /help and /language on the way change nothing of the conversation.
    assert "/forget" in await say(cat, "/help")
    assert await say(cat, "/language")
    assert stored(db_path, "SELECT state, rating, text FROM conversations") == [
        ("rating", None, SAME)
    ]
    assert "hear back" in await say(cat, "1")
    assert stored(db_path, "SELECT state, rating FROM conversations") == [("hear_back", 1)]
    # And more words typed at the offer go on as hers, as before (the offer is closed).
    dan = emu.person("Dan")
    await consent(dan)
    assert "Is it one of these?" in await offered(dan, SAME)
    reply = await say(dan, "It has been like this every evening since the new router")
    assert reply.startswith(texts.ADDED_TEXT.strip()) and "How would you rate it" in reply
    assert "hear back" in await say(dan, "2")


async def test_a_sticker_or_an_edit_at_the_offer_brings_the_offer_back(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The reminder after a message the bot cannot keep showed the rating question while the
    list waited, so the "3" typed next answered a question no longer on screen."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    assert "What happened" in await press(bob, "Central Library")
    sent = await bob.send(SAME)
    assert "Is it one of these?" in ((await bob.next_message()).text or "")
    await bob.send_sticker()
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["sticker"]) and "Is it one of these?" in text
    assert buttons == [["It's 1"], [texts.METOO_DIFFERENT]]
    await bob.edit(sent, "Internet at the library disconnects, useless")
    text, buttons = await reminded(bob, None)
    assert text.startswith(texts.UNSUPPORTED["edited"]) and WIFI in text
    await press_on(bob, bob.last, "It's 1")
    await bob.wait_for(last_has("your support is added"))
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]


async def test_a_replayed_join_and_two_presses_at_once_count_one_support(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)
    # "It's 1" and "It's different" pressed together: the first wins, the other is old.
    first = await bob.press_data(offer, buttons["It's 1"])
    second = await bob.press_data(offer, buttons[texts.METOO_DIFFERENT])
    await first.answered()
    assert (await second.answered())["text"] == texts.EXPIRED
    await bob.wait_for(last_has("your support is added"))
    # Telegram delivers the press again (same update_id): nothing more happens.
    (update_id,) = [
        u
        for u, update in emu.updates.history.items()
        if (update.get("callback_query") or {}).get("data") == buttons["It's 1"]
    ]
    seen = len(bob.messages)
    emu.redeliver(update_id)
    await emu.idle()
    assert len(bob.messages) == seen
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_a_citizen_who_blocks_the_bot_mid_conversation_loses_nothing(
    world: World, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    bob = emu.person("Bob")
    await consent(bob)
    await press(bob, "Buses")
    await say(bob, "The 7 bus never turns up on time in the mornings")
    await press(bob, "2")
    bob.block()
    # The conversation goes quiet; the item is saved though the notice cannot reach him.
    await expire(world.bot, clock)
    assert stored(db_path, "SELECT text, rating, status FROM feedback") == [
        ("The 7 bus never turns up on time in the mornings", 2, "pending")
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    # Back (writing unblocks): told first what the time-out did (its notice was kept), then
    # his item is there, and a new start works.
    assert "saved what you wrote as #1 (Buses)" in await say(bob, "/mine")
    mine = (await bob.next_message()).text or ""
    assert "#1" in mine and texts.STATUS["pending"] in mine
    assert "Which service" in await say(bob, "/start")


async def test_forged_numbers_in_the_citizens_buttons_change_nothing_and_fail_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A number past the database's integers in a "me too" or exact-spot button failed the
    handler ("something went wrong", an error in the log): now it is just an old button."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    item = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)
    seq = buttons["It's 1"].split(":")[1]
    big = "9" * 23
    for data in (
        f"t:{seq}:{big}",
        f"t:{seq}:-{item}",
        f"t:{seq}:١",
        f"t:{seq}:1e3",
        f"x:{big}:52.4:-1.5",
        f"x:{seq}:nan:inf",
        f"r:{seq}:{big}",
        f"p:{seq}:{big}",
        f"g:{seq}:{big}",
    ):
        answer = await (await bob.press_data(offer, data)).answered()
        assert answer["text"] == texts.EXPIRED, data
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT state, rating, text FROM conversations") == [
        ("rating", None, SAME)
    ]
    # The offer still works.
    await press_on(bob, bob.last, "It's 1")
    await bob.wait_for(last_has("your support is added"))
    assert stored(db_path, "SELECT feedback_id FROM supporters") == [(item,)]


async def test_words_before_consent_then_a_voice_note_at_the_offer_then_a_rating(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A newcomer who writes first: the words ride through consent and the service to the
    offer; a voice note there shows the rating question, and the "4" typed next answers it."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await bob.send(SAME)
    assert "Is that OK with you?" in ((await bob.next_message()).text or "")
    assert texts.KEPT_TEXT.strip() in await press(bob, texts.CONSENT_YES)
    assert "Is it one of these?" in await press(bob, "Central Library")
    await bob.send_voice()
    voiced = (await bob.next_message()).text or ""
    assert "Voice note added" in voiced and "How would you rate it" in voiced
    assert "hear back" in await say(bob, "4")
    assert "involved" in await press(bob, texts.YES)
    assert "Saved as #2" in await press(bob, texts.NO)
    assert stored(db_path, "SELECT text, rating, hear_back FROM feedback WHERE id = 2") == [
        (SAME, 4, 1)
    ]
    assert stored(db_path, "SELECT kind, feedback_id FROM media") == [("voice", 2)]
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


async def test_start_while_the_offer_waits_shows_the_offer_and_forget_ends_it(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    await consent(bob)
    offer, buttons = await join_offer(bob, SAME)
    reply = await say(bob, "/start")
    assert reply.startswith(texts.RESUMED.strip()) and "Is it one of these?" in reply
    assert buttons_of(bob.last) == buttons
    # /forget, erase everything; the offer's button afterwards joins nothing: a stranger
    # now, he is asked for his consent first.
    await say(bob, "/forget")
    await press(bob, "Erase everything")
    await (await bob.press_data(offer, buttons["It's 1"])).answered()
    await bob.wait_for(
        lambda m: any(x.message_id == offer and "Is that OK" in (x.text or "") for x in m)
    )
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {bob.id}") == [(0,)]
