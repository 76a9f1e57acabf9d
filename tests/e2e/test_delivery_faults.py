"""Messages to citizens fail one recipient at a time: a chat Telegram cannot find, a 5xx or
a 429 for one person waits alone, with its own backoff, while everyone else is served."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.app import YousaidBot
from bot.outbox import REFUSALS
from emulator import Emulator, Person
from tests.conftest import FakeClock
from tests.e2e.helpers import add_item
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_response_delivery import heard
from tests.e2e.test_responses import (
    ACCESS,
    CHANGED,
    WEDNESDAY,
    World,
    digest_in_private,
    notice_of,
    respond,
    world,  # noqa: F401 - the fixture, shared
)


async def publish_to(scene: World, clock: FakeClock, people: list[Person]) -> None:
    """Each person asked to hear back on the library's queue; Pat answers the theme."""
    for n, person in enumerate(people):
        await add_item(scene.bot.db, person.id, "library", f"Queued {n} minutes.", WEDNESDAY)
    digest = await digest_in_private(scene, clock)
    done = await respond(
        scene.pat, digest, f"↩️ Respond: {ACCESS}", CHANGED, "Two desks are open now."
    )
    assert f"goes to {len(people)} people" in done, done


def row_of(db_path: Path, person: Person) -> tuple[object, ...]:
    """(state, attempts) of the message to this person."""
    (row,) = stored(
        db_path,
        "SELECT o.state, o.attempts FROM outbox o JOIN citizens c ON c.id = o.citizen_id"
        f" WHERE c.telegram_id = {person.id}",
    )
    return row


async def send_until(bot: YousaidBot, done: Callable[[], bool]) -> None:
    """Run the sending job until `done` (the job may be running already: it is then retried)."""
    for _ in range(200):
        await run_job(bot, "send-to-citizens")
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the sending job never got there")


async def test_a_chat_telegram_cannot_find_waits_alone_then_is_undeliverable(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    alice = emu.person("Alice")
    others = [emu.person(f"Citizen {n}") for n in range(19)]
    # Alice's item is the oldest, so her message is the first in the queue.
    refused = emu.faults.error(
        "sendMessage", chat_id=alice.id, description="Bad Request: chat not found"
    )
    await publish_to(world, clock, [alice, *others])
    for person in others:
        await notice_of(person)
    assert row_of(db_path, alice) == ("pending", 1)
    # Each later try is one more refusal; after the last it is closed, and never tried again.
    while refused.hits < REFUSALS:
        tried = refused.hits
        clock.advance(hours=2)
        await send_until(world.bot, lambda: refused.hits > tried)  # noqa: B023 - awaited here
    assert row_of(db_path, alice) == ("undeliverable", REFUSALS)
    clock.advance(days=2)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert refused.hits == REFUSALS
    assert [heard(p) for p in others] == [1] * 19
    assert heard(alice) == 0


async def test_a_5xx_or_a_429_for_one_chat_delays_only_that_chat(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    bob, carol = emu.person("Bob"), emu.person("Carol")
    others = [emu.person(f"Citizen {n}") for n in range(6)]
    broken = emu.faults.server_error("sendMessage", chat_id=bob.id, status=502, times=2)
    # Telegram's wait is long: nobody else may wait for it.
    busy = emu.faults.flood("sendMessage", chat_id=carol.id, retry_after=600, times=1)
    await publish_to(world, clock, [bob, carol, *others])
    for person in others:
        await notice_of(person)
    assert (broken.hits, busy.hits) == (1, 1)
    assert heard(bob) == heard(carol) == 0
    assert row_of(db_path, bob) == ("pending", 1)
    assert row_of(db_path, carol) == ("pending", 1)
    # Bob's second try fails too, after his backoff; Carol's waits for Telegram's time.
    clock.advance(minutes=1)
    await send_until(world.bot, lambda: broken.hits == 2)
    await emu.idle(quiet=0.3)
    assert heard(carol) == 0
    clock.advance(minutes=10)
    await send_until(world.bot, lambda: heard(bob) == 1 and heard(carol) == 1)
    clock.advance(hours=2)
    await run_job(world.bot, "send-to-citizens")
    await emu.idle(quiet=0.3)
    assert [heard(p) for p in [bob, carol, *others]] == [1] * 8
    assert row_of(db_path, bob) == ("sent", 2)
    assert row_of(db_path, carol) == ("sent", 1)


async def test_a_proxys_403_page_is_not_taken_for_a_citizen_who_blocked_the_bot(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    dan, erin = emu.person("Dan"), emu.person("Erin")
    # Not Telegram's answer ({"ok": false, ...}) but a proxy's page: it refuses nothing.
    page = emu.faults.non_json("sendMessage", chat_id=dan.id, status=403, times=1)
    await publish_to(world, clock, [dan, erin])
    await notice_of(erin)
    assert page.hits == 1
    assert row_of(db_path, dan) == ("pending", 1)
    clock.advance(minutes=10)
    await send_until(world.bot, lambda: heard(dan) == 1)
    assert row_of(db_path, dan) == ("sent", 1)
