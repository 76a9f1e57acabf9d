"""Small defects of round 47 on the citizen's side: a second /start, an edited /start at
the language question, a leftover photo copy of a forgotten citizen, and the note on an
album joining the item just saved when its first sending fails."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app import YousaidBot
from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import buttons_of, press_on
from tests.e2e.test_album_after_saving import just_saved
from tests.e2e.test_album_words_later import shots
from tests.e2e.test_citizen import press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_languages import World
from tests.e2e.test_languages import welsh as welsh  # the fixture
from tests.e2e.test_media_albums import colours, new_has, told_nothing_at_rest
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_photo_posted_twice import posted_twice
from tests.e2e.test_privacy_attacks import forget_all
from tests.e2e.test_webhook import until

WORDS = "The study room was far too cold and the heating was off again"


def _plain(html: str) -> str:
    return html.replace("<b>", "").replace("</b>", "")


def welcomes(person: Person) -> int:
    """How many times the long welcome (the whole consent text) was shown."""
    return sum("What I keep" in (m.text or "") for m in person.messages)


async def test_a_second_start_before_agreeing_is_short_and_still_lets_her_agree(
    bot: YousaidBot, emu: Emulator
) -> None:
    """Cy taps /start twice: the welcome once, then a short reminder with the same choice."""
    cy = emu.person("Cy")
    assert "What I keep" in await say(cy, "/start")
    again = await say(cy, "/start")
    assert "What I keep" not in again and texts.CONSENT_REMINDER in _plain(again)
    assert welcomes(cy) == 1
    assert cy.last is not None and cy.last.buttons == [[texts.CONSENT_YES, texts.CONSENT_NO]]
    assert "Which service" in await press(cy, texts.CONSENT_YES)


async def test_a_start_after_words_typed_before_agreeing_loses_nothing(
    bot: YousaidBot, emu: Emulator
) -> None:
    """Di types her feedback first (the welcome answers it), then sends /start: told briefly,
    and the welcome that answered her words still carries them on when she agrees there."""
    di = emu.person("Di")
    assert "What I keep" in await say(di, WORDS)
    welcome = di.last
    assert welcome is not None
    again = await say(di, "/start")
    assert "What I keep" not in again and welcomes(di) == 1
    pressed = await di.press_data(welcome.message_id, welcome.button_data[0][0] or "")
    await pressed.answered()
    await di.wait_for(lambda _: "Which service" in (welcome.text or ""))
    assert texts.KEPT_TEXT.strip() in (welcome.text or "")
    await press_on(di, welcome, "Central Library")
    await di.wait_for(lambda _: "How would you rate it" in (welcome.text or ""))


def _asked_language(person: Person) -> int:
    return sum(
        any("Cymraeg" in label for row in m.buttons for label in row) for m in person.messages
    )


async def test_an_edited_start_at_the_language_question_is_not_asked_again(
    welsh: World, emu: Emulator
) -> None:
    """Gwen sends /start, then edits it (/start s_library): the language question once."""
    gwen = emu.person("Gwen", language_code="cy")
    sent = await gwen.send("/start")
    await gwen.wait_for(lambda msgs: _asked_language(gwen) == 1)
    await gwen.edit(sent, "/start s_library")
    await emu.idle(quiet=0.5, timeout=15)
    assert _asked_language(gwen) == 1, [m.text for m in gwen.messages]


async def test_a_leftover_copy_of_a_forgotten_photo_says_the_author_asked(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Telegram will not delete the leftover copy: its caption says the author asked for it
    to go, not that photos are kept only for a limited time."""
    _, _, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        data = buttons_of(first)[texts.PHOTO_APPROVE]
        await forget_all(team.citizen)
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        emu.faults.error(
            "deleteMessage",
            chat_id=team.group.id,
            description="Bad Request: message can't be deleted",
        )
        pressed = await team.sam.press_data(first.message_id, data, chat=team.group)
        assert (await pressed.answered()).get("text") == texts.MOD_PROBLEMS["photo_gone"]
        await team.group.wait_for(lambda _: (first.text or "").startswith("🗑"), timeout=15)
        assert first.text == texts.REMOVED_BY_AUTHOR
        assert not buttons_of(first)
    finally:
        held.release()


async def test_a_leftover_copy_of_a_photo_past_retention_says_so(
    team: Team, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    """The same leftover copy, its photo gone with retention rather than /forget: its
    caption says photos are kept only for a limited time."""
    _, _, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        data = buttons_of(first)[texts.PHOTO_APPROVE]
        clock.advance(days=91)  # YOUSAID_MEDIA_KEEP_DAYS: 90 by default
        app = team.bot.application
        await team.bot.handlers.privacy.retention(SimpleNamespace(bot=app.bot, application=app))  # type: ignore[arg-type]
        assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        emu.faults.error(
            "deleteMessage",
            chat_id=team.group.id,
            description="Bad Request: message can't be deleted",
        )
        pressed = await team.sam.press_data(first.message_id, data, chat=team.group)
        assert (await pressed.answered()).get("text") == texts.MOD_PROBLEMS["photo_gone"]
        await team.group.wait_for(lambda _: (first.text or "").startswith("🗑"), timeout=15)
        assert first.text == texts.MEDIA_REMOVED_EXPIRED
    finally:
        held.release()


@pytest.mark.parametrize("fault", ["server_error", "flood"])
async def test_the_note_on_an_album_joining_the_saved_item_is_told_after_a_passing_fault(
    team: Team, emu: Emulator, db_path: Path, clock: FakeClock, fault: str
) -> None:
    """Cy's wordless album joins #N; the note saying so meets a passing fault: it is told at
    the next round of the answer-again job, once."""
    citizen = team.citizen
    item = await just_saved(citizen)
    note = _plain(texts.MEDIA_NOTES["album_added_saved"].format(2, reference=item))
    if fault == "flood":
        # More than the bot's own retries of a 429 take.
        failed = emu.faults.flood("sendMessage", chat_id=citizen.id, times=4, retry_after=1)
    else:
        failed = emu.faults.server_error("sendMessage", chat_id=citizen.id, times=1)
    before = len(citizen.messages)
    shots(citizen, "no-words", ["red", "blue"])
    await until(lambda: colours(db_path, item) == ["red", "blue"], timeout=15)
    await told_nothing_at_rest(emu, team.bot)
    await until(lambda: failed.spent, timeout=15)
    await emu.idle(quiet=0.5, timeout=15)
    assert [m.text for m in citizen.messages[before:]] == []
    clock.advance(seconds=60)  # the next round, past the note's own wait
    await run_job(team.bot, "answer-again-after-a-crash")
    await citizen.wait_for(new_has(before, f"#{item}"), timeout=15)
    await run_job(team.bot, "answer-again-after-a-crash")
    await emu.idle(quiet=0.5, timeout=15)
    assert [m.text for m in citizen.messages[before:]] == [note]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]
