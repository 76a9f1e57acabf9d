"""The time-out notice kept for a citizen who could not be reached (blocked, chat not found),
told once when they come back: a passing fault on telling it (a 5xx, a lasting 429) does not
lose it, and an item rejected meanwhile is not told as one to be answered. Through the
emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.app import YousaidBot
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage.db import stamp
from tests.conftest import FakeClock
from tests.e2e.helpers import last_has
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_client_shapes import until
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_typed_answers import expire

# The time-out notice of words saved (texts.TIMED_OUT_SAVED), as Kim reads it.
SAVED_AS = "saved what you wrote as #1 (Council tax office)"
NOTICE = "saved what you wrote"


async def blocked_mid_conversation(
    person: Person, bot: YousaidBot, clock: FakeClock, service: str = "Council tax office"
) -> None:
    """Words written, then the bot blocked before the next answer; the time-out job runs."""
    await consent(person)
    await press(person, service)
    await say(person, "Nobody answered the phone for an hour this morning")
    person.block()
    await expire(bot, clock)


def told(person: Person, words: str = SAVED_AS) -> list[MessageView]:
    return [m for m in person.messages if words in (m.text or "")]


async def test_a_missed_notice_whose_telling_meets_a_server_error_is_not_lost(
    bot: YousaidBot, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """The kept notice is taken from the store before it is sent; a 502 on that one send
    (a passing fault, not a refusal) does not lose it: it is kept, and the time-out job's
    next round tells it, once."""
    kim = emu.person("Kim")
    await blocked_mid_conversation(kim, bot, clock)
    assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(1,)]
    fault = emu.faults.server_error("sendMessage", status=502, times=1)
    fault.text_contains = NOTICE
    await kim.send("/mine")
    await kim.wait_for(last_has(texts.MINE_HEADER), timeout=10)
    assert fault.hits == 1 and not told(kim)
    assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(1,)]
    # The job's next round: the notice reaches her, once (a round after it tells nothing).
    await run_job(bot, "expire-idle-conversations")
    await kim.wait_for(lambda m: bool(told(kim)), timeout=10)
    await run_job(bot, "expire-idle-conversations")
    await kim.send("/help")
    await kim.wait_for(last_has("/mydata"))
    assert len(told(kim)) == 1
    assert stored(db_path, "SELECT COUNT(*) FROM missed_notices") == [(0,)]


async def test_a_missed_notice_whose_telling_meets_a_lasting_flood_is_not_lost(
    bot: YousaidBot, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """A 429 on the kept notice that outlasts the limiter's retries (Telegram's flood
    control) does not lose it either: it is told at the job's next round, once."""
    kim = emu.person("Kim")
    await blocked_mid_conversation(kim, bot, clock)
    fault = emu.faults.flood("sendMessage", retry_after=1, times=4)
    fault.text_contains = NOTICE
    await kim.send("/mine")
    await kim.wait_for(last_has(texts.MINE_HEADER), timeout=20)
    assert fault.spent and not told(kim)
    await run_job(bot, "expire-idle-conversations")
    await kim.wait_for(lambda m: bool(told(kim)), timeout=10)
    await kim.send("/help")
    await kim.wait_for(last_has("/mydata"))
    assert len(told(kim)) == 1


async def test_a_missed_notice_of_an_item_rejected_meanwhile_does_not_promise_an_answer(
    team: Team,
    emu: Emulator,
    clock: FakeClock,
) -> None:
    """Cy's words were saved as #1 by the time-out while she had blocked the bot; a
    moderator then rejected #1 (the author's AUTHOR_REJECTED could not reach her either and
    is not kept). When she comes back she is told #1 was saved, once, but not that the
    service will answer it."""
    cy = team.citizen
    await blocked_mid_conversation(cy, team.bot, clock, service="Parks and green spaces")
    card = await card_of(team.group, 1)
    await press_card(team.mo, team.group, card, texts.REJECT)
    await team.group.wait_for(lambda _: card.buttons[0] == [texts.REASONS["abusive"]])
    await press_card(team.mo, team.group, card, texts.REASONS["off_topic"])
    await team.group.wait_for(lambda _: "Not published" in (card.text or ""))

    def refused_to_tell_her() -> bool:
        return any(
            c.params.get("chat_id") in (cy.id, str(cy.id))
            and "not passed on" in str(c.params.get("text"))
            and c.status == 403
            for c in emu.calls_to("sendMessage")
        )

    # The outcome's message to her meets her block (Telegram's 403) before she comes back.
    await until(emu, refused_to_tell_her)
    await cy.send("/help")
    await cy.wait_for(last_has("/mydata"))
    notices = told(cy, NOTICE)
    assert len(notices) == 1, [m.text for m in cy.messages]
    rejected = any("not passed on" in (m.text or "") for m in cy.messages)
    promised = texts.SAVED_HEAR_BACK.strip() in (notices[0].text or "")
    assert rejected or not promised, notices[0].text


async def mydata(person: Person) -> dict[str, Any]:
    """/mydata, as the file she is sent."""
    before = len(person.messages)
    await person.send("/mydata")
    sent = await person.wait_for(
        lambda m: any(x.document is not None for x in m[before:]), timeout=10
    )
    (document,) = [m.document for m in sent[before:] if m.document is not None]
    data: dict[str, Any] = json.loads(document)
    return data


async def test_a_kept_time_out_notice_is_listed_in_mydata_until_it_is_told(
    bot: YousaidBot, emu: Emulator, clock: FakeClock
) -> None:
    """Kim's time-out notice is kept (Telegram failed for a while as it was told): /mydata
    lists it, with what it says and when it was kept, as everything kept about her; once
    told, it is no longer kept, nor listed."""
    kim = emu.person("Kim")
    await blocked_mid_conversation(kim, bot, clock)
    fault = emu.faults.server_error("sendMessage", status=502, times=1)
    fault.text_contains = NOTICE
    data = await mydata(kim)
    assert fault.hits == 1 and not told(kim)
    (notice,) = data["notices_kept_for_when_you_are_back"]
    assert notice["about_your_item"] == 1
    assert notice["notice"] == texts.MYDATA_VALUES["notice"]["saved"]
    assert notice["kept_at"] == stamp(clock.now)
    await run_job(bot, "expire-idle-conversations")
    await kim.wait_for(lambda m: bool(told(kim)), timeout=10)
    assert (await mydata(kim))["notices_kept_for_when_you_are_back"] == []
