"""Questions and invitations end to end: a provider asks, a moderator approves, only the
citizens who opted in hear it, answers are feedback, acceptances reach the provider only
with what the citizen chose to share."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.app import YousaidBot
from bot.asks import ask_lines
from bot.config import Deployment
from bot.intake import CONSENT_VERSION
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from storage import asks, citizens, feedback, services
from storage.db import Database
from tests.conftest import FakeClock, stored_bytes
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of, has, press_on, with_text
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_leases import until
from tests.e2e.test_moderation import card_of, invite, press_card

WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
LIBRARY = "Central Library"
QUESTION = "What would make the library easier to use in the evenings?"
INVITATION = "Join our co-design evening for the new study room, Tuesday 6pm at the library."


async def seed(
    db: Database, person: Person, service: str, *, hear_back: bool, involve: str | None = None
) -> int:
    """A consenting citizen with one item about a service, straight into storage."""

    async def run(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.get_or_create(conn, person.id, WEDNESDAY)
        if await citizens.latest_consent(conn, citizen.id) is None:
            await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", WEDNESDAY)
        if involve is not None:
            await citizens.set_involve(conn, citizen.id, involve)
        return await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug=service,
            text=f"Something about {service} I noticed on my visit, number {person.id}.",
            rating=3,
            hear_back=hear_back,
            now=WEDNESDAY,
        )

    return await db.write(run)


async def settled(db_path: Path | Database) -> None:
    """Wait until nothing is left to send to citizens."""
    for _ in range(100):
        (left,) = stored(
            db_path, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending')"
        )
        if left == (0,):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox did not settle")


@dataclass
class World:
    """A provider's person and team group, the moderators, and a bot."""

    bot: YousaidBot
    admin: Person
    sam: Person
    pat: Person
    mods: Group
    team: Group


