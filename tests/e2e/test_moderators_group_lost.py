"""The bot out of the moderators' group while items wait: the people who can fix it hear
it in private, once while it lasts, in plain words (not at every reminder)."""

from __future__ import annotations

from datetime import timedelta

from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.test_moderation import Team, card_of, give, remind_now, reminders_in
from tests.e2e.test_moderation import team as team

__all__ = ["team"]

GONE = texts.MODERATORS_CHAT_LOST["gone"]


def told(person: Person) -> list[str]:
    """What a person was told in private of the moderators' group refusing the bot."""
    return [m.text or "" for m in person.messages if GONE in (m.text or "")]


async def overdue(team: Team, clock: FakeClock, rounds: int) -> None:
    """The reminder's check, `rounds` times, each a reminder period after the last."""
    every = timedelta(minutes=team.bot.deployment.moderation.remind_after_minutes)
    for _ in range(rounds):
        clock.now += every + timedelta(minutes=1)
        await remind_now(team.bot)


async def test_the_admin_hears_once_while_the_bot_is_out_and_again_the_next_time(
    team: Team, emu: Emulator, clock: FakeClock
) -> None:
    emu.remove_bot_from(team.group, by=team.admin)
    first = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    await overdue(team, clock, 4)
    await emu.idle(quiet=0.3)
    (said,) = told(team.admin)
    assert said.startswith("⚠️ 1 item waits") and f"#{first}" in said, said
    # The admin could be told: the moderators are not (they cannot add the bot back).
    assert told(team.sam) == told(team.mo) == []

    # Added back: the card goes, and the next time the bot is out is told again.
    emu.add_bot_to(team.group, by=team.admin)
    await card_of(team.group, first)
    emu.remove_bot_from(team.group, by=team.admin)
    await give(team.citizen, "Central Library", "The library closed an hour early with no notice.")
    await overdue(team, clock, 2)
    await emu.idle(quiet=0.3)
    assert len(told(team.admin)) == 2
    assert reminders_in(team.group) == 0


async def test_the_moderators_hear_it_when_no_admin_can_be(
    team: Team, emu: Emulator, clock: FakeClock
) -> None:
    team.admin.block()
    emu.remove_bot_from(team.group, by=team.admin)
    await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    await overdue(team, clock, 3)
    await emu.idle(quiet=0.3)
    assert len(told(team.sam)) == len(told(team.mo)) == 1
