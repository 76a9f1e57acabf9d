"""Side prompts end to end: after "Not really" or ✍️ Answer the bot waits for words, and that
wait ends as soon as the citizen starts something else; rating a response shows the answer;
/mine says what was published when a moderator changed it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.app import YousaidBot
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage import asks, citizens, feedback, outbox, responses
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on, with_text
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_typed_answers import expire

WEDNESDAY = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
ANSWER_WORDS = "We have opened a second desk on Saturdays, so the queue is shorter."
QUESTION = "What would make the library easier to use in the evenings?"
PROMPT = "say what's missing"
CLOSED_COMMENT = texts.SIDE_CLOSED.format(what=texts.SIDE_WHAT["comment"]).strip()


async def respond_to(db: Database, item: int, words: str = ANSWER_WORDS) -> int:
    """A provider's response to one item, published and queued for its author (straight into
    storage: how a provider writes it is another story)."""

    async def run(conn: aiosqlite.Connection) -> int:
        response_id = await responses.create(
            conn,
            provider_id="culture-leisure",
            service_slug="library",
            theme_id=None,
            item_id=item,
            period=None,
            status="changed",
            text=words,
            author=1,
            follow_up_at=None,
            items=[item],
            now=WEDNESDAY,
        )
        await outbox.enqueue(
            conn, "response", response_id, await responses.audience(conn, response_id), WEDNESDAY
        )
        return response_id

    return await db.write(run)


async def ask_question(db: Database, person: Person, words: str = QUESTION) -> int:
    """An approved question from the library's provider, queued for this person."""

    async def run(conn: aiosqlite.Connection) -> int:
        ask_id = await asks.create(
            conn,
            kind="question",
            provider_id="culture-leisure",
            service_slug="library",
            text=words,
            author=1,
            author_chat=1,
            now=WEDNESDAY,
        )
        await asks.decide(conn, ask_id, "approved", 1, WEDNESDAY)
        citizen = await citizens.by_telegram_id(conn, person.id)
        assert citizen is not None
        await outbox.enqueue(conn, "question", ask_id, [(citizen.id, None)], WEDNESDAY)
        return ask_id

    return await db.write(run)


async def delivered(bot: YousaidBot, person: Person, words: str) -> MessageView:
    """Send what is queued for citizens; the message with these words, once it arrives."""
    await run_job(bot, "send-to-citizens")
    return with_text(await person.wait_for(has(words)), words)


async def not_really(bot: YousaidBot, person: Person) -> MessageView:
    """An item of this person gets a response and they say it does not answer their point;
    the prompt for what's missing."""
    item = await add_item(bot.db, person.id, "library", "The queue at the desk is long.", WEDNESDAY)
    await respond_to(bot.db, item)
    notice = await delivered(bot, person, ANSWER_WORDS)
    await press_on(person, notice, texts.ANSWERED_NO)
    return with_text(await person.wait_for(last_has(PROMPT)), PROMPT)


def newest_after(since: int, words: str) -> Callable[[list[MessageView]], bool]:
    """A wait_for predicate: a message after the `since` first ones contains these words."""
    return lambda messages: any(words in (m.text or "") for m in messages[since:])


def comments(db_path: Path) -> list[tuple[object, ...]]:
    return stored(db_path, "SELECT id FROM feedback WHERE response_id IS NOT NULL")


