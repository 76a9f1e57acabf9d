"""Simulated people and groups: they write to the bot, press its buttons, read its answers.

Everything here runs in the event loop that serves the emulator; methods that produce
updates are async so tests read naturally (`await alice.send("hi")`).
"""

from __future__ import annotations

import asyncio
import copy
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emulator import formatting
from emulator.state import CallbackQuery, Chat, now_ts

# The widest circle of uncertainty a Location carries (the Bot API: "0-1500" metres).
MAX_HORIZONTAL_ACCURACY = 1500

if TYPE_CHECKING:
    from emulator.emulator import Emulator


def _png(width: int = 4, height: int = 3) -> bytes:
    """A tiny valid PNG, so code that inspects photos gets a real image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


DEFAULT_PHOTO = _png()
DEFAULT_VOICE = b"OggS\x00\x02" + b"\x00" * 58  # an Ogg page header; enough to look like Opus
DEFAULT_STICKER = b"RIFF\x1a\x00\x00\x00WEBPVP8 "
DEFAULT_VIDEO = b"\x00\x00\x00\x18ftypmp42"


class MessageView:
    """A live view of one message in a chat: always shows the current state (edits applied)."""

    def __init__(self, emu: Emulator, chat: Chat, message_id: int) -> None:
        self._emu = emu
        self._chat = chat
        self.message_id = message_id

    @property
    def data(self) -> dict[str, Any]:
        """The current Bot API Message object (a copy)."""
        return copy.deepcopy(self._chat.messages[self.message_id])

    @property
    def _raw(self) -> dict[str, Any]:
        return self._chat.messages[self.message_id]

    @property
    def chat_id(self) -> int:
        """The chat this message is in."""
        return self._chat.id

    @property
    def text(self) -> str | None:
        """The text, or the caption of a media message."""
        return self._raw.get("text", self._raw.get("caption"))

    @property
    def caption(self) -> str | None:
        """The caption of a media message."""
        return self._raw.get("caption")

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Formatting entities of the text or caption."""
        return list(self._raw.get("entities", self._raw.get("caption_entities", [])))

    @property
    def keyboard(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard's rows of button objects (empty if none)."""
        return copy.deepcopy(self._raw.get("reply_markup", {}).get("inline_keyboard", []))

    @property
    def buttons(self) -> list[list[str]]:
        """Rows of button labels."""
        return [[b["text"] for b in row] for row in self.keyboard]

    @property
    def button_data(self) -> list[list[str | None]]:
        """Rows of callback_data, parallel to `buttons` (None for URL and other buttons)."""
        return [[b.get("callback_data") for b in row] for row in self.keyboard]

    @property
    def photo(self) -> bytes | None:
        """The bytes of the largest photo size, if this is a photo."""
        sizes = self._raw.get("photo")
        return self._emu.files.get(sizes[-1]["file_id"]).data if sizes else None

    @property
    def voice(self) -> str | None:
        """The file_id of the voice note, if this is one."""
        voice = self._raw.get("voice")
        return voice["file_id"] if voice else None

    @property
    def thread(self) -> int | None:
        """The forum topic it is in (None: General, or not a forum)."""
        return self._raw.get("message_thread_id") if self._raw.get("is_topic_message") else None

    @property
    def reply_to(self) -> int | None:
        """The id of the message this one replies to."""
        replied = self._raw.get("reply_to_message")
        return replied["message_id"] if replied else None

    @property
    def document(self) -> bytes | None:
        """The bytes of the document, if this is a document."""
        doc = self._raw.get("document")
        return self._emu.files.get(doc["file_id"]).data if doc else None

    @property
    def document_name(self) -> str | None:
        """The document's file name."""
        return self._raw.get("document", {}).get("file_name")

    @property
    def edited(self) -> bool:
        """Whether the message was edited after it was sent."""
        return "edit_date" in self._raw

    @property
    def deleted(self) -> bool:
        """Whether the message was deleted."""
        return self.message_id in self._chat.deleted

    def __repr__(self) -> str:
        state = " deleted" if self.deleted else (" edited" if self.edited else "")
        buttons = f" buttons={self.buttons}" if self.keyboard else ""
        return f"<message #{self.message_id}{state} {self.text!r}{buttons}>"


class Press:
    """A button press (callback query) and, once it comes, the bot's answer."""

    def __init__(self, query: dict[str, Any], record: CallbackQuery) -> None:
        self.query = query
        self.id: str = query["id"]
        self.data: str | None = query.get("data")
        self._record = record

    async def answered(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The answerCallbackQuery params (text, show_alert, url, cache_time)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._record.answer), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer callback query {self.id} (data={self.data!r}) "
                f"within {timeout}s"
            ) from None

    @property
    def answer(self) -> dict[str, Any] | None:
        """The answer if it came already, else None."""
        return self._record.answer.result() if self._record.answer.done() else None


