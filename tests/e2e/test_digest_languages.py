"""Digests in each chat's language: a provider chat given `language = "cy"` gets its digest
written in Welsh (the catalogue's words, the Welsh names of the provider and its services);
a chat without one gets the default language; provider commands there are answered in it."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

from bot.config import Deployment, Provider, Service
from bot.i18n import speaking
from bot.languages import Languages
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_digests import MONDAY, add_approved, run_job, texts_in


async def test_a_welsh_chat_gets_the_digest_in_welsh_and_an_english_one_in_english(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    staff = emu.person("Pat")
    welsh = emu.group("Tîm Cymraeg", members=[staff])
    english = emu.group("English team", members=[staff])
    provider = Provider.model_validate(
        {
            "id": "libraries",
            "name": "Libraries Team",
            "name_cy": "Tîm Llyfrgelloedd",
            "chats": [{"id": welsh.id, "language": "cy"}, english.id],
        }
    )
    service = Service.model_validate(
        {
            "slug": "library",
            "name": "Central Library",
            "name_cy": "Llyfrgell Ganolog",
            "provider": "libraries",
        }
    )
    bilingual = deployment.model_copy(
        update={"languages": ["en", "cy"], "providers": [provider], "services": [service]}
    )
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=bilingual) as bot:
        assert isinstance(bot.languages, Languages)
        assert bot.languages.of_group(welsh.id) == "cy"
        assert bot.languages.of_group(english.id) == "en"
        await add_approved(
            bot.db, "library", "The waiting room was far too crowded.", clock.now, ["access"]
        )
        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
    (cy,) = texts_in(welsh)
    (en,) = texts_in(english)
    with speaking("cy"):
        title_cy = texts.DIGEST["title"].format(provider="Tîm Llyfrgelloedd")
    title_en = texts.DIGEST["title"].format(provider="Libraries Team")
    plain = lambda words: html.unescape(  # noqa: E731
        words.replace("<b>", "").replace("</b>", "")
    )
    assert cy.startswith(plain(title_cy)), cy
    assert en.startswith(plain(title_en)), en
    # The names given in Welsh prove the language was used, whatever the catalogue holds.
    assert "Llyfrgell Ganolog" in cy and "Central Library" not in cy
    assert "Central Library" in en and "Llyfrgell" not in en
    assert "crowded" in cy and "crowded" in en


async def test_a_welsh_teams_commands_and_csv_name_the_team_and_services_in_welsh(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """Outside the digest too (/services, /schedule, /digest's chart and CSV), a Welsh
    team's chat reads the Welsh names the deployment gives."""
    from tests.e2e.helpers import press_on
    from tests.e2e.test_moderation import invite

    admin, pat = emu.person("Ada"), emu.person("Pat")
    welsh = emu.group("Tîm Cymraeg", members=[pat])
    provider = Provider.model_validate(
        {
            "id": "libraries",
            "name": "Libraries Team",
            "name_cy": "Tîm Llyfrgelloedd",
            "chats": [{"id": welsh.id, "language": "cy"}],
        }
    )
    service = Service.model_validate(
        {"slug": "library", "name": "Central Library", "name_cy": "Llyfrgell Ganolog",
         "provider": "libraries"}
    )  # fmt: skip
    bilingual = deployment.model_copy(
        update={
            "languages": ["en", "cy"],
            "providers": [provider],
            "services": [service],
            "admins": [admin.id],
        }
    )
    clock.now = MONDAY.replace(day=4)
    async with make_bot(deployment=bilingual) as bot:
        assert "Libraries Team" in await invite(admin, pat, "provider libraries")
        earlier = clock.now - timedelta(hours=1)
        await add_approved(
            bot.db, "library", "The waiting room was far too crowded.", earlier, ["access"]
        )

        async def said(command: str) -> str:
            seen = len(welsh.messages)
            await pat.send(command, chat=welsh)
            found = await welsh.wait_for(lambda ms: len(ms) > seen)
            return "\n".join(f"{m.text or ''} {m.buttons}" for m in found[seen:])

        services = await said("/services")
        schedule = await said("/schedule")
        assert "Tîm Llyfrgelloedd" in services and "Llyfrgell Ganolog" in services
        assert "Tîm Llyfrgelloedd" in schedule
        seen = len(welsh.messages)
        await pat.send("/digest", chat=welsh)
        found = await welsh.wait_for(
            lambda ms: any(m.buttons for m in ms[seen:] if m.photo is None)
        )
        digest = next(m for m in found[seen:] if m.buttons and m.photo is None)
        with speaking("cy"):
            csv_button = texts.CSV_BUTTON
        await press_on(pat, digest, csv_button, chat=welsh)
        found = await welsh.wait_for(lambda ms: any(m.document for m in ms))
        document = next(m for m in found if m.document)
        table = (document.document or b"").decode("utf-8-sig")
        captions = [m.text or "" for m in found[seen:] if m.photo is not None or m.document]
        assert "Llyfrgell Ganolog" in table and "Central Library" not in table
        # The kind too: a Welsh word, not the code.
        with speaking("cy"):
            complaint = texts.KINDS["complaint"]
        assert complaint != "complaint"
        assert f",{complaint}," in table and ",complaint," not in table
        assert all("Libraries Team" not in c for c in captions), captions
        assert all("Tîm Llyfrgelloedd" in c for c in captions), captions
