"""Forum supergroups (topics): messages in a topic carry message_thread_id and
is_topic_message; sends name a topic, or land in the topic of the message they reply to; a
deleted or unknown topic is "message thread not found", a closed one TOPIC_CLOSED."""

from __future__ import annotations

from typing import Any

import pytest

from emulator import Emulator
from tests.emulator.conftest import Raw


async def _updates(raw: Raw) -> list[dict[str, Any]]:
    _, body = await raw("getUpdates")
    updates = body["result"]
    if updates:
        await raw("getUpdates", json={"offset": updates[-1]["update_id"] + 1})
    return [u["message"] for u in updates]


async def test_a_command_in_a_topic_carries_its_thread_and_the_answer_lands_there(
    raw: Raw, emu: Emulator
) -> None:
    ada = emu.person("Ada")
    forum = emu.group("Riverside moderators", members=[ada], forum=True)
    thread = emu.create_topic(forum, "Moderation", by=ada)
    await ada.send("/queue", chat=forum, topic=thread)
    await ada.send("/help", chat=forum)
    created, in_topic, in_general = await _updates(raw)
    for message in (created, in_topic, in_general):
        emu.spec.check_object("Message", message, "message")
    assert created["forum_topic_created"]["name"] == "Moderation"
    assert created["chat"]["is_forum"] is True
    assert in_topic["message_thread_id"] == thread and in_topic["is_topic_message"] is True
    # As Telegram does: a message in a topic replies to the topic's first message.
    assert in_topic["reply_to_message"]["message_id"] == thread
    assert "message_thread_id" not in in_general
    status, body = await raw(
        "sendMessage", json={"chat_id": forum.id, "text": "3 waiting", "message_thread_id": thread}
    )
    assert status == 200 and body["result"]["message_thread_id"] == thread
    # A reply to a message in a topic lands in that topic, without naming it.
    status, body = await raw(
        "sendMessage",
        json={
            "chat_id": forum.id,
            "text": "yes",
            "reply_parameters": {"message_id": in_topic["message_id"]},
        },
    )
    assert status == 200 and body["result"]["message_thread_id"] == thread
    # General: no thread, or 1.
    for extra in ({}, {"message_thread_id": 1}):
        status, body = await raw("sendMessage", json={"chat_id": forum.id, "text": "hi", **extra})
        assert status == 200 and "message_thread_id" not in body["result"]
    assert [m.thread for m in forum.messages] == [thread, thread, None, None]
    assert [m.text for m in forum.in_topic(thread)] == ["3 waiting", "yes"]


@pytest.mark.parametrize("method", ["sendMessage", "sendPhoto", "sendChatAction"])
async def test_a_deleted_unknown_or_closed_topic_is_refused(
    raw: Raw, emu: Emulator, method: str
) -> None:
    ada = emu.person("Ada")
    forum = emu.group("Providers", members=[ada], forum=True)
    closed = emu.create_topic(forum, "Digests", by=ada)
    gone = emu.create_topic(forum, "Old", by=ada)
    emu.close_topic(forum, closed, by=ada)
    emu.delete_topic(forum, gone)
    extra: dict[str, Any] = {
        "sendMessage": {"text": "digest"},
        "sendPhoto": {"photo": "https://example.invalid/chart.png"},
        "sendChatAction": {"action": "typing"},
    }[method]
    expected = {
        closed: "Bad Request: TOPIC_CLOSED",
        gone: "Bad Request: message thread not found",
        999: "Bad Request: message thread not found",
    }
    for thread, description in expected.items():
        status, body = await raw(
            method, json={"chat_id": forum.id, "message_thread_id": thread, **extra}
        )
        assert (status, body["description"]) == (400, description)
    assert forum.messages == []
    # Reopened, it takes messages again.
    emu.close_topic(forum, closed, by=ada, closed=False)
    status, _ = await raw(
        "sendMessage", json={"chat_id": forum.id, "message_thread_id": closed, "text": "back"}
    )
    assert status == 200


async def test_turning_topics_on_in_a_basic_group_moves_it_first(raw: Raw, emu: Emulator) -> None:
    ada = emu.person("Ada")
    group = emu.group("Riverside moderators", members=[ada])
    forum = emu.make_forum(group, by=ada)
    assert forum.id != group.id and forum.chat.is_forum
    told, came = await _updates(raw)
    assert told["migrate_to_chat_id"] == forum.id and came["migrate_from_chat_id"] == group.id
    assert emu.make_forum(forum, by=ada).id == forum.id


async def test_an_admin_removing_and_adding_the_bot_sends_my_chat_member(
    raw: Raw, emu: Emulator
) -> None:
    ada = emu.person("Ada")
    forum = emu.group("Riverside moderators", members=[ada], forum=True)
    emu.remove_bot_from(forum, by=ada)
    emu.add_bot_to(forum, by=ada)
    _, body = await raw("getUpdates")
    removed, added = (u["my_chat_member"] for u in body["result"])
    for changed in (removed, added):
        emu.spec.check_object("ChatMemberUpdated", changed, "my_chat_member")
        assert changed["chat"]["id"] == forum.id and changed["from"]["id"] == ada.id
    assert (removed["old_chat_member"]["status"], removed["new_chat_member"]["status"]) == (
        "member",
        "kicked",
    )
    assert added["new_chat_member"]["status"] == "member"
