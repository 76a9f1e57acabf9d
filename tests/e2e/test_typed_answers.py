"""A citizen who types instead of pressing: answers are answers, never part of the feedback;
words written are kept; a request to be contacted is answered; links and groups lead on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.app import YousaidBot
from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock, connect

STORY = "The study room was far too cold and the heating was off again"


def stored(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    with connect(db_path) as conn:
        return conn.execute(sql).fetchall()


async def say(person: Person, text: str) -> str:
    """Send text; return the text of the bot's reply."""
    await person.send(text)
    return (await person.next_message()).text or ""


async def press(person: Person, label: str) -> str:
    """Press a button; return the text the pressed message now shows."""
    before = [(m.message_id, m.text) for m in person.messages]
    result = await person.press(label)
    assert await result.answered() is not None
    await person.wait_for(lambda msgs: [(m.message_id, m.text) for m in msgs] != before)
    return person.messages[-1].text or ""


async def at_rating(person: Person, service: str = "Central Library") -> None:
    """Consent, pick the service, tell the story: the rating question is showing."""
    assert "Is that OK" in await say(person, "/start")
    await press(person, texts.CONSENT_YES)
    await press(person, service)
    assert "How would you rate it" in await say(person, STORY)


@pytest.mark.parametrize(
    ("typed", "rating"),
    [
        ("three", 3),
        ("3/5", 3),
        ("4 stars", 4),
        ("Five!", 5),
        ("2 out of 5", 2),
        ("very good", 5),
        ("skip", None),
    ],
)
async def test_a_typed_rating_is_the_rating(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str, rating: int | None
) -> None:
    ann = emu.person("Ann")
    await at_rating(ann)
    reply = await say(ann, typed)
    assert texts.ADDED_TEXT.strip() not in reply
    assert "hear back" in reply and ann.last.buttons == [[texts.YES, texts.NO]]
    assert "involved" in await say(ann, "yeah")
    assert "Saved as #1" in await say(ann, "No thanks")
    # The item holds the story alone: no "three", no "yeah", no "No thanks".
    assert stored(db_path, "SELECT text, rating, hear_back FROM feedback") == [(STORY, rating, 1)]
    assert stored(db_path, "SELECT involve FROM citizens WHERE id != 0") == [("no",)]


