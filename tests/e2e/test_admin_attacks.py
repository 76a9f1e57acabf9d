"""Admins and operators on their path through the bot, careless or hostile: one-time links
reused, forged and expired for each role, /roles and revoking, the audit log and its
export, Telegram failing at each step of it, and the menus each person is shown."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.config import ConfigError, Deployment, load_deployment
from emulator import Emulator, MessageView, Person
from handlers import texts
from storage import audit
from tests.conftest import EXAMPLE, ROOT, FakeClock
from tests.e2e.conftest import TOKEN, BotFactory
from tests.e2e.helpers import add_item, buttons_of, last_has, press_on
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_moderation import Team, card_of, give, press_card
from tests.e2e.test_moderation import team as team  # the fixture
from tests.e2e.test_responses import WEDNESDAY


def menu(emu: Emulator, person: Person) -> list[str]:
    """The commands Telegram shows this person in their private chat with the bot."""
    return [c["command"] for c in emu.commands(scope_type="chat", chat_id=person.id)]


def last(person: Person) -> MessageView:
    """The newest message in a person's private chat."""
    message = person.last
    assert message is not None
    return message


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
    assert stored(db_path, f"SELECT role FROM staff WHERE telegram_id = {team.citizen.id}") == [
        ("moderator",)
    ]
    emu.faults.clear()


