"""What a citizen expects where the bot once let them down: an answer sent while they had
blocked the bot, a photo just after saving, a voice note after /cancel, a "me too" list
left unanswered, /mydata in their own language. Through the emulator, on both engines."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item, last_has
from tests.e2e.test_citizen import stored
from tests.e2e.test_responses import (
    WEDNESDAY,
    World,
    answer_item,
    send_words,
    world,  # noqa: F401 - the fixture, shared
)

HEARD = "has responded"


async def test_an_answer_sent_while_blocked_arrives_once_when_they_come_back(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    alice.block()
    await answer_item(world.pat, item, texts.RESPONSE_STATUS["acknowledged"])
    await send_words(world.pat, "Thank you, we hear you.")
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox") == [("blocked",)]
    assert not any(HEARD in (m.text or "") for m in alice.messages)
    # She unblocks the bot by writing to it again: the answer she missed comes now.
    await alice.send("/mine")
    await alice.wait_for(lambda m: any(HEARD in (x.text or "") for x in m), timeout=15)
    # The sender's next rounds, and more words from her, send it no second time.
    await alice.send("/help")
    await alice.wait_for(last_has("/mydata"))
    await world.bot.handlers.sender.send(world.bot.application)  # type: ignore[arg-type]
    await emu.idle(quiet=0.3)
    notices = [m for m in alice.messages if HEARD in (m.text or "")]
    assert len(notices) == 1 and "Thank you, we hear you." in (notices[0].text or "")
    assert stored(db_path, "SELECT state FROM outbox") == [("sent",)]

