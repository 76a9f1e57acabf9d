"""Digest benchmark: what building one provider's digest costs as the database grows.

    .venv/bin/python -m benchmarks.digest [--sizes 10000,1000000] [--runs 9] > digest.json

(a) `build_time`: one provider's weekly digest (text, quotes, and chart on or off) built
    from a database of 10,000 and of 1,000,000 feedback items spread over two years. The
    provider receives the same number of items a week in both (about 90), the rest belong
    to other providers, so the ratio of the two times shows whether the cost follows the
    items in the period (goal: at most 2) or the size of the table.

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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    # Run as a file: import the project's packages, not this folder's modules (nlp.py).
    sys.path[0] = str(ROOT)

from bot.config import Provider  # noqa: E402
from bot.digest_content import Period, build_digest  # noqa: E402
from storage.db import Database, stamp  # noqa: E402
from storage.services import ServiceRow  # noqa: E402

GOAL_RATIO = 2.0
SIZES = (10_000, 1_000_000)
# The measured provider's items over the two years: about 90 a week, whatever the size.
PROVIDER_ITEMS = 9_000
YEARS = 2
# The measured week: the last full week of the data, Monday to Monday.
END = datetime(2026, 11, 9, tzinfo=UTC)
PERIOD = Period(END - timedelta(days=7), END)
PROVIDER = Provider(id="culture-leisure", name="Culture and Leisure", timezone="Europe/London")
SERVICES = [
    ServiceRow("library", "Central Library", "", PROVIDER.id),
    ServiceRow("parks", "Parks and green spaces", "", PROVIDER.id),
    ServiceRow("leisure-centre", "Riverside Leisure Centre", "", PROVIDER.id),
    ServiceRow("museum", "Town Museum", "", PROVIDER.id),
]
OTHER_PROVIDERS = 60
OTHER_SERVICES_EACH = 4
THEMES = {
    "access_waiting": "Access and waiting times",
    "staff_attitude": "Staff attitude",
    "staff_competence": "Staff competence",
    "communication": "Communication and information",
    "environment": "Cleanliness, environment and facilities",
    "cost_fees": "Cost and fees",
    "safety": "Safety",
    "accessibility": "Accessibility and inclusion",
    "digital": "Online and digital services",
    "activities": "Activities and events",
}
# Popular themes come up more often, as they do.
THEME_WEIGHTS = (30, 18, 8, 14, 16, 6, 4, 5, 9, 7)
KINDS = (
    "complaint",
    "complaint",
    "complaint",
    "compliment",
    "compliment",
    "suggestion",
    "question",
)
SENTENCES = (
    "I waited over forty minutes at the front desk before anyone came.",
    "The staff member was patient and explained everything clearly.",
    "The toilets were dirty again and the hand dryer has been broken for weeks.",
    "Booking online kept failing at the payment step.",
    "Prices went up without any notice on the website.",
    "The ramp at the side entrance is blocked by bins most mornings.",
    "My children loved the Saturday activities, thank you.",
    "Nobody answered the phone all week.",
    "It would help to have the opening hours on the door.",
    "The lights in the car park are out and it feels unsafe at night.",
    "Could you open earlier on weekdays for people who work?",
    "Great service as always.",
)


def fill(path: Path, total: int, seed: int = 1) -> dict[str, int]:
    """Make a database of `total` items over two years, fast: executemany in one transaction."""
    asyncio.run(_migrate(path))
    rng = np.random.default_rng(seed)
    others = [
        (f"svc-{p}-{s}", f"Service {s} of provider {p}", "", f"provider-{p}")
        for p in range(OTHER_PROVIDERS)
        for s in range(OTHER_SERVICES_EACH)
    ]
    slugs = np.array([s.slug for s in SERVICES] + [o[0] for o in others])
    start = END - timedelta(days=365 * YEARS)
    span_us = int((END - start).total_seconds() * 1e6)
    citizen_count = max(1_000, total // 5)
    share = min(1.0, PROVIDER_ITEMS / total)

    # Every column drawn at once (numpy), then zipped into rows: Python loops are the slow
    # part of a million-row fill, not SQLite.
    ids = np.arange(1, total + 1)
    # Ids follow time, as they do when items arrive one after another.
    created = np.datetime64(start.replace(tzinfo=None), "us") + (
        (ids - 0.5) * span_us / total
    ).astype("timedelta64[us]")
    moderated = created + rng.integers(5, 2 * 24 * 60, total).astype("timedelta64[m]")
    ours = rng.random(total) < share
    slug_index = np.where(
        ours, rng.integers(0, len(SERVICES), total), rng.integers(len(SERVICES), len(slugs), total)
    )
    roll = rng.random(total)
    status = np.where(roll < 0.85, "approved", np.where(roll < 0.95, "rejected", "pending"))
    status[moderated >= np.datetime64(END.replace(tzinfo=None), "us")] = "pending"
    texts = [" ".join(rng.permutation(SENTENCES)[: 1 + n % 4]) for n in range(200)]
    text = np.array(texts)[rng.integers(0, len(texts), total)]
    kinds = np.array(KINDS)[rng.integers(0, len(KINDS), total)]
    ratings = [
        None if r == 0 else r for r in rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5], total).tolist()
    ]
    created_s = [t + "+00:00" for t in np.datetime_as_string(created, unit="us").tolist()]
    moderated_s = [t + "+00:00" for t in np.datetime_as_string(moderated, unit="us").tolist()]
    citizens = rng.integers(1, citizen_count + 1, total).tolist()
    feedback_rows = [
        (
            n,
            citizens[i],
            slug,
            body,
            ratings[i],
            n % 2,
            state,
            created_s[i],
            created_s[i],
            created_s[i],
            kind,
            body,
            "[]",
            body if state == "approved" else None,
            "other" if state == "rejected" else None,
            None if state == "pending" else 100,
            None if state == "pending" else moderated_s[i],
            -1001,
            n,
        )
        for i, (n, slug, body, state, kind) in enumerate(
            zip(
                ids.tolist(),
                slugs[slug_index].tolist(),
                text.tolist(),
                status.tolist(),
                kinds.tolist(),
                strict=True,
            )
        )
    ]
    # One to three themes an item, popular ones more often.
    weights = np.array(THEME_WEIGHTS) / sum(THEME_WEIGHTS)
    theme_ids = list(THEMES)
    theme_rows: list[tuple[int, str, float, str, int]] = []
    for extra, chance in ((0, 1.0), (1, 0.4), (2, 0.15)):
        chosen = rng.random(total) < chance
        picks = rng.choice(len(theme_ids), total, p=weights)
        scores = np.round(rng.uniform(0.35, 1.0, total), 3)
        theme_rows.extend(
            (int(n), theme_ids[pick], float(score), "model", extra)
            for n, pick, score in zip(ids[chosen], picks[chosen], scores[chosen], strict=True)
        )
    # Keep the first of each (item, theme) pair, in item order: appends to the primary key.
    unique: dict[tuple[int, str], tuple[int, str, float, str]] = {}
    for row in sorted(theme_rows):
        unique.setdefault((row[0], row[1]), row[:4])
    in_period = int(
        np.sum(
            ours
            & (status == "approved")
            & (moderated >= np.datetime64(PERIOD.start.replace(tzinfo=None), "us"))
            & (moderated < np.datetime64(PERIOD.end.replace(tzinfo=None), "us"))
        )
    )

    conn = sqlite3.connect(path, isolation_level=None)
    # Only the fill is unsafe like this; the benchmark reads with the bot's own settings.
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    # Indexes are built once after the load (the same indexes, much faster than row by row).
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('feedback', 'item_themes', 'citizens')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.executemany(
        "INSERT INTO services (slug, name, description, provider_id) VALUES (?, ?, ?, ?)",
        [(s.slug, s.name, s.description, s.provider_id) for s in SERVICES] + others,
    )
    conn.executemany(
        "INSERT INTO citizens (id, telegram_id, created_at) VALUES (?, ?, ?)",
        [(n, 10**9 + n, stamp(start)) for n in range(1, citizen_count + 1)],
    )
    conn.executemany(
        "INSERT INTO feedback (id, citizen_id, service_slug, text, rating, hear_back, status,"
        " created_at, updated_at, tagged_at, kind, redacted_text, redactions, published_text,"
        " reject_reason, moderated_by, moderated_at, card_chat_id, card_message_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        feedback_rows,
    )
    conn.executemany(
        "INSERT INTO item_themes (feedback_id, theme_id, score, source) VALUES (?, ?, ?, ?)",
        list(unique.values()),
    )
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    conn.close()
    return {"items": total, "item_themes": len(unique), "provider_items_in_period": in_period}


async def _migrate(path: Path) -> None:
    async with Database(path):
        pass


async def _time_builds(paths: dict[int, Path], runs: int) -> dict[int, dict[str, Any]]:
    # The sizes take turns run by run, so a busy moment of the machine slows both alike.
    results: dict[int, dict[str, Any]] = {}
    databases = {size: await Database(path).open() for size, path in paths.items()}
    try:
        for size, db in databases.items():
            # The first build pays for imports, the font cache and a cold page cache.
            digest = await build_digest(
                db, provider=PROVIDER, services=SERVICES, period=PERIOD, labels=THEMES
            )
            results[size] = {"digest_items": digest.items, "text_chars": len(digest.text)}
        for chart in (False, True):
            times: dict[int, list[float]] = {size: [] for size in databases}
            for _ in range(runs):
                for size, db in databases.items():
                    began = time.perf_counter()
                    await build_digest(
                        db,
                        provider=PROVIDER,
                        services=SERVICES,
                        period=PERIOD,
                        labels=THEMES,
                        chart=chart,
                    )
                    times[size].append(time.perf_counter() - began)
            key = "chart_on" if chart else "chart_off"
            for size, measured in times.items():
                results[size][f"{key}_median_ms"] = round(statistics.median(measured) * 1000, 2)
                results[size][f"{key}_min_ms"] = round(min(measured) * 1000, 2)
    finally:
        for db in databases.values():
            await db.close()
    return results


def measure_build_time(sizes: tuple[int, ...] = SIZES, runs: int = 9) -> dict[str, Any]:
    """(a) Median time to build one provider's weekly digest at each database size."""
    by_size: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="yousaid-digest-bench-") as folder:
        paths = {size: Path(folder) / f"digest-{size}.db" for size in sizes}
        for size, path in paths.items():
            began = time.perf_counter()
            filled = fill(path, size)
            fill_s = time.perf_counter() - began
            print(f"filled {size} items in {fill_s:.1f}s: {filled}", file=sys.stderr)
            by_size[str(size)] = {
                **filled,
                "fill_s": round(fill_s, 1),
                "db_mb": round(path.stat().st_size / 2**20, 1),
            }
        for size, timing in asyncio.run(_time_builds(paths, runs)).items():
            print(f"built digests at {size}: {timing}", file=sys.stderr)
            by_size[str(size)].update(timing)
    small, large = by_size[str(min(sizes))], by_size[str(max(sizes))]
    ratio_off = large["chart_off_median_ms"] / small["chart_off_median_ms"]
    ratio_on = large["chart_on_median_ms"] / small["chart_on_median_ms"]
    return {
        "definition": (
            "wall time of build_digest (two tallies, quote choice and texts, text layout, "
            "and with chart_on the PNG) for one provider's last full week, median (and "
            f"minimum) of {runs} runs after one warm-up build, the database sizes taking "
            f"turns; a database of N feedback items over {YEARS} years, where the provider "
            f"gets ~{PROVIDER_ITEMS // (52 * YEARS)} items a week at every N and other "
            "providers the rest"
        ),
        "sizes": by_size,
        "ratio_chart_off": round(ratio_off, 3),
        "ratio_chart_on": round(ratio_on, 3),
        "goal_ratio_at_most": GOAL_RATIO,
        "goal_met": max(ratio_off, ratio_on) <= GOAL_RATIO,
    }


