"""The provider's side attacked as an independent Telegram client would drive it (round 47), part E:
two Sends at once, long service slugs, emoji reasons, captions, /responses in groups."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import add_item, buttons_of, last_has, press_on
from tests.e2e.test_citizen import stored
from tests.e2e.test_moderation import invite
from tests.e2e.test_provider_attacks import notices
from tests.e2e.test_responses import (
    CHANGED,
    IN_PROGRESS,
    NOT_CHANGING,
    WEDNESDAY,
    World,
    answer_item,
    send_words,
)
from tests.e2e.test_responses import world as world  # the fixture


async def test_a_theme_at_one_of_two_services_with_long_names_can_be_answered(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, clock: FakeClock
) -> None:
    """A deployment names its services with slugs such as "northfield-community-libraries"
    and "riverside-community-libraries" (29 characters; slugs may have up to 31). Both get
    complaints about antisocial behaviour. Pat types /respond, presses "Antisocial
    behaviour" and is asked "came up at more than one service. Which are you answering?";
    she presses "Parks and green spaces" - a service she runs - and is told "You can only
    respond for the services you run." (and a refusal is written in the audit log against
    her). She cannot answer that theme at that service at all.

    Expected: each service button starts the answer ("What is your answer?"). (Likely
    cause: AnswerHandlers.button in handlers/responses.py builds the service buttons'
    data as f"o:t:{slot}:{theme}:{slug}"[:64]: with a period slot "s<seconds>", a long
    theme id and a long slug the slug is cut, and the cut slug matches no service.)"""
    admin, pat = emu.person("Ada"), emu.person("Pat")
    first, second = "northfield-community-libraries", "riverside-community-libraries"
    renamed = {"library": first, "parks": second}
    services = [
        s.model_copy(update={"slug": renamed.get(s.slug, s.slug)}) for s in deployment.services
    ]
    staffed = deployment.model_copy(update={"admins": [admin.id], "services": services})
    clock.now = WEDNESDAY
    async with make_bot(deployment=staffed) as bot:
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        alice, bob = emu.person("Alice"), emu.person("Bob")
        theme = ("antisocial_behaviour",)
        await add_item(bot.db, alice.id, first, "Teenagers shouting inside.", WEDNESDAY, theme)
        await add_item(bot.db, bob.id, second, "Youths fighting by the gates.", WEDNESDAY, theme)
        clock.advance(hours=2)
        await pat.send("/respond")
        menu = (await pat.wait_for(lambda m: bool(m) and bool(buttons_of(m[-1]))))[-1]
        label = next(k for k in buttons_of(menu) if "Antisocial" in k)
        await press_on(pat, menu, label)
        choice = (await pat.wait_for(last_has("Which are you answering?")))[-1]
        real = buttons_of(choice)["Parks and green spaces"]
        forged = await pat.press_data(choice.message_id, real.rsplit(":", 1)[0] + ":_0badf00d")
        refused = await forged.answered()
        assert refused.get("text") == texts.RESPOND_PROBLEMS["not_allowed"], refused
        answer = await press_on(pat, choice, "Parks and green spaces")
        assert answer.get("text") != texts.RESPOND_PROBLEMS["not_allowed"], answer
        asked = (await pat.wait_for(last_has("What is your answer?")))[-1]
        assert "Parks and green spaces" in (asked.text or ""), asked.text


async def test_a_reason_made_only_of_emoji_is_not_sent_as_a_reason(
    world: World, emu: Emulator
) -> None:
    """Pat chooses "Not changing, and why" for Alice's item and types sixteen 🙅 separated
    by spaces. "👍 👍 👍" is refused as "a little short", and "not changing" needs a reason
    of several words; this passes both checks (31 characters, 16 "words"), the preview
    offers Send, and Alice would read that her request is refused with no reason at all.

    Expected: an answer (above all a reason) with no words in it is refused kindly, as "ok"
    and "👍 👍 👍" are. (Likely cause: check_words in bot/responses.py counts characters and
    whitespace-separated tokens, so symbols and emoji count as words.)"""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "Open on Sundays please.", WEDNESDAY)
    await answer_item(world.pat, item, NOT_CHANGING)
    count = len(world.pat.messages)
    await world.pat.send(" ".join(["🙅"] * 16))
    await world.pat.wait_for(lambda m: len(m) > count)
    said = world.pat.messages[-1].text or ""
    assert texts.RESPOND_PREVIEW_FOOT not in said, f"emoji offered to Alice as a reason: {said}"


async def test_words_in_a_photos_caption_while_writing_an_answer_are_not_silently_lost(
    world: World, emu: Emulator
) -> None:
    """Pat is asked for the words of her answer to "The ramp is broken." She sends a photo
    of the mended ramp with the caption "We mended the ramp this morning, here it is." and
    is told "Thanks for the photo, but I can only pass on words for now, so it wasn't kept."
    She did send words: she cannot tell whether they were taken, and they were not (no
    preview, nothing kept). A citizen's caption is taken as their words.

    Expected: the caption's words are taken as the answer (previewed, with Send), or the
    reply says plainly that the words of the caption were not taken and asks her to send
    them as a message. (Likely cause: the unless_writing media handler in
    handlers/__init__.py answers any media from a staff member writing with
    common.not_text, never reading the caption.)"""
    alice = emu.person("Alice")
    item = await add_item(world.bot.db, alice.id, "library", "The ramp is broken.", WEDNESDAY)
    await answer_item(world.pat, item, CHANGED)
    count = len(world.pat.messages)
    await world.pat.send_photo(caption="We mended the ramp this morning, here it is.")
    # Her answer's preview, or the old word that only words are passed on.
    ends = (texts.RESPOND_PREVIEW_FOOT, texts.UNSUPPORTED["photo"])
    await world.pat.wait_for(lambda m: any(e in (x.text or "") for x in m[count:] for e in ends))
    await emu.idle(quiet=0.3)
    said = [m.text or "" for m in world.pat.messages[count:]]
    previewed = any("mended the ramp" in s and texts.RESPOND_PREVIEW_FOOT in s for s in said)
    explained = any("caption" in s.lower() for s in said)
    assert previewed or explained, said


async def test_two_of_a_team_pressing_send_at_the_same_moment_do_not_both_reach_people(
    world: World, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """On PostgreSQL (the engine for several instances). Pat and Kim, of the same team, each
    answer Alice's "The lift is broken again." and each has a preview with Send. Had Kim
    sent first, Pat's Send would say "A colleague has just answered these items ...
    Nothing was sent; press Send again to send yours too". But they press Send at the same
    moment (the team was discussing it in the office): both answers go out, each told only
    "Published", and Alice receives two different answers to the same item within a
    second, unasked. (On SQLite, whose writes take turns, the second is refused.)

    Expected: as when one presses a moment later - one goes, the other is told a colleague
    has just answered and sends nothing unless pressed again. (Likely cause: Responses.send
    in bot/responses.py checks _meanwhile (responses.answered_since) and then inserts, in a
    REPEATABLE READ transaction (storage/postgres.py write): each snapshot misses the
    other's new response and the two inserts do not conflict; nothing locks the items.)"""
    kim, alice = emu.person("Kim"), emu.person("Alice")
    assert "Culture and Leisure" in await invite(world.admin, kim, "provider culture-leisure")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken again.", WEDNESDAY)
    previews = []
    for person, words in (
        (world.pat, "An engineer is booked for the lift on Friday."),
        (kim, "The lift part is ordered and arrives next week."),
    ):
        await answer_item(person, item, IN_PROGRESS)
        await person.send(words)
        shown = await person.wait_for(last_has(texts.RESPOND_PREVIEW_FOOT))
        previews.append((person, shown[-1]))
        clock.advance(minutes=1)
    presses = await asyncio.gather(
        *(p.press_data(m.message_id, buttons_of(m)[texts.RESPOND_SEND]) for p, m in previews)
    )
    answers = await asyncio.gather(*(p.answered() for p in presses))
    await emu.idle(quiet=0.5)
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(1,)], answers
    assert len(notices(alice)) <= 1, notices(alice)
    told = [a.get("text") for a in answers]
    assert texts.RESPOND_PROBLEMS["answered_meanwhile"] in told, told