async def test_a_revoke_is_confirmed_when_telegram_fails_the_menu(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    await say(team.admin, "/roles")
    revoke_sam = next(label for row in last(team.admin).buttons for label in row if "Sam" in label)
    assert "Revoke \u2068Sam\u2069's role" in await press(team.admin, revoke_sam)
    emu.faults.flood("setMyCommands", retry_after=30)
    shown = await press(team.admin, texts.REVOKE_YES)
    assert "Sam" not in shown and "Mo" in shown, shown
    assert stored(
        db_path,
        f"SELECT COUNT(*) FROM staff WHERE telegram_id = {team.sam.id} AND revoked_at IS NULL",
    ) == [(0,)]
    emu.faults.clear()
    assert await say(team.sam, "/queue") == texts.NOT_ALLOWED


async def test_menus_telegram_failed_are_set_at_the_next_start(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """A role granted and one revoked while setMyCommands failed: after a restart the new
    moderator's menu has /queue and the revoked one's has it no more."""
    admin, sam, mo = emu.person("Ada"), emu.person("Sam"), emu.person("Mo")
    group = emu.group("Riverside moderators", members=[admin, sam, mo])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await say(sam, f"/start {await link(admin, 'moderator')}")
        assert "queue" in menu(emu, sam)
        emu.faults.server_error("setMyCommands", status=503)
        assert "now a moderator" in await say(mo, f"/start {await link(admin, 'moderator')}")
        await say(admin, "/roles")
        revoke_sam = next(label for row in last(admin).buttons for label in row if "Sam" in label)
        await press(admin, revoke_sam)
        shown = await press(admin, texts.REVOKE_YES)
        assert "Sam" not in shown and "Mo" in shown
        assert "queue" not in menu(emu, mo) and "queue" in menu(emu, sam)
        emu.faults.clear()
    async with make_bot(deployment=staffed):
        assert "queue" in menu(emu, mo) and "queue" not in menu(emu, sam)
        assert "invite" in menu(emu, admin)


async def test_an_admin_taken_out_of_the_file_loses_the_admins_menu_at_restart(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    ada, bea = emu.person("Ada"), emu.person("Bea")
    both = deployment.model_copy(update={"admins": [ada.id, bea.id]})
    async with make_bot(deployment=both):
        await link(bea, "moderator")  # Bea acts as an admin once
        assert "invite" in menu(emu, bea)
    alone = deployment.model_copy(update={"admins": [ada.id]})
    async with make_bot(deployment=alone):
        assert "invite" not in menu(emu, bea) and "start" in menu(emu, bea)
        assert "invite" in menu(emu, ada)
        assert await say(bea, "/invite moderator") == texts.NOT_ALLOWED


async def test_provider_links_are_one_time_expire_and_cannot_be_forged(
    team: Team, emu: Emulator, clock: FakeClock, db_path: Path
) -> None:
    """For a provider's link as for a moderator's: the same person twice is told they have
    it already; another person, a token forged in its shape and an expired link get nothing."""
    token = await link(team.admin, "provider riverside-health")
    dee, eve = emu.person("Dee"), emu.person("Eve")
    assert "provider for Riverside Health" in await say(dee, f"/start {token}")
    assert "already" in await say(dee, f"/start {token}")
    assert texts.INVITE_PROBLEMS["used"] == await say(eve, f"/start {token}")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert texts.INVITE_PROBLEMS["unknown"] == await say(eve, f"/start {forged}")
    assert texts.INVITE_PROBLEMS["unknown"] == await say(eve, "/start inv_")
    late = await link(team.admin, "provider riverside-health")
    clock.advance(hours=team.bot.deployment.moderation.invite_hours, minutes=1)
    assert texts.INVITE_PROBLEMS["expired"] == await say(eve, f"/start {late}")
    assert stored(
        db_path, f"SELECT role, provider_id FROM staff WHERE telegram_id IN ({dee.id}, {eve.id})"
    ) == [("provider", "riverside-health")]
    # Eve's failed tries gave her no menu of staff commands.
    assert "respond" not in menu(emu, eve) and "respond" in menu(emu, dee)


async def test_a_non_admin_forging_revoke_presses_changes_nothing(
    team: Team, db_path: Path
) -> None:
    (sam_role,) = stored(db_path, f"SELECT id FROM staff WHERE telegram_id = {team.sam.id}")
    for person in (team.mo, team.pat, team.citizen):
        for action in ("rv", "ry"):
            await person.send("/help")
            await person.next_message()
            sent = last(person)
            answer = await (
                await person.press_data(sent.message_id, f"a:{action}:{sam_role[0]}")
            ).answered()
            assert answer.get("text") == texts.NOT_ALLOWED, answer
    assert stored(db_path, f"SELECT revoked_at FROM staff WHERE telegram_id = {team.sam.id}") == [
        (None,)
    ]
    denied = stored(db_path, "SELECT actor FROM audit WHERE action = 'denied'")
    assert {row[0] for row in denied} == {team.mo.id, team.pat.id, team.citizen.id}


async def test_a_link_for_a_provider_taken_out_of_the_file_gives_no_role(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """The operator renames a provider (or removes it) after a link was made for it: the
    link must not make someone a provider of nothing."""
    admin, dee = emu.person("Ada"), emu.person("Dee")
    first = deployment.model_copy(update={"admins": [admin.id]})
    async with make_bot(deployment=first):
        token = await link(admin, "provider culture-leisure")
    providers = [p for p in first.providers if p.id != "culture-leisure"]
    owner = providers[0].id
    services = [
        s.model_copy(update={"provider": owner}) if s.provider == "culture-leisure" else s
        for s in first.services
    ]
    renamed = first.model_copy(update={"providers": providers, "services": services})
    async with make_bot(deployment=renamed):
        reply = await say(dee, f"/start {token}")
        assert "now a provider" not in reply, reply
        assert reply == texts.INVITE_PROBLEMS["unknown"]
        assert stored(db_path, f"SELECT COUNT(*) FROM staff WHERE telegram_id = {dee.id}") == [(0,)]


async def test_links_made_by_an_admin_taken_out_of_the_file_no_longer_work(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """An admin who leaves (taken out of `admins`) cannot have left links behind that still
    make moderators: each link works only while the admin who made it still is one."""
    ada, bea, mal = emu.person("Ada"), emu.person("Bea"), emu.person("Mal")
    both = deployment.model_copy(update={"admins": [ada.id, bea.id]})
    async with make_bot(deployment=both):
        left_behind = await link(bea, "moderator")
        kept = await link(ada, "moderator")
    alone = deployment.model_copy(update={"admins": [ada.id]})
    async with make_bot(deployment=alone):
        assert await say(mal, f"/start {left_behind}") == texts.INVITE_PROBLEMS["unknown"]
        assert "now a moderator" in await say(mal, f"/start {kept}")
    assert stored(db_path, f"SELECT role FROM staff WHERE telegram_id = {mal.id}") == [
        ("moderator",)
    ]


MISTAKES = [
    # An operator's slips in the deployment file, and the line that must name each.
    (
        ('schedule = "0 9 * * mon"', 'schedule = "* 9 * * mon"'),
        "providers[0].schedule: '* 9 * * mon' sends a digest every 1 minute",
    ),
    (
        ('schedule = "0 9 * * mon"', 'schedule = "0 9 31 2 *"'),
        "providers[0].schedule: '0 9 31 2 *' never comes",
    ),
    (
        ("admins = [100000001]", "admins = [-1001000000001]"),
        "admins[0]: -1001000000001 is a group's id, not a person's",
    ),
    (
        ("admins = [100000001]", 'admins = ["@ada"]'),
        "admins[0]: Input should be a valid integer",
    ),
    (
        ('provider = "culture-leisure"', 'provider = "culture"'),
        "provider: unknown provider 'culture'",
    ),
    (('slug = "buses"', 'slug = "library"'), "'library' appears twice"),
]


@pytest.mark.parametrize(("change", "said"), MISTAKES)
def test_a_deployment_file_mistake_is_named_in_one_line(
    tmp_path: Path, change: tuple[str, str], said: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert change[0] in text, change
    path = tmp_path / "council.toml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_deployment(path)
    assert said in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_the_bot_refuses_to_start_on_a_schedule_slip_and_keeps_the_database(
    tmp_path: Path,
) -> None:
    """`python -m bot run` with "* 9 * * mon" (sixty digests each Monday): exit 2 with the
    one line naming it, before touching Telegram or the database."""
    path = tmp_path / "council.toml"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace(
            'schedule = "0 9 * * mon"', 'schedule = "* 9 * * mon"', 1
        ),
        encoding="utf-8",
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "HOME": str(tmp_path),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",  # nothing listens: must not be reached
        "DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
        "YOUSAID_CONFIG": str(path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "providers[0].schedule: '* 9 * * mon' sends a digest every 1 minute" in result.stderr
    assert "\n" not in result.stderr.strip()
    assert not (tmp_path / "y.db").exists()


async def test_fifty_citizens_at_once_while_the_admin_invites_and_telegram_floods(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """50 people start at the same moment, Telegram answers a few sends with 429 meanwhile,
    and the admin invites someone in the middle of it: every person's words are kept, in
    their own conversation, and the admin and the invited person are answered."""
    people = [emu.person(f"C{i}") for i in range(50)]
    flood = emu.faults.flood("sendMessage", retry_after=1, times=3)

    async def one(person: Person) -> None:
        await consent(person)
        assert "What happened" in await press(person, "Buses")
        await person.send(f"{person.first_name}: the 7 bus did not stop at Mill Lane")
        await person.wait_for(lambda msgs: "How would you rate" in (msgs[-1].text or ""), 60)

    async def admin() -> None:
        token = await link(team.admin, "moderator")
        assert "now a moderator" in await say(emu.person("Newbie"), f"/start {token}")

    await asyncio.gather(admin(), *(one(p) for p in people))
    assert flood.hits == 3
    kept = dict(
        (row[0], row[1])
        for row in stored(
            db_path,
            "SELECT c.telegram_id, v.text FROM conversations v JOIN citizens c"
            " ON c.id = v.citizen_id",
        )
    )
    assert {kept[p.id] for p in people} == {
        f"{p.first_name}: the 7 bus did not stop at Mill Lane" for p in people
    }
    # Each reply went to its own chat only, and none twice (a 429 retried is sent once).
    for person in people:
        assert sum("How would you rate" in (m.text or "") for m in person.messages) == 1
        assert not any(
            other.first_name in (m.text or "")
            for m in person.messages
            for other in people
            if other is not person and f"{other.first_name}:" in (m.text or "")
        )
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.granted'") == [(4,)]


async def test_a_moderator_revoked_mid_edit_cannot_finish_it(team: Team, db_path: Path) -> None:
    """Sam opens an edit, the admin revokes Sam's role (after a restart of the bot, from a
    /roles list shown before it), then Sam replies to the prompt and presses Approve: the
    item keeps its words and waits for a moderator."""
    item = await give(team.citizen, "Buses", "The 42 bus was late again and the driver shouted.")
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (
        await team.group.wait_for(lambda msgs: "reply to this message" in (msgs[-1].text or ""))
    )[-1]
    await say(team.admin, "/roles")
    revoke_sam = next(label for row in last(team.admin).buttons for label in row if "Sam" in label)
    assert "Revoke \u2068Sam\u2069's role" in await press(team.admin, revoke_sam)
    assert "Sam" not in await press(team.admin, texts.REVOKE_YES)
    await team.sam.send(
        "Everything about the buses is wonderful.", chat=team.group, reply_to=prompt
    )
    answer = await press_card(team.sam, team.group, card, texts.APPROVE)
    assert answer.get("text") == texts.NOT_ALLOWED_BUTTON, answer
    assert stored(
        db_path, f"SELECT status, published_text, redacted_text FROM feedback WHERE id = {item}"
    ) == [("pending", None, "The 42 bus was late again and the driver shouted.")]
    assert "wonderful" not in (card.text or "")
    # Mo, still a moderator, can act on it.
    await press_card(team.mo, team.group, card, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by \u2068Mo\u2069" in (card.text or ""))


async def test_a_revoke_confirmation_survives_a_restart_and_a_second_yes_does_nothing(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    admin, sam = emu.person("Ada"), emu.person("Sam")
    group = emu.group("Riverside moderators", members=[admin, sam])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": group.id})
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await say(sam, f"/start {await link(admin, 'moderator')}")
        await say(admin, "/roles")
        revoke_sam = next(label for row in last(admin).buttons for label in row if "Sam" in label)
        assert "Revoke \u2068Sam\u2069's role" in await press(admin, revoke_sam)
        confirm = last(admin)
    async with make_bot(deployment=staffed):
        yes = buttons_of(confirm)[texts.REVOKE_YES]
        first = await (await admin.press_data(confirm.message_id, yes)).answered()
        assert "Sam" in str(first.get("text")), first
        second = await (await admin.press_data(confirm.message_id, yes)).answered()
        assert second.get("text") == texts.REVOKE_GONE
        assert "queue" not in menu(emu, sam)
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.revoked'") == [(1,)]
    assert stored(db_path, "SELECT COUNT(*) FROM staff WHERE revoked_at IS NULL") == [(0,)]


async def test_a_flood_of_forged_commands_folds_in_the_audit_and_the_export_survives_a_5xx(
    team: Team, emu: Emulator
) -> None:
    """A citizen sends /roles twelve times: /audit is not buried (a few rows, one counting
    the rest); the export failing once with 502 is said plainly, and the next one has it all."""
    for _ in range(12):
        assert await say(team.citizen, "/roles") == texts.NOT_ALLOWED
    listing = await say(team.admin, "/audit")
    assert listing.count("/roles") == 5 and "role.granted" in listing, listing
    fault = emu.faults.server_error("sendDocument", status=502, times=1)
    assert await say(team.admin, "/audit export") == texts.ERROR
    assert fault.hits == 1
    await team.admin.send("/audit export")
    exported = await team.admin.next_message(timeout=10)
    assert exported.document is not None
    rows = list(csv.DictReader(io.StringIO(exported.document.decode("utf-8-sig"))))
    denials = [r for r in rows if r["action"] == "denied" and r["subject"] == "/roles"]
    assert len(denials) == 5
    assert sum(json.loads(r["after"] or "{}").get("count", 1) for r in denials) == 12
    assert {r["actor"] for r in denials} == {str(team.citizen.id)}


# What a spreadsheet would run as a formula, each at the start of a cell (OWASP).
FORMULAS = ('=HYPERLINK("http://evil.example/")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx")


async def test_the_audit_export_defuses_every_cell_a_spreadsheet_would_run(
    team: Team, clock: FakeClock
) -> None:
    """Entries whose subject, action or role start like a formula: each such cell of
    /audit export starts with a single quote, and every other cell is as stored."""

    async def seed(conn: aiosqlite.Connection) -> None:
        for formula in FORMULAS:
            await audit.record(
                conn,
                actor=team.citizen.id,
                actor_role=formula,
                action=formula,
                subject=formula,
                after={"detail": formula},
                now=clock.now,
            )

    await team.bot.db.write(seed)
    await team.admin.send("/audit export")
    exported = await team.admin.next_message(timeout=10)
    assert exported.document is not None
    rows = list(csv.DictReader(io.StringIO(exported.document.decode("utf-8-sig"), newline="")))
    seeded = [r for r in rows if r["actor"] == str(team.citizen.id) and r["after"]]
    assert [r["subject"] for r in seeded] == ["'" + f for f in FORMULAS]
    assert all(r["action"] == r["subject"] == r["actor_role"] for r in seeded)
    assert all(json.loads(r["after"])["detail"] in FORMULAS for r in seeded)
    granted = next(r for r in rows if r["action"] == "role.granted")
    assert granted["subject"] == "moderator" and granted["actor_role"] == "moderator"


def without_culture(deployment: Deployment) -> Deployment:
    """The deployment with the provider culture-leisure taken out (its services given to
    another provider), as an operator removes a provider."""
    providers = [p for p in deployment.providers if p.id != "culture-leisure"]
    owner = providers[0].id
    services = [
        s.model_copy(update={"provider": owner}) if s.provider == "culture-leisure" else s
        for s in deployment.services
    ]
    return deployment.model_copy(update={"providers": providers, "services": services})


async def test_a_provider_taken_out_of_the_file_takes_its_peoples_roles_and_menus(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """Dee answers for Culture and Leisure only, Pia for it and for Riverside Health. Once
    the operator removes Culture and Leisure and restarts: Dee holds no role, has the
    citizen's menu and is refused the provider's commands; Pia keeps Riverside Health (and
    its menu) only; /roles lists neither as Culture and Leisure's; the audit says why."""
    ada, dee, pia = emu.person("Ada"), emu.person("Dee"), emu.person("Pia")
    first = deployment.model_copy(update={"admins": [ada.id]})
    async with make_bot(deployment=first):
        assert "now a provider" in await say(
            dee, f"/start {await link(ada, 'provider culture-leisure')}"
        )
        assert "now a provider" in await say(
            pia, f"/start {await link(ada, 'provider culture-leisure')}"
        )
        assert "now a provider" in await say(
            pia, f"/start {await link(ada, 'provider riverside-health')}"
        )
        left_behind = await link(ada, "provider culture-leisure")
        assert "respond" in menu(emu, dee) and "respond" in menu(emu, pia)
    async with make_bot(deployment=without_culture(first)):
        assert "respond" not in menu(emu, dee) and "start" in menu(emu, dee)
        assert "respond" in menu(emu, pia)
        assert await say(dee, "/respond") == texts.NOT_A_PROVIDER
        assert await say(dee, "/digest") == texts.NOT_A_PROVIDER
        assert "Culture" not in await say(ada, "/roles")
        assert (
            await say(emu.person("Eve"), f"/start {left_behind}")
            == (texts.INVITE_PROBLEMS["unknown"])
        )
    assert stored(
        db_path,
        "SELECT telegram_id, provider_id FROM staff WHERE revoked_at IS NULL ORDER BY 1",
    ) == [(pia.id, "riverside-health")]
    revoked = stored(
        db_path,
        "SELECT subject, before FROM audit WHERE action = 'role.revoked' ORDER BY id",
    )
    assert [subject for subject, _ in revoked] == ["provider:culture-leisure"] * 2
    assert {json.loads(before)["telegram_id"] for _, before in revoked} == {dee.id, pia.id}


async def test_an_admin_who_never_acted_loses_the_admins_menu_once_out_of_the_file(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path
) -> None:
    """Bea is an admin in the file and never acts as one (no audit row of hers): taken out
    of the file, she has the citizen's menu after the restart, and /invite is refused."""
    ada, bea = emu.person("Ada"), emu.person("Bea")
    both = deployment.model_copy(update={"admins": [ada.id, bea.id]})
    async with make_bot(deployment=both):
        assert "invite" in menu(emu, bea)
    assert stored(db_path, f"SELECT COUNT(*) FROM audit WHERE actor = {bea.id}") == [(0,)]
    alone = deployment.model_copy(update={"admins": [ada.id]})
    async with make_bot(deployment=alone):
        assert "invite" not in menu(emu, bea) and "start" in menu(emu, bea)
        assert "invite" in menu(emu, ada)
        assert await say(bea, "/invite moderator") == texts.NOT_ALLOWED


async def test_a_moderator_who_leaves_the_moderators_chat_loses_the_moderators_menu(
    team: Team, emu: Emulator
) -> None:
    """Leaving the moderators' chat ends the moderator's role: the menu goes with it at
    once, not at the next start."""
    assert "queue" in menu(emu, team.mo)
    team.group.leave(team.mo)
    await team.bot.application.update_queue.join()
    for _ in range(100):
        if "queue" not in menu(emu, team.mo):
            break
        await asyncio.sleep(0.05)
    assert "queue" not in menu(emu, team.mo) and "start" in menu(emu, team.mo)
    assert "queue" in menu(emu, team.sam)
    assert await say(team.mo, "/queue") == texts.NOT_ALLOWED


async def test_the_audit_export_is_written_as_the_digest_csv_so_excel_reads_names_right(
    team: Team, clock: FakeClock
) -> None:
    """/audit export starts with UTF-8's byte-order mark and ends its rows with CRLF, as the
    digest's CSV does: a spreadsheet shows "Zoë Łukasiewicz" and "سارہ", not mojibake."""
    names = ("Zoë Łukasiewicz", "سارہ", "Siân ap Dafydd")

    async def seed(conn: aiosqlite.Connection) -> None:
        for name in names:
            await audit.record(
                conn,
                actor=team.citizen.id,
                actor_role="citizen",
                action="name.seen",
                subject=name,
                now=clock.now,
            )

    await team.bot.db.write(seed)
    await team.admin.send("/audit export")
    exported = await team.admin.next_message(timeout=10)
    assert exported.document is not None
    assert exported.document.startswith(codecs.BOM_UTF8)
    text = exported.document.decode("utf-8-sig")
    assert text.startswith("id,at,actor,") and text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["subject"] for r in rows if r["action"] == "name.seen"] == list(names)


async def preview_of_answer(person: Person, item: int, words: str) -> MessageView:
    """/respond N, "Being worked on", the words: the preview with its Send button."""
    await person.send(f"/respond {item}")
    asked = await person.wait_for(last_has("What is your answer?"))
    await press_on(person, asked[-1], texts.RESPONSE_STATUS["in_progress"])
    await person.wait_for(last_has("Reply to this message"))
    await person.send(words)
    shown = await person.wait_for(
        lambda m: bool(m) and texts.RESPOND_PREVIEW_FOOT in (m[-1].text or "")
    )
    return shown[-1]


async def test_a_draft_answer_for_a_provider_taken_out_of_the_file_is_refused_kindly(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment, db_path: Path, clock: FakeClock
) -> None:
    """Ada (an admin) and Pia (Culture and Leisure's) each have an answer to a library item
    previewed, and Bea (an admin) has chosen hers, when the operator removes Culture and
    Leisure and restarts: Send publishes nothing and says why, Bea's words are refused the
    same way, and nobody hears anything."""
    ada, bea, pia = emu.person("Ada"), emu.person("Bea"), emu.person("Pia")
    alice = emu.person("Alice")
    first = deployment.model_copy(update={"admins": [ada.id, bea.id]})
    clock.now = WEDNESDAY + timedelta(hours=1)
    words = "We are hiring two more people for the desk."
    async with make_bot(deployment=first) as bot:
        item = await add_item(bot.db, alice.id, "library", "The desk queue is slow.", WEDNESDAY)
        assert "now a provider" in await say(
            pia, f"/start {await link(ada, 'provider culture-leisure')}"
        )
        previews = [await preview_of_answer(who, item, words) for who in (ada, pia)]
        await bea.send(f"/respond {item}")
        asked = await bea.wait_for(last_has("What is your answer?"))
        await press_on(bea, asked[-1], texts.RESPONSE_STATUS["in_progress"])
        await bea.wait_for(last_has("Reply to this message"))
    gone = texts.RESPOND_PROBLEMS["provider_gone"]
    async with make_bot(deployment=without_culture(first)):
        send = buttons_of(previews[0])[texts.RESPOND_SEND]
        pressed = await ada.press_data(previews[0].message_id, send)
        assert (await pressed.answered()).get("text") == gone
        # Pia answers for it no more: the provider's refusal.
        pressed = await pia.press_data(
            previews[1].message_id, buttons_of(previews[1])[texts.RESPOND_SEND]
        )
        assert (await pressed.answered()).get("text") == texts.NOT_A_PROVIDER
        await bea.send(words)
        await bea.wait_for(last_has(gone))
        # The draft is gone with it: Send again finds nothing to send.
        pressed = await ada.press_data(previews[0].message_id, send)
        assert (await pressed.answered()).get("text") == texts.RESPOND_PROBLEMS["no_draft"]
    assert stored(db_path, "SELECT COUNT(*) FROM responses") == [(0,)]
    assert stored(db_path, "SELECT COUNT(*) FROM outbox") == [(0,)]
    # Pia's is refused before it is read (she is no provider now): it goes with the day.
    assert stored(db_path, "SELECT author FROM drafts") == [(pia.id,)]
