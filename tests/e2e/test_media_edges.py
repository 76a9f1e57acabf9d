"""Photos after a card posted anew and a wait, first messages before the language is chosen, a
merge of a merge in /mine, a photo given to a provider as its author forgets."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator, MessageView
from handlers import texts
from handlers.moderator import SWEEP_AFTER_WAIT
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_languages import World
from tests.e2e.test_languages import welsh as welsh  # the fixture
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_privacy_outside import until

CEILING = 30.0


async def test_a_card_posted_again_with_a_wait_in_the_middle_gets_every_photo_after(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Three photos under a card; the card is deleted by hand and posted again with 📋 from
    /queue; Telegram answers the second photo under the new card with a 429: every photo
    ends up under the new card (the sweep after the wait), the third one too."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    await reply_to(citizen, citizen.send_photo(gps_photo("green")))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 3, timeout=CEILING)
    team.group.chat.deleted.update(
        {card.message_id, *(m.message_id for m in under(team, card, "photo"))}
    )
    # Longer than an update may wait: the 429 comes straight back to the handler.
    flood = emu.faults.flood(
        "sendPhoto", chat_id=team.group.id, retry_after=5, times=1, text_contains="photo 2"
    )
    await say(team.sam, "/queue")
    await press_card(
        team.sam, team.group, team.sam.messages[-1], texts.QUEUE_POST.format(item=item)
    )

    def posted_again(messages: list[MessageView]) -> list[MessageView]:
        return [
            m
            for m in messages
            if (m.text or "").startswith(f"#{item} ") and m.message_id != card.message_id
        ]

    (again,) = posted_again(await team.group.wait_for(posted_again))
    await team.group.wait_for(lambda _: flood.hits == 1, timeout=CEILING)
    # The sweep after the wait (run here, as its timer would).
    await run_job(team.bot, "moderation-sweep")
    await team.group.wait_for(lambda _: len(under(team, again, "photo")) >= 2, timeout=CEILING)
    await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=1.0, timeout=15)
    captions = sorted((m.text or "") for m in under(team, again, "photo"))
    assert len(captions) == 3, (
        captions,
        stored(
            db_path,
            f"SELECT id, card_message_id, posting_since FROM media WHERE feedback_id = {item}",
        ),
        again.message_id,
    )


async def test_photos_held_by_a_wait_under_a_card_posted_with_the_queue_button_go_after_it(
    team: Team, emu: Emulator
) -> None:
    """📋 from /queue posts a card anew with its photos under it; Telegram answers the
    second photo with a 429: a sweep is set for the end of that wait (as for any card), so
    the photos left go then, not at the next 30 s round."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_photo(gps_photo("blue")))
    await reply_to(citizen, citizen.send_photo(gps_photo("green")))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 3, timeout=CEILING)
    team.group.chat.deleted.update(
        {card.message_id, *(m.message_id for m in under(team, card, "photo"))}
    )
    job_queue = team.bot.application.job_queue
    assert job_queue is not None and not job_queue.get_jobs_by_name(SWEEP_AFTER_WAIT)
    # Longer than an update may wait: the 429 comes straight back to the handler.
    flood = emu.faults.flood(
        "sendPhoto", chat_id=team.group.id, retry_after=5, times=1, text_contains="photo 2"
    )
    await say(team.sam, "/queue")
    await press_card(
        team.sam, team.group, team.sam.messages[-1], texts.QUEUE_POST.format(item=item)
    )
    await until(emu, lambda: flood.hits == 1, timeout=CEILING)
    await until(emu, lambda: bool(job_queue.get_jobs_by_name(SWEEP_AFTER_WAIT)), timeout=CEILING)
    (again,) = [
        m
        for m in team.group.messages
        if (m.text or "").startswith(f"#{item} ") and m.message_id != card.message_id
    ]
    # The sweep after the wait (run here, as its timer would): the photos left go under it.
    (after_wait,) = job_queue.get_jobs_by_name(SWEEP_AFTER_WAIT)
    await after_wait.run(team.bot.application)
    await team.group.wait_for(lambda _: len(under(team, again, "photo")) == 3, timeout=CEILING)


