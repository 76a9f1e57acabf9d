"""Moderation under faults and floods: one item never blocks the others, a card is posted
once, an author told once, edits only from the prompt, real placeholders only, throttling
and lists of several items."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.config import Deployment
from bot.intake import CONSENT_VERSION
from bot.moderation import CARD_ATTEMPTS
from emulator import Emulator, MessageView, Person
from handlers import texts
from handlers.fitting import utf16_len
from storage import citizens, feedback
from storage.db import Database
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import press, say, stored
from tests.e2e.test_moderation import Team, card_of, give, invite, press_card


async def _team(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, **settings: object
) -> AsyncIterator[Team]:
    admin, sam, mo, pat, citizen = (emu.person(n) for n in ("Ada", "Sam", "Mo", "Pat", "Cy"))
    group = emu.group("Riverside moderators", members=[admin, sam, mo])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed, **settings) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "now a moderator" in await invite(admin, mo, "moderator")
        yield Team(bot, group, admin, sam, mo, pat, citizen)


@pytest.fixture
async def team(make_bot: BotFactory, emu: Emulator, deployment: Deployment) -> AsyncIterator[Team]:
    async for made in _team(make_bot, emu, deployment):
        yield made


async def until(check: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for a condition (the timeout only bounds a failure)."""
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 (a database row or a counter: nothing to await)
            await asyncio.sleep(0.05)


async def sweep(team: Team) -> None:
    """Run the moderation sweep now, as its timer would."""
    job_queue = team.bot.application.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("moderation-sweep")
    await job.run(team.bot.application)
    # A sweep already under way (after a new item, or its timer) goes round once more.
    await until(lambda: not team.bot.handlers.moderator._sweeping.locked())


def cards_of(team: Team, item: int) -> list[MessageView]:
    return [m for m in team.group.messages if (m.text or "").startswith(f"#{item} ")]


async def test_a_long_item_gets_a_shortened_card_and_later_items_still_get_theirs(
    team: Team, db_path: Path
) -> None:
    # Escaped characters and emoji make the card's raw HTML and its UTF-16 length longer
    # than its characters: the count must be Telegram's.
    sentence = "The bus & the <stop> 🚌 were late again, and nobody said why. "
    long_text = sentence * 80
    while utf16_len(long_text) > 4080:
        long_text = long_text[:-1]
    long_text = long_text.strip()
    assert 4000 < utf16_len(long_text) <= 4096
    long_item = await give(team.citizen, "Buses", long_text)
    later = [
        await give(team.citizen, "Central Library", "The library lift has been broken for weeks."),
        await give(team.citizen, "Parks and green spaces", "The park gates were locked at noon."),
    ]
    card = await card_of(team.group, long_item)
    for item in later:
        await card_of(team.group, item)
    text = card.text or ""
    assert utf16_len(text) <= 4096
    found = re.search(r"\(shortened: (\d+) characters more\)", text)
    assert found and int(found.group(1)) > 0
    assert texts.WHOLE_TEXT in buttons_of(card)
    # The whole text, privately to the moderator who pressed, in as many messages as needed.
    answer = await press_card(team.sam, team.group, card, texts.WHOLE_TEXT)
    assert answer.get("text") == texts.WHOLE_TEXT_SENT
    parts = await team.sam.wait_for(
        lambda msgs: any("(part 2 of 2)" in (m.text or "") for m in msgs)
    )
    whole = [m.text or "" for m in parts if f"whole text of #{long_item}" in (m.text or "")]
    assert len(whole) == 2 and all(utf16_len(t) <= 4096 for t in whole)
    joined = " ".join(t.split(":\n\n", 1)[1] for t in whole)
    assert joined.split() == long_text.split()
    assert not any("part 1 of" in (m.text or "") for m in team.group.messages)
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM audit WHERE action = 'item.text_viewed'"
        f" AND subject = 'item:{long_item}'",
    ) == [(1,)]
    # The original of a long item is sent whole too, without going over the limit.
    await press_card(team.sam, team.group, card, texts.ORIGINAL)
    await team.sam.wait_for(
        lambda msgs: sum(f"Original text of #{long_item}" in (m.text or "") for m in msgs) == 2
    )
    # A citizen cannot use the button.
    result = await team.citizen.press_data(
        team.citizen.messages[-1].message_id, buttons_of(card)[texts.WHOLE_TEXT]
    )
    assert (await result.answered()).get("text") == texts.NOT_ALLOWED_BUTTON