async def test_start_after_not_really_asks_and_a_new_complaint_is_not_a_comment(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    alice = emu.person("Alice")
    prompt = await not_really(bot, alice)
    # The prompt says what the next text is for, and how not to.
    assert "next message here will be passed on as your comment" in (prompt.text or "")
    assert prompt.buttons == [[texts.SKIP]]

    await alice.send("/start")
    asked = (await alice.wait_for(last_has("You were telling us")))[-1]
    assert "what was missing from the response about Central Library" in (asked.text or "")
    assert asked.buttons == [[texts.SIDE_CARRY_ON, texts.SIDE_START_NEW]]
    await press_on(alice, asked, texts.SIDE_START_NEW)
    shown = (await alice.wait_for(lambda m: "Which service" in (m[-1].text or "")))[-1]
    assert CLOSED_COMMENT in (shown.text or "")
    await press_on(alice, shown, "Central Library")
    await alice.wait_for(last_has("What happened"))
    await alice.send("The lift to the first floor has been broken for a month.")
    await alice.wait_for(last_has("How would you rate"))
    # A new complaint under way, not a comment on the response.
    assert comments(db_path) == []
    assert stored(db_path, "SELECT state, text FROM conversations") == [
        ("rating", "The lift to the first floor has been broken for a month.")
    ]


async def test_carry_on_after_start_keeps_the_comment(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    bob = emu.person("Bob")
    await not_really(bot, bob)
    await bob.send("/start")
    asked = (await bob.wait_for(last_has("You were telling us")))[-1]
    await press_on(bob, asked, texts.SIDE_CARRY_ON)
    await bob.wait_for(lambda m: PROMPT in (m[-1].text or "") and m[-1].buttons == [[texts.SKIP]])
    await bob.send("The second desk is closed whenever I go, at lunchtime.")
    await bob.wait_for(last_has("comment is saved as"))
    assert len(comments(db_path)) == 1


async def test_skip_ends_the_prompt_and_the_next_text_is_not_a_comment(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    cy = emu.person("Cy")
    prompt = await not_really(bot, cy)
    await press_on(cy, prompt, texts.SKIP)
    await cy.wait_for(lambda m: texts.SIDE_SKIPPED["comment"] in (m[-1].text or ""))
    assert cy.messages[-1].buttons == []
    await cy.send("The toilets on the ground floor were dirty again today.")
    # Words without /start: kept, and the bot asks which service.
    await cy.wait_for(last_has("Which service"))
    assert comments(db_path) == []


async def test_a_command_ends_the_prompt_and_says_so(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    dan = emu.person("Dan")
    await not_really(bot, dan)
    since = len(dan.messages)
    await dan.send("/mine")
    found = await dan.wait_for(newest_after(since, "told us"))
    assert CLOSED_COMMENT in (found[since].text or "")
    await dan.send("The opening hours on the door are wrong.")
    await dan.wait_for(last_has("Which service"))
    assert comments(db_path) == []


async def test_answer_button_ends_the_comment_prompt_and_the_text_is_the_answer(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    eve = emu.person("Eve")
    await not_really(bot, eve)
    ask_id = await ask_question(bot.db, eve)
    question = await delivered(bot, eve, QUESTION)
    answer = await press_on(eve, question, texts.ASKS_ANSWER)
    assert not answer.get("show_alert"), answer  # not "finish what you're telling me first"
    prompt = with_text(await eve.wait_for(last_has("saved as your answer")), "your answer")
    assert CLOSED_COMMENT in (prompt.text or "") and prompt.buttons == [[texts.SKIP]]
    await eve.send("Later opening on Thursdays would help people who work.")
    await eve.wait_for(last_has("Your answer is saved"))
    assert stored(db_path, "SELECT ask_id, response_id FROM feedback WHERE ask_id IS NOT NULL") == [
        (ask_id, None)
    ]


async def test_a_service_button_or_a_poster_link_starts_new_feedback(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    fay, gus = emu.person("Fay"), emu.person("Gus")
    # Fay saw the list of services earlier, then stopped.
    await add_item(bot.db, fay.id, "library", "Noisy reading room.", WEDNESDAY)
    await fay.send("/start")
    services = (await fay.wait_for(last_has("Which service")))[-1]
    await fay.send("/cancel")
    await fay.wait_for(last_has("Stopped"))
    await not_really(bot, fay)
    await press_on(fay, services, "Central Library")
    shown = await fay.wait_for(lambda m: "What happened" in (services.text or ""))
    assert CLOSED_COMMENT in (with_text(shown, "What happened").text or "")
    # Gus scans a poster's QR code at the library.
    await not_really(bot, gus)
    await gus.send("/start s_library")
    started = (await gus.wait_for(last_has("What happened")))[-1]
    assert CLOSED_COMMENT in (started.text or "")
    assert comments(db_path) == []


async def test_rating_a_response_replaces_the_buttons_with_the_answer(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    hal, ivy = emu.person("Hal"), emu.person("Ivy")
    item = await add_item(bot.db, hal.id, "library", "The queue is long.", WEDNESDAY)
    await respond_to(bot.db, item)
    notice = await delivered(bot, hal, ANSWER_WORDS)
    assert buttons_of(notice)
    await press_on(hal, notice, texts.ANSWERED_YES)
    said = texts.RATED_SAID.format(answer=texts.ANSWERED_YES).strip()
    await hal.wait_for(lambda _: said in (notice.text or ""))
    assert ANSWER_WORDS in (notice.text or "") and notice.buttons == []
    # "Not really": the notice says so too, and the prompt follows.
    prompt = await not_really(bot, ivy)
    notice = with_text(ivy.messages, ANSWER_WORDS)
    assert texts.RATED_SAID.format(answer=texts.ANSWERED_NO).strip() in (notice.text or "")
    assert notice.buttons == [] and prompt.buttons == [[texts.SKIP]]
    assert stored(db_path, "SELECT reply FROM outbox ORDER BY reply") == [("no",), ("yes",)]


async def test_mine_shows_what_was_published_when_a_moderator_changed_it(
    bot: YousaidBot, emu: Emulator
) -> None:
    jo = emu.person("Jo")
    written = "Ring me on 07700 900123 about the broken lift, it's been weeks."
    published = "Ring me on [phone number] about the broken lift, it's been weeks."
    unchanged = await add_item(bot.db, jo.id, "library", "The chairs are comfy.", WEDNESDAY)

    async def run(conn: aiosqlite.Connection) -> int:
        citizen = await citizens.by_telegram_id(conn, jo.id)
        assert citizen is not None
        item = await feedback.create(
            conn,
            citizen_id=citizen.id,
            service_slug="library",
            text=written,
            rating=None,
            hear_back=False,
            now=WEDNESDAY,
        )
        await feedback.save_tagging(
            conn,
            item,
            kind="complaint",
            redacted_text=published,
            redactions="[]",
            themes=[],
            now=WEDNESDAY,
        )
        await feedback.decide(
            conn,
            item,
            status="approved",
            published_text=published,
            reject_reason=None,
            moderator=1,
            now=WEDNESDAY,
        )
        return item

    changed = await bot.db.write(run)
    await jo.send("/mine")
    mine = (await jo.wait_for(last_has("told us")))[-1].text or ""
    blocks = {int(b.split()[0].lstrip("#")): b for b in mine.split("\n\n")[1:]}
    assert "Published as: «\u2068" + published + "\u2069»" in blocks[changed]
    assert "07700" in blocks[changed]  # what they wrote, as well
    assert "Published as" not in blocks[unchanged]


async def test_rating_another_response_ends_the_comment_prompt(
    bot: YousaidBot, emu: Emulator, db_path: Path
) -> None:
    kim = emu.person("Kim")
    second = await add_item(bot.db, kim.id, "library", "The heating is off upstairs.", WEDNESDAY)
    await not_really(bot, kim)
    await respond_to(bot.db, second, "The heating was repaired on Monday, thank you.")
    notice = await delivered(bot, kim, "heating was repaired")
    since = len(kim.messages)
    await press_on(kim, notice, texts.ANSWERED_YES)
    await kim.wait_for(newest_after(since, CLOSED_COMMENT))
    await kim.send("The heating upstairs is fine now, thanks.")
    await kim.wait_for(last_has("Which service"))
    assert comments(db_path) == []


async def test_a_prompt_that_lapses_says_so(
    bot: YousaidBot, emu: Emulator, db_path: Path, clock: FakeClock
) -> None:
    dee = emu.person("Dee")
    await not_really(bot, dee)
    seen = len(dee.messages)
    await expire(bot, clock)
    lapsed = texts.SIDE_LAPSED.format(what=texts.SIDE_WHAT["comment"])
    await dee.wait_for(newest_after(seen, lapsed.split(":")[0]))
    # And it is true: the next words are not a comment.
    await dee.send("The toilets on the ground floor were dirty again today.")
    await dee.wait_for(last_has("Which service"))
    assert comments(db_path) == []
