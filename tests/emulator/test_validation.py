"""Every call is checked against the Bot API spec and answered with Telegram's error shapes."""

from __future__ import annotations

import json

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, InvalidToken

from emulator import Emulator
from emulator.spec import load_spec
from tests.emulator.conftest import Raw


def _bad(body: dict, description: str) -> None:
    assert body == {"ok": False, "error_code": 400, "description": description}


async def test_wrong_token_is_401(raw: Raw) -> None:
    status, body = await raw("getMe", token="999:WRONG")
    assert status == 401
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_ptb_reports_wrong_token(emu: Emulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.api_url):
            pass


async def test_unknown_method_is_404(raw: Raw) -> None:
    status, body = await raw("sendTelepathy", data={"chat_id": "1"})
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_method_names_are_case_insensitive(raw: Raw) -> None:
    status, body = await raw("GETME")
    assert status == 200
    assert body["result"]["is_bot"] is True


async def test_get_with_query_string(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    status, _ = await raw(
        "sendMessage", http="GET", params={"chat_id": str(alice.id), "text": "via GET"}
    )
    assert status == 200
    assert alice.last is not None and alice.last.text == "via GET"


async def test_missing_required_parameter(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    status, body = await raw("sendMessage", data={"chat_id": str(alice.id)})
    assert status == 400
    _bad(body, "Bad Request: message text is empty")
    status, body = await raw("getFile", data={})
    assert status == 400
    _bad(body, "Bad Request: file_id is empty")
    status, body = await raw("setMyCommands", data={})
    _bad(body, 'Bad Request: parameter "commands" is required')


async def test_unknown_parameter(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    status, body = await raw(
        "sendMessage", data={"chat_id": str(alice.id), "text": "hi", "colour": "red"}
    )
    assert status == 400
    _bad(body, 'Bad Request: unknown parameter "colour" for method sendMessage')


async def test_mistyped_parameters(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    chat = str(alice.id)
    status, body = await raw("deleteMessage", data={"chat_id": chat, "message_id": "abc"})
    assert status == 400
    _bad(body, 'Bad Request: parameter "message_id" must be of type Integer')
    status, body = await raw(
        "sendMessage", data={"chat_id": chat, "text": "x", "disable_notification": "maybe"}
    )
    _bad(body, 'Bad Request: parameter "disable_notification" must be of type Boolean')
    status, body = await raw("sendMessage", data={"chat_id": chat, "text": "x", "entities": "{"})
    _bad(body, 'Bad Request: parameter "entities" is not valid JSON')
    status, body = await raw(
        "sendMessage", json={"chat_id": alice.id, "text": "x", "disable_notification": "yes"}
    )
    _bad(body, 'Bad Request: parameter "disable_notification" must be of type Boolean')


async def test_nested_markup_is_validated(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    no_text = {"inline_keyboard": [[{"callback_data": "x"}]]}
    status, body = await raw(
        "sendMessage",
        data={"chat_id": str(alice.id), "text": "x", "reply_markup": json.dumps(no_text)},
    )
    assert status == 400
    _bad(
        body,
        "Bad Request: can't parse reply_markup: field "
        '"reply_markup.inline_keyboard[0][0].text" is required',
    )
    wrong_type = {"inline_keyboard": [[{"text": "A", "callback_data": ["x"]}]]}
    status, body = await raw(
        "sendMessage", json={"chat_id": alice.id, "text": "x", "reply_markup": wrong_type}
    )
    assert status == 400
    assert "callback_data" in body["description"] and "String" in body["description"]
    text_only = {"inline_keyboard": [[{"text": "A"}]]}
    status, body = await raw(
        "sendMessage", json={"chat_id": alice.id, "text": "x", "reply_markup": text_only}
    )
    _bad(
        body,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard",
    )


async def test_union_scope_is_validated_by_subtype(raw: Raw) -> None:
    commands = json.dumps([{"command": "start", "description": "Start"}])
    status, body = await raw(
        "setMyCommands",
        data={"commands": commands, "scope": json.dumps({"type": "chat"})},
    )
    assert status == 400
    assert '"scope.chat_id" is required' in body["description"]
    status, body = await raw(
        "setMyCommands", data={"commands": commands, "scope": json.dumps({"type": "moon"})}
    )
    assert status == 400
    assert 'unsupported BotCommandScope type "moon"' in body["description"]
    status, body = await raw(
        "setMyCommands",
        data={"commands": commands, "scope": json.dumps({"type": "all_private_chats"})},
    )
    assert (status, body) == (200, {"ok": True, "result": True})


async def test_array_of_bot_command_items_are_validated(raw: Raw) -> None:
    status, body = await raw("setMyCommands", json={"commands": [{"command": "start"}]})
    assert status == 400
    assert '"commands[0].description" is required' in body["description"]


async def test_callback_data_limit(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 64)]])
    await bot.send_message(alice.id, "fits", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(alice.id, "too long", reply_markup=too_long)
    # 64 bytes, not 64 characters: 33 two-byte letters are 66 bytes.
    wide = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="é" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(alice.id, "too wide", reply_markup=wide)


async def test_text_length_limits(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(alice.id, "")
    with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
        await bot.send_message(alice.id, "   \n ")
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    sent = await bot.send_message(alice.id, "x" * 4096)
    assert len(sent.text) == 4096


async def test_html_length_is_counted_after_parsing(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    marked_up = "<b>" + "x" * 4090 + "</b>&amp;"  # 4091 characters once parsed
    sent = await bot.send_message(alice.id, marked_up, parse_mode="HTML")
    assert len(sent.text) == 4091
    assert sent.text.endswith("x&")
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 4090
    with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
        await bot.send_message(alice.id, "<i>" + "y" * 4097 + "</i>", parse_mode="HTML")


async def test_markup_errors_use_telegram_wording(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end tag corresponding to start tag"):
        await bot.send_message(alice.id, "<b>open", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "blink"'):
        await bot.send_message(alice.id, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)Character '.' is reserved"):
        await bot.send_message(alice.id, "Done.", parse_mode="MarkdownV2")
    sent = await bot.send_message(alice.id, r"*Done*\. _ok_", parse_mode="MarkdownV2")
    assert sent.text == "Done. ok"
    assert [e.type for e in sent.entities] == ["bold", "italic"]


async def test_caption_limit(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(alice.id, b"\x89PNG\r\n\x1a\n", caption="c" * 1025)
    sent = await bot.send_photo(alice.id, b"\x89PNG\r\n\x1a\n", caption="c" * 1024)
    assert len(sent.caption) == 1024


async def test_form_json_and_multipart_bodies(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    status, _ = await raw(
        "sendMessage",
        data={"chat_id": str(alice.id), "text": "form", "reply_markup": json.dumps(markup)},
    )
    assert status == 200
    status, _ = await raw(
        "sendMessage", json={"chat_id": alice.id, "text": "json", "reply_markup": markup}
    )
    assert status == 200
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "multipart")
    form.add_field("document", b"file bytes", filename="notes.txt", content_type="text/plain")
    status, body = await raw("sendDocument", data=form)
    assert status == 200, body
    assert body["result"]["document"]["file_name"] == "notes.txt"
    assert [m.text for m in alice.messages] == ["form", "json", "multipart"]
    assert alice.messages[0].buttons == alice.messages[1].buttons == [["Go"]]
    assert alice.messages[2].document == b"file bytes"
    # The call log holds decoded, typed params.
    assert emu.calls_to("sendMessage")[1].params["chat_id"] == alice.id


async def test_attach_uri_refers_to_a_multipart_part(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("photo", "attach://pic")
    form.add_field("pic", b"\x89PNG\r\n\x1a\n", filename="p.png", content_type="image/png")
    status, body = await raw("sendPhoto", data=form)
    assert status == 200, body
    assert alice.last is not None and alice.last.photo == b"\x89PNG\r\n\x1a\n"


def test_spec_is_loaded_once() -> None:
    assert load_spec() is load_spec()
    assert load_spec().method("sendmessage") is load_spec().methods["sendMessage"]
