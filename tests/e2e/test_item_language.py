"""Staff read every item: a citizen writes in Welsh, the card says so, a moderator adds an
English summary, and the provider's digest shows it beside the original."""

from __future__ import annotations

from pathlib import Path

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from handlers.moderator import language_name
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import MONDAY, run_job, scene, texts_in
from tests.e2e.test_moderation import card_of, give, invite, press_card

WELSH = "Dydy'r biniau ddim wedi cael eu casglu ers tair wythnos ac mae'r stryd yn drewi"
SUMMARY = "Bins not collected for three weeks; the street <smells>."


async def test_a_welsh_item_summarised_in_english_reaches_the_provider_with_its_summary(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock, db_path: Path
) -> None:
    world = scene(emu, deployment, count=1)
    admin, sam, citizen = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    group = emu.group("Moderators", members=[admin, sam])
    staffed = world.deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": group.id}
    )
    clock.now = MONDAY.replace(day=4)  # a Wednesday: the digest is due next Monday
    async with make_bot(deployment=staffed) as bot:
        assert "now a moderator" in await invite(admin, sam, "moderator")
        item = await give(citizen, "Service of team-0", WELSH)
        card = await card_of(group, item)
        lines = (card.text or "").splitlines()
        assert texts.CARD_LANGUAGE.format(language=language_name("cy")) in lines
        assert texts.CARD_LANGUAGE_THEMES in lines
        assert stored(db_path, f"SELECT language FROM feedback WHERE id = {item}") == [("cy",)]
        # Themes came from the Welsh patterns, not the English model.
        themes = stored(
            db_path, f"SELECT theme_id, source FROM item_themes WHERE feedback_id = {item}"
        )
        assert ("missed_collections", "pattern") in themes

        button = texts.SUMMARY.format(language=language_name("en"))
        await press_card(sam, group, card, button)
        prompt = (await group.wait_for(lambda msgs: "short summary" in (msgs[-1].text or "")))[-1]
        await sam.send(SUMMARY, chat=group, reply_to=prompt)
        await group.wait_for(lambda _: "Bins not collected" in (card.text or ""))
        assert texts.CARD_SUMMARY.format(summary="")[:5] in (card.text or "")
        # Kept as written, shown escaped (the emulator gives the text as the user reads it).
        assert "<smells>" in (card.text or "")
        # The summary is not an edit: the citizen's words are what gets published.
        assert texts.CARD_EDITED not in (card.text or "")
        await press_card(sam, group, card, texts.APPROVE)
        await group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
        assert stored(
            db_path, f"SELECT summary, published_text FROM feedback WHERE id = {item}"
        ) == [(SUMMARY, WELSH)]

        clock.now = MONDAY.replace(day=9, minute=1)
        await run_job(bot, "digest-catch-up")
        await run_job(bot, "digest:team-0")
    (digest,) = texts_in(world.groups["team-0"])
    assert "biniau ddim wedi cael eu casglu" in digest
    assert "Bins not collected for three weeks" in digest
    # Beside the original: the summary line follows the quote.
    assert digest.index("biniau") < digest.index("Bins not collected")
