"""A provider's path through the bot, and what careless or hostile people in that role do on
it: answering merged, withdrawn or already-answered items, odd words, other services'
buttons, forged invitations. Each reply is read as the person reads it, and the database is
checked for what it holds and for who hears what."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import aiosqlite
from PIL import Image

from bot.config import Deployment
from emulator import Emulator, Person
from handlers import texts
from storage import citizens, feedback, media, places, supporters
from storage.db import Database
from storage.places import Place
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, last_has, press_on
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import invite
from tests.e2e.test_responses import (
    CHANGED,
    IN_PROGRESS,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    respond,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

ACK = texts.RESPONSE_STATUS["acknowledged"]


def notices(person: Person) -> list[str]:
    """The responses this person received, as they read them."""
    return [m.text or "" for m in person.messages if "has responded" in (m.text or "")]


async def delivered(world: World, count: int) -> None:
    """Wait until `count` responses have left the outbox (sent, blocked or otherwise)."""
    db = world.bot.db

    async def settled() -> bool:
        async with db.reader.execute(
            "SELECT COUNT(*) FROM outbox WHERE state <> 'pending' AND state <> 'sending'"
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row) and int(row[0]) >= count

    for _ in range(400):
        if await settled():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


async def test_merged_authors_hear_back_only_if_they_asked_and_each_once(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A response to an item reaches its author, a "me too" supporter, and the authors of
    items merged into it, once each; a merged author who said "no" to hearing back hears
    nothing."""
    alice, bob, carol, dan = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Dan"))
    db = world.bot.db
    kept = await add_item(db, alice.id, "library", "The library wifi drops every hour.", WEDNESDAY)
    wanted = await add_item(db, bob.id, "library", "Wifi in the library keeps failing.", WEDNESDAY)
    quiet = await add_item(
        db, carol.id, "library", "The wifi cuts out constantly.", WEDNESDAY, hear_back=False
    )

    async def setup(conn: aiosqlite.Connection) -> None:
        # Dan joined Alice's item ("me too"); Bob's and Carol's were merged into it.
        dan_id = (await citizens.get_or_create(conn, dan.id, WEDNESDAY)).id
        await supporters.add(conn, kept, dan_id, WEDNESDAY)
        await supporters.merge(conn, kept, wanted, 1, WEDNESDAY)
        await supporters.merge(conn, kept, quiet, 1, WEDNESDAY)

    await db.write(setup)
    await answer_item(world.pat, kept, CHANGED)
    done = await send_words(world.pat, "We replaced the wifi router on the first floor.")
    assert "goes to 3 people" in done, done
    await delivered(world, 3)
    await asyncio.sleep(0.3)
    # Each by the item they know: Bob by his own, merged into it.
    for person, item in ((alice, kept), (bob, wanted), (dan, kept)):
        (notice,) = notices(person)
        assert "replaced the wifi router" in notice and f"#{item}" in notice
    assert notices(carol) == []
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(3,)]


