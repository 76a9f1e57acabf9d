"""Voice notes and photos Telegram keeps failing to take under their card (the network, its
5xx): tried as often as a card is, then no more, and the moderators are told under the card."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.moderation import CARD_ATTEMPTS
from emulator import Emulator, MessageView
from handlers import media as media_handlers
from handlers import texts
from tests.e2e.test_citizen import consent, press, stored
from tests.e2e.test_digests import run_job
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of
from tests.e2e.test_moderation import team as team  # the fixture

GIVEN_UP = "Telegram kept failing"


async def test_a_photo_telegram_keeps_failing_to_take_is_tried_five_times_then_said_missing(
    team: Team, emu: Emulator, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sendPhoto answers 502: the photo is tried under its card once a sweep, five
    times as a card would be, then no more, with one note under the card saying it will
    not come; the voice note beside it is posted."""
    # One send a try (no retries inside it): each sweep is one try.
    monkeypatch.setattr(media_handlers, "SEND_RETRIES", ())
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    await reply_to(citizen, citizen.send_voice(b"OggS-voice", duration=5))
    failing = emu.faults.server_error("sendPhoto", chat_id=team.group.id, status=502)
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "voice")) == 1)

    def notes(msgs: list[MessageView]) -> list[MessageView]:
        return [m for m in msgs if m.reply_to == card.message_id and GIVEN_UP in (m.text or "")]

    await emu.idle(quiet=0.3, timeout=15)
    while not notes(team.group.messages):
        tries = failing.hits
        assert tries < CARD_ATTEMPTS, "tried as often as a card, yet not given up"
        await run_job(team.bot, "moderation-sweep")
        assert failing.hits > tries, "a sweep did not try the photo again"
    assert failing.hits == CARD_ATTEMPTS
    [note] = notes(team.group.messages)
    assert note.text == texts.CARD_MEDIA_FAILED.format(item=item, error="Bad Gateway")
    # Given up: later sweeps leave it (no try, no warning, no second note).
    for _ in range(3):
        await run_job(team.bot, "moderation-sweep")
    await emu.idle(quiet=0.3, timeout=15)
    assert failing.hits == CARD_ATTEMPTS
    assert len(notes(team.group.messages)) == 1
    assert not under(team, card, "photo")
    assert stored(
        db_path, f"SELECT kind, post_failures FROM media WHERE feedback_id = {item} ORDER BY id"
    ) == [
        ("photo", CARD_ATTEMPTS),
        ("voice", 0),
    ]
