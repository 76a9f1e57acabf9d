"""Voice notes and photos under their cards when Telegram asks to wait: each goes once the
wait is over (a moderation sweep then), never lost, never a refusal note."""

from __future__ import annotations

from pathlib import Path

from emulator import Emulator
from tests.e2e.test_citizen import consent, press, say
from tests.e2e.test_media import SERVICE, WORDS, gps_photo, reply_to, saved, under
from tests.e2e.test_moderation import Team, card_of
from tests.e2e.test_moderation import team as team  # the fixture

# Far past every wait below: only a ceiling, each test waits for the photo itself.
CEILING = 60.0


async def test_a_photo_telegram_keeps_asking_to_wait_for_goes_under_its_card_after(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Telegram answers the photo under a new card "retry after 1" four times running (more
    than the rate limiter retries): the photo goes under the card after, once, with no note."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await reply_to(citizen, citizen.send_photo(gps_photo(), caption=WORDS))
    flood = emu.faults.flood("sendPhoto", chat_id=team.group.id, retry_after=1, times=4)
    item = await saved(citizen)
    card = await card_of(team.group, item)
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1, timeout=CEILING)
    assert flood.hits == 4
    below = [m for m in team.group.messages if m.reply_to == card.message_id]
    assert len(below) == 1, [m.text or m.caption for m in below]


async def test_a_photo_added_after_saving_goes_under_the_card_once_telegram_lets_it(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """A photo added just after the item was saved, its card out: Telegram asks the
    moderators' chat to wait (longer than an update may wait, so the handler does not): the
    photo goes under the card once the wait is over."""
    citizen = team.citizen
    await consent(citizen)
    await press(citizen, SERVICE)
    await say(citizen, "The library roof leaks onto the children's books again.")
    item = await saved(citizen)
    card = await card_of(team.group, item)
    flood = emu.faults.flood("sendPhoto", chat_id=team.group.id, retry_after=5, times=1)
    said = await reply_to(citizen, citizen.send_photo(gps_photo()))
    assert f"#{item}" in said and "Moderators check every photo" in said
    await team.group.wait_for(lambda _: len(under(team, card, "photo")) == 1, timeout=CEILING)
    assert flood.hits == 1
    below = [m for m in team.group.messages if m.reply_to == card.message_id]
    assert len(below) == 1, [m.text or m.caption for m in below]
