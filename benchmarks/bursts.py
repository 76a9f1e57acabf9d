"""Bursts: many citizens at once for one service, and a long 429 on the moderators' group.

    .venv/bin/python -m benchmarks.bursts [--citizens 60] [--retry-after 30] > bursts.json

(a) `burst`: `citizens` people each go through a whole conversation (consent, service, their
    words, a rating, hear back) at the same moment, all for one service; the real bot runs
    in this process against the emulator with Telegram's limits as they are (30 messages a
    second, 20 a minute per group, about one a second per private chat). Measured: how long
    each of the bot's answers took, a newcomer's /start while the moderators' group is still
    catching up, and how long until every item reached the group (once each, in order), in
    how many messages.
(b) `group_429`: Telegram makes the moderators' group wait `retry_after` seconds; meanwhile a
    citizen goes through a whole conversation. Measured: that conversation's time, the
    calls that met the 429, and when the card that waited arrived.

Prints one JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if not __package__ and sys.path and Path(sys.path[0]).resolve() == ROOT / "benchmarks":
    sys.path[0] = str(ROOT)

from bot.config import load_deployment  # noqa: E402
from emulator import Emulator, Group, Limits, MessageView, Person  # noqa: E402
from handlers import texts  # noqa: E402

EXAMPLE = ROOT / "examples" / "riverside.toml"
TOKEN = "4242424242:BENCH-token-not-real"
STEP = 120.0
ITEM_HEAD = re.compile(r"^#(\d+) · ", re.MULTILINE)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _buttons(message: MessageView) -> dict[str, str]:
    return {
        label: data or ""
        for labels, datas in zip(message.buttons, message.button_data, strict=True)
        for label, data in zip(labels, datas, strict=True)
    }


def _offers(label: str) -> Callable[[list[MessageView]], bool]:
    return lambda msgs: any(label in _buttons(m) for m in msgs[-3:])


class Timed:
    """One person's conversation, timing each answer of the bot."""

    def __init__(self, person: Person, waits: list[float]) -> None:
        self.person = person
        self.waits = waits

    async def until(self, check: Callable[[list[MessageView]], object]) -> list[MessageView]:
        started = time.perf_counter()
        msgs = await self.person.wait_for(check, timeout=STEP)
        self.waits.append(time.perf_counter() - started)
        return msgs

    async def tap(self, label: str) -> None:
        message = next(m for m in reversed(self.person.messages) if label in _buttons(m))
        before = [(m.message_id, m.text) for m in self.person.messages]
        await self.person.press_data(message.message_id, _buttons(message)[label])
        await self.until(lambda msgs: [(m.message_id, m.text) for m in msgs] != before)

    async def tell(self, service: str, words: str) -> int:
        """The whole conversation; the reference number."""
        await self.person.send("/start")
        await self.until(_offers(texts.CONSENT_YES))
        await self.tap(texts.CONSENT_YES)
        await self.tap(service)
        await self.person.send(words)
        while True:
            msgs = await self.until(
                lambda m: (
                    _offers("2")(m) or _offers(texts.METOO_DIFFERENT)(m) or _offers(texts.SKIP)(m)
                )
            )
            if _offers("2")(msgs):
                break
            other = _offers(texts.METOO_DIFFERENT)(msgs)
            await self.tap(texts.METOO_DIFFERENT if other else texts.SKIP)
        await self.tap("2")
        while True:
            msgs = await self.until(
                lambda m: _saved(m) or _offers(texts.YES)(m) or _offers(texts.NO)(m)
            )
            if _saved(msgs):
                return _saved(msgs)
            await self.tap(texts.YES if _offers(texts.YES)(msgs) else texts.NO)


def _saved(msgs: list[MessageView]) -> int:
    """The reference number the bot gave, 0 until it has."""
    for message in reversed(msgs):
        found = re.search(r"Saved as #(\d+)", message.text or "")
        if found:
            return int(found.group(1))
    return 0


def _shown(group: Group) -> list[int]:
    return [int(n) for m in group.messages for n in ITEM_HEAD.findall(m.text or "")]


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "max": round(ordered[-1], 3),
    }


async def _run(citizens: int, retry_after: int, workdir: Path) -> dict[str, Any]:
    from bot.app import YousaidBot
    from bot.config import Settings

    deployment = load_deployment(EXAMPLE)
    async with Emulator(token=TOKEN, limits=Limits()) as emu:
        admin = emu.person("Ada")
        group = emu.group("Riverside moderators", members=[admin])
        staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=emu.api_url,
            DATABASE_URL=f"sqlite:///{workdir / 'bursts.db'}",
            YOUSAID_MODELS_DIR=str(workdir / "models"),
            YOUSAID_LOG_LEVEL="WARNING",
        )
        async with YousaidBot(settings, staffed, TOKEN) as _bot:
            _progress(f"{citizens} citizens at once…")
            waits: list[float] = []
            people = [emu.person(f"Rider {n}") for n in range(citizens)]
            started = time.perf_counter()
            items = await asyncio.gather(
                *(
                    Timed(p, waits).tell(
                        "Buses", f"The number {n} bus skipped Mill Lane; I waited {n + 10} minutes."
                    )
                    for n, p in enumerate(people)
                )
            )
            all_saved = time.perf_counter() - started
            newcomer_waits: list[float] = []
            newcomer = Timed(emu.person("Newcomer"), newcomer_waits)
            await newcomer.person.send("/start")
            await newcomer.until(_offers(texts.CONSENT_YES))
            shown_at_newcomer = len(_shown(group))
            await group.wait_for(lambda _: len(_shown(group)) >= citizens, timeout=600)
            all_shown = time.perf_counter() - started
            shown = _shown(group)
            burst = {
                "citizens": citizens,
                "seconds_until_all_saved": round(all_saved, 2),
                "answer_seconds": _spread(waits),
                "newcomer_start_answer_seconds": round(newcomer_waits[-1], 3),
                "items_in_group_when_newcomer_answered": shown_at_newcomer,
                "seconds_until_all_in_group": round(all_shown, 2),
                "group_messages": len(group.messages),
                "each_item_once_in_order": shown == sorted(items),
                "answers_429": sum(1 for c in emu.calls if c.status == 429),
            }
            _progress(f"a {retry_after} s 429 on the moderators' group…")
            flood = emu.faults.flood(
                "sendMessage", chat_id=group.id, retry_after=retry_after, lasting=True
            )
            held_at = time.perf_counter()
            held = await Timed(emu.person("Held"), []).tell("Central Library", "The lift is out.")
            await group.wait_for(lambda _: flood.hits >= 1, timeout=STEP)
            meanwhile: list[float] = []
            during = time.perf_counter()
            await Timed(emu.person("Meanwhile"), meanwhile).tell(
                "Parks and green spaces", "The park gates were locked at noon."
            )
            conversation = time.perf_counter() - during
            hits_during = flood.hits
            await group.wait_for(lambda _: held in _shown(group), timeout=retry_after + STEP)
            group_429 = {
                "retry_after": retry_after,
                "conversation_during_it_seconds": round(conversation, 2),
                "slowest_answer_during_it_seconds": round(max(meanwhile), 3),
                "calls_that_met_it": hits_during,
                "held_card_arrived_after_seconds": round(time.perf_counter() - held_at, 2),
            }
    return {"burst": burst, "group_429": group_429}


def main(argv: list[str] | None = None) -> None:
    """Run both parts and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=60)
    parser.add_argument("--retry-after", type=int, default=30)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        report = {
            "benchmark": "bursts",
            "machine": {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version},
            **asyncio.run(_run(args.citizens, args.retry_after, Path(folder))),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
