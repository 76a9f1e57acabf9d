"""An operator names each instance's connections in DATABASE_URL, to find them in
pg_stat_activity (and to end only theirs)."""

from __future__ import annotations

import uuid

import pytest

from storage.engines import database_for
from tests.conftest import postgres_schema

pytestmark = pytest.mark.postgres_only


async def test_an_application_name_in_the_url_names_the_connections(engine: str) -> None:
    name = f"yousaid-a-{uuid.uuid4().hex[:8]}"
    with postgres_schema() as url:
        async with database_for(f"{url}&application_name={name}") as db:
            row = await db.fetchone(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = ?", (name,)
            )
            assert row is not None and row[0] >= 1
            mine = await db.fetchone("SELECT current_setting('application_name')")
            assert mine is not None and mine[0] == name
