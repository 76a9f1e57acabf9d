"""Several instances: intake throughput on 1 and 3 instances, and the kill test's figures.

    .venv/bin/python -m benchmarks.scale [--citizens 150] [--latency 50]
        [--postgres postgresql://postgres@127.0.0.1:5432/test] [--kill-citizens 100]
        [--concurrency 16] > scale.json

Every configuration runs `python -m bot run` in webhook mode (YOUSAID_WEBHOOK_*), behind the
emulator's round-robin proxy, at the same emulated Bot API latency: 1 instance on SQLite, 1
on PostgreSQL, 3 on PostgreSQL. Citizens (all at once, each waiting for the bot's answer
before its next step) go through the whole 7-update conversation; updates/s is measured
updates over the wall time from the first action to the last answer. Each configuration
gets a fresh database (a new PostgreSQL schema, dropped afterwards). CPU per update is
counted for the bots, the PostgreSQL server and this process (emulator, proxy, citizens):
on a 2-core machine one instance already keeps most of both cores busy, so a second
series gives each instance only 4 updates at once, where one instance waits on the API
rather than the CPU, to show what instances add where cores are not the limit.

Then the kill test: 3 instances on PostgreSQL, `--kill-citizens` citizens; one instance is
SIGKILLed once 30% of them have been told their reference, taken out of the proxy until it
is restarted and healthy. Counted from the database afterwards: `lost` (updates Telegram
sent that were never handled, plus references a citizen was told that do not exist),
`duplicates` (a citizen's story saved more than once) and `duplicate_digests` (a provider's
digest period sent more than once to a chat).

Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)

from benchmarks.intake import (  # noqa: E402
    REPLIES,
    TOKEN,
    CallWatch,
    conversation,
    converse,
    deployment_file,
    log,
    machine,
    services_of,
    source_version,
)

if TYPE_CHECKING:
    pass

SECRET = "bench-secret-0123456789"
READY_TIMEOUT = 90.0
GOAL_SPEEDUP = 1.5
GOAL_POSTGRES_VS_SQLITE = 0.7
KILL_SHARE = 0.3
LATENCY_BOUND_CONCURRENCY = 4
# Few enough that one instance answers every press within Telegram's 15 s.
LATENCY_BOUND_CITIZENS = 60


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fresh_database(engine: str, postgres: str, workdir: Path) -> Iterator[str]:
    """A DATABASE_URL of its own: a SQLite file, or a new PostgreSQL schema (dropped after)."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    from storage.postgres import conninfo, with_schema

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(postgres), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield with_schema(postgres, schema)
    finally:
        with psycopg.connect(conninfo(postgres), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


class Instance:
    """One `python -m bot run` in webhook mode, listening on its own port."""

    def __init__(
        self,
        url: str,
        api_url: str,
        proxy_url: str,
        config: Path,
        workdir: Path,
        **extra: str,
    ) -> None:
        self.extra = extra
        self.port = free_port()
        self.url = url
        self.api_url = api_url
        self.proxy_url = proxy_url
        self.config = config
        self.workdir = workdir
        self.log = workdir / f"instance-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        # Where cProfile writes this instance's profile on exit (--profile).
        self.profile: Path | None = None

    @property
    def backend(self) -> str:
        """Its address, for the proxy."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the process."""
        env = dict(os.environ)
        env.update(
            PYTHONPATH=str(ROOT),
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=self.api_url,
            DATABASE_URL=self.url,
            YOUSAID_MODELS_DIR=str(self.workdir / "models"),
            YOUSAID_CONFIG=str(self.config),
            YOUSAID_LOG_LEVEL="WARNING",
            YOUSAID_MAX_MESSAGES_PER_SECOND="0",
            YOUSAID_GROUP_MESSAGES_PER_MINUTE="0",
            YOUSAID_WEBHOOK_URL=f"{self.proxy_url}/telegram",
            YOUSAID_WEBHOOK_LISTEN=f"127.0.0.1:{self.port}",
            YOUSAID_WEBHOOK_SECRET=SECRET,
            **self.extra,
        )
        with self.log.open("ab") as out:
            profiler = [] if self.profile is None else ["-m", "cProfile", "-o", str(self.profile)]
            self.proc = subprocess.Popen(
                [sys.executable, *profiler, "-m", "bot", "run"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )

    async def healthy(self) -> None:
        """Wait until it answers /healthz with 200."""
        import aiohttp

        deadline = time.monotonic() + READY_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    tail = self.log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"an instance exited ({self.proc.returncode}):\n{tail}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.backend}/healthz") as answer:
                        if answer.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise TimeoutError("an instance did not become healthy in time")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crashed machine."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 15 s); the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.proc.wait, 15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def cpu_seconds(bots: list[Instance]) -> dict[str, float]:
    """CPU seconds used so far by the bots, the PostgreSQL server, and this process (the
    emulator, the proxy and the citizens)."""
    import psutil

    def used(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    bots_cpu = sum(used(psutil.Process(b.proc.pid)) for b in bots if b.proc is not None)
    server = sum(
        used(p) for p in psutil.process_iter(["username"]) if p.info["username"] == "postgres"
    )
    return {"bots": bots_cpu, "postgresql": server, "harness": time.process_time()}


async def intake(
    engine: str,
    instances: int,
    citizens: int,
    latency_ms: float,
    postgres: str,
    workdir: Path,
    concurrency: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Citizens through `instances` webhook instances on `engine`; the figures (with a
    `profile` folder, each instance runs under cProfile and writes its profile there)."""
    from emulator import Emulator, Limits
    from emulator.proxy import RoundRobinProxy

    service_names = services_of(ROOT / "examples" / "riverside.toml")
    watch = CallWatch()
    replies = REPLIES["full"]
    emu = Emulator(token=TOKEN, latency=latency_ms / 1000, limits=Limits.unlimited())
    emu.calls = watch
    with fresh_database(engine, postgres, workdir) as url:
        async with emu, RoundRobinProxy([]) as proxy:
            moderators = emu.group("Riverside moderators", supergroup=True)
            config = deployment_file(workdir, moderators.id)
            bots = [
                Instance(
                    url,
                    emu.api_url,
                    proxy.url,
                    config,
                    workdir,
                    YOUSAID_CONCURRENT_UPDATES=str(concurrency),
                )
                for _ in range(instances)
            ]
            if profile is not None:
                for i, bot in enumerate(bots):
                    bot.profile = profile / f"{engine}-{instances}-{i}.prof"
            try:
                # One at a time: the first migrates and sets the webhook. Each joins the
                # proxy once healthy, as a load balancer's health check would have it.
                for bot in bots:
                    bot.start()
                    await bot.healthy()
                    proxy.backends = [*proxy.backends, bot.backend]
                warm = [emu.person(f"Warm {i}") for i in range(5)]
                await asyncio.gather(
                    *(
                        converse(p, conversation(i, service_names), watch, replies)
                        for i, p in enumerate(warm)
                    )
                )
                people = [emu.person(f"Citizen {i}") for i in range(citizens)]
                updates = sum(len(conversation(i, service_names)) for i in range(citizens))
                before = cpu_seconds(bots)
                started = time.monotonic()
                await asyncio.gather(
                    *(
                        converse(p, conversation(i, service_names), watch, replies)
                        for i, p in enumerate(people)
                    )
                )
                wall = time.monotonic() - started
                after = cpu_seconds(bots)
                unsaved = [
                    p for p in people if "Saved as #" not in ((p.last and p.last.text) or "")
                ]
                if unsaved:
                    raise RuntimeError(
                        f"{len(unsaved)} citizens were not told their item was saved"
                    )
            finally:
                codes = [await bot.stop() for bot in bots]
    rate = round(updates / wall, 1)
    spent = {name: after[name] - before[name] for name in after}
    cores = sum(spent.values()) / wall
    log(
        f"{instances} instance(s) on {engine} at {latency_ms:g} ms, {concurrency} updates at"
        f" once each: {rate} updates/s, {cores:.2f} cores busy"
    )
    return {
        "engine": engine,
        "instances": instances,
        "concurrent_updates_per_instance": concurrency,
        "citizens": citizens,
        "updates": updates,
        "wall_s": round(wall, 2),
        "updates_per_s": rate,
        "cpu_ms_per_update": {name: round(1000 * v / updates, 2) for name, v in spent.items()},
        "cores_busy": round(cores, 2),
        "exit_codes": codes,
    }


async def until(condition: Any, within: float) -> None:
    """Wait until `condition()` holds (`within` seconds bounds a failure)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (the emulator's state, polled)
            await asyncio.sleep(0.05)


async def kill_test(
    citizens: int, latency_ms: float, postgres: str, workdir: Path
) -> dict[str, Any]:
    """Three instances, one SIGKILLed mid-way and restarted; what was lost or doubled."""
    from datetime import UTC, datetime, timedelta

    import psycopg

    from bot.config import load_deployment
    from bot.digests import Digests
    from bot.intake import sync_services
    from emulator import Emulator, Limits
    from emulator.proxy import RoundRobinProxy
    from storage.engines import database_for
    from storage.postgres import conninfo
    from storage.services import ServiceRow

    service_names = services_of(ROOT / "examples" / "riverside.toml")
    watch = CallWatch()
    replies = REPLIES["full"]
    emu = Emulator(token=TOKEN, latency=latency_ms / 1000, limits=Limits.unlimited())
    emu.calls = watch
    with fresh_database("postgres", postgres, workdir) as url:
        async with emu, RoundRobinProxy([]) as proxy:
            staff = emu.person("Pat")
            moderators = emu.group("Riverside moderators", supergroup=True)
            config = deployment_file(workdir, moderators.id)
            deployment = load_deployment(config)
            # Each provider's chats are groups the emulator knows, so digests are delivered.
            text = config.read_text(encoding="utf-8")
            teams: dict[str, Any] = {}
            for n, provider in enumerate(deployment.providers):
                teams[provider.id] = emu.group(f"Team {n}", members=[staff])
                for chat in provider.chats:
                    text = text.replace(str(chat), str(teams[provider.id].id))
            config.write_text(text, encoding="utf-8")
            deployment = load_deployment(config)
            async with database_for(url) as db:
                await sync_services(
                    db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
                )
                # A fortnight of schedule: every instance finds past periods due at once.
                past = datetime.now(UTC) - timedelta(days=15)
                await Digests(db, deployment, lambda: past).schedule()
            # A dead instance's chats and scheduled work are taken over after 5 s.
            bots = [
                Instance(
                    url,
                    emu.api_url,
                    proxy.url,
                    config,
                    workdir,
                    YOUSAID_CHAT_TURN_SECONDS="5",
                    YOUSAID_LEASE_SECONDS="5",
                )
                for _ in range(3)
            ]
            people = [emu.person(f"Citizen {i}") for i in range(citizens)]
            told: dict[int, set[int]] = {}
            unanswered: dict[int, str] = {}
            try:
                for bot in bots:
                    bot.start()
                    await bot.healthy()
                    proxy.backends = [*proxy.backends, bot.backend]
                started = time.monotonic()

                async def citizen(i: int) -> None:
                    try:
                        await converse(people[i], conversation(i, service_names), watch, replies)
                    except (TimeoutError, RuntimeError) as exc:
                        # Counted and shown, not fatal: what the database says is the verdict.
                        unanswered[people[i].id] = str(exc)
                        return
                    last = (people[i].last and people[i].last.text) or ""
                    if "Saved as #" in last:
                        number = last.split("Saved as #", 1)[1].split()[0].strip("().,")
                        told.setdefault(i, set()).add(int(number))

                driving = asyncio.gather(*(citizen(i) for i in range(citizens)))
                await until(lambda: len(told) >= citizens * KILL_SHARE, 120)
                bots[0].kill()
                killed_at = time.monotonic() - started
                log(f"killed one instance after {len(told)} citizens were told their reference")
                proxy.backends = [b.backend for b in bots[1:]]
                bots[0].start()
                await bots[0].healthy()
                proxy.backends = [b.backend for b in bots]
                await asyncio.wait_for(driving, timeout=300)
                await emu.wait_delivered(timeout=120)
                wall = time.monotonic() - started

                def unfinished() -> int:
                    with psycopg.connect(conninfo(url)) as conn:
                        row = conn.execute(
                            "SELECT (SELECT COUNT(*) FROM updates WHERE handled_at IS NULL)"
                            " + (SELECT COUNT(*) FROM digest_deliveries"
                            " WHERE state IN ('pending', 'sending'))"
                        ).fetchone()
                    return int(row[0]) if row else 0

                # What the dead instance held is taken over within the turn and the lease.
                with contextlib.suppress(TimeoutError):
                    await until(lambda: not unfinished(), 120)
                await emu.idle(quiet=1.0, timeout=60)
            finally:
                codes = [await bot.stop() for bot in bots]
            issued = set(emu.updates.history)
            sent_to: dict[int, list[int]] = {}
            for update_id, update in emu.updates.history.items():
                body = update.get("message") or update.get("callback_query") or {}
                sender = (body.get("from") or {}).get("id")
                if sender in unanswered:
                    sent_to.setdefault(sender, []).append(update_id)
            with psycopg.connect(conninfo(url)) as conn:
                handled = {
                    int(r[0])
                    for r in conn.execute(
                        "SELECT update_id FROM updates WHERE handled_at IS NOT NULL"
                    ).fetchall()
                }
                items = dict(conn.execute("SELECT id, text FROM feedback").fetchall())
                # By update id: a handled update no longer says whose it was.
                stuck_updates = {
                    chat: conn.execute(
                        "SELECT update_id, received_at, handled_at FROM updates"
                        " WHERE update_id = ANY(%s) ORDER BY update_id",
                        (sent_to.get(chat, []),),
                    ).fetchall()
                    for chat in unanswered
                }
                per_citizen = [
                    int(r[0])
                    for r in conn.execute(
                        "SELECT COUNT(*) FROM feedback GROUP BY citizen_id"
                    ).fetchall()
                ]
                digests = conn.execute("SELECT id, provider_id FROM digests").fetchall()
            sent = Counter(
                (team_id, m.text or "")
                for team_id, team in teams.items()
                for m in team.messages
                if m.photo is None and m.text
            )
    missing_refs = sum(1 for refs in told.values() for ref in refs if ref not in items)
    return {
        "citizens": citizens,
        "instances": 3,
        "killed_after_s": round(killed_at, 2),
        "wall_s": round(wall, 2),
        "updates_sent_by_telegram": len(issued),
        "references_told": sum(len(r) for r in told.values()),
        "lost": len(issued - handled) + missing_refs,
        # Each citizen has one conversation, so one item; more is an item saved twice.
        "duplicates": sum(n - 1 for n in per_citizen if n > 1),
        "items_saved": len(items),
        # Citizens whose step was not answered in time (a press answered after Telegram's
        # 15 s cannot be answered at all): their updates as the database has them.
        "unanswered": {
            str(chat): {
                "why": why,
                "telegram_sent": sent_to.get(chat, []),
                "pending_at_telegram": [
                    u["update_id"]
                    for u in emu.updates.pending
                    if u["update_id"] in sent_to.get(chat, [])
                ],
                "saved": [list(map(str, r)) for r in stuck_updates[chat]],
            }
            for chat, why in unanswered.items()
        },
        "digest_periods": len(digests),
        "duplicate_digests": sum(n - 1 for n in sent.values() if n > 1),
        "exit_codes": codes,
    }


async def benchmark(options: argparse.Namespace) -> dict[str, Any]:
    """Every measurement, and the verdict."""
    root = Path(tempfile.mkdtemp(prefix="yousaid-scale-"))
    runs: dict[str, dict[str, Any]] = {}
    for name, engine, count in (
        ("sqlite_1", "sqlite", 1),
        ("postgres_1", "postgres", 1),
        ("postgres_3", "postgres", 3),
    ):
        if options.only and name != options.only:
            continue
        workdir = root / name
        workdir.mkdir()
        runs[name] = await intake(
            engine,
            count,
            options.citizens,
            options.latency,
            options.postgres,
            workdir,
            options.concurrency,
            options.profile,
        )
    if options.only:
        # One configuration alone (to profile it): its figures, no verdict.
        return {"benchmark": "scale", "source": source_version(), "intake": runs}
    # The same with few updates at once per instance: one instance is then bound by the
    # API's latency, not by the machine's cores, as it would be on a machine with cores to
    # spare, and what instances add is seen apart from what two cores allow.
    bound: dict[str, dict[str, Any]] = {}
    for name, count in (("postgres_1", 1), ("postgres_3", 3)):
        workdir = root / f"bound-{name}"
        workdir.mkdir()
        bound[name] = await intake(
            "postgres",
            count,
            LATENCY_BOUND_CITIZENS,
            options.latency,
            options.postgres,
            workdir,
            LATENCY_BOUND_CONCURRENCY,
        )
    killdir = root / "kill"
    killdir.mkdir()
    kill = await kill_test(options.kill_citizens, options.latency, options.postgres, killdir)
    speedup = runs["postgres_3"]["updates_per_s"] / runs["postgres_1"]["updates_per_s"]
    versus = runs["postgres_1"]["updates_per_s"] / runs["sqlite_1"]["updates_per_s"]
    return {
        "benchmark": "scale",
        "source": source_version(),
        "latency_ms": options.latency,
        "mode": "webhook, behind emulator.proxy.RoundRobinProxy, emulator max_connections 40",
        "intake": runs,
        "speedup_3": round(speedup, 3),
        "latency_bound": {
            "definition": (
                f"each instance handles {LATENCY_BOUND_CONCURRENCY} updates at once, so one"
                f" instance waits on the API rather than on the CPU; {LATENCY_BOUND_CITIZENS}"
                " citizens"
            ),
            "intake": bound,
            "speedup_3": round(
                bound["postgres_3"]["updates_per_s"] / bound["postgres_1"]["updates_per_s"], 3
            ),
        },
        "postgres_1_vs_sqlite_1": round(versus, 3),
        "kill_test": kill,
        "lost": kill["lost"],
        "duplicates": kill["duplicates"],
        "duplicate_digests": kill["duplicate_digests"],
        "goals": {
            "speedup_3": GOAL_SPEEDUP,
            "postgres_1_vs_sqlite_1": GOAL_POSTGRES_VS_SQLITE,
            "lost": 0,
            "duplicates": 0,
            "duplicate_digests": 0,
        },
        "met": speedup >= GOAL_SPEEDUP
        and versus >= GOAL_POSTGRES_VS_SQLITE
        and kill["lost"] == 0
        and kill["duplicates"] == 0
        and kill["duplicate_digests"] == 0,
        "machine": machine(),
        "workdir": str(root),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=150)
    parser.add_argument("--latency", type=float, default=50.0, help="emulated Bot API ms")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "YOUSAID_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--kill-citizens", type=int, default=100)
    parser.add_argument(
        "--concurrency", type=int, default=16, help="YOUSAID_CONCURRENT_UPDATES per instance"
    )
    parser.add_argument(
        "--only",
        choices=("sqlite_1", "postgres_1", "postgres_3"),
        help="run this intake configuration alone (no verdict)",
    )
    parser.add_argument(
        "--profile", type=Path, help="run the instances under cProfile, profiles to this folder"
    )
    options = parser.parse_args(argv)
    if options.profile is not None:
        options.profile.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(benchmark(options))
    print(json.dumps(result, indent=2))
    return 0 if result.get("met") else 1


if __name__ == "__main__":
    sys.exit(main())
