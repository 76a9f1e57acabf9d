"""A photo that joins an item just as its card goes out is posted under the card once: by
the card's poster or by whoever took the photo in, on one instance or on two sharing one
PostgreSQL database (where no lock in one process can tell the other)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.app import YousaidBot
from bot.config import Deployment
from emulator import Emulator, Group, MessageView, Person
from emulator.proxy import RoundRobinProxy
from tests.conftest import FakeClock, PgTarget
from tests.e2e.conftest import TOKEN, make_settings
from tests.e2e.test_citizen import consent, press, stored
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved
from tests.e2e.test_moderation import card_of
from tests.e2e.test_webhook import SECRET, free_port, until

# A held answer waits at most this long (released as soon as the test has seen enough); the
# bot waits longer for Telegram's answers, so the held send is not tried again meanwhile.
HELD = 60.0
PATIENT = {"YOUSAID_TELEGRAM_TIMEOUT": 90}


def photos_under(group: Group, card: MessageView) -> list[str]:
    """The captions of the photos posted under a card."""
    return [m.caption or "" for m in group.messages if m.reply_to == card.message_id and m.photo]


class Route:
    """Which instance the citizen's updates reach (one instance: always the same)."""

    def __init__(self, proxy: RoundRobinProxy | None = None, ports: list[int] | None = None):
        self.proxy, self.ports = proxy, ports or []

    def to(self, n: int) -> None:
        if self.proxy is not None:
            self.proxy.backends = [f"http://127.0.0.1:{self.ports[n]}"]


@asynccontextmanager
async def one_instance(
    emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[Route]:
    async with YousaidBot(make_settings(emu, db_path, **PATIENT), deployment, TOKEN, clock):
        yield Route()


@asynccontextmanager
async def two_instances(
    emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock
) -> AsyncIterator[Route]:
    """Two instances in webhook mode behind a proxy the test points at one or the other."""
    ports = [free_port(), free_port()]
    async with RoundRobinProxy([f"http://127.0.0.1:{ports[0]}"]) as proxy:

        def settings(port: int) -> dict[str, object]:
            return {
                **PATIENT,
                "YOUSAID_WEBHOOK_URL": f"{proxy.url}/telegram",
                "YOUSAID_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                "YOUSAID_WEBHOOK_SECRET": SECRET,
            }

        first = YousaidBot(
            make_settings(emu, db_path, **settings(ports[0])), deployment, TOKEN, clock
        )
        second = YousaidBot(
            make_settings(emu, db_path, **settings(ports[1])), deployment, TOKEN, clock
        )
        async with first, second:
            yield Route(proxy, ports)


async def test_a_photo_joining_as_the_card_goes_out_is_posted_under_it_once(
    emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock
) -> None:
    await _posted_under_the_card_once(emu, db_path, deployment, clock, instances=1)


@pytest.mark.postgres_only
async def test_two_instances_post_a_photo_joining_as_the_card_goes_out_once(
    emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock
) -> None:
    """Several instances share a PostgreSQL database (one per SQLite file)."""
    assert isinstance(db_path, PgTarget)
    await _posted_under_the_card_once(emu, db_path, deployment, clock, instances=2)


async def _posted_under_the_card_once(
    emu: Emulator, db_path: Path, deployment: Deployment, clock: FakeClock, instances: int
) -> None:
    citizen: Person = emu.person("Cy")
    group = emu.group("Riverside moderators")
    staffed = deployment.model_copy(update={"moderators_chat": group.id})
    start = one_instance if instances == 1 else two_instances
    async with start(emu, db_path, staffed, clock) as route:
        route.to(0)
        await consent(citizen)
        await press(citizen, SERVICE)
        await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
        # The first photo goes under the card as it is posted, and Telegram's answer is held:
        # its poster has not recorded it yet when the second photo joins the item.
        held = emu.faults.late("sendPhoto", delay=HELD, chat_id=group.id, times=1)
        item = await saved(citizen)
        card = await card_of(group, item)
        await group.wait_for(lambda _: held.hits == 1 and photos_under(group, card))
        # The second photo is taken in by the other instance (or the same one), which posts
        # what is not under the card yet: the second photo only.
        route.to(1 if instances == 2 else 0)
        added = await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
        assert f"#{item}" in added and "2 of 3" in added, added
        await group.wait_for(lambda _: any("photo 2" in c for c in photos_under(group, card)))
        held.release()

        def recorded() -> int:
            rows = stored(
                db_path,
                "SELECT COUNT(*) FROM media_messages x JOIN media m ON m.id = x.media_id"
                f" WHERE m.feedback_id = {item}",
            )
            return int(rows[0][0])  # type: ignore[call-overload]

        await until(lambda: recorded() >= 2, 30)
        await emu.idle(quiet=0.3)
    captions = photos_under(group, card)
    assert len(captions) == 2, captions
    assert sorted(c.split(":")[0] for c in captions) == [
        f"📷 #{item}, photo 1",
        f"📷 #{item}, photo 2",
    ]
    assert recorded() == 2
