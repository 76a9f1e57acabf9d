"""Admins and operators on their path through the bot, careless or hostile: one-time links
reused, forged and expired for each role, /roles and revoking, the audit log and its
export, Telegram failing at each step of it, and the menus each person is shown."""

from __future__ import annotations

import re
from pathlib import Path

from emulator import Emulator, Person
from handlers import texts
from tests.conftest import FakeClock
from tests.e2e.conftest import BotFactory
from tests.e2e.test_citizen import press, say, stored
from tests.e2e.test_moderation import Team
from tests.e2e.test_moderation import team as team  # the fixture


def menu(emu: Emulator, person: Person) -> list[str]:
    """The commands Telegram shows this person in their private chat with the bot."""
    return [c["command"] for c in emu.commands(scope_type="chat", chat_id=person.id)]


async def link(admin: Person, role: str) -> str:
    """The admin asks for an invitation; its start parameter."""
    reply = await say(admin, f"/invite {role}")
    found = re.search(r"start=(inv_[\w-]+)", reply)
    assert found, reply
    return found.group(1)


async def test_a_new_moderator_is_told_so_when_telegram_fails_the_menu(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """setMyCommands answering 502 (or 429) while an invitation is taken: the role is held,
    and the person reads that it is, not "something went wrong"."""
    token = await link(team.admin, "moderator")
    fault = emu.faults.server_error("setMyCommands", status=502)
    welcome = await say(team.citizen, f"/start {token}")
    assert fault.hits >= 1
    assert "now a moderator" in welcome, welcome
    assert stored(
        db_path, f"SELECT role FROM staff WHERE telegram_id = {team.citizen.id}"
    ) == [("moderator",)]
    emu.faults.clear()


async def test_a_revoke_is_confirmed_when_telegram_fails_the_menu(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    await say(team.admin, "/roles")
    revoke_sam = next(label for row in team.admin.last.buttons for label in row if "Sam" in label)
    assert "Revoke Sam's role" in await press(team.admin, revoke_sam)
    emu.faults.flood("setMyCommands", retry_after=30)
    shown = await press(team.admin, texts.REVOKE_YES)
    assert "Sam" not in shown and "Mo" in shown, shown
    assert stored(
        db_path, f"SELECT COUNT(*) FROM staff WHERE telegram_id = {team.sam.id} AND revoked_at IS NULL"
    ) == [(0,)]
    emu.faults.clear()
    assert await say(team.sam, "/queue") == texts.NOT_ALLOWED


async def test_menus_telegram_failed_are_set_at_the_next_start(
    make_bot: BotFactory, emu: Emulator, deployment: object, db_path: Path
) -> None:
    """A role granted and one revoked while setMyCommands failed: after a restart the new
    moderator's menu has /queue and the revoked one's has it no more."""
    admin, sam, mo = emu.person("Ada"), emu.person("Sam"), emu.person("Mo")
    group = emu.group("Riverside moderators", members=[admin, sam, mo])
    staffed = deployment.model_copy(  # type: ignore[attr-defined]
        update={"admins": [admin.id], "moderators_chat": group.id}
    )
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await say(sam, f"/start {await link(admin, 'moderator')}")
        assert "queue" in menu(emu, sam)
        emu.faults.server_error("setMyCommands", status=503)
        assert "now a moderator" in await say(mo, f"/start {await link(admin, 'moderator')}")
        await say(admin, "/roles")
        revoke_sam = next(label for row in admin.last.buttons for label in row if "Sam" in label)
        await press(admin, revoke_sam)
        shown = await press(admin, texts.REVOKE_YES)
        assert "Sam" not in shown and "Mo" in shown
        assert "queue" not in menu(emu, mo) and "queue" in menu(emu, sam)
        emu.faults.clear()
    async with make_bot(deployment=staffed):
        assert "queue" in menu(emu, mo) and "queue" not in menu(emu, sam)
        assert "invite" in menu(emu, admin)


async def test_an_admin_taken_out_of_the_file_loses_the_admins_menu_at_restart(
    make_bot: BotFactory, emu: Emulator, deployment: object, db_path: Path
) -> None:
    ada, bea = emu.person("Ada"), emu.person("Bea")
    both = deployment.model_copy(update={"admins": [ada.id, bea.id]})  # type: ignore[attr-defined]
    async with make_bot(deployment=both):
        await link(bea, "moderator")  # Bea acts as an admin once
        assert "invite" in menu(emu, bea)
    alone = deployment.model_copy(update={"admins": [ada.id]})  # type: ignore[attr-defined]
    async with make_bot(deployment=alone):
        assert "invite" not in menu(emu, bea) and "start" in menu(emu, bea)
        assert "invite" in menu(emu, ada)
        assert await say(bea, "/invite moderator") == texts.NOT_ALLOWED
