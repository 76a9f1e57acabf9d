"""Places (issue 17): a service in several places asks which; a shared location is kept to
about 100 m (exact only if the citizen asks), named after the site it is near; far away or
with nothing being told it is answered kindly and nothing is lost; "me too" is not offered
across sites; /forget takes places with the rest."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import timedelta
from pathlib import Path

import aiosqlite

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage import places
from storage.db import Database
from storage.places import Place
from tests.conftest import FakeClock, connect
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of
from tests.e2e.test_moderation import card_of, invite, press_card
from tests.e2e.test_responses import CHANGED, WEDNESDAY, World, answer_item
from tests.e2e.test_responses import world as world  # the fixture

PARK = "The swings are broken and the gate will not close properly"


def stored(db_path: Path | str, sql: str) -> list[tuple[object, ...]]:
    with connect(db_path) as conn:
        return [tuple(row) for row in conn.execute(sql).fetchall()]


async def say(person: Person, text: str) -> str:
    await person.send(text)
    return (await person.next_message()).text or ""


async def press(person: Person, label: str) -> str:
    """Press a button; the text the pressed message then shows."""
    (pressed,) = [m for m in person.messages if label in str(m.buttons)][-1:]
    before = pressed.text

    def changed(msgs: list[MessageView]) -> bool:
        return any(m.message_id == pressed.message_id and m.text != before for m in msgs)

    result = await person.press(label)
    assert await result.answered() is not None
    found = await person.wait_for(changed)
    return next(m.text or "" for m in found if m.message_id == pressed.message_id)


async def share(person: Person, latitude: float, longitude: float) -> str:
    await person.send_location(latitude, longitude)
    return (await person.next_message()).text or ""


async def at_place(person: Person, story: str = PARK) -> str:
    """Consent, the parks service by its link, the story: the place question shows."""
    await say(person, "/start s_parks")
    await press(person, texts.CONSENT_YES)
    return await say(person, story)


async def finish(person: Person) -> int:
    """Skip the rating, no to both questions: the item's number."""
    await press(person, texts.SKIP)
    await press(person, texts.NO)
    done = await press(person, texts.NO)
    assert "Saved as #" in done, done
    return int(done.split("#", 1)[1].split()[0])


