"""One sending budget across instances: slots reserved in PostgreSQL, whoever asks.

PostgreSQL only (SQLite has one process, whose limits stay in it): these tests need
YOUSAID_TEST_POSTGRES_URL, which CI sets."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest

from bot.ratelimit import SharedBudget
from storage import send_slots
from storage.postgres import PostgresDatabase
from storage.send_slots import Limit, Reservation
from tests.conftest import POSTGRES_URL, postgres_schema

CHAT = 4242


@pytest.fixture
async def two() -> AsyncIterator[tuple[PostgresDatabase, PostgresDatabase]]:
    """Two instances' databases: one schema, two pools."""
    if not POSTGRES_URL:
        pytest.skip("needs YOUSAID_TEST_POSTGRES_URL (set on CI)")
    with postgres_schema() as url:
        first, second = PostgresDatabase(url, 2), PostgresDatabase(url, 2)
        await first.open()
        await second.open()
        try:
            yield first, second
        finally:
            await first.close()
            await second.close()


async def test_two_instances_sending_to_one_chat_are_spaced_by_its_limit(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    # One message a second to a private chat, no burst, and no overall cap in the way.
    budgets = [SharedBudget(db, per_second=0, private_burst=1, group_per_minute=0) for db in two]
    (limit,) = budgets[0].limits(CHAT)
    assert limit.key == f"chat:{CHAT}" and limit.step >= 1.0

    async def send(budget: SharedBudget, count: int) -> list[Reservation]:
        return [await budget.acquire(CHAT) for _ in range(count)]

    first, second = await asyncio.gather(send(budgets[0], 3), send(budgets[1], 3))
    slots = sorted(r.slot for r in first + second)
    gaps = [later - earlier for earlier, later in itertools.pairwise(slots)]
    assert len(slots) == 6
    assert all(gap >= limit.step - 1e-6 for gap in gaps), gaps
    # Six messages to one chat from two instances: five steps from the first to the last.
    assert slots[-1] - slots[0] >= 5 * limit.step - 1e-6


async def test_a_burst_is_allowed_then_the_pace_holds(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    db = two[0]
    limits = [Limit("chat:1", 1.0, 2.0)]
    got = [await send_slots.reserve(db, limits) for _ in range(5)]
    start = got[0].slot
    # Three at once (a burst of 1 + 2 s' worth), then one a second.
    assert [round(r.slot - start, 1) for r in got][:3] == [0.0, 0.0, 0.0]
    assert [round(r.slot - start) for r in got][3:] == [1, 2]


async def test_the_overall_limit_counts_messages_to_every_chat(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    budgets = [SharedBudget(db, per_second=2, private_burst=0) for db in two]
    limits = budgets[0].limits(CHAT)
    assert [limit.key for limit in limits] == ["all"]
    reservations = await asyncio.gather(
        *(send_slots.reserve(db, limits) for db in two for _ in range(4))
    )
    slots = sorted(r.slot for r in reservations)
    step = limits[0].step
    # A burst of two, then one every half second (and a little), counted across both.
    assert slots[-1] - slots[0] >= 6 * step - 1e-6


async def test_chats_not_written_to_lately_are_forgotten(
    two: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    db = two[0]
    await send_slots.reserve(db, [Limit("chat:1", 0.001)])
    await send_slots.reserve(db, [Limit("chat:2", 3600)])
    # chat:1's moment passed (pruned with no margin); chat:2's is an hour away.
    while "chat:1" in await send_slots.slots(db):
        await send_slots.prune(db, 0)
    assert set(await send_slots.slots(db)) == {"chat:2"}