@pytest.fixture
async def world(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    admin, sam, pat = emu.person("Ada"), emu.person("Sam"), emu.person("Pat")
    mods = emu.group("Moderators", members=[admin, sam])
    team = emu.group("Culture team", members=[pat])
    providers = [
        p.model_copy(update={"chats": [team.id] if p.id == "culture-leisure" else []})
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": mods.id, "providers": providers}
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        yield World(bot, admin, sam, pat, mods, team)


async def propose(world: World, command: str, words: str, private: bool = False) -> int:
    """The provider writes a question or invitation (in the team group unless `private`);
    the moderators' card appears; return the ask id."""
    where = None if private else world.team
    pat = world.pat
    since = len(pat.messages_in(where))
    await pat.send(command, chat=where)
    prompt = await new_with(pat, "Reply to this message", since, where)
    since = len(pat.messages_in(where))
    await pat.send(words, chat=where, reply_to=prompt)
    await new_with(pat, "is with the moderators", since, where)
    await world.mods.wait_for(has(words))
    (row,) = stored(world.bot.db, "SELECT MAX(id) FROM asks")
    return int(str(row[0]))


async def new_with(
    person: Person, words: str, since: int, chat: Group | None = None
) -> MessageView:
    """The first message after the `since` first ones in a chat that has these words."""
    found = await person.wait_for(
        lambda messages: any(words in (m.text or "") for m in messages[since:]), chat=chat
    )
    return next(m for m in found[since:] if words in (m.text or ""))


async def approve(world: World, words: str) -> str:
    """A moderator approves the card with these words; return the author's news (in the
    team group)."""
    since = len(world.pat.messages_in(world.team))
    card = with_text(world.mods.messages, words)
    answer = await press_card(world.sam, world.mods, card, texts.ASKS_APPROVE)
    assert not answer.get("show_alert"), answer
    return (await new_with(world.pat, "was approved", since, world.team)).text or ""


async def test_a_question_reaches_only_those_who_opted_in_and_an_answer_is_feedback(
    world: World, emu: Emulator, db_path: Path
) -> None:
    db = world.bot.db
    ann, bob, cy, dan, eve, fay = (emu.person(n) for n in ("Ann", "Bob", "Cy", "Dan", "Eve", "Fay"))
    await seed(db, ann, "library", hear_back=True)  # asked to hear back
    await seed(db, bob, "library", hear_back=False, involve="yes")  # would like to be involved
    await seed(db, cy, "library", hear_back=True)  # ... but opted out of the library

    async def opt_out(conn: aiosqlite.Connection) -> None:
        found = await citizens.by_telegram_id(conn, cy.id)
        assert found is not None
        await asks.opt_out(conn, found.id, "library")

    await db.write(opt_out)
    await seed(db, dan, "buses", hear_back=True, involve="yes")  # another service only
    await seed(db, eve, "library", hear_back=True)  # blocks the bot
    await seed(db, fay, "library", hear_back=False, involve="no")  # did not opt in
    eve.block()

    ask_id = await propose(world, "/ask library", QUESTION)
    card = card_of_ask(world.mods, QUESTION)
    assert "Question" in (card.text or "") and "Would go to 3 people" in (card.text or "")
    assert stored(db_path, f"SELECT state FROM asks WHERE id = {ask_id}") == [("proposed",)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]  # nothing before approval

    news = await approve(world, QUESTION)
    assert "goes to 3 people" in news and QUESTION in news
    got = await ann.wait_for(has(QUESTION))
    await bob.wait_for(has(QUESTION))
    await settled(db_path)
    for nobody in (cy, dan, eve, fay):
        assert not any(QUESTION in (m.text or "") for m in nobody.messages), nobody
    assert stored(
        db_path,
        f"SELECT c.telegram_id, o.state FROM outbox o JOIN citizens c ON c.id = o.citizen_id"
        f" WHERE o.kind = 'question' AND o.ref_id = {ask_id} ORDER BY c.telegram_id",
    ) == sorted([(ann.id, "sent"), (bob.id, "sent"), (eve.id, "blocked")])
    message = with_text(got, QUESTION)
    assert "Culture and Leisure" in (message.text or "")
    assert set(buttons_of(message)) == {
        texts.ASKS_ANSWER,
        texts.ASKS_OPT_OUT.format(service=LIBRARY),
    }

    # Ann answers: her words are an item about the library, linked to the question.
    await press_on(ann, message, texts.ASKS_ANSWER)
    await ann.wait_for(has(texts.ASK_ANSWER))
    answer = "Longer opening hours on Thursdays would help people who work late."
    await ann.send(answer)
    saved = with_text(await ann.wait_for(has("Your answer is saved")), "Your answer is saved")
    found = re.search(r"#(\d+)", saved.text or "")
    assert found, saved.text
    item = int(found.group(1))
    assert stored(
        db_path, f"SELECT service_slug, text, ask_id, hear_back FROM feedback WHERE id = {item}"
    ) == [("library", answer, ask_id, 1)]

    # Moderated like any feedback; once approved it counts in the digest's lines.
    item_card = await card_of(world.mods, item)
    await press_card(world.sam, world.mods, item_card, texts.APPROVE)
    await asyncio.sleep(0.2)
    rows = [s async for s in _services(db, "culture-leisure")]
    lines = await ask_lines(db, rows, WEDNESDAY - timedelta(days=1), WEDNESDAY + timedelta(days=1))
    assert any(
        QUESTION in line and "Sent to 2 people; 1 answer published" in line for line in lines
    )
    assert any("1 person who told us about Central Library" in line for line in lines), lines
    # The answer itself is quoted under the question (its published text, kept apart from
    # the line around it by Unicode isolates).
    assert any(f"“\u2068{answer}\u2069” <i>#{item}</i>" in line for line in lines), lines
    assert await ask_lines(
        db, rows, WEDNESDAY + timedelta(days=1), WEDNESDAY + timedelta(days=2)
    ) == [lines[0]] + [line for line in lines if "would like to be involved" in line]


async def _services(db: Database, provider_id: str) -> AsyncIterator[services.ServiceRow]:
    for service in await services.active(db.reader):
        if service.provider_id == provider_id:
            yield service


def card_of_ask(mods: Group, words: str) -> MessageView:
    """The moderators' card of an ask."""
    return with_text(mods.messages, words)


async def test_only_a_provider_of_the_service_can_ask_and_only_moderators_approve(
    world: World, emu: Emulator, db_path: Path
) -> None:
    db = world.bot.db
    ann = emu.person("Ann")
    await seed(db, ann, "library", hear_back=True)
    pat = world.pat
    # Another provider's service: refused, audited, no draft.
    await pat.send("/ask buses", chat=world.team)
    refused = await pat.wait_for(has("only ask about your own services"), chat=world.team)
    assert "Reply to this message" not in (refused[-1].text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]
    assert stored(db_path, "SELECT subject FROM audit WHERE action = 'denied'") == [
        ("ask about buses",)
    ]
    # Without a service: how to use it, with the person's own services.
    await pat.send("/ask", chat=world.team)
    usage = await pat.wait_for(has("Usage: /ask"), chat=world.team)
    assert "library" in (usage[-1].text or "") and "buses" not in (usage[-1].text or "")
    # A citizen cannot ask at all.
    await ann.send("/ask library")
    await ann.wait_for(has(texts.NOT_ALLOWED))

    ask_id = await propose(world, "/ask library", QUESTION)
    # A citizen replaying the moderators' approve button gets nothing.
    press = await ann.press_data(ann.messages[-1].message_id, f"q:a:{ask_id}")
    answer = await press.answered()
    assert answer.get("text") == texts.NOT_ALLOWED_BUTTON
    # The provider who wrote it cannot approve it either (nor anywhere but where cards are).
    press = await pat.press_data(
        world.team.messages[-1].message_id, f"q:a:{ask_id}", chat=world.team
    )
    assert (await press.answered()).get("text") == texts.BUTTON_ELSEWHERE
    await asyncio.sleep(0.2)
    assert stored(db_path, f"SELECT state FROM asks WHERE id = {ask_id}") == [("proposed",)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert not any(QUESTION in (m.text or "") for m in ann.messages)

    # A moderator rejects: the author hears it, nobody gets the question, and a second
    # moderator's late approval does nothing.
    card = card_of_ask(world.mods, QUESTION)
    await press_card(world.sam, world.mods, card, texts.ASKS_REJECT)
    await pat.wait_for(has("did not approve"), chat=world.team)
    late = await world.admin.press_data(card.message_id, f"q:a:{ask_id}", chat=world.mods)
    assert (await late.answered()).get("text") == texts.ASKS_PROBLEMS["already_decided"]
    assert stored(db_path, f"SELECT state FROM asks WHERE id = {ask_id}") == [("rejected",)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    actions = [a for (a,) in stored(db_path, "SELECT action FROM audit ORDER BY id")]
    assert "question.proposed" in actions and "question.rejected" in actions
    assert "question.approved" not in actions


async def test_forged_citizen_buttons_do_nothing_and_opting_out_stops_questions(
    world: World, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    db = world.bot.db
    ann, dan = emu.person("Ann"), emu.person("Dan")
    await seed(db, ann, "library", hear_back=True)
    await seed(db, dan, "buses", hear_back=True)
    await dan.send("/mine")
    await dan.wait_for(lambda messages: bool(messages))
    ask_id = await propose(world, "/ask library", QUESTION)
    await approve(world, QUESTION)
    got = with_text(await ann.wait_for(has(QUESTION)), QUESTION)

    # Dan was not sent the question: its buttons, forged, do nothing.
    for action in ("a", "o", "n", "b", "d"):
        press = await dan.press_data(dan.messages[-1].message_id, f"k:{action}:{ask_id}")
        assert (await press.answered()).get("text") == texts.ASKS_PROBLEMS["not_yours"]
    press = await dan.press_data(dan.messages[-1].message_id, "k:r:1")
    assert (await press.answered()).get("text") == texts.ASKS_PROBLEMS["not_yours"]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM ask_optouts") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM acceptances") == [(0,)]
    # Each forged press is in the audit log (beyond a few a minute, folded into a count).
    denied = stored(
        db_path, "SELECT after FROM audit WHERE action = 'denied' AND subject = 'ask button'"
    )
    assert sum(json.loads(str(after or "{}")).get("count", 1) for (after,) in denied) == 6
    # Ann cannot accept a question as if it were an invitation.
    press = await ann.press_data(got.message_id, f"k:n:{ask_id}")
    assert (await press.answered()).get("text") == texts.ASKS_PROBLEMS["not_yours"]

    # Ann says no more questions about the library.
    await press_on(ann, got, texts.ASKS_OPT_OUT.format(service=LIBRARY))
    await ann.wait_for(has("no more questions or invitations about Central Library"))
    assert stored(db_path, "SELECT service_slug FROM ask_optouts") == [("library",)]
    # A week later another question goes out: not to her.
    clock.advance(days=8)
    later = "Which events would you like to see at the library next month?"
    await propose(world, "/ask library", later)
    assert "Would go to 0 people" in (card_of_ask(world.mods, later).text or "")
    assert "goes to 0 people" in await approve(world, later)
    await settled(db_path)
    assert not any(later in (m.text or "") for m in ann.messages)


async def test_a_second_question_within_a_week_is_held_back(
    world: World, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    ann = emu.person("Ann")
    await seed(world.bot.db, ann, "library", hear_back=True)
    await propose(world, "/ask library", QUESTION)
    await approve(world, QUESTION)
    await ann.wait_for(has(QUESTION))
    clock.advance(days=2)
    again = "And what about the weekend opening hours at the library?"
    await propose(world, "/ask library", again)
    assert "goes to 0 people" in await approve(world, again)
    await settled(db_path)
    assert not any(again in (m.text or "") for m in ann.messages)


async def test_invitation_accept_with_name_relay_or_decline(
    world: World, emu: Emulator, db_path: Path
) -> None:
    db = world.bot.db
    gil = emu.person("Gilberta", username="gil_h")
    hal = emu.person("Halvard", username="halvard_x")
    bob = emu.person("Bob")
    ann = emu.person("Ann")
    for person in (gil, hal, bob):
        await seed(db, person, "library", hear_back=False, involve="yes")
    await seed(db, ann, "library", hear_back=True, involve="no")  # answers questions only
    pat, team = world.pat, world.team

    # Counts only, before any invitation.
    await pat.send("/involved", chat=team)
    counts = with_text(await pat.wait_for(has("Would like to be involved"), chat=team), "Would")
    assert f"{LIBRARY}: 3" in (counts.text or "") and "Parks and green spaces: 0" in (
        counts.text or ""
    )

    # Written in the provider's private chat this time.
    ask_id = await propose(world, "/invite_people library", INVITATION, private=True)
    card = card_of_ask(world.mods, INVITATION)
    assert "Invitation" in (card.text or "") and "Would go to 3 people" in (card.text or "")
    await press_card(world.sam, world.mods, card, texts.ASKS_APPROVE)
    await pat.wait_for(has("goes to 3 people"))
    invitations = {
        p.first_name: with_text(await p.wait_for(has(INVITATION)), INVITATION)
        for p in (gil, hal, bob)
    }
    await settled(db_path)
    assert not any(INVITATION in (m.text or "") for m in ann.messages)
    assert set(buttons_of(invitations["Bob"])) == {
        texts.ASKS_ACCEPT_NAME,
        texts.ASKS_ACCEPT_RELAY,
        texts.ASKS_DECLINE,
        texts.ASKS_OPT_OUT.format(service=LIBRARY),
    }

    # Bob declines: thanked, nothing reaches the provider, not asked again.
    before = len(team.messages), len(pat.messages)
    await press_on(bob, invitations["Bob"], texts.ASKS_DECLINE)
    await bob.wait_for(has(texts.ASKS_DECLINED))
    again = await bob.press_data(invitations["Bob"].message_id, f"k:n:{ask_id}")
    assert (await again.answered()).get("text") == texts.ASKS_PROBLEMS["already"]

    # Gilberta shares her name: the provider's chats get her first name and username.
    await press_on(gil, invitations["Gilberta"], texts.ASKS_ACCEPT_NAME)
    told = await team.wait_for(has("Someone accepted"))
    named = with_text(told, "Someone accepted")
    # Her name, as she typed it, is kept apart from the line by Unicode isolates.
    assert "\u2068Gilberta\u2069 (@gil_h)" in (named.text or "")
    # Her private chat is the provider's too.
    await pat.wait_for(has("\u2068Gilberta\u2069 (@gil_h)"))
    assert len(team.messages) == before[0] + 1  # only Gilberta's news: Bob's no told nothing
    assert not any("Bob" in (m.text or "") for m in team.messages)

    # Halvard accepts through the bot only: no name, but a way to write to him.
    await press_on(hal, invitations["Halvard"], texts.ASKS_ACCEPT_RELAY)
    await team.wait_for(has("prefers to talk through the bot"))
    relay_news = with_text(team.messages, "prefers to talk through the bot")
    assert not any(
        "Halvard" in (m.text or "") or "halvard_x" in (m.text or "") for m in team.messages
    )
    assert not any("Halvard" in (m.text or "") for m in pat.messages)

    await press_on(pat, relay_news, texts.ASKS_WRITE, chat=team)
    prompt = with_text(await pat.wait_for(has("write your message"), chat=team), "write your")
    await pat.send("Would Tuesday at 6pm suit you? We'll have tea.", chat=team, reply_to=prompt)
    await pat.wait_for(has(texts.ASKS_RELAY_SENT), chat=team)
    relayed = with_text(await hal.wait_for(has("Would Tuesday at 6pm")), "Would Tuesday")
    assert "Culture and Leisure" in (relayed.text or "")
    await press_on(hal, relayed, texts.ASKS_REPLY)
    await hal.wait_for(has("Write your reply"))
    await hal.send("Tuesday works for me, see you there.")
    await hal.wait_for(has(texts.ASKS_RELAY_SENT))
    reply = with_text(await team.wait_for(has("Tuesday works")), "Tuesday works")
    assert "prefers to talk through the bot" in (reply.text or "")
    assert "Halvard" not in (reply.text or "") and str(hal.id) not in str(reply.data)

    # A citizen cannot write "as the provider"; another provider's person cannot either.
    forged = await bob.press_data(invitations["Bob"].message_id, "w:1")
    assert (await forged.answered()).get("text") == texts.NOT_ALLOWED

    # What was kept: only what each chose to share.
    assert stored(
        db_path,
        "SELECT share, first_name, username, told_at IS NOT NULL FROM acceptances ORDER BY id",
    ) == [("name", "Gilberta", "gil_h", 1), ("relay", None, None, 1)]
    assert stored(
        db_path,
        f"SELECT reply, COUNT(*) FROM outbox WHERE kind = 'invitation' AND ref_id = {ask_id}"
        " GROUP BY reply ORDER BY reply",
    ) == [("accepted", 2), ("declined", 1)]
    raw = stored_bytes(db_path)
    assert b"Halvard" not in raw and b"halvard_x" not in raw

    # /involved: counts of this invitation, never people.
    await pat.send("/involved", chat=team)
    counts = with_text(await pat.wait_for(has("2 accepted"), chat=team), "2 accepted")
    assert "sent to 3, 2 accepted, 1 declined" in (counts.text or "")
    assert "Gilberta" not in (counts.text or "") and "Bob" not in (counts.text or "")


async def test_cancel_drops_the_draft_and_later_words_are_not_taken(
    world: World, db_path: Path
) -> None:
    pat, team = world.pat, world.team
    since = len(pat.messages_in(team))
    await pat.send("/invite_people parks", chat=team)
    prompt = await new_with(pat, "Reply to this message", since, team)
    assert stored(db_path, "SELECT kind, service_slug FROM drafts") == [("invitation", "parks")]
    await pat.send("/cancel", chat=team)
    await pat.wait_for(lambda messages: len(messages) > since + 1, chat=team)
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]
    await pat.send("Come and help us plan the new play area!", chat=team, reply_to=prompt)
    await asyncio.sleep(0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM asks") == [(0,)]
    assert not any("is with the moderators" in (m.text or "") for m in pat.messages_in(team))


async def test_a_question_too_long_is_said_to_be_too_long_whatever_its_spacing(
    world: World, db_path: Path
) -> None:
    """Pasted words without spaces (a long run of one script, a pasted block) past the limit
    are told the limit, not asked for "a few more words"."""
    pat, team = world.pat, world.team
    since = len(pat.messages_in(team))
    await pat.send("/ask library", chat=team)
    prompt = await new_with(pat, "Reply to this message", since, team)
    since = len(pat.messages_in(team))
    await pat.send("y" * 1200, chat=team, reply_to=prompt)
    told = await new_with(pat, "1000 characters at most", since, team)
    assert "A few more words" not in (told.text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM asks") == [(0,)]


async def test_an_acceptance_telegram_failed_to_tell_is_told_at_the_next_run(
    world: World, emu: Emulator
) -> None:
    """A 5xx in every provider chat when telling of an acceptance does not lose it: the job
    tells it again, once."""
    gil = emu.person("Gilberta", username="gil_h")
    await seed(world.bot.db, gil, "library", hear_back=False, involve="yes")
    await propose(world, "/invite_people library", INVITATION, private=True)
    await press_card(world.sam, world.mods, card_of_ask(world.mods, INVITATION), texts.ASKS_APPROVE)
    invitation = with_text(await gil.wait_for(has(INVITATION)), INVITATION)
    await world.pat.wait_for(has("goes to 1 person"))
    faults = [
        emu.faults.server_error("sendMessage", chat_id=chat, times=1, text_contains="Gilberta")
        for chat in (world.team.id, world.pat.id)
    ]
    await press_on(gil, invitation, texts.ASKS_ACCEPT_NAME)
    await gil.wait_for(has("Thank"))
    # The news is told right after the thanks: both chats fail once, and it is given back.
    await until(lambda: all(f.hits for f in faults), "both chats tried")
    released = "SELECT COUNT(*) FROM acceptances WHERE told_at IS NULL"
    await until(lambda: stored(world.bot.db, released) == [(1,)], "given back")
    assert [f.hits for f in faults] == [1, 1]
    assert not any("Gilberta" in (m.text or "") for m in world.team.messages)
    await run_job(world.bot, "tell-acceptances")
    await world.team.wait_for(has("Gilberta"))
    await world.pat.wait_for(has("Gilberta"))
    await run_job(world.bot, "tell-acceptances")
    await emu.idle()
    assert sum("Gilberta" in (m.text or "") for m in world.team.messages) == 1


async def test_a_teams_group_shows_and_asks_only_about_that_teams_services(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Pat speaks for culture and for health; in the culture team's group (Kim reads it)
    /involved, /responses and /ask are about culture's services only, as /respond is."""
    from tests.e2e.helpers import add_item, last_has
    from tests.e2e.test_responses import WEDNESDAY

    ada, pat, kim, sam = (emu.person(n) for n in ("Ada", "Pat", "Kim", "Sam"))
    mods = emu.group("Moderators", members=[ada, sam])
    team = emu.group("Culture team", members=[ada, pat, kim])
    providers = [
        p.model_copy(update={"chats": [team.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(
        update={"admins": [ada.id], "moderators_chat": mods.id, "providers": providers}
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(ada, sam, "moderator")
        assert "Culture and Leisure" in await invite(ada, pat, "provider culture-leisure")
        assert "Riverside Health" in await invite(ada, pat, "provider riverside-health")
        gwen = emu.person("Gwen")
        await seed(bot.db, gwen, "gp-surgery", hear_back=True, involve="yes")
        await pat.send("/invite_people gp-surgery")
        prompt = await pat.wait_for(last_has("Reply to this message"))
        words = "Join our patient panel about the surgery's new phone system, Thursday 5pm."
        await pat.send(words, reply_to=prompt[-1])
        await mods.wait_for(has(words))
        await press_card(sam, mods, with_text(mods.messages, words), texts.ASKS_APPROVE)
        await pat.wait_for(has("was approved"))
        item = await add_item(
            bot.db, gwen.id, "gp-surgery", "The phone line is always engaged.", WEDNESDAY
        )
        await pat.send(f"/respond {item}")
        asked = await pat.wait_for(last_has("What is your answer?"))
        await press_on(pat, asked[-1], texts.RESPONSE_STATUS["acknowledged"])
        await pat.wait_for(last_has("Reply to this message"))
        await pat.send("We hear you about the phone line at the surgery.")
        preview = await pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
        await press_on(pat, preview[-1], texts.RESPOND_SEND)
        await pat.wait_for(has("Published"))

        async def in_team(command: str) -> str:
            seen = len(team.messages)
            await pat.send(command, chat=team)
            found = await team.wait_for(lambda ms: len(ms) > seen)
            return "\n".join(m.text or "" for m in found[seen:])

        involved = await in_team("/involved")
        assert "Central Library" in involved
        assert "GP" not in involved and "patient panel" not in involved
        assert "phone line" not in await in_team("/responses")
        assert "Reply to this message" not in await in_team("/ask gp-surgery")
