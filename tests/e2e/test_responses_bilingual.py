"""A bilingual deployment: a response goes to citizens only once it is in every required
language (the provider writes both, or a moderator adds the second), and then each citizen
gets their own language, Welsh and English in the same sending round."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from bot.config import Deployment, Responses
from emulator import Emulator, MessageView, Person
from handlers import texts
from handlers.outbox import OutboxSender
from storage import citizens
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import invite
from tests.e2e.test_responses import (
    ACCESS,
    CHANGED,
    WEDNESDAY,
    World,
    digest_in_private,
    send_words,
)

ENGLISH = "We have opened a second desk on Saturdays, so the queue is shorter."
WELSH = "Rydym wedi agor ail ddesg ar ddydd Sadwrn, felly mae'r ciw yn fyrrach."
SAME_IN = texts.LANG_SAME_IN.split("{", 1)[0]


@pytest.fixture
async def world(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    admin, sam, pat = emu.person("Ada"), emu.person("Sam"), emu.person("Pat")
    mods = emu.group("Moderators", members=[admin, sam])
    bilingual = deployment.model_copy(
        update={
            "admins": [admin.id],
            "moderators_chat": mods.id,
            "languages": ["en", "cy"],
            "responses": Responses(languages=["cy", "en"]),
        }
    )
    assert bilingual.required_languages == ["en", "cy"]
    clock.now = WEDNESDAY
    async with make_bot(deployment=bilingual) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        yield World(bot, admin, sam, pat, mods)


async def speaks(db: Database, person: Person, language: str) -> None:
    async def run(conn: aiosqlite.Connection) -> None:
        await citizens.set_language(conn, person.id, language, WEDNESDAY)

    await db.write(run)


async def two_citizens(world: World, emu: Emulator) -> tuple[Person, Person]:
    """A Welsh and an English contributor to the same theme, both asking to hear back."""
    gwen, alice = emu.person("Gwen"), emu.person("Alice")
    db = world.bot.db
    await add_item(db, gwen.id, "library", "Roedd y ciw wrth y ddesg yn hir iawn.", WEDNESDAY)
    await add_item(db, alice.id, "library", "Queue at the desk took forty minutes.", WEDNESDAY)
    await speaks(db, gwen, "cy")
    await speaks(db, alice, "en")
    return gwen, alice


async def first_words(world: World, digest: MessageView) -> MessageView:
    """From the digest: the theme, "Changed", the English words; the prompt for Welsh."""
    pat = world.pat
    await press_on(pat, digest, f"↩️ Respond: {ACCESS}")
    asked = await pat.wait_for(last_has("What is your answer?"))
    await press_on(pat, asked[-1], CHANGED)
    await pat.wait_for(last_has("Reply to this message"))
    await pat.send(ENGLISH)
    prompt = await pat.wait_for(last_has(SAME_IN))
    assert "Cymraeg" in (prompt[-1].text or "")
    return prompt[-1]


class Rounds:
    """Each sending round of the outbox sender: its rows (outbox ids) and how many it sent."""

    def __init__(self, sender: OutboxSender) -> None:
        self.done: list[tuple[list[int], int]] = []
        self.ended = asyncio.Event()
        real = sender._round

        async def recording(context, rows):  # type: ignore[no-untyped-def]
            sent, stop = await real(context, rows)
            self.done.append(([row.id for row in rows], sent))
            self.ended.set()
            return sent, stop

        sender._round = recording  # type: ignore[method-assign]

    async def until(self, sent: int) -> None:
        """Wait for the end of a round that sent this many."""
        async with asyncio.timeout(15):
            while not any(n == sent for _, n in self.done):
                self.ended.clear()
                await self.ended.wait()


def got(person: Person, words: str) -> bool:
    return any(words in (m.text or "") for m in person.messages)


async def test_both_languages_written_each_citizen_gets_theirs_in_one_sending_round(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    gwen, alice = await two_citizens(world, emu)
    rounds = Rounds(world.bot.handlers.sender)
    digest = await digest_in_private(world, clock)
    await first_words(world, digest)
    # One language written: nothing is queued for anyone yet.
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    done = await send_words(world.pat, WELSH)
    assert "goes to 2 people" in done

    await gwen.wait_for(has(WELSH), timeout=15)
    await alice.wait_for(has(ENGLISH), timeout=15)
    assert not got(gwen, ENGLISH) and not got(alice, WELSH)
    await rounds.until(sent=2)
    rows = stored(db_path, "SELECT id, state, created_at FROM outbox ORDER BY id")
    assert [state for _, state, _ in rows] == ["sent", "sent"]
    # Queued together, and sent by one round: Welsh never waits behind English.
    assert len({created for _, _, created in rows}) == 1
    ids = sorted(row_id for row_id, _, _ in rows)
    assert any(sorted(batch) == ids and sent == 2 for batch, sent in rounds.done), rounds.done
    assert stored(db_path, "SELECT language, text FROM response_texts ORDER BY language") == [
        ("cy", WELSH),
        ("en", ENGLISH),
    ]


async def test_a_moderator_adds_the_welsh_and_only_then_it_goes_out(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    gwen, alice = await two_citizens(world, emu)
    digest = await digest_in_private(world, clock)
    prompt = await first_words(world, digest)
    await press_on(world.pat, prompt, texts.LANG_MODERATOR_WILL_ADD)
    previewed = await world.pat.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
    assert "a moderator will add it" in (previewed[-1].text or "")
    await press_on(world.pat, previewed[-1], texts.RESPOND_SEND)
    saved = await world.pat.wait_for(has("It waits for Cymraeg"))
    assert "2 people" in (saved[-1].text or "")
    # Stored, waiting; nothing queued for any citizen.
    assert stored(db_path, "SELECT waiting_since IS NOT NULL FROM responses") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]

    # The provider's /responses says what waits.
    await world.pat.send("/responses")
    listing = await world.pat.wait_for(last_has("R1"))
    assert "waits for Cymraeg" in (listing[-1].text or "")

    cards = await world.mods.wait_for(has("Response waiting for Cymraeg"))
    card = next(m for m in cards if "Response waiting for Cymraeg" in (m.text or ""))
    add = texts.LANG_ADD_BUTTON.format(language="Cymraeg")
    assert buttons_of(card)[add] == "o:l:1:cy"
    # Forged: a response that does not exist, a language not required, a provider pressing.
    sam = world.sam
    for data in ("o:l:99:cy", "o:l:1:pl", "o:l:1", "o:l:x:cy"):
        pressed = await sam.press_data(card.message_id, data, chat=world.mods)
        assert (await pressed.answered())["text"] == texts.LANG_NOT_WAITING
    assert stored(db_path, "SELECT COUNT(*) FROM drafts WHERE kind = 'response_text'") == [(0,)]

    await press_on(sam, card, add, chat=world.mods)
    asked = await world.mods.wait_for(last_has("write R1 in Cymraeg"))
    # Too short: said kindly, nothing lost, still waiting.
    await sam.send("Iawn", chat=world.mods, reply_to=asked[-1])
    await world.mods.wait_for(last_has(texts.RESPOND_PROBLEMS["too_short"][:20]))
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    await sam.send(WELSH, chat=world.mods, reply_to=asked[-1])
    await world.mods.wait_for(has("Cymraeg added to R1"))
    await gwen.wait_for(has(WELSH), timeout=15)
    await alice.wait_for(has(ENGLISH), timeout=15)
    assert not got(gwen, ENGLISH) and not got(alice, WELSH)
    assert stored(db_path, "SELECT waiting_since FROM responses") == [(None,)]
    assert stored(db_path, "SELECT language, author FROM response_texts ORDER BY language") == [
        ("cy", sam.id),
        ("en", world.pat.id),
    ]
    await world.pat.wait_for(has("it is published"))

    # The old button again, after it was added: nothing happens twice.
    again = await sam.press_data(card.message_id, "o:l:1:cy", chat=world.mods)
    assert (await again.answered())["text"] == texts.LANG_NOT_WAITING
    await emu.idle(quiet=0.3, timeout=5)
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(2,)]
