"""A newcomer who writes twice before answering the first-contact question (the language, or
the consent): once she agrees, everything she wrote goes on, in the order she sent it, and
the consent question says so. Each question quoted only its own message, so agreeing on the
newer one kept the second message alone, under "Thank you, I've kept what you wrote"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Person
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import stored
from tests.e2e.test_languages import press, question_of, says, send, state, t

OFFERED = ["en", "cy", "pl", "ur"]
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ur": "اردو"}
FIRST = "The library was closed without warning on Tuesday"
SECOND = "and the toilets were dirty again"


@pytest.fixture
async def four(make_bot: BotFactory, deployment: Deployment) -> AsyncIterator[YousaidBot]:
    """The example deployment offering English, Welsh, Polish and Urdu."""
    async with make_bot(deployment=deployment.model_copy(update={"languages": OFFERED})) as bot:
        yield bot


def newcomer(emu: Emulator, language: str) -> Person:
    """A citizen whose Telegram is in `language` (the admin is made first: she is no staff)."""
    emu.person("Admin")
    return emu.person("Nia", language_code=language)


def kept(db_path: Path) -> list[tuple[object, ...]]:
    return stored(db_path, "SELECT text FROM conversations")


@pytest.mark.parametrize("language", ["en", "pl"])
async def test_two_messages_before_the_language_question_both_go_on_in_order(
    four: YousaidBot, emu: Emulator, db_path: Path, language: str
) -> None:
    """Two language questions; her language chosen on the newer, then yes: both messages are
    kept, first one first, and the older question's button adds nothing again."""
    nia = newcomer(emu, language)
    first = await send(nia, FIRST)
    second = await send(nia, SECOND)
    assert first.text == second.text == question_of(OFFERED)
    assert first.message_id != second.message_id
    mark = "✓ " + LANGUAGE_NAMES[language]
    consent = await press(nia, mark)
    assert consent.message_id == second.message_id
    assert says(consent, language, "CONSENT"), consent.text
    # Not "the message this answers": both go on, and she is told so.
    assert says(consent, language, "CONSENT_CARRY_ALL"), consent.text
    assert t(language, "CONSENT_CARRY").strip() not in (consent.text or "")
    # Nothing is stored before she agrees.
    assert kept(db_path) == []
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(0,)]
    services = await press(nia, t(language, "CONSENT_YES"))
    assert says(services, language, "KEPT_TEXT"), services.text
    assert kept(db_path) == [(f"{FIRST}\n{SECOND}",)]
    # The older question (still showing her language) does not add the first words again.
    before = state(nia)
    answer = await (await nia.press(mark)).answered()
    assert answer is not None
    await emu.idle()
    assert kept(db_path) == [(f"{FIRST}\n{SECOND}",)]
    assert len(state(nia)) == len(before)


async def test_one_language_two_messages_before_consent_both_go_on_in_order(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """One language: the consent question, then its reminder for the second message, said
    "I'll carry on with the message this answers" and kept only that one."""
    nia = newcomer(emu, "en")
    first = await send(nia, FIRST)
    assert says(first, "en", "CONSENT"), first.text
    assert says(first, "en", "CONSENT_CARRY"), first.text
    second = await send(nia, SECOND)
    assert second.message_id != first.message_id
    assert says(second, "en", "CONSENT_REMINDER"), second.text
    assert says(second, "en", "CONSENT_CARRY_ALL"), second.text
    assert kept(db_path) == []
    services = await press(nia, t("en", "CONSENT_YES"))
    assert services.message_id == second.message_id
    assert says(services, "en", "KEPT_TEXT"), services.text
    assert kept(db_path) == [(f"{FIRST}\n{SECOND}",)]
    # The first question's Yes, pressed after: nothing is added twice.
    await nia.press(t("en", "CONSENT_YES"))
    await emu.idle()
    assert kept(db_path) == [(f"{FIRST}\n{SECOND}",)]


async def test_one_language_consent_on_the_older_question_takes_both_too(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Yes on the first consent question, the second message waiting too: both, in order."""
    nia = newcomer(emu, "en")
    first = await send(nia, FIRST)
    await send(nia, SECOND)
    before = state(nia)
    result = await nia.press_data(first.message_id, buttons_of(first)[t("en", "CONSENT_YES")])
    assert await result.answered() is not None
    await emu.idle()
    assert state(nia) != before
    assert kept(db_path) == [(f"{FIRST}\n{SECOND}",)]
