"""One citizen floods the bot: what it does to everyone else and to the moderators' chat.

    .venv/bin/python -m benchmarks.flood [--messages 2000] [--seconds 120] [--others 5] > flood.json

One scripted account sends `messages` updates as fast as it can, without waiting for the
bot: whole conversations (a text, a service, a rating, "hear back": one message from the
bot each, so about one item a second), with the buttons' data forged from the conversation
number, as a script would. Meanwhile `others`
ordinary citizens each tell one thing every few seconds, waiting for each reply, and the
time from each of their actions to the bot's answer is measured. The real bot runs in its
own process (`python -m bot run`, its own flood limits on: 30 messages a second, 20 a
minute per group, about one a second per private chat) against the emulator, which enforces
Telegram's limits too. It runs three times: with the per-citizen throttle as shipped (10
items an hour, 30 a day), with it off, and with no flood (the others alone), each for
`seconds` after the flood starts; the bot is then stopped. Prints one JSON object on
stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)

from bot.intake import CONSENT_VERSION  # noqa: E402
from emulator import Emulator, Limits, Person  # noqa: E402

EXAMPLE = ROOT / "examples" / "riverside.toml"
TOKEN = "4242424242:BENCH-token-not-real"
READY_TIMEOUT = 90.0
STEP_TIMEOUT = 60.0
TEXT = "The 42 bus was twenty minutes late twice this week and I was late for work."


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _deployment(folder: Path, moderators_chat: int, admin: int) -> Path:
    """The example deployment with the emulator's moderators' group and admin."""
    text = EXAMPLE.read_text("utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("moderators_chat ="):
            line = f"moderators_chat = {moderators_chat}"
        elif line.startswith("admins ="):
            line = f"admins = [{admin}]"
        lines.append(line)
    path = folder / "deployment.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _start(emu: Emulator, folder: Path, config: Path, per_hour: int, per_day: int) -> Any:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": emu.api_url,
        "DATABASE_URL": f"sqlite:///{folder / 'yousaid.db'}",
        "YOUSAID_CONFIG": str(config),
        "YOUSAID_POLL_TIMEOUT": "2",
        "YOUSAID_LOG_LEVEL": "ERROR",
        "YOUSAID_ITEMS_PER_HOUR": str(per_hour),
        "YOUSAID_ITEMS_PER_DAY": str(per_day),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdout=(folder / "bot.log").open("ab"),
        stderr=subprocess.STDOUT,
    )


async def _flood(person: Person, messages: int) -> int:
    """Send `messages` updates of whole conversations, not waiting for the bot."""
    if not messages:
        return 0
    await person.send("/start")
    await _press(person, f"c:y:{CONSENT_VERSION}")
    sent, seq = 2, 0
    while sent < messages:
        seq += 1
        # A text with no conversation starts one (seq) and is kept; then the buttons.
        steps: list[Any] = [
            lambda: person.send(TEXT),
            lambda s=seq: _press(person, f"s:{s}:buses"),
            lambda s=seq: _press(person, f"r:{s}:2"),
            lambda s=seq: _press(person, f"h:{s}:y"),
        ]
        if seq == 1:
            steps.append(lambda: _press(person, "i:1:n"))
        for step in steps:
            if sent >= messages:
                break
            await step()
            sent += 1
        await asyncio.sleep(0)
    return sent


async def _press(person: Person, data: str) -> None:
    last = person.last
    await person.press_data(last.message_id if last else 1, data)


async def _changed(person: Person, before: list[tuple[int, str | None]]) -> None:
    await person.wait_for(
        lambda msgs: [(m.message_id, m.text) for m in msgs] != before, timeout=STEP_TIMEOUT
    )


async def _citizen(person: Person, until: float, latencies: list[float], pause: float) -> int:
    """One ordinary citizen telling one thing after another; each step's latency kept."""
    told = 0
    loop = asyncio.get_running_loop()

    async def step(action: Any) -> None:
        before = [(m.message_id, m.text) for m in person.messages]
        started = loop.time()
        await action()
        await _changed(person, before)
        latencies.append(loop.time() - started)

    while loop.time() < until:
        await step(lambda: person.send("/start"))
        if any("Yes, that's fine" in row for row in (person.last.buttons if person.last else [])):
            await step(lambda: person.press("Yes, that's fine"))
        await step(lambda: person.press("Buses"))
        await step(lambda: person.send(TEXT))
        await step(lambda: person.press("2"))
        await step(lambda: person.press("Yes please"))
        if any("You've sent" in (m.text or "") for m in person.messages[-2:]):
            break  # this citizen reached the throttle too (a short --pause)
        if person.last and "involved" in (person.last.text or ""):
            await step(lambda: person.press("No thanks"))
        told += 1
        await asyncio.sleep(pause)
    return told


