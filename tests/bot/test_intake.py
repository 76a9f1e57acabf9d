"""The intake core on a real database, without Telegram."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.config import load_deployment
from bot.intake import CONSENT_VERSION, UNKNOWN_LINK, Intake, Show, sync_services
from storage.db import Database
from storage.services import ServiceRow
from tests.conftest import EXAMPLE, FakeClock

ALICE = 5001


@pytest.fixture
async def intake(db: Database, clock: FakeClock) -> AsyncIterator[Intake]:
    deployment = load_deployment(EXAMPLE)
    await sync_services(
        db, [ServiceRow(s.slug, s.name, s.description, s.provider) for s in deployment.services]
    )
    yield Intake(db, clock)


ids = itertools.count(1)


def uid() -> int:
    return next(ids)


async def consented(intake: Intake, who: int = ALICE, slug: str = "") -> int:
    step = await intake.start(uid(), who)
    assert step.show is Show.CONSENT
    step = await intake.consent(uid(), who, True, CONSENT_VERSION, slug)
    return step.seq


async def test_nothing_is_stored_before_consent(intake: Intake, db: Database) -> None:
    step = await intake.start(uid(), ALICE, "s_library")
    assert step.show is Show.CONSENT and step.pending_slug == "library"
    await intake.text(uid(), ALICE, "The library was closed again today")
    assert await db.fetchall("SELECT * FROM citizens WHERE id != 0") == []
    assert await db.fetchall("SELECT * FROM conversations") == []


async def test_declining_stores_only_the_decision(intake: Intake, db: Database) -> None:
    await intake.start(uid(), ALICE)
    step = await intake.consent(uid(), ALICE, False, CONSENT_VERSION, "")
    assert step.show is Show.DECLINED
    rows = await db.fetchall("SELECT version, decision FROM consents")
    assert [tuple(r) for r in rows] == [(CONSENT_VERSION, "declined")]
    assert await db.fetchall("SELECT * FROM conversations") == []
    assert await db.fetchall("SELECT * FROM feedback") == []


async def test_whole_conversation_saves_one_item(intake: Intake, db: Database) -> None:
    seq = await consented(intake)
    step = await intake.choose_service(uid(), ALICE, seq, "buses")
    assert step.show is Show.ASK_TEXT and step.service and step.service.slug == "buses"
    step = await intake.text(uid(), ALICE, "ok")
    assert step.show is Show.MORE_TEXT
    step = await intake.text(uid(), ALICE, "The 42 bus never turns up on time in the morning")
    assert step.show is Show.RATING
    step = await intake.text(uid(), ALICE, "And the driver was rude to my dad")
    assert step.show is Show.RATING and step.note == "added_text"
    step = await intake.rate(uid(), ALICE, seq, 2)
    assert step.show is Show.HEAR_BACK
    step = await intake.hear_back(uid(), ALICE, seq, True)
    assert step.show is Show.INVOLVE
    step = await intake.involve(uid(), ALICE, seq, True)
    assert step.show is Show.SAVED and step.reference == 1 and step.hear_back
    row = await db.fetchone("SELECT service_slug, text, rating, hear_back, status FROM feedback")
    assert row is not None
    assert tuple(row) == (
        "buses",
        "The 42 bus never turns up on time in the morning\nAnd the driver was rude to my dad",
        2,
        1,
        "pending",
    )
    # The involvement question is asked once per citizen.
    seq = (await intake.start(uid(), ALICE)).seq
    await intake.choose_service(uid(), ALICE, seq, "parks")
    await intake.text(uid(), ALICE, "Lovely flower beds this year")
    await intake.rate(uid(), ALICE, seq, None)
    step = await intake.hear_back(uid(), ALICE, seq, False)
    assert step.show is Show.SAVED and step.reference == 2


async def test_deep_link_preselects_the_service(intake: Intake) -> None:
    await intake.start(uid(), ALICE, "s_gp-surgery")
    step = await intake.consent(uid(), ALICE, True, CONSENT_VERSION, "gp-surgery")
    assert step.show is Show.ASK_TEXT and step.service and step.service.slug == "gp-surgery"
    # An unknown link rides on the consent button as such, so the list after says so.
    step = await intake.start(uid(), 5002, "s_nowhere")
    assert step.show is Show.CONSENT and step.pending_slug == UNKNOWN_LINK


async def test_unknown_deep_link_for_a_known_citizen(intake: Intake) -> None:
    await consented(intake)
    await intake.cancel(uid(), ALICE)
    step = await intake.start(uid(), ALICE, "s_nowhere")
    assert step.show is Show.SERVICES and step.note == "unknown_service"


async def test_a_replayed_update_changes_nothing(intake: Intake, db: Database) -> None:
    seq = await consented(intake)
    await intake.choose_service(uid(), ALICE, seq, "library")
    await intake.text(uid(), ALICE, "Please open on Sundays, students need it")
    await intake.rate(uid(), ALICE, seq, 5)
    await intake.hear_back(uid(), ALICE, seq, False)
    last = uid()
    first = await intake.involve(last, ALICE, seq, False)
    again = await intake.involve(last, ALICE, seq, False)
    assert first.show is Show.SAVED and again.show is Show.NOTHING
    row = await db.fetchone("SELECT COUNT(*) FROM feedback")
    assert row is not None and row[0] == 1


async def test_the_consent_question_for_an_odd_message_is_asked_once_per_update(
    intake: Intake,
) -> None:
    """A photo or sticker before agreeing is answered with the question; the same update
    handled again (a crash before it was marked handled) asks nothing more."""
    update = uid()
    first = await intake.consent_question(ALICE, update)
    again = await intake.consent_question(ALICE, update)
    assert first is not None and first.show is Show.CONSENT
    assert again is not None and again.show is Show.NOTHING
    # Without an update (one claimed already, as a place's is), it is asked each time.
    asked = await intake.consent_question(ALICE)
    assert asked is not None and asked.show is Show.CONSENT


async def test_stale_and_forged_buttons_do_nothing(intake: Intake, db: Database) -> None:
    seq = await consented(intake)
    assert (await intake.rate(uid(), ALICE, seq, 3)).show is Show.EXPIRED  # wrong state
    assert (await intake.choose_service(uid(), ALICE, seq + 1, "parks")).show is Show.EXPIRED
    assert (await intake.choose_service(uid(), ALICE, seq, "nowhere")).show is Show.EXPIRED
    await intake.choose_service(uid(), ALICE, seq, "parks")
    await intake.text(uid(), ALICE, "The swings are broken again")
    assert (await intake.rate(uid(), ALICE, seq, 9)).show is Show.EXPIRED
    assert (await intake.rate(uid(), 7777, seq, 3)).show is Show.CONSENT  # someone else
    row = await db.fetchone("SELECT state FROM conversations")
    assert row is not None and row[0] == "rating"


async def test_service_search_by_typing(intake: Intake) -> None:
    seq = await consented(intake)
    step = await intake.text(uid(), ALICE, "bus")
    assert step.show is Show.ASK_TEXT and step.service and step.service.slug == "buses"
    await intake.cancel(uid(), ALICE)
    seq = (await intake.start(uid(), ALICE)).seq
    step = await intake.text(uid(), ALICE, "zzz")
    assert step.show is Show.SERVICES and step.note == "no_match"
    step = await intake.text(uid(), ALICE, "The bins were not collected on Tuesday at all")
    assert step.show is Show.SERVICES and step.note == "kept_text"
    step = await intake.choose_service(uid(), ALICE, seq, "bins")
    assert step.show is Show.RATING


async def test_feedback_without_start_keeps_the_words(intake: Intake) -> None:
    await consented(intake)
    await intake.cancel(uid(), ALICE)
    step = await intake.text(uid(), ALICE, "Reception staff at the surgery were very kind")
    assert step.show is Show.SERVICES and step.note == "kept_text"
    step = await intake.choose_service(uid(), ALICE, step.seq, "gp-surgery")
    assert step.show is Show.RATING


async def test_paging_past_eight_services(db: Database, clock: FakeClock) -> None:
    rows = [ServiceRow(f"s{i}", f"Service {i}", "", "p") for i in range(19)]
    await sync_services(db, rows)
    intake = Intake(db, clock)
    await intake.start(uid(), ALICE)
    step = await intake.consent(uid(), ALICE, True, CONSENT_VERSION, "")
    assert step.pages == 3 and [s.slug for s in step.services] == [f"s{i}" for i in range(8)]
    step = await intake.page(uid(), ALICE, step.seq, 2)
    assert [s.slug for s in step.services] == ["s16", "s17", "s18"] and step.page == 2


async def test_idle_conversation_times_out_and_keeps_words(
    intake: Intake, db: Database, clock: FakeClock
) -> None:
    seq = await consented(intake)
    await consented(intake, who=5002)
    await intake.choose_service(uid(), ALICE, seq, "library")
    await intake.text(uid(), ALICE, "The toilets were out of order all week")
    clock.advance(minutes=20)
    assert await intake.expire_idle(timedelta(minutes=30)) == []
    clock.advance(minutes=11)
    told = dict(await intake.expire_idle(timedelta(minutes=30)))
    assert told[ALICE].show is Show.TIMED_OUT and told[ALICE].reference == 1
    assert told[5002].show is Show.TIMED_OUT and told[5002].reference is None
    assert await db.fetchall("SELECT * FROM conversations") == []


async def test_mine_lists_newest_first(intake: Intake) -> None:
    assert (await intake.mine(ALICE)).items == ()
    for text in ("First thing that happened here", "Second thing that happened here"):
        seq = (
            (await intake.start(uid(), ALICE)).seq
            if text.startswith("S")
            else await consented(intake)
        )
        await intake.choose_service(uid(), ALICE, seq, "library")
        await intake.text(uid(), ALICE, text)
        await intake.rate(uid(), ALICE, seq, 4)
        step = await intake.hear_back(uid(), ALICE, seq, False)
        if step.show is Show.INVOLVE:
            await intake.involve(uid(), ALICE, seq, False)
    mine = await intake.mine(ALICE)
    assert [i.text for i in mine.items] == [
        "Second thing that happened here",
        "First thing that happened here",
    ]
    assert all(i.status == "pending" for i in mine.items) and mine.total == 2


async def test_too_long_text_is_refused_whole_never_cut(intake: Intake, db: Database) -> None:
    seq = await consented(intake)
    await intake.choose_service(uid(), ALICE, seq, "library")
    assert (await intake.text(uid(), ALICE, "x " * 3000)).show is Show.TOO_LONG
    first = "word " * 800
    assert (await intake.text(uid(), ALICE, first)).show is Show.RATING
    step = await intake.text(uid(), ALICE, "more " * 100)
    assert step.show is Show.RATING and step.note == "too_long"
    step = await intake.text(uid(), ALICE, "and one more thing")
    assert step.note == "added_text"
    row = await db.fetchone("SELECT text FROM conversations")
    assert row is not None and row[0] == first.strip() + "\nand one more thing"


async def test_words_sent_past_the_rating_are_not_added(intake: Intake, db: Database) -> None:
    seq = await consented(intake)
    await intake.choose_service(uid(), ALICE, seq, "parks")
    await intake.text(uid(), ALICE, "The toilets by the lake were locked")
    await intake.rate(uid(), ALICE, seq, 2)
    # Past the rating the item is written: the buttons are asked for, the step kept.
    step = await intake.text(uid(), ALICE, "at 3pm on a Saturday")
    assert step.show is Show.HEAR_BACK and step.note == "use_buttons"
    await intake.hear_back(uid(), ALICE, seq, False)
    step = await intake.involve(uid(), ALICE, seq, False)
    item = await db.fetchone("SELECT text FROM feedback WHERE id = ?", (step.reference,))
    assert item is not None and item[0] == "The toilets by the lake were locked"
