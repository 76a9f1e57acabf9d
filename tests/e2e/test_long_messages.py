"""Every message built around someone's text arrives, however long the text and the names
around it; provider commands answer only where a provider's team reads them; a digest
queued before a provider's role was revoked is not sent to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.roles import Who
from emulator import Emulator, Group, Person
from emulator.people import MessageView
from handlers import texts
from handlers.fitting import MESSAGE_LIMIT, utf16_len
from storage import responses
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on, with_text
from tests.e2e.test_asks import approve, new_with, propose, seed, settled
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import invite

WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)
# A provider's name in the deployment file may be as long as anyone types it.
LONG_NAME = "Culture and Leisure " + "of the Royal Borough and its Parishes " * 80


def words(count: int, tag: str) -> str:
    """Text of exactly `count` characters, ending with a recognisable tag."""
    filler = ("lorem ipsum dolor sit amet " * (count // 20 + 1))[: count - len(tag) - 1]
    return f"{filler.rstrip()} {tag}".rjust(count, "x")


def refused(emu: Emulator) -> list[str]:
    """What Telegram refused of the bot's sends (nothing, when every message fits)."""
    return [
        f"{c.method}: {c.response.get('description')}"
        for c in emu.calls
        # The start-up look-ups of the deployment's chats are no sends (the example's
        # provider chats do not exist here).
        if not c.ok and c.method.lower() not in ("getupdates", "getchat", "getchatmember")
    ]


def fits(text: str | None) -> bool:
    return utf16_len(text or "") <= MESSAGE_LIMIT


