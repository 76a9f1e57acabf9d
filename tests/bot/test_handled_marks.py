"""Handled marks are written in batches; none is left behind by a batch being written or failing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bot.processing import HandledMarks


class SlowDatabase:
    """A writer whose first write waits until released; records each batch of marks."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.marked: list[int] = []
        self.both = asyncio.Event()

    async def write(self, run: Callable[[Any], Awaitable[None]]) -> None:
        self.started.set()
        await self.release.wait()
        await run(self)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if "handled_at = COALESCE" in sql:
            self.marked += [int(row[-1]) for row in rows]
            if len(self.marked) >= 2:
                self.both.set()


async def test_a_mark_added_while_a_batch_is_written_is_written_too() -> None:
    db = SlowDatabase()
    marks = HandledMarks(db, lambda: datetime(2026, 11, 4, tzinfo=UTC), interval=0.01)  # type: ignore[arg-type]
    marks.add(1)
    await db.started.wait()
    # The first batch is being written: this one comes meanwhile.
    marks.add(2)
    db.release.set()
    async with asyncio.timeout(5):
        await db.both.wait()
    assert db.marked == [1, 2]


class LockedOnceDatabase:
    """A writer whose first write fails as a database locked by another program does."""

    def __init__(self) -> None:
        self.tries = 0
        self.marked: list[int] = []
        self.written = asyncio.Event()

    async def write(self, run: Callable[[Any], Awaitable[None]]) -> None:
        self.tries += 1
        if self.tries == 1:
            raise sqlite3.OperationalError("database is locked")
        await run(self)

    async def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if "handled_at = COALESCE" in sql:
            self.marked += [int(row[-1]) for row in rows]
            self.written.set()


async def test_marks_whose_write_failed_are_written_at_the_next_round() -> None:
    db = LockedOnceDatabase()
    marks = HandledMarks(db, lambda: datetime(2026, 11, 4, tzinfo=UTC), interval=0.01)  # type: ignore[arg-type]
    marks.add(7)
    marks.add(8)
    async with asyncio.timeout(5):
        await db.written.wait()
    assert db.tries == 2
    assert db.marked == [7, 8]
