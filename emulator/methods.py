"""Bot API method handlers: what each implemented method does to the emulated Telegram.

Parameters arrive already validated and typed by `spec.Spec.validate`; handlers add the
semantic checks Telegram makes (lengths, existence, permissions, flood control).
"""

from __future__ import annotations

import asyncio
import copy
import re
import struct
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from emulator import formatting
from emulator.errors import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    bad_request,
    conflict,
)
from emulator.spec import Upload
from emulator.state import Chat, StoredFile, now_ts

if TYPE_CHECKING:
    from emulator.emulator import Emulator

Handler = Callable[["Emulator", dict[str, Any]], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}

# An inline button must do exactly one thing; these are the fields that say what.
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for one or more canonical method names."""

    def register(func: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = func
        return func

    return register


# -- shared checks ---------------------------------------------------------------------------


def formatted(
    emu: Emulator,
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None,
    *,
    caption: bool,
) -> tuple[str, list[dict[str, Any]]]:
    """Text and entities after parse_mode, trimmed, with Telegram's length checks."""
    if parse_mode:
        plain, found = formatting.parse(text, parse_mode)
    else:
        plain, found = text, list(entities or [])
    plain, found = formatting.strip_entities(plain, found)
    if caption:
        if len(plain) > emu.limits.caption_max:
            raise bad_request("message caption is too long")
    else:
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > emu.limits.text_max:
            raise bad_request("message is too long")
    return plain, found


def inline_markup(emu: Emulator, markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check an inline keyboard's buttons; return it if it is one (others are not echoed)."""
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            actions = [a for a in _BUTTON_ACTIONS if a in button]
            if len(actions) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if not button["text"]:
                raise bad_request("BUTTON_TEXT_INVALID")
            if "callback_data" in button:
                size = len(button["callback_data"].encode())
                if not 1 <= size <= emu.limits.callback_data_max_bytes:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"^(https?|tg)://\S+$", button["url"]):
                raise bad_request("BUTTON_URL_INVALID")
    if not any(markup["inline_keyboard"]):
        return None
    return markup


def reply_target(chat: Chat, params: dict[str, Any]) -> dict[str, Any]:
    """reply_to_message for reply_parameters, or 400 if that message is gone."""
    reply = params.get("reply_parameters")
    if not reply:
        return {}
    target_chat_id = reply.get("chat_id", chat.id)
    message = chat.messages.get(reply["message_id"])
    if target_chat_id != chat.id or message is None or reply["message_id"] in chat.deleted:
        if reply.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    replied = {k: v for k, v in message.items() if k != "reply_to_message"}
    return {"reply_to_message": copy.deepcopy(replied)}


# Where a forum's General topic is, for clients that name it (others leave the thread out).
GENERAL_THREAD = 1


def thread_target(chat: Chat, params: dict[str, Any], replied: dict[str, Any]) -> dict[str, Any]:
    """message_thread_id and is_topic_message of a message sent to a forum topic (named, or
    the topic of the message replied to); 400 when that topic was deleted, never existed or
    is closed (the bot is no admin there)."""
    thread = params.get("message_thread_id")
    target = replied.get("reply_to_message")
    if thread is None and target is not None and target.get("is_topic_message"):
        thread = target.get("message_thread_id")
    if thread is None or (chat.is_forum and thread == GENERAL_THREAD):
        return {}
    topic = chat.topics.get(thread)
    if topic is None or topic.deleted:
        raise bad_request("message thread not found")
    if topic.closed:
        raise bad_request("TOPIC_CLOSED")
    return {"message_thread_id": thread, "is_topic_message": True}


def placed(chat: Chat, params: dict[str, Any]) -> dict[str, Any]:
    """reply_to_message and the forum topic of a message the bot sends (see thread_target)."""
    replied = reply_target(chat, params)
    return {**replied, **thread_target(chat, params, replied)}


def bot_message(emu: Emulator, chat: Chat, fields: dict[str, Any]) -> dict[str, Any]:
    """Charge flood control, then store a message from the bot; return a copy to answer."""
    emu.flood.charge(chat.id, chat.type == "private")
    message = emu.store_message(chat, emu.bot_user, fields)
    return copy.deepcopy(message)