async def test_a_card_telegram_refuses_waits_alone_and_is_tried_again_later(
    team: Team, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    refused = emu.faults.error("sendMessage", chat_id=team.group.id, text_contains="lift is broken")
    first = await give(team.citizen, "Buses", "The 42 bus never came this morning at all.")
    stuck = await give(team.citizen, "Central Library", "The library lift is broken again today.")
    last = await give(team.citizen, "Parks and green spaces", "The park gates were locked at noon.")
    await card_of(team.group, first)
    await card_of(team.group, last)
    await until(lambda: refused.hits >= 1)
    await until(
        lambda: stored(db_path, f"SELECT card_attempts FROM feedback WHERE id = {stuck}") == [(1,)]
    )
    error = stored(db_path, f"SELECT card_error FROM feedback WHERE id = {stuck}")[0][0]
    assert "chat not found" in str(error).lower()
    # Not tried again before its time...
    await sweep(team)
    assert refused.hits == 1 and not cards_of(team, stuck)
    # ...then again, waiting longer each time, until it is left for a moderator.
    for attempt in range(2, CARD_ATTEMPTS + 1):
        clock.advance(hours=1)
        await sweep(team)
        assert refused.hits == attempt
    clock.advance(hours=2)
    await sweep(team)
    assert refused.hits == CARD_ATTEMPTS and not cards_of(team, stuck)
    queue = await say(team.sam, "/queue")
    assert "Cards that need a look" in queue and f"#{stuck}" in queue
    # Why, in words a moderator can act on (Telegram's "chat not found").
    assert texts.MODERATORS_CHAT_LOST["missing"] in queue
    listing = team.sam.messages[-1]
    emu.faults.remove(refused)
    answer = await press_card(team.sam, team.group, listing, texts.QUEUE_POST.format(item=stuck))
    assert answer.get("text") == texts.CARD_POSTED.format(item=stuck)
    card = await card_of(team.group, stuck)
    await press_card(team.mo, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))
    assert "Cards that need a look" not in await say(team.sam, "/queue")


async def test_a_card_answered_too_late_is_posted_once(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    async for team in _team(make_bot, emu, deployment, YOUSAID_TELEGRAM_TIMEOUT=2):
        await _posted_once(team, emu, clock, db_path)


async def _posted_once(team: Team, emu: Emulator, clock: FakeClock, db_path: Path) -> None:
    # Telegram takes the card but its answer comes after the bot stopped waiting (2 s here).
    late = emu.faults.late("sendMessage", chat_id=team.group.id, delay=4, times=1)
    item = await give(team.citizen, "Buses", "The 42 bus never came this morning at all.")
    card = await card_of(team.group, item)
    await until(lambda: late.hits == 1)
    await until(
        lambda: (
            stored(db_path, f"SELECT card_error FROM feedback WHERE id = {item}")[0][0] is not None
        )
    )
    for _ in range(3):
        clock.advance(hours=1)
        await sweep(team)
    assert len(cards_of(team, item)) == 1
    queue = await say(team.sam, "/queue")
    assert "may not have arrived" in queue and f"#{item}" in queue
    # A press on the card that did arrive settles it.
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT card_message_id FROM feedback WHERE id = {item}") == [
        (card.message_id,)
    ]
    assert "may not have arrived" not in await say(team.sam, "/queue")
    assert len(cards_of(team, item)) == 1


async def test_the_author_is_told_once_when_a_sweep_and_a_press_race(
    team: Team, emu: Emulator
) -> None:
    item = await give(team.citizen, "Buses", "The 42 bus never came this morning at all.")
    card = await card_of(team.group, item)
    # Telling the author after the press is slow (but in time); a sweep runs meanwhile.
    slow = emu.faults.late("sendMessage", chat_id=team.citizen.id, delay=0.5, times=1)
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await until(lambda: slow.hits == 1)
    await sweep(team)
    await team.citizen.wait_for(
        lambda msgs: any(
            f"#{item}" in (m.text or "") and "passed on" in (m.text or "") for m in msgs
        )
    )
    await sweep(team)
    await team.bot.application.update_queue.join()
    told = [m for m in team.citizen.messages if "passed on" in (m.text or "")]
    assert len(told) == 1, [m.text for m in told]


