"""Attacks on the changes merged in round 46 (photo posted twice, albums after a save and at
first contact, two moderators on one text, updates stored as JSON, the WAL job): failing
tests, each saying what a person sees and should see."""

from __future__ import annotations

import asyncio
from pathlib import Path

from emulator import Emulator, Person
from handlers import texts
from handlers.bidi import isolate
from tests.conftest import FakeClock
from tests.e2e.test_citizen import stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_languages import World
from tests.e2e.test_languages import welsh as welsh  # the fixture
from tests.e2e.test_media_attacks import album
from tests.e2e.test_moderation import Team, card_of, give, press_card
from tests.e2e.test_photo_posted_twice import (
    ids_under,
    posted_twice,
    recorded,
)
from tests.e2e.test_photo_posted_twice import team as team  # the fixture
from tests.e2e.test_privacy_attacks import forget_all
from tests.e2e.test_webhook import until


def _language_question(buttons: list[list[str]]) -> bool:
    return any("Cymraeg" in row or "English" in row for row in buttons)


def _language_jobs(world: World) -> list[object]:
    queue = world.bot.application.job_queue
    assert queue is not None
    return [j for j in queue.jobs() if (j.name or "").startswith("language:")]


async def test_a_first_album_whose_question_job_is_lost_to_a_restart_is_still_answered(
    welsh: World, emu: Emulator, db_path: Path
) -> None:
    """Gwen's very first message is an album of two photos with no words. Since 1613d53 the
    language question is no longer asked while her photos are handled: it is left to a job
    (`MediaHandlers.language_later`) held only in memory, with the Update in its data, while
    her updates are marked handled. The bot restarts within those two seconds (a deploy, a
    crash): the job is gone, nothing in the database says she was never answered, and the
    time-out rounds (`albums_left`, `answer_again`) know nothing of her. Gwen sees: nothing,
    ever, for her album. She should see: the language question (once), as before the change,
    when the first photo asked it at once."""
    gwen = emu.person("Gwen", language_code="cy")
    album(gwen, 2, "first-lost")

    def handled_both() -> bool:
        rows = stored(db_path, "SELECT COUNT(*), COUNT(handled_at) FROM updates")
        total, handled = (int(str(v)) for v in rows[0])
        return total >= 2 and total == handled and bool(_language_jobs(welsh))

    await until(handled_both, timeout=15)
    # A restart now: the jobs held in memory are lost (as `lose_album_jobs` does for albums).
    for job in _language_jobs(welsh):
        job.schedule_removal()  # type: ignore[attr-defined]
    # The rounds a restarted bot runs.
    await run_job(welsh.bot, "expire-idle-conversations")
    await run_job(welsh.bot, "answer-again-after-a-crash")
    await gwen.wait_for(lambda msgs: any(_language_question(m.buttons) for m in msgs), timeout=10)