def _entities_field(name: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {name: entities} if entities else {}


# -- identity and lifecycle -------------------------------------------------------------------


@handles("getMe")
async def get_me(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """The bot's own User, with the capability flags getMe adds."""
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not emu.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@handles("close", "logOut")
async def close(emu: Emulator, params: dict[str, Any]) -> bool:
    """Always succeeds (the emulator has no cloud session to release)."""
    return True


# -- updates ----------------------------------------------------------------------------------


@handles("getUpdates")
async def get_updates(emu: Emulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Long polling: confirm below offset, wait up to timeout, answer up to limit updates."""
    if emu.webhook.url:
        raise conflict(
            "can't use getUpdates method while webhook is active; use deleteWebhook to delete "
            "the webhook first"
        )
    if emu.poller is not None and not emu.poller.done():
        # Telegram ends the older waiting request; this newer one takes over.
        emu.poller.set_result(None)
    kicked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    emu.poller = kicked
    queue = emu.updates
    if "allowed_updates" in params:
        queue.allowed = list(params["allowed_updates"])
    offset = params.get("offset", 0)
    if offset > 0:
        queue.confirm_below(offset)
    elif offset < 0:
        queue.keep_last(-offset)
    emu.touch()
    limit = min(max(params.get("limit", 100), 1), 100)
    timeout = max(params.get("timeout", 0), 0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while not queue.pending and not emu.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            queue.arrived.clear()
            waiter = asyncio.ensure_future(queue.arrived.wait())
            await asyncio.wait(
                {waiter, kicked},  # type: ignore[type-var]
                timeout=remaining,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            if kicked.done():
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot "
                    "instance is running"
                )
            if emu.webhook.url:
                break
    finally:
        if emu.poller is kicked:
            emu.poller = None
    return [copy.deepcopy(u) for u in list(queue.pending)[:limit]]


@handles("setWebhook")
async def set_webhook(emu: Emulator, params: dict[str, Any]) -> bool:
    """Start delivering updates by POST to url (http:// allowed for loopback only)."""
    await emu.webhook.set(params)
    return True


@handles("deleteWebhook")
async def delete_webhook(emu: Emulator, params: dict[str, Any]) -> bool:
    """Stop webhook delivery; drop_pending_updates forgets the queue."""
    await emu.webhook.delete(params.get("drop_pending_updates", False))
    return True


@handles("getWebhookInfo")
async def get_webhook_info(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """url, pending_update_count, last error, max_connections, allowed_updates."""
    return emu.webhook.info()


# -- sending ----------------------------------------------------------------------------------


@handles("sendMessage")
async def send_message(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Send a text message."""
    chat = emu.reachable_chat(params["chat_id"])
    text, entities = formatted(
        emu, params["text"], params.get("parse_mode"), params.get("entities"), caption=False
    )
    fields: dict[str, Any] = {"text": text, **_entities_field("entities", entities)}
    markup = inline_markup(emu, params.get("reply_markup"))
    fields.update(placed(chat, params))
    if markup:
        fields["reply_markup"] = markup
    if "link_preview_options" in params:
        fields["link_preview_options"] = params["link_preview_options"]
    return bot_message(emu, chat, fields)


# Media kinds: parameter name -> how the Bot API object for a stored file looks.
def _photo(stored: StoredFile, params: dict[str, Any]) -> list[dict[str, Any]]:
    width, height = _image_size(stored.data)
    base = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    return [{**base, "width": width, "height": height, "file_size": len(stored.data)}]


def _document(stored: StoredFile, params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.file_name:
        out["file_name"] = stored.file_name
    if stored.mime_type:
        out["mime_type"] = stored.mime_type
    return out


def _with_duration(stored: StoredFile, params: dict[str, Any]) -> dict[str, Any]:
    return {**_document(stored, params), "duration": params.get("duration", 1)}


def _video(stored: StoredFile, params: dict[str, Any]) -> dict[str, Any]:
    return {
        **_with_duration(stored, params),
        "width": params.get("width", 640),
        "height": params.get("height", 480),
    }


def _sticker(stored: StoredFile, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "file_size": len(stored.data),
    }


def _video_note(stored: StoredFile, params: dict[str, Any]) -> dict[str, Any]:
    return {**_with_duration(stored, params), "length": params.get("length", 240)}


_MEDIA: dict[str, tuple[str, Callable[[StoredFile, dict[str, Any]], Any], bool]] = {
    # method: (parameter, builder, has caption)
    "sendPhoto": ("photo", _photo, True),
    "sendDocument": ("document", _document, True),
    "sendAudio": ("audio", _with_duration, True),
    "sendVoice": ("voice", _with_duration, True),
    "sendVideo": ("video", _video, True),
    "sendAnimation": ("animation", _video, True),
    "sendSticker": ("sticker", _sticker, False),
    "sendVideoNote": ("video_note", _video_note, False),
}


async def resolve_file(emu: Emulator, value: Upload | str, kind: str) -> StoredFile:
    """A multipart upload, a known file_id, or an HTTP URL Telegram would download."""
    if isinstance(value, Upload):
        return emu.files.add(value.data, kind, value.filename, value.content_type)
    known = emu.files.find(value)
    if known is not None:
        return known
    if value.startswith(("http://", "https://")):
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                async with session.get(value) as response:
                    if response.status >= 300:
                        raise bad_request("failed to get HTTP URL content")
                    data = await response.read()
        except (aiohttp.ClientError, TimeoutError):
            raise bad_request("failed to get HTTP URL content") from None
        return emu.files.add(data, kind, value.rsplit("/", 1)[-1] or None, None)
    raise bad_request("wrong file identifier/HTTP URL specified")


async def _send_media(emu: Emulator, method: str, params: dict[str, Any]) -> dict[str, Any]:
    parameter, build, has_caption = _MEDIA[method]
    chat = emu.reachable_chat(params["chat_id"])
    fields: dict[str, Any] = {}
    if has_caption and params.get("caption"):
        caption, entities = formatted(
            emu,
            params["caption"],
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        if caption:
            fields["caption"] = caption
            fields.update(_entities_field("caption_entities", entities))
    markup = inline_markup(emu, params.get("reply_markup"))
    fields.update(placed(chat, params))
    stored = await resolve_file(emu, params[parameter], parameter)
    if parameter == "document" and not stored.file_name:
        stored.file_name = "document"
    fields[parameter] = build(stored, params)
    if markup:
        fields["reply_markup"] = markup
    return bot_message(emu, chat, fields)


def _media_handler(method: str) -> Handler:
    async def handler(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
        return await _send_media(emu, method, params)

    handler.__doc__ = f"{method}: upload or file_id, optional caption and keyboard."
    return handler


for _method in _MEDIA:
    HANDLERS[_method] = _media_handler(_method)


@handles("sendLocation")
async def send_location(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Send a point on the map."""
    chat = emu.reachable_chat(params["chat_id"])
    location = {"latitude": params["latitude"], "longitude": params["longitude"]}
    markup = inline_markup(emu, params.get("reply_markup"))
    fields: dict[str, Any] = {"location": location, **placed(chat, params)}
    if markup:
        fields["reply_markup"] = markup
    return bot_message(emu, chat, fields)


@handles("sendContact")
async def send_contact(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Send a phone contact."""
    chat = emu.reachable_chat(params["chat_id"])
    contact = {k: params[k] for k in ("phone_number", "first_name", "last_name") if k in params}
    return bot_message(emu, chat, {"contact": contact, **placed(chat, params)})


async def _forward(emu: Emulator, params: dict[str, Any], *, as_copy: bool) -> dict[str, Any]:
    chat = emu.reachable_chat(params["chat_id"])
    source_chat = emu.find_chat(params["from_chat_id"])
    original = source_chat.messages.get(params["message_id"])
    if original is None or params["message_id"] in source_chat.deleted:
        raise bad_request(
            "message to copy not found" if as_copy else "message to forward not found"
        )
    skip = {
        "message_id", "from", "chat", "date", "edit_date", "reply_markup", "reply_to_message",
        "message_thread_id", "is_topic_message",
    }  # fmt: skip
    content = {k: copy.deepcopy(v) for k, v in original.items() if k not in skip}
    content.update(placed(chat, params))
    if as_copy:
        content.pop("forward_origin", None)
        markup = inline_markup(emu, params.get("reply_markup"))
        if markup:
            content["reply_markup"] = markup
        return bot_message(emu, chat, content)
    content.setdefault(
        "forward_origin",
        {"type": "user", "date": original["date"], "sender_user": original["from"]},
    )
    return bot_message(emu, chat, content)


@handles("forwardMessage")
async def forward_message(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Forward a message: same content, with forward_origin naming the original sender."""
    return await _forward(emu, params, as_copy=False)


@handles("copyMessage")
async def copy_message(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Copy a message without a link to the original; answers only the new MessageId."""
    message = await _forward(emu, params, as_copy=True)
    return {"message_id": message["message_id"]}


@handles("sendChatAction")
async def send_chat_action(emu: Emulator, params: dict[str, Any]) -> bool:
    """Show 'typing…' and the like; remembered in emu.chat_actions."""
    chat = emu.reachable_chat(params["chat_id"])
    if params["action"] not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    thread_target(chat, params, {})
    emu.chat_actions.append((chat.id, params["action"]))
    return True


# -- editing and deleting ------------------------------------------------------------------


def _editable(emu: Emulator, params: dict[str, Any]) -> tuple[Chat, dict[str, Any]]:
    if "inline_message_id" in params:
        raise bad_request("MESSAGE_ID_INVALID")
    if "chat_id" not in params:
        raise bad_request("chat_id is empty")
    if "message_id" not in params:
        raise bad_request("message identifier is not specified")
    chat = emu.find_chat(params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or params["message_id"] in chat.deleted:
        raise bad_request("message to edit not found")
    if message["from"]["id"] != emu.bot_id:
        raise bad_request("message can't be edited")
    return chat, message


def _apply_edit(emu: Emulator, message: dict[str, Any], changes: dict[str, Any]) -> dict:
    current = {k: message.get(k) for k in changes}
    if current == changes:
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = now_ts()
    emu.touch()
    return copy.deepcopy(message)


@handles("editMessageText")
async def edit_message_text(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Replace a bot message's text (and keyboard: omitted reply_markup removes it)."""
    _, message = _editable(emu, params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(
        emu, params.get("text", ""), params.get("parse_mode"), params.get("entities"),
        caption=False,
    )  # fmt: skip
    markup = inline_markup(emu, params.get("reply_markup"))
    return _apply_edit(
        emu, message, {"text": text, "entities": entities or None, "reply_markup": markup}
    )


@handles("editMessageCaption")
async def edit_message_caption(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Replace a bot media message's caption."""
    _, message = _editable(emu, params)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = formatted(
        emu, params.get("caption", ""), params.get("parse_mode"),
        params.get("caption_entities"), caption=True,
    )  # fmt: skip
    markup = inline_markup(emu, params.get("reply_markup"))
    return _apply_edit(
        emu,
        message,
        {"caption": caption or None, "caption_entities": entities or None, "reply_markup": markup},
    )


@handles("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """Replace (or, without reply_markup, remove) a bot message's inline keyboard."""
    _, message = _editable(emu, params)
    markup = inline_markup(emu, params.get("reply_markup"))
    return _apply_edit(emu, message, {"reply_markup": markup})


# "A message can only be deleted if it was sent less than 48 hours ago" (deleteMessage).
DELETE_WITHIN_SECONDS = 48 * 3600


def _too_old(message: dict[str, Any]) -> bool:
    return now_ts() - int(message["date"]) >= DELETE_WITHIN_SECONDS


@handles("deleteMessage")
async def delete_message(emu: Emulator, params: dict[str, Any]) -> bool:
    """Delete one message sent less than 48 hours ago."""
    chat = emu.find_chat(params["chat_id"])
    message = chat.messages.get(params["message_id"])
    if message is None or params["message_id"] in chat.deleted:
        raise bad_request("message to delete not found")
    if _too_old(message):
        raise bad_request("message can't be deleted")
    chat.deleted.add(params["message_id"])
    emu.touch()
    return True


@handles("deleteMessages")
async def delete_messages(emu: Emulator, params: dict[str, Any]) -> bool:
    """Delete several messages; ones gone or too old to delete are skipped."""
    chat = emu.find_chat(params["chat_id"])
    chat.deleted.update(
        i for i in params["message_ids"] if i in chat.messages and not _too_old(chat.messages[i])
    )
    emu.touch()
    return True


# -- callback queries ------------------------------------------------------------------------


@handles("answerCallbackQuery")
async def answer_callback_query(emu: Emulator, params: dict[str, Any]) -> bool:
    """Answer a button press once, within Limits.callback_answer_timeout."""
    query = emu.callback_queries.get(params["callback_query_id"])
    loop = asyncio.get_running_loop()
    if (
        query is None
        or query.answer.done()
        or loop.time() - query.created > emu.limits.callback_answer_timeout
    ):
        raise bad_request(QUERY_TOO_OLD)
    if len(params.get("text", "")) > emu.limits.callback_answer_text_max:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer.set_result(
        {
            "text": params.get("text"),
            "show_alert": params.get("show_alert", False),
            "url": params.get("url"),
            "cache_time": params.get("cache_time", 0),
        }
    )
    emu.touch()
    return True


# -- commands -----------------------------------------------------------------------------------


def _scope_key(emu: Emulator, params: dict[str, Any]) -> tuple[str, int | None, int | None, str]:
    scope = params.get("scope") or {"type": "default"}
    chat_id = None
    if "chat_id" in scope:
        chat_id = emu.find_chat(scope["chat_id"]).id
    return (scope["type"], chat_id, scope.get("user_id"), params.get("language_code", ""))


@handles("setMyCommands")
async def set_my_commands(emu: Emulator, params: dict[str, Any]) -> bool:
    """Remember the command list for a scope + language."""
    commands = params["commands"]
    if len(commands) > emu.limits.commands_max:
        raise bad_request("too many commands")
    for command in commands:
        if not _COMMAND_RE.match(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(command["description"].strip()) <= 256:
            raise bad_request("command description must be 1-256 characters")
    emu.bot_commands[_scope_key(emu, params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@handles("getMyCommands")
async def get_my_commands(emu: Emulator, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The commands for exactly this scope + language (empty if none)."""
    return list(emu.bot_commands.get(_scope_key(emu, params), []))


@handles("deleteMyCommands")
async def delete_my_commands(emu: Emulator, params: dict[str, Any]) -> bool:
    """Forget the commands for this scope + language."""
    emu.bot_commands.pop(_scope_key(emu, params), None)
    return True


# -- files and chats -------------------------------------------------------------------------


# The largest file a bot may download with getFile.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@handles("getFile")
async def get_file(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """File metadata with the file_path to download from /file/bot<token>/<file_path>."""
    stored = emu.files.get(params["file_id"])
    if len(stored.data) > DOWNLOAD_LIMIT:
        # Bots may download files of up to 20 MB.
        raise bad_request("file is too big")
    file = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }
    if not emu.file_paths:
        del file["file_path"]
    return file


@handles("getChat")
async def get_chat(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """ChatFullInfo for a known chat."""
    chat = emu.find_chat(params["chat_id"])
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription",
         "gifts_from_channels"),
        False,
    )  # fmt: skip
    return {
        **chat.api,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": gifts,
    }


@handles("getChatMember")
async def get_chat_member(emu: Emulator, params: dict[str, Any]) -> dict[str, Any]:
    """member for people in the chat (and the bot), left for everyone else."""
    chat = emu.find_chat(params["chat_id"])
    user_id = params["user_id"]
    if user_id == emu.bot_id:
        status = "left" if chat.bot_removed else "member"
        return {"status": status, "user": emu.bot_user}
    person = emu.people.get(user_id)
    if person is None:
        raise bad_request("user not found")
    status = "member" if user_id in chat.member_ids else "left"
    return {"status": status, "user": dict(person.user)}


async def not_implemented(emu: Emulator, method: str, returns: tuple[str, ...]) -> Any:
    """Fallback for valid methods the emulator does not model."""
    if returns == ("Boolean",) or returns == ("True",):
        return True
    raise ApiError(400, f"Bad Request: method {method} is not supported by the emulator")


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG or JPEG header; 800x600 when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                break
            marker = data[index + 1]
            size = struct.unpack(">H", data[index + 2 : index + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return int(width), int(height)
            index += 2 + size
    return 800, 600