async def test_only_a_reply_to_the_edit_prompt_is_taken_as_the_edit(
    team: Team, db_path: Path
) -> None:
    first = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    other = await give(team.citizen, "Central Library", "The library lift is broken again today.")
    card = await card_of(team.group, first)
    other_card = await card_of(team.group, other)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    # A reply to another card, and a message replying to nothing, are chat, not the edit.
    await team.sam.send("Shall we approve this one?", chat=team.group, reply_to=other_card)
    await team.sam.send("Back in five minutes.", chat=team.group)
    await team.bot.application.update_queue.join()
    await asyncio.sleep(0.3)
    assert stored(db_path, "SELECT edited_text FROM feedback WHERE edited_text IS NOT NULL") == []
    assert not any("updated" in (m.text or "") for m in team.group.messages)
    await team.sam.send("The 42 bus was late again.", chat=team.group, reply_to=prompt)
    await team.group.wait_for(lambda _: "late again." in (card.text or ""))
    assert stored(
        db_path, "SELECT id, edited_text FROM feedback WHERE edited_text IS NOT NULL"
    ) == [(first, "The 42 bus was late again.")]


async def test_only_the_bots_own_placeholders_are_bold(team: Team) -> None:
    item = await give(
        team.citizen,
        "Riverside GP Surgery",
        "Dr Patel said that [name] and [phone] were not needed on the form at reception.",
    )
    card = await card_of(team.group, item)
    text = card.text or ""
    assert "Patel" not in text and text.count("[name]") == 2 and "[phone]" in text
    bold = [
        text.encode("utf-16-le")[e["offset"] * 2 : (e["offset"] + e["length"]) * 2].decode(
            "utf-16-le"
        )
        for e in card.entities
        if e["type"] == "bold"
    ]
    assert bold.count("[name]") == 1 and "[phone]" not in bold, bold
    first = text.index("[name]")
    assert text[first - 3 : first] == "Dr "


async def test_a_direction_override_in_the_text_stays_inside_its_line(team: Team) -> None:
    item = await give(
        team.citizen,
        "Riverside GP Surgery",
        "The \u202eform at reception was confusing and nobody could help with it.",
    )
    text = (await card_of(team.group, item)).text or ""
    # The unclosed override is dropped; the text sits inside an isolate of its own.
    assert "\u202e" not in text
    assert "\u2068The form at reception was confusing" in text
    line = next(line for line in text.splitlines() if "confusing" in line)
    assert line.startswith("\u2068") and line.endswith("\u2069")


async def _hear_back_after(citizen: Person, service: str, text: str) -> str:
    """A conversation up to the hear-back question, answered yes; what it then shows."""
    await citizen.send("/start")
    # The saved message of an earlier item has a button too (its themes).
    await citizen.wait_for(lambda msgs: service in str(msgs[-1].buttons))
    await press(citizen, service)
    await citizen.send(text)
    await citizen.wait_for(lambda msgs: ["1", "2", "3", "4", "5"] in msgs[-1].buttons)
    await press(citizen, "3")
    return await press(citizen, texts.YES)


async def test_a_citizen_past_the_limit_keeps_their_words_and_sends_them_later(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    async for team in _team(
        make_bot, emu, deployment, YOUSAID_ITEMS_PER_HOUR=2, YOUSAID_ITEMS_PER_DAY=3
    ):
        cy = team.citizen
        await give(cy, "Buses", "The 42 bus never came this morning at all.")
        clock.advance(minutes=10)
        await give(cy, "Buses", "The 42 bus was late again this evening.")
        clock.advance(minutes=10)
        held = await _hear_back_after(cy, "Central Library", "The library lift is broken again.")
        assert "You've sent 2 items in the last hour" in held
        assert "I've kept what you just wrote" in held and "in 40 min" in held
        assert cy.messages[-1].buttons == [[texts.YES, texts.NO]]
        assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(2,)]
        assert stored(db_path, "SELECT text FROM conversations") == [
            ("The library lift is broken again.",)
        ]
        # Pressing again too soon says so again; the words are still there.
        clock.advance(minutes=5)
        again = await press(cy, texts.YES)
        assert "You've sent 2 items" in again and "in 35 min" in again
        # /start picks the draft up; once the hour has passed it goes.
        clock.advance(minutes=36)
        await cy.send("/start")
        await cy.wait_for(lambda msgs: "carry on" in (msgs[-1].text or ""))
        await press(cy, texts.YES)
        saved = [m.text or "" for m in cy.messages if "Saved as #3" in (m.text or "")]
        found = re.search(r"#(\d+)", saved[0] if saved else "")
        assert found, saved
        assert stored(db_path, f"SELECT text FROM feedback WHERE id = {found.group(1)}") == [
            ("The library lift is broken again.",)
        ]
        await card_of(team.group, int(found.group(1)))
        # The day's limit, then: the draft waits for the day to turn.
        clock.advance(hours=2)
        held = await _hear_back_after(cy, "Buses", "The bus shelter has no roof any more.")
        assert "in the last 24 hours" in held and "hours" in held
        # A conversation that goes quiet is not closed while its draft waits: no words lost.
        clock.advance(hours=1)
        await team.bot.handlers.citizen.expire_idle(team.bot.application)  # type: ignore[arg-type]
        assert stored(db_path, "SELECT COUNT(*) FROM conversations") == [(1,)]
        clock.advance(hours=22)
        told = await team.bot.intake.expire_idle(team.bot.handlers.citizen.conversation_timeout)
        assert told and told[0][1].reference is not None
        assert stored(db_path, "SELECT COUNT(*) FROM feedback") == [(4,)]


