"""Leases: taken and renewed by compare-and-set, taken over once run out; claims on parts
leaving are settled only when the instance that made them is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage import digests, leases, outbox
from storage.db import Database, stamp

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHAT = -1001000000010


async def take(db: Database, holder: str, seconds: float, *names: str) -> set[str]:
    async def run(conn: Any) -> set[str]:
        return await leases.take(conn, names, holder, seconds)

    return await db.write(run)


async def held_by(db: Database, name: str) -> str | None:
    return await leases.holder(db.reader, name)


async def test_a_lease_has_one_holder_until_it_runs_out(db: Database) -> None:
    assert await take(db, "a", 60, "scheduler", "instance:a") == {"scheduler", "instance:a"}
    assert await take(db, "b", 60, "scheduler", "instance:b") == {"instance:b"}
    assert await held_by(db, "scheduler") == "a"
    # Renewing is taking again by the holder.
    assert await take(db, "a", 60, "scheduler") == {"scheduler"}
    # `a` stops renewing: its lease runs out (here: renewed into the past), `b` takes it.
    assert await take(db, "a", -1, "scheduler") == {"scheduler"}
    assert await held_by(db, "scheduler") is None
    assert await take(db, "b", 60, "scheduler") == {"scheduler"}
    assert await held_by(db, "scheduler") == "b"
    # `a` comes back: too late.
    assert await take(db, "a", 60, "scheduler") == set()


async def test_a_released_lease_is_taken_at_once(db: Database) -> None:
    await take(db, "a", 60, "scheduler", "instance:a")

    async def release(conn: Any) -> int:
        return await leases.release(conn, "a")

    assert await db.write(release) == 2
    assert await take(db, "b", 60, "scheduler") == {"scheduler"}


async def make_digest(db: Database) -> int:
    async def run(conn: Any) -> int:
        await digests.create(conn, "p", NOW - timedelta(days=7), NOW, [CHAT], NOW)
        row = await (await conn.execute("SELECT id FROM digests")).fetchone()
        return int(row[0])

    return await db.write(run)


async def delivery(db: Database, digest_id: int) -> tuple[str, int]:
    (found,) = await digests.deliveries(db.reader, digest_id)
    return found.state, found.parts_done


async def test_a_live_instances_claim_is_left_alone_and_a_dead_ones_settled_once(
    db: Database,
) -> None:
    digest_id = await make_digest(db)
    await take(db, "a", 60, "instance:a", "scheduler")

    async def claim(owner: str, part: int) -> bool:
        return await db.write(lambda conn: digests.mark_sending(conn, digest_id, CHAT, part, owner))

    async def arrived(owner: str) -> bool:
        return await db.write(
            lambda conn: digests.mark_part_sent(conn, digest_id, CHAT, 3, NOW, owner)
        )

    async def recover() -> int:
        return await db.write(digests.recover_in_flight)

    assert await claim("a", 0)
    # `b` starts (or takes the scheduler lease) while `a` is still sending part 0.
    await take(db, "b", 60, "instance:b")
    assert await recover() == 0
    assert await delivery(db, digest_id) == ("sending", 0)
    assert not await claim("b", 0)
    assert await arrived("a")
    assert await claim("a", 1)
    # `a` dies with part 1 leaving: once its lease has run out, part 1 counts as sent.
    await take(db, "a", -1, "instance:a", "scheduler")
    assert await take(db, "b", 60, "scheduler") == {"scheduler"}
    assert await recover() == 1
    assert await recover() == 0
    assert await delivery(db, digest_id) == ("pending", 2)
    # `b` goes on from part 2; `a`, only stalled, wakes: its late news changes nothing.
    assert not await claim("b", 1)
    assert await claim("b", 2)
    assert not await arrived("a")
    assert await delivery(db, digest_id) == ("sending", 2)
    # `a`'s retry or refusal of part 1 does not touch `b`'s claim either.
    await db.write(lambda conn: digests.mark_retry(conn, digest_id, CHAT, "late", NOW, "a"))
    await db.write(lambda conn: digests.mark_final(conn, digest_id, CHAT, "failed", "x", "a"))
    assert await delivery(db, digest_id) == ("sending", 2)
    assert await arrived("b")
    assert await delivery(db, digest_id) == ("sent", 3)


async def test_outbox_claims_are_settled_only_for_instances_that_are_gone(db: Database) -> None:
    async def setup(conn: Any) -> list[int]:
        ids = []
        for telegram_id in (1, 2):
            cursor = await conn.execute(
                "INSERT INTO citizens (telegram_id, created_at) VALUES (?, ?) RETURNING id",
                (telegram_id, stamp(NOW)),
            )
            ids.append(int((await cursor.fetchone())[0]))
        await outbox.enqueue(conn, "response", 1, [(i, None) for i in ids], NOW)
        return ids

    await db.write(setup)
    rows = await outbox.due(db.reader, NOW)
    await take(db, "a", 60, "instance:a")
    await take(db, "b", 60, "instance:b")
    assert await db.write(lambda conn: outbox.mark_sending(conn, rows[0].id, "a"))
    assert await db.write(lambda conn: outbox.mark_sending(conn, rows[1].id, "b"))
    assert not await db.write(lambda conn: outbox.mark_sending(conn, rows[1].id, "a"))
    # `b` dies; `a` settles what `b` had in flight, never its own.
    await take(db, "b", -1, "instance:b")
    assert await db.write(lambda conn: outbox.recover_in_flight(conn, NOW)) == 1
    states = {r[0]: r[1] for r in await db.fetchall("SELECT id, state FROM outbox")}
    assert states == {rows[0].id: "sending", rows[1].id: "sent"}
