"""A newcomer as an independent client meets the bot where four languages are offered
(en, cy, pl, ur): the first contact, the /forget question, and what she reads in her own
language. Each reply is read as she reads it; the database is checked for what it holds."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from bot.i18n import Plural, speaking
from emulator import Emulator, Person
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import stored
from tests.e2e.test_languages import changed, press, question_of, says, send, state, t

OFFERED = ["en", "cy", "pl", "ur"]
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "pl": "Polski", "ur": "اردو"}


@pytest.fixture
async def four(make_bot: BotFactory, deployment: Deployment) -> AsyncIterator[YousaidBot]:
    """The example deployment offering English, Welsh, Polish and Urdu."""
    async with make_bot(deployment=deployment.model_copy(update={"languages": OFFERED})) as bot:
        yield bot


def newcomer(emu: Emulator, language: str) -> Person:
    """A citizen whose Telegram is in `language` (the deployment's admin is made first, so
    she is no one's staff)."""
    emu.person("Admin")
    return emu.person("Nia", language_code=language)


@pytest.mark.parametrize("language", OFFERED)
async def test_a_newcomer_who_answers_the_language_question_through_language_is_welcomed(
    four: YousaidBot, emu: Emulator, db_path: Path, language: str
) -> None:
    """/start, then /language before choosing: the choice was confirmed with "Done" and
    nothing more, her /start lost, no welcome and no consent question to answer."""
    nia = newcomer(emu, language)
    asked = await send(nia, "/start")
    assert asked.text == question_of(OFFERED)
    again = await send(nia, "/language")
    assert again.text == question_of(OFFERED)
    mark = "✓ " + LANGUAGE_NAMES[language]
    assert [mark] in again.buttons
    shown = await press(nia, mark)
    assert shown.message_id == again.message_id
    assert says(shown, language, "CONSENT"), shown.text
    assert shown.buttons == [[t(language, "CONSENT_YES"), t(language, "CONSENT_NO")]]
    assert stored(db_path, "SELECT language FROM citizens WHERE id != 0") == [(language,)]
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(0,)]
    # She agrees there, and the services follow, in her language.
    shown = await press(nia, t(language, "CONSENT_YES"))
    assert says(shown, language, "PICK_SERVICE"), shown.text
    # Once she has chosen, /language is a change again, confirmed in the new one.
    other = "cy" if language != "cy" else "pl"
    await send(nia, "/language")
    done = await press(nia, LANGUAGE_NAMES[other])
    assert done.text == t(other, "LANGUAGE_CHOSEN")


async def agreed(emu: Emulator, language: str) -> Person:
    """A newcomer who chose `language` and agreed; at the list of services."""
    nia = newcomer(emu, language)
    await send(nia, "/start")
    await press(nia, "✓ " + LANGUAGE_NAMES[language])
    assert says(await press(nia, t(language, "CONSENT_YES")), language, "PICK_SERVICE")
    return nia


@pytest.mark.parametrize("data", ["f:zz", "f:", "f:all:1", "f:ALL", "f:" + "k" * 60])
async def test_forged_data_on_the_forget_question_neither_erases_nor_takes_the_question(
    four: YousaidBot, emu: Emulator, db_path: Path, data: str
) -> None:
    """Any data but the buttons' own was read as "Keep everything": the question went, with
    "nothing was erased" she never chose."""
    nia = await agreed(emu, "pl")
    asked = await send(nia, "/forget")
    choices = buttons_of(asked)
    answer = await (await nia.press_data(asked.message_id, data)).answered()
    assert answer is not None and answer.get("text") == t("pl", "EXPIRED")
    await emu.idle()
    (now,) = [m for m in nia.messages if m.message_id == asked.message_id]
    assert (now.text, now.buttons) == (asked.text, asked.buttons)
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(1,)]
    # Its own buttons still work: erase everything.
    (erase,) = [label for label, d in choices.items() if d == "f:all"]
    done = await press(nia, erase)
    assert done.text == t("pl", "FORGET_DONE")
    assert stored(db_path, "SELECT COUNT(*) FROM consents") == [(0,)]


# What addresses one person as "ty" in Polish: the catalogue speaks to citizens as "Państwo".
INFORMAL = re.compile(
    r"\b(twoj\w*|twój|ciebie|cię|możesz|chcesz|napisz|wyślij|przytrzymaj|wybierz|naciśnij"
    r"|zgodzisz|\w+łeś)\b|\(-aś\)",
    re.IGNORECASE,
)
# Every text a citizen reads that addressed her as "ty".
TO_CITIZENS = [
    ("HEARD_PICK", ""),
    ("HEARD_NOT_THEIRS", ""),
    ("HEARD_UNKNOWN_THEME", ""),
    ("UNSUPPORTED", "video"),
    ("UNSUPPORTED", "audio"),
    ("UNSUPPORTED", "document"),
    ("MINE_SUPPORTED_HEADER", ""),
    ("MEDIA_NOTES", "consent_below"),
    ("MEDIA_NOTES", "place_consent_below"),
    ("MEDIA_NOTES", "consent_asked"),
    ("MEDIA_NOTES", "waiting"),
    ("MEDIA_NOTES", "side_prompt_caption"),
    ("MEDIA_NOTES", "side_prompt_voice_caption"),
    ("MEDIA_NOTES", "place_consent"),
    ("MEDIA_NOTES", "place_side_prompt"),
    ("MEDIA_NOTES", "voice_silent"),
    ("METOO_USE_BUTTONS", ""),
    ("METOO_GONE", ""),
    ("METOO_ELSEWHERE", ""),
    ("METOO_UNDO_DONE", ""),
]


