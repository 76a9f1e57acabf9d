"""Intake throughput: simulated citizens through a bare python-telegram-bot bot and the full bot.

    .venv/bin/python -m benchmarks.intake [--citizens 200] [--latencies 0,50] [--repeat 1]
        [--profile DIR] > intake.json

For each emulated Bot API latency, N simulated citizens (all at once, each waiting for the
bot's reply before its next step) go through the whole conversation, 7 updates each, first
against a bare bot (one sendMessage or answerCallbackQuery per update) and then against the
full bot. Each bot runs in its own process, with 16 concurrent updates and a connection pool
of 16 + 4; the emulator and the citizens run here. Prints one JSON object on stdout; progress
goes to stderr. `--bare-bot` runs the bare bot itself (the benchmark starts it that way);
`--profile DIR` samples each bot's CPU into collapsed-stack files. A bot that does not stop
within 10 s of SIGTERM is killed and reported with exit_code -9.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from emulator import Call, Emulator, Person

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    # Run as a file: import the project's packages, not this folder's modules (nlp.py).
    sys.path[0] = str(ROOT)
EXAMPLE = ROOT / "examples" / "riverside.toml"
TOKEN = "4242424242:BENCH-token-not-real"
BOT_USERNAME = "riverside_yousaid_bot"
# The update types both bots ask for (the full bot's list, bot.processing.ALLOWED_UPDATES).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
GOAL_RATIO = 0.5
# Updates of one conversation, but for a service with sites: one more (the place asked).
UPDATES_PER_CITIZEN = 7
BARE_REPLY = "Thank you."
STEP_TIMEOUT = 120.0
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
PROFILE_INTERVAL = 0.005  # seconds of CPU time between stack samples

STORIES = (
    "The study room upstairs was freezing all afternoon and the heating seemed off.",
    "Our recycling was missed again on Elm Road, third time this month.",
    "The 42 was twenty minutes late twice this week and I was late for work.",
    "Rang at 8am for an appointment and was told to call back tomorrow again.",
    "The swings in Riverside Park have been broken for six weeks.",
    "The lady at the help desk sorted my single person discount in minutes.",
)

# The API calls that answer a citizen's action, by bot: the full bot answers a press and
# edits the pressed message in place (both at once); the bare bot only answers it.
REPLIES: dict[str, dict[str, tuple[str, ...]]] = {
    "bare": {"send": ("sendMessage",), "press": ("answerCallbackQuery",)},
    "full": {"send": ("sendMessage",), "press": ("answerCallbackQuery", "editMessageText")},
}

LATENCY_DEFINITION = (
    "per update: from the moment the simulated citizen's action is queued in the emulator "
    "(the update becomes available to getUpdates) to the moment the emulator has finished "
    "the last Bot API call that answers it (bare bot: its sendMessage or "
    "answerCallbackQuery; full bot: sendMessage for a message, and both answerCallbackQuery "
    "and editMessageText for a button press), including the emulated latency on every call "
    "(getUpdates too) and any time the update waits behind others; calls to other chats "
    "(the full bot's cards to the moderators' chat) are not part of it but are counted in "
    "api_calls_elsewhere. The load is a closed "
    "loop (each citizen has one update outstanding), so with more citizens than concurrent "
    "updates most of it is queueing: about citizens / updates_per_s"
)
THROUGHPUT_DEFINITION = (
    "updates_per_s = measured updates (citizens x 7, one more where the place is asked) / "
    "wall time from the first citizen's first action to the last reply; "
    "warm-up citizens are not measured"
)
FLOOD_CONTROL = (
    "off: the emulator runs with Limits.unlimited() and the full bot with "
    "YOUSAID_MAX_MESSAGES_PER_SECOND=0 and YOUSAID_GROUP_MESSAGES_PER_MINUTE=0, so this "
    "measures the bots, not Telegram's limits (about 30 messages/s overall, 20 a minute to "
    "a group). The full bot's per-private-chat limit stays on, but a citizen gets only two "
    "messages (edits and button answers do not count), well within its burst"
)


@dataclass(frozen=True)
class Action:
    """One thing a citizen does: send a text or press a button."""

    kind: str  # "send" or "press"
    value: str


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[intake] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# -- the bare bot (its own process) ------------------------------------------------------


def bare_bot_main() -> int:
    """Run the bare bot: one sendMessage per message, one answerCallbackQuery per press."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    concurrency = int(os.environ["BENCH_CONCURRENT_UPDATES"])
    labels: list[str] = json.loads(os.environ["BENCH_LABELS"])
    # Every reply carries every button a citizen will press, so the conversation can go on.
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"b:{i}")] for i, label in enumerate(labels)]
    )
    application = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_URL"])
        .concurrent_updates(concurrency)
        .connection_pool_size(concurrency + 4)
        .pool_timeout(10)
        .build()
    )

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(BARE_REPLY, reply_markup=markup)

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()

    application.add_handler(CallbackQueryHandler(on_press))
    application.add_handler(MessageHandler(filters.ALL, on_message))
    application.run_polling(allowed_updates=ALLOWED_UPDATES, timeout=30)
    return 0


