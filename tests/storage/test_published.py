"""The provider read path returns approved, redacted, anonymous text, and nothing else."""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import citizens, feedback, published, services
from storage.db import SqliteDatabase
from storage.services import ServiceRow

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

item_strategy = st.tuples(
    st.sampled_from(["pending", "approved", "rejected"]),
    st.integers(min_value=10**6, max_value=10**10),  # the author's Telegram id
    st.booleans(),  # whether a moderator edited it
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(item_strategy, min_size=1, max_size=12))
def test_provider_output_holds_only_approved_anonymous_text(
    items: list[tuple[str, int, bool]],
) -> None:
    import asyncio

    asyncio.run(_check(items))


async def _check(items: list[tuple[str, int, bool]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        async with SqliteDatabase(Path(folder) / "p.db") as db:
            expected: dict[int, str] = {}
            secrets: list[str] = []

            async def fill(conn: aiosqlite.Connection) -> None:
                await services.sync(conn, [ServiceRow("library", "Library", "", "p")])
                for n, (status, telegram_id, edited) in enumerate(items):
                    citizen = await citizens.get_or_create(conn, telegram_id, NOW)
                    # Delimited, so that no text is a substring of another ("1" of "10").
                    original = f"<original {n} by {telegram_id}, call 07700 900{n:03d}>"
                    redacted = f"<redacted {n}>, call [phone]"
                    item = await feedback.create(
                        conn,
                        citizen_id=citizen.id,
                        service_slug="library",
                        text=original,
                        rating=3,
                        hear_back=True,
                        now=NOW,
                        ask_id=1,  # every item answers a question, for `answers`
                    )
                    await feedback.save_tagging(
                        conn,
                        item,
                        kind="complaint",
                        redacted_text=redacted,
                        redactions="[]",
                        themes=[("safety", 0.9, "model", "[]")],
                        now=NOW,
                    )
                    working = redacted
                    if edited:
                        working = f"<edited {n}>"
                        await feedback.set_edited_text(conn, item, working, NOW)
                    secrets.extend([original, f"{telegram_id}"])
                    if status != "pending":
                        await feedback.decide(
                            conn,
                            item,
                            status=status,
                            published_text=working if status == "approved" else None,
                            reject_reason=None if status == "approved" else "other",
                            moderator=42,
                            now=NOW,
                        )
                    if status == "approved":
                        expected[item] = working
                    else:
                        secrets.append(working)

            await db.write(fill)
            shown = await published.items(db.reader, ["library"])
            answered = await published.answers(db.reader, 1, limit=100)
    assert {p.id: p.text for p in shown} == expected
    assert {p.id: p.text for p in answered} == expected
    shown = shown + answered
    field_names = {f.name for f in dataclasses.fields(published.PublishedItem)}
    assert not field_names & {"citizen_id", "telegram_id", "original", "text_original"}
    everything = repr(shown)
    for secret in secrets:
        assert secret not in everything
