"""A group upgraded to a supergroup: a new id, both service messages, and the old id refused
with `parameters.migrate_to_chat_id`, as the Bot API does."""

from __future__ import annotations

import pytest
from telegram import Bot, Update
from telegram.error import ChatMigrated

from emulator import Emulator
from tests.emulator.conftest import Raw

# Only a de_json context: it never makes a call.
_PARSER = Bot("123456:TEST-TOKEN")


async def test_an_upgraded_group_has_a_new_id_and_both_service_messages(
    raw: Raw, emu: Emulator
) -> None:
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    supergroup = emu.upgrade(group, by=ada)
    assert supergroup.id != group.id and supergroup.id < -1_000_000_000_000
    assert supergroup.chat.type == "supergroup" and supergroup.title == group.title
    assert supergroup.chat.member_ids == [ada.id]
    _, body = await raw("getUpdates")
    told, came = (u["message"] for u in body["result"])
    # Each fits the Message type of the Bot API the emulator ships.
    emu.spec.check_object("Message", told, "message")
    emu.spec.check_object("Message", came, "message")
    first, second = (Update.de_json(u, _PARSER) for u in body["result"])
    assert first.message is not None and second.message is not None
    assert first.message.chat.id == group.id and first.message.chat.type == "group"
    assert first.message.migrate_to_chat_id == supergroup.id
    assert second.message.chat.id == supergroup.id and second.message.chat.type == "supergroup"
    assert second.message.migrate_from_chat_id == group.id
    assert first.message.from_user is not None and first.message.from_user.id == ada.id


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("sendMessage", {"text": "hello"}),
        ("getChat", {}),
        ("editMessageText", {"message_id": 1, "text": "edited"}),
        ("deleteMessage", {"message_id": 1}),
    ],
)
async def test_calls_on_the_old_id_are_refused_with_the_new_one(
    raw: Raw, emu: Emulator, method: str, params: dict[str, object]
) -> None:
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    supergroup = emu.upgrade(group, by=ada)
    status, body = await raw(method, json={"chat_id": group.id, **params})
    assert status == 400
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert body["parameters"] == {"migrate_to_chat_id": supergroup.id}
    emu.spec.check_object("ResponseParameters", body["parameters"], "parameters")


async def test_python_telegram_bot_raises_chat_migrated_and_the_new_id_works(
    bot: Bot, emu: Emulator
) -> None:
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    supergroup = emu.upgrade(group, by=ada)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(group.id, "a card")
    assert raised.value.new_chat_id == supergroup.id
    await bot.send_message(raised.value.new_chat_id, "a card")
    assert [m.text for m in supergroup.messages] == ["a card"]
    assert group.messages == []


async def test_nobody_writes_in_the_old_group_and_it_cannot_be_upgraded_twice(
    emu: Emulator,
) -> None:
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    emu.upgrade(group, by=ada)
    with pytest.raises(ValueError, match="supergroup"):
        await ada.send("/queue", chat=group)
    with pytest.raises(ValueError, match="not a basic group"):
        emu.upgrade(group, by=ada)
