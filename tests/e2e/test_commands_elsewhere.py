"""Commands typed in a group where they do not answer: a short pointer to where they do,
for the staff who may use them and in the groups the bot serves; nothing for a command that
is not the sender's, or for a citizen's bare command in a group the bot only happens to be
in (another bot there may be the one asked)."""

from __future__ import annotations

from bot.config import Deployment
from emulator import Emulator, Group, Person
from handlers import texts
from tests.e2e.conftest import BotFactory
from tests.e2e.test_moderation import invite


async def said_in(group: Group, person: Person, command: str, emu: Emulator) -> list[str]:
    """What the bot says in a group after `person` types `command` there."""
    before = len(group.messages)
    await person.send(command, chat=group)
    await emu.idle(quiet=0.3)
    return [m.text or "" for m in group.messages[before:]]


async def test_each_gets_a_pointer_where_it_is_theirs_and_nobody_else_does(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    admin, sam, cy = emu.person("Ada"), emu.person("Sam"), emu.person("Cy")
    mods = emu.group("Riverside moderators", members=[admin, sam, cy])
    elsewhere = emu.group("Book club", members=[admin, sam, cy])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    private = texts.COMMAND_ELSEWHERE["private"]
    async with make_bot(deployment=staffed):
        assert "now a moderator" in await invite(admin, sam, "moderator")
        # Staff: wherever they type it, where it works.
        assert await said_in(mods, admin, "/roles", emu) == [private.format(command="/roles")]
        assert await said_in(elsewhere, admin, "/audit", emu) == [private.format(command="/audit")]
        assert await said_in(elsewhere, sam, f"/queue@{emu.bot_username}", emu) == [
            texts.COMMAND_ELSEWHERE["moderators"].format(command="/queue")
        ]
        assert elsewhere.messages[-1].keyboard == [
            [{"text": texts.GROUP_START_BUTTON, "url": f"https://t.me/{emu.bot_username}"}]
        ]
        # A citizen: in the moderators' group (served), /help is pointed to the private chat.
        assert await said_in(mods, cy, "/help", emu) == [texts.COMMAND_ELSEWHERE["citizen"]]
        # Nothing for what is not theirs anywhere, nor for another bot's command.
        assert await said_in(mods, cy, "/roles", emu) == []
        assert await said_in(elsewhere, cy, "/queue", emu) == []
        assert await said_in(elsewhere, sam, "/roles", emu) == []
        assert await said_in(elsewhere, admin, "/help@other_bot", emu) == []
        # In a group the bot is merely in: a citizen's bare /help may be another bot's...
        assert await said_in(elsewhere, cy, "/help", emu) == []
        # ...but one naming this bot is pointed on.
        assert await said_in(elsewhere, cy, f"/mydata@{emu.bot_username}", emu) == [
            texts.COMMAND_ELSEWHERE["citizen"]
        ]


async def test_words_naming_the_bot_in_a_group_it_is_merely_in_get_the_private_chat_pointer(
    make_bot: BotFactory, emu: Emulator, deployment: Deployment
) -> None:
    """Neighbours tell the bot about the bins in their group (@the_bot ...): the pointer that
    /start gets there, quoting nothing of theirs; not for another bot's name, and not in a
    group the bot serves (the moderators' group), where a mention is someone else's."""
    admin, cy = emu.person("Ada"), emu.person("Cy")
    mods = emu.group("Riverside moderators", members=[admin, cy])
    street = emu.group("Elm Road neighbours", members=[admin, cy])
    staffed = deployment.model_copy(update={"admins": [admin.id], "moderators_chat": mods.id})
    async with make_bot(deployment=staffed):
        said = await said_in(street, cy, f"@{emu.bot_username} the Elm Road bins were missed", emu)
        assert said == [texts.GROUP_START]
        assert street.messages[-1].keyboard == [
            [{"text": texts.GROUP_START_BUTTON, "url": f"https://t.me/{emu.bot_username}"}]
        ]
        assert await said_in(street, cy, "@other_bot the bins were missed", emu) == []
        assert await said_in(mods, cy, f"@{emu.bot_username} have a look at #3", emu) == []
