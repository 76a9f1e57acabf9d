"""A question asked again (under a sticker, a location, words where a tap was expected): only
its last copy can be answered, so the chat never shows a question already answered as open."""

from __future__ import annotations

from pathlib import Path

from bot.app import YousaidBot
from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.e2e.helpers import buttons_of, press_on
from tests.e2e.test_citizen import consent, press, stored

RATINGS = ["1", "2", "3", "4", "5"]


def rates(message: MessageView) -> bool:
    """Whether a message offers the rating's buttons."""
    return any(r in buttons_of(message) for r in RATINGS)


async def rating_asked(person: Person) -> MessageView:
    """Consent, the library, the story: the rating question."""
    await consent(person)
    await press(person, "Central Library")
    await person.send("The library roof leaks onto the children's books again.")
    asked = await person.next_message()
    assert "How would you rate it" in (asked.text or "") and rates(asked)
    return asked


async def test_asked_again_under_a_sticker_the_copy_above_cannot_be_answered(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ann = emu.person("Ann")
    first = await rating_asked(ann)
    await ann.send_sticker()
    again = await ann.next_message()
    assert "How would you rate it" in (again.text or "") and rates(again)
    # The copy above keeps its words, not its buttons.
    await ann.wait_for(lambda _: not rates(first))
    assert "How would you rate it" in (first.text or "")
    # Answered below, it goes on below.
    await press_on(ann, again, "4")
    await ann.wait_for(lambda _: "hear back" in (again.text or ""))
    await press(ann, texts.YES)
    assert "Saved as #" in await press(ann, texts.NO)
    assert stored(db_path, "SELECT rating FROM feedback") == [(4,)]


async def test_an_old_copy_pressed_all_the_same_leaves_no_open_question_below(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """A client showing the chat as it was (the buttons it had) presses the copy above: the
    question goes on there, and the copy below (now answered) loses its answers, not its
    other buttons."""
    bea = emu.person("Bea")
    first = await rating_asked(bea)
    old = buttons_of(first)
    await bea.send_location(52.41092, -1.50753)  # the place, kept: and the rating again
    again = await bea.next_message()
    await bea.wait_for(lambda _: not rates(first))
    assert rates(again) and texts.PLACE_EXACT in buttons_of(again)
    pressed = await bea.press_data(first.message_id, old["2"])
    assert await pressed.answered() is not None
    await bea.wait_for(lambda _: "hear back" in (first.text or "") and not rates(again))
    assert "How would you rate it" in (again.text or "")
    assert list(buttons_of(again)) == [texts.PLACE_EXACT]
    # Its rating was taken once, from the press that went through.
    assert stored(db_path, "SELECT rating FROM feedback") == []
    await press(bea, texts.YES)
    await press(bea, texts.NO)
    await bea.wait_for(lambda _: "Saved as #" in (first.text or ""))
    assert stored(db_path, "SELECT rating FROM feedback") == [(2,)]


async def test_other_buttons_of_an_old_copy_stay(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """The themes heard in a saved item can still be fixed from its message after a new
    conversation asks its first question below it."""
    cal = emu.person("Cal")
    await rating_asked(cal)
    await press(cal, "3")
    await press(cal, texts.NO)
    saved = await press(cal, texts.NO)
    assert "Saved as #" in saved
    done = cal.messages[-1]
    kept = buttons_of(done)
    await cal.send("/start")
    asked = await cal.next_message()
    assert "Which service" in (asked.text or "")
    # A sticker now asks again; the saved message's own buttons are untouched throughout.
    await cal.send_sticker()
    await cal.next_message()
    await emu.idle()
    assert buttons_of(done) == kept


async def test_an_old_copy_answered_to_the_end_leaves_no_copy_open(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """The last question answered on the copy above (the item saved there): the copy below
    loses its buttons too."""
    ann = emu.person("Ann")
    first = await rating_asked(ann)
    await press(ann, "3")
    await press(ann, texts.YES)
    assert "involved" in (first.text or "")
    old = buttons_of(first)
    await ann.send_sticker()
    again = await ann.next_message()
    assert "involved" in (again.text or "")
    await ann.wait_for(lambda _: texts.NO not in buttons_of(first))
    assert await (await ann.press_data(first.message_id, old[texts.NO])).answered() is not None
    await ann.wait_for(
        lambda _: "Saved as #" in (first.text or "") and texts.NO not in buttons_of(again)
    )
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]


async def test_a_used_exact_spot_button_does_not_come_back(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    bea = emu.person("Bea")
    await rating_asked(bea)
    await bea.send_location(52.41092, -1.50753)
    placed = await bea.next_message()
    await press_on(bea, placed, texts.PLACE_EXACT)
    await bea.wait_for(lambda _: texts.PLACE_EXACT not in buttons_of(placed))
    await bea.send_sticker()
    await bea.next_message()
    await bea.wait_for(lambda _: not rates(placed))
    await emu.idle()
    assert buttons_of(placed) == {}


async def test_words_before_consent_survive_a_start_asking_again(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    """The first consent question carries the words it answered; /start asks again without
    them: the first stays answerable, and Yes there keeps the words."""
    words = "The library roof leaks onto the children's books again and again."
    cy = emu.person("Cy")
    await cy.send(words)
    first = await cy.next_message()
    await cy.send("/start")
    await cy.next_message()
    await emu.idle()
    assert texts.CONSENT_YES in buttons_of(first)
    await press_on(cy, first, texts.CONSENT_YES)
    await cy.wait_for(lambda _: "Which service" in (first.text or ""))
    assert stored(db_path, "SELECT text FROM conversations") == [(words,)]