async def _pending(
    db: Database,
    telegram_id: int,
    count: int,
    at: datetime,
    words: str = "Complaint number {n} about the buses & the <stops>. ",
) -> list[int]:
    """Items tagged but not carded yet, straight into storage (one transaction)."""

    async def run(conn: aiosqlite.Connection) -> list[int]:
        citizen = await citizens.get_or_create(conn, telegram_id, at)
        await citizens.record_consent(conn, citizen.id, CONSENT_VERSION, "given", at)
        made = []
        for n in range(count):
            text = words.format(n=n) * 12
            item = await feedback.create(
                conn,
                citizen_id=citizen.id,
                service_slug="buses",
                text=text,
                rating=2,
                hear_back=True,
                now=at,
            )
            await feedback.save_tagging(
                conn,
                item,
                kind="complaint",
                redacted_text=text,
                redactions="[]",
                themes=[("access_waiting", 0.9, "model", "[]")],
                now=at,
            )
            made.append(item)
        return made

    return await db.write(run)


async def test_queue_says_how_many_more_wait_than_it_lists(team: Team, clock: FakeClock) -> None:
    await _pending(team.bot.db, team.citizen.id, 7, clock())
    await team.sam.send("/queue", chat=team.group)
    found = await team.group.wait_for(lambda msgs: any("7 waiting" in (m.text or "") for m in msgs))
    queue = next(m.text or "" for m in found if "7 waiting" in (m.text or ""))
    listed = re.findall(r"^• #\d+", queue, re.M)
    assert texts.QUEUE_MORE.format(7 - len(listed)) in queue


async def test_many_waiting_items_go_out_as_lists_with_buttons_per_item(
    team: Team, clock: FakeClock, db_path: Path
) -> None:
    items = await _pending(team.bot.db, team.citizen.id, 12, clock())
    await sweep(team)
    await team.group.wait_for(lambda msgs: sum("new items" in (m.text or "") for m in msgs) == 2)
    lists = [m for m in team.group.messages if "new items" in (m.text or "")]
    assert not any(cards_of(team, item) for item in items)
    listed = [int(n) for m in lists for n in re.findall(r"^#(\d+) ", m.text or "", re.M)]
    assert sorted(listed) == items
    assert all(utf16_len(m.text or "") <= 4096 for m in lists)
    first = lists[0]
    approve, view = items[0], items[1]
    await press_card(team.sam, team.group, first, texts.BATCH_APPROVE.format(item=approve))
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (first.text or ""))
    assert texts.BATCH_APPROVE.format(item=approve) not in buttons_of(first)
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {approve}") == [("approved",)]
    await team.citizen.wait_for(lambda msgs: any(f"#{approve}" in (m.text or "") for m in msgs))
    answer = await press_card(team.sam, team.group, first, texts.BATCH_VIEW.format(item=view))
    assert answer.get("text") == texts.CARD_POSTED.format(item=view)
    card = await card_of(team.group, view)
    assert card.buttons[0] == [texts.APPROVE, texts.EDIT]
    await team.group.wait_for(lambda _: f"#{view} " not in (first.text or ""))
    # The full card works as any card does.
    await press_card(team.mo, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))
    assert stored(db_path, f"SELECT card_message_id FROM feedback WHERE id = {view}") == [
        (card.message_id,)
    ]
