"""Which instance runs the scheduled work: the one holding the "scheduler" lease.

Every instance keeps its own "instance:<id>" lease while it is alive (so the work it
claimed is left alone) and tries for "scheduler" every third of the lease's length; the
holder renews it, the others skip their jobs quietly. An instance that dies stops renewing,
and another takes over within about one lease length and a third. On SQLite one process
owns the file, so it always holds the lease (leases left by a crashed process are cleared).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from storage import leases
from storage.db import Database, DatabaseUnusable
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"
# What a renewal can meet when the database is away: the lease then runs out on its own.
FAULTS: tuple[type[BaseException], ...] = (DatabaseUnusable, *STORAGE_ERRORS)

Job = Callable[[Any], Coroutine[Any, Any, Any]]


def instance_id() -> str:
    """A name for this process, unique across machines and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leader:
    """This instance's leases; `holding` says whether it runs the scheduled work now."""

    def __init__(
        self,
        db: Database,
        instance: str,
        seconds: float,
        on_take: Callable[[], Awaitable[None]] | None = None,
        alone: bool = False,
    ) -> None:
        self.db = db
        self.instance = instance
        self.seconds = seconds
        self.on_take = on_take
        # SQLite: the process lock already made this the only instance.
        self.alone = alone
        self.names = (f"instance:{instance}", SCHEDULER)
        # Until when (this process's monotonic clock) the scheduler lease is surely ours:
        # counted from before the request, so never later than the database's own `until`.
        self._until = 0.0
        self._task: asyncio.Task[None] | None = None
        # Whether `start` reached the database (a start that failed has nothing to give up).
        self._started = False
        self.takeovers = 0

    @property
    def holding(self) -> bool:
        """Whether this instance holds the scheduler lease now."""
        return time.monotonic() < self._until

    async def renew(self) -> bool:
        """Take or renew the leases once; whether this instance now runs scheduled work.

        On taking the scheduler lease `on_take` runs (settling the work of instances that
        are gone) before any job sees `holding`."""
        had = self.holding
        started = time.monotonic()

        async def run(conn: Any) -> set[str]:
            return await leases.take(conn, self.names, self.instance, self.seconds)

        held = await self.db.write(run)
        if SCHEDULER not in held:
            if had:
                log.warning("the scheduler lease went to another instance")
            self._until = 0.0
            return False
        if not had:
            log.info("this instance (%s) runs the scheduled work", self.instance)
            self.takeovers += 1
            if self.on_take is not None:
                await self.on_take()
        self._until = started + self.seconds
        return True

    async def start(self) -> None:
        """Take what can be taken now, then keep renewing in the background."""
        if self.alone:

            async def clear(conn: Any) -> None:
                await leases.clear(conn)

            await self.db.write(clear)
        self._started = True
        await self.renew()
        self._task = asyncio.create_task(self._loop(), name="leases")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.seconds / 3)
            try:
                await self.renew()
            except FAULTS as exc:
                # The database is away: the lease runs out on its own, and the next try
                # (or another instance) picks it up.
                log.warning("leases not renewed: %s", exc)

    async def stop(self) -> None:
        """Stop renewing and give the leases up, so another instance takes over at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._until = 0.0
        if not self._started:
            return
        self._started = False

        async def run(conn: Any) -> int:
            return await leases.release(conn, self.instance)

        try:
            await self.db.write(run)
        except FAULTS as exc:
            log.info("leases not released at stop (they run out): %s", exc)

    def only(self, job: Job) -> Job:
        """The job, run only while this instance holds the scheduler lease."""

        async def run(context: Any) -> Any:
            if not self.holding:
                return None
            return await job(context)

        run.__name__ = getattr(job, "__name__", "job")
        run.__qualname__ = getattr(job, "__qualname__", run.__name__)
        return run
