"""Two of a team answering the same items at once, in a deployment that requires English and
Welsh: whatever path the second takes to Send (words edited, the Welsh written or left to a
moderator), a colleague's response that reached people meanwhile is said before theirs goes;
one still waiting for its Welsh has reached nobody and stops nothing."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator, MessageView, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import invite
from tests.e2e.test_responses import IN_PROGRESS, WEDNESDAY, World, answer_item, send_words
from tests.e2e.test_responses_bilingual import SAME_IN, speaks
from tests.e2e.test_responses_bilingual import world as world  # the fixture

KIM_EN = "The lift part is ordered and arrives next week."
KIM_CY = "Mae'r rhan wedi ei harchebu ac yn cyrraedd wythnos nesaf."
PAT_EN = "An engineer is booked for the lift on Friday."
PAT_CY = "Mae peiriannydd wedi ei archebu ar gyfer y lifft ddydd Gwener."


def previewed(msgs: list[MessageView]) -> bool:
    return bool(msgs) and texts.RESPOND_PREVIEW_FOOT in (msgs[-1].text or "")


async def colleagues(world: World, emu: Emulator) -> tuple[Person, Person, int]:
    """Kim, of Pat's team; Alice, whose item both will answer; the item."""
    kim, alice = emu.person("Kim"), emu.person("Alice")
    assert "Culture and Leisure" in await invite(world.admin, kim, "provider culture-leisure")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
    await speaks(world.bot.db, alice, "en")
    return kim, alice, item


async def kim_answers(kim: Person, alice: Person, item: int) -> None:
    """Kim writes both languages and sends: Alice hears it."""
    await answer_item(kim, item, IN_PROGRESS)
    await kim.send(KIM_EN)
    await kim.wait_for(last_has(SAME_IN))
    await send_words(kim, KIM_CY)
    await alice.wait_for(has(KIM_EN), timeout=15)


async def send_pressed(person: Person, preview: MessageView) -> dict[str, object]:
    pressed = await person.press_data(preview.message_id, buttons_of(preview)[texts.RESPOND_SEND])
    return await pressed.answered()


def warned(preview: MessageView) -> bool:
    return texts.RESPOND_PREVIEW_MEANWHILE in (preview.text or "")


async def test_words_edited_after_a_colleague_answered_are_previewed_with_the_warning(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    kim, alice, item = await colleagues(world, emu)
    pat = world.pat
    await answer_item(pat, item, IN_PROGRESS)
    await pat.send(PAT_EN)
    await pat.wait_for(last_has(SAME_IN))
    await pat.send(PAT_CY)
    first = (await pat.wait_for(previewed))[-1]
    assert not warned(first)
    clock.advance(minutes=1)
    await kim_answers(kim, alice, item)
    clock.advance(minutes=1)
    await press_on(pat, first, texts.RESPOND_EDIT)
    await pat.wait_for(last_has("Reply to this message"))
    await pat.send(PAT_EN + " Morning.")
    await pat.wait_for(last_has(SAME_IN))
    await pat.send(PAT_CY)
    again = (await pat.wait_for(lambda m: previewed(m) and "Morning" in (m[-1].text or "")))[-1]
    assert warned(again)
    # Told in the preview: Send sends.
    assert not (await send_pressed(pat, again)).get("text")
    await pat.wait_for(last_has("Published"))
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(2,)]


async def test_a_colleague_answering_before_the_welsh_is_written_is_said_in_the_preview(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    kim, alice, item = await colleagues(world, emu)
    pat = world.pat
    await answer_item(pat, item, IN_PROGRESS)
    clock.advance(minutes=1)
    await kim_answers(kim, alice, item)
    clock.advance(minutes=1)
    await pat.send(PAT_EN)
    await pat.wait_for(last_has(SAME_IN))
    clock.advance(minutes=1)
    await pat.send(PAT_CY)
    assert warned((await pat.wait_for(previewed))[-1])


async def test_leaving_the_welsh_to_a_moderator_after_a_colleague_answered_warns(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    kim, alice, item = await colleagues(world, emu)
    pat = world.pat
    await answer_item(pat, item, IN_PROGRESS)
    await pat.send(PAT_EN)
    prompt = await pat.wait_for(last_has(SAME_IN))
    clock.advance(minutes=1)
    await kim_answers(kim, alice, item)
    clock.advance(minutes=1)
    await press_on(pat, prompt[-1], texts.LANG_MODERATOR_WILL_ADD)
    assert warned((await pat.wait_for(previewed))[-1])


async def test_a_waiting_response_stops_nothing_until_it_goes_out(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """Kim's response waits for its Welsh: nobody heard it, so Pat's preview says nothing.
    A moderator then adds the Welsh and it reaches Alice: Pat's Send is stopped once."""
    kim, alice, item = await colleagues(world, emu)
    pat, sam = world.pat, world.sam
    await answer_item(kim, item, IN_PROGRESS)
    await kim.send(KIM_EN)
    prompt = await kim.wait_for(last_has(SAME_IN))
    await press_on(kim, prompt[-1], texts.LANG_MODERATOR_WILL_ADD)
    await press_on(kim, (await kim.wait_for(previewed))[-1], texts.RESPOND_SEND)
    await kim.wait_for(has("It waits for Cymraeg"))
    clock.advance(minutes=5)
    await answer_item(pat, item, IN_PROGRESS)
    await pat.send(PAT_EN)
    await pat.wait_for(last_has(SAME_IN))
    await pat.send(PAT_CY)
    preview = (await pat.wait_for(previewed))[-1]
    assert not warned(preview)
    clock.advance(minutes=1)
    cards = await world.mods.wait_for(has("Response waiting for Cymraeg"))
    card = next(m for m in cards if "Response waiting for Cymraeg" in (m.text or ""))
    await press_on(sam, card, texts.LANG_ADD_BUTTON.format(language="Cymraeg"), chat=world.mods)
    asked = await world.mods.wait_for(last_has("in Cymraeg"))
    await sam.send(KIM_CY, chat=world.mods, reply_to=asked[-1])
    await alice.wait_for(has(KIM_EN), timeout=15)
    clock.advance(minutes=1)
    answer = await send_pressed(pat, preview)
    assert answer.get("text") == texts.RESPOND_PROBLEMS["answered_meanwhile"]
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(1,)]