async def test_other_text_at_a_button_step_asks_for_the_buttons(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ben = emu.person("Ben")
    await at_rating(ben)
    # Not a rating, too short to be more of the story: the buttons, the step kept.
    reply = await say(ben, "hmm")
    assert reply.startswith(texts.NOT_A_RATING.strip()) and "How would you rate it" in reply
    assert ben.last.buttons[0] == list(texts.RATING_LABELS)
    assert "hear back" in await press(ben, "2")
    # Past the rating the item is written: a sentence at a yes/no question is not added.
    reply = await say(ben, "The staff were lovely though, to be fair")
    assert reply.startswith(texts.USE_BUTTONS.strip()) and "hear back" in reply
    assert ben.last.buttons == [[texts.YES, texts.NO]]
    assert "involved" in await say(ben, "sure")
    reply = await say(ben, "maybe later")
    assert texts.USE_BUTTONS.strip() in reply and "involved" in reply
    assert "Saved as #1" in await say(ben, "nope")
    assert stored(db_path, "SELECT text, rating FROM feedback") == [(STORY, 2)]


async def test_more_words_while_still_writing_are_added_and_said_so(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    cat = emu.person("Cat")
    await at_rating(cat)
    assert "Anything more to add" in (cat.last.text or "")
    reply = await say(cat, "And the toilets on the first floor were locked all day")
    assert reply.startswith(texts.ADDED_TEXT.strip()) and "How would you rate it" in reply
    await say(cat, "1")
    await say(cat, "no")
    await say(cat, "no")
    assert stored(db_path, "SELECT text, rating FROM feedback") == [
        (f"{STORY}\nAnd the toilets on the first floor were locked all day", 1)
    ]


@pytest.mark.parametrize("typed", ["ok", "Yes", "I agree"])
async def test_typed_yes_at_the_consent_question_is_consent(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str
) -> None:
    dee = emu.person("Dee")
    assert "Is that OK" in await say(dee, "/start s_buses")
    reply = await say(dee, typed)
    # The deep link's service is kept too.
    assert reply.startswith("Buses") and "What happened" in reply
    assert stored(db_path, "SELECT version, decision FROM consents") == [("2026-12", "given")]


async def test_other_text_at_the_consent_question_gets_a_reminder_and_its_words_go_on(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    eve = emu.person("Eve")
    await say(eve, "/start")
    reply = await say(eve, "The bins were missed again on our road")
    # A short reminder with the buttons, not the whole consent text again.
    assert reply.startswith(texts.CONSENT_REMINDER) and "What I keep" not in reply
    assert "carry on with the message this answers" in reply
    assert eve.last.buttons == [[texts.CONSENT_YES, texts.CONSENT_NO]]
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    reply = await press(eve, texts.CONSENT_YES)
    assert reply.startswith(texts.KEPT_TEXT.strip()) and "Which service" in reply
    assert "How would you rate it" in await press(eve, "Bins and recycling")
    await press(eve, "2")
    await press(eve, texts.NO)
    assert "Saved as #1" in await press(eve, texts.NO)
    assert stored(db_path, "SELECT service_slug, text FROM feedback") == [
        ("bins", "The bins were missed again on our road")
    ]


async def test_a_story_then_a_typed_ok_keeps_the_story(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    uma = emu.person("Uma")
    await say(uma, "/start s_buses")
    assert (await say(uma, "The 7 was twenty minutes late twice")).startswith(
        texts.CONSENT_REMINDER
    )
    reply = await say(uma, "ok")
    assert reply.startswith(texts.KEPT_TEXT.strip()) and "How would you rate it" in reply
    assert stored(db_path, "SELECT state, service_slug, text FROM conversations") == [
        ("rating", "buses", "The 7 was twenty minutes late twice")
    ]


async def test_words_before_any_start_survive_consent(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    fay = emu.person("Fay")
    # Never saw the consent text: the whole of it, once, answering her words.
    reply = await say(fay, "The number 7 bus never turned up this morning")
    assert "need your OK" in reply and "What I keep" in reply
    reply = await press(fay, texts.CONSENT_YES)
    assert reply.startswith(texts.KEPT_TEXT.strip()) and "Which service" in reply
    assert stored(db_path, "SELECT state, text FROM conversations") == [
        ("service", "The number 7 bus never turned up this morning")
    ]


async def expire(bot: YousaidBot, clock: FakeClock) -> None:
    """Let the conversations go quiet and run the time-out job once."""
    clock.advance(hours=1)
    job_queue = bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("expire-idle-conversations")
    await job.run(bot.application)


async def written_then_quiet(person: Person, bot: YousaidBot, clock: FakeClock) -> None:
    """Consent, tell the story before choosing a service, then go quiet."""
    await say(person, "/start")
    await press(person, texts.CONSENT_YES)
    assert texts.KEPT_TEXT.strip() in await say(person, STORY)
    await expire(bot, clock)
    told = (await person.next_message()).text or ""
    assert told == texts.TIMED_OUT_DRAFT


async def test_words_written_before_a_time_out_are_offered_back(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    gus = emu.person("Gus")
    await written_then_quiet(gus, bot, clock)
    assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
    reply = await say(gus, "/start")
    assert "You started writing this before" in reply and STORY in reply
    assert gus.last.buttons == [[texts.DRAFT_CARRY_ON], [texts.DRAFT_AFRESH]]
    reply = await press(gus, texts.DRAFT_CARRY_ON)
    assert reply.startswith(texts.DRAFT_CARRIED.strip()) and "Which service" in reply
    assert "How would you rate it" in await press(gus, "Central Library")
    await press(gus, "3")
    await press(gus, texts.NO)
    assert "Saved as #1" in await press(gus, texts.NO)
    assert stored(db_path, "SELECT text, rating FROM feedback") == [(STORY, 3)]
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]
    # Offered once: the next /start begins afresh.
    assert "Which service" in await say(gus, "/start")


async def test_starting_afresh_drops_the_draft(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    hal = emu.person("Hal")
    await written_then_quiet(hal, bot, clock)
    await say(hal, "/start s_parks")
    reply = await press(hal, texts.DRAFT_AFRESH)
    assert reply.startswith(texts.DRAFT_DROPPED.strip()) and "Parks and green spaces" in reply
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]
    assert STORY not in "\n".join(str(r) for r in stored(db_path, "SELECT * FROM conversations"))


async def test_a_draft_is_in_mydata_and_goes_with_forget_and_retention(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    ivo, jan = emu.person("Ivo"), emu.person("Jan")
    await written_then_quiet(ivo, bot, clock)
    await ivo.send("/mydata")
    found = await ivo.wait_for(lambda msgs: msgs[-1].document is not None, timeout=10)
    data = json.loads(found[-1].document or b"{}")
    assert data["draft_kept_for_you"]["text"] == STORY
    await ivo.send("/forget")
    await ivo.wait_for(lambda msgs: "can't be undone" in (msgs[-1].text or ""))
    assert texts.FORGET_DONE in await press(ivo, texts.FORGET_ALL)
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]
    # Retention: a draft lasts as long as original texts do, no longer.
    await written_then_quiet(jan, bot, clock)
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(1,)]
    clock.advance(days=181)
    kept = await bot.privacy.retention()
    assert kept.drafts_removed == 1
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]


async def test_cancel_drops_a_kept_draft(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    kit = emu.person("Kit")
    await written_then_quiet(kit, bot, clock)
    assert await say(kit, "/cancel") == texts.CANCELLED_DRAFT
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]


@pytest.mark.parametrize(
    ("service", "words", "route"),
    [
        (
            "Bins and recycling",
            "Bins missed three weeks running, please ring me on 07700 900123",
            "Report a missed bin: riverside.gov.uk/bins or 01234 567891",
        ),
        (
            "Buses",
            "The 7 never came and nobody answers, can someone get back to me",
            "Formal complaints: riverside.gov.uk/complaints or 01234 567890",
        ),
    ],
)
async def test_asking_to_be_contacted_is_told_how_to_reach_the_service(
    bot: YousaidBot, emu: Emulator, service: str, words: str, route: str
) -> None:
    lou = emu.person("Lou")
    await say(lou, "/start")
    await press(lou, texts.CONSENT_YES)
    await press(lou, service)
    await say(lou, words)
    await press(lou, texts.SKIP)
    await press(lou, texts.NO)
    saved = await press(lou, texts.NO)
    assert "Saved as #1" in saved
    assert "never sees contact details" in saved and "not the formal complaints route" in saved
    assert route in saved


async def test_no_contact_note_when_none_was_asked_for(bot: YousaidBot, emu: Emulator) -> None:
    max_ = emu.person("Max")
    await at_rating(max_)
    await press(max_, texts.SKIP)
    await press(max_, texts.NO)
    assert "contact" not in await press(max_, texts.NO)


async def test_an_unknown_link_from_a_first_timer_is_said_after_consent(
    bot: YousaidBot, emu: Emulator
) -> None:
    ned = emu.person("Ned")
    assert "Is that OK" in await say(ned, "/start s_nosuch")
    reply = await press(ned, texts.CONSENT_YES)
    assert reply.startswith(texts.UNKNOWN_SERVICE.strip()) and "Which service" in reply


async def test_start_in_a_group_points_to_the_private_chat(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ola = emu.person("Ola")
    group = emu.group("Riverside residents", members=[ola])
    await ola.send("/start s_library", chat=group)
    (answer,) = await group.wait_for(lambda msgs: len(msgs) == 1)
    assert answer.text == texts.GROUP_START
    assert answer.keyboard == [
        [
            {
                "text": texts.GROUP_START_BUTTON,
                "url": f"https://t.me/{emu.bot_username}?start=s_library",
            }
        ]
    ]
    # Nothing is kept of a group's /start, not even the person.
    assert stored(db_path, "SELECT COUNT(*) FROM citizens WHERE id != 0") == [(0,)]
