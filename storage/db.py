"""The SQLite connection: one writer with group commit, a reader, and numbered migrations.

Durability, chosen: WAL with `synchronous=FULL`, so every COMMIT is fsynced to the WAL
before the call that asked for it returns. A citizen is told "saved" only after that,
so the item survives SIGKILL, an OS crash and a power cut alike. To keep throughput up
with one fsync per commit, concurrent write requests are grouped: the writer runs each
in its own SAVEPOINT inside one `BEGIN IMMEDIATE` transaction and commits once for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")
Writer = Callable[[aiosqlite.Connection], Awaitable[T]]

BUSY_TIMEOUT_MS = 5000
# Between tries of a checkpoint that found a read in progress (about 3 s in all): the
# reads are short, and the writer is free for other writes meanwhile.
CHECKPOINT_WAITS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)
# How many queued write requests one commit may carry.
MAX_GROUP = 64
# A busy or full database is retried after this long, doubling up to the maximum.
RETRY_FIRST = 0.05
RETRY_MAX = 5.0
# How long a full disk is waited for before the bot stops (someone may be freeing space).
FULL_GRACE = 60.0
# Tries, 0.1 s apart, to take the process lock.
LOCK_TRIES = 5

# SQLite's primary result codes that are about the file, not the statement.
_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED: another connection holds the lock
_FULL = 13  # SQLITE_FULL
_BROKEN = {
    3: "permission denied",  # SQLITE_PERM
    8: "read-only",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "damaged",  # SQLITE_CORRUPT
    14: "cannot be opened",  # SQLITE_CANTOPEN
    26: "not a database",  # SQLITE_NOTADB
}


class DatabaseUnusable(Exception):
    """The database cannot be written and waiting will not change it; the message is a line."""


def fault_of(exc: BaseException) -> str | None:
    """'busy', 'full' or 'broken' for an error about the database file; None for the rest."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.Error) or not isinstance(code, int):
        return None
    primary = code & 0xFF
    if primary in _BUSY:
        return "busy"
    if primary == _FULL:
        return "full"
    if primary in _BROKEN:
        return "broken"
    return None


def why(exc: BaseException) -> str:
    """A few words on what is wrong with the database file."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        if code & 0xFF == _FULL:
            return "disk full"
        if code & 0xFF in _BROKEN:
            label, text = _BROKEN[code & 0xFF], str(exc)
            return label if not text or label in text else f"{label}: {text}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{exc.__class__.__name__}: {exc}"


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A datetime as the ISO-8601 UTC text stored in the database (sorts as it reads)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    """The datetime a stored stamp stands for."""
    return datetime.fromisoformat(text)


def make_folder(folder: Path) -> None:
    """Create the folder (and its parents) unless it exists; OSError says why it cannot."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    folder.mkdir(parents=True, exist_ok=True)


