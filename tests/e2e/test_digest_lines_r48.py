"""What a capped or shortened list in a digest leaves out is said in one line at its end:
"By service" and "By theme" of a big week fitted to a one-minute read, and "By place" past
its cap of six sites (round 48 attack)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.config import Deployment, Provider, Service, Site
from emulator import Emulator, Group
from storage import citizens, places
from storage.places import Place
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item
from tests.e2e.test_digests import run_job, scene, texts_in


async def test_by_place_with_more_sites_than_it_lists_says_how_many_items_are_left_out(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Parks with eight sites, one item at each: the digest lists six sites and, like the
    services and themes past their cap, one line for the two others."""
    names = [f"Site {chr(65 + n)}" for n in range(8)]
    world = scene(emu, deployment, count=1)
    (service,) = world.deployment.services
    many = service.model_copy(
        update={
            "sites": [
                Site(name=name, latitude=52.405 + n * 0.001, longitude=-1.51)
                for n, name in enumerate(names)
            ]
        }
    )
    sited = world.deployment.model_copy(update={"services": [many]})
    group = world.groups["team-0"]
    clock.now = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    async with make_bot(deployment=sited) as bot:
        items = [
            await add_item(bot.db, 8_100_000 + n, service.slug, f"Bench {n} is broken.", clock.now)
            for n in range(len(names))
        ]

        async def put_places(conn: aiosqlite.Connection) -> None:
            for n, item in enumerate(items):
                citizen = await citizens.get_or_create(conn, 8_100_000 + n, clock.now)
                await places.put(conn, citizen.id, 900 + n, Place(names[n], None, None), clock.now)
                await places.attach(conn, citizen.id, 900 + n, item)

        await bot.db.write(put_places)
        clock.now = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)
        await run_job(bot, "digest-catch-up")
    (text,) = texts_in(group)
    plain = re.sub(r"<[^>]*>", "", text)
    section = plain.split("By place", 1)[1].split("\n\n", 1)[0]
    listed = [name for name in names if name in section]
    assert len(listed) == 6, section
    assert section.splitlines()[-1] == "• 2 other places: 2 items", section


async def _big_week(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, language: str
) -> Group:
    """Eight services, one with eight sites; 320 items over every theme and sub-theme, with
    long texts full of emoji and right-to-left words; the digest sent to a team chat in
    `language`. The chat."""
    staff = emu.person("Pat")
    chat = emu.group("Team", members=[staff])
    provider = Provider.model_validate(
        {"id": "big", "name": "Big Team", "chats": [{"id": chat.id, "language": language}]}
    )
    services = [
        Service(
            slug=f"svc-{n}",
            name=f"Service number {n} with a rather long name",
            provider="big",
            sites=[
                Site(name=f"Site {chr(65 + k)}", latitude=52.405 + k * 0.001, longitude=-1.51)
                for k in range(8)
            ]
            if n == 0
            else [],
        )
        for n in range(8)
    ]
    big = deployment.model_copy(
        update={"languages": ["en", "ur"], "providers": [provider], "services": services}
    )
    themes = [
        "access_waiting", "staff_attitude", "staff_competence", "staffing_levels",
        "communication", "organisation", "care_treatment", "environment",
        "location_transport", "cost_fees", "safety", "accessibility", "digital", "activities",
        "overall",
    ]  # fmt: skip
    subs = [
        ("missed_collections", "organisation"), ("bus_reliability", "organisation"),
        ("litter_flytipping", "environment"), ("play_areas", "environment"),
        ("antisocial_behaviour", "safety"), ("bills_arrears", "cost_fees"),
    ]  # fmt: skip
    clock.now = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    async with make_bot(deployment=big) as bot:
        ids = []
        for n in range(320):
            sub, broad = subs[n % len(subs)]
            tagged = (sub, broad) if n % 3 == 0 else (themes[n % len(themes)],)
            words = (
                f"انتظار بہت لمبا تھا 😡😡 item {n} "
                + "🚌🚌🚌 the bus never came again and again " * (1 + n % 5)
            )
            ids.append(
                await add_item(
                    bot.db,
                    7_000_000 + n,
                    f"svc-{n % 8}",
                    words,
                    clock.now - timedelta(minutes=n),
                    tagged,
                    rating=1 + n % 5,
                )
            )

        async def put_places(conn: aiosqlite.Connection) -> None:
            for n, item in enumerate(ids):
                if n % 8 == 0:
                    citizen = await citizens.get_or_create(conn, 7_000_000 + n, clock.now)
                    site = Place(f"Site {chr(65 + n % 64 // 8)}", None, None)
                    await places.put(conn, citizen.id, 5000 + n, site, clock.now)
                    await places.attach(conn, citizen.id, 5000 + n, item)

        await bot.db.write(put_places)
        clock.now = datetime(2026, 11, 9, 9, 1, tzinfo=UTC)
        await run_job(bot, "digest-catch-up")
    return chat


def _section(plain: str, heading: str) -> list[str]:
    """The bullet lines of a digest's section."""
    part = plain.split(heading, 1)[1].split("\n\n", 1)[0]
    return [line for line in part.splitlines() if line.startswith("• ")]


async def test_a_big_week_lists_every_item_by_service_and_theme_or_says_how_many_are_left(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A big week (`_big_week`, in English): 320 items over eight services of 40 each.
    Fitting the digest to a one-minute read drops some services' and themes' lines; one
    "other" line at the end of each list says what it left out, so "By service" adds up
    to the 320 items and "By theme" names its other themes."""
    chat = await _big_week(make_bot, emu, deployment, clock, "en")
    (text,) = texts_in(chat)
    plain = re.sub(r"<[^>]*>", "", text)
    services = _section(plain, "By service")
    counted = 0
    for line in services:
        found = re.search(r": (\d+) items?$", line) or re.search(r": (\d+)(?: \(.*\))?$", line)
        assert found, line
        counted += int(found.group(1))
    assert counted == 320, (counted, services)
    assert re.fullmatch(r"• \d+ other services: \d+ items", services[-1]), services
    themes = _section(plain, "By theme")
    assert re.fullmatch(r"• \d+ other themes: \d+ items", themes[-1]), themes
    assert sum("other" in line for line in services + themes) == 2, (services, themes)
