"""Words written for someone else inside another person's update are in the reader's
language: a provider's team chat, a citizen and the moderators' chat each read their own,
whoever's update (or job) wrote to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiosqlite
import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.i18n import speaking
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from storage import citizens
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has, press_on
from tests.e2e.test_asks import WEDNESDAY, seed
from tests.e2e.test_languages import pieces, t
from tests.e2e.test_moderation import card_of, invite, press_card
from tests.e2e.test_moderation_faults import _pending
from tests.e2e.test_privacy_outside import TWO_DAYS, until

INVITATION = "Join our co-design evening for the new study room, Tuesday 6pm at the library."
PROVIDER_WORDS = "Would Tuesday at 6pm suit you? We will have tea."
CITIZEN_WORDS = "Tuesday works for me, see you there."
OTHER = {"cy": "en", "en": "cy"}


def says(message: MessageView, language: str, constant: str, n: int | None = None) -> bool:
    """Whether a message carries a text of `language`'s catalogue (its words between the
    placeholders; a plural's form for `n`)."""
    template = t(language, constant)
    if n is not None:
        with speaking(language):
            template = template.form(n)
    return all(piece in (message.text or "") for piece in pieces(template))


def in_language(message: MessageView, language: str, constant: str, n: int | None = None) -> bool:
    """In `language` and not in the other one (the catalogues differ for these texts)."""
    return says(message, language, constant, n) and not says(message, OTHER[language], constant, n)


@dataclass
class World:
    bot: YousaidBot
    sam: Person
    pat: Person
    mods: Group
    team: Group
    citizen: Person
    citizen_language: str
    team_language: str


@pytest.fixture(params=[("cy", "en"), ("en", "cy")], ids=["welsh-citizen", "welsh-team"])
async def world(
    request: pytest.FixtureRequest,
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
) -> AsyncIterator[World]:
    """English and Welsh offered; English moderators; a provider's team chat in one language,
    a citizen who chose the other."""
    citizen_language, team_language = request.param
    admin, sam, pat = emu.person("Ada"), emu.person("Sam"), emu.person("Pat")
    mods = emu.group("Moderators", members=[admin, sam])
    team = emu.group("Culture team", members=[pat])
    providers = [
        p.model_copy(update={"chats": [team.id], "chat_languages": {team.id: team_language}})
        if p.id == "culture-leisure"
        else p
        for p in deployment.providers
    ]
    bilingual = deployment.model_copy(
        update={
            "admins": [admin.id],
            "moderators_chat": mods.id,
            "providers": providers,
            "languages": ["en", "cy"],
        }
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=bilingual) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        citizen = emu.person("Gwen")
        await seed(bot.db, citizen, "library", hear_back=False, involve="yes")

        async def run(conn: aiosqlite.Connection) -> None:
            await citizens.set_language(conn, citizen.id, citizen_language, WEDNESDAY)

        await bot.db.write(run)
        yield World(bot, sam, pat, mods, team, citizen, citizen_language, team_language)


class After:
    """The messages a chat gets from now on."""

    def __init__(self, person: Person, chat: Group | None = None) -> None:
        self.person, self.chat = person, chat
        self.since = len(person.messages_in(chat))

    async def first(self, check: Callable[[MessageView], bool] = lambda m: True) -> MessageView:
        """The first new message that passes `check`, once there is one."""
        since = self.since
        found = await self.person.wait_for(
            lambda msgs: any(check(m) for m in msgs[since:]), chat=self.chat
        )
        return next(m for m in found[since:] if check(m))


def label(language: str, constant: str) -> Any:
    return t(language, constant)


