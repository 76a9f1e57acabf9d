"""The citizen chooses their language at first contact, and is written to in it throughout:
the conversation, the moderators' decision, a provider's response. /language changes it."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.i18n import PLACEHOLDER, speaking
from bot.languages import endonym
from emulator import Emulator, Group, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock, stored_bytes
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import card_of, give, invite, press_card
from tests.e2e.test_webhook import until

WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
LIBRARY = "Central Library"
# The library's name in the deployment file, in each language (the proof that a citizen's
# language reaches what they read, whatever the catalogues hold yet).
WELSH_LIBRARY = "Llyfrgell Ganolog"
URDU_LIBRARY = "مرکزی لائبریری"


def t(language: str, constant: str) -> Any:
    """A constant of the catalogues, in `language`."""
    with speaking(language):
        return getattr(texts, constant)


def plain(text: str) -> str:
    """What a person reads of an HTML text."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def pieces(template: str) -> list[str]:
    """The words of a template between its placeholders, as a person reads them."""
    between = PLACEHOLDER.sub("\0", plain(template)).split("\0")
    return [p.strip() for p in between if len(p.strip()) > 3]


def says(message: MessageView | str | None, language: str, constant: str, key: str = "") -> bool:
    """Whether a message carries a text of the catalogue of `language` (its words between
    the placeholders)."""
    text = message if isinstance(message, str) else (message.text or "") if message else ""
    template = t(language, constant)
    if key:
        template = template[key]
    return all(piece in text for piece in pieces(template))


def question_of(languages: list[str]) -> str:
    """The first-contact question: a line per offered language, each in its own."""
    return "\n".join(t(language, "LANGUAGE_QUESTION") for language in languages)


@dataclass
class World:
    bot: YousaidBot
    deployment: Deployment
    admin: Person
    sam: Person
    pat: Person
    mods: Group


def with_languages(
    deployment: Deployment, languages: list[str], library: dict[str, Any]
) -> Deployment:
    services = [
        s.model_copy(update=library) if s.slug == "library" else s for s in deployment.services
    ]
    return deployment.model_copy(update={"languages": languages, "services": services})


# Welsh first (a Welsh council): the file's names are Welsh, `name_en` the English ones.
WELSH = (["cy", "en"], {"name": WELSH_LIBRARY, "translations": {"en": {"name": LIBRARY}}})
# English first, with Urdu (right to left): `name_ur` beside the English name.
URDU = (["en", "ur"], {"translations": {"ur": {"name": URDU_LIBRARY}}})
# English first, with Welsh: `name_cy` beside the English name (what stands in Welsh can
# only have come from the citizen's language).
ENGLISH_WELSH = (["en", "cy"], {"translations": {"cy": {"name": WELSH_LIBRARY}}})
LIBRARY_IN = {"cy": WELSH_LIBRARY, "ur": URDU_LIBRARY, "en": LIBRARY}


async def staffed(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, kind: Any
) -> AsyncIterator[World]:
    admin, sam, pat = emu.person("Ada"), emu.person("Sam"), emu.person("Pat")
    mods = emu.group("Moderators", members=[admin, sam])
    languages, library = kind
    chosen = with_languages(deployment, languages, library).model_copy(
        update={"admins": [admin.id], "moderators_chat": mods.id}
    )
    clock.now = WEDNESDAY
    async with make_bot(deployment=chosen) as bot:
        # Staff joining by invitation are not asked (their /start is an invitation).
        with speaking(chosen.default_language):
            assert "moderator" in await invite(admin, sam, "moderator")
            assert "Culture" in await invite(admin, pat, "provider culture-leisure")
        yield World(bot, chosen, admin, sam, pat, mods)


