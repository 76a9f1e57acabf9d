"""The number an erased person's bare figures are kept under is never drawn twice."""

from __future__ import annotations

import asyncio

import aiosqlite

from storage import privacy
from storage.db import Database


async def test_two_erasures_at_the_same_moment_draw_different_numbers(db: Database) -> None:
    first_drew = asyncio.Event()
    drawn: list[int] = []

    async def first(conn: aiosqlite.Connection) -> None:
        drawn.append(await privacy.draw_person(conn))
        first_drew.set()
        # Held open while the second draws: on PostgreSQL each would read the highest
        # before the other wrote. The second waits for this one (or not, if it can't be
        # held apart): either way this one commits once the second has had its go.
        await asyncio.wait({second_task}, timeout=1)

    async def second(conn: aiosqlite.Connection) -> None:
        drawn.append(await privacy.draw_person(conn))

    async def after_first() -> None:
        await first_drew.wait()
        await db.write(second)

    second_task = asyncio.ensure_future(after_first())
    await db.write(first)
    await second_task
    # A retried draw appends again: the numbers that count are the last two committed.
    assert len(set(drawn[-2:])) == 2, drawn


async def test_each_draw_takes_the_next_number(db: Database) -> None:
    assert [await db.write(privacy.draw_person) for _ in range(3)] == [1, 2, 3]