async def test_a_first_photo_answered_with_the_language_question_is_said_not_kept(
    welsh: World, emu: Emulator, db_path: Path
) -> None:
    """Gwen's first message is a photo, in a deployment offering two languages: the language
    question, then (English chosen) the consent question, saying the photo was not kept (as
    where no language is offered: "so this one wasn't kept: send it again once you have")."""
    gwen = emu.person("Gwen", language_code="cy")
    await gwen.send_photo(gps_photo())
    first = await gwen.next_message()
    assert any("English" in row for row in first.buttons), first.text
    await press(gwen, "English")
    await gwen.wait_for(lambda msgs: "Is that OK with you?" in (msgs[-1].text or ""))
    await emu.idle(quiet=0.5, timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    said = "\n".join(m.text or "" for m in gwen.messages)
    assert "wasn't kept" in said or "send it again" in said, said


A_TEXT = "The 42 bus driver was very rude to my mother."
B_TEXT = "Bus number forty-two: the man at the wheel shouted at my mum all the way."
C_TEXT = "On the number 42 the driver yelled at my elderly mother for being slow."


async def test_mine_after_a_merge_of_a_merge_lists_no_me_too(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Xan's item C is merged into B, then B into A. Xan never said "me too" to A: /mine
    shows C (with A's answers) and no "me too"s."""
    from tests.e2e.test_moderation import give

    bea, xan = emu.person("Bea"), emu.person("Xan")
    a = await give(team.citizen, "Buses", A_TEXT)
    b = await give(bea, "Buses", B_TEXT)
    c = await give(xan, "Buses", C_TEXT)
    card_a, card_b = await card_of(team.group, a), await card_of(team.group, b)
    await press_card(team.sam, team.group, card_b, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_b.text or ""))
    assert await say(team.sam, f"/merge {b} {c}") == texts.MERGED.format(item=c, into=b)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card_a.text or ""))
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)
    await xan.send("/mine")
    found = await xan.wait_for(lambda msgs: "What you've told us" in (msgs[-1].text or ""))
    mine = found[-1].text or ""
    assert texts.MERGE_MINE_STATUS in mine, mine
    assert texts.MINE_SUPPORTED_HEADER not in mine, mine


async def test_a_first_photo_with_words_before_the_language_is_said_not_kept(
    welsh: World, emu: Emulator, db_path: Path
) -> None:
    """Gwen's first message is a photo with her words as its caption: the language
    question, then the consent question carrying her words, saying the photo was not kept."""
    gwen = emu.person("Gwen", language_code="cy")
    await gwen.send_photo(gps_photo(), caption=WORDS)
    first = await gwen.next_message()
    assert any("English" in row for row in first.buttons), first.text
    await press(gwen, "English")
    await gwen.wait_for(lambda msgs: "Is that OK with you?" in (msgs[-1].text or ""))
    await emu.idle(quiet=0.5, timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    said = "\n".join(m.text or "" for m in gwen.messages)
    assert "wasn't kept" in said or "send it again" in said, said


async def test_a_photo_given_to_a_provider_as_its_author_forgets_is_taken_back(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A provider's /photo N is on its way (Telegram slow to answer) while its author sends
    /forget: the photo then arrives in the provider's chat, and is taken back at once."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: under(team, card, "photo"))
    photo = under(team, card, "photo")[0]
    number = stored(db_path, f"SELECT id FROM media WHERE feedback_id = {item}")[0][0]
    await press_card(team.sam, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Sam\u2069" in (card.text or ""))
    await press_card(team.sam, team.group, photo, texts.PHOTO_APPROVE)
    await team.group.wait_for(lambda _: "approved by \u2068Sam\u2069" in (photo.text or ""))
    held = emu.faults.late("sendPhoto", chat_id=team.pat.id, delay=8, times=1)
    await team.pat.send(f"/photo {number}")
    await team.pat.wait_for(lambda msgs: any(m.photo for m in msgs))
    # The author forgets everything while Telegram has not answered yet.
    await citizen.send("/forget")
    await citizen.wait_for(lambda msgs: texts.FORGET_ALL in str(msgs[-1].buttons))
    await press(citizen, texts.FORGET_ALL)
    await team.group.wait_for(lambda _: photo.deleted, timeout=15)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
    held.release()
    (given,) = [m for m in team.pat.messages if m.photo]
    # Recorded to take back as soon as Telegram's answer comes; the job takes it back.
    queued = f"SELECT COUNT(*) FROM messages_to_clean WHERE chat_id = {team.pat.id}"
    await until(emu, lambda: stored(db_path, queued) == [(1,)], timeout=CEILING)
    await run_job(team.bot, "take-back-messages")
    await team.pat.wait_for(lambda _: given.deleted, timeout=CEILING)
