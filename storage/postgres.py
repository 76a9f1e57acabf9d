"""The PostgreSQL engine: the same `write(fn)` / `reader` contract as SQLite, over a pool.

Why one driver per engine rather than an ORM layer: every storage function is plain SQL
written once, with `?` placeholders, against a connection that has aiosqlite's small
surface (`execute`, `executemany`, cursors with `rowcount`, rows by name or position). The
PostgreSQL side gives psycopg 3 that same surface: placeholders become `%s` and values are
bound client-side (as SQLite does), so SQLite's loose typing (an integer compared with a
text column, a bool stored in an INTEGER) keeps working without a cast in every query.

Writes run in REPEATABLE READ (snapshot isolation): each transaction reads one consistent
snapshot, and one that would change a row another committed since is rolled back and run
again, which the `write` contract allows (`fn` acts only through its connection). So no
update is lost and every compare-and-set (`UPDATE ... WHERE state = 'pending'`) holds.
What SERIALIZABLE would add, protection from write skew between transactions that touch
different rows, the bot gets from its own structure: a chat's updates are handled by one
instance at a time (chat turns), scheduled work by one instance (the scheduler lease), and
what must be unique has a unique key. SERIALIZABLE was measured too: with three instances
its predicate locks (page-level on the append-only `updates` and `citizens` indexes) made
about two of every three intake transactions fail and retry, for no real conflict.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import AsyncClientCursor, AsyncConnection, errors, sql
from psycopg.adapt import Dumper, Loader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from storage.db import Database, DatabaseUnusable, migrations, stamp, statements, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")

# Serialization failures and deadlocks are retried this many times, backing off.
RETRIES = 50
RETRY_FIRST = 0.005
RETRY_MAX = 0.5
# The advisory lock every migrator takes, so one instance migrates and the others wait: with
# the schema's hash as its second key, so migrators of different schemas do not wait on each
# other (every test has a schema of its own on one server).
MIGRATION_LOCK = 0x79_6F_75_73  # "yous"
MIGRATION_LOCK_KEYS = "%s, hashtext(current_schema())"
# The advisory lock a transaction numbering a new item holds until it commits: items commit
# in the order of their numbers, so "oldest first" is the order they came in, on every
# instance (a sequence alone hands out numbers before commits, in any order).
ITEM_NUMBERS = 0x69_74_65_6D  # "item"
POOL_MIN = 2
POOL_MAX = 10
# How long a write waits for a connection from the pool before it fails.
POOL_TIMEOUT = 30.0
# A server that cannot be reached is waited for this long by each write, retrying.
OUTAGE_GRACE = 60.0
OUTAGE_RETRY_MAX = 2.0
# PostgreSQL's codes for a transaction that lost to another and may simply run again.
_RETRY = (errors.SerializationFailure, errors.DeadlockDetected)


def is_postgres(url: str) -> bool:
    """Whether a DATABASE_URL names PostgreSQL."""
    return url.startswith(("postgresql://", "postgres://", "postgresql+"))


def conninfo(url: str) -> str:
    """The libpq URL for a DATABASE_URL (a `+driver` suffix, SQLAlchemy style, dropped)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        scheme = "postgresql"
    return urlunsplit((scheme, *parts[1:]))


def with_schema(url: str, schema: str) -> str:
    """The URL with its search_path set to `schema` (tests: one schema per run)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return urlunsplit((*parts[:3], urlencode(query), parts.fragment))


def redacted(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ""
    return urlunsplit((parts.scheme, user + host, *parts[2:]))


@lru_cache(maxsize=4096)
def translate(query: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s`, and a literal `%` doubled."""
    out: list[str] = []
    quote: str | None = None
    for char in query:
        if quote is not None:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


_INTEGER_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b")
_INTEGER = re.compile(r"\bINTEGER\b")
_REAL = re.compile(r"\bREAL\b")
_BLOB = re.compile(r"\bBLOB\b")
_TEXT = re.compile(r"\bTEXT\b(?!\s+COLLATE)")


