"""A welcome or a language question lost to a passing fault (Telegram's 502, twice) is not
taken as seen: the next /start shows the whole welcome, an edit asks the language."""

from __future__ import annotations

from bot.app import YousaidBot
from emulator import Emulator
from tests.conftest import FakeClock
from tests.e2e.test_citizen_small_r47 import _asked_language
from tests.e2e.test_digests import run_job
from tests.e2e.test_languages import World
from tests.e2e.test_languages import welsh as welsh  # the fixture


async def test_an_edited_first_message_whose_language_question_was_lost_is_asked_it(
    welsh: World, emu: Emulator, clock: FakeClock
) -> None:
    """Gwen's first message meets a passing fault: the language question never reaches her.
    Hearing nothing, she edits her message: she is asked it now (or at the answer-again
    job), not left in silence."""
    gwen = emu.person("Gwen", language_code="cy")
    failed = emu.faults.server_error("sendMessage", chat_id=gwen.id, times=2)
    sent = await gwen.send("Mae'r llyfrgell ar gau eto")
    await emu.idle(quiet=3.0, timeout=60)
    assert failed.spent and not gwen.messages
    await gwen.edit(sent, "Mae'r llyfrgell ar gau eto heddiw")
    await emu.idle(quiet=1.0, timeout=30)
    clock.advance(minutes=10)
    await run_job(welsh.bot, "answer-again-after-a-crash")
    await emu.idle(quiet=1.0, timeout=30)
    assert _asked_language(gwen) == 1, [m.text for m in gwen.messages]


async def test_a_second_start_after_the_welcome_was_lost_shows_the_whole_welcome(
    bot: YousaidBot, emu: Emulator
) -> None:
    """Eve's welcome meets a passing fault and never reaches her. Hearing nothing, she sends
    /start again: she gets the whole welcome (what is kept, who sees it), not the short
    reminder that says it is just above."""
    eve = emu.person("Eve")
    failed = emu.faults.server_error("sendMessage", chat_id=eve.id, times=2)
    await eve.send("/start")
    await emu.idle(quiet=3.0, timeout=60)
    assert failed.spent and not eve.messages
    await eve.send("/start")
    shown = await eve.next_message()
    assert "What I keep" in (shown.text or ""), shown.text
