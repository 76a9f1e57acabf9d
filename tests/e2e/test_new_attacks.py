"""Attacks on what landed together: answers re-sent after an unblock, photos after saving.
Through the emulator, on both engines."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item
from tests.e2e.test_citizen import stored
from tests.e2e.test_responses import (
    WEDNESDAY,
    World,
    answer_item,
    send_words,
    world,  # noqa: F401 - the fixture, shared
)

HEARD = "has responded"


async def test_two_answers_missed_while_blocked_come_once_each_in_order(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    first = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    second = await add_item(world.bot.db, alice.id, "library", "More study desks.", WEDNESDAY)
    alice.block()
    for item, words in (
        (first, "We will open on Sundays from May."),
        (second, "New study desks arrive next month."),
    ):
        await answer_item(world.pat, item, texts.RESPONSE_STATUS["acknowledged"])
        await send_words(world.pat, words)
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT state FROM outbox ORDER BY id") == [("blocked",), ("blocked",)]
    # She writes twice in quick succession: each answer comes once, the older first.
    await alice.send("/mine")
    await alice.send("/help")
    await alice.wait_for(lambda m: sum(HEARD in (x.text or "") for x in m) >= 2, timeout=15)
    await world.bot.handlers.sender.send(world.bot.application)  # type: ignore[arg-type]
    await emu.idle(quiet=0.5)
    notices = [m.text or "" for m in alice.messages if HEARD in (m.text or "")]
    assert len(notices) == 2, notices
    assert (
        "We will open on Sundays from May." in notices[0]
        and "New study desks arrive next month." in notices[1]
    )
    assert stored(db_path, "SELECT state FROM outbox ORDER BY id") == [("sent",), ("sent",)]