async def test_a_site_picked_goes_with_the_item(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ann = emu.person("Ann")
    asked = await at_place(ann)
    assert texts.PLACE_ASK.split("{")[0] in asked
    assert ann.last.buttons == [
        ["Riverside Park"],
        ["Mill Lane play area"],
        ["Allotments"],
        [texts.SKIP],
    ]
    assert "How would you rate it" in await press(ann, "Mill Lane play area")
    item = await finish(ann)
    assert stored(db_path, "SELECT feedback_id, site, latitude, exact FROM places") == [
        (item, "Mill Lane play area", None, 0)
    ]


async def test_a_shared_location_is_kept_rounded_unless_asked(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    bea = emu.person("Bea")
    await at_place(bea)
    # 60 m from Riverside Park's point: the site, and the point to about 100 m.
    await bea.send_location(52.41092, -1.50753)
    reply = (await bea.next_message()).text or ""
    assert "Riverside Park" in reply and "How would you rate it" in reply
    # Telegram delivers the same update again: no second answer, nothing changes.
    (update_id,) = [
        u for u, update in emu.updates.history.items() if "location" in update.get("message", {})
    ]
    answers = len(bea.messages)
    emu.redeliver(update_id)
    await emu.idle()
    assert len(bea.messages) == answers
    ((site, lat, lon, exact),) = stored(
        db_path, "SELECT site, latitude, longitude, exact FROM places"
    )
    assert site == "Riverside Park" and exact == 0
    assert (lat, lon) != (52.41092, -1.50753)
    assert abs(float(lat) - 52.41092) < 0.0006 and abs(float(lon) - -1.50753) < 0.001  # type: ignore[arg-type]
    # The citizen asks for the exact spot: kept, and the button goes.
    result = await bea.press(texts.PLACE_EXACT)
    assert await result.answered() is not None
    await bea.wait_for(lambda msgs: texts.PLACE_EXACT not in str(msgs[-1].buttons))
    assert stored(db_path, "SELECT latitude, longitude, exact FROM places") == [
        (52.41092, -1.50753, 1)
    ]
    await finish(bea)


async def test_a_forged_exact_press_keeps_nothing_new(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    cal = emu.person("Cal")
    await at_place(cal)
    await share(cal, 52.41092, -1.50753)
    (message,) = [m for m in cal.messages if texts.PLACE_EXACT in str(m.buttons)]
    # Somewhere else than what was shared (a kilometre away): refused.
    forged = await cal.press_data(message.message_id, "x:1:52.420000:-1.507530")
    assert await forged.answered() is not None
    # Junk, not a number, another conversation: nothing either.
    for data in ("x:1:abc:def", "x:1:nan:nan", "x:1", "x:99:52.410920:-1.507530"):
        junk = await cal.press_data(message.message_id, data)
        assert await junk.answered() is not None
    assert stored(db_path, "SELECT exact FROM places") == [(0,)]


async def test_far_away_is_answered_and_nothing_is_lost(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    dan = emu.person("Dan")
    asked = await at_place(dan)
    assert texts.PLACE_ASK.split("{")[0] in asked
    # London, 130 km away: not kept, the question stays (shown again), the words too.
    reply = await share(dan, 51.5072, -0.1276)
    assert reply.startswith(texts.MEDIA_NOTES["place_outside"])
    assert texts.PLACE_ASK.split("{")[0] in reply and [texts.SKIP] in dan.last.buttons
    # Not a place on Earth at all: the same.
    assert (await share(dan, 91.0, 0.0)).startswith(texts.MEDIA_NOTES["place_outside"])
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]
    assert stored(db_path, "SELECT state, text FROM conversations") == [("place", PARK)]
    await (await dan.press(texts.SKIP)).answered()
    await dan.wait_for(lambda msgs: any("How would you rate it" in (m.text or "") for m in msgs))
    await finish(dan)
    assert stored(db_path, "SELECT text FROM feedback") == [(PARK,)]
    assert stored(db_path, "SELECT site, latitude FROM places") == [(None, None)]


async def test_a_location_before_any_words_waits_for_them(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    eve = emu.person("Eve")
    await say(eve, "/start")
    await press(eve, texts.CONSENT_YES)
    await say(eve, "/cancel")
    # No conversation at all: a place alone is no item, and she is told how.
    assert await share(eve, 52.41, -1.50) == texts.MEDIA_NOTES["place_no_item"]
    assert await share(eve, 51.5072, -0.1276) == texts.MEDIA_NOTES["place_outside"]
    # With the list of services showing, the place is kept for what she tells next.
    await say(eve, "/start")
    reply = await share(eve, 52.4105, -1.5080)
    assert reply.startswith(texts.PLACE_KEPT) and texts.PICK_SERVICE in reply
    await press(eve, "Parks and green spaces")
    # The place is known: no question about it, straight to the rating.
    assert "How would you rate it" in await say(eve, PARK)
    item = await finish(eve)
    assert stored(db_path, "SELECT feedback_id, site FROM places") == [(item, "Riverside Park")]


async def test_forget_and_mydata_cover_places(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    fay = emu.person("Fay")
    await at_place(fay)
    await share(fay, 52.4031, -1.5172)
    item = await finish(fay)
    await fay.send("/mydata")
    found = await fay.wait_for(lambda msgs: msgs[-1].document is not None)
    data = json.loads(found[-1].document or b"{}")
    assert data["places"][0]["site"] == "Mill Lane play area"
    assert data["places"][0]["with_item"] == item and data["places"][0]["exact"] is False
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(1,)]


SWINGS = "The swings in the play area have been broken for weeks now"
SWINGS_AGAIN = "Swings at the play area still broken, been weeks, kids can't use them"


async def test_me_too_is_offered_for_the_same_site_only(
    world: World, emu: Emulator, db_path: Path
) -> None:
    db = world.bot.db
    author = emu.person("Ada")
    item = await add_item(db, author.id, "parks", SWINGS, WEDNESDAY)

    async def at_mill_lane(conn: aiosqlite.Connection) -> None:
        async with conn.execute("SELECT citizen_id FROM feedback WHERE id = ?", (item,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        await places.put(
            conn, int(row[0]), 999, Place("Mill Lane play area", None, None), WEDNESDAY
        )
        await places.attach(conn, int(row[0]), 999, item)

    await db.write(at_mill_lane)
    # At another site: told anew, no offer.
    bob = emu.person("Bob")
    await at_place(bob, SWINGS_AGAIN)
    assert "How would you rate it" in await press(bob, "Riverside Park")
    # At the same site: offered.
    cal = emu.person("Cal")
    await at_place(cal, SWINGS_AGAIN)
    reply = await press(cal, "Mill Lane play area")
    assert "Is it one of these?" in reply and SWINGS in reply
    offer = cal.messages[-1]
    # She corrects where it was (Riverside Park): the offer goes; its old button joins
    # nothing at another site.
    await cal.send_location(52.41092, -1.50753)
    assert "Riverside Park" in ((await cal.next_message()).text or "")
    pressed = await cal.press_data(offer.message_id, buttons_of(offer)["It's 1"])
    assert (await pressed.answered()).get("text") == texts.METOO_ELSEWHERE
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


# About 4 km north-east of Riverside Park, inside the deployment's area, near no site.
FAR_POINT = (52.440, -1.470)


async def placed(db: Database, item: int, place: Place) -> None:
    """Give a published item the place its author gave."""

    async def run(conn: aiosqlite.Connection) -> None:
        async with conn.execute("SELECT citizen_id FROM feedback WHERE id = ?", (item,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        await places.put(conn, int(row[0]), 999, place, WEDNESDAY)
        await places.attach(conn, int(row[0]), 999, item)

    await db.write(run)


async def test_me_too_never_offers_a_point_kilometres_from_the_site_picked(
    world: World, emu: Emulator
) -> None:
    """An item shared as a location near no site has a point and no site; a site picked
    from the buttons has no point but the deployment's: 4 km apart, not the same place."""
    db = world.bot.db
    ada = emu.person("Ada")
    item = await add_item(db, ada.id, "parks", SWINGS, WEDNESDAY)
    await placed(db, item, Place(None, *FAR_POINT))
    bob = emu.person("Bob")
    await at_place(bob, SWINGS_AGAIN)
    assert "How would you rate it" in await press(bob, "Riverside Park")


async def test_me_too_never_offers_or_joins_a_site_kilometres_from_the_point_shared(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The other way round: an item at a site picked, a location shared 4 km from it."""
    db = world.bot.db
    ada = emu.person("Ada")
    item = await add_item(db, ada.id, "parks", SWINGS, WEDNESDAY)
    await placed(db, item, Place("Riverside Park", None, None))
    bob = emu.person("Bob")
    await at_place(bob, SWINGS_AGAIN)
    await bob.send_location(*FAR_POINT)
    reply = (await bob.next_message()).text or ""
    assert "How would you rate it" in reply and "Is it one of these?" not in reply, reply
    # Offered at the same site, then a location 4 km away: the old button joins nothing.
    cal = emu.person("Cal")
    await at_place(cal, SWINGS_AGAIN)
    assert "Is it one of these?" in await press(cal, "Riverside Park")
    offer = cal.messages[-1]
    await cal.send_location(*FAR_POINT)
    await cal.next_message()
    pressed = await cal.press_data(offer.message_id, buttons_of(offer)["It's 1"])
    assert (await pressed.answered()).get("text") == texts.METOO_ELSEWHERE
    assert stored(db_path, "SELECT COUNT(*) FROM supporters") == [(0,)]


async def test_keep_the_exact_spot_of_a_location_replaced_since_says_so(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """The same report, another place given since: that spot is no longer the one kept
    (not "an earlier conversation"), and nothing changes."""
    bob = emu.person("Bob")
    await at_place(bob, SWINGS_AGAIN)
    await bob.send_location(52.41092, -1.50753)
    first = await bob.next_message()
    await bob.send_location(52.40312, -1.51718)
    await bob.next_message()
    pressed = await bob.press_data(first.message_id, buttons_of(first)[texts.PLACE_EXACT])
    assert (await pressed.answered()).get("text") == texts.PLACE_EXACT_REPLACED
    assert stored(db_path, "SELECT site, latitude, longitude, exact FROM places") == [
        ("Mill Lane play area", 52.403, -1.517, 0)
    ]


async def test_the_card_shows_the_site_and_the_rough_point(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    admin, sam, gus = (emu.person(n) for n in ("Ada", "Sam", "Gus"))
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        await at_place(gus)
        await share(gus, 52.41092, -1.50753)
        item = await finish(gus)
        card = await card_of(group, item)
        text = card.text or ""
        assert "📍 Riverside Park · 52.411, -1.508 (to about 100 m)" in text, text
        # The exact spot is nowhere (not even in the link) unless the citizen asked.
        assert "52.41092" not in json.dumps(group.messages[-1].__dict__, default=str)


async def test_a_live_location_is_taken_once_and_its_moves_get_no_answer(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    hal = emu.person("Hal")
    await at_place(hal)
    shared = await hal.send_location(52.4105, -1.5080)
    assert "Riverside Park" in ((await hal.next_message()).text or "")
    # Telegram moves a live location by editing its message: no answer to any of them.
    for step in range(3):
        moved = {**shared, "edit_date": 1 + step}
        moved["location"] = {"latitude": 52.4031, "longitude": -1.5172, "live_period": 900}
        emu.inject({"edited_message": moved})
    # Updates of one chat are handled in order: once /start is answered, any answer to the
    # moves would have come before it.
    await hal.send("/start")
    seen = await hal.wait_for(lambda msgs: texts.RESUMED.strip() in (msgs[-1].text or ""))
    assert not [m.text for m in seen if "edited" in (m.text or "")]
    assert stored(db_path, "SELECT site FROM places") == [("Riverside Park",)]


async def test_the_digest_counts_items_per_site_and_its_csv_names_the_place(
    world: World, emu: Emulator
) -> None:
    db = world.bot.db
    stories = [
        ("Ivy", "Riverside Park", "The swings are broken again", ("facilities_condition",)),
        ("Joe", "Riverside Park", "Swings broken and the gate too", ("facilities_condition",)),
        ("Kit", "Allotments", "The water tap at the allotments leaks", ("access_waiting",)),
        ("Lou", None, "Grass in the parks is never cut", ("access_waiting",)),
    ]
    earlier = WEDNESDAY - timedelta(hours=1)  # inside the digest's period
    numbers = {}
    for name, site, text, themes in stories:
        person = emu.person(name)
        item = await add_item(db, person.id, "parks", text, earlier, themes=themes)
        numbers[text] = item
        if site is None:
            continue

        async def at_site(conn: aiosqlite.Connection, item: int = item, site: str = site) -> None:
            async with conn.execute("SELECT citizen_id FROM feedback WHERE id = ?", (item,)) as c:
                row = await c.fetchone()
            assert row is not None
            await places.put(conn, int(row[0]), item, Place(site, None, None), WEDNESDAY)
            await places.attach(conn, int(row[0]), item, item)

        await db.write(at_site)
    pat = world.pat
    await pat.send("/digest")
    found = await pat.wait_for(
        lambda msgs: any(texts.CSV_BUTTON in str(m.buttons) for m in msgs), timeout=10
    )
    digest = next(m for m in found if texts.CSV_BUTTON in str(m.buttons))
    text = digest.text or ""
    # Most first, with the theme most of them share; an item with no place is in no line.
    assert "• Riverside Park: 2 items, 2 about" in text, text
    assert "• Allotments: 1 item" in text, text
    assert text.index("Riverside Park: 2") < text.index("Allotments: 1")
    await pat.press(texts.CSV_BUTTON)
    files = await pat.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
    rows = list(csv.DictReader(io.StringIO((files[-1].document or b"").decode("utf-8-sig"))))
    place = {int(r["item"]): r["place"] for r in rows}
    assert place[numbers["The swings are broken again"]] == "Riverside Park"
    assert place[numbers["The water tap at the allotments leaks"]] == "Allotments"
    assert place[numbers["Grass in the parks is never cut"]] == ""


async def test_a_provider_writing_a_response_who_shares_a_location_is_told_only_words_count(
    world: World, emu: Emulator, db_path: Path
) -> None:
    item = await add_item(world.bot.db, emu.person("Ann").id, "library", "Wifi drops", WEDNESDAY)
    pat = world.pat
    await answer_item(pat, item, CHANGED)
    await pat.send_location(52.4105, -1.5080)
    told = texts.UNSUPPORTED["location"][:20]
    await pat.wait_for(lambda msgs: (msgs[-1].text or "").startswith(told))
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]


async def test_a_location_too_early_or_at_a_side_prompt_is_answered_about_the_place(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    from tests.e2e.test_side_prompts import not_really

    cal = emu.person("Cal")
    # Before agreeing: not kept, said of a place (not of photos or voice notes), above the
    # question to agree to.
    said = await share(cal, 52.41092, -1.50753)
    assert said.startswith(texts.MEDIA_NOTES["place_consent_below"])
    assert [texts.CONSENT_YES, texts.CONSENT_NO] in cal.last.buttons
    await say(cal, "/start")
    said = await share(cal, 52.41092, -1.50753)
    assert said.startswith(texts.MEDIA_NOTES["place_consent_below"]) and "/start" not in said
    await press(cal, texts.CONSENT_YES)
    await say(cal, "/cancel")  # the list of services, answered
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]
    # While the bot waits for a comment: type it.
    await not_really(bot, cal)
    await cal.send_location(52.41092, -1.50753)
    told = await cal.wait_for(lambda msgs: "location" in (msgs[-1].text or ""))
    assert told[-1].text == texts.MEDIA_NOTES["place_side_prompt"]
    assert stored(db_path, "SELECT COUNT(*) FROM places") == [(0,)]


# 60 m from Riverside Park's point; the play area is about 1 km away, the allotments 800 m.
NEAR_PARK = (52.41092, -1.50753)
# A phone located by its cell tower: Telegram says it may be 1,500 m off (the most it says).
CELL_TOWER = 1500.0


async def test_a_poor_fix_near_two_sites_is_kept_as_an_area_and_shown_so_everywhere(
    world: World, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """Its circle of uncertainty holds the play area and the allotments too: no site is
    named, not to the citizen, not in the record, not on the card, not in the digest."""
    gus = emu.person("Gus")
    await at_place(gus)
    await gus.send_location(*NEAR_PARK, horizontal_accuracy=CELL_TOWER)
    reply = (await gus.next_message()).text or ""
    assert reply.startswith(texts.PLACE_KEPT) and "How would you rate it" in reply, reply
    assert not any(site in reply for site in ("Riverside Park", "Mill Lane", "Allotments"))
    item = await finish(gus)
    assert stored(
        db_path, "SELECT feedback_id, site, latitude, longitude, accuracy_m FROM places"
    ) == [(item, None, 52.411, -1.508, CELL_TOWER)]
    # The moderators see the rough point, no site.
    card = await card_of(world.mods, item)
    assert "📍 52.411, -1.508 (to about 100 m)" in (card.text or ""), card.text
    await press_card(world.sam, world.mods, card, texts.APPROVE)
    await world.mods.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    # The provider: no line for the park in the digest; the area in its spreadsheet.
    pat = world.pat
    clock.now = WEDNESDAY + timedelta(minutes=5)  # published before the digest's end
    await pat.send("/digest")
    found = await pat.wait_for(
        lambda msgs: any(texts.CSV_BUTTON in str(m.buttons) for m in msgs), timeout=10
    )
    digest = next(m for m in found if texts.CSV_BUTTON in str(m.buttons))
    assert PARK in (digest.text or "") and "Riverside Park:" not in (digest.text or "")
    await pat.press(texts.CSV_BUTTON)
    files = await pat.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
    rows = list(csv.DictReader(io.StringIO((files[-1].document or b"").decode("utf-8-sig"))))
    assert {int(r["item"]): r["place"] for r in rows} == {
        item: texts.CSV_AREA.format(point="52.41, -1.51")
    }


async def test_a_poor_fix_shared_before_the_service_is_not_named_when_it_is_chosen(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """The step that names a point once the service is known decides as a location shared
    then would: the citizen was told "noted where it was", and that is what is kept."""
    eve = emu.person("Eve")
    await say(eve, "/start")
    await press(eve, texts.CONSENT_YES)
    await eve.send_location(*NEAR_PARK, horizontal_accuracy=CELL_TOWER)
    reply = (await eve.next_message()).text or ""
    assert reply.startswith(texts.PLACE_KEPT) and texts.PICK_SERVICE in reply
    await press(eve, "Parks and green spaces")
    # The place is known (an area): no question about it, straight to the rating.
    assert "How would you rate it" in await say(eve, PARK)
    item = await finish(eve)
    assert stored(
        db_path, "SELECT feedback_id, site, latitude, longitude, accuracy_m FROM places"
    ) == [(item, None, 52.411, -1.508, CELL_TOWER)]


async def test_a_good_fix_is_named_after_its_site_as_ever(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """20 m off (as when Telegram says nothing: the tests above), at once or once the
    service is chosen: the site it is near, as ever."""
    ann, eve = emu.person("Ann"), emu.person("Eve")
    await at_place(ann)
    await ann.send_location(*NEAR_PARK, horizontal_accuracy=20)
    reply = (await ann.next_message()).text or ""
    assert reply.startswith(texts.PLACE_KEPT_SITE.format(site="Riverside Park")), reply
    first = await finish(ann)
    await say(eve, "/start")
    await press(eve, texts.CONSENT_YES)
    await eve.send_location(*NEAR_PARK, horizontal_accuracy=20)
    assert ((await eve.next_message()).text or "").startswith(texts.PLACE_KEPT)
    await press(eve, "Parks and green spaces")
    assert "How would you rate it" in await say(eve, PARK)
    second = await finish(eve)
    assert stored(
        db_path, "SELECT feedback_id, site, latitude, accuracy_m FROM places ORDER BY id"
    ) == [(first, "Riverside Park", 52.411, 20.0), (second, "Riverside Park", 52.411, 20.0)]


async def test_a_poor_fix_rules_out_in_me_too_only_what_is_clearly_outside_its_circle(
    world: World, emu: Emulator
) -> None:
    """A point 1,500 m off may be anywhere in its circle: an item 4 km away is still not it;
    and an item whose own point was a poor fix is offered at a site its circle holds."""
    db = world.bot.db
    ada, dee = emu.person("Ada"), emu.person("Dee")
    far = await add_item(db, ada.id, "parks", SWINGS, WEDNESDAY)
    await placed(db, far, Place(None, *FAR_POINT))
    # Its point (1 km from the park) was a poor fix too.
    uncertain = await add_item(db, dee.id, "parks", SWINGS, WEDNESDAY)
    await placed(db, uncertain, Place(None, 52.4031, -1.5172, accuracy_m=CELL_TOWER))
    bob = emu.person("Bob")
    await at_place(bob, SWINGS_AGAIN)
    await bob.send_location(*NEAR_PARK, horizontal_accuracy=CELL_TOWER)
    shown = await bob.next_message()
    reply = shown.text or ""
    assert "Is it one of these?" in reply and reply.count(SWINGS) == 1, reply
    assert buttons_of(shown)["It's 1"].endswith(f":{uncertain}")
    # The other way round: a site picked, the item's point a poor fix 1 km from it.
    cal = emu.person("Cal")
    await at_place(cal, SWINGS_AGAIN)
    offer = await press(cal, "Riverside Park")
    assert "Is it one of these?" in offer and offer.count(SWINGS) == 1, offer
    assert buttons_of(cal.messages[-1])["It's 1"].endswith(f":{uncertain}")


async def test_a_poor_fix_is_not_offered_to_keep_exactly(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """A point 1,500 m off is no more exact than the point kept to about 100 m: no "Keep the
    exact spot" under it, and a press of one (an old button, forged) keeps nothing."""
    gus = emu.person("Gus")
    await at_place(gus)
    await gus.send_location(*NEAR_PARK, horizontal_accuracy=CELL_TOWER)
    kept = await gus.next_message()
    assert (kept.text or "").startswith(texts.PLACE_KEPT)
    assert texts.PLACE_EXACT not in str(kept.buttons)
    pressed = await gus.press_data(kept.message_id, "x:1:52.410920:-1.507530")
    assert (await pressed.answered()).get("text") == texts.EXPIRED
    assert stored(db_path, "SELECT latitude, longitude, exact FROM places") == [(52.411, -1.508, 0)]
    # A fix within about 100 m: offered, as ever.
    hal = emu.person("Hal")
    await at_place(hal)
    await hal.send_location(*NEAR_PARK, horizontal_accuracy=100)
    assert texts.PLACE_EXACT in str((await hal.next_message()).buttons)


async def test_a_forged_accuracy_is_taken_as_the_widest_and_kept_as_a_number(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Telegram sends a number of metres from 0 to 1500; an update saying anything else
    (forged) is answered as for a fix 1,500 m off, and 1500 is kept (never NaN or NULL)."""
    ivy = emu.person("Ivy")
    await at_place(ivy)
    for raw in ("near", [20], True, math.nan, math.inf, -5.0, 1e9):
        location = {"latitude": NEAR_PARK[0], "longitude": NEAR_PARK[1]}
        ivy._post(ivy.chat, {"location": {**location, "horizontal_accuracy": raw}})
        reply = await ivy.next_message()
        assert (reply.text or "").startswith(texts.PLACE_KEPT), (raw, reply.text)
        assert "Riverside Park" not in (reply.text or ""), raw
        assert texts.PLACE_EXACT not in str(reply.buttons), raw
        assert stored(db_path, "SELECT site, accuracy_m FROM places") == [(None, CELL_TOWER)]
    item = await finish(ivy)
    assert stored(db_path, "SELECT feedback_id, site, accuracy_m FROM places") == [
        (item, None, CELL_TOWER)
    ]