async def _run(
    per_hour: int, per_day: int, messages: int, args: argparse.Namespace
) -> dict[str, Any]:
    async with Emulator(token=TOKEN, limits=Limits()) as emu:
        admin = emu.person("Ada")
        group = emu.group("Moderators", members=[admin])
        spammer = emu.person("Spam")
        others = [emu.person(f"Citizen {n}") for n in range(args.others)]
        with tempfile.TemporaryDirectory(prefix="yousaid-flood-") as tmp:
            folder = Path(tmp)
            config = _deployment(folder, group.id, admin.id)
            process = _start(emu, folder, config, per_hour, per_day)
            try:
                # Ready: it answers /start.
                await admin.send("/start")
                await admin.next_message(timeout=READY_TIMEOUT)
                loop = asyncio.get_running_loop()
                started = loop.time()
                until = started + args.seconds
                latencies: list[float] = []
                calls_before = len(emu.calls)
                flood = asyncio.create_task(_flood(spammer, messages))
                told = await asyncio.gather(
                    *(_citizen(p, until, latencies, args.pause) for p in others)
                )
                sent = await flood
                remaining = until - loop.time()
                if remaining > 0:
                    await asyncio.sleep(remaining)
                elapsed = loop.time() - started
                group_messages = group.messages
                rows = _count(folder / "yousaid.db", spammer.id)
                handled = sum(
                    1 for c in emu.calls if c.params.get("chat_id") in (spammer.id, str(spammer.id))
                )
                return {
                    "items_per_hour": per_hour,
                    "items_per_day": per_day,
                    "seconds": round(elapsed, 1),
                    "flood_updates_sent": sent,
                    "bot_calls_to_the_flooder": handled,
                    "flood_items_saved": rows["flood_items"],
                    "flood_draft_kept": rows["flood_draft"],
                    "others": args.others,
                    "others_items_told": sum(told),
                    "others_latency_s": _summary(latencies),
                    "moderators_chat_messages": len(group_messages),
                    "moderators_chat_single_cards": sum(
                        1 for m in group_messages if (m.text or "").startswith("#")
                    ),
                    "moderators_chat_lists": sum(
                        1 for m in group_messages if "new items" in (m.text or "")
                    ),
                    "items_with_a_card_or_list": rows["carded"],
                    "items_waiting_for_a_card": rows["uncarded"],
                    "bot_api_calls": len(emu.calls) - calls_before,
                    "answers_429": sum(1 for c in emu.calls if c.status == 429),
                }
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait()


def _count(db: Path, spammer_telegram_id: int) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        (citizen,) = conn.execute(
            "SELECT id FROM citizens WHERE telegram_id = ?", (spammer_telegram_id,)
        ).fetchone() or (None,)

        def one(sql: str, *params: object) -> int:
            return int(conn.execute(sql, params).fetchone()[0])

        return {
            "flood_items": one("SELECT COUNT(*) FROM feedback WHERE citizen_id = ?", citizen),
            "flood_draft": one(
                "SELECT COUNT(*) FROM conversations WHERE citizen_id = ? AND text IS NOT NULL",
                citizen,
            ),
            "carded": one("SELECT COUNT(*) FROM feedback WHERE card_message_id IS NOT NULL"),
            "uncarded": one(
                "SELECT COUNT(*) FROM feedback WHERE card_message_id IS NULL AND status = 'pending'"
            ),
        }


def _summary(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3),
        "max": round(ordered[-1], 3),
    }


async def main() -> None:
    """Run both modes; print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--others", type=int, default=5)
    parser.add_argument(
        "--pause",
        type=float,
        default=None,
        help="seconds between an other's items (default: an eighth of --seconds, which keeps"
        " them under the throttle's 10 an hour)",
    )
    args = parser.parse_args()
    if args.pause is None:
        args.pause = args.seconds / 8
    results = []
    # The throttle as shipped, the throttle off, and no flood at all (the others alone).
    for per_hour, per_day, messages in (
        (10, 30, args.messages),
        (0, 0, args.messages),
        (10, 30, 0),
    ):
        _progress(f"flood: {messages} updates, throttle {per_hour}/hour {per_day}/day ...")
        began = time.monotonic()
        results.append(await _run(per_hour, per_day, messages, args))
        _progress(f"  done in {time.monotonic() - began:.0f} s")
    print(
        json.dumps(
            {
                "benchmark": "flood",
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "messages": args.messages,
                "runs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
