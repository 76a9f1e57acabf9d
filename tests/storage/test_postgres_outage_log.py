"""Connections cut under concurrent writes: each write waits the outage out, and the
outage is said once, with its end once (not a line per write)."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

from storage.postgres import PostgresDatabase, conninfo
from tests.conftest import postgres_schema

pytestmark = pytest.mark.postgres_only


async def test_an_outage_is_said_once_however_many_writes_wait(
    engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    name = f"yousaid-test-{uuid.uuid4().hex[:8]}"
    with postgres_schema() as url:
        async with PostgresDatabase(url, pool_size=8, application_name=name) as db:

            async def add(conn: object) -> None:
                await conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO citizens (telegram_id, created_at) VALUES (?, 'now')",
                    (uuid.uuid4().int % 10**9,),
                )

            # Fill the pool, then cut every connection of it (only this test's).
            await asyncio.gather(*(db.write(add) for _ in range(8)))
            with psycopg.connect(conninfo(url), autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = %s",
                    (name,),
                )
            await asyncio.gather(*(db.write(add) for _ in range(8)))
            row = await db.fetchone("SELECT COUNT(*) FROM citizens WHERE telegram_id <> 0")
            assert row is not None and row[0] == 16
    said = [r.getMessage() for r in caplog.records if r.name == "storage.postgres"]
    lost = [line for line in said if "cannot be reached" in line]
    back = [line for line in said if "answers again" in line]
    assert len(lost) == 1 and len(back) == 1, said
