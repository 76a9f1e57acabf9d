"""The citizen conversation as real people use it: typed answers in odd shapes, old buttons,
restarts. An answer ("no thanks", "skip", "ok") never becomes feedback, and what the bot says
it kept is what the database holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import YousaidBot
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import last_has, press_on, with_text
from tests.e2e.test_side_prompts import QUESTION, ask_question, comments, delivered, not_really
from tests.e2e.test_typed_answers import STORY, at_rating, expire, press, say, stored

NOT_A_RATING = texts.NOT_A_RATING.strip()


def conversation_text(db_path: Path) -> list[tuple[object, ...]]:
    return stored(db_path, "SELECT state, text FROM conversations")


@pytest.mark.parametrize(
    "typed", ["no thanks", "No thank you!", "not really", "yes please", "10 out of 10", "-1", "0"]
)
async def test_an_answer_that_is_no_rating_is_not_added_to_the_story(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str
) -> None:
    ann = emu.person("Ann")
    await at_rating(ann)
    reply = await say(ann, typed)
    assert reply.startswith(NOT_A_RATING) and "How would you rate it" in reply
    assert conversation_text(db_path) == [("rating", STORY)]


@pytest.mark.parametrize(("typed", "rating"), [("３", 3), ("⭐⭐⭐⭐", 4), ("3.", 3), ("★★", 2)])
async def test_stars_and_wide_digits_are_ratings(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str, rating: int
) -> None:
    bea = emu.person("Bea")
    await at_rating(bea)
    assert "hear back" in await say(bea, typed)
    assert stored(db_path, "SELECT rating, text FROM conversations") == [(rating, STORY)]


@pytest.mark.parametrize("typed", ["no thanks", "Skip", "no thank you"])
async def test_declining_the_comment_in_words_skips_it(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str
) -> None:
    cal = emu.person("Cal")
    await not_really(bot, cal)
    await cal.send(typed)
    await cal.wait_for(last_has(texts.SIDE_SKIPPED["comment"]))
    assert comments(db_path) == [] and conversation_text(db_path) == []


async def test_yes_to_the_comment_prompt_waits_for_the_comment(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    dot = emu.person("Dot")
    await not_really(bot, dot)
    await dot.send("yes please")
    await dot.wait_for(lambda m: len(m) >= 2 and "say what's missing" in (m[-1].text or ""))
    assert comments(db_path) == []
    await dot.send("Nobody said when the desk will be open in the evenings.")
    await dot.wait_for(last_has("comment is saved as"))
    assert stored(db_path, "SELECT text FROM feedback WHERE response_id IS NOT NULL") == [
        ("Nobody said when the desk will be open in the evenings.",)
    ]


async def test_skip_typed_at_an_answer_prompt_skips_it(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    eli = emu.person("Eli")
    await at_rating(eli)
    await say(eli, "/cancel")
    await ask_question(bot.db, eli)
    question = await delivered(bot, eli, QUESTION)
    await press_on(eli, question, texts.ASKS_ANSWER)
    await eli.wait_for(last_has("saved as your answer"))
    await eli.send("skip")
    await eli.wait_for(last_has(texts.SIDE_SKIPPED["answer"]))
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(0,)]


@pytest.mark.parametrize("typed", ["no thanks", "yes please", "nope, not now"])
async def test_an_answer_is_not_taken_as_a_story(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock, typed: str
) -> None:
    fin = emu.person("Fin")
    # The hear-back question went quiet and the item was saved; the answer comes late.
    await at_rating(fin)
    await press(fin, "4")
    await expire(bot, clock)
    assert "went quiet" in ((await fin.next_message()).text or "")
    reply = await say(fin, typed)
    assert texts.KEPT_TEXT.strip() not in reply and "Which service" in reply
    assert conversation_text(db_path) == [("service", None)]
    # At "What happened?" the same words are not the story either.
    await press(fin, "Buses")
    assert texts.MORE_TEXT in await say(fin, typed)
    assert conversation_text(db_path) == [("text", None)]


async def test_invisible_characters_are_not_a_story(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    gil = emu.person("Gil")
    await say(gil, "/start s_buses")
    await press(gil, texts.CONSENT_YES)
    assert texts.MORE_TEXT in await say(gil, "\u200b \u200b \u200b \u200b \u200b")
    assert conversation_text(db_path) == [("text", None)]


async def test_a_hello_after_cancel_is_told_what_the_list_is_for(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    hal = emu.person("Hal")
    await say(hal, "/start")
    await press(hal, texts.CONSENT_YES)
    await say(hal, "/cancel")
    reply = await say(hal, "hello?")
    # Nothing to keep, and the bot says what to do rather than a bare question.
    assert reply.startswith(texts.SAY_MORE.strip()) and "Which service" in reply
    assert texts.KEPT_TEXT.strip() not in reply
    assert conversation_text(db_path) == [("service", None)]


@pytest.mark.parametrize("typed", ["ok", "yes", "no"])
async def test_an_answer_at_the_list_of_services_picks_none(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str
) -> None:
    hob = emu.person("Hob")
    await say(hob, "/start")
    await press(hob, texts.CONSENT_YES)
    assert texts.KEPT_TEXT.strip() in await say(hob, STORY)
    reply = await say(hob, typed)
    assert "Which service" in reply
    assert stored(db_path, "SELECT state, service_slug, text FROM conversations") == [
        ("service", None, STORY)
    ]


async def test_more_of_the_story_before_choosing_a_service_is_added(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ida = emu.person("Ida")
    await say(ida, "/start")
    await press(ida, texts.CONSENT_YES)
    assert texts.KEPT_TEXT.strip() in await say(ida, STORY)
    more = "And nobody at the front desk knew when it would be fixed"
    reply = await say(ida, more)
    assert reply.startswith(texts.ADDED_TEXT.strip()) and "Which service" in reply
    assert conversation_text(db_path) == [("service", f"{STORY}\n{more}")]


async def test_an_old_consent_button_does_not_bring_back_words_already_sent(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    jem = emu.person("Jem")
    await jem.send("The bins were missed again on our road this week")
    asked = await jem.next_message()
    assert "Is that OK" in (asked.text or "")
    assert texts.KEPT_TEXT.strip() in await say(jem, "ok")
    await press(jem, "Bins and recycling")
    await press(jem, "2")
    await press(jem, texts.NO)
    assert "Saved as #1" in await press(jem, texts.NO)
    # Days later, the welcome's button, still there, is pressed: a new start, without the
    # words it answered (they are #1 already).
    await press_on(jem, asked, texts.CONSENT_YES)
    await jem.wait_for(lambda _: "Which service" in (asked.text or ""))
    assert texts.KEPT_TEXT.strip() not in (asked.text or "")
    assert conversation_text(db_path) == [("service", None)]
    assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(1,)]


@pytest.mark.parametrize(("typed", "carried"), [("yes please", True), ("no thanks", False)])
async def test_a_typed_answer_to_the_draft_offer_is_the_choice(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock, typed: str, carried: bool
) -> None:
    kai = emu.person("Kai")
    await say(kai, "/start")
    await press(kai, texts.CONSENT_YES)
    await say(kai, STORY)
    await expire(bot, clock)
    assert (await kai.next_message()).text == texts.TIMED_OUT_DRAFT
    assert "carry on with it" in await say(kai, "/start")
    reply = await say(kai, typed)
    lead = texts.DRAFT_CARRIED if carried else texts.DRAFT_DROPPED
    assert reply.startswith(lead.strip()) and "Which service" in reply
    assert conversation_text(db_path) == [("service", STORY if carried else None)]
    assert stored(db_path, "SELECT COUNT(*) FROM citizen_drafts") == [(0,)]


async def test_a_restart_before_a_typed_yes_does_not_carry_an_answer(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    lea = emu.person("Lea")
    async with make_bot():
        assert "Is that OK" in await say(lea, "/start")
    async with make_bot():
        # The bot forgot it showed the consent text: it shows it again, and "yes please"
        # is not words to carry on with.
        reply = await say(lea, "yes please")
        assert "Is that OK" in reply and texts.CONSENT_CARRY.strip() not in reply
        assert reply.startswith(texts.CONSENT_LOST.strip())
        assert "Which service" in await press(lea, texts.CONSENT_YES)
        assert texts.KEPT_TEXT.strip() not in (lea.last.text or "")
    assert conversation_text(db_path) == [("service", None)]


async def test_the_story_then_the_buttons_after_a_restart(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    max_ = emu.person("Max")
    async with make_bot():
        await at_rating(max_)
    async with make_bot():
        assert "hear back" in await say(max_, "three")
        await press(max_, texts.YES)
        assert "Saved as #1" in await press(max_, texts.NO)
    assert stored(db_path, "SELECT text, rating, hear_back FROM feedback") == [(STORY, 3, 1)]


async def test_a_replayed_typed_answer_changes_nothing(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ned = emu.person("Ned")
    await at_rating(ned)
    await ned.send("And the lights in the reading room kept going off")
    await ned.wait_for(last_has("How would you rate"))
    (update_id,) = [
        u for u, update in emu.updates.history.items() if "lights" in str(update.get("message"))
    ]
    emu.redeliver(update_id)
    await emu.idle()
    assert conversation_text(db_path) == [
        ("rating", f"{STORY}\nAnd the lights in the reading room kept going off")
    ]
    with_text(ned.messages, "added that")


async def test_a_typed_yes_after_a_restart_says_how_to_carry_on_with_the_words(
    make_bot: BotFactory, emu: Emulator, db_path: Path
) -> None:
    ona = emu.person("Ona")
    words = "The 7 bus was twenty minutes late again this morning"
    async with make_bot():
        await ona.send(words)
        asked = await ona.next_message()
        assert texts.CONSENT_CARRY.strip() in (asked.text or "")
    async with make_bot():
        # The words were held in memory only: the bot says it lost track, and how to go on.
        reply = await say(ona, "yes")
        assert reply.startswith(texts.CONSENT_LOST.strip()) and "Is that OK" in reply
        assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(0,)]
        await press_on(ona, asked, texts.CONSENT_YES)
        await ona.wait_for(lambda _: "Which service" in (asked.text or ""))
        assert texts.KEPT_TEXT.strip() in (asked.text or "")
    assert conversation_text(db_path) == [("service", words)]


@pytest.mark.parametrize(
    ("typed", "service"), [("the library", "Central Library"), ("our bins", "Bins and recycling")]
)
async def test_a_service_typed_with_the_or_my_is_found(
    bot: YousaidBot, emu: Emulator, db_path: Path, typed: str, service: str
) -> None:
    pat = emu.person("Pat")
    await say(pat, "/start")
    await press(pat, texts.CONSENT_YES)
    reply = await say(pat, typed)
    assert reply.startswith(service) and "What happened" in reply


async def test_a_very_long_text_at_a_yes_no_question_asks_for_the_buttons(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    quin = emu.person("Quin")
    await at_rating(quin)
    await press(quin, "2")
    # Not "send it in shorter parts": those would not be added either.
    reply = await say(quin, "and another thing " * 300)
    assert reply.startswith(texts.USE_BUTTONS.strip()) and "hear back" in reply
    assert quin.last.buttons == [[texts.YES, texts.NO]]
    assert conversation_text(db_path) == [("hear_back", STORY)]


async def test_skip_typed_at_the_yes_no_questions_is_a_no(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    ray = emu.person("Ray")
    await at_rating(ray)
    await press(ray, "3")
    assert "involved" in await say(ray, "skip")
    assert "Saved as #1" in await say(ray, "Skip.")
    assert stored(db_path, "SELECT text, rating, hear_back FROM feedback") == [(STORY, 3, 0)]
    assert stored(db_path, "SELECT involve FROM citizens WHERE id != 0") == [("no",)]


async def test_a_typed_yes_to_the_draft_offer_keeps_the_link_and_only_answers_the_offer(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    sal = emu.person("Sal")
    await say(sal, "/start")
    await press(sal, texts.CONSENT_YES)
    await say(sal, STORY)
    await expire(bot, clock)
    assert (await sal.next_message()).text == texts.TIMED_OUT_DRAFT
    # The offer came with a poster's link: "yes" carries on at that service.
    assert "carry on with it" in await say(sal, "/start s_library")
    reply = await say(sal, "yes")
    assert reply.startswith(texts.DRAFT_CARRIED.strip()) and "How would you rate it" in reply
    assert stored(db_path, "SELECT state, service_slug, text FROM conversations") == [
        ("rating", "library", STORY)
    ]


async def test_ok_after_saving_does_not_take_up_a_draft_never_offered(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    tom = emu.person("Tom")
    await say(tom, "/start")
    await press(tom, texts.CONSENT_YES)
    await say(tom, STORY)
    await expire(bot, clock)
    assert (await tom.next_message()).text == texts.TIMED_OUT_DRAFT
    # Tom writes something new instead of /start, and sends it.
    other = "The bus shelter on Mill Street has a broken window"
    assert "Which service" in await say(tom, other)
    await press(tom, "Buses")
    await press(tom, texts.SKIP)
    await press(tom, texts.NO)
    assert "Saved as #1" in await press(tom, texts.NO)
    reply = await say(tom, "ok thanks")
    assert texts.DRAFT_CARRIED.strip() not in reply and texts.KEPT_TEXT.strip() not in reply
    assert stored(db_path, "SELECT text FROM citizen_drafts") == [(STORY,)]


async def test_a_link_while_the_list_of_services_waits_picks_the_service(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    uli = emu.person("Uli")
    await say(uli, "/start")
    await press(uli, texts.CONSENT_YES)
    assert "Which service" in await say(uli, STORY)
    # Uli scans the poster at the library rather than scrolling the list.
    reply = await say(uli, "/start s_library")
    assert reply.startswith("Central Library") and "How would you rate it" in reply
    assert stored(db_path, "SELECT state, service_slug, text FROM conversations") == [
        ("rating", "library", STORY)
    ]
