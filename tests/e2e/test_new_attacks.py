"""Attacks on what landed together: answers re-sent after an unblock, photos after saving.
Through the emulator, on both engines."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, last_has, press_on
from tests.e2e.test_admin_attacks import without_culture
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_metoo import SAME, WIFI, offered
from tests.e2e.test_moderation import Team, card_of, invite
from tests.e2e.test_moderation import team as team
from tests.e2e.test_responses import (
    WEDNESDAY,
    World,
    answer_item,
    send_words,
    world,  # noqa: F401 - the fixture, shared
)

HEARD = "has responded"
TOILETS = "The toilets on the second floor are filthy and the hand dryer is broken."


async def test_two_answers_missed_while_blocked_come_once_each_in_order(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    first = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    second = await add_item(world.bot.db, alice.id, "library", "More study desks.", WEDNESDAY)
    alice.block()
    for item, words in (
        (first, "We will open on Sundays from May."),
        (second, "New study desks arrive next month."),
    ):
        await answer_item(world.pat, item, texts.RESPONSE_STATUS["acknowledged"])
        await send_words(world.pat, words)
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox ORDER BY id") == [("blocked",), ("blocked",)]
    # She writes twice in quick succession: each answer comes once, the older first.
    await alice.send("/mine")
    await alice.send("/help")
    await alice.wait_for(lambda m: sum(HEARD in (x.text or "") for x in m) >= 2, timeout=15)
    await world.bot.handlers.sender.send(world.bot.application)  # type: ignore[arg-type]
    await emu.idle(quiet=0.5)
    notices = [m.text or "" for m in alice.messages if HEARD in (m.text or "")]
    assert len(notices) == 2, notices
    assert (
        "We will open on Sundays from May." in notices[0]
        and "New study desks arrive next month." in notices[1]
    )
    assert stored(db_path, "SELECT state FROM outbox ORDER BY id") == [("sent",), ("sent",)]


async def test_a_photo_racing_its_items_card_is_posted_under_it_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    citizen = team.citizen
    pictures = team.bot.handlers.media
    assert pictures is not None
    # The card goes out as she sends a photo: the card's own media are posted only once
    # her photo has joined the item (a slow network between the card and what goes under).
    photo_in = asyncio.Event()
    under_card = pictures.under_card

    async def held(*args: Any) -> None:
        await photo_in.wait()
        await under_card(*args)

    pictures.under_card = held  # type: ignore[method-assign]
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    item = await saved(citizen)
    card = await card_of(team.group, item)
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert f"Photo added to #{item} (1 of 3)" in said, said
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) >= 1)
    photo_in.set()
    await emu.idle(quiet=0.3)
    assert len(under(team, card, "photo")) == 1, under(team, card, "photo")
    assert stored(db_path, "SELECT COUNT(*) FROM media_messages") == [(1,)]


async def test_an_album_of_five_just_after_saving_adds_three_each_under_the_card_once(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    assert "How would you rate it" in await say(citizen, WORDS)
    item = await saved(citizen)
    before = len(citizen.messages)
    # An album: five photos at once, as the card goes out.
    for colour in ("red", "blue", "green", "white", "black"):
        await citizen.send_photo(gps_photo(colour))
    replies = await citizen.wait_for(lambda m: len(m) >= before + 5, timeout=15)
    said = [m.text or "" for m in replies[before:]]
    for n, words in enumerate(said[:3], 1):
        assert f"Photo added to #{item} ({n} of 3)" in words, said
    assert said[3:] == [texts.MEDIA_NOTES["too_many"]] * 2, said
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) >= 3)
    await emu.idle(quiet=0.3)
    captions = sorted(m.text or "" for m in under(team, card, "photo"))
    assert len(captions) == 3 and len(set(captions)) == 3, captions
    assert stored(db_path, "SELECT COUNT(*) FROM media WHERE feedback_id IS NOT NULL") == [(3,)]


async def test_a_photo_after_a_me_too_does_not_join_an_older_item_of_hers(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    published = await add_item(world.bot.db, alice.id, "library", WIFI, WEDNESDAY)
    # Bob told of the toilets last week; nobody has checked it yet.
    await consent(bob)
    assert "How would you rate it" in await offered(bob, TOILETS)
    older = await saved(bob)
    # Today the wifi: he joins Alice's item, then sends a photo of the wifi's router.
    assert "Which service" in await say(bob, "/start")
    assert "Is it one of these?" in await offered(bob, SAME)
    await press_on(bob, bob.messages[-1], "It's 1")
    await bob.wait_for(last_has("your support is added"))
    said = await reply_to(bob, bob.send_photo(gps_photo()))
    assert f"#{older}" not in said, said
    assert said == texts.MEDIA_NOTES["no_item"], said
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    assert stored(db_path, f"SELECT COUNT(*) FROM supporters WHERE feedback_id = {published}") == [
        (1,)
    ]


async def test_an_answer_missed_while_blocked_from_a_provider_since_removed_names_no_id(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    admin, sam, pat, alice = (emu.person(n) for n in ("Ada", "Sam", "Pat", "Alice"))
    mods = emu.group("Moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        item = await add_item(bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
        alice.block()
        await answer_item(pat, item, texts.RESPONSE_STATUS["acknowledged"])
        await send_words(pat, "We will open on Sundays from May.")
        await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    # The operator takes Culture and Leisure out of the file; she writes again.
    async with make_bot(deployment=without_culture(staffed)):
        await alice.send("/mine")
        await alice.wait_for(lambda m: any(HEARD in (x.text or "") for x in m), timeout=15)
    (notice,) = [m.text or "" for m in alice.messages if HEARD in (m.text or "")]
    assert "culture-leisure" not in notice, notice
    assert notice.startswith(f"📣 {SERVICE} has responded"), notice


async def test_an_answer_missed_while_blocked_is_not_sent_after_she_is_forgotten(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    alice.block()
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["acknowledged"])
    await send_words(world.pat, "We will open on Sundays from May.")
    await emu.idle(quiet=0.3)
    sender = world.bot.handlers.sender
    assert sender is not None
    # The sender is busy elsewhere: her first words reopen the answer, which waits.
    kicks: list[object] = []
    sender.kick = kicks.append  # type: ignore[method-assign]
    await alice.send("/forget")
    await alice.wait_for(last_has("can't be undone"), timeout=10)
    assert stored(db_path, "SELECT state FROM outbox") == [("pending",)] and kicks
    assert texts.FORGET_DONE in await press(alice, texts.FORGET_ALL)
    await sender.send(world.bot.application)  # type: ignore[arg-type]
    await emu.idle(quiet=0.3)
    assert not any(HEARD in (m.text or "") for m in alice.messages)
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
