"""Sending, editing, deleting, files, commands, limits: real PTB calls, Telegram's answers."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import BadRequest, Forbidden, RetryAfter

from emulator import Emulator, Limits
from tests.emulator.conftest import TOKEN, Raw

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Library", callback_data="lib")]])


async def test_send_message_returns_a_real_message(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice", username="alice")
    sent = await bot.send_message(alice.id, "Hello <b>Alice</b>", parse_mode="HTML",
                                  reply_markup=KEYBOARD)  # fmt: skip
    assert sent.from_user is not None and sent.from_user.id == bot.id
    assert sent.from_user.is_bot
    assert sent.chat.id == alice.id and sent.chat.type == "private"
    assert sent.text == "Hello Alice"
    assert sent.entities[0].type == "bold" and sent.entities[0].offset == 6
    assert sent.reply_markup == KEYBOARD
    second = await bot.send_message("@alice", "by username")
    assert second.message_id == sent.message_id + 1
    assert [m.text for m in alice.messages] == ["Hello Alice", "by username"]


async def test_message_ids_are_per_chat(bot: Bot, emu: Emulator) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await alice.send("hi")
    a = await bot.send_message(alice.id, "to Alice")
    b = await bot.send_message(bob.id, "to Bob")
    assert (a.message_id, b.message_id) == (2, 1)


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "anyone?")


async def test_blocked_user_gets_403(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    alice.block()
    status, body = await raw("sendMessage", data={"chat_id": str(alice.id), "text": "hi"})
    assert status == 403
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    alice.unblock()
    status, _ = await raw("sendMessage", data={"chat_id": str(alice.id), "text": "hi"})
    assert status == 200


async def test_kicked_from_group_gets_403(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    group = emu.group("Riverside moderators", members=[alice])
    assert group.id < 0
    await bot.send_message(group.id, "hello group")
    emu.remove_bot_from(group)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "still here?")
    assert [m.text for m in group.messages] == ["hello group"]


async def test_edits_are_what_the_person_sees(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    sent = await bot.send_message(alice.id, "draft", reply_markup=KEYBOARD)
    view = await alice.next_message()
    assert not view.edited and view.buttons == [["Library"]]
    edited = await bot.edit_message_text("final", alice.id, sent.message_id,
                                         reply_markup=KEYBOARD)  # fmt: skip
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    assert view.text == "final" and view.edited
    # Editing the text without reply_markup removes the keyboard, as on Telegram.
    await bot.edit_message_text("plain", alice.id, sent.message_id)
    assert view.buttons == []
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=KEYBOARD)
    assert view.button_data == [["lib"]]


async def test_edit_errors(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    sent = await bot.send_message(alice.id, "same", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified: specified new message"):
        await bot.edit_message_text("same", alice.id, sent.message_id, reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", alice.id, 999)
    mine = await alice.send("hers")
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("x", alice.id, mine["message_id"])


async def test_delete(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    sent = await bot.send_message(alice.id, "soon gone")
    view = alice.last
    assert view is not None
    assert await bot.delete_message(alice.id, sent.message_id)
    assert view.deleted and alice.messages == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_a_message_can_be_deleted_for_48_hours_then_only_edited(
    bot: Bot, emu: Emulator
) -> None:
    alice = emu.person("Alice")
    group = emu.group("Team", members=[alice])
    old = await bot.send_message(group.id, "two days ago", reply_markup=KEYBOARD)
    recent = await bot.send_message(alice.id, "just under two days ago")
    emu.age_messages(48 * 3600, chat_id=group.id)
    emu.age_messages(48 * 3600 - 60, chat_id=alice.id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(group.id, old.message_id)
    # deleteMessages skips what it cannot delete, as Telegram does.
    assert await bot.delete_messages(group.id, [old.message_id])
    assert await bot.delete_message(alice.id, recent.message_id)
    await bot.edit_message_text("removed", group.id, old.message_id)
    (view,) = group.messages
    assert not view.deleted and view.text == "removed" and view.buttons == []


async def test_answer_callback_query(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await bot.send_message(alice.id, "menu", reply_markup=KEYBOARD)
    press = await alice.press("Library")
    assert await bot.answer_callback_query(press.id, "Opening", show_alert=True)
    answer = await press.answered(timeout=1)
    assert answer["text"] == "Opening" and answer["show_alert"] is True
    # A query is answered once; a second answer is refused like an unknown id.
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(press.id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")


async def test_unanswered_press_times_out(emu: Emulator) -> None:
    alice = emu.person("Alice")
    press = await alice.press_data(1, "x")
    with pytest.raises(TimeoutError, match="did not answer"):
        await press.answered(timeout=0.05)


async def test_commands_per_scope_and_language(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    general = [BotCommand("start", "Start"), BotCommand("help", "Help")]
    private = [BotCommand("tell", "Tell us something")]
    assert await bot.set_my_commands(general)
    assert await bot.set_my_commands(private, scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(private, scope=BotCommandScopeChat(alice.id),
                                     language_code="fr")  # fmt: skip
    assert await bot.get_my_commands() == tuple(general)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == tuple(private)
    assert await bot.get_my_commands(scope=BotCommandScopeChat(alice.id)) == ()
    assert emu.commands("all_private_chats") == [
        {"command": "tell", "description": "Tell us something"}
    ]
    assert emu.commands("chat", "fr", chat_id=alice.id)[0]["command"] == "tell"
    assert await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats())
    assert emu.commands("all_private_chats") == []
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Uppercase is not allowed")])


async def test_photo_and_document_upload_and_download(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x08"
    photo_msg = await bot.send_photo(alice.id, png, caption="a <i>chart</i>", parse_mode="HTML")
    assert photo_msg.photo[-1].width == 16 and photo_msg.photo[-1].height == 8
    assert photo_msg.caption == "a chart"
    assert (await alice.next_message()).photo == png
    doc_msg = await bot.send_document(alice.id, b"col1,col2\n", filename="export.csv")
    assert doc_msg.document is not None and doc_msg.document.file_name == "export.csv"
    assert alice.last is not None and alice.last.document == b"col1,col2\n"
    # Re-send by file_id, then download through getFile + /file/bot<token>/<path>.
    again = await bot.send_document(alice.id, doc_msg.document.file_id)
    assert again.document is not None
    assert again.document.file_unique_id == doc_msg.document.file_unique_id
    telegram_file = await bot.get_file(doc_msg.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == b"col1,col2\n"
    with pytest.raises(BadRequest, match=r"(?i)wrong file"):
        await bot.send_photo(alice.id, "no-such-file-id")


async def test_person_files_can_be_downloaded(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    message = await alice.send_voice(b"OggS voice bytes")
    telegram_file = await bot.get_file(message["voice"]["file_id"])
    assert bytes(await telegram_file.download_as_bytearray()) == b"OggS voice bytes"
    # file_path is optional in a File: an emulator told so leaves it out.
    emu.file_paths = False
    bare = await bot.get_file(message["voice"]["file_id"])
    assert bare.file_path is None and bare.file_size == len(b"OggS voice bytes")


async def test_chat_action_close_and_log_out(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    assert await bot.send_chat_action(alice.id, "typing")
    assert emu.chat_actions == [(alice.id, "typing")]
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action"):
        await bot.send_chat_action(alice.id, "dancing")
    assert await bot.log_out()
    assert await bot.close()


async def test_unmodelled_methods_answer_without_crashing(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    status, body = await raw("setChatTitle", data={"chat_id": str(alice.id), "title": "x"})
    assert (status, body) == (200, {"ok": True, "result": True})
    status, body = await raw("getStarTransactions")
    assert status == 400 and body["ok"] is False


async def test_flood_control_private_chat(raw: Raw) -> None:
    limits = Limits(private_burst=2, private_rate=1.0)
    async with Emulator(token=TOKEN, limits=limits) as emu:
        raw.emu = emu
        alice = emu.person("Alice")
        data = {"chat_id": str(alice.id), "text": "spam"}
        assert (await raw("sendMessage", data=data))[0] == 200
        assert (await raw("sendMessage", data=data))[0] == 200
        status, body = await raw("sendMessage", data=data)
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        }
        # Edits, answers and chat actions are not throttled.
        action = {"chat_id": str(alice.id), "action": "typing"}
        assert (await raw("sendChatAction", data=action))[0] == 200
        await asyncio.sleep(body["parameters"]["retry_after"])
        assert (await raw("sendMessage", data=data))[0] == 200


async def test_flood_control_seen_by_ptb(emu: Emulator, bot: Bot) -> None:
    emu.limits = Limits(private_burst=1, private_rate=0.5)
    alice = emu.person("Alice")
    await bot.send_message(alice.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "two")
    wait = caught.value.retry_after  # int or timedelta, depending on PTB's settings
    assert (wait if isinstance(wait, int) else wait.total_seconds()) == 2  # 0.5 msg/s


async def test_flood_control_global_and_group(raw: Raw) -> None:
    limits = Limits(global_burst=3, global_rate=1.0, group_burst=2, group_period=60.0)
    async with Emulator(token=TOKEN, limits=limits) as emu:
        raw.emu = emu
        people = [emu.person(name) for name in ("A", "B", "C", "D")]
        group = emu.group("G", members=people[:1])
        assert (await raw("sendMessage", data={"chat_id": str(group.id), "text": "1"}))[0] == 200
        assert (await raw("sendMessage", data={"chat_id": str(group.id), "text": "2"}))[0] == 200
        status, body = await raw("sendMessage", data={"chat_id": str(group.id), "text": "3"})
        assert status == 429 and body["parameters"]["retry_after"] == 30  # 2 per minute
        assert (await raw("sendMessage", data={"chat_id": str(people[0].id), "text": "x"}))[
            0
        ] == 200
        status, body = await raw("sendMessage", data={"chat_id": str(people[1].id), "text": "x"})
        assert status == 429  # the whole bot's budget is spent, even in a fresh chat


async def test_unlimited_turns_flood_control_off(raw: Raw) -> None:
    async with Emulator(token=TOKEN, limits=Limits.unlimited()) as emu:
        raw.emu = emu
        alice = emu.person("Alice")
        statuses = [
            (await raw("sendMessage", data={"chat_id": str(alice.id), "text": "x"}))[0]
            for _ in range(40)
        ]
        assert set(statuses) == {200}


async def test_latency_is_applied_to_every_call(raw: Raw) -> None:
    async with Emulator(token=TOKEN, latency=0.05) as emu:
        raw.emu = emu
        started = time.monotonic()
        await raw("getMe")
        assert time.monotonic() - started >= 0.05
        # Concurrent calls overlap, like real round trips: all five are in flight at once (a
        # latency applied one call at a time would end each before the next began). The long
        # latency is the room the client has to get all five to the emulator.
        emu.latency = 0.5
        await asyncio.gather(*(raw("getMe") for _ in range(5)))
        calls = emu.calls_to("getMe")[1:]
        assert len(calls) == 5
        assert max(c.time for c in calls) < min(c.time + c.duration for c in calls)
