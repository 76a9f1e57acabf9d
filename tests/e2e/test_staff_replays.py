"""Staff updates handled again after a restart: a process that stops after an update's effect
and its answer, but before the batch of handled marks is written, gets that update again at
its next start. One whose effect was claimed with it does nothing and says nothing more; an
answer a crash lost is given by the answer-again job, once."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, has, last_has, press_on
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_guarantees import saved_then_crashed
from tests.e2e.test_responses import IN_PROGRESS, WEDNESDAY, answer_item, staffed


def marks_lost(bot: YousaidBot) -> None:
    """From now on this bot writes no handled marks, as when it stops before its batch of
    them is written: what it handles next comes again at the next start, unless its
    handler claimed it with its effect."""
    bot.processor.marks = None


async def first_after(person: Person, seen: int) -> MessageView:
    """The first message the bot sent this person after the `seen` they had."""
    return (await person.wait_for(lambda msgs: len(msgs) > seen))[seen]


async def link(admin: Person, role: str) -> str:
    """The admin asks for an invitation; its start parameter."""
    reply = await say(admin, f"/invite {role}")
    found = re.search(r"start=(inv_[\w-]+)", reply)
    assert found, reply
    return found.group(1)


async def test_an_invitation_handled_again_after_a_restart_says_nothing_more(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam = emu.person("Ada"), emu.person("Sam")
    mods = emu.group("Moderators", members=[admin, sam])
    staff = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    async with make_bot(deployment=staff) as bot:
        token = await link(admin, "moderator")
        marks_lost(bot)
        assert "now a moderator" in await say(sam, f"/start {token}")
    seen = len(sam.messages)
    async with make_bot(deployment=staff):
        # Handled again at this start, the /start would be answered before this.
        await sam.send("/queue")
        answer = await first_after(sam, seen)
    assert answer.text == texts.QUEUE_EMPTY, answer.text
    assert stored(db_path, f"SELECT role FROM staff WHERE telegram_id = {sam.id}") == [
        ("moderator",)
    ]
    granted = "SELECT COUNT(*) FROM audit WHERE action = 'role.granted'"
    assert stored(db_path, granted) == [(1,)]


async def welcome_lost(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> tuple[Deployment, Person, Person]:
    """Ada invites Sam; his /start grants the role, then the process dies before saying so.
    The deployment, Ada and Sam."""
    admin, sam = emu.person("Ada"), emu.person("Sam")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff):
        token = await link(admin, "moderator")
    await sam.send(f"/start {token}")

    def staffed_bot(**kw: object) -> YousaidBot:
        return make_bot(deployment=staff, **kw)

    await saved_then_crashed(
        staffed_bot,
        emu,
        lambda bot, u: bot.roles.accept(sam.id, "Sam", token.removeprefix("inv_"), update_id=u),
    )
    return staff, admin, sam


async def test_a_welcome_lost_to_a_crash_is_given_after_the_restart_once(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, clock: FakeClock
) -> None:
    staff, _, sam = await welcome_lost(make_bot, emu, deployment)
    async with make_bot(deployment=staff) as bot:
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        # The first thing Sam reads (nothing said at the start): the welcome, as it was.
        told = await first_after(sam, 0)
        assert "now a moderator" in (told.text or ""), told.text
        assert texts.INVITE_WHERE["moderator"].strip() in (told.text or "")
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        assert (await first_after(sam, 1)).text == texts.QUEUE_EMPTY
    assert len(sam.messages) == 2
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0") == [(0,)]


async def test_a_lost_welcome_to_a_role_revoked_since_is_not_given(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, clock: FakeClock
) -> None:
    staff, admin, sam = await welcome_lost(make_bot, emu, deployment)
    async with make_bot(deployment=staff) as bot:
        (held,) = await bot.roles.everyone()
        assert await bot.roles.revoke(await bot.roles.who(admin.id), held.id) is not None
        clock.advance(minutes=2)
        await run_job(bot, "answer-again-after-a-crash")
        await sam.send("/queue")
        assert (await first_after(sam, 0)).text == texts.NOT_ALLOWED
    assert stored(db_path, "SELECT COUNT(*) FROM updates WHERE chat_key <> 0") == [(0,)]


async def test_an_invite_handled_again_after_a_restart_makes_no_second_link(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin = emu.person("Ada")
    staff = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=staff) as bot:
        marks_lost(bot)
        await link(admin, "moderator")
    seen = len(admin.messages)
    async with make_bot(deployment=staff):
        await admin.send("/roles")
        answer = await first_after(admin, seen)
    assert texts.ROLES_HEADER.removeprefix("<b>").removesuffix("</b>") in (answer.text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM invitations") == [(1,)]


async def test_a_service_switch_handled_again_after_a_restart_is_not_switched_back(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    async with staffed(make_bot, emu, deployment, clock) as world:
        pat = world.pat
        await pat.send("/services")
        listing = (await pat.wait_for(lambda msgs: bool(msgs[-1].buttons)))[-1]
        label = listing.buttons[0][0]
        assert label.startswith(texts.SERVICE_ON.format(name=""))
        service = label.removeprefix(texts.SERVICE_ON.format(name=""))
        marks_lost(world.bot)
        await pat.press(label)
        off = texts.SERVICE_OFF.format(name=service)
        await pat.wait_for(lambda _: off in str(listing.buttons))
        staff = world.bot.deployment
    seen = len(pat.messages)
    async with make_bot(deployment=staff):
        await pat.send("/services")
        again = await first_after(pat, seen)
    assert off in str(again.buttons), (again.text, again.buttons)
    assert off in str(listing.buttons), listing.buttons
    assert len(stored(db_path, "SELECT * FROM digest_unsubscriptions")) == 1


async def test_a_response_begun_before_a_restart_is_carried_on_not_begun_again(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    """/respond N and its status, then a restart before their marks were written: Pat's
    words are the response's, with nothing put aside and nothing asked again."""
    alice = emu.person("Alice")
    async with staffed(make_bot, emu, deployment, clock) as world:
        pat = world.pat
        item = await add_item(world.bot.db, alice.id, "library", "The queue was long.", WEDNESDAY)
        marks_lost(world.bot)
        await answer_item(pat, item, IN_PROGRESS)
        staff = world.bot.deployment
    seen = len(pat.messages)
    words = "We are adding a second desk at the library from next week."
    async with make_bot(deployment=staff):
        await pat.send(words)
        preview = await first_after(pat, seen)
        assert texts.RESPOND_PREVIEW_FOOT in (preview.text or ""), preview.text
        await press_on(pat, preview, texts.RESPOND_SEND)
        await pat.wait_for(last_has("Published"))
    assert not any(texts.DRAFT_PUT_ASIDE["response"] in (m.text or "") for m in pat.messages[seen:])
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(1,)]


async def test_a_question_begun_before_a_restart_takes_the_words_sent_after_it(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    async with staffed(make_bot, emu, deployment, clock) as world:
        pat = world.pat
        marks_lost(world.bot)
        await pat.send("/ask library")
        prompt = (await pat.wait_for(last_has("write your question")))[-1]
        staff, mods = world.bot.deployment, world.mods
    seen = len(pat.messages)
    words = "What would make Saturday mornings at the library easier for you?"
    async with make_bot(deployment=staff):
        await pat.send(words, reply_to=prompt)
        answer = await first_after(pat, seen)
        assert "is with the moderators" in (answer.text or ""), answer.text
        await mods.wait_for(has(words))
    assert stored(db_path, "SELECT COUNT(*) FROM asks") == [(1,)]
