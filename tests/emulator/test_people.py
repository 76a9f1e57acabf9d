"""Simulated people produce updates python-telegram-bot parses, and see what the bot sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageOriginHiddenUser,
    MessageOriginUser,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from emulator import Emulator
from tests.emulator.conftest import TOKEN, Raw

# Only a de_json context: it never makes a call.
_PARSER = Bot(TOKEN)


async def _only_update(raw: Raw) -> Update:
    """Fetch pending updates over HTTP and parse the newest with PTB, as a bot would."""
    _, body = await raw("getUpdates")
    assert body["ok"], body
    return Update.de_json(body["result"][-1], _PARSER)


async def test_text_and_commands(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice", last_name="Smith", username="alice_s", language_code="fr")
    sent = await alice.send("/start s_library")
    update = await _only_update(raw)
    message = update.message
    assert message is not None and message.message_id == sent["message_id"]
    assert message.text == "/start s_library"
    assert message.from_user is not None and not message.from_user.is_bot
    assert message.from_user.language_code == "fr" and message.from_user.username == "alice_s"
    assert message.chat.type == "private" and message.chat.id == alice.id
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6
    await alice.send("/help@yousaid_bot now")
    update = await _only_update(raw)
    assert update.message is not None
    assert update.message.parse_entities(["bot_command"]) != {}


@pytest.mark.parametrize(
    ("action", "attribute"),
    [
        ("send_photo", "photo"),
        ("send_voice", "voice"),
        ("send_audio", "audio"),
        ("send_sticker", "sticker"),
        ("send_document", "document"),
        ("send_location", "location"),
        ("send_contact", "contact"),
        ("send_video", "video"),
        ("send_video_note", "video_note"),
    ],
)
async def test_every_kind_of_message_parses(
    raw: Raw, emu: Emulator, action: str, attribute: str
) -> None:
    alice = emu.person("Alice")
    await getattr(alice, action)()
    update = await _only_update(raw)
    assert update.message is not None
    value = getattr(update.message, attribute)
    assert value, f"{attribute} missing from {update.message}"
    if attribute == "photo":
        assert value[-1].width > value[0].width
    if attribute == "sticker":
        assert value.type == "regular" and not value.is_animated and not value.is_video


async def test_a_location_carries_how_far_off_it_may_be(raw: Raw, emu: Emulator) -> None:
    """A phone located by its cell tower: the Location says so (horizontal_accuracy, in
    metres), as the spec's Location has it; never outside the 0-1500 the Bot API gives."""
    alice = emu.person("Alice")
    sent = await alice.send_location(52.4105, -1.5080, horizontal_accuracy=1500)
    emu.spec.check_object("Message", sent, "message")
    update = await _only_update(raw)
    assert update.message is not None and update.message.location is not None
    assert update.message.location.horizontal_accuracy == 1500.0
    await alice.send_location(52.4105, -1.5080)
    update = await _only_update(raw)
    assert update.message is not None and update.message.location is not None
    assert update.message.location.horizontal_accuracy is None
    for wrong in (1500.5, -1.0):
        with pytest.raises(ValueError, match="horizontal_accuracy"):
            await alice.send_location(52.4105, -1.5080, horizontal_accuracy=wrong)


async def test_edit_produces_edited_message(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    original = await alice.send("helo")
    await raw("getUpdates")
    await alice.edit(original, "hello")
    update = await _only_update(raw)
    assert update.edited_message is not None
    assert update.edited_message.text == "hello"
    assert update.edited_message.message_id == original["message_id"]
    assert update.edited_message.edit_date is not None


async def test_forwards_have_forward_origin(raw: Raw, emu: Emulator) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    await alice.forward("the council said no", from_user=bob)
    update = await _only_update(raw)
    assert update.message is not None
    origin = update.message.forward_origin
    assert isinstance(origin, MessageOriginUser) and origin.sender_user.id == bob.id
    await alice.forward("anonymous tip", sender_name="Mystery")
    update = await _only_update(raw)
    assert update.message is not None
    assert isinstance(update.message.forward_origin, MessageOriginHiddenUser)


async def test_press_by_label_and_forged_data(raw: Raw, bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Library", callback_data="lib:1")],
         [InlineKeyboardButton("Site", url="https://example.org")]]
    )  # fmt: skip
    sent = await bot.send_message(alice.id, "menu", reply_markup=markup)
    press = await alice.press("Library")
    update = await _only_update(raw)
    query = update.callback_query
    assert query is not None and query.data == "lib:1" and query.id == press.id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert query.from_user.id == alice.id and query.chat_instance
    with pytest.raises(LookupError, match="'Library'"):
        await alice.press("Parks")
    forged = await alice.press_data(sent.message_id, "admin:delete_all")
    update = await _only_update(raw)
    assert update.callback_query is not None
    assert update.callback_query.data == "admin:delete_all" == forged.data
    # A press on a message that no longer exists carries an InaccessibleMessage.
    await alice.press_data(999, "old")
    update = await _only_update(raw)
    assert update.callback_query is not None and update.callback_query.message is not None
    assert update.callback_query.message.date.timestamp() == 0