async def test_a_leftover_copy_of_a_forgotten_citizens_photo_is_taken_down_when_pressed(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A photo posted twice under its card (Telegram answered the first sendPhoto late): the
    first copy is recorded nowhere. Nobody presses either copy; the citizen then asks to be
    forgotten. /forget takes back the recorded copy only, so her photo stays in the
    moderators' chat under the (deleted) card. A moderator who notices it presses Approve on
    it: `decide_photo` finds no such photo (its row went with /forget) and answers "no such
    item", and the photo stays there for good. The moderators see: a forgotten citizen's
    photo that the bot says does not exist and never removes. They should see it taken down
    once pressed (it is the bot's own photo message under a card, carrying the buttons of a
    photo that is gone: what `_copy_under` already checks), as /forget promised her."""
    _, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        await forget_all(team.citizen)
        await team.group.wait_for(lambda _: second.deleted, timeout=15)
        assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)]
        data = first.button_data[0][0]
        assert data is not None
        pressed = await team.sam.press_data(first.message_id, data, chat=team.group)
        await pressed.answered()
        await team.group.wait_for(
            lambda _: first.deleted or "Removed" in (first.text or ""), timeout=15
        )
        assert ids_under(team.group, card) in ([], [first.message_id])
    finally:
        held.release()


async def test_two_presses_on_the_two_copies_at_once_leave_one_working_copy(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam presses Approve on the unrecorded first copy while Mo presses Keep back on the
    recorded second copy, at the same instant. Sam's press adopts the first copy and queues
    the second to be taken back; the take-back deletes it (its `messages_to_clean` row
    goes); Mo's press, already sent by Telegram with the second copy as its message, is
    handled next and passes `_adopt`'s checks (the second copy is no longer recorded, and
    no longer queued: `traces.queued` only knows copies still to go), so the deleted second
    copy is recorded as the photo's and the first, the only one left, is taken back too.
    The moderators see: the photo vanishes from under the card altogether (both copies
    deleted, both presses answered as if fine), and /forget or retention will look for a
    message that no longer exists. They should see one copy left under the card, recorded
    as the photo's."""
    item, card, (first, second), held = await posted_twice(team, emu, db_path)
    try:
        approve = first.button_data[0][0]
        keep_back = second.button_data[0][1]
        assert approve is not None and keep_back is not None
        a, b = await asyncio.gather(
            team.sam.press_data(first.message_id, approve, chat=team.group),
            team.mo.press_data(second.message_id, keep_back, chat=team.group),
        )
        await asyncio.gather(a.answered(), b.answered())
        # Both decisions are written before their answers; what they queued, then taken back.
        await until(
            lambda: (
                stored(db_path, "SELECT COUNT(*) FROM messages_to_clean") == [(0,)]
                and first.deleted + second.deleted >= 1
            ),
            timeout=15,
        )
        left = ids_under(team.group, card)
        assert len(left) == 1, (left, first.deleted, second.deleted)
        assert recorded(db_path, item) == left
    finally:
        held.release()


async def test_a_refused_edit_is_told_the_time_it_really_has_to_wait(
    team: Team, db_path: Path, clock: FakeClock
) -> None:
    """Sam pressed Edit nine minutes ago and left it. Mo presses Edit: refused, and told
    "Try again ... (or in 10 minutes, if they leave it)" (handlers/english.py EDIT_TAKEN,
    a fixed "10 minutes"), although Sam's hold (EDIT_HOLD, counted from his press) lets go
    in one minute. Mo sees: wait ten more minutes. Mo should see: how long is really left
    (about a minute), or no figure at all."""
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    await team.group.wait_for(
        lambda msgs: any(
            (m.text or "").startswith(isolate("Sam") + ", reply to this message") for m in msgs
        )
    )
    clock.advance(minutes=9)
    answer = await press_card(team.mo, team.group, card, texts.EDIT)
    said = str(answer.get("text") or "")
    assert said.startswith(isolate("Sam")), said
    assert "10 minutes" not in said, said


def _sent_id(citizen: Person, text: str) -> int:
    """The message id of what a citizen sent with these words (in her chat with the bot)."""
    where = citizen._where(None)  # the emulator's record of her chat
    return next(
        int(m["message_id"])
        for m in where.messages.values()
        if m.get("from", {}).get("id") == citizen.id and m.get("text") == text
    )


async def test_an_edit_of_an_earlier_reports_words_is_not_said_to_concern_the_latest(
    team: Team, db_path: Path
) -> None:
    """Cy reported the bus (#1), then the library (#2). She edits the message she wrote for
    #1 (Telegram's edited_message carries its original date, before #2 began). The note of
    f41710e (handlers/common.py `_edited`, Intake.latest_saved: her latest item, whatever
    the edit was of) tells her "#2 stays as you first wrote it ... if it adds to #2, say so":
    she sees her bus correction tied to the library report, and is invited to tell the
    moderators the two go together. She should see #1 named (or no number at all)."""
    citizen = team.citizen
    bus = "The 42 bus was late again and the driver shouted at us."
    first = await give(citizen, "Buses", bus)
    second = await give(citizen, "Central Library", "The library lift has been broken all month.")
    assert (first, second) == (1, 2)
    before = len(citizen.messages)
    await citizen.edit(_sent_id(citizen, bus), "The 42 bus was late again and the driver swore.")
    note = (await citizen.wait_for(lambda msgs: len(msgs) > before))[-1].text or ""
    assert "edited a message" in note, note
    assert f"#{second}" not in note, note
