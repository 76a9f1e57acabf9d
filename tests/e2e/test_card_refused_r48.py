"""A new card the moderators' group refuses (the bot removed from it, the chat gone): the
admins hear it in private once while it lasts, as from the reminder; a citizen never hears
it; the item waits and is carded when the group takes cards again."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Deployment
from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has
from tests.e2e.test_client_shapes import until
from tests.e2e.test_mod_attacks import sweep
from tests.e2e.test_moderation import Team, card_of, give
from tests.e2e.test_moderation import team as team

__all__ = ["team"]

GONE = texts.MODERATORS_CHAT_LOST["gone"]
MISSING = texts.MODERATORS_CHAT_LOST["missing"]
MUTED = texts.MODERATORS_CHAT_LOST["muted"]


def told(person: Person, words: str = GONE) -> list[str]:
    """What a person was told in private of the moderators' group refusing the bot."""
    return [m.text or "" for m in person.messages if words in (m.text or "")]


def alerts(person: Person) -> list[str]:
    """Anything a person was told of the moderators' group refusing the bot, whatever why."""
    why = texts.MODERATORS_CHAT_LOST.values()
    return [m.text or "" for m in person.messages if any(w in (m.text or "") for w in why)]


def refused(emu: Emulator, chat_id: int) -> Callable[[], int]:
    """How many messages the chat `chat_id` has refused the bot so far."""

    def count() -> int:
        return sum(
            # A call a fault answered is logged as sent (its chat id a string).
            c.method == "sendMessage"
            and c.status >= 400
            and str(c.params.get("chat_id")) == str(chat_id)
            for c in emu.calls
        )

    return count


async def test_the_admin_is_told_once_while_new_cards_are_refused_and_they_come_when_back(
    team: Team, emu: Emulator
) -> None:
    """The bot is removed from the moderators' group; a new item's card is refused: the admin
    hears it in private then, naming the item, without waiting for the reminder. A second
    card refused, and a sweep after, tell nobody again; the moderators are not told (the
    admin was) and the citizen hears nothing of it. Added back, both cards arrive, once
    each; out again, the admin hears it again."""
    emu.remove_bot_from(team.group, by=team.admin)
    refusals = refused(emu, team.group.id)
    first = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    said = await team.admin.wait_for(has(GONE))
    assert said[-1].text is not None and said[-1].text.startswith("⚠️ 1 item waits")
    assert f"#{first}" in said[-1].text

    before = refusals()
    second = await give(team.citizen, "Central Library", "The library shut an hour early.")
    await until(emu, lambda: refusals() > before)
    await sweep(team)
    await emu.idle(quiet=0.5)
    assert len(told(team.admin)) == 1
    assert told(team.sam) == told(team.mo) == alerts(team.citizen) == []

    # The items were not lost: the group takes cards again, and each comes once.
    emu.add_bot_to(team.group, by=team.admin)
    await card_of(team.group, first)
    await card_of(team.group, second)
    await emu.idle(quiet=0.3)
    for item in (first, second):
        assert sum((m.text or "").startswith(f"#{item} ") for m in team.group.messages) == 1

    # A new outage is told anew, once.
    emu.remove_bot_from(team.group, by=team.admin)
    await give(team.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    await team.admin.wait_for(lambda _: len(told(team.admin)) == 2)
    # All three wait (none decided yet); the oldest is named.
    assert told(team.admin)[-1].startswith(f"⚠️ 3 items wait for a moderator, the oldest (#{first})")
    await emu.idle(quiet=0.3)
    assert len(told(team.admin)) == 2
    assert alerts(team.citizen) == []


async def test_a_group_where_the_bot_may_not_post_is_told_once_and_its_cards_go_after(
    team: Team, emu: Emulator, clock: FakeClock
) -> None:
    """The bot stays in the group but may not post there: the admin hears it once, in
    the words for that (not "I am not in the group"), however many cards and sweeps are
    refused. Allowed again, the waiting card goes at its next try."""
    muted = emu.faults.error(
        "sendMessage",
        chat_id=team.group.id,
        description="Bad Request: not enough rights to send text messages to the chat",
    )
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    await team.admin.wait_for(has(MUTED))
    refusals = refused(emu, team.group.id)
    before = refusals()
    await give(team.citizen, "Central Library", "The library shut an hour early.")
    await until(emu, lambda: refusals() > before)
    clock.advance(hours=1)
    await sweep(team)
    await emu.idle(quiet=0.3)
    assert len(told(team.admin, MUTED)) == 1 and told(team.admin) == []
    assert alerts(team.citizen) == []

    emu.faults.remove(muted)
    clock.advance(hours=2)
    await sweep(team)
    await card_of(team.group, item)


async def test_the_moderators_hear_of_a_refused_card_when_no_admin_can(
    team: Team, emu: Emulator
) -> None:
    """The admin blocked the bot: the moderators hear of the refused card instead, once."""
    team.admin.block()
    emu.remove_bot_from(team.group, by=team.admin)
    await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    await team.sam.wait_for(has(GONE))
    await team.mo.wait_for(has(GONE))
    await sweep(team)
    await emu.idle(quiet=0.3)
    assert len(told(team.sam)) == len(told(team.mo)) == 1
    assert alerts(team.citizen) == []


async def test_a_citizen_on_the_example_deployment_never_hears_the_admins_alert(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    """The example deployment with no moderators' group set up in the emulator: the first
    person there is a citizen, not the deployment's admin. Their card is refused (no such
    chat); the alert goes to the admin's id, not to them."""
    citizen = emu.person("Cy")
    assert citizen.id not in deployment.admins
    assert deployment.moderators_chat is not None
    refusals = refused(emu, deployment.moderators_chat)
    async with make_bot():
        await give(citizen, "Buses", "The 42 bus was late again and the driver shouted.")
        await until(emu, lambda: refusals() > 0)

        def alerted() -> bool:
            return any(
                c.method == "sendMessage"
                and c.params.get("chat_id") in deployment.admins
                and MISSING in str(c.params.get("text", ""))
                for c in emu.calls
            )

        await until(emu, alerted)
        await emu.idle(quiet=0.3)
    assert alerts(citizen) == []


def test_no_person_the_emulator_makes_is_the_example_deployments_admin(
    emu: Emulator, deployment: Deployment
) -> None:
    """Tests on the example deployment use the emulator's people as citizens: none of them
    may be its admin (who would hear what only staff hear)."""
    people = [emu.person(f"Person {n}") for n in range(50)]
    assert deployment.admins
    assert not {p.id for p in people} & set(deployment.admins)