class ProcessLock:
    """The lock file next to a database, held by the one bot that runs on it for its whole
    life. The kernel releases it when the process ends, however it ends (SIGKILL too)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Hold the lock; DatabaseInUse if another process does, DatabaseUnusable if the
        folder cannot take the file."""
        try:
            make_folder(self.database.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise DatabaseUnusable(
                f"the database {self.database} cannot be opened ({why(exc)})"
            ) from exc
        # A health check holds it shared for an instant: a few tries tell the two apart.
        for attempt in range(LOCK_TRIES):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if attempt == LOCK_TRIES - 1:
                    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                    os.close(fd)
                    raise DatabaseInUse(
                        f"another yousaid process (pid {holder or 'unknown'}) is running on"
                        f" {self.database}; stop it first (one process per database)"
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock (the file stays, empty of meaning)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        """Whether a running bot holds the lock now (for health checks)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


async def _truncate_wal(conn: aiosqlite.Connection) -> bool:
    """One try at emptying the WAL, without waiting for readers; whether it was emptied."""
    await conn.execute("PRAGMA busy_timeout=0")
    try:
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
    finally:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # (busy, frames in the log, frames checkpointed): busy when a reader held it back.
    return row is not None and row[0] == 0 and row[1] == row[2]


async def _pause(seconds: float) -> None:
    """Wait between tries (a seam for tests)."""
    await asyncio.sleep(seconds)


@dataclass
class _Request:
    fn: Writer[Any]
    future: asyncio.Future[Any]
    # Run outside any transaction (a checkpoint cannot run inside one).
    plain: bool = False


class Database:
    """What every engine gives the rest of the bot: `write(fn)`, a `reader`, open and close."""

    # The SQLite file, or None for a server database.
    path: Path | None
    # How the database is named in logs and messages (a server URL without its password).
    name: str

    async def open(self) -> Database:
        """Connect and apply the migrations; DatabaseUnusable says why it cannot."""
        raise NotImplementedError

    async def close(self) -> None:
        """Finish what is queued and close."""
        raise NotImplementedError

    def stop_waiting(self) -> None:
        """From now on a busy database fails writes instead of being waited for (a stop)."""
        raise NotImplementedError

    @property
    def reader(self) -> Any:
        """A connection for reads, outside any write transaction."""
        raise NotImplementedError

    async def write(self, fn: Writer[T]) -> T:
        """Run `fn(conn)` in a write transaction; return its result once it is committed."""
        raise NotImplementedError

    async def wait_broken(self) -> DatabaseUnusable:
        """Wait until writes have stopped for good; return why."""
        raise NotImplementedError

    async def checkpoint(self) -> bool:
        """Make erased data leave the engine's logs (SQLite's WAL); whether they did (a
        no-op, True, where there are none)."""
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Rows of a read-only query."""
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a read-only query, or None."""
        raise NotImplementedError

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class SqliteDatabase(Database):
    """One SQLite file: a single writer connection and a read connection, both in WAL mode."""

    def __init__(self, path: Path, full_grace: float = FULL_GRACE) -> None:
        self.path: Path = path
        self.name = str(path)
        self.full_grace = full_grace
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._broken: DatabaseUnusable | None = None
        self._broken_event = asyncio.Event()

    async def open(self) -> SqliteDatabase:
        """Open both connections, set the pragmas, apply migrations, start the writer.

        A file that cannot be opened or written raises DatabaseUnusable, saying why.
        """
        try:
            make_folder(self.path.parent)
            private_files(self.path)
            self._writer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._writer.execute("PRAGMA journal_mode=WAL")
            await self._pragmas(self._writer)
            # Deleted rows are overwritten, not left in free pages: erased means erased.
            await self._writer.execute("PRAGMA secure_delete=ON")
            await migrate(self._writer)
            self._reader = await aiosqlite.connect(self.path, isolation_level=None)
            await self._pragmas(self._reader)
            await self._reader.execute("PRAGMA query_only=ON")
        except (OSError, sqlite3.Error) as exc:
            await self._close_connections()
            raise DatabaseUnusable(
                f"the database {self.path} cannot be opened ({why(exc)})"
            ) from exc
        self._reader.row_factory = aiosqlite.Row
        self._writer.row_factory = aiosqlite.Row
        self._closing = False
        self._task = asyncio.create_task(self._write_loop(), name="db-writer")
        return self

    @staticmethod
    async def _pragmas(conn: aiosqlite.Connection) -> None:
        await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")

    def stop_waiting(self) -> None:
        """From now on a busy database fails writes instead of being waited for (a stop)."""
        self._closing = True

    async def close(self) -> None:
        """Finish queued writes (a busy database is no longer waited for) and close."""
        self._closing = True
        if self._task is not None:
            if not self._task.done():
                await self._queue.join()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close_connections()

    async def _close_connections(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    await conn.close()
        self._reader = self._writer = None

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read-only connection (WAL: it sees every committed write)."""
        assert self._reader is not None, "database is not open"
        return self._reader

    async def wait_broken(self) -> DatabaseUnusable:
        """Wait until the writer has stopped for good; return why."""
        await self._broken_event.wait()
        assert self._broken is not None
        return self._broken

    async def write(self, fn: Writer[T]) -> T:
        """Run `fn(conn)` in a write transaction; return its result once it is committed.

        `fn` may run more than once: a transaction that met a busy or full database is
        rolled back and run again, so `fn` should only act through `conn`.
        """
        return await self._submit(_Request(fn, asyncio.get_running_loop().create_future()))

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and empty it (after an erasure, say); whether
        it was emptied.

        SQLite gives up (busy) while a read is in progress on the WAL: tried again a few
        times, each try without waiting in SQLite (the busy timeout would hold every write
        for seconds), the waits between them outside the writer."""
        for wait in (*CHECKPOINT_WAITS, None):
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            if await self._submit(_Request(_truncate_wal, future, plain=True)):
                return True
            if wait is None:
                break
            await _pause(wait)
        # The hourly job tries again; erased words stay in the WAL file until then.
        log.warning(
            "the WAL of %s could not be emptied now (reads in progress); tried %d times",
            self.path,
            len(CHECKPOINT_WAITS) + 1,
        )
        return False

    async def _submit(self, request: _Request) -> Any:
        if self._broken is not None:
            raise self._broken
        await self._queue.put(request)
        return await request.future

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Rows of a read-only query, on the read connection."""
        assert self._reader is not None, "database is not open"
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def _write_loop(self) -> None:
        conn = self._writer
        assert conn is not None
        batch: list[_Request] = []
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < MAX_GROUP and not self._queue.empty() and not batch[-1].plain:
                    batch.append(self._queue.get_nowait())
                plain = [r for r in batch if r.plain]
                grouped = [r for r in batch if not r.plain]
                try:
                    if grouped:
                        await self._commit_group(conn, grouped)
                    for request in plain:
                        await self._run_plain(conn, request)
                finally:
                    for _ in batch:
                        self._queue.task_done()
                batch = []
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            # The writer is gone: nobody may wait for it any more, and its owner must know.
            if isinstance(exc, DatabaseUnusable):
                broken = exc
            else:
                log.error("the database writer stopped", exc_info=exc)
                broken = DatabaseUnusable(
                    f"the database {self.path} cannot be written ({why(exc)})"
                )
            self._broken = broken
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(broken)
            while not self._queue.empty():
                request = self._queue.get_nowait()
                if not request.future.done():
                    request.future.set_exception(broken)
                self._queue.task_done()
            self._broken_event.set()
            raise broken from exc

    @staticmethod
    async def _run_plain(conn: aiosqlite.Connection, request: _Request) -> None:
        try:
            request.future.set_result(await request.fn(conn))
        except aiosqlite.Error as exc:
            request.future.set_exception(exc)

    async def _commit_group(self, conn: aiosqlite.Connection, batch: list[_Request]) -> None:
        delay, failing_since = RETRY_FIRST, 0.0
        while True:
            try:
                results = await self._try_group(conn, batch)
            except asyncio.CancelledError as exc:
                await self._rollback(conn)
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                raise
            except aiosqlite.Error as exc:
                # Nothing in this group is saved.
                await self._rollback(conn)
                kind = fault_of(exc)
                now = time.monotonic()
                failing_since = failing_since or now
                waited = now - failing_since
                transient = kind == "busy" or (kind == "full" and waited < self.full_grace)
                if transient and not self._closing:
                    if delay == RETRY_FIRST:
                        log.warning(
                            "the database %s cannot be written now (%s); waiting until it can",
                            self.path,
                            exc,
                        )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_MAX)
                    continue
                if kind in ("full", "broken"):
                    raise DatabaseUnusable(
                        f"the database {self.path} cannot be written ({why(exc)})"
                    ) from exc
                # The commit failed for a reason that is no fault of the file: say so to each.
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                return
            if failing_since:
                log.warning(
                    "the database %s can be written again (after %.1f s)",
                    self.path,
                    time.monotonic() - failing_since,
                )
            for request, ok, value in results:
                if request.future.done():
                    continue
                if ok:
                    request.future.set_result(value)
                else:
                    request.future.set_exception(value)
            return

    @staticmethod
    async def _try_group(
        conn: aiosqlite.Connection, batch: list[_Request]
    ) -> list[tuple[_Request, bool, Any]]:
        results: list[tuple[_Request, bool, Any]] = []
        await conn.execute("BEGIN IMMEDIATE")
        for request in batch:
            await conn.execute("SAVEPOINT request")
            try:
                value = await request.fn(conn)
            except Exception as exc:
                if fault_of(exc) is not None:
                    # The file's fault, not the request's: the whole group waits or stops.
                    raise
                await conn.execute("ROLLBACK TO request")
                await conn.execute("RELEASE request")
                results.append((request, False, exc))
            else:
                await conn.execute("RELEASE request")
                results.append((request, True, value))
        await conn.execute("COMMIT")
        return results

    async def _rollback(self, conn: aiosqlite.Connection) -> None:
        if not conn.in_transaction:
            return
        try:
            await conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise DatabaseUnusable(
                f"the database {self.path} cannot be written ({why(exc)})"
            ) from exc


