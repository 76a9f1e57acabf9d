"""A provider's response is checked and previewed before it reaches anyone; it reaches the
people who raised a problem; staff prompts end when something else starts; hiding a response
from /responses is tidy."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from emulator import Emulator, MessageView, Person
from handlers import texts
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on, with_text
from tests.e2e.test_citizen import stored
from tests.e2e.test_responses import (
    ACCESS,
    CHANGED,
    IN_PROGRESS,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    notice_of,
    send_words,
    world,  # noqa: F401 - the fixture, shared
)

HEARD = "has responded"


async def add_of_kind(db: Database, telegram_id: int, text: str, kind: str, at: datetime) -> int:
    """An approved library item of this kind (complaint, compliment...), on waiting times."""
    return await add_item(db, telegram_id, "library", text, at, rating=4, kind=kind)


def heard_by(person: Person) -> int:
    """How many responses this person received."""
    return sum(HEARD in (m.text or "") for m in person.messages)


def responses_stored(db_path: Path) -> int:
    """How many responses were published."""
    return int(stored(db_path, "SELECT COUNT(*) FROM responses")[0][0])  # type: ignore[arg-type]


async def preview_of(person: Person, words: str) -> MessageView:
    """Write the words of a response; the preview the bot shows."""
    await person.send(words)
    shown = await person.wait_for(
        lambda m: (
            bool(m)
            and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
            and words in (m[-1].text or "")
        )
    )
    return shown[-1]


# ---------------------------------------------------------------------------- point 3


async def test_ok_is_not_an_answer_and_nothing_goes_out_before_send(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    a = await add_item(world.bot.db, alice.id, "library", "The queue was an hour.", WEDNESDAY)
    await add_item(world.bot.db, bob.id, "library", "Waited ages at the desk.", WEDNESDAY)
    await add_item(world.bot.db, bob.id, "library", "Still waiting at the desk.", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    await press_on(world.pat, digest, f"↩️ Respond: {ACCESS}")
    asked = await world.pat.wait_for(last_has("What is your answer?"))
    await press_on(world.pat, asked[-1], IN_PROGRESS)
    prompt = await world.pat.wait_for(last_has("Reply to this message"))
    assert texts.RESPOND_CANCEL in buttons_of(prompt[-1])

    # "ok" is refused, kindly, and the answer stays open.
    await world.pat.send("ok")
    refused = await world.pat.wait_for(last_has("a little short"))
    assert texts.RESPOND_CANCEL in buttons_of(refused[-1])
    assert responses_stored(db_path) == 0

    # Real words: a preview as the citizens will read it, with how many people it reaches
    # (distinct people: Bob's two items make one person).
    preview = await preview_of(world.pat, "We are hiring two more staff for the desk.")
    text = preview.text or ""
    assert "goes to 2 people" in text and "3 items covered" in text, text
    assert "has responded about" in text and "hiring two more staff" in text
    assert "Each of them will read:" in text
    assert list(buttons_of(preview)) == [
        texts.RESPOND_SEND,
        texts.RESPOND_EDIT,
        texts.RESPOND_CANCEL,
    ]
    await emu.idle(quiet=0.3)
    assert responses_stored(db_path) == 0 and heard_by(alice) == 0
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]

    # Send publishes once; pressing it again sends nothing more.
    send = buttons_of(preview)[texts.RESPOND_SEND]
    await press_on(world.pat, preview, texts.RESPOND_SEND)
    done = await world.pat.wait_for(last_has("Published"))
    assert "goes to 2 people" in (done[-1].text or "")
    # The preview's buttons are gone; a press of the same button again sends nothing.
    assert not preview.buttons
    # And its last line no longer says that nothing is sent.
    assert (preview.text or "").endswith(texts.RESPOND_PREVIEW_SENT)
    assert texts.RESPOND_PREVIEW_FOOT not in (preview.text or "")
    again = await world.pat.press_data(preview.message_id, send)
    # Said plainly: it went, once (not "no longer being written", which reads as not sent).
    assert (await again.answered())["text"] == texts.RESPOND_PROBLEMS["already_sent"]
    notice = await notice_of(alice)
    assert "hiring two more staff" in (notice.text or "") and f"#{a}" in (notice.text or "")
    await emu.idle(quiet=0.3)
    assert responses_stored(db_path) == 1 and heard_by(alice) == 1 and heard_by(bob) == 1
    assert stored(db_path, "SELECT text FROM responses") == [
        ("We are hiring two more staff for the desk.",)
    ]
    # The prompt's Cancel, pressed after sending, does not pretend nothing was sent.
    late = await press_on(world.pat, prompt[-1], texts.RESPOND_CANCEL)
    assert late["text"] == texts.RESPOND_NOTHING_TO_CANCEL
    assert responses_stored(db_path) == 1


async def test_edit_and_rewrite_from_the_preview_and_an_older_preview_sends_nothing(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    first = await preview_of(world.pat, "The lift was mended on Monday morning.")
    # One person: "They will read", not "Each of them".
    assert "goes to 1 person who" in (first.text or "")
    assert "They will read:" in (first.text or "")
    # Edit: the words are asked for again, showing what was written.
    await press_on(world.pat, first, texts.RESPOND_EDIT)
    again = await world.pat.wait_for(last_has("What you wrote before"))
    assert "mended on Monday morning" in (again[-1].text or "")
    second = await preview_of(world.pat, "The lift was mended on Tuesday, sorry for the wait.")
    # Text typed after a preview is new words too: a newer preview.
    third = await preview_of(world.pat, "The lift was mended on Tuesday; thank you for telling us.")
    stale = await world.pat.press_data(second.message_id, buttons_of(second)[texts.RESPOND_SEND])
    assert (await stale.answered())["text"] == texts.RESPOND_PROBLEMS["stale"]
    assert responses_stored(db_path) == 0
    await press_on(world.pat, third, texts.RESPOND_SEND)
    await world.pat.wait_for(last_has("Published"))
    notice = await notice_of(alice)
    assert "thank you for telling us" in (notice.text or "")
    assert stored(db_path, "SELECT status FROM responses") == [("changed",)]


async def test_not_changing_still_needs_a_reason(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays.", WEDNESDAY)
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["not_changing"])
    await world.pat.send("No budget for that, sorry.")
    await world.pat.wait_for(last_has("people deserve the reason"))
    await preview_of(world.pat, "We cannot staff Sundays within this year's budget, sorry.")
    assert responses_stored(db_path) == 0


async def test_a_providers_words_never_fall_into_the_citizen_conversation(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The toilets are dirty.", WEDNESDAY)
    # Words typed before choosing the status: the status is asked for, not consent.
    await world.pat.send(f"/respond {item}")
    await world.pat.wait_for(last_has("What is your answer?"))
    await world.pat.send("We have a new cleaning rota from next week.")
    await world.pat.wait_for(has(texts.RESPOND_STATUS_FIRST))
    found = await world.pat.wait_for(last_has("What is your answer?"))
    assert not any(texts.CONSENT_FIRST.strip() in (m.text or "") for m in found)
    await press_on(world.pat, found[-1], CHANGED)
    await world.pat.wait_for(last_has("Reply to this message"))
    await send_words(world.pat, "We have a new cleaning rota from next week.")
    # Text after it is sent: answered as staff, never the consent screen.
    await world.pat.send("Thanks, that's all")
    answer = await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    assert not any("consent" in (m.text or "").lower() for m in answer)
    assert not any(m.buttons and texts.CONSENT_YES in m.buttons[0] for m in answer)
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]


# ---------------------------------------------------------------------------- point 2


async def test_another_command_or_button_ends_a_providers_prompt(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The queue is long.", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    # A response started, then a button of the digest (the CSV): the response ends.
    await press_on(world.pat, digest, f"↩️ #{item}")
    asked = await world.pat.wait_for(last_has("What is your answer?"))
    await press_on(world.pat, asked[-1], IN_PROGRESS)
    await world.pat.wait_for(last_has("Reply to this message"))
    await press_on(world.pat, digest, texts.CSV_BUTTON)
    await world.pat.wait_for(has(texts.DRAFT_PUT_ASIDE["response"]))
    await world.pat.wait_for(lambda m: any(x.document is not None for x in m))
    await world.pat.send("Send me the numbers for last month please.")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    # Another command: /respond, then /services before the words.
    await answer_item(world.pat, item, IN_PROGRESS)
    await world.pat.send("/services")
    await world.pat.wait_for(has(texts.DRAFT_PUT_ASIDE["response"]))
    await world.pat.send("Which services do I have again?")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    # A question being written ends at /digest; its prompt has a Cancel button, too.
    await world.pat.send("/ask library")
    prompt = await world.pat.wait_for(last_has("write your question"))
    assert texts.RESPOND_CANCEL in buttons_of(prompt[-1])
    await press_on(world.pat, prompt[-1], texts.RESPOND_CANCEL)
    await world.pat.wait_for(has(texts.RESPOND_CANCELLED))
    await world.pat.send("What would make Saturdays easier for you?")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    await world.pat.send("/ask library")
    await world.pat.wait_for(last_has("write your question"))
    await world.pat.send("/digest")
    await world.pat.wait_for(has(texts.DRAFT_PUT_ASIDE["question"]))
    await emu.idle(quiet=0.3)
    await world.pat.send("What would make Saturdays easier for you?")
    await world.pat.wait_for(last_has(texts.STAFF_TEXT_NOT_WAITING[:30]))
    assert responses_stored(db_path) == 0
    assert stored(db_path, "SELECT COUNT(*) FROM asks") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]


# ---------------------------------------------------------------------------- point 4


async def test_a_theme_response_reaches_those_who_raised_a_problem_not_those_who_praised(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice, bob, carol = emu.person("Alice"), emu.person("Bob"), emu.person("Carol")
    db = world.bot.db
    await add_of_kind(db, alice.id, "The queue at the desk took an hour.", "complaint", WEDNESDAY)
    await add_of_kind(db, bob.id, "No wait at all today, lovely staff.", "compliment", WEDNESDAY)
    await add_of_kind(db, carol.id, "Could you open a second desk?", "suggestion", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    await press_on(world.pat, digest, f"↩️ Respond: {ACCESS}")
    asked = await world.pat.wait_for(last_has("What is your answer?"))
    await press_on(world.pat, asked[-1], CHANGED)
    await world.pat.wait_for(last_has("Reply to this message"))
    preview = await preview_of(world.pat, "A second desk now opens on Saturdays.")
    assert "goes to 2 people" in (preview.text or "") and "2 items covered" in (preview.text or "")
    await press_on(world.pat, preview, texts.RESPOND_SEND)
    done = await world.pat.wait_for(last_has("Published"))
    assert "covers 2 items" in (done[-1].text or "") and "goes to 2 people" in (done[-1].text or "")
    await notice_of(alice)
    await notice_of(carol)
    await emu.idle(quiet=0.3)
    assert heard_by(bob) == 0


async def test_a_theme_with_only_praise_has_nothing_to_answer(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    bob = emu.person("Bob")
    await add_of_kind(world.bot.db, bob.id, "Quick and friendly desk.", "compliment", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    answer = await press_on(world.pat, digest, f"↩️ Respond: {ACCESS}")
    assert answer["text"] == texts.RESPOND_PROBLEMS["only_praise"]
    assert stored(db_path, "SELECT COUNT(*) FROM drafts") == [(0,)]


# ---------------------------------------------------------------------------- point 8


async def test_hiding_from_the_list_says_which_keeps_the_others_and_tidies_the_card(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    first = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    second = await add_item(world.bot.db, alice.id, "library", "No hot water.", WEDNESDAY)
    await answer_item(world.pat, first, IN_PROGRESS)
    await send_words(world.pat, "A new lift part arrives next week.")
    await answer_item(world.pat, second, IN_PROGRESS)
    await send_words(world.pat, "The boiler is being repaired this week.")
    cards = await world.mods.wait_for(lambda m: sum("Response" in (x.text or "") for x in m) == 2)
    card = with_text(cards, "lift part")
    await world.sam.send("/responses")
    listed = (await world.sam.wait_for(last_has("Latest responses")))[-1]
    hide = f"{texts.RESPONSE_HIDE} R1"
    assert {hide, f"{texts.RESPONSE_HIDE} R2"} <= set(buttons_of(listed))
    answer = await press_on(world.sam, listed, hide)
    assert answer["text"] == texts.RESPONSE_HIDDEN_SHORT.format(id=1)
    # The list: R1's line marked, R2's Hide button kept.
    edited = await world.sam.wait_for(
        lambda m: any(x.message_id == listed.message_id and x.edited for x in m)
    )
    listing = next(m for m in edited if m.message_id == listed.message_id)
    assert list(buttons_of(listing)) == [f"{texts.RESPONSE_HIDE} R2"]
    line = next(x for x in (listing.text or "").split("\n") if x.startswith("• R1 "))
    assert line.endswith(texts.RESPONSE_LIST_HIDDEN)
    assert not any(
        x.startswith("• R2 ") and texts.RESPONSE_LIST_HIDDEN in x
        for x in (listing.text or "").split("\n")
    )
    # The card in the moderators' chat no longer offers to hide it, and says so.
    await world.mods.wait_for(
        lambda m: any(
            x.message_id == card.message_id and "R1 hidden by" in (x.text or "") for x in m
        )
    )
    tidied = next(m for m in world.mods.messages if m.message_id == card.message_id)
    assert not tidied.buttons
    await asyncio.sleep(0)
    assert stored(db_path, "SELECT id FROM responses WHERE hidden_at IS NOT NULL") == [(1,)]