async def test_answering_a_merged_item_answers_the_item_it_went_into(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """A digest quoted #B; a moderator then merged B into A. The provider's /respond B (or
    the digest's button) is not a refusal: it answers A, which B's author hears."""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    db = world.bot.db
    kept = await add_item(db, alice.id, "library", "The library wifi drops every hour.", WEDNESDAY)
    merged = await add_item(db, bob.id, "library", "Wifi in the library keeps failing.", WEDNESDAY)

    async def merge(conn: aiosqlite.Connection) -> None:
        await supporters.merge(conn, kept, merged, 1, WEDNESDAY)

    await db.write(merge)
    await world.pat.send(f"/respond {merged}")
    asked = await world.pat.wait_for(last_has("What is your answer?"))
    text = asked[-1].text or ""
    assert f"#{kept}" in text and f"#{merged}" in text, text
    await press_on(world.pat, asked[-1], ACK)
    await world.pat.wait_for(last_has("Reply to this message"))
    done = await send_words(world.pat, "Thank you, we are looking at the wifi on every floor.")
    assert "goes to 2 people" in done, done
    assert stored(db_path, "SELECT item_id FROM responses") == [(kept,)]
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'denied'") == [(0,)]
    await delivered(world, 2)
    assert len(notices(alice)) == 1 and len(notices(bob)) == 1


async def test_an_item_withdrawn_while_the_words_are_written_sends_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    db = world.bot.db
    item = await add_item(db, alice.id, "library", "Open on Sundays please, it matters.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)

    async def withdraw(conn: aiosqlite.Connection) -> None:
        await conn.execute("UPDATE feedback SET status = 'withdrawn' WHERE id = ?", (item,))

    await db.write(withdraw)
    await world.pat.send("We are asking the council for Sunday funding this year.")
    reply = await world.pat.wait_for(last_has(texts.RESPOND_PROBLEMS["nothing_to_answer"]))
    assert reply
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]
    # Asked again: the item is no longer there to answer.
    await world.pat.send(f"/respond {item}")
    await world.pat.wait_for(last_has(texts.RESPOND_PROBLEMS["no_such_item"]))
    await asyncio.sleep(0.2)
    assert notices(alice) == []


async def test_answering_the_same_item_twice_reaches_its_author_once_per_answer(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(
        world.bot.db, alice.id, "library", "Open on Sundays please, it matters.", WEDNESDAY
    )
    await answer_item(world.pat, item, IN_PROGRESS)
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await delivered(world, 1)
    await answer_item(world.pat, item, CHANGED)
    await send_words(world.pat, "From January the library opens on Sundays, 10 to 4.")
    await delivered(world, 2)
    await asyncio.sleep(0.3)
    first, second = notices(alice)
    assert "Sunday funding" in first and "10 to 4" in second
    # /mine shows both answers under the item.
    await alice.send("/mine")
    mine = (await alice.wait_for(last_has("told us")))[-1].text or ""
    assert "Sunday funding" in mine and "10 to 4" in mine


async def test_odd_words_are_refused_kindly_or_shown_exactly_as_written(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(
        world.bot.db, alice.id, "library", "Open on Sundays please, it matters.", WEDNESDAY
    )
    await answer_item(world.pat, item, ACK)
    pat = world.pat
    # Too long by one character: refused, the prompt stays open.
    long_words = ("word " * 301)[:1501]
    await pat.send(long_words)
    await pat.wait_for(last_has("longer than 1500 characters"))
    # Emoji and spaces only: too short.
    await pat.send("👍 👍 👍")
    await pat.wait_for(last_has("a little short"))
    # Markup and a direction override are shown as typed, never interpreted.
    odd = "Thanks <b>all</b> & <i>every</i> one of you: we heard it \u202eall."
    await pat.send(odd)
    previewed = await pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
    await press_on(pat, previewed[-1], texts.RESPOND_SEND)
    await pat.wait_for(last_has("Published"))
    await delivered(world, 1)
    (notice,) = [m for m in alice.messages if "has responded" in (m.text or "")]
    assert "<b>all</b> & <i>every</i>" in (notice.text or "")
    assert stored(db_path, "SELECT text FROM responses") == [(odd,)]


async def test_a_photo_or_sticker_while_writing_a_response_is_not_feedback(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Pat sends a photo (or a sticker) where her words were asked for: she is told kindly
    what to do, nothing is started as a citizen's feedback, and her draft stays open."""
    alice = emu.person("Alice")
    item = await add_item(
        world.bot.db, alice.id, "library", "Open on Sundays please, it matters.", WEDNESDAY
    )
    await answer_item(world.pat, item, ACK)
    pat = world.pat
    count = len(pat.messages)
    await pat.send_photo(caption=None)
    await pat.wait_for(lambda m: len(m) > count)
    await asyncio.sleep(0.3)
    said = pat.messages[-1].text or ""
    assert "Is that OK with you?" not in said, said
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
    assert stored(db_path, "SELECT kind FROM drafts") == [("response",)]
    count = len(pat.messages)
    await pat.send_sticker()
    await pat.wait_for(lambda m: len(m) > count)
    await asyncio.sleep(0.3)
    assert "Is that OK with you?" not in (pat.messages[-1].text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, "SELECT kind FROM drafts") == [("response",)]
    # Her words then still go.
    await send_words(pat, "Thank you, we are looking at Sunday opening hours.")


async def test_an_edit_while_writing_a_response_or_a_sticker_with_nothing_written_is_staffs(
    world: World, emu: Emulator, db_path: Path
) -> None:
    """Pat edits an earlier message while writing a response, then (nothing written) sends a
    sticker: each gets the plain line, never the citizen's consent question."""
    alice = emu.person("Alice")
    item = await add_item(
        world.bot.db, alice.id, "library", "Open on Sundays please, it matters.", WEDNESDAY
    )
    pat = world.pat
    earlier = await pat.send("just a note")
    await pat.wait_for(lambda m: bool(m) and m[-1].text == texts.STAFF_TEXT_NOT_WAITING)
    await answer_item(pat, item, ACK)
    count = len(pat.messages)
    await pat.edit(earlier, "just a note, edited")
    await pat.wait_for(lambda m: len(m) > count)
    said = pat.messages[-1].text or ""
    assert said.startswith(texts.UNSUPPORTED["edited"][:20]) and "Is that OK" not in said
    assert stored(db_path, "SELECT kind FROM drafts") == [("response",)]
    await send_words(pat, "Thank you, we are looking at Sunday opening hours.")


async def test_a_sticker_from_a_provider_with_nothing_written_is_answered_as_staff(
    world: World, db_path: Path
) -> None:
    pat = world.pat
    count = len(pat.messages)
    await pat.send_sticker()
    await pat.wait_for(lambda m: len(m) > count)
    said = pat.messages[-1].text or ""
    assert said.startswith(texts.UNSUPPORTED["sticker"][:20]) and "Is that OK" not in said
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


def png() -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(picture, format="PNG")
    return picture.getvalue()


async def approved_photo(db: Database, telegram_id: int, item: int) -> int:
    """An approved photo of an item, straight into storage; its number for /photo."""

    async def run(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, telegram_id, WEDNESDAY)
        number = await media.add(
            conn, citizen_id=citizen.id, seq=99, kind="photo", now=WEDNESDAY, data=png()
        )
        await media.attach(conn, citizen.id, 99, item)
        await media.decide(conn, number, "approved", 1, WEDNESDAY)
        return number

    return await db.write(run)


async def test_in_a_teams_group_nothing_of_another_providers_services_is_shown(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """Pat answers for Culture and Leisure and for the GP surgery; Ada is an admin. Both are
    in the Culture team's group, which Kim (culture staff, not the surgery's) reads too. A
    surgery item's photo, or a response to it, is not posted there."""
    ada, pat, kim, alice = (emu.person(n) for n in ("Ada", "Pat", "Kim", "Alice"))
    team = emu.group("Culture team", members=[ada, pat, kim])
    providers = [
        p.model_copy(update={"chats": [team.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [ada.id], "providers": providers})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(ada, pat, "provider culture-leisure")
        assert "Riverside Health" in await invite(ada, pat, "provider riverside-health")
        gp = await add_item(
            bot.db, alice.id, "gp-surgery", "The surgery waiting room ceiling leaks.", WEDNESDAY
        )
        books = await add_item(bot.db, alice.id, "library", "The library roof leaks.", WEDNESDAY)
        gp_photo = await approved_photo(bot.db, alice.id, gp)
        books_photo = await approved_photo(bot.db, alice.id, books)
        for person in (pat, ada):
            await person.send(f"/photo {gp_photo}", chat=team)
            await team.wait_for(last_has(texts.PHOTO_NOT_FOUND.format(id=gp_photo)), timeout=10)
            await person.send(f"/respond {gp}", chat=team)
            await team.wait_for(last_has(texts.RESPOND_PROBLEMS["no_such_item"]))
            pressed = await person.press_data(team.messages[-1].message_id, f"o:i:{gp}", chat=team)
            assert (await pressed.answered()).get("show_alert")
        assert not any(m.photo for m in team.messages)
        assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]
        # The team's own photo is posted there; the surgery's goes to Pat privately.
        await pat.send(f"/photo {books_photo}", chat=team)
        await team.wait_for(lambda m: any(x.photo for x in m), timeout=10)
        await pat.send(f"/photo {gp_photo}")
        await pat.wait_for(lambda m: any(x.photo for x in m), timeout=10)
        await pat.send(f"/respond {gp}")
        await pat.wait_for(last_has("What is your answer?"))


async def test_a_provider_trying_admins_and_moderators_commands_changes_nothing(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    other = await add_item(world.bot.db, alice.id, "library", "Sundays, please.", WEDNESDAY)
    pat = world.pat
    for command in (
        "/invite provider culture-leisure",
        "/invite moderator",
        "/roles",
        "/audit export",
        f"/unpublish {item} it is wrong",
        f"/merge {item} {other}",
    ):
        await pat.send(command)
        await pat.wait_for(last_has(texts.NOT_ALLOWED))
        assert pat.messages[-1].text == texts.NOT_ALLOWED, command
    # An admin's revoke button replayed in her own chat.
    pressed = await pat.press_data(pat.messages[-1].message_id, "a:rv:1")
    assert (await pressed.answered()).get("text")
    assert stored(db_path, "SELECT COUNT(*) FROM invitations WHERE used_by IS NULL") == [(0,)]
    assert stored(db_path, "SELECT status FROM feedback ORDER BY id") == [
        ("approved",),
        ("approved",),
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM staff WHERE revoked_at IS NULL") == [(2,)]
    assert not any(m.document for m in pat.messages)


async def test_a_digest_of_many_items_with_sites_and_support_and_its_csv(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Sixty items over two services: the digest fits, names the sites and the support, every
    button it has works, and the CSV holds every item, defused, with nobody's id."""
    db = world.bot.db
    people = [emu.person(f"Citizen {n}") for n in range(12)]
    items = []
    for n in range(60):
        person = people[n % len(people)]
        if n % 2:
            text = f"The swings at the play area are broken again, week {n}. " + "x" * (n * 20)
            themes: tuple[str, ...] = ("play_areas",)
            service = "parks"
        else:
            text = f"Queue at the library desk took {n} minutes today."
            themes = ("access_waiting",)
            service = "library"
        if n == 4:
            text = '=HYPERLINK("http://evil.example/","click") queue at the desk'
        items.append(await add_item(db, person.id, service, text, WEDNESDAY, themes))

    async def setup(conn: aiosqlite.Connection) -> None:
        for n, item in enumerate(items):
            if n % 2:
                citizen = await citizens.get_or_create(conn, people[n % len(people)].id, WEDNESDAY)
                site = "Mill Lane play area" if n % 4 == 1 else "Riverside Park"
                await places.put(conn, citizen.id, 500 + n, Place(site, None, None), WEDNESDAY)
                await places.attach(conn, citizen.id, 500 + n, item)
        backer = await citizens.get_or_create(conn, 999, WEDNESDAY)
        for item in items:
            await supporters.add(conn, item, backer.id, WEDNESDAY)

    await db.write(setup)
    digest = await digest_in_private(world, clock)
    text = digest.text or ""
    assert "Mill Lane play area" in text and "Riverside Park" in text, text
    assert "Play areas" in text
    buttons = buttons_of(digest)
    assert texts.CSV_BUTTON in buttons
    assert all(len(data.encode()) <= 64 for data in buttons.values())
    # The spreadsheet: every item once, the formula defused, no Telegram id anywhere.
    await press_on(world.pat, digest, texts.CSV_BUTTON)
    found = await world.pat.wait_for(lambda m: any(x.document for x in m), timeout=15)
    document = next(m for m in found if m.document).document or b""
    rows = list(csv.DictReader(io.StringIO(document.decode("utf-8-sig"))))
    assert sorted(int(r["item"]) for r in rows) == items
    (formula,) = [r for r in rows if "HYPERLINK" in r["text"]]
    assert formula["text"].startswith("'=")
    places_of = {int(r["item"]): r["place"] for r in rows}
    assert places_of[items[1]] == "Mill Lane play area" and places_of[items[0]] == ""
    raw = document.decode("utf-8-sig")
    assert not any(str(p.id) in raw for p in people)
    # Each quoted item's button starts an answer to it.
    quoted = [label for label in buttons if label.startswith("↩️ #")]
    assert quoted
    for label in quoted[:3]:
        await press_on(world.pat, digest, label)
        await world.pat.wait_for(last_has(f"Item #{label.removeprefix('↩️ #')} at"))


async def test_a_theme_answer_reaches_each_once_and_not_the_blocked_or_forgotten(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice, bob, carol, dan = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Dan"))
    db = world.bot.db
    await add_item(db, alice.id, "library", "Queue at the desk took forty minutes.", WEDNESDAY)
    await add_item(db, bob.id, "library", "Waited ages to renew a book at the desk.", WEDNESDAY)
    dans = await add_item(
        db, dan.id, "library", "The waiting time at the desk is awful.", WEDNESDAY
    )
    again = await add_item(db, dan.id, "library", "Still a long wait at the desk.", WEDNESDAY)

    async def join(conn: aiosqlite.Connection) -> None:
        carol_id = (await citizens.get_or_create(conn, carol.id, WEDNESDAY)).id
        await supporters.add(conn, dans, carol_id, WEDNESDAY)

    await db.write(join)
    alice.block()
    # Bob erases himself, his published item kept as an anonymous contribution.
    await bob.send("/forget")
    await bob.wait_for(last_has("can't be undone"))
    await press_on(bob, bob.messages[-1], texts.FORGET_ALL)
    await bob.wait_for(last_has(texts.FORGET_DONE))
    digest = await digest_in_private(world, clock)
    done = await respond(
        world.pat,
        digest,
        "↩️ Respond: Access and waiting times",
        CHANGED,
        "We opened a second desk on Saturdays, so the queue is shorter.",
    )
    assert "goes to 3 people" in done, done
    await delivered(world, 3)
    await asyncio.sleep(0.3)
    assert len(notices(carol)) == 1 and f"#{dans}" in notices(carol)[0]
    assert len(notices(dan)) == 1 and f"#{again}" in notices(dan)[0]
    assert notices(alice) == [] and notices(bob) == []
    assert stored(db_path, "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state") == [
        ("blocked", 1),
        ("sent", 2),
    ]
    # Carol rates it; pressing again changes nothing, and Bob cannot rate what he never got.
    notice = next(m for m in carol.messages if "has responded" in (m.text or ""))
    assert (await press_on(carol, notice, texts.ANSWERED_YES))["text"] == texts.RATED_YES
    forged = await bob.press_data(bob.messages[-1].message_id, "v:y:1")
    assert (await forged.answered())["text"] == texts.RATED_UNKNOWN
    assert stored(db_path, "SELECT reply FROM outbox WHERE reply IS NOT NULL") == [("yes",)]


async def test_a_broad_theme_answer_reaches_items_whose_broad_theme_a_moderator_switched_off(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """A moderator switches off Alice's broad theme and keeps its sub-theme: the digest counts
    her item under the broad theme, so the answer to the broad theme reaches her, her "me too"
    supporter, and Carol (broad and sub-theme both on) once each; Eve's other theme, not."""
    alice, carol, dan, eve = (emu.person(n) for n in ("Alice", "Carol", "Dan", "Eve"))
    db = world.bot.db
    swings, on = ("environment", "play_areas"), WEDNESDAY
    kept_sub = await add_item(db, alice.id, "parks", "The swings are broken again.", on, swings)
    both = await add_item(db, carol.id, "parks", "Broken slide at the play area.", on, swings)
    await add_item(db, eve.id, "parks", "Waited an hour for the cafe.", WEDNESDAY)

    async def join(conn: aiosqlite.Connection) -> None:
        dan_id = (await citizens.get_or_create(conn, dan.id, WEDNESDAY)).id
        await supporters.add(conn, kept_sub, dan_id, WEDNESDAY)

    await db.write(join)
    moderation, sam = world.bot.moderation, await world.bot.roles.who(world.sam.id)
    card = await moderation.card(kept_sub)
    assert card is not None
    switched = await moderation.toggle_theme(sam, kept_sub, card.item.version, "environment")
    assert switched.problem is None, switched
    assert stored(
        db_path, f"SELECT theme_id FROM item_themes WHERE feedback_id = {kept_sub} AND active = 1"
    ) == [("play_areas",)]
    digest = await digest_in_private(world, clock)
    assert "Cleanliness, environment and facilities: 2" in (digest.text or ""), digest.text
    done = await respond(
        world.pat,
        digest,
        "↩️ Respond: Cleanliness, environment and facilities",
        CHANGED,
        "We replaced the swings and the slide at the play area this week.",
    )
    assert "covers 2 items" in done and "goes to 3 people" in done, done
    await delivered(world, 3)
    await asyncio.sleep(0.3)
    assert len(notices(alice)) == 1 and f"#{kept_sub}" in notices(alice)[0]
    assert len(notices(dan)) == 1 and len(notices(carol)) == 1
    assert f"#{both}" in notices(carol)[0]
    assert notices(eve) == []
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(3,)]


# What a spreadsheet would run as a formula, each at the start of a cell (OWASP).
FORMULAS = ('=HYPERLINK("http://evil.example/")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx")


async def test_the_digest_csv_defuses_every_cell_a_spreadsheet_would_run(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Citizens' texts, moderators' summaries and sites starting like a formula: each such
    cell of the digest's CSV starts with a single quote; the rest are as written."""
    people = [emu.person(f"Citizen {n}") for n in range(len(FORMULAS))]
    db = world.bot.db
    items = [
        await add_item(db, person.id, "library", f"{formula} queue at the desk", WEDNESDAY)
        for person, formula in zip(people, FORMULAS, strict=True)
    ]
    plain = await add_item(db, world.admin.id, "library", "A plain word on the desk.", WEDNESDAY)

    async def setup(conn: aiosqlite.Connection) -> None:
        for n, (item, formula) in enumerate(zip(items, FORMULAS, strict=True)):
            await feedback.set_summary(conn, item, formula, world.sam.id, WEDNESDAY)
            citizen = await citizens.get_or_create(conn, people[n].id, WEDNESDAY)
            await places.put(conn, citizen.id, 700 + n, Place(formula, None, None), WEDNESDAY)
            await places.attach(conn, citizen.id, 700 + n, item)

    await db.write(setup)
    digest = await digest_in_private(world, clock)
    await press_on(world.pat, digest, texts.CSV_BUTTON)
    found = await world.pat.wait_for(lambda m: any(x.document for x in m), timeout=15)
    document = next(m for m in found if m.document).document or b""
    rows = {
        int(r["item"]): r
        for r in csv.DictReader(io.StringIO(document.decode("utf-8-sig"), newline=""))
    }
    for item, formula in zip(items, FORMULAS, strict=True):
        row = rows[item]
        assert row["text"] == f"'{formula} queue at the desk", row
        assert row["summary"] == row["place"] == f"'{formula}", row
    assert rows[plain]["text"] == "A plain word on the desk." and rows[plain]["summary"] == ""