async def migrate(conn: aiosqlite.Connection) -> list[str]:
    """Apply the numbered migrations not yet recorded, all in one transaction; their names."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT version FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    pending = [(v, name, sql) for v, name, sql in migrations() if v not in done]
    if not pending:
        return []
    # One commit for all of them: a fresh file is ready in a fraction of the time (a commit
    # is an fsync), and a failure leaves the schema as it was, not half way.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        for version, name, sql in pending:
            for statement in statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, stamp(utcnow())),
            )
        await conn.execute("COMMIT")
    except aiosqlite.Error:
        # SQLite rolls back on its own after some errors (a full disk): a ROLLBACK then
        # would fail and hide the error that matters.
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    for version, name, _ in pending:
        log.info("applied migration %04d %s", version, name)
    return [name for _, name, _ in pending]


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with the code: (version, name, SQL)."""
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    return sorted(found)


def statements(sql: str) -> list[str]:
    """The statements of a migration file."""
    # Migrations hold plain DDL: no semicolons inside strings or triggers.
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def backup(source: Path, target: Path) -> None:
    """Copy the database to `target`, consistent even while the bot writes (VACUUM INTO).

    It reads one snapshot of the WAL database in a read transaction, so writers go on; the
    copy is compact, in rollback-journal mode, owner-only, and needs nothing else to be
    restored. It carries the erasure journal of its moment (see `restore`).
    """
    if target.exists():
        raise FileExistsError(f"{target} exists already; choose a new name")
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    # Owner-only from the first byte: VACUUM INTO fills an empty file and keeps its mode.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("VACUUM INTO ?", (str(target),))
    except BaseException:
        target.unlink(missing_ok=True)
        raise