@pytest.fixture
async def welsh(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    async for world in staffed(make_bot, emu, deployment, clock, WELSH):
        yield world


@pytest.fixture
async def english_welsh(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    async for world in staffed(make_bot, emu, deployment, clock, ENGLISH_WELSH):
        yield world


@pytest.fixture
async def urdu(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[World]:
    async for world in staffed(make_bot, emu, deployment, clock, URDU):
        yield world


async def changed(person: Person, before: list[tuple[int, str | None]]) -> MessageView:
    """The message that is new or changed since `before`, once there is one."""

    def fresh(msgs: list[MessageView]) -> bool:
        return [(m.message_id, m.text) for m in msgs] != before

    await person.wait_for(fresh)
    old = dict(before)
    return next(
        m
        for m in reversed(person.messages)
        if m.message_id not in old or old[m.message_id] != m.text
    )


def state(person: Person) -> list[tuple[int, str | None]]:
    return [(m.message_id, m.text) for m in person.messages]


async def press(person: Person, label: str) -> MessageView:
    """Press a button; the message it changed (or the new one)."""
    before = state(person)
    answer = await (await person.press(label)).answered()
    assert answer is not None
    return await changed(person, before)


async def send(person: Person, text: str) -> MessageView:
    before = state(person)
    await person.send(text)
    return await changed(person, before)


async def walk(world: World, emu: Emulator, db_path: Path, language: str) -> None:
    """A whole conversation in `language`, from first contact to a response heard back."""
    offered = world.deployment.languages
    citizen = emu.person("Nia", language_code=language)
    words = "The study room was far too cold and the heating was off again"

    # First contact: the question in every offered language, Telegram's language ticked,
    # the buttons in the deployment's order. The first words are not lost.
    asked = await send(citizen, words)
    assert asked.text == question_of(offered)
    assert asked.buttons == [
        [("✓ " if code == language else "") + endonym(code)] for code in offered
    ]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]

    shown = await press(citizen, "✓ " + endonym(language))
    assert stored(db_path, "SELECT language FROM citizens WHERE id != 0") == [(language,)]
    assert says(shown, language, "CONSENT") and says(shown, language, "CONSENT_CARRY")
    assert shown.buttons == [[t(language, "CONSENT_YES"), t(language, "CONSENT_NO")]]

    # Agreeing carries the first words on: the services, named in the citizen's language.
    shown = await press(citizen, t(language, "CONSENT_YES"))
    assert says(shown, language, "PICK_SERVICE") or says(shown, language, "NO_MATCH")
    names = [label for row in shown.buttons for label in row]
    assert LIBRARY_IN[language] in names and LIBRARY not in names, names

    shown = await press(citizen, LIBRARY_IN[language])
    assert says(shown, language, "RATING") or says(shown, language, "ASK_TEXT"), shown.text
    assert LIBRARY_IN[language] in (shown.text or "")
    if says(shown, language, "ASK_TEXT"):
        shown = await send(citizen, words)
        assert says(shown, language, "RATING")
    shown = await press(citizen, "4")
    assert says(shown, language, "HEAR_BACK")
    assert shown.buttons == [[t(language, "YES"), t(language, "NO")]]
    shown = await press(citizen, t(language, "YES"))
    assert says(shown, language, "INVOLVE")
    shown = await press(citizen, t(language, "NO"))
    assert says(shown, language, "SAVED") and says(shown, language, "SAVED_HEAR_BACK")
    assert LIBRARY_IN[language] in (shown.text or "")
    (item,) = (row[0] for row in stored(db_path, "SELECT id FROM feedback"))

    # The moderators approve (in their chat's language); the author hears it in hers.
    card = await card_of(world.mods, int(str(item)))
    with speaking(world.deployment.moderators_language):
        approve = texts.APPROVE
    assert approve in str(card.buttons), (card.text, card.buttons)
    await press_card(world.sam, world.mods, card, approve)
    told = await citizen.wait_for(
        lambda msgs: says(msgs[-1], language, "AUTHOR_PUBLISHED"), timeout=10
    )
    assert LIBRARY_IN[language] in (told[-1].text or "")

    # The provider responds; the response comes back to her in her language.
    await world.pat.send(f"/respond {item}")
    asked_status = await world.pat.wait_for(lambda m: bool(m) and bool(m[-1].buttons))
    status = asked_status[-1].buttons[0][0]
    await world.pat.press(status)
    await world.pat.wait_for(lambda m: bool(m) and "Reply" in (m[-1].text or ""))
    answer = "We have fixed the heating in the study room."
    await world.pat.send(answer)
    preview = await world.pat.wait_for(
        lambda m: bool(m) and answer in (m[-1].text or "") and bool(m[-1].buttons)
    )
    # The provider reads the bot in their own language (Telegram's, here): Send is found by
    # what it does, not by its words.
    send_data = next(d for d in buttons_of(preview[-1]).values() if d.startswith("o:y:"))
    await world.pat.press_data(preview[-1].message_id, send_data)
    heard = await citizen.wait_for(
        lambda msgs: any(answer in (m.text or "") for m in msgs), timeout=15
    )
    notice = next(m for m in heard if answer in (m.text or ""))
    assert says(notice, language, "HEARD_BACK")
    assert notice.buttons[0] == [t(language, "ANSWERED_YES"), t(language, "ANSWERED_NO")]


async def test_a_whole_conversation_in_welsh(welsh: World, emu: Emulator, db_path: Path) -> None:
    await walk(welsh, emu, db_path, "cy")


async def test_a_whole_conversation_in_welsh_where_english_comes_first(
    english_welsh: World, emu: Emulator, db_path: Path
) -> None:
    await walk(english_welsh, emu, db_path, "cy")


async def test_a_whole_conversation_in_urdu(urdu: World, emu: Emulator, db_path: Path) -> None:
    await walk(urdu, emu, db_path, "ur")


async def test_language_switches_and_is_confirmed_in_the_new_one(
    welsh: World, emu: Emulator, db_path: Path
) -> None:
    # Telegram in a language not offered: nothing ticked; the deep link survives the choice.
    citizen = emu.person("Huw", language_code="fr")
    asked = await send(citizen, "/start s_library")
    assert asked.buttons == [["Cymraeg"], ["English"]]
    shown = await press(citizen, "English")
    assert says(shown, "en", "CONSENT")
    shown = await press(citizen, t("en", "CONSENT_YES"))
    # The link's service, named in English (the file's name is Welsh).
    assert (shown.text or "").startswith(LIBRARY), shown.text

    # /language: the same buttons, the language spoken now ticked; a change is confirmed
    # in the new language, and what follows is in it.
    asked = await send(citizen, "/language")
    assert asked.text == question_of(["cy", "en"])
    assert asked.buttons == [["Cymraeg"], ["✓ English"]]
    done = await press(citizen, "Cymraeg")
    assert done.text == t("cy", "LANGUAGE_CHOSEN")
    assert stored(db_path, "SELECT language FROM citizens WHERE id != 0") == [("cy",)]
    # (The conversation begun in English is cancelled in Welsh.)
    assert says(await send(citizen, "/cancel"), "cy", "CANCELLED")
    shown = await send(citizen, "/start")
    names = [label for row in shown.buttons for label in row]
    assert WELSH_LIBRARY in names and LIBRARY not in names, names

    # /mydata shows the language chosen
    await citizen.send("/mydata")
    sent = await citizen.wait_for(lambda m: bool(m) and m[-1].document is not None)
    # (its field names in Welsh too: "iaith" is "language").
    assert b'"iaith": "cy"' in (sent[-1].document or b"")

    # /help names /language where there is a choice.
    shown = await send(citizen, "/help")
    assert "/language" in (shown.text or "")


@pytest.mark.parametrize(
    "data", ["l:fr:c", "l:xx:t", "l::c", "l:cy:q", "l:cy", "l:", "l:" + "a" * 60]
)
async def test_a_forged_language_changes_nothing(
    welsh: World, emu: Emulator, db_path: Path, data: str
) -> None:
    citizen = emu.person("Rhys", language_code="cy")
    asked = await send(citizen, "/start")
    answer = await (await citizen.press_data(asked.message_id, data)).answered()
    assert answer is not None and answer.get("text") == t("cy", "LANGUAGE_NOT_OFFERED")
    assert stored(db_path, "SELECT COUNT(*) FROM citizens WHERE id != 0") == [(0,)]
    # The question stands, and still works.
    assert asked.text == question_of(["cy", "en"])
    shown = await press(citizen, "✓ Cymraeg")
    assert says(shown, "cy", "CONSENT")


async def test_commands_are_registered_in_each_language(welsh: World, emu: Emulator) -> None:
    def menu(code: str = "", **scope: Any) -> list[tuple[str, str]]:
        found = emu.commands(language_code=code, **scope)
        return [(c["command"], c["description"]) for c in found]

    for code in ("cy", "en"):
        with speaking(code):
            expected = [*texts.COMMANDS, *texts.LANGUAGE_COMMANDS]
        assert menu(code, scope_type="all_private_chats") == list(expected)
        # An admin's own menu too, in each language.
        assert ("language", t(code, "LANGUAGE_COMMANDS")[0][1]) in menu(
            code, scope_type="chat", chat_id=welsh.admin.id
        )
    # Without a language code: the default language's (Welsh, listed first).
    assert menu(scope_type="all_private_chats") == menu("cy", scope_type="all_private_chats")
    # The moderators' chat: in its own language, once.
    with speaking(welsh.deployment.moderators_language):
        moderators = [tuple(pair) for pair in texts.MODERATOR_COMMANDS]
    assert menu(scope_type="chat", chat_id=welsh.mods.id) == moderators


async def test_one_language_asks_nothing(bot: YousaidBot, emu: Emulator) -> None:
    citizen = emu.person("Ann", language_code="cy")
    shown = await send(citizen, "/start")
    assert says(shown, "en", "CONSENT")
    shown = await send(citizen, "/language")
    assert shown.text == t("en", "LANGUAGE_ONLY_ONE").format(language="English")
    assert emu.commands(scope_type="all_private_chats", language_code="en") == []
    assert "language" not in [c["command"] for c in emu.commands(scope_type="all_private_chats")]


async def test_a_time_out_is_written_in_the_citizens_language(
    urdu: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    # The job runs outside any update of hers: it still writes in Urdu, with the Urdu name.
    citizen = emu.person("Sana", language_code="ur")
    await send(citizen, "/start")
    await press(citizen, "✓ " + endonym("ur"))
    await press(citizen, t("ur", "CONSENT_YES"))
    await press(citizen, URDU_LIBRARY)
    await send(citizen, "The study room was far too cold and the heating was off again")
    clock.advance(hours=1)
    job_queue = urdu.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("expire-idle-conversations")
    before = state(citizen)
    await job.run(urdu.bot.application)
    told = await changed(citizen, before)
    assert says(told, "ur", "TIMED_OUT_SAVED") and URDU_LIBRARY in (told.text or ""), told.text
    assert LIBRARY not in (told.text or "")


async def test_the_deployments_privacy_text_in_the_citizens_language(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    languages, library = WELSH
    privacy = deployment.privacy.model_copy(
        update={
            "text": "Preifatrwydd: fersiwn {version}.",
            "translations": {"en": {"text": "Privacy: version {version}."}},
        }
    )
    bilingual = with_languages(deployment, languages, library).model_copy(
        update={"privacy": privacy}
    )
    async with make_bot(deployment=bilingual):
        welsh, english = emu.person("Gwen", language_code="cy"), emu.person("Ed")
        for person, label, words in (
            (welsh, "✓ Cymraeg", "Preifatrwydd"),
            (english, "✓ English", "Privacy:"),
        ):
            await send(person, "/start")
            await press(person, label)
            shown = await send(person, "/privacy")
            assert (shown.text or "").startswith(words), shown.text


async def test_the_themes_heard_are_fixed_in_the_language_chosen_since(
    english_welsh: World, emu: Emulator
) -> None:
    citizen = emu.person("Huw", language_code="fr")
    await send(citizen, "/start")
    await press(citizen, "English")
    with speaking("en"):
        item = await give(citizen, LIBRARY, "The library was shut again on Saturday morning.")
    saved = next(m for m in reversed(citizen.messages) if f"#{item}" in (m.text or ""))
    fix = next(label for row in saved.buttons for label in row)
    await send(citizen, "/language")
    await press(citizen, "Cymraeg")
    # Fixed after the switch: the themes to tick, and the saved message again, in Welsh.
    result = await citizen.press_data(saved.message_id, str(buttons_of(saved)[fix]))
    await result.answered()
    await citizen.wait_for(lambda _: [t("cy", "HEARD_DONE")] in saved.buttons)
    assert saved.text == t("cy", "HEARD_PICK").format(reference=item)
    done = buttons_of(saved)[t("cy", "HEARD_DONE")]
    result = await citizen.press_data(saved.message_id, str(done))
    await result.answered()
    await citizen.wait_for(lambda _: f"#{item}" in (saved.text or ""))
    assert says(saved, "cy", "SAVED"), saved.text
    assert says(saved, "cy", "HEARD") or says(saved, "cy", "HEARD_NONE"), saved.text


@pytest.mark.sqlite_only
async def test_words_left_at_the_language_question_leave_the_database_file_within_the_hour(
    urdu: World, emu: Emulator, db_path: Path
) -> None:
    """A newcomer writes first, is asked her language (her words ride on the question, not
    kept) and never answers. The update was saved before it was handled, so her words are in
    SQLite's WAL; the hourly job empties it, and nothing of them stays in the files."""
    nell = emu.person("Nell")
    await send(nell, "My neighbour Jonathan Quirkleby dumps his rubbish on Elm Road every week")
    assert b"Quirkleby" in Path(f"{db_path}-wal").read_bytes()
    job_queue = urdu.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("empty-wal")
    # Once her update is handled (its row blanked), the job empties the WAL.
    unmarked = "SELECT COUNT(*) FROM updates WHERE handled_at IS NULL OR chat_key <> 0"
    await until(lambda: stored(db_path, unmarked) == [(0,)])
    await job.run(urdu.bot.application)
    assert b"Quirkleby" not in stored_bytes(db_path)
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(0,)]