# -- profiling a bot (inside its process) -------------------------------------------------


def run_sampled(out: Path, target: list[str]) -> int:
    """Run `python <target...>` here, sampling the main thread's stack per 5 ms of CPU time.

    Writes collapsed stacks ("frame;frame;frame count" lines, for flamegraph.pl or
    speedscope). SIGPROF counts CPU time, so time spent waiting for a core is not charged;
    CPU burnt in other threads (aiosqlite's, to_thread's) lands on whatever the main thread
    was doing, mostly the event loop's select. Each sample also wakes the event loop through
    asyncio's signal wakeup fd: 1-2% more CPU.
    """
    import runpy

    stacks: Counter[str] = Counter()

    def sample(signum: int, frame: FrameType | None) -> None:
        names = []
        while frame is not None:
            code = frame.f_code
            names.append(f"{code.co_name} ({_short_path(code.co_filename)})")
            frame = frame.f_back
        stacks[";".join(reversed(names))] += 1

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, PROFILE_INTERVAL, PROFILE_INTERVAL)
    code: object = 0
    try:
        if target[0] == "-m":
            sys.argv = target[1:]
            runpy.run_module(target[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = target
            runpy.run_path(target[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        out.write_text("".join(f"{stack} {count}\n" for stack, count in stacks.most_common()))
    return 0 if code is None else code if isinstance(code, int) else 1


def _short_path(filename: str) -> str:
    short = re.sub(r"^.*/(site-packages|lib/python3\.\d+)/", "", filename)
    return short.removeprefix(f"{ROOT}/")


# -- watching the bot's calls -----------------------------------------------------------


@dataclass
class _Expected:
    remaining: Counter[str]
    future: asyncio.Future[float]


class CallWatch(list["Call"]):
    """The emulator's call log, which also tells a waiting citizen when she has her answer."""

    def __init__(self) -> None:
        super().__init__()
        self.chat_of_query: dict[str, int] = {}
        self._waiting: dict[int, _Expected] = {}

    def expect(self, chat_id: int, methods: tuple[str, ...]) -> asyncio.Future[float]:
        """A future for when the bot has made these calls for this chat (monotonic time)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id] = _Expected(Counter(methods), future)
        return future

    def append(self, call: Call) -> None:
        """Record a finished call (the emulator does this) and settle what it answers."""
        super().append(call)
        chat_id = self.chat_of(call)
        expected = self._waiting.get(chat_id) if chat_id is not None else None
        if expected is None or expected.future.done():
            return
        if not call.ok:
            description = call.response.get("description")
            expected.future.set_exception(
                RuntimeError(f"{call.method} failed: {call.status} {description}")
            )
            return
        if expected.remaining[call.method] > 0:
            expected.remaining[call.method] -= 1
        if not +expected.remaining:
            expected.future.set_result(time.monotonic())

    def chat_of(self, call: Call) -> int | None:
        """The chat a call was about (a press's chat for answerCallbackQuery), if any."""
        chat = call.params.get("chat_id")
        if chat is None:
            query = call.params.get("callback_query_id")
            return self.chat_of_query.get(str(query)) if query is not None else None
        try:
            return int(chat)
        except (TypeError, ValueError):
            return None


# -- the bot process ---------------------------------------------------------------------


class BotProcess:
    """One bot (bare or full) in its own process, pointed at the emulator."""

    def __init__(
        self, kind: str, api_url: str, workdir: Path, concurrency: int, profile: Path | None
    ) -> None:
        self.kind = kind
        self.api_url = api_url
        self.workdir = workdir
        self.concurrency = concurrency
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_path = workdir / f"{kind}.stderr"

    def start(self, labels: list[str], config: Path) -> None:
        """Start the process (it connects and starts polling on its own)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["BOT_TOKEN"] = TOKEN
        env["TELEGRAM_API_URL"] = self.api_url
        if self.kind == "full":
            env.update(
                DATABASE_URL=f"sqlite:///{self.workdir / 'bench.db'}",
                YOUSAID_CONFIG=str(config),
                YOUSAID_CONCURRENT_UPDATES=str(self.concurrency),
                YOUSAID_MAX_MESSAGES_PER_SECOND="0",
                YOUSAID_GROUP_MESSAGES_PER_MINUTE="0",
                YOUSAID_POLL_TIMEOUT="30",
                YOUSAID_LOG_LEVEL="WARNING",
            )
            target = ["-m", "bot", "run"]
        else:
            env.update(
                BENCH_CONCURRENT_UPDATES=str(self.concurrency), BENCH_LABELS=json.dumps(labels)
            )
            target = ["-m", "benchmarks.intake", "--bare-bot"]
        prefix = []
        if self.profile is not None:
            prefix = ["-m", "benchmarks.intake", "--sampled", str(self.profile)]
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, *prefix, *target],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid

    def _check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            tail = self.stderr_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {self.kind} bot exited ({self.proc.returncode}):\n{tail}")

    async def ready(self, emu: Emulator) -> None:
        """Wait until the bot is long-polling getUpdates."""
        deadline = time.monotonic() + READY_TIMEOUT
        while emu.poller is None or emu.poller.done():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {self.kind} bot did not start polling in time")
            await asyncio.sleep(0.02)

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        import psutil

        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def main_thread_cpu_seconds(self) -> float:
        """CPU time of the main thread (the event loop), without aiosqlite's or to_thread's."""
        import psutil

        for thread in psutil.Process(self.pid).threads():
            if thread.id == self.pid:
                return float(thread.user_time + thread.system_time)
        return 0.0

    def peak_rss_mb(self) -> float:
        """The process's peak resident set size (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc/<pid>/status")

    async def stop(self) -> int:
        """SIGTERM, wait for a clean exit (else SIGKILL); return the exit code (-9 if killed)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.proc.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"the {self.kind} bot did not stop within {STOP_TIMEOUT:.0f} s; killing it")
                self.proc.kill()
        return self.proc.wait()


# -- citizens -----------------------------------------------------------------------------


def conversation(index: int, services: list[Service]) -> list[Action]:
    """One citizen's whole conversation: 7 updates, and the place where the service asks."""
    from handlers import texts

    name, site = services[index % len(services)]
    actions = [
        Action("send", "/start"),
        Action("press", texts.CONSENT_YES),
        Action("press", name),
        Action("send", STORIES[index % len(STORIES)]),
    ]
    if site is not None:
        actions.append(Action("press", site))
    return [
        *actions,
        Action("press", texts.RATING_LABELS[index % len(texts.RATING_LABELS)]),
        Action("press", texts.YES if index % 2 else texts.NO),
        Action("press", texts.YES if index % 3 == 0 else texts.NO),
    ]


# A service's name, and the site a citizen picks where the bot asks which (two or more).
Service = tuple[str, str | None]


def services_of(path: Path) -> list[Service]:
    """The services of a deployment file, as citizens pick them."""
    from bot.config import load_deployment

    return [
        (s.name, s.sites[0].name if len(s.sites) > 1 else None)
        for s in load_deployment(path).services
    ]


def button_labels(services: list[Service]) -> list[str]:
    """Every label a citizen presses, once each (the bare bot offers them all)."""
    from handlers import texts

    picked = [label for service in services for label in service if label is not None]
    labels = [texts.CONSENT_YES, *picked, *texts.RATING_LABELS, texts.YES, texts.NO]
    return list(dict.fromkeys(labels))


def deployment_file(workdir: Path, moderators_chat: int) -> Path:
    """The example deployment, its moderators' chat in the emulator and no admins.

    (The example's admin id is the first id the emulator gives a person.)
    """
    from bot.config import load_deployment

    text = EXAMPLE.read_text(encoding="utf-8")
    for key, value in (("moderators_chat", str(moderators_chat)), ("admins", "[]")):
        text, found = re.subn(rf"(?m)^{key}\s*=.*$", f"{key} = {value}", text)
        if not found:
            text = f"{key} = {value}\n{text}"
    path = workdir / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    deployment = load_deployment(path)
    assert deployment.moderators_chat == moderators_chat and not deployment.admins
    return path


async def converse(
    person: Person, actions: list[Action], watch: CallWatch, replies: dict[str, tuple[str, ...]]
) -> list[tuple[float, float]]:
    """Do each action and wait for the bot's answer; return (acted, answered) times."""
    spans = []
    for action in actions:
        answered = watch.expect(person.id, replies[action.kind])
        acted = time.monotonic()
        if action.kind == "send":
            await person.send(action.value)
        else:
            press = await person.press(action.value)
            # press() queued the update without yielding: the bot cannot have answered yet.
            watch.chat_of_query[press.id] = person.id
        try:
            done = await asyncio.wait_for(answered, STEP_TIMEOUT)
        except TimeoutError:
            raise TimeoutError(
                f"{person.first_name}: no answer to {action} within {STEP_TIMEOUT:.0f} s"
            ) from None
        spans.append((acted, done))
    return spans


# -- one measurement ------------------------------------------------------------------------


class CpuTimes(NamedTuple):
    """CPU seconds used so far: the bot, its main thread, this process, the whole machine."""

    bot: float
    bot_main_thread: float
    emulator: float
    machine: float

    @classmethod
    def now(cls, bot: BotProcess) -> CpuTimes:
        """The counters now."""
        return cls(
            bot.cpu_seconds(),
            bot.main_thread_cpu_seconds(),
            time.process_time(),
            busy_cpu_seconds(),
        )

    def __sub__(self, other: tuple[float, ...]) -> CpuTimes:
        """The CPU used between two snapshots."""
        return CpuTimes(*(a - b for a, b in zip(self, other, strict=True)))


@dataclass
class Window:
    """What happened while the measured citizens talked to the bot."""

    spans: list[tuple[float, float]]
    calls: list[Call]
    to_citizens: list[bool]  # per call: whether it answers a measured citizen
    expected: Counter[str]
    cpu: CpuTimes
    peak_rss_mb: float = 0.0
    exit_code: int = 0
    moderation: dict[str, Any] | None = None


async def measure(
    kind: str, latency_ms: float, options: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    """Run warm-up then measured citizens through one bot at one latency; return the figures."""
    from emulator import Emulator, Limits

    service_names = services_of(EXAMPLE)
    replies = REPLIES[kind]
    watch = CallWatch()
    emu = Emulator(
        token=TOKEN,
        bot_username=BOT_USERNAME,
        latency=latency_ms / 1000,
        limits=Limits.unlimited(),
    )
    emu.calls = watch
    profile = None
    if options.profile is not None:
        profile = options.profile / f"{workdir.name}.folded"
    async with emu:
        # The moderators' chat exists, so the full bot's cards to it are delivered.
        moderators = emu.group("Riverside moderators", supergroup=True)
        config = deployment_file(workdir, moderators.id)
        bot = BotProcess(kind, emu.api_url, workdir, options.concurrency, profile)
        bot.start(button_labels(service_names), config)
        try:
            await bot.ready(emu)
            await asyncio.gather(
                *(
                    converse(
                        emu.person(f"Warm {i}"), conversation(i, service_names), watch, replies
                    )
                    for i in range(options.warmup)
                )
            )
            people = [emu.person(f"Citizen {i}") for i in range(options.citizens)]
            scripts = [conversation(i, service_names) for i in range(options.citizens)]
            first_call = len(watch)
            before = CpuTimes.now(bot)
            spans = await asyncio.gather(
                *(converse(p, s, watch, replies) for p, s in zip(people, scripts, strict=True))
            )
            citizen_ids = {p.id for p in people}
            window = Window(
                spans=[span for citizen in spans for span in citizen],
                calls=list(watch[first_call:]),
                to_citizens=[watch.chat_of(c) in citizen_ids for c in watch[first_call:]],
                expected=Counter(m for s in scripts for a in s for m in replies[a.kind]),
                cpu=CpuTimes.now(bot) - before,
            )
            if kind == "full":
                unsaved = [
                    p for p in people if "Saved as #" not in ((p.last and p.last.text) or "")
                ]
                if unsaved:
                    raise RuntimeError(
                        f"{len(unsaved)} citizens were not told their item was saved"
                    )
                # One card per saved item (warm-up's too), posted after the item is saved.
                window.moderation = {
                    "items_saved": options.warmup + options.citizens,
                    "cards_posted_by_last_reply": len(moderators.messages),
                }
            window.peak_rss_mb = bot.peak_rss_mb()
        finally:
            exit_code = await bot.stop()
    window.exit_code = exit_code
    result = figures(window)
    if profile is not None:
        result["profile"] = str(profile)
    cpu = window.cpu
    log(
        f"{kind:>4} bot at {latency_ms:g} ms: {result['updates_per_s']} updates/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; CPU in {result['wall_s']} s: "
        f"bot {cpu.bot:.1f} s, emulator {cpu.emulator:.1f} s, "
        f"other processes {result['other_processes_cpu_cores']} cores"
    )
    return result


def figures(window: Window) -> dict[str, Any]:
    """Throughput, latency and costs of one measurement."""
    cpu = window.cpu
    failed = [c for c in window.calls if not c.ok]
    if failed:
        raise RuntimeError(
            f"{len(failed)} failed calls, e.g. {failed[0].method}: {failed[0].response}"
        )
    updates = len(window.spans)
    wall = max(done for _, done in window.spans) - min(acted for acted, _ in window.spans)
    latencies = [(done - acted) * 1000 for acted, done in window.spans]
    pairs = list(zip(window.calls, window.to_citizens, strict=True))
    methods = Counter(c.method for c, mine in pairs if mine)
    elsewhere = Counter(c.method for c, mine in pairs if not mine)
    get_updates = elsewhere.pop("getUpdates", 0)
    result: dict[str, Any] = {
        "updates": updates,
        "wall_s": round(wall, 2),
        "updates_per_s": round(updates / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "api_calls": dict(sorted(methods.items())),
        "api_calls_elsewhere": dict(sorted(elsewhere.items())),
        "get_updates_calls": get_updates,
        "bot_cpu_s": round(cpu.bot, 2),
        "bot_cpu_ms_per_update": round(cpu.bot * 1000 / updates, 2),
        "bot_cpu_cores": round(cpu.bot / wall, 2),
        "bot_cpu_s_other_threads": round(cpu.bot - cpu.bot_main_thread, 2),
        "emulator_cpu_s": round(cpu.emulator, 2),
        # CPU the rest of the machine used meanwhile: on a shared 2-core machine, a
        # reason for slow runs that is not the bots'.
        "other_processes_cpu_cores": round(
            max(0.0, cpu.machine - cpu.bot - cpu.emulator) / wall, 2
        ),
        "peak_rss_mb": round(window.peak_rss_mb, 1),
        "exit_code": window.exit_code,
        "stopped_cleanly": window.exit_code == 0,
    }
    if window.moderation is not None:
        result["moderation_cards"] = window.moderation
    if methods != window.expected:
        result["extra_calls"] = dict(methods - window.expected)
        result["missing_calls"] = dict(window.expected - methods)
    return result


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One bot's figures over repeats: medians (peak RSS: the highest), and each repeat."""
    if len(results) == 1:
        return results[0]
    summary: dict[str, Any] = {}
    for key, value in results[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [r[key] for r in results]
            summary[key] = max(values) if key == "peak_rss_mb" else statistics.median(values)
    summary["repeats"] = results
    return summary


# -- the whole benchmark ------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy so far (all processes, all cores)."""
    import psutil

    times = psutil.cpu_times()
    return float(times.user + times.nice + times.system + times.irq + times.softirq)


def source_version() -> str:
    """The commit the bots ran from, marked "+changes" when the working tree differs."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+changes" if changed else "")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import psutil
    import telegram

    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "python_telegram_bot": telegram.__version__,
        "platform": platform.platform(),
    }


def filesystem_of(path: Path) -> str:
    """The filesystem type holding `path` (the full bot fsyncs every commit there)."""
    import psutil

    best = ("", "unknown")
    for part in psutil.disk_partitions(all=True):
        mount = part.mountpoint.rstrip("/") + "/"
        if str(path).startswith(mount) and len(mount) > len(best[0]):
            best = (mount, part.fstype)
    return best[1]


async def benchmark(options: argparse.Namespace) -> dict[str, Any]:
    """Every measurement, and the verdict."""
    root = Path(tempfile.mkdtemp(prefix="yousaid-bench-"))
    runs = []
    try:
        database_fs = filesystem_of(root)
        for latency_ms in options.latencies:
            measured: dict[str, list[dict[str, Any]]] = {"bare": [], "full": []}
            # Alternating the bots spreads changes in the machine's load over both.
            for repeat in range(options.repeat):
                for kind in ("bare", "full"):
                    workdir = root / f"{kind}-{latency_ms:g}ms-{repeat + 1}"
                    workdir.mkdir()
                    measured[kind].append(await measure(kind, latency_ms, options, workdir))
            run: dict[str, Any] = {"latency_ms": latency_ms}
            run.update({kind: summarize(results) for kind, results in measured.items()})
            ratio = run["full"]["updates_per_s"] / run["bare"]["updates_per_s"]
            run["ratio"] = round(ratio, 3)
            run["met"] = ratio >= GOAL_RATIO
            bare_cpu, full_cpu = (run[k]["bot_cpu_ms_per_update"] for k in ("bare", "full"))
            run["cpu_cost_ratio"] = round(bare_cpu / full_cpu, 3)
            runs.append(run)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    concurrency = options.concurrency
    return {
        "benchmark": "intake",
        "source": source_version(),
        "citizens": options.citizens,
        "warmup_citizens": options.warmup,
        "repeats": options.repeat,
        "updates_per_citizen": f"{UPDATES_PER_CITIZEN} (one more where the place is asked)",
        "conversation": [
            "/start",
            "press consent",
            "press service",
            "send text",
            "press place (services with two or more sites)",
            "press rating",
            "press hear-back",
            "press involve",
        ],
        "concurrent_updates": concurrency,
        "connection_pool_size": concurrency + 4,
        "bare_bot": (
            f"python-telegram-bot Application, run_polling, concurrent_updates({concurrency}), "
            f"connection_pool_size({concurrency + 4}); one sendMessage (carrying the buttons "
            "citizens press) per message, one answerCallbackQuery per button press"
        ),
        "full_bot": (
            "python -m bot run (ChatOrderedProcessor, updates saved before they are confirmed, "
            "SQLite in WAL with synchronous=FULL, saved items tagged and carded for the "
            "moderators) with examples/riverside.toml, its moderators_chat a supergroup in the "
            "emulator and no admins"
        ),
        "processes": "each bot in its own process; the emulator and the citizens in this one",
        "database_filesystem": database_fs,
        "flood_control": FLOOD_CONTROL,
        "latency_definition": LATENCY_DEFINITION,
        "throughput_definition": THROUGHPUT_DEFINITION,
        "ratio_definition": "full updates_per_s / bare updates_per_s (medians over repeats)",
        "cpu_cost_ratio_definition": (
            "bare bot_cpu_ms_per_update / full bot_cpu_ms_per_update: the ratio to expect when "
            "both bots are CPU-bound on equal cores; less disturbed by other load on the "
            "machine than the throughput ratio"
        ),
        "profiled": options.profile is not None,
        "runs": runs,
        "goal_ratio": GOAL_RATIO,
        "met": all(run["met"] for run in runs),
        "machine": machine(),
    }


def _latencies(text: str) -> list[float | int]:
    values = [float(value) for value in text.split(",") if value.strip()]
    return [int(v) if v.is_integer() else v for v in values]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the benchmark (or, with --bare-bot, the bare bot)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--sampled"]:
        # Internal: `--sampled OUT <python args...>` runs a bot under the CPU sampler.
        return run_sampled(Path(args[1]), args[2:])
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.intake",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--citizens", type=int, default=200, help="measured citizens per run")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured citizens first")
    parser.add_argument(
        "--latencies", type=_latencies, default=[0, 50], help="Bot API latencies in ms: 0,50"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each bot per latency")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent updates per bot")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample each bot's CPU time; collapsed stacks into DIR/<bot>-<latency>-<n>.folded",
    )
    parser.add_argument("--bare-bot", action="store_true", help="run the bare bot (internal)")
    options = parser.parse_args(args)
    if options.bare_bot:
        return bare_bot_main()
    if options.citizens < 1 or options.warmup < 0 or options.repeat < 1:
        parser.error("--citizens and --repeat must be at least 1, --warmup at least 0")
    if options.profile is not None:
        options.profile = options.profile.resolve()
        options.profile.mkdir(parents=True, exist_ok=True)
    print(json.dumps(asyncio.run(benchmark(options)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
