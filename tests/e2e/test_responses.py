"""Closing the loop end to end: a provider responds, contributors hear back and rate it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on, with_text
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import invite
from tests.e2e.test_privacy import everything_in

WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)
CHANGED = texts.RESPONSE_STATUS["changed"]
IN_PROGRESS = texts.RESPONSE_STATUS["in_progress"]
NOT_CHANGING = texts.RESPONSE_STATUS["not_changing"]
ACCESS = "Access and waiting times"


@dataclass
class World:
    """A provider's person, the moderators, and a bot."""

    bot: YousaidBot
    admin: Person
    sam: Person
    pat: Person
    mods: Group


@asynccontextmanager
async def staffed(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, **env: str
) -> AsyncIterator[World]:
    """A moderator and a provider invited, on Wednesday (`env`: settings of the bot)."""
    admin, sam, pat = emu.person("Ada"), emu.person("Sam"), emu.person("Pat")
    mods = emu.group("Moderators", members=[admin, sam])
    with_staff = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    clock.now = WEDNESDAY
    async with make_bot(deployment=with_staff, **env) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        yield World(bot, admin, sam, pat, mods)


@pytest.fixture
async def world(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    async with staffed(make_bot, emu, deployment, clock) as found:
        yield found


async def answer_item(person: Person, item: int, status: str) -> None:
    """/respond N, choose the status; return once the bot asks for the words."""
    await person.send(f"/respond {item}")
    asked = await person.wait_for(last_has("What is your answer?"))
    await press_on(person, asked[-1], status)
    await person.wait_for(last_has("Reply to this message"))


async def send_words(person: Person, words: str, chat: Group | None = None, **kw: object) -> str:
    """Write the words of a response, check the preview, press Send; the bot's reply."""
    where = chat or person
    await person.send(words, chat=chat, **kw)  # type: ignore[arg-type]
    previewed = await where.wait_for(
        lambda m: (
            bool(m)
            and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
            and words in (m[-1].text or "")
        )
    )
    await press_on(person, previewed[-1], texts.RESPOND_SEND, chat=chat)
    done = await where.wait_for(last_has("Published"))
    return done[-1].text or ""


async def respond(person: Person, start: MessageView, button: str, status: str, words: str) -> str:
    """From a message with respond buttons: choose, set the status, write, send; the reply."""
    await press_on(person, start, button)
    asked = await person.wait_for(last_has("What is your answer?"))
    await press_on(person, asked[-1], status)
    await person.wait_for(last_has("Reply to this message"))
    return await send_words(person, words)


async def digest_in_private(world: World, clock: FakeClock) -> MessageView:
    """Monday's digest as Pat gets it in her private chat (the text, with its buttons)."""
    clock.now = NEXT_MONDAY
    await run_job(world.bot, "digest:culture-leisure")
    found = await world.pat.wait_for(
        lambda m: any("your feedback digest" in (x.text or "") for x in m), timeout=30
    )
    return next(m for m in found if "your feedback digest" in (m.text or ""))


async def notice_of(person: Person) -> MessageView:
    """The response as a contributor receives it."""
    found = await person.wait_for(
        lambda m: any("has responded" in (x.text or "") for x in m), timeout=15
    )
    return next(m for m in found if "has responded" in (m.text or ""))


async def test_a_theme_response_from_the_digest_reaches_every_contributor_who_asked(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice, bob, carol, dan, eve = (emu.person(n) for n in ("Alice", "Bob", "Carol", "Dan", "Eve"))
    db = world.bot.db
    a = await add_item(db, alice.id, "library", "Queue at the desk took forty minutes.", WEDNESDAY)
    b = await add_item(db, bob.id, "library", "Waited ages to renew a book at the desk.", WEDNESDAY)
    await add_item(
        db, carol.id, "library", "Long wait at the desk on Saturday.", WEDNESDAY, hear_back=False
    )
    await add_item(db, dan.id, "library", "The waiting time at the desk is awful.", WEDNESDAY)
    # Another theme: Eve is not a contributor to the theme answered.
    await add_item(db, eve.id, "library", "The toilets were dirty.", WEDNESDAY, ("environment",))
    dan.block()

    digest = await digest_in_private(world, clock)
    # A button beside each theme listed (not only those quoted) and each quote.
    assert f"↩️ Respond: {ACCESS}" in buttons_of(digest)
    assert "↩️ Respond: Cleanliness, environment and facilities" in buttons_of(digest)
    assert f"↩️ #{a}" in buttons_of(digest)
    done = await respond(
        world.pat,
        digest,
        f"↩️ Respond: {ACCESS}",
        CHANGED,
        "We have opened a second desk on Saturdays, so the queue is shorter.",
    )
    assert "covers 4 items" in done and "goes to 3 people" in done

    for person, item in ((alice, a), (bob, b)):
        notice = await notice_of(person)
        text = notice.text or ""
        assert "Culture and Leisure" in text and "second desk" in text, text
        assert f"#{item}" in text and ACCESS in text and "Changed" in text
        assert [texts.ANSWERED_YES, texts.ANSWERED_NO] in notice.buttons
    await asyncio.sleep(0.3)
    assert not any("has responded" in (m.text or "") for m in carol.messages)  # opted out
    assert not any("has responded" in (m.text or "") for m in eve.messages)  # other theme
    assert not any("has responded" in (m.text or "") for m in dan.messages)
    assert stored(db_path, "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state") == [
        ("blocked", 1),
        ("sent", 2),
    ]
    # The moderators see it, with a button to hide it.
    card = await world.mods.wait_for(lambda m: any("Response" in (x.text or "") for x in m))
    assert any(texts.RESPONSE_HIDE in row for m in card for row in m.buttons)

    # Alice: it answers her point. Bob: it does not, and he says why.
    assert (await press_on(alice, await notice_of(alice), texts.ANSWERED_YES))["text"] == (
        texts.RATED_YES
    )
    await press_on(bob, await notice_of(bob), texts.ANSWERED_NO)
    await bob.wait_for(last_has("say what's missing"))
    await bob.send("The second desk is closed whenever I go, at lunchtime.")
    saved = await bob.wait_for(last_has("comment is saved as"))
    reply = saved[-1].text or ""
    comment = int(re.search(r"#(\d+)", reply).group(1))  # type: ignore[union-attr]
    rows = stored(db_path, f"SELECT response_id, service_slug FROM feedback WHERE id = {comment}")
    assert rows == [(1, "library")]
    # Moderators see it as a comment on the response.
    await world.mods.wait_for(
        lambda m: any(
            (x.text or "").startswith(f"#{comment} ")
            and "comment on the provider's response R1" in (x.text or "")
            for x in m
        ),
        timeout=10,
    )
    assert stored(db_path, "SELECT reply FROM outbox WHERE reply IS NOT NULL ORDER BY reply") == [
        ("no",),
        ("yes",),
    ]
    # /mine shows the response under the item.
    await alice.send("/mine")
    mine = (await alice.wait_for(last_has("told us")))[-1].text or ""
    assert f"#{a}" in mine and "second desk" in mine and "Changed" in mine


async def test_nobody_gets_the_same_response_twice_and_strangers_cannot_rate_it(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice, mallory = emu.person("Alice"), emu.person("Mallory")
    db = world.bot.db
    # Two items of Alice's on the same theme: one message, about her newest.
    await add_item(db, alice.id, "library", "The queue was long again today.", WEDNESDAY)
    second = await add_item(db, alice.id, "library", "Still waiting at the desk.", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    await respond(
        world.pat, digest, f"↩️ Respond: {ACCESS}", IN_PROGRESS, "We are hiring two more staff."
    )
    notice = await notice_of(alice)
    assert f"#{second}" in (notice.text or "")
    await run_job(world.bot, "send-to-citizens")
    await asyncio.sleep(0.3)
    assert sum("has responded" in (m.text or "") for m in alice.messages) == 1
    # Mallory forges Alice's button: nothing is recorded.
    await mallory.send("/start")
    await mallory.next_message()
    forged = await mallory.press_data(mallory.messages[-1].message_id, "v:n:1")
    assert (await forged.answered())["text"] == texts.RATED_UNKNOWN
    assert stored(db_path, "SELECT COUNT(*) FROM outbox WHERE reply IS NOT NULL") == [(0,)]
    assert stored(db_path, "SELECT subject FROM audit WHERE action = 'denied'") == [
        ("response rating",)
    ]


async def test_not_changing_needs_a_reason_and_a_moderator_can_hide_a_response(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    await answer_item(world.pat, item, NOT_CHANGING)
    await world.pat.send("No")
    await world.pat.wait_for(last_has("people deserve the reason"))
    await send_words(world.pat, "We cannot staff Sundays within this year's budget.")
    notice = await notice_of(alice)
    assert "budget" in (notice.text or "")
    # Sam hides it: it disappears from /mine.
    cards = await world.mods.wait_for(lambda m: any("Response" in (x.text or "") for x in m))
    card = next(m for m in cards if "Response" in (m.text or ""))
    data = buttons_of(card)[texts.RESPONSE_HIDE]
    pressed = await world.sam.press_data(card.message_id, data, chat=world.mods)
    await pressed.answered()
    await world.mods.wait_for(lambda m: any("R1 hidden by" in (x.text or "") for x in m))
    await alice.send("/mine")
    mine = await alice.wait_for(last_has("told us"))
    assert "budget" not in (mine[-1].text or "")
    assert stored(
        db_path, "SELECT action FROM audit WHERE action LIKE 'response.%' ORDER BY id"
    ) == [
        ("response.published",),
        ("response.hidden",),
    ]


async def test_a_provider_cannot_answer_or_see_another_providers_services(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice = emu.person("Alice")
    # A bus item: Environment and Transport's, not Pat's (Culture and Leisure).
    bus = await add_item(world.bot.db, alice.id, "buses", "The 42 bus never came.", WEDNESDAY)
    await world.pat.send(f"/respond {bus}")
    await world.pat.wait_for(
        lambda m: bool(m) and m[-1].text == texts.RESPOND_PROBLEMS["no_such_item"]
    )
    # Forged buttons: a theme of another provider's digest, an item, a status without a draft.
    for data in (f"o:i:{bus}", "o:t:0:access_waiting:buses", "o:s:c", "o:h:1"):
        pressed = await world.pat.press_data(world.pat.messages[-1].message_id, data)
        answer = await pressed.answered()
        assert answer.get("show_alert"), data
    # A citizen cannot use provider buttons or commands at all.
    await alice.send("/respond")
    await alice.wait_for(lambda m: bool(m) and m[-1].text == texts.NOT_A_PROVIDER)
    pressed = await alice.press_data(alice.messages[-1].message_id, f"o:i:{bus}")
    assert (await pressed.answered())["text"] == texts.NOT_A_PROVIDER
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(0,)]
    # Pat's /respond and forged buttons (a status with nothing being written is only stale),
    # and the citizen's command and button.
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'denied'") == [(6,)]


async def test_in_progress_is_followed_up_and_changed_tells_the_earlier_contributors(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await add_item(
        world.bot.db, alice.id, "library", "The queue at the desk is too long.", WEDNESDAY
    )
    digest = await digest_in_private(world, clock)
    await respond(
        world.pat, digest, f"↩️ Respond: {ACCESS}", IN_PROGRESS, "We are recruiting more desk staff."
    )
    await notice_of(alice)
    # Bob complains in the next period, about the same theme.
    await add_item(
        world.bot.db, bob.id, "library", "Waited half an hour.", NEXT_MONDAY + timedelta(days=1)
    )
    # Four weeks on, Pat is asked for an update.
    clock.now = NEXT_MONDAY + timedelta(days=28, minutes=1)
    await run_job(world.bot, "response-follow-up")
    asked = await world.pat.wait_for(last_has("being worked on"))
    await run_job(world.bot, "response-follow-up")  # asked once only
    await asyncio.sleep(0.2)
    assert sum("being worked on" in (m.text or "") for m in world.pat.messages) == 1
    await press_on(world.pat, asked[-1], texts.FOLLOW_UP_BUTTON)
    status = await world.pat.wait_for(last_has("What is your answer?"))
    await press_on(world.pat, status[-1], CHANGED)
    await world.pat.wait_for(last_has("Reply to this message"))
    await send_words(world.pat, "Two new staff started: the desk is open all day now.")
    found = await alice.wait_for(
        lambda m: sum("has responded" in (x.text or "") for x in m) == 2, timeout=15
    )
    assert "Two new staff" in (found[-1].text or "") and "Changed" in (found[-1].text or "")
    await asyncio.sleep(0.3)
    # Bob's item is of another period: the update on the earlier period does not reach him.
    assert not any("has responded" in (m.text or "") for m in bob.messages)


async def test_mydata_shows_responses_received_and_forget_erases_them(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Please open on Sundays.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await press_on(alice, await notice_of(alice), texts.ANSWERED_NO)
    await alice.wait_for(last_has("say what's missing"))
    alice.block()  # then unblocks by writing again
    await alice.send("/mydata")
    found = await alice.wait_for(lambda m: bool(m) and m[-1].document is not None, timeout=10)
    data = json.loads(found[-1].document or b"{}")
    (received,) = data["responses_sent_to_you"]
    assert received["response"] == "We are asking the council for Sunday funding."
    assert received["did_it_answer_your_point"] == "no" and received["about_your_item"] == item
    await alice.send("/forget")
    await alice.wait_for(last_has("can't be undone"))
    await press_on(alice, alice.messages[-1], texts.FORGET_ALL)
    await alice.wait_for(last_has(texts.FORGET_DONE))
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert str(alice.id) not in everything_in(db_path)
    # The response itself stays public, as the provider's words.
    assert stored(db_path, "SELECT text FROM responses") == [
        ("We are asking the council for Sunday funding.",)
    ]


async def test_the_next_digest_shows_what_responses_did(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    for person in (alice, bob):
        await add_item(world.bot.db, person.id, "library", "The desk queue is slow.", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    assert "2 items without a response yet" in (digest.text or "")
    clock.now = NEXT_MONDAY + timedelta(days=2)
    await respond(world.pat, digest, f"↩️ Respond: {ACCESS}", CHANGED, "Two desks from now on.")
    await press_on(alice, await notice_of(alice), texts.ANSWERED_YES)
    await notice_of(bob)
    clock.now = NEXT_MONDAY + timedelta(days=7)
    await run_job(world.bot, "digest:culture-leisure")
    found = await world.pat.wait_for(
        lambda m: sum("your feedback digest" in (x.text or "") for x in m) == 2, timeout=10
    )
    latest = [m for m in found if "your feedback digest" in (m.text or "")][-1].text or ""
    assert "What your responses did" in latest, latest
    assert "Responses covered 2 of 2 items (100%); median time to a first answer: 7 days" in latest
    assert "2 items led to a change" in latest
    assert "The one person who replied to a response said it answered their point" in latest


async def test_a_citizen_who_blocked_the_bot_and_came_back_hears_again(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    alice = emu.person("Alice")
    first = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    alice.block()
    await answer_item(world.pat, first, texts.RESPONSE_STATUS["acknowledged"])
    await send_words(world.pat, "Thank you, we hear you.")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    assert stored(db_path, "SELECT COUNT(*) FROM unreachable_chats") == [(1,)]
    # She unblocks the bot by writing to it again: from now on she can be reached, and the
    # answer she missed comes now.
    await alice.send("/mine")
    await alice.wait_for(lambda m: any("has responded" in (x.text or "") for x in m), timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM unreachable_chats") == [(0,)]
    second = await add_item(world.bot.db, alice.id, "library", "And later hours too.", WEDNESDAY)
    await answer_item(world.pat, second, texts.RESPONSE_STATUS["in_progress"])
    await send_words(world.pat, "We are looking at later hours.")
    found = await alice.wait_for(
        lambda m: sum("has responded" in (x.text or "") for x in m) == 2, timeout=15
    )
    notice = [m for m in found if "has responded" in (m.text or "")][-1]
    assert f"#{second}" in (notice.text or "") and "later hours" in (notice.text or "")


async def test_telegram_saying_the_bot_was_blocked_marks_the_chat_until_it_is_back(
    world: World, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    # A citizen (a stranger who blocks the bot is not kept by id: test_privacy_attacks).
    await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    bot_user = {"id": emu.bot_id, "is_bot": True, "first_name": emu.bot_name}

    def member(status: str) -> dict[str, object]:
        found: dict[str, object] = {"status": status, "user": bot_user}
        if status == "kicked":
            found["until_date"] = 0
        return found

    def member_update(old: str, new: str) -> dict[str, object]:
        return {
            "my_chat_member": {
                "chat": {"id": alice.id, "type": "private", "first_name": "Alice"},
                "from": dict(alice.user),
                "date": 1764150000,
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }

    emu.inject(member_update("member", "kicked"))
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT chat_id FROM unreachable_chats") == [(alice.id,)]
    emu.inject(member_update("kicked", "member"))
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT chat_id FROM unreachable_chats") == []


async def test_a_provider_responds_from_their_teams_group(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    admin, pat, kim, alice = (emu.person(n) for n in ("Ada", "Pat", "Kim", "Alice"))
    team = emu.group("Culture team", members=[pat, kim])
    providers = [
        p.model_copy(update={"chats": [team.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "providers": providers})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        item = await add_item(bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
        # Kim is in the group but not a provider: her /respond does nothing.
        await kim.send("/respond", chat=team)
        await team.wait_for(lambda m: bool(m) and m[-1].text == texts.NOT_A_PROVIDER)
        # Without a number: the themes heard so far this period (no digest yet), as buttons.
        clock.advance(minutes=1)
        await pat.send("/respond", chat=team)
        offered = await team.wait_for(last_has("Tap a theme below"))
        assert list(buttons_of(offered[-1])) == [f"↩️ Respond: {ACCESS}"]
        await pat.send(f"/respond {item}", chat=team)
        asked = await team.wait_for(last_has("What is your answer?"))
        data = buttons_of(asked[-1])[texts.RESPONSE_STATUS["in_progress"]]
        # Kim presses Pat's status button: refused, nothing changes.
        refused = await kim.press_data(asked[-1].message_id, data, chat=team)
        assert (await refused.answered()).get("show_alert")
        await (await pat.press_data(asked[-1].message_id, data, chat=team)).answered()
        prompt = await team.wait_for(last_has("Reply to this message"))
        # Someone else chatting in the group is not taken as the response.
        await kim.send("Shall we order a new lift part?", chat=team)
        await send_words(pat, "A new lift part arrives next week.", team, reply_to=prompt[-1])
        notice = await notice_of(alice)
        assert "new lift part arrives" in (notice.text or "")
    assert stored(db_path, "SELECT text FROM responses") == [
        ("A new lift part arrives next week.",)
    ]


async def follow_up_due(world: World, emu: Emulator, clock: FakeClock) -> None:
    """Pat said "being worked on" about an item; the day to ask for an update has come."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Please open on Sundays.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await notice_of(alice)
    clock.now = WEDNESDAY + timedelta(days=29)


async def test_a_follow_up_telegram_failed_to_deliver_is_asked_at_the_next_run(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """One 5xx when asking for an update does not lose the question for good; a chat that
    got it is never asked twice."""
    await follow_up_due(world, emu, clock)
    fault = emu.faults.server_error("sendMessage", status=502, chat_id=world.pat.id, times=1)
    await run_job(world.bot, "response-follow-up")
    assert fault.hits == 1
    assert not any("being worked on" in (m.text or "") for m in world.pat.messages)
    clock.advance(minutes=10)
    await run_job(world.bot, "response-follow-up")
    await world.pat.wait_for(last_has("being worked on"))
    await run_job(world.bot, "response-follow-up")
    await emu.idle()
    assert sum("being worked on" in (m.text or "") for m in world.pat.messages) == 1


@pytest.fixture
async def slow_world(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    """`world`, with the bot waiting 2 s for Telegram's answers."""
    async with staffed(make_bot, emu, deployment, clock, YOUSAID_TELEGRAM_TIMEOUT="2") as found:
        yield found


async def test_a_follow_up_that_timed_out_but_arrived_is_not_asked_twice(
    slow_world: World, emu: Emulator, clock: FakeClock
) -> None:
    """A timeout may have delivered the question: it is not asked again."""
    world = slow_world
    await follow_up_due(world, emu, clock)
    # Telegram delivers the question, but answers after the bot stopped waiting (2 s).
    late = emu.faults.late(
        "sendMessage", chat_id=world.pat.id, delay=4, times=1, text_contains="being worked on"
    )
    await run_job(world.bot, "response-follow-up")
    assert late.hits == 1
    await world.pat.wait_for(has("being worked on"))
    clock.advance(minutes=10)
    await run_job(world.bot, "response-follow-up")
    await emu.idle()
    assert sum("being worked on" in (m.text or "") for m in world.pat.messages) == 1


async def test_responses_list_cuts_a_long_response_at_a_word(world: World, emu: Emulator) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    words = (
        "We are asking the council for Sunday funding and expect an answer from the finance "
        "committee before the end of January."
    )
    await send_words(world.pat, words)
    await world.pat.send("/responses")
    listing = (await world.pat.wait_for(last_has("R1")))[-1].text or ""
    assert_cut_at_a_word(listing, words)


def assert_cut_at_a_word(line: str, words: str) -> None:
    """The first quote of `line` is the start of `words`, ended at a word with "…"."""
    shown = line.split("“", 1)[1].split("”", 1)[0].strip("\u2068\u2069")
    head = shown.removesuffix("…")
    assert shown.endswith("…") and words.startswith(head) and words[len(head)] == " ", shown


async def test_a_long_question_in_the_digest_is_cut_at_a_word(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    from tests.e2e.helpers import with_text
    from tests.e2e.test_asks import seed
    from tests.e2e.test_moderation import press_card

    alice = emu.person("Alice")
    await seed(world.bot.db, alice, "library", hear_back=True, involve="yes")
    await add_item(world.bot.db, alice.id, "library", "The desk queue is slow.", WEDNESDAY)
    words = (
        "We are redesigning the study room on the first floor and would like to know "
        "which opening hours, furniture arrangements and quiet zones would make the "
        "library easier for you to use in the evenings after work."
    )
    await world.pat.send("/ask library")
    prompt = await world.pat.wait_for(last_has("Reply to this message"))
    await world.pat.send(words, reply_to=prompt[-1])
    await world.mods.wait_for(has(words))
    await press_card(
        world.sam, world.mods, with_text(world.mods.messages, words), texts.ASKS_APPROVE
    )
    await world.pat.wait_for(has("was approved"))
    digest = await digest_in_private(world, clock)
    line = next(x for x in (digest.text or "").split("\n") if "You asked about" in x)
    assert_cut_at_a_word(line, words)


async def test_every_item_button_under_a_digest_is_an_item_it_quotes(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Quotes dropped to fit the digest take their buttons with them."""
    themes = ("access_waiting", "staff_attitude", "staff_competence")
    others = ("staffing_levels", "communication", "organisation", "care_treatment")
    long = "the staff at the counter could not tell me when the room would be free again " * 3
    for n in range(30):
        await add_item(
            world.bot.db,
            6_000_000 + n,
            ("library", "parks")[n % 2],
            f"Report {n}: {long}"[:400],
            WEDNESDAY,
            (themes[n % 3], others[n % 4]),
        )
    digest = await digest_in_private(world, clock)
    text = digest.text or ""
    items = [b for b in buttons_of(digest) if b.startswith("↩️ #")]
    assert items
    assert [b for b in items if b.removeprefix("↩️ ") + "," not in text] == []


async def test_a_theme_button_of_digest_pressed_after_its_period_ended_answers_that_period(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """/digest on Sunday evening, "Respond" on Monday morning: the answer goes to the items
    the digest showed, not to the new period's (nor to nothing)."""
    alice = emu.person("Alice")
    item = await add_item(
        world.bot.db, alice.id, "library", "Queue at the desk took forty minutes.", WEDNESDAY
    )
    clock.now = NEXT_MONDAY - timedelta(hours=13)
    await world.pat.send("/digest")
    found = await world.pat.wait_for(
        lambda ms: any(m.buttons and f"#{item}" in (m.text or "") for m in ms)
    )
    digest = next(m for m in found if m.buttons and f"#{item}" in (m.text or ""))
    label = next(b for b in buttons_of(digest) if b.startswith("↩️ Respond"))
    clock.now = NEXT_MONDAY + timedelta(hours=1)
    pressed = await world.pat.press_data(digest.message_id, buttons_of(digest)[label])
    assert not (await pressed.answered()).get("show_alert")
    # (The new period's digest may arrive meanwhile: messages are found by their words.)
    asked = with_text(await world.pat.wait_for(has("What is your answer?")), "What is your")
    assert "2–9 Nov 2026: 1 item" in (asked.text or "")
    await press_on(world.pat, asked, texts.RESPONSE_STATUS["acknowledged"])
    await world.pat.wait_for(has("Reply to this message"))
    await world.pat.send("We are looking at the desk queues.")
    found = await world.pat.wait_for(has(texts.RESPOND_PREVIEW_FOOT))
    await press_on(world.pat, with_text(found, texts.RESPOND_PREVIEW_FOOT), texts.RESPOND_SEND)
    await world.pat.wait_for(has("Published"))
    assert stored(db_path, "SELECT feedback_id FROM response_items") == [(item,)]


async def test_two_of_a_team_answering_at_once_do_not_both_reach_people_unasked(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Pat previews her answer; meanwhile Kim, of the same team, sends his on the same
    item. Pat's Send then sends nothing and says why; Send again sends hers too."""
    kim, alice = emu.person("Kim"), emu.person("Alice")
    assert "Culture and Leisure" in await invite(world.admin, kim, "provider culture-leisure")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    words = "An engineer is booked for the lift on Friday."
    await world.pat.send(words)
    previewed = await world.pat.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    clock.advance(minutes=2)
    await answer_item(kim, item, IN_PROGRESS)
    await send_words(kim, "The lift part is ordered and arrives next week.")
    await notice_of(alice)
    clock.advance(minutes=1)
    pressed = await world.pat.press_data(
        previewed[-1].message_id, buttons_of(previewed[-1])[texts.RESPOND_SEND]
    )
    answer = await pressed.answered()
    assert answer.get("text") == texts.RESPOND_PROBLEMS["answered_meanwhile"]
    assert answer.get("show_alert") is True
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(1,)]
    # Pressed again, knowing: hers goes too.
    await press_on(world.pat, previewed[-1], texts.RESPOND_SEND)
    await world.pat.wait_for(last_has("Published"))
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(2,)]
    await alice.wait_for(
        lambda m: len([x for x in m if "has responded" in (x.text or "")]) == 2, timeout=15
    )


async def test_a_preview_says_a_colleague_answered_while_it_was_written(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Kim sends his answer while Pat is still writing hers: her preview says so."""
    kim, alice = emu.person("Kim"), emu.person("Alice")
    assert "Culture and Leisure" in await invite(world.admin, kim, "provider culture-leisure")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    clock.advance(minutes=1)
    await answer_item(kim, item, IN_PROGRESS)
    await send_words(kim, "The lift part is ordered and arrives next week.")
    clock.advance(minutes=1)
    await world.pat.send("An engineer is booked for the lift on Friday.")
    previewed = await world.pat.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    assert texts.RESPOND_PREVIEW_MEANWHILE in (previewed[-1].text or "")
    # Kim's own next preview on it says nothing of the kind: the response was his.
    await answer_item(kim, item, IN_PROGRESS)
    await kim.send("The engineer comes on Friday morning, before we open.")
    mine = await kim.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    assert texts.RESPOND_PREVIEW_MEANWHILE not in (mine[-1].text or "")