async def test_a_moderators_responses_list_is_not_posted_in_any_group(
    world: World, emu: Emulator
) -> None:
    """Sam, a moderator, types /responses in "Friends", a group of his that has nothing to
    do with the service (Eve is in it). The bot posts there "Latest responses (newest
    first)": every provider's answers, with their services and item numbers, each with a
    "🙈 Hide R1" button. A provider typing the same in a group that is not their team's is
    told "Provider commands work in our private chat or in your team's chat.", and Sam's
    /queue there gets a pointer too; his /responses is answered in full.

    Expected: outside the moderators' group, a team's group or a private chat, a short
    pointer to where /responses works, and nothing of the list. (Likely cause:
    AnswerHandlers.list_recent in handlers/responses.py lets a moderator list everything in
    any chat; /responses is neither in MODERATORS_ONLY nor checked by provider_place for a
    moderator.)"""
    alice, eve = emu.person("Alice"), emu.person("Eve")
    item = await add_item(world.bot.db, alice.id, "library", "The lift is broken.", WEDNESDAY)
    await answer_item(world.pat, item, IN_PROGRESS)
    await send_words(world.pat, "An engineer is booked for the lift on Friday.")
    friends = emu.group("Friends", members=[world.sam, eve])
    await world.sam.send("/responses", chat=friends)
    said = await friends.wait_for(lambda m: bool(m))
    await emu.idle(quiet=0.3)
    shown = [(m.text or "", buttons_of(m)) for m in friends.messages]
    assert not any("engineer is booked" in text for text, _ in shown), shown
    assert said and "/responses works in" in (said[-1].text or ""), shown
