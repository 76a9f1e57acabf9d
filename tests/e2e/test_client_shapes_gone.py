"""Update shapes the real apps and Bot API send: a button on a message the bot can no longer
see (what it did stands, and is not said to have failed), a picture an inline bot found."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import YousaidBot
from emulator import Emulator, Person
from handlers import texts
from tests.e2e.helpers import buttons_of
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_media import gps_photo
from tests.e2e.test_media_captions import post
from tests.e2e.test_moderation import Team, card_of, give
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_privacy import ask


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "handling an update" in record.getMessage():
            self.records.append(record)


@pytest.fixture
def failures() -> Iterator[list[logging.LogRecord]]:
    """Tracebacks of handlers logged while the test runs."""
    handler = Records()
    logging.getLogger().addHandler(handler)
    yield handler.records
    logging.getLogger().removeHandler(handler)


def gone(person: Person, message_id: int) -> None:
    """She deletes one of the bot's messages in her private chat (for both sides): a button
    on it pressed from a client that still shows it reaches the bot as an InaccessibleMessage
    (date 0)."""
    person.chat.deleted.add(message_id)


async def test_erase_everything_pressed_on_a_message_the_bot_cannot_see_is_not_told_as_failed(
    bot: YousaidBot, emu: Emulator, db_path: Path, failures: list[logging.LogRecord]
) -> None:
    """ "Erase everything" pressed on /forget's question that the bot can no longer see
    (an InaccessibleMessage, date 0): the erasure is done, so she must not be told that
    something went wrong and to try again (nor the handler crash)."""
    eve = emu.person("Eve")
    await consent(eve)
    await press(eve, "Central Library")
    await say(eve, "The study room was far too cold and the heating was off again")
    await ask(eve, "/forget", "can't be undone")
    question = eve.messages[-1]
    data = buttons_of(question)[texts.FORGET_ALL]
    gone(eve, question.message_id)
    before = len(eve.messages)
    answer = await (await eve.press_data(question.message_id, data)).answered()
    await emu.idle(quiet=0.5)
    # Erased indeed.
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {eve.id}") == [(0,)]
    said = [m.text or "" for m in eve.messages[before:]] + [str(answer.get("text") or "")]
    assert not any(texts.ERROR in s for s in said), said
    assert failures == [], [r.getMessage() for r in failures]


async def test_the_last_answer_pressed_on_a_message_the_bot_cannot_see_tells_the_number(
    bot: YousaidBot, emu: Emulator, db_path: Path, failures: list[logging.LogRecord]
) -> None:
    """ "No" to "would you like to be involved?" pressed on the question the bot can no
    longer see (InaccessibleMessage): the item is saved, so she is told its number, not that
    something went wrong (she would tell it all again)."""
    ann = emu.person("Ann")
    await consent(ann)
    await press(ann, "Central Library")
    await say(ann, "The study room was far too cold and the heating was off again")
    await press(ann, "4")
    assert "involved" in await press(ann, texts.YES)
    question = ann.messages[-1]
    data = buttons_of(question)[texts.NO]
    gone(ann, question.message_id)
    before = len(ann.messages)
    await (await ann.press_data(question.message_id, data)).answered()
    await emu.idle(quiet=0.5)
    assert stored(db_path, "SELECT id, status FROM feedback") == [(1, "pending")]
    said = [m.text or "" for m in ann.messages[before:]]
    assert not any(texts.ERROR in s for s in said), said
    assert any("Saved as #1" in s for s in said), said
    assert failures == [], [r.getMessage() for r in failures]


async def test_approve_pressed_on_a_card_the_bot_cannot_see_is_not_told_as_failed(
    team: Team, emu: Emulator, db_path: Path, failures: list[logging.LogRecord]
) -> None:
    """A card deleted by hand in the moderators' group, its Approve pressed from a client
    that still shows it (InaccessibleMessage): either it is approved and the moderator told
    so, or nothing is done and they are told why; never a crash with "try again"."""
    item = await give(team.citizen, "Central Library", "The lift was broken all week again")
    card = await card_of(team.group, item)
    team.group.chat.deleted.add(card.message_id)
    data = buttons_of(card)[texts.APPROVE]
    before = len(team.group.messages)
    answer = await (await team.sam.press_data(card.message_id, data, chat=team.group)).answered()
    await emu.idle(quiet=0.5)
    said = [m.text or "" for m in team.group.messages[before:]] + [str(answer.get("text") or "")]
    # Approved indeed: what follows tells a moderator to try again what was done.
    assert stored(db_path, "SELECT id, status FROM feedback") == [(item, "approved")]
    assert not any(texts.ERROR in s for s in said), said
    assert failures == [], [r.getMessage() for r in failures]


async def test_a_picture_sent_through_an_inline_bot_is_not_kept_as_her_photo(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """While telling, she types "@pic library roof" and taps a result: Telegram delivers a
    photo with `via_bot` (a picture another bot found on the web, not one she took): like a
    forward, it is not kept as her photo of the item."""
    cy = team.citizen
    await consent(cy)
    await press(cy, "Central Library")
    await say(cy, "The roof leaks onto the children's books every time it rains")
    picture = {**cy._media(gps_photo(), "photo"), "width": 800, "height": 600}
    post(
        cy,
        {
            "photo": [picture],
            "via_bot": {"id": 136_817_688, "is_bot": True, "first_name": "Pic", "username": "pic"},
        },
    )
    said = (await cy.next_message()).text or ""
    await emu.idle(quiet=0.3)
    assert stored(db_path, "SELECT COUNT(*) FROM media") == [(0,)], said