def test_polish_speaks_to_citizens_formally_everywhere() -> None:
    """Most of the Polish catalogue says "Państwo"; these said "ty" (Napisz, możesz,
    Twojego, napisałeś(-aś)) in the middle of a conversation that was formal."""
    with speaking("pl"):
        for name, key in TO_CITIZENS:
            found = getattr(texts, name)
            found = found[key] if key else found
            if isinstance(found, Plural):
                found = tuple(found.form(n) for n in (1, 2, 5))
            for text in found if isinstance(found, tuple) else (found,):
                assert not INFORMAL.search(text), (name, key, text)
        mydata = texts.MYDATA_VALUES
        words = [mydata["shared"]["name"], mydata["delivery"]["blocked"]]
        words += list(mydata["waiting_for"].values())
        for text in words:
            assert not INFORMAL.search(text), text


async def test_a_polish_citizen_sending_files_is_answered_as_panstwo(
    four: YousaidBot, emu: Emulator
) -> None:
    """What a citizen reads when she sends what cannot be kept, end to end, in Polish."""
    nia = await agreed(emu, "pl")
    for sending in (nia.send_audio, nia.send_document, nia.send_video):
        before = state(nia)
        await sending()
        answer = (await changed(nia, before)).text or ""
        assert "Państw" in answer or "Proszę" in answer or "można" in answer, answer
        assert not INFORMAL.search(answer), answer
    # An undo pressed for a support that is not there (forged, or pressed twice).
    asked = nia.messages[-1]
    answer = await (await nia.press_data(asked.message_id, "n:999")).answered()
    assert answer is not None and not INFORMAL.search(str(answer.get("text"))), answer


CONTACT_FIRST = [("ur", "contact"), ("cy", "sticker"), ("pl", "other"), ("en", "forwarded")]


@pytest.mark.parametrize(("language", "kind"), CONTACT_FIRST)
async def test_a_first_message_that_is_not_words_is_said_not_kept_after_the_language(
    four: YousaidBot, emu: Emulator, db_path: Path, language: str, kind: str
) -> None:
    """A contact, a sticker, a poll or a forward as the very first message: the language
    question answered it, then the welcome came with not a word about it (a voice note or a
    photo is told "not kept"; one language offered, a contact is too). A forwarded text
    was worse: agreeing kept its words, someone else's, as her story."""
    nia = newcomer(emu, language)
    before = state(nia)
    if kind == "contact":
        await nia.send_contact()
    elif kind == "sticker":
        await nia.send_sticker()
    elif kind == "forwarded":
        await nia.forward("The bins were not collected on our street", sender_name="Someone")
    else:
        nia._post(nia.chat, {"dice": {"emoji": "🎲", "value": 3}})
    asked = await changed(nia, before)
    assert asked.text == question_of(OFFERED)
    shown = await press(nia, "✓ " + LANGUAGE_NAMES[language])
    assert shown.message_id == asked.message_id
    assert (shown.text or "").startswith(t(language, "UNSUPPORTED")[kind]), shown.text
    assert says(shown, language, "CONSENT"), shown.text
    assert shown.buttons == [[t(language, "CONSENT_YES"), t(language, "CONSENT_NO")]]
    # Said once: no other message came with it, and nothing of it is kept.
    assert [m.message_id for m in nia.messages] == [asked.message_id]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    # Agreeing goes on to the services; the forward's words are not taken as hers.
    shown = await press(nia, t(language, "CONSENT_YES"))
    assert says(shown, language, "PICK_SERVICE"), shown.text
    assert not says(shown, language, "KEPT_TEXT")
    assert stored(db_path, "SELECT state, text FROM conversations") == [("service", None)]


@pytest.mark.parametrize("language", ["cy", "ur"])
async def test_a_mistyped_command_lists_what_help_lists(
    four: YousaidBot, emu: Emulator, language: str
) -> None:
    """ "Here's what I can do" after a mistyped command left out /language, which /help has
    wherever there is a choice of language."""
    nia = await agreed(emu, language)
    helped = (await send(nia, "/help")).text or ""
    assert "/language" in helped
    for typed in ("/foo", "/halp me", "/Mine2"):
        reply = (await send(nia, typed)).text or ""
        assert reply.startswith(t(language, "UNKNOWN_COMMAND").strip()), reply
        assert reply.endswith(helped), reply


async def test_two_messages_at_once_at_a_yes_no_question_are_answered_with_one_reminder(
    four: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """Two messages sent before the bot answered the first, at a question for the buttons:
    the same reminder came twice, the first copy stripped of its buttons by the second."""
    nia = await agreed(emu, "cy")
    await press(nia, "Central Library")
    await send(nia, "The study room was far too cold and the heating was off again")
    asked = await press(nia, "3")
    assert says(asked, "cy", "HEAR_BACK")
    before = state(nia)
    await nia.send("hmm")
    await nia.send("hmm")
    reminder = await changed(nia, before)
    await emu.idle(quiet=0.5, timeout=15)
    fresh = [m for m in nia.messages if m.message_id not in dict(before)]
    assert [m.message_id for m in fresh] == [reminder.message_id], [m.text for m in fresh]
    assert says(reminder, "cy", "USE_BUTTONS") and says(reminder, "cy", "HEAR_BACK")
    assert reminder.buttons == [[t("cy", "YES"), t("cy", "NO")]]
    # A message sent after the reminder is seen is answered again, below it.
    again = await send(nia, "hmm")
    assert again.message_id > reminder.message_id and says(again, "cy", "USE_BUTTONS")
    # Nothing of it went into her words; the buttons of the last copy answer.
    assert says(await press(nia, t("cy", "YES")), "cy", "INVOLVE")
    story = "The study room was far too cold and the heating was off again"
    assert stored(db_path, "SELECT text FROM conversations") == [(story,)]
