"""Closing-the-loop benchmark: a response delivered to many contributors, and the report.

    .venv/bin/python -m benchmarks.loop [--contributors 2000] [--items 50000] > loop.json

(a) `delivery`: one provider answers a theme that `contributors` citizens raised (each asked
    to hear back); the real bot sends the response to each through the emulator, which
    enforces Telegram's flood limits. Goal: at least 90% of Telegram's 30 messages a second,
    no answer of 429, and each contributor exactly one message.
(b) `report`: the evidence-of-value figures of one week for every service, from a database
    of `items` approved items over a year with responses covering a third of them.

Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)

import aiosqlite  # noqa: E402

from bot.config import load_deployment  # noqa: E402
from bot.intake import sync_services  # noqa: E402
from storage import citizens, feedback  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.services import ServiceRow  # noqa: E402

EXAMPLE = ROOT / "examples" / "riverside.toml"
TOKEN = "4242:BENCH-token"
NOW = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _approved(
    conn: aiosqlite.Connection,
    telegram_id: int,
    service: str,
    theme: str,
    at: datetime,
    hear_back: bool = True,
) -> int:
    citizen = await citizens.get_or_create(conn, telegram_id, at)
    item = await feedback.create(
        conn,
        citizen_id=citizen.id,
        service_slug=service,
        text="We waited far too long at the desk.",
        rating=2,
        hear_back=hear_back,
        now=at,
    )
    await feedback.save_tagging(
        conn,
        item,
        kind="complaint",
        redacted_text="",
        redactions="[]",
        themes=[(theme, 0.9, "model", "[]")],
        now=at,
    )
    await feedback.decide(
        conn,
        item,
        status="approved",
        published_text="We waited far too long at the desk.",
        reject_reason=None,
        moderator=1,
        now=at,
    )
    await feedback.mark_told(conn, item, at)
    return item


async def _deliver(contributors: int, workdir: Path) -> dict[str, Any]:
    from bot.app import YousaidBot
    from bot.config import Settings
    from bot.responses import Responses, Status
    from bot.roles import Who
    from emulator import Emulator, Limits

    deployment = load_deployment(EXAMPLE)
    db_path = workdir / "deliver.db"
    async with Emulator(token=TOKEN, limits=Limits()) as emu:
        people = [emu.person(f"Citizen {n}") for n in range(contributors)]
        async with Database(db_path) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
            )

            async def fill(conn: aiosqlite.Connection) -> None:
                for person in people:
                    await _approved(
                        conn, person.id, "library", "access_waiting", NOW - timedelta(days=2)
                    )

            await db.write(fill)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emu.api_url,
            DATABASE_URL=f"sqlite:///{db_path}",
            YOUSAID_LOG_LEVEL="WARNING",
        )
        bot = YousaidBot(settings, deployment, TOKEN, lambda: NOW)
        async with bot:
            responses: Responses = bot.responses
            admin = Who(telegram_id=1, admin=True)
            period = {"culture-leisure": (NOW - timedelta(days=7), NOW)}
            await responses.begin_theme(admin, 1, "access_waiting", period, "library")
            await responses.choose_status(admin, 1, Status.CHANGED)
            _progress(f"delivering to {contributors} contributors…")
            started = time.perf_counter()
            await responses.publish(admin, 1, 10**12, "A second desk opens on Saturdays.")
            job_queue = bot.application.job_queue
            assert job_queue is not None
            (job,) = job_queue.get_jobs_by_name("send-to-citizens")
            await job.run(bot.application)
            elapsed = time.perf_counter() - started
        sends = [
            c
            for c in emu.calls
            if c.method == "sendMessage" and "has responded" in str(c.params.get("text", ""))
        ]
        received = Counter(
            sum("has responded" in (m.text or "") for m in p.messages) for p in people
        )
    delivered = [c for c in sends if c.status == 200]
    first = min(c.time for c in delivered)
    last = max(c.time + c.duration for c in delivered)
    rate = (len(delivered) - 1) / (last - first) if len(delivered) > 1 else 0.0
    return {
        "contributors": contributors,
        "messages_delivered": len(delivered),
        "each_got_exactly_one": received == Counter({1: contributors}),
        "answers_429": sum(1 for c in sends if c.status == 429),
        "seconds_sending": round(last - first, 2),
        "seconds_publish_to_last": round(elapsed, 2),
        "messages_per_second": round(rate, 2),
        "telegram_limit_per_second": 30,
        "share_of_limit": round(rate / 30, 3),
        "goal_share_at_least": 0.9,
        "goal_met": rate / 30 >= 0.9
        and not any(c.status == 429 for c in sends)
        and received == Counter({1: contributors}),
    }


async def _report(items: int, runs: int, workdir: Path) -> dict[str, Any]:
    from bot.digest_content import Period
    from bot.evidence import evidence

    deployment = load_deployment(EXAMPLE)
    rows = [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
    themes = ["access_waiting", "staff_attitude", "communication", "environment"]
    start = NOW - timedelta(days=365)
    async with Database(workdir / "report.db") as db:
        await sync_services(db, rows)
        _progress(f"filling {items} items…")

        async def fill(conn: aiosqlite.Connection) -> None:
            for n in range(items):
                at = start + timedelta(seconds=n * 365 * 86400 // items)
                service = rows[n % len(rows)].slug
                item = await _approved(conn, 10**6 + n, service, themes[n % 4], at, n % 2 == 0)
                if n % 3 == 0:
                    cursor = await conn.execute(
                        "INSERT INTO responses (provider_id, service_slug, item_id, status,"
                        " text, author, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                        (
                            "p",
                            service,
                            item,
                            "changed" if n % 2 else "acknowledged",
                            "Thank you.",
                            (at + timedelta(days=2)).isoformat(),
                        ),
                    )
                    await conn.execute(
                        "INSERT INTO response_items (response_id, feedback_id) VALUES (?, ?)",
                        (cursor.lastrowid, item),
                    )

        await db.write(fill)
        week = Period(NOW - timedelta(days=7), NOW)
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            found = await evidence(db, rows, week)
            times.append(time.perf_counter() - began)
    return {
        "items_in_database": items,
        "items_in_week": found.total.items,
        "covered_in_week": found.total.covered,
        "ms_median": round(statistics.median(times) * 1000, 1),
        "ms_max": round(max(times) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Run both parts and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--contributors", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        report = {
            "benchmark": "loop",
            "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
            "delivery": asyncio.run(_deliver(args.contributors, workdir)),
            "report": asyncio.run(_report(args.items, args.runs, workdir)),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