async def test_next_message_reads_in_order_and_explains_timeouts(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await bot.send_message(alice.id, "one")
    await bot.send_message(alice.id, "two")
    assert (await alice.next_message()).text == "one"
    assert (await alice.next_message()).text == "two"
    with pytest.raises(TimeoutError, match=r"Alice got no new message.*'two'"):
        await alice.next_message(timeout=0.05)


async def test_wait_for(bot: Bot, emu: Emulator) -> None:
    alice = emu.person("Alice")
    await bot.send_message(alice.id, "a")
    messages = await alice.wait_for(lambda msgs: len(msgs) == 1, timeout=0.5)
    assert messages[0].text == "a"
    with pytest.raises(TimeoutError, match="condition not met"):
        await alice.wait_for(lambda msgs: len(msgs) == 2, timeout=0.05)


async def test_group_privacy_mode(raw: Raw, emu: Emulator) -> None:
    alice, bob = emu.person("Alice"), emu.person("Bob")
    group = emu.group("Riverside moderators", members=[alice, bob])
    await alice.send("just chatting", chat=group)
    await bob.send("/digest@yousaid_bot", chat=group)
    await bob.send("/other@some_other_bot", chat=group)
    _, body = await raw("getUpdates")
    texts = [u["message"]["text"] for u in body["result"]]
    assert texts == ["/digest@yousaid_bot"]
    assert body["result"][0]["message"]["chat"]["type"] == "group"
    outsider = emu.person("Eve")
    with pytest.raises(ValueError, match="not a member"):
        await outsider.send("hi", chat=group)


async def test_kicked_bot_sees_nothing_from_the_group(raw: Raw, emu: Emulator) -> None:
    alice = emu.person("Alice")
    group = emu.group("G", members=[alice])
    emu.remove_bot_from(group)
    await alice.send("/start", chat=group)
    assert emu.pending_updates == 0


# -- end to end with a real python-telegram-bot Application over long polling ----------------


@pytest.fixture
async def app(emu: Emulator) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A small PTB application: /start shows a button, the button edits the message."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Library", callback_data="lib")]])
        await update.effective_message.reply_text(
            f"Welcome ({' '.join(context.args or [])})", reply_markup=keyboard
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Opening the library")
        await query.edit_message_text("<b>Library</b>", parse_mode="HTML")

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        file = await update.effective_message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.effective_message.reply_text(f"got {len(data)} bytes")

    application = (
        Application.builder().token(TOKEN).base_url(emu.api_url).base_file_url(emu.file_url)
    ).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    application.add_handler(MessageHandler(filters.PHOTO, photo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_application_round_trip(
    app: Application[Any, Any, Any, Any, Any, Any], emu: Emulator
) -> None:
    alice = emu.person("Alice")
    await alice.send("/start s_library")
    welcome = await alice.next_message()
    assert welcome.text == "Welcome (s_library)" and welcome.buttons == [["Library"]]
    press = await alice.press("Library")
    assert (await press.answered())["text"] == "Opening the library"
    await emu.idle()
    assert welcome.text == "Library" and welcome.edited and welcome.buttons == []
    await alice.send_photo()
    assert (await alice.next_message()).text.startswith("got ")
    await emu.idle()
    assert emu.pending_updates == 0
    assert all(call.ok for call in emu.calls), [c for c in emu.calls if not c.ok]
