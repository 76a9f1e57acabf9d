"""Provider-side fixes from the round-47 attack: a digest whose chart Telegram refuses,
the CSV under an old digest, a follow-up refused while the provider had blocked the bot,
and the value report after a citizen's /forget."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.config import Deployment
from bot.digest_content import Period
from bot.evidence import evidence
from emulator import Emulator
from handlers import texts
from storage.services import ServiceRow
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, has, last_has, press_on
from tests.e2e.test_digests import run_job
from tests.e2e.test_moderation import invite
from tests.e2e.test_responses import (
    CHANGED,
    IN_PROGRESS,
    NEXT_MONDAY,
    WEDNESDAY,
    World,
    answer_item,
    digest_in_private,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture

NO_PHOTOS = "Bad Request: not enough rights to send photos to the chat"


async def test_a_team_group_that_takes_no_photos_still_gets_the_digest_text(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """The Culture team's group lets members send text but not photos (a common group
    setting; the bot is a plain member). On Monday the digest job sends the chart first;
    Telegram refuses it ("not enough rights to send photos to the chat"), and the digest's
    text - the counts, the quotes, the Respond and CSV buttons - is never sent either: the
    delivery is marked failed for good, hours of catch-up runs later the group has nothing,
    and nobody is told.

    Expected: the chart is an extra; when Telegram refuses the picture the text still goes
    (as a digest without a chart would). (Likely
    cause: ProviderHandlers._deliver in handlers/provider.py treats a BadRequest on any part
    as final for the whole digest ("retrying would not help") and returns before the text
    part.)"""
    admin, pat = emu.person("Ada"), emu.person("Pat")
    team_group = emu.group("Culture team", members=[pat])
    providers = [
        p.model_copy(update={"chats": [team_group.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "providers": providers})
    emu.faults.error("sendPhoto", chat_id=team_group.id, description=NO_PHOTOS)
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        alice = emu.person("Alice")
        await add_item(bot.db, alice.id, "library", "Queue at the desk took an hour.", WEDNESDAY)
        clock.now = NEXT_MONDAY
        await run_job(bot, "digest:culture-leisure")
        for _ in range(4):
            clock.advance(hours=1)
            await run_job(bot, "digest-catch-up")
        await emu.idle(quiet=0.3)
        said = [m.text or "" for m in team_group.messages]
        assert any("feedback digest" in s for s in said), f"the chart was refused; then: {said}"


async def test_the_csv_under_last_weeks_digest_holds_every_item_that_digest_counted(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Monday's digest to Pat counts two items: one at the Central Library, one at Parks.
    On Tuesday Pat uses /services to stop Parks coming to her private chat from now on.
    Then she presses "CSV" under Monday's digest to take last week's items to a meeting:
    the file holds the library item only; the parks item Monday's digest counted and
    quoted is missing from it, without a word.

    Expected: the CSV under a digest is that digest's items, whatever is switched on or off
    since (the switch is about digests to come). (Likely cause: ProviderHandlers._send_csv
    in handlers/provider.py takes digests.services_for(provider, chat) as they are now, not
    the services of the digest pressed.)"""
    alice, bob = emu.person("Alice"), emu.person("Bob")
    db = world.bot.db
    a = await add_item(db, alice.id, "library", "Queue at the desk took an hour.", WEDNESDAY)
    b = await add_item(db, bob.id, "parks", "The swings are broken again.", WEDNESDAY)
    digest = await digest_in_private(world, clock)
    assert "Parks and green spaces" in (digest.text or ""), digest.text
    await world.pat.send("/services")
    menu = (await world.pat.wait_for(lambda m: "Parks" in str(buttons_of(m[-1]))))[-1]
    await press_on(world.pat, menu, next(k for k in buttons_of(menu) if "Parks" in k))
    await emu.idle(quiet=0.3)
    await press_on(world.pat, digest, texts.CSV_BUTTON)
    found = await world.pat.wait_for(lambda m: any(x.document for x in m), timeout=15)
    document = next(m for m in found if m.document).document or b""
    rows = list(csv.DictReader(io.StringIO(document.decode("utf-8-sig"))))
    assert sorted(int(r["item"]) for r in rows) == [a, b], [r["service"] for r in rows]