async def _send_to_providers(count: int, workdir: Path) -> dict[str, Any]:
    """Deliver one weekly digest to each of `count` providers through the emulator."""
    from datetime import UTC, datetime

    from bot.app import YousaidBot
    from bot.config import Deployment, Provider, Service, Settings
    from bot.digests import Digests
    from bot.intake import sync_services
    from emulator import Emulator, Limits
    from storage import citizens, feedback
    from storage.db import Database
    from storage.services import ServiceRow

    token = "4242:BENCH-token"
    monday = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)
    clock_now = [monday.replace(day=4)]

    def clock() -> datetime:
        return clock_now[0]

    async with Emulator(token=token, limits=Limits()) as emu:
        groups = [emu.group(f"Team {n}") for n in range(count)]
        providers = [
            Provider(id=f"team-{n}", name=f"Team {n}", chats=[g.id]) for n, g in enumerate(groups)
        ]
        services = [
            Service(slug=f"s-{n}", name=f"Service {n}", provider=f"team-{n}") for n in range(count)
        ]
        deployment = Deployment(name="Bench", providers=providers, services=services)
        db_path = workdir / "send.db"
        async with Database(db_path) as db:
            await sync_services(db, [ServiceRow(s.slug, s.name, "", s.provider) for s in services])

            async def fill_items(conn: Any) -> None:
                themes = ["access_waiting", "staff_attitude", "communication", "cleanliness"]
                for n in range(count):
                    for k in range(3):
                        moment = monday.replace(day=5 + k)
                        citizen = await citizens.get_or_create(conn, 10_000 + n * 10 + k, moment)
                        item = await feedback.create(
                            conn,
                            citizen_id=citizen.id,
                            service_slug=f"s-{n}",
                            text=f"The service was slow on day {k} and the staff were kind.",
                            rating=1 + (n + k) % 5,
                            hear_back=False,
                            now=moment,
                        )
                        await feedback.save_tagging(
                            conn,
                            item,
                            kind="complaint",
                            redacted_text="",
                            redactions="[]",
                            themes=[(themes[(n + k) % 4], 0.9, "model", "[]")],
                            now=moment,
                        )
                        await feedback.decide(
                            conn,
                            item,
                            status="approved",
                            published_text=f"The service was slow on day {k}.",
                            reject_reason=None,
                            moderator=1,
                            now=moment,
                        )

            await db.write(fill_items)
            await Digests(db, deployment, clock).schedule()  # the schedule counts from Wednesday
        clock_now[0] = monday
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            BOT_TOKEN=token,
            TELEGRAM_API_URL=emu.api_url,
            DATABASE_URL=f"sqlite:///{db_path}",
        )
        bot = YousaidBot(settings, deployment, token, clock)
        async with bot:
            job_queue = bot.application.job_queue
            assert job_queue is not None
            (job,) = job_queue.get_jobs_by_name("digest-catch-up")
            started = time.perf_counter()
            await job.run(bot.application)
            elapsed = time.perf_counter() - started
        sends = [c for c in emu.calls if c.method in ("sendMessage", "sendPhoto")]
    delivered = [c for c in sends if c.status == 200]
    first = min(c.time for c in delivered)
    last = max(c.time + c.duration for c in delivered)
    rate = (len(delivered) - 1) / (last - first) if len(delivered) > 1 else 0.0
    return {
        "providers": count,
        "messages_delivered": len(delivered),
        "answers_429": sum(1 for c in sends if c.status == 429),
        "seconds_sending": round(last - first, 2),
        "seconds_whole_job": round(elapsed, 2),
        "messages_per_second": round(rate, 2),
        "telegram_limit_per_second": 30,
        "share_of_limit": round(rate / 30, 3),
        "goal_share_at_least": 0.9,
        "goal_429": 0,
        "goal_met": rate / 30 >= 0.9 and not any(c.status == 429 for c in sends),
        "note": "emulator enforces Telegram's flood limits; each digest is a chart and a text",
    }


def measure_sending(providers: int = 300) -> dict[str, Any]:
    """Part (b): digests to many providers at Telegram's pace, with no 429."""
    import asyncio
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_send_to_providers(providers, Path(folder)))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark parts and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--providers", type=int, default=300)
    parser.add_argument("--part", choices=["a", "b", "both"], default="both")
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))
    report = {
        "benchmark": "digest",
        "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
    }
    if args.part in ("a", "both"):
        report["build_time"] = measure_build_time(sizes, args.runs)
    if args.part in ("b", "both"):
        report["sending"] = measure_sending(args.providers)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