# Files beside the database that only its owner may read: they hold what citizens said.
PRIVATE_SUFFIXES = ("-wal", "-shm", "-journal", ".erasures", ".lock")


def private_files(path: Path) -> None:
    """Make the database's directory 0700 and the database, its WAL and shared memory 0600.

    The file is created 0600 before SQLite opens it, because SQLite gives the -wal and -shm
    files it creates the database's own mode.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    _owner_only(folder, 0o700)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    _owner_only(path, 0o600)
    for suffix in PRIVATE_SUFFIXES:
        beside = path.with_name(path.name + suffix)
        if beside.exists():
            _owner_only(beside, 0o600)


def _owner_only(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
    except PermissionError:
        # Not ours (a shared directory such as /tmp): say so rather than stop.
        log.warning("could not make %s private (mode %o): not its owner", path, mode)


class DatabaseInUse(RuntimeError):
    """A process (the bot) holds the database's lock file; the message is one line."""


def lock_path(database: Path) -> Path:
    """The lock file a running bot holds (fcntl.flock) on its database."""
    return database.with_name(database.name + ".lock")


@contextmanager
def stopped(database: Path) -> Iterator[None]:
    """Hold the database's process lock for the duration (a restore, say); DatabaseInUse
    while a running bot holds it."""
    lock = ProcessLock(database)
    try:
        lock.acquire()
    except DatabaseInUse:
        raise DatabaseInUse(
            f"{database} is in use (a process holds {lock_path(database)}): stop the bot first"
        ) from None
    try:
        yield
    finally:
        lock.release()


def restore(source: Path, target: Path) -> None:
    """Put a backup in the database's place (the caller holds `stopped`): copied beside it,
    owner-only, then renamed over it; its old -wal and -shm go, as they belong to the old
    file."""
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            sound = conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        raise ValueError(f"{source} is not a sound SQLite database")
    private_files(target)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(partial, target)