def ddl(statement: str) -> str:
    """A migration statement written for SQLite, as PostgreSQL needs it.

    A lone INTEGER PRIMARY KEY is SQLite's auto-numbered row id: an identity column here.
    Integers are 64-bit as in SQLite, REAL is a double as in SQLite, BLOB is BYTEA, and text
    compares byte by byte (collation "C") as SQLite's does, whatever the database's locale.
    """
    statement = _INTEGER_KEY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", statement)
    statement = _INTEGER.sub("BIGINT", statement)
    statement = _REAL.sub("DOUBLE PRECISION", statement)
    statement = _BLOB.sub("BYTEA", statement)
    if statement.lstrip().upper().startswith(("CREATE TABLE", "ALTER TABLE")):
        statement = _TEXT.sub('TEXT COLLATE "C"', statement)
    return statement


class Row(tuple[Any, ...]):
    """A row readable by position or by column name, like sqlite3.Row."""

    names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self.names.index(key))
            except ValueError:
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self.names)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    names = tuple(column.name for column in cursor.description or ())

    def make(values: Sequence[Any]) -> Row:
        row = Row(values)
        row.names = names
        return row

    return make


class _BoolAsInt(Dumper):
    """Booleans stored as 0 and 1, as in SQLite's INTEGER columns."""

    oid = 20  # int8

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"

    def quote(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _Number(Loader):
    """NUMERIC results (SUM, AVG) as int or float, as SQLite gives them, never Decimal."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode("ascii")
        return float(text) if any(c in text for c in ".eEN") else int(text)


def _adapt(conn: AsyncConnection[Any]) -> None:
    conn.adapters.register_dumper(bool, _BoolAsInt)
    conn.adapters.register_loader("numeric", _Number)


class Cursor:
    """The rows and counts of one statement, read in full (aiosqlite's cursor surface)."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount
        # PostgreSQL has no last row id: inserts say RETURNING id.
        self.lastrowid: int | None = None

    async def fetchall(self) -> list[Row]:
        """Every row not yet read."""
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Row | None:
        """The next row, or None."""
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int) -> list[Row]:
        """Up to `size` rows."""
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def __aiter__(self) -> Iterator[Row] | Any:
        return self._iterate()

    async def _iterate(self) -> Any:
        while self._rows:
            yield self._rows.pop(0)

    async def close(self) -> None:
        """Nothing to free (the rows were read in full)."""


class _Pending:
    """What `execute` returns: awaited, or used in `async with`, it gives the Cursor."""

    def __init__(self, run: Awaitable[Cursor]) -> None:
        self._run = run

    def __await__(self) -> Any:
        return self._run.__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run

    async def __aexit__(self, *exc: object) -> None:
        return None


async def _run(conn: AsyncConnection[Any], query: str, parameters: Iterable[Any] | None) -> Cursor:
    async with conn.cursor() as cursor:
        await cursor.execute(translate(query), tuple(parameters or ()))
        rows = await cursor.fetchall() if cursor.description is not None else []
        return Cursor(list(rows), cursor.rowcount)


async def _run_many(
    conn: AsyncConnection[Any], query: str, parameters: Iterable[Iterable[Any]]
) -> Cursor:
    total = 0
    async with conn.cursor() as cursor:
        for values in parameters:
            await cursor.execute(translate(query), tuple(values))
            total += max(cursor.rowcount, 0)
    return Cursor([], total)


class Connection:
    """A connection inside one write transaction, with aiosqlite's surface."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self.raw = conn
        self.in_transaction = True

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        """Run one statement; await the result (or `async with` it) for the cursor."""
        return _Pending(_run(self.raw, sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Any:
        """Run one statement for each set of parameters."""
        return _Pending(_run_many(self.raw, sql, parameters))


class Reader:
    """Reads outside any transaction: each statement on a pooled connection, autocommit."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool
        self.in_transaction = False

    async def _run(self, query: str, parameters: Iterable[Any] | None) -> Cursor:
        try:
            async with self.pool.connection(timeout=POOL_TIMEOUT) as conn:
                return await _run(conn, query, parameters)
        except psycopg.OperationalError:
            # A pooled connection the server closed meanwhile (a restart): the pool drops
            # it, and a read is safe to run again once, on a fresh one.
            async with self.pool.connection(timeout=POOL_TIMEOUT) as conn:
                return await _run(conn, query, parameters)

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Any:
        """Run one read; await the result (or `async with` it) for the cursor."""
        return _Pending(self._run(sql, parameters))


class PostgresDatabase(Database):
    """A PostgreSQL database shared by every instance: a pool, snapshot-isolated writes."""

    def __init__(
        self,
        url: str,
        pool_size: int = POOL_MAX,
        outage_grace: float = OUTAGE_GRACE,
        application_name: str = "yousaid",
    ) -> None:
        self.url = url
        # Shown in pg_stat_activity, so an operator can tell the bot's connections apart;
        # one given in the URL (?application_name=yousaid-a) names this instance's.
        given = dict(parse_qsl(urlsplit(url).query)).get("application_name")
        self.application_name = given or application_name
        self.outage_grace = outage_grace
        self.path = None
        self.name = redacted(url)
        self.pool_size = max(pool_size, POOL_MIN)
        self._pool: AsyncConnectionPool[Any] | None = None
        self._reader: Reader | None = None
        self._closing = False
        self._never = asyncio.Event()
        # When writes began to find the server unreachable (0: they do not), so that a
        # streak is said once, not by every write waiting it out.
        self._outage_since = 0.0
        # When the last streak ended: a write begun before that, failing after it on a
        # connection broken in that streak, is its tail, not a new outage to say.
        self._recovered_at = 0.0

    async def open(self) -> PostgresDatabase:
        """Connect, apply the migrations (one migrator at a time), fill the pool."""
        try:
            await migrate(conninfo(self.url))
            pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
                conninfo(self.url),
                min_size=POOL_MIN,
                max_size=self.pool_size,
                open=False,
                configure=self._configure,
                kwargs={
                    "autocommit": True,
                    "cursor_factory": AsyncClientCursor,
                    "application_name": self.application_name,
                },
            )
            await pool.open(wait=True, timeout=POOL_TIMEOUT)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            # libpq's message runs over lines ("\n\tIs the server running…"): one line.
            reason = " ".join(str(exc).split()) or exc.__class__.__name__
            raise DatabaseUnusable(f"the database {self.name} cannot be opened ({reason})") from exc
        self._pool = pool
        self._reader = Reader(pool)
        self._closing = False
        return self

    @staticmethod
    async def _configure(conn: AsyncConnection[Any]) -> None:
        _adapt(conn)
        conn.row_factory = _row_factory  # type: ignore[assignment]

    def stop_waiting(self) -> None:
        """From now on a conflict is not retried (a stop)."""
        self._closing = True

    async def close(self) -> None:
        """Close the pool (writes in flight finish first)."""
        self._closing = True
        if self._pool is not None:
            await self._pool.close()
        self._pool = None
        self._reader = None

    @property
    def reader(self) -> Any:
        """Reads outside a transaction (each sees every committed write)."""
        assert self._reader is not None, "database is not open"
        return self._reader

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        """The connection pool (for locks held outside a write)."""
        assert self._pool is not None, "database is not open"
        return self._pool

    async def wait_broken(self) -> DatabaseUnusable:
        """A server that goes away is waited for by each write, so this never returns."""
        await self._never.wait()
        raise AssertionError("unreachable")

    async def write(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """Run `fn(conn)` in one transaction (snapshot isolation); its result once committed.

        A transaction that loses a conflict is rolled back and `fn` runs again; so is one
        whose connection broke before COMMIT was sent (a server restart, a failover), for
        up to `outage_grace` seconds. A connection that breaks during COMMIT is not retried:
        whether it committed cannot be known, and the caller says so rather than guess.
        """
        pool = self.pool
        delay, conflicts, outage_since = RETRY_FIRST, 0, 0.0
        started = time.monotonic()
        while True:
            committing = False
            try:
                async with pool.connection(timeout=POOL_TIMEOUT) as conn:
                    try:
                        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                        value = await fn(Connection(conn))
                        committing = True
                        await conn.execute("COMMIT")
                    except BaseException:
                        if not conn.closed and conn.info.transaction_status != 0:
                            with contextlib.suppress(psycopg.Error):
                                await conn.execute("ROLLBACK")
                        raise
                if self._outage_since:
                    log.warning(
                        "the database %s answers again (after %.1f s)",
                        self.name,
                        time.monotonic() - self._outage_since,
                    )
                    self._outage_since = 0.0
                    self._recovered_at = time.monotonic()
                return value
            except _RETRY:
                conflicts += 1
                if self._closing or conflicts >= RETRIES:
                    raise
            except (psycopg.OperationalError, PoolTimeout) as exc:
                if committing or self._closing or isinstance(exc, _RETRY):
                    raise
                now = time.monotonic()
                if not self._outage_since and started >= self._recovered_at:
                    self._outage_since = now
                    log.warning("the database %s cannot be reached (%s); waiting", self.name, exc)
                if not outage_since:
                    outage_since = now
                elif now - outage_since > self.outage_grace:
                    raise
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, RETRY_MAX if not outage_since else OUTAGE_RETRY_MAX)

    async def checkpoint(self) -> bool:
        """Nothing to do: PostgreSQL's own checkpoints and VACUUM look after its files."""
        return True

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Rows of a read-only query."""
        cursor = await self.reader.execute(sql, params)
        rows: list[Any] = await cursor.fetchall()
        return rows

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


# Why `unanswered` when the database answers but has none of the bot's tables.
NOT_SET_UP = "it answers, but no bot has run on it yet (it has no yousaid tables)"


def unanswered(url: str, timeout: float) -> str | None:
    """Why the database at `url` does not answer a query, in one line; None if it does."""
    try:
        with psycopg.connect(conninfo(url), connect_timeout=max(int(timeout), 1)) as conn:
            conn.execute("SELECT 1 FROM schema_migrations LIMIT 1")
    except psycopg.errors.UndefinedTable:
        # It answers, but no bot has run on it: said so, not as a failure to answer.
        return NOT_SET_UP
    except psycopg.Error as exc:
        return " ".join(str(exc).split()) or exc.__class__.__name__
    return None


async def migrate(url: str) -> list[str]:
    """Apply the numbered migrations not yet recorded, under an advisory lock; their names."""
    applied: list[str] = []
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        lock = sql.SQL(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEYS})")  # type: ignore[arg-type]
        unlock = sql.SQL(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEYS})")  # type: ignore[arg-type]
        await conn.execute(lock, (MIGRATION_LOCK,))
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            cursor = await conn.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in await cursor.fetchall()}
            pending = [(v, name, text) for v, name, text in migrations() if v not in done]
            if pending:
                # All of them in one transaction and one round trip: a fresh schema is ready
                # in a fraction of the time, and a failure leaves it as it was.
                parts: list[sql.Composable] = []
                for version, name, text in pending:
                    parts += [sql.SQL(ddl(statement)) for statement in statements(text)]  # type: ignore[arg-type]
                    parts.append(
                        sql.SQL(
                            "INSERT INTO schema_migrations (version, name, applied_at)"
                            " VALUES ({}, {}, {})"
                        ).format(
                            sql.Literal(version), sql.Literal(name), sql.Literal(stamp(utcnow()))
                        )
                    )
                async with conn.transaction():
                    await conn.execute(sql.SQL(";\n").join(parts))
                for version, name, _ in pending:
                    log.info("applied migration %04d %s", version, name)
                    applied.append(name)
        finally:
            await conn.execute(unlock, (MIGRATION_LOCK,))
    return applied


async def reset_identities(conn: AsyncConnection[Any]) -> None:
    """Move every identity column's sequence past the highest id (after a copy with ids)."""
    cursor = await conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in await cursor.fetchall():
        await conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({t}, {c}),"
                " COALESCE((SELECT MAX({col}) FROM {tab}), 0) + 1, false)"
            ).format(
                t=sql.Literal(table),
                c=sql.Literal(column),
                col=sql.Identifier(column),
                tab=sql.Identifier(table),
            )
        )
