"""Buttons act only where they belong: a button's data pressed in another chat, or on
someone else's message, does nothing but a short alert, and a flood of such presses leaves
a few audit rows with a count. A replayed button is no error."""

from __future__ import annotations

import json
from pathlib import Path

from bot.intake import CONSENT_VERSION
from emulator import Emulator, Person
from handlers import texts
from tests.e2e.test_citizen import consent, press, say, stored
from tests.e2e.test_moderation import (
    Team,
    card_of,
    give,
    team,  # noqa: F401 - the fixture, shared
)

# Every kind of button but the moderators' own, as forged data (ids that exist).
ELSEWHERE = [
    "f:all",
    "f:no",
    f"c:y:{CONSENT_VERSION}:",
    f"c:n:{CONSENT_VERSION}",
    "s:1:buses",
    "p:1:1",
    "r:1:2",
    "h:1:y",
    "i:1:y",
    "v:y:1",
    "k:a:1",
    "a:rv:1",
    "d:csv:1",
    "d:sub:buses",
    "w:1",
    "o:i:1",
    "x:y:z",
]


def audit_of(db_path: Path, person: Person) -> list[tuple[str, int]]:
    """(subject, how many presses) of each audit row about this person."""
    rows = stored(db_path, f"SELECT subject, after FROM audit WHERE actor = {person.id}")
    return [
        (str(subject), int(json.loads(str(after)).get("count", 1)) if after else 1)
        for subject, after in rows
    ]


async def test_citizen_and_staff_buttons_forged_on_a_card_do_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    nia = emu.person("Nia")
    team.group.add(nia)  # in the moderators' group, but not a moderator
    item = await give(team.citizen, "Buses", "The bus shelter on Mill Road has no roof.")
    card = await card_of(team.group, item)
    shown = (card.text, card.buttons)
    citizens = stored(db_path, "SELECT COUNT(*) FROM citizens")
    for data in ELSEWHERE:
        pressed = await nia.press_data(card.message_id, data, chat=team.group)
        answer = await pressed.answered()
        assert answer.get("text") == texts.BUTTON_ELSEWHERE, (data, answer)
    await emu.idle(quiet=0.3)
    assert (card.text, card.buttons) == shown
    assert not card.edited
    assert not nia.messages and len(team.group.messages) == 1
    # Nothing about Nia was created: no citizen, no conversation, no consent.
    assert stored(db_path, "SELECT COUNT(*) FROM citizens") == citizens
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {nia.id}") == [(0,)]
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    assert audit_of(db_path, nia) == [("button elsewhere", len(ELSEWHERE))]


async def test_500_forged_presses_leave_a_handful_of_audit_rows(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    nia = emu.person("Nia")
    team.group.add(nia)
    item = await give(team.citizen, "Buses", "The timetable at the stop is wrong.")
    card = await card_of(team.group, item)
    # Moderators' buttons belong here: refused by role, and folded the same way.
    forged = [*ELSEWHERE, f"m:a:{item}:0", f"m:r:{item}:0:abusive"]
    presses = [
        await nia.press_data(card.message_id, forged[n % len(forged)], chat=team.group)
        for n in range(500)
    ]
    for pressed in presses:
        assert (await pressed.answered(timeout=30)).get("show_alert")
    rows = audit_of(db_path, nia)
    assert len(rows) <= 6, rows
    assert sum(count for _, count in rows) == 500
    assert {subject for subject, _ in rows} == {"button elsewhere", "card button"}
    assert stored(db_path, f"SELECT status FROM feedback WHERE id = {item}") == [("pending",)]
    # The admin's /audit shows them as a few lines with their counts.
    listing = await say(team.admin, "/audit")
    elsewhere = sum(forged[n % len(forged)] in ELSEWHERE for n in range(500))
    assert f"button elsewhere\u2069 (×{elsewhere})" in listing, listing


async def test_a_button_pressed_on_someone_elses_message_does_nothing(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    assert "Is that OK with you?" in await say(alice, "/start")
    asked = alice.last
    assert asked is not None
    # Bob replays Alice's buttons (and others) against her message, in her chat.
    for data in [asked.button_data[0][0] or "", asked.button_data[0][1] or "", "f:all", "x:y"]:
        pressed = await bob.press_data(asked.message_id, data, chat=alice.chat)
        assert (await pressed.answered()).get("text") == texts.BUTTON_ELSEWHERE, data
    await emu.idle(quiet=0.3)
    assert not asked.edited and not bob.messages
    assert stored(db_path, f"SELECT COUNT(*) FROM citizens WHERE telegram_id = {bob.id}") == [(0,)]
    assert audit_of(db_path, bob) == [("button elsewhere", 4)]
    # Her own press still works.
    assert "Which service" in await press(alice, texts.CONSENT_YES)
    await consent(bob)


async def test_pressing_revoke_twice_is_no_error(
    team: Team,  # noqa: F811 - the fixture imported above
    emu: Emulator,
    db_path: Path,
) -> None:
    listing = await say(team.admin, "/roles")
    assert "Sam" in listing
    roles = team.admin.last
    assert roles is not None
    data = next(
        d
        for labels, datas in zip(roles.buttons, roles.button_data, strict=True)
        for label, d in zip(labels, datas, strict=True)
        if "Sam" in label
    )
    # Revoking asks first; the "Yes" is what ends the role.
    asked = await team.admin.press_data(roles.message_id, data or "")
    await asked.answered()
    await team.admin.wait_for(lambda _: texts.REVOKE_YES in str(roles.buttons))
    yes = roles.button_data[0][0] or ""
    first = await team.admin.press_data(roles.message_id, yes)
    assert "Revoked" in str((await first.answered()).get("text"))
    await team.admin.wait_for(lambda _: "Sam" not in (roles.text or ""))
    # The same press again (a double tap, a replay): told it had ended, nothing else.
    again = await team.admin.press_data(roles.message_id, yes)
    assert (await again.answered()).get("text") == texts.REVOKE_GONE
    await emu.idle(quiet=0.3)
    assert not any(texts.ERROR in (m.text or "") for m in team.admin.messages)
    assert "Mo" in (roles.text or "") and "Sam" not in (roles.text or "")
    assert stored(db_path, "SELECT COUNT(*) FROM audit WHERE action = 'role.revoked'") == [(1,)]
