"""Delivering a response to many contributors: Telegram's limits, blocks, and crashes."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Deployment
from bot.intake import sync_services
from bot.responses import Responses, Status, fingerprint
from bot.roles import Who
from emulator import Emulator, Person
from storage.engines import database_for
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock, connect, url_of
from tests.e2e.conftest import TOKEN, start_bot
from tests.e2e.helpers import add_item, while_progressing
from tests.e2e.test_responses import (
    ACCESS,
    CHANGED,
    WEDNESDAY,
    World,
    digest_in_private,
    respond,
    world,  # noqa: F401 - the fixture, shared
)

HEARD = "has responded"


def heard(person: Person) -> int:
    """How many responses this person received."""
    return sum(HEARD in (m.text or "") for m in person.messages)


async def test_a_response_to_500_contributors_keeps_within_telegrams_limits(
    world: World,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    clock: FakeClock,
    db_path: Path,
) -> None:
    people = [emu.person(f"Citizen {n}") for n in range(500)]
    opted_out = [emu.person(f"Quiet {n}") for n in range(5)]
    blocked = [emu.person(f"Gone {n}") for n in range(5)]
    for n, person in enumerate(people + opted_out + blocked):
        await add_item(
            world.bot.db,
            person.id,
            "library",
            f"Waited {n} minutes at the desk.",
            WEDNESDAY,
            hear_back=person not in opted_out,
        )
    for person in blocked:
        person.block()
    digest = await digest_in_private(world, clock)
    emu.calls.clear()
    done = await respond(
        world.pat, digest, f"↩️ Respond: {ACCESS}", CHANGED, "A second desk opens on Saturdays."
    )
    assert "covers 510 items" in done and "goes to 505 people" in done
    everyone = set(people)
    await while_progressing(
        lambda: all(heard(p) for p in everyone), lambda: sum(heard(p) for p in everyone)
    )

    # The blocked people's messages come last: wait until the outbox has settled each one.
    def states() -> dict[str, int]:
        with connect(db_path) as conn:
            rows = conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        return dict(rows)

    await while_progressing(
        lambda: not {"pending", "sending"} & set(states()), lambda: (len(emu.calls), states())
    )
    await emu.idle(quiet=0.5, timeout=30)
    assert [heard(p) for p in people] == [1] * 500
    assert not any(heard(p) for p in opted_out + blocked)
    # Telegram was never made to say "too many requests", and the pace stayed near 30/s.
    assert not [c for c in emu.calls if c.status == 429]
    sends = sorted(
        c.time
        for c in emu.calls
        if c.ok
        and c.method == "sendMessage"
        and HEARD in str(c.params.get("text", ""))
        # Not the provider's preview of it.
        and str(c.params.get("chat_id")) != str(world.pat.id)
    )
    assert len(sends) == 500
    assert 500 / (sends[-1] - sends[0]) <= 31
    assert states() == {"sent": 500, "blocked": 5}


async def test_sigkill_during_delivery_then_restart_gives_each_contributor_exactly_one(
    deployment: Deployment, tmp_path: Path, db_path: Path
) -> None:
    async with Emulator(token=TOKEN) as emu:
        people = [emu.person(f"Citizen {n}") for n in range(200)]
        now = datetime.now(UTC)
        async with database_for(url_of(db_path)) as db:
            await sync_services(
                db, [ServiceRow(s.slug, s.name, "", s.provider) for s in deployment.services]
            )
            for n, person in enumerate(people):
                await add_item(
                    db, person.id, "library", f"Queue {n} at the desk.", now - timedelta(days=2)
                )
            # The provider responds (as an admin would, straight through the core).
            responses = Responses(db, deployment, FakeClock(now))
            admin = Who(telegram_id=1, admin=True)
            period = {"culture-leisure": (now - timedelta(days=7), now)}
            await responses.begin_theme(admin, 1, "access_waiting", period, "library")
            await responses.choose_status(admin, 1, Status.CHANGED)
            words = "We opened a second desk."
            previewed = await responses.write(admin, 1, 10**9, words)
            assert getattr(previewed, "people", None) == 200
            published = await responses.send(admin, 1, 10**9 + 1, fingerprint(words))
            assert getattr(published, "recipients", None) == 200

        log = tmp_path / "bot.log"
        process = start_bot(emu, db_path, log, EXAMPLE)
        try:

            def sends() -> int:
                return sum(
                    c.method == "sendMessage" and HEARD in str(c.params.get("text", ""))
                    for c in emu.calls
                )

            # The bot takes a few seconds to start; kill it a third of the way through, while
            # a message is on its way (Telegram slow to answer it).
            await while_progressing(lambda: sends() >= 60, lambda: (len(emu.calls), sends()))
            emu.latency = 1.0
            reached = len(emu.calls)
            for _ in range(400):
                if len(emu.calls) > reached or any(
                    p.messages and HEARD in (p.messages[-1].text or "") for p in people[60:]
                ):
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
            emu.latency = 0.0
            killed_at = sum(heard(p) for p in people)
            process = start_bot(emu, db_path, log, EXAMPLE)
            await while_progressing(
                lambda: all(heard(p) for p in people),
                lambda: (len(emu.calls), sum(heard(p) for p in people)),
            )
            await emu.idle(quiet=0.5, timeout=30)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert 60 <= killed_at < 200, log.read_text()
    counts = Counter(heard(p) for p in people)
    assert counts == Counter({1: 200}), (counts, log.read_text()[-2000:])
    with connect(db_path) as conn:
        states = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
    assert states == {"sent": 200}