@dataclass
class World:
    """A provider with a very long name, its person Pat (also in the moderators' group), its
    team group, a moderator and an admin."""

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
    mods = emu.group("Moderators", members=[admin, sam, pat])
    team = emu.group("Culture team", members=[pat])
    providers = [
        p.model_copy(update={"chats": [team.id], "name": LONG_NAME})
        if p.id == "culture-leisure"
        else p
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


async def test_a_longest_response_under_a_long_name_reaches_citizen_and_moderators(
    world: World, emu: Emulator
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await world.pat.send(f"/respond {item}")
    asked = await world.pat.wait_for(last_has("What is your answer?"))
    await press_on(world.pat, asked[-1], texts.RESPONSE_STATUS["changed"])
    await world.pat.wait_for(last_has("Reply to this message"))
    response = words(1500, "END-OF-RESPONSE")
    await world.pat.send(response)
    previewed = await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
    # The preview shows the whole response, as the citizen will read it.
    assert "END-OF-RESPONSE" in (previewed[-1].text or "")
    await press_on(world.pat, previewed[-1], texts.RESPOND_SEND)
    await world.pat.wait_for(last_has("Published"))

    notice = with_text(await alice.wait_for(has("has responded"), timeout=15), "has responded")
    # The whole response: the provider's name is what gave way.
    assert "END-OF-RESPONSE" in (notice.text or "") and fits(notice.text)
    assert [texts.ANSWERED_YES, texts.ANSWERED_NO] in notice.buttons
    card = with_text(await world.mods.wait_for(has("END-OF-RESPONSE")), "END-OF-RESPONSE")
    assert fits(card.text) and texts.RESPONSE_HIDE in buttons_of(card)
    assert refused(emu) == []


async def test_questions_invitations_and_relays_under_a_long_name_arrive_whole(
    world: World, emu: Emulator
) -> None:
    bob = emu.person("Bob")
    await seed(world.bot.db, bob, "library", hear_back=True, involve="yes")
    question = words(1000, "END-OF-QUESTION")
    await propose(world, "/ask library", question)
    assert "Approved" not in await approve(world, question)
    asked = with_text(await bob.wait_for(has("END-OF-QUESTION"), timeout=15), "has a question")
    assert fits(asked.text) and texts.ASKS_ANSWER in buttons_of(asked)

    invitation = words(1000, "END-OF-INVITATION")
    await propose(world, "/invite_people library", invitation)
    await approve(world, invitation)
    invited = with_text(await bob.wait_for(has("END-OF-INVITATION"), timeout=15), "invites")
    await press_on(bob, invited, texts.ASKS_ACCEPT_RELAY)
    told = with_text(await world.team.wait_for(has("Someone accepted")), "Someone accepted")
    assert fits(told.text)

    # The provider writes the longest relay; Bob reads every word, and can reply.
    since = len(world.pat.messages_in(world.team))
    await press_on(world.pat, told, texts.ASKS_WRITE, chat=world.team)
    prompt = await new_with(world.pat, "write your message", since, world.team)
    relay = words(2000, "END-OF-RELAY")
    await world.pat.send(relay, chat=world.team, reply_to=prompt)
    relayed = with_text(await bob.wait_for(has("END-OF-RELAY")), "END-OF-RELAY")
    assert relay in (relayed.text or "") and texts.ASKS_REPLY in buttons_of(relayed)
    await press_on(bob, relayed, texts.ASKS_REPLY)
    await bob.wait_for(last_has("Write your reply"))
    reply = words(2000, "END-OF-REPLY")
    await bob.send(reply)
    back = with_text(await world.team.wait_for(has("END-OF-REPLY")), "END-OF-REPLY")
    assert reply in (back.text or "")
    await settled(world.bot.db)
    assert refused(emu) == []


async def test_mine_with_many_long_items_and_responses_arrives_in_parts(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    carol = emu.person("Carol")
    db = world.bot.db
    items = [
        await add_item(db, carol.id, "library", words(4000, f"ITEM-{n}"), WEDNESDAY)
        for n in range(10)
    ]

    async def answer(conn: aiosqlite.Connection) -> None:
        for n in range(6):
            await responses.create(
                conn,
                provider_id="culture-leisure",
                service_slug="library",
                theme_id="access_waiting",
                item_id=None,
                period=None,
                status="in_progress",
                text=words(1500, f"RESPONSE-{n}"),
                author=world.pat.id,
                follow_up_at=None,
                items=items,
                now=WEDNESDAY + timedelta(minutes=n),
            )

    await db.write(answer)
    clock.advance(minutes=10)
    await carol.send("/mine")
    await emu.idle(quiet=0.3)
    shown = [m for m in carol.messages if m.text and "#" in m.text]
    joined = "\n".join(m.text or "" for m in shown)
    assert len(shown) > 1 and all(fits(m.text) for m in shown)
    assert shown[0].text and shown[0].text.startswith(texts.MINE_HEADER)
    assert all(f"#{item}" in joined for item in items)
    assert refused(emu) == []


async def test_audit_with_long_entries_arrives_in_parts(world: World, emu: Emulator) -> None:
    # What someone typed ends up in the audit log (a refused command's argument).
    for n in range(20):
        await world.bot.roles.denied(Who(world.sam.id, moderator=True), words(4000, f"TRY-{n}"))
    await world.admin.send("/audit")

    def parts_so_far(messages: list[MessageView]) -> int:
        starts = [n for n, m in enumerate(messages) if "Latest actions" in (m.text or "")]
        return len(messages) - starts[0] if starts else 0

    # The parts are paced by the chat's sending limit (a step of 1.1 s once its burst is
    # spent): wait for the second, then for a spell longer than one step.
    await world.admin.wait_for(lambda msgs: parts_so_far(msgs) > 1, timeout=60)
    await emu.idle(quiet=1.5)
    messages = world.admin.messages
    (first,) = [n for n, m in enumerate(messages) if "Latest actions" in (m.text or "")]
    parts = messages[first:]
    assert len(parts) > 1 and all(fits(m.text) for m in parts)
    # Each entry is there, its subject shortened; /audit export has it whole.
    assert sum((m.text or "").count("lorem ipsum") for m in parts) >= 20
    assert refused(emu) == []


@pytest.mark.parametrize(
    "command",
    ["/digest", "/respond", "/services", "/schedule", "/ask library", "/involved", "/responses"],
)
async def test_provider_commands_in_the_moderators_chat_only_point_elsewhere(
    world: World, emu: Emulator, command: str
) -> None:
    await add_item(world.bot.db, emu.person("Dee").id, "library", "Lovely staff.", WEDNESDAY)
    before = len(world.mods.messages)
    await world.pat.send(command, chat=world.mods)
    await world.mods.wait_for(lambda m: len(m) > before)
    await emu.idle(quiet=0.3)
    assert [m.text for m in world.mods.messages[before:]] == [texts.PROVIDER_ELSEWHERE]
    # In the team's own chat the same command answers as before.
    since = len(world.team.messages)
    await world.pat.send(command, chat=world.team)
    found = await world.team.wait_for(lambda m: len(m) > since)
    assert texts.PROVIDER_ELSEWHERE not in [m.text for m in found[since:]]
    if command == "/responses":
        # A moderator's /responses is at home in the moderators' chat.
        await world.sam.send("/responses", chat=world.mods)
        await world.mods.wait_for(last_has(texts.RESPONSE_LIST_EMPTY))


async def test_a_digest_queued_before_a_revocation_is_not_sent_to_the_revoked_provider(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    await add_item(world.bot.db, emu.person("Eve").id, "library", "The desk queue.", WEDNESDAY)
    clock.now = NEXT_MONDAY
    await world.bot.digests.schedule()  # queued for the team and for Pat
    # The admin revokes Pat (as /roles' button does; its answer names the provider).
    ((role_id,),) = stored(db_path, f"SELECT id FROM staff WHERE telegram_id = {world.pat.id}")
    assert await world.bot.roles.revoke(Who(world.admin.id, admin=True), int(str(role_id)))
    await run_job(world.bot, "digest:culture-leisure")
    await world.team.wait_for(has("your feedback digest"))
    await emu.idle(quiet=0.3)
    assert not any("your feedback digest" in (m.text or "") for m in world.pat.messages)
    assert stored(
        db_path, f"SELECT state, error FROM digest_deliveries WHERE chat_id = {world.pat.id}"
    ) == [("failed", "no longer a provider")]
