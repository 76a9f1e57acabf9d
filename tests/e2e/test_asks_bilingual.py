"""A bilingual deployment: a question is approved only once it is in every required
language (the provider writes both, or a moderator adds the second); each citizen is asked
in their own language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.config import Deployment, Responses
from emulator import Emulator, Person
from handlers import texts
from storage import citizens
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of, has, press_on, with_text
from tests.e2e.test_asks import WEDNESDAY, World, new_with, seed, settled
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import invite, press_card

QUESTION = "What would make the library easier to use in the evenings?"
CWESTIWN = "Beth fyddai'n gwneud y llyfrgell yn haws i'w defnyddio gyda'r nos?"
SAME_IN = texts.LANG_SAME_IN.split("{", 1)[0]


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
    bilingual = deployment.model_copy(
        update={
            "admins": [admin.id],
            "moderators_chat": mods.id,
            "providers": providers,
            "languages": ["en", "cy"],
            "responses": Responses(languages=["en", "cy"]),
        }
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=bilingual) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        yield World(bot, admin, sam, pat, mods, team)


async def citizens_of_both(world: World, emu: Emulator) -> tuple[Person, Person]:
    gwen, ann = emu.person("Gwen"), emu.person("Ann")
    db = world.bot.db
    await seed(db, gwen, "library", hear_back=True)
    await seed(db, ann, "library", hear_back=True)

    async def run(conn: aiosqlite.Connection) -> None:
        await citizens.set_language(conn, gwen.id, "cy", WEDNESDAY)
        await citizens.set_language(conn, ann.id, "en", WEDNESDAY)

    await db.write(run)
    return gwen, ann


async def first_words(world: World) -> None:
    """/ask library in the team's group, the English words; the bot asks for the Welsh."""
    pat, team = world.pat, world.team
    since = len(pat.messages_in(team))
    await pat.send("/ask library", chat=team)
    prompt = await new_with(pat, "Reply to this message", since, team)
    since = len(pat.messages_in(team))
    await pat.send(QUESTION, chat=team, reply_to=prompt)
    asked = await new_with(pat, SAME_IN, since, team)
    assert "Cymraeg" in (asked.text or "")
    assert stored(world.bot.db, "SELECT COUNT(*) FROM asks") == [(0,)]


async def test_a_question_written_in_both_asks_each_citizen_in_theirs(
    world: World, emu: Emulator, db_path: Path
) -> None:
    gwen, ann = await citizens_of_both(world, emu)
    await first_words(world)
    pat, team = world.pat, world.team
    prompt = with_text(pat.messages_in(team), SAME_IN)
    since = len(pat.messages_in(team))
    await pat.send(CWESTIWN, chat=team, reply_to=prompt)
    await new_with(pat, "is with the moderators", since, team)
    card = with_text(await world.mods.wait_for(has(QUESTION)), QUESTION)
    assert texts.ASKS_APPROVE in buttons_of(card)
    assert not any(label.startswith("🌐") for label in buttons_of(card))
    answer = await press_card(world.sam, world.mods, card, texts.ASKS_APPROVE)
    assert not answer.get("show_alert"), answer
    await gwen.wait_for(has(CWESTIWN))
    await ann.wait_for(has(QUESTION))
    await settled(db_path)
    assert not any(QUESTION in (m.text or "") for m in gwen.messages)
    assert not any(CWESTIWN in (m.text or "") for m in ann.messages)
    assert stored(db_path, "SELECT language, text FROM ask_texts ORDER BY language") == [
        ("cy", CWESTIWN),
        ("en", QUESTION),
    ]


async def test_a_moderator_adds_the_welsh_before_the_question_can_be_approved(
    world: World, emu: Emulator, db_path: Path
) -> None:
    gwen, ann = await citizens_of_both(world, emu)
    await first_words(world)
    pat, team = world.pat, world.team
    prompt = with_text(pat.messages_in(team), SAME_IN)
    since = len(pat.messages_in(team))
    # Someone else's "A moderator will add it" is not theirs to press.
    forged = await pat.press_data(prompt.message_id, "w:m:12345", chat=team)
    assert (await forged.answered())["text"] == texts.RESPOND_NOT_YOURS
    await press_on(pat, prompt, texts.LANG_MODERATOR_WILL_ADD, chat=team)
    await new_with(pat, "is with the moderators", since, team)
    # Pressed again (replayed): nothing more is proposed.
    again = await pat.press_data(prompt.message_id, f"w:m:{pat.id}", chat=team)
    assert (await again.answered())["text"] == texts.LANG_NOT_WAITING
    assert stored(db_path, "SELECT COUNT(*) FROM asks") == [(1,)]

    card = with_text(await world.mods.wait_for(has(QUESTION)), QUESTION)
    assert "It needs Cymraeg" in (card.text or "")
    add = texts.LANG_ADD_BUTTON.format(language="Cymraeg")
    assert buttons_of(card)[add] == "q:l:1:cy"
    # Approving first: refused kindly, nothing queued.
    refused = await press_card(world.sam, world.mods, card, texts.ASKS_APPROVE)
    assert "Add Cymraeg first" in str(refused.get("text"))
    assert stored(db_path, "SELECT state FROM asks") == [("proposed",)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    for data in ("q:l:9:cy", "q:l:1:pl", "q:l:1:en", "q:l:1"):
        pressed = await world.sam.press_data(card.message_id, data, chat=world.mods)
        assert (await pressed.answered())["text"] == texts.LANG_NOT_WAITING

    await press_card(world.sam, world.mods, card, add)
    asked = await world.mods.wait_for(has("write Q1 in Cymraeg"))
    await world.sam.send(
        CWESTIWN, chat=world.mods, reply_to=with_text(asked, "write Q1 in Cymraeg")
    )
    await world.mods.wait_for(has("Cymraeg added to Q1"))
    answer = await press_card(world.sam, world.mods, card, texts.ASKS_APPROVE)
    assert not answer.get("show_alert"), answer
    await gwen.wait_for(has(CWESTIWN))
    await ann.wait_for(has(QUESTION))
    await settled(db_path)
    assert not any(QUESTION in (m.text or "") for m in gwen.messages)
    assert stored(db_path, "SELECT language, author FROM ask_texts ORDER BY language") == [
        ("cy", world.sam.id),
        ("en", pat.id),
    ]