class _Talker:
    """What people and groups share: reading the bot's messages in a chat."""

    _emu: Emulator

    async def _wait_in(
        self,
        where: Chat,
        predicate: Callable[[list[MessageView]], object],
        timeout: float,  # noqa: ASYNC109 - the documented test API
    ) -> list[MessageView]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            views = self._views(where)
            if predicate(views):
                return views
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout}s; {self!r} sees {views}")
            await self._emu.changed(remaining)

    def _views(self, chat: Chat, include_deleted: bool = False) -> list[MessageView]:
        return [
            MessageView(self._emu, chat, i)
            for i in chat.bot_message_ids
            if include_deleted or i not in chat.deleted
        ]


class Person(_Talker):
    """A simulated Telegram user with a private chat with the bot."""

    def __init__(self, emu: Emulator, user: dict[str, Any]) -> None:
        self._emu = emu
        self.user = user
        self.id: int = user["id"]
        self.first_name: str = user["first_name"]
        self._read: dict[int, int] = {}  # chat id -> how many bot messages she has read

    def __repr__(self) -> str:
        return f"<person {self.first_name} id={self.id}>"

    # -- where ------------------------------------------------------------------------------

    @property
    def chat(self) -> Chat:
        """Her private chat with the bot."""
        return self._emu.chats[self.id]

    def _where(self, chat: Group | Chat | None) -> Chat:
        if chat is None:
            return self.chat
        target = chat.chat if isinstance(chat, Group) else chat
        if target.migrated_to is not None:
            # Telegram's clients only show the old group's history inside the supergroup.
            title = target.api.get("title")
            raise ValueError(f"{title} is now the supergroup {target.migrated_to}")
        if target.type != "private" and self.id not in target.member_ids:
            raise ValueError(f"{self.first_name} is not a member of {target.api.get('title')}")
        return target

    # -- writing ---------------------------------------------------------------------------

    def _post(self, chat: Chat, fields: dict[str, Any], kind: str = "message") -> dict[str, Any]:
        if chat.type == "private" and chat.blocked:
            # Telegram's clients make you unblock (Restart) before you can write again.
            chat.blocked = False
        message = self._emu.store_message(chat, dict(self.user), fields)
        if self._bot_sees(chat, message):
            self._emu.inject({kind: copy.deepcopy(message)})
        return copy.deepcopy(message)

    def _bot_sees(self, chat: Chat, message: dict[str, Any]) -> bool:
        if chat.type == "private":
            return True
        if chat.bot_removed:
            return False
        if not self._emu.privacy_mode:
            return True
        # Privacy mode: commands, replies to the bot and mentions of it get through.
        reply = message.get("reply_to_message")
        if reply and reply["from"]["id"] == self._emu.bot_id:
            return True
        text = message.get("text", message.get("caption", ""))
        username = self._emu.bot_username.lower()
        if f"@{username}" in text.lower():
            return True
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith(f"@{username}")
        return False

    def _reply_fields(self, chat: Chat, reply_to: int | dict[str, Any] | MessageView | None):
        if reply_to is None:
            return {}
        if isinstance(reply_to, MessageView):
            reply_id = reply_to.message_id
        elif isinstance(reply_to, dict):
            reply_id = reply_to["message_id"]
        else:
            reply_id = reply_to
        original = chat.messages[reply_id]
        return {"reply_to_message": {k: v for k, v in original.items() if k != "reply_to_message"}}

    def _topic_fields(
        self, chat: Chat, topic: int | None, replied: dict[str, Any]
    ) -> dict[str, Any]:
        """Where in a forum a message goes: the topic typed in, or that of the message
        replied to. As Telegram does, a message in a topic that replies to nothing carries
        the topic's first (service) message as reply_to_message."""
        target = replied.get("reply_to_message")
        if topic is None and target is not None and target.get("is_topic_message"):
            topic = target["message_thread_id"]
        if topic is None:
            return {}
        found = chat.topics.get(topic)
        if not chat.is_forum or found is None or found.deleted:
            raise ValueError(f"no topic {topic} in {chat.api.get('title')}")
        if found.closed:
            raise ValueError(f"topic {found.name!r} is closed")
        fields: dict[str, Any] = {"message_thread_id": topic, "is_topic_message": True}
        if target is None:
            created = chat.messages[topic]
            fields["reply_to_message"] = {
                k: copy.deepcopy(v) for k, v in created.items() if k != "reply_to_message"
            }
        return fields

    async def send(
        self,
        text: str,
        *,
        chat: Group | Chat | None = None,
        reply_to: int | dict[str, Any] | MessageView | None = None,
        topic: int | None = None,
    ) -> dict[str, Any]:
        """Type a text message (commands, mentions, links get their entities); return it.
        In a forum, `topic` is the thread typed in (None: General, or a reply's topic)."""
        where = self._where(chat)
        fields: dict[str, Any] = {"text": text}
        entities = formatting.detect_entities(text)
        if entities:
            fields["entities"] = entities
        replied = self._reply_fields(where, reply_to)
        fields.update(replied)
        fields.update(self._topic_fields(where, topic, replied))
        return self._post(where, fields)

    def _media(self, data: bytes, kind: str, name: str | None = None, mime: str | None = None):
        stored = self._emu.files.add(data, kind, name, mime)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }

    def _captioned(self, fields: dict[str, Any], caption: str | None) -> dict[str, Any]:
        if caption:
            fields["caption"] = caption
            entities = formatting.detect_entities(caption)
            if entities:
                fields["caption_entities"] = entities
        return fields

    async def send_photo(
        self, data: bytes = DEFAULT_PHOTO, caption: str | None = None, *, chat: Any = None
    ) -> dict[str, Any]:
        """Send a photo (a list of PhotoSize, smallest first, as Telegram sends)."""
        small = {**self._media(data, "photo"), "width": 90, "height": 68}
        large = {**self._media(data, "photo"), "width": 800, "height": 600}
        return self._post(self._where(chat), self._captioned({"photo": [small, large]}, caption))

    async def send_voice(
        self, data: bytes = DEFAULT_VOICE, duration: int = 3, *, chat: Any = None
    ) -> dict[str, Any]:
        """Send a voice note (OGG/Opus)."""
        voice = {**self._media(data, "voice", None, "audio/ogg"), "duration": duration}
        voice["mime_type"] = "audio/ogg"
        return self._post(self._where(chat), {"voice": voice})

    async def send_audio(
        self, data: bytes = DEFAULT_VOICE, duration: int = 30, *, chat: Any = None
    ) -> dict[str, Any]:
        """Send an audio file."""
        audio = {**self._media(data, "audio", "audio.mp3", "audio/mpeg"), "duration": duration}
        return self._post(self._where(chat), {"audio": audio})

    async def send_sticker(self, emoji: str = "👍", *, chat: Any = None) -> dict[str, Any]:
        """Send a regular static sticker."""
        sticker = {
            **self._media(DEFAULT_STICKER, "sticker"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(self._where(chat), {"sticker": sticker})

    async def send_document(
        self,
        data: bytes = b"%PDF-1.4\n",
        file_name: str = "report.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        *,
        chat: Any = None,
    ) -> dict[str, Any]:
        """Send a file as a document."""
        document = {
            **self._media(data, "document", file_name, mime_type),
            "file_name": file_name,
            "mime_type": mime_type,
        }
        return self._post(self._where(chat), self._captioned({"document": document}, caption))

    async def send_video(
        self, data: bytes = DEFAULT_VIDEO, duration: int = 5, caption: str | None = None,
        *, chat: Any = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Send a video."""
        video = {
            **self._media(data, "video", None, "video/mp4"),
            "width": 640,
            "height": 480,
            "duration": duration,
        }
        return self._post(self._where(chat), self._captioned({"video": video}, caption))

    async def send_video_note(
        self, data: bytes = DEFAULT_VIDEO, duration: int = 5, *, chat: Any = None
    ) -> dict[str, Any]:
        """Send a round video note."""
        note = {**self._media(data, "video_note"), "length": 240, "duration": duration}
        return self._post(self._where(chat), {"video_note": note})

    async def send_location(
        self,
        latitude: float = 51.5072,
        longitude: float = -0.1276,
        *,
        horizontal_accuracy: float | None = None,
        chat: Any = None,
    ) -> dict[str, Any]:
        """Share a location; with `horizontal_accuracy`, how far off the phone says it may
        be, in metres (the Bot API's Location: 0-1500; a phone located by its cell tower is
        far off). The location is checked against the spec's Location, as Telegram sends."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            if not 0 <= horizontal_accuracy <= MAX_HORIZONTAL_ACCURACY:
                raise ValueError(
                    f"horizontal_accuracy {horizontal_accuracy} is not in 0-"
                    f"{MAX_HORIZONTAL_ACCURACY} metres, as Telegram sends it"
                )
            location["horizontal_accuracy"] = float(horizontal_accuracy)
        location = self._emu.spec.check_object("Location", location, "location")
        return self._post(self._where(chat), {"location": location})

    async def send_contact(
        self,
        phone_number: str = "+441234567890",
        first_name: str | None = None,
        *,
        user_id: int | None = None,
        chat: Any = None,
    ) -> dict[str, Any]:
        """Share a contact (by default her own, with her user_id)."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": user_id if user_id is not None else self.id,
        }
        return self._post(self._where(chat), {"contact": contact})

    async def forward(
        self,
        text: str,
        from_user: Person | None = None,
        *,
        sender_name: str | None = None,
        date: int | None = None,
        chat: Any = None,
    ) -> dict[str, Any]:
        """Forward a text from someone (forward_origin "user", or "hidden_user" by name)."""
        origin_date = date if date is not None else now_ts() - 3600
        if from_user is not None:
            origin: dict[str, Any] = {
                "type": "user",
                "date": origin_date,
                "sender_user": dict(from_user.user),
            }
        else:
            origin = {
                "type": "hidden_user",
                "date": origin_date,
                "sender_user_name": sender_name or "Someone",
            }
        fields: dict[str, Any] = {"text": text, "forward_origin": origin}
        entities = formatting.detect_entities(text)
        if entities:
            fields["entities"] = entities
        return self._post(self._where(chat), fields)

    async def edit(
        self, message: dict[str, Any] | int, text: str, *, chat: Any = None
    ) -> dict[str, Any]:
        """Edit one of her text messages; the bot gets an edited_message update."""
        where = self._where(chat)
        message_id = message if isinstance(message, int) else message["message_id"]
        stored = where.messages[message_id]
        if stored["from"]["id"] != self.id:
            raise ValueError(f"message {message_id} was not sent by {self.first_name}")
        stored["text"] = text
        stored["edit_date"] = now_ts()
        entities = formatting.detect_entities(text)
        if entities:
            stored["entities"] = entities
        else:
            stored.pop("entities", None)
        if self._bot_sees(where, stored):
            self._emu.inject({"edited_message": copy.deepcopy(stored)})
        return copy.deepcopy(stored)

    # -- buttons -----------------------------------------------------------------------------

    async def press(self, label: str, *, chat: Group | Chat | None = None) -> Press:
        """Press the button labelled `label` on the newest bot message that has it."""
        where = self._where(chat)
        available: list[str] = []
        for message_id in reversed(where.bot_message_ids):
            if message_id in where.deleted:
                continue
            rows = where.messages[message_id].get("reply_markup", {}).get("inline_keyboard", [])
            for row in rows:
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        return self._callback(where, message_id, button["callback_data"])
                    available.append(f"{button['text']!r} (#{message_id})")
        raise LookupError(
            f"{self.first_name} sees no button {label!r}; available: "
            + (", ".join(available) or "none")
        )

    async def press_data(
        self, message_id: int, data: str, *, chat: Group | Chat | None = None
    ) -> Press:
        """A callback query with arbitrary data on a message (forged or replayed buttons)."""
        return self._callback(self._where(chat), message_id, data)

    def _callback(self, chat: Chat, message_id: int, data: str) -> Press:
        emu = self._emu
        loop = asyncio.get_running_loop()
        query_id = emu.new_query_id()
        record = CallbackQuery(query_id, loop.time(), loop.create_future())
        emu.callback_queries[query_id] = record
        stored = chat.messages.get(message_id)
        if stored is not None and message_id not in chat.deleted:
            message = copy.deepcopy(stored)
        else:
            # What Telegram sends for a message the bot can no longer see.
            message = {"chat": dict(chat.api), "message_id": message_id, "date": 0}
        query = {
            "id": query_id,
            "from": dict(self.user),
            "message": message,
            "chat_instance": chat.instance,
            "data": data,
        }
        if not chat.bot_removed:
            emu.inject({"callback_query": query})
        return Press(query, record)

    # -- reading -----------------------------------------------------------------------------

    @property
    def messages(self) -> list[MessageView]:
        """What the bot sent her privately, in order, as it is now (deleted ones left out)."""
        return self._views(self.chat)

    @property
    def last(self) -> MessageView | None:
        """The newest message from the bot in her private chat."""
        views = self.messages
        return views[-1] if views else None

    def messages_in(self, chat: Group | Chat | None = None) -> list[MessageView]:
        """What the bot sent in a chat she is in, as it is now."""
        return self._views(self._where(chat))

    async def next_message(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented test API
        *,
        chat: Group | Chat | None = None,
    ) -> MessageView:
        """The next bot message in this chat she has not read yet (waits up to `timeout`)."""
        where = self._where(chat)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            cursor = self._read.get(where.id, 0)
            ids = where.bot_message_ids
            while cursor < len(ids) and ids[cursor] in where.deleted:
                cursor += 1
            self._read[where.id] = cursor
            if cursor < len(ids):
                self._read[where.id] = cursor + 1
                return MessageView(self._emu, where, ids[cursor])
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._nothing_new(where, timeout))
            await self._emu.changed(remaining)

    async def wait_for(
        self,
        predicate: Callable[[list[MessageView]], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented test API
        *,
        chat: Group | Chat | None = None,
    ) -> list[MessageView]:
        """Wait until predicate(messages in the chat) is true; return those messages."""
        return await self._wait_in(self._where(chat), predicate, timeout)

    def _nothing_new(self, chat: Chat, timeout: float) -> str:
        seen = self._views(chat, include_deleted=True)
        failures = [
            f"{c.method} -> {c.status} {c.response.get('description')}"
            for c in self._emu.calls[-20:]
            if not c.ok
        ]
        text = (
            f"{self.first_name} got no new message from the bot within {timeout}s "
            f"in chat {chat.id}; she has received: {seen or 'nothing'}"
        )
        if failures:
            text += "; recent failed calls: " + "; ".join(failures)
        return text

    # -- blocking -----------------------------------------------------------------------------

    def block(self) -> None:
        """She blocks the bot: its sends to her get 403."""
        self.chat.blocked = True

    def unblock(self) -> None:
        """She unblocks the bot."""
        self.chat.blocked = False

    @property
    def blocked(self) -> bool:
        """Whether she has blocked the bot."""
        return self.chat.blocked


class Group(_Talker):
    """A simulated group chat the bot is in."""

    def __init__(self, emu: Emulator, chat: Chat) -> None:
        self._emu = emu
        self.chat = chat
        self.id = chat.id
        self.title: str = chat.api["title"]

    def __repr__(self) -> str:
        return f"<group {self.title!r} id={self.id}>"

    def add(self, person: Person) -> None:
        """Make `person` a member."""
        if person.id not in self.chat.member_ids:
            self.chat.member_ids.append(person.id)

    def leave(self, person: Person) -> dict[str, Any]:
        """`person` leaves the group; the bot gets the service message, as from Telegram."""
        if person.id in self.chat.member_ids:
            self.chat.member_ids.remove(person.id)
        # Service messages reach bots even in privacy mode.
        message = self._emu.store_message(
            self.chat, dict(person.user), {"left_chat_member": dict(person.user)}
        )
        self._emu.inject({"message": copy.deepcopy(message)})
        return message

    @property
    def messages(self) -> list[MessageView]:
        """What the bot sent in the group, in order, as it is now."""
        return self._views(self.chat)

    async def wait_for(
        self,
        predicate: Callable[[list[MessageView]], object],
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented test API
    ) -> list[MessageView]:
        """Wait until predicate(the bot's messages in the group) is true; return them."""
        return await self._wait_in(self.chat, predicate, timeout)

    @property
    def last(self) -> MessageView | None:
        """The newest bot message in the group."""
        views = self.messages
        return views[-1] if views else None

    def in_topic(self, thread: int | None) -> list[MessageView]:
        """The bot's messages in one forum topic (None: General), in order."""
        return [m for m in self.messages if m.thread == thread]
