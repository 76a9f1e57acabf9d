"""Small things staff meet (round 47): an edit that changes nothing, /cancel with nothing
open, a merge refused because an item was merged already, a provider command from someone
who runs no service in a group, and the moderators' group lost while cards go out."""

from __future__ import annotations

from pathlib import Path

from bot.config import Deployment
from emulator import Emulator
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.helpers import has
from tests.e2e.test_attack_staff_r46 import edit_prompts
from tests.e2e.test_citizen import say, stored
from tests.e2e.test_commands_elsewhere import said_in
from tests.e2e.test_moderation import Team, card_of, give, invite, press_card
from tests.e2e.test_moderation import team as team

__all__ = ["team"]


BUS = "The 42 bus was late again and the driver shouted at us."


async def test_an_edit_that_changes_only_spaces_changes_nothing_and_says_so(
    team: Team, emu: Emulator, db_path: Path
) -> None:
    """Sam presses Edit and sends back the text as it is, only spaced differently: the card
    is not marked edited, no edit is recorded, and Sam is told kindly that nothing changed
    (the edit is over: Mo may decide at once)."""
    item = await give(team.citizen, "Buses", BUS)
    card = await card_of(team.group, item)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, item))))[-1]
    spaced = "  The 42 bus was late again  and\nthe driver shouted at us.  "
    await team.sam.send(spaced, chat=team.group, reply_to=prompt)
    unchanged = texts.EDIT_UNCHANGED["edit"].format(item=item)
    await team.group.wait_for(has(unchanged))
    await emu.idle(quiet=0.3)
    assert texts.CARD_EDITED not in (card.text or "")
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {item}") == [(None,)]
    edits = stored(
        db_path, f"SELECT 1 FROM audit WHERE action = 'item.edited' AND subject = 'item:{item}'"
    )
    assert edits == []
    # The edit is closed: its prompt went, and nothing holds the item up.
    assert edit_prompts(team.group.messages, item) == []
    answer = await press_card(team.mo, team.group, card, texts.APPROVE)
    assert answer.get("text") != texts.MOD_PROBLEMS["being_edited"].format(item=item)
    await team.group.wait_for(lambda _: "Published by" in (card.text or ""))

    # Exactly the text it has: the same.
    other = await give(team.citizen, "Buses", "The 7 bus skipped our stop twice this week.")
    card = await card_of(team.group, other)
    await press_card(team.sam, team.group, card, texts.EDIT)
    prompt = (await team.group.wait_for(lambda msgs: bool(edit_prompts(msgs, other))))[-1]
    await team.sam.send(
        "The 7 bus skipped our stop twice this week.", chat=team.group, reply_to=prompt
    )
    await team.group.wait_for(has(texts.EDIT_UNCHANGED["edit"].format(item=other)))
    assert stored(db_path, f"SELECT edited_text FROM feedback WHERE id = {other}") == [(None,)]


async def test_staff_with_nothing_open_get_a_staff_answer_to_cancel(
    team: Team, emu: Emulator
) -> None:
    """/cancel in private with nothing open: a moderator, a provider and an admin are told
    there is nothing to cancel, not asked to /start telling us about a service; a citizen
    keeps the citizens' answer."""
    for person in (team.sam, team.pat, team.admin):
        await person.send("/cancel")
        reply = (await person.next_message()).text or ""
        assert reply == texts.STAFF_NOTHING_TO_CANCEL, (person, reply)
    await team.citizen.send("/cancel")
    assert (await team.citizen.next_message()).text == texts.NOTHING_TO_CANCEL


async def test_a_merge_refused_as_merged_already_says_which_and_into_which(
    team: Team, emu: Emulator
) -> None:
    """B was merged into A. /merge A B again, /merge B A, or B named as the item to merge
    into: each says that B was merged already, and into A (not "B or A")."""
    bea = emu.person("Bea")
    a = await give(team.citizen, "Buses", "The 42 bus driver was very rude to my mother.")
    b = await give(bea, "Buses", "Bus number forty-two: the driver shouted at my mum.")
    c = await give(bea, "Buses", "The 42 driver was rude to my mum again today.")
    card_a = await card_of(team.group, a)
    await press_card(team.sam, team.group, card_a, texts.APPROVE)
    await team.group.wait_for(lambda _: "Published by" in (card_a.text or ""))
    await card_of(team.group, c)
    assert await say(team.sam, f"/merge {a} {b}") == texts.MERGED.format(item=b, into=a)

    said = texts.MERGE_PROBLEMS["already_merged"].format(item=b, into=a)
    assert f"#{b}" in said and f"#{a}" in said and " or " not in said
    assert await say(team.sam, f"/merge {a} {b}") == said
    assert await say(team.sam, f"/merge {b} {a}") == said
    assert await say(team.sam, f"/merge {b} {c}") == said


async def test_a_provider_command_from_someone_who_runs_no_service_points_where_it_works(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    """/digest from someone who speaks for no provider, in a group: in the moderators' group
    (a moderator, a citizen) and to staff anywhere, who it is for and where it works; in a
    team's group, that it is the team's providers' and how to get it; in a group the bot is
    merely in, nothing for a citizen's bare /digest (another bot's, perhaps), the pointer
    for one naming this bot. In private the answer stays as it was."""
    admin, sam, pat, kim, cy = (emu.person(n) for n in ("Ada", "Sam", "Pat", "Kim", "Cy"))
    mods = emu.group("Riverside moderators", members=[admin, sam, cy])
    team_group = emu.group("Culture team", members=[pat, kim])
    club = emu.group("Book club", members=[sam, cy])
    providers = [
        p.model_copy(update={"chats": [team_group.id]}) if p.id == "culture-leisure" else p
        for p in deployment.providers
    ]
    staffed = deployment.model_copy(
        update={"admins": [admin.id], "moderators_chat": mods.id, "providers": providers}
    )
    providers_pointer = texts.COMMAND_ELSEWHERE["providers"].format(command="/digest")
    team_pointer = texts.COMMAND_ELSEWHERE["team"].format(command="/digest")
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        assert "Culture and Leisure" in await invite(admin, pat, "provider culture-leisure")
        assert await said_in(mods, sam, "/digest", emu) == [providers_pointer]
        assert await said_in(mods, cy, "/digest", emu) == [providers_pointer]
        assert await said_in(team_group, kim, "/digest", emu) == [team_pointer]
        assert await said_in(club, sam, "/digest", emu) == [providers_pointer]
        assert await said_in(club, cy, "/digest", emu) == []
        assert await said_in(club, cy, f"/digest@{emu.bot_username}", emu) == [providers_pointer]
        assert await say(cy, "/digest") == texts.NOT_A_PROVIDER