async def test_an_invitation_each_reader_in_their_own_language(world: World) -> None:
    pat, team, citizen = world.pat, world.team, world.citizen
    mine, theirs = world.citizen_language, world.team_language

    # The provider writes an invitation in the team's chat; the English moderators approve.
    prompt = After(pat, team)
    await pat.send("/invite_people library", chat=team)
    await pat.send(INVITATION, chat=team, reply_to=await prompt.first())
    card = next(
        m for m in await world.mods.wait_for(has(INVITATION)) if INVITATION in (m.text or "")
    )
    news = After(pat, team)
    with speaking("en"):
        approve = texts.ASKS_APPROVE
    assert not (await press_card(world.sam, world.mods, card, approve)).get("show_alert")
    # A moderator's press tells the provider's chat: in the chat's language.
    approved = await news.first(lambda m: INVITATION in (m.text or ""))
    assert in_language(approved, theirs, "ASKS_APPROVED_AUTHOR", 1), approved.text

    # The citizen, in theirs, accepts through the bot: the team is told in its own.
    invitation = await After(citizen).first(lambda m: INVITATION in (m.text or ""))
    told = After(pat, team)
    await press_on(citizen, invitation, label(mine, "ASKS_ACCEPT_RELAY"))
    told_message = await told.first(lambda m: INVITATION[:20] in (m.text or ""))
    assert in_language(told_message, theirs, "ASKS_TOLD_RELAY"), told_message.text

    # The provider writes to them: the citizen reads the bot's words in their language.
    prompt = After(pat, team)
    relayed = After(citizen)
    await press_on(pat, told_message, label(theirs, "ASKS_WRITE"), chat=team)
    await pat.send(PROVIDER_WORDS, chat=team, reply_to=await prompt.first())
    relayed_message = await relayed.first(lambda m: PROVIDER_WORDS in (m.text or ""))
    assert in_language(relayed_message, mine, "ASKS_RELAY_TO_CITIZEN"), relayed_message.text

    # The citizen replies: the team reads the bot's words in its language.
    reply = After(pat, team)
    asked = After(citizen)
    await press_on(citizen, relayed_message, label(mine, "ASKS_REPLY"))
    await asked.first()
    await citizen.send(CITIZEN_WORDS)
    reply_message = await reply.first(lambda m: CITIZEN_WORDS in (m.text or ""))
    assert in_language(reply_message, theirs, "ASKS_RELAY_TO_PROVIDER"), reply_message.text
    with speaking(theirs):
        assert texts.ASKS_RELAY_UNNAMED in (reply_message.text or "")


@pytest.mark.parametrize(
    ("citizen_language", "moderators_language"),
    [("cy", "en"), ("en", "cy")],
    ids=["welsh-citizen", "welsh-moderators"],
)
async def test_what_forget_leaves_in_the_moderators_chat_is_in_its_language(
    make_bot: BotFactory,
    emu: Emulator,
    deployment: Deployment,
    clock: FakeClock,
    citizen_language: str,
    moderators_language: str,
) -> None:
    admin, citizen = emu.person("Ada"), emu.person("Gwen")
    mods = emu.group("Moderators", members=[admin])
    bilingual = deployment.model_copy(
        update={
            "admins": [admin.id],
            "moderators_chat": mods.id,
            "languages": ["en", "cy"],
            "moderation": deployment.moderation.model_copy(
                update={"language": moderators_language}
            ),
        }
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=bilingual) as bot:
        (item,) = await _pending(bot.db, citizen.id, 1, clock())

        async def run(conn: aiosqlite.Connection) -> None:
            await citizens.set_language(conn, citizen.id, citizen_language, WEDNESDAY)

        await bot.db.write(run)
        job_queue = bot.application.job_queue
        assert job_queue is not None
        (job,) = job_queue.get_jobs_by_name("moderation-sweep")
        await job.run(bot.application)
        card = await card_of(mods, item)
        # Past Telegram's 48 hours the card cannot be deleted: it is edited to a note.
        emu.age_messages(TWO_DAYS + 60)
        asked = After(citizen)
        await citizen.send("/forget")
        question = await asked.first()
        await press_on(citizen, question, label(citizen_language, "FORGET_ALL"))
        note = label(moderators_language, "REMOVED_BY_AUTHOR")
        await until(emu, lambda: card.text in (note, label(citizen_language, "REMOVED_BY_AUTHOR")))
        assert card.text == note