async def test_the_value_report_for_a_past_period_keeps_citizens_ratings_after_a_forget(
    world: World, emu: Emulator
) -> None:
    """Pat answers Alice's item ("Changed"); Alice presses "Yes, it answers my point". The
    service's evidence of value for that month shows 1 of 1 satisfied. Later Alice sends
    /forget: the same report for the same month now shows nobody satisfied and nobody who
    replied, though the item itself and the response still count ("erased items still
    count, as in digests"). Every erasure quietly rewrites past evidence a service may
    already have reported upwards.

    Expected: the anonymous tally of answers stays (as erased items do), without anything
    that says who gave it. (Likely cause: storage/privacy.py erase deletes the citizen's
    outbox rows, where the reply is the only record, and storage/evidence.py counts replies
    from those rows.) A design choice to check rather than an accident, perhaps."""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    await send_words(world.pat, "From January the library opens on Sundays, 10 to 4.")
    notice = (await alice.wait_for(has("has responded")))[-1]
    await press_on(alice, notice, texts.ANSWERED_YES)
    await emu.idle(quiet=0.3)
    services = [ServiceRow("library", "Central Library", "", "culture-leisure")]
    month = Period(WEDNESDAY - timedelta(days=2), WEDNESDAY + timedelta(days=28))
    before = await evidence(world.bot.db, services, month)
    assert (before.total.yes, before.people_yes, before.people_replied) == (1, 1, 1)
    await alice.send("/forget")
    await alice.wait_for(last_has("can't be undone"))
    await press_on(alice, alice.messages[-1], texts.FORGET_ALL)
    await alice.wait_for(last_has(texts.FORGET_DONE))
    after = await evidence(world.bot.db, services, month)
    assert (after.total.items, after.total.covered) == (1, 1)
    assert (after.total.yes, after.people_yes, after.people_replied) == (1, 1, 1), after


async def test_a_follow_up_refused_while_the_provider_had_blocked_the_bot_is_asked_on_return(
    world: World, emu: Emulator, clock: FakeClock
) -> None:
    """Pat answered Alice's item "Being worked on". Four weeks later the bot asks its
    providers' chats for an update - but Pat, the only one it can reach, had blocked the bot
    (clearing out her chats on holiday). Telegram refuses; she unblocks the bot on her
    return and uses it again (/digest). The follow-up never comes: day after day the job
    runs and asks nothing, the answer stays "being worked on" for good and Alice never
    hears whether anything changed. Citizens who blocked the bot get their notices when
    they come back; providers lose the follow-up.

    Expected: a follow-up no chat took (blocked, or a chat not found) is asked again once a
    chat of the provider can be reached - at the latest once the person is back. (Likely
    cause: AnswerHandlers.follow_up in handlers/responses.py counts Forbidden and
    BadRequest as neither reached nor failed, so follow_up_not_asked is never called and
    the claim stays.)"""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Please open on Sundays.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    await send_words(world.pat, "We are asking the council for Sunday funding.")
    await alice.wait_for(has("has responded"))
    clock.now = WEDNESDAY + timedelta(days=29)
    world.pat.block()
    await run_job(world.bot, "response-follow-up")
    await emu.idle(quiet=0.3)
    world.pat.unblock()
    count = len(world.pat.messages)
    await world.pat.send("/digest")
    await world.pat.wait_for(lambda m: len(m) > count)
    for _ in range(4):
        clock.advance(hours=12)
        await run_job(world.bot, "response-follow-up")
    await emu.idle(quiet=0.3)
    asked = [m.text or "" for m in world.pat.messages if "being worked on" in (m.text or "")]
    assert asked, "the follow-up was never asked after Pat came back"


async def test_digest_typed_in_a_team_group_that_takes_no_photos_still_shows_the_text(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """The same group as above: Pat types /digest there. The chart is refused ("not enough
    rights to send photos"); the text of the period so far, with its buttons, still comes
    (it used to be lost with the chart: the handler failed on the picture)."""
    admin, pat = emu.person("Ada"), emu.person("Pat")
    team_group = emu.group("Culture team", members=[pat])
    providers = [
        p.model_copy(update={"chats": [team_group.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "providers": providers})
    emu.faults.error("sendPhoto", chat_id=team_group.id, description=NO_PHOTOS)
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        alice = emu.person("Alice")
        await add_item(bot.db, alice.id, "library", "Queue at the desk took an hour.", WEDNESDAY)
        clock.advance(hours=1)
        await pat.send("/digest", chat=team_group)
        found = await team_group.wait_for(
            lambda m: any("feedback digest" in (x.text or "") for x in m), timeout=15
        )
        assert any(texts.CSV_BUTTON in buttons_of(m) for m in found), [
            (m.text, buttons_of(m)) for m in found
        ]
