"""What the emulated Telegram remembers: chats, messages, files, updates, callback queries."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import bad_request

# Update types delivered when allowed_updates is empty or never set (per the Bot API docs).
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def now_ts() -> int:
    """Unix time in whole seconds, as Telegram dates are."""
    return int(time.time())


@dataclass
class Call:
    """One HTTP call the bot made: decoded params, status, JSON response, timing."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    time: float
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether Telegram answered ok: true."""
        return bool(self.response.get("ok"))


@dataclass
class Topic:
    """A forum topic: its thread id is the id of the service message that created it."""

    id: int
    name: str
    closed: bool = False
    deleted: bool = False


@dataclass
class Chat:
    """A chat the bot can talk in; `api` is the Bot API Chat object."""

    id: int
    api: dict[str, Any]
    member_ids: list[int] = field(default_factory=list)
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    blocked: bool = False  # private chat: the person blocked the bot
    bot_removed: bool = False  # group: the bot was removed/kicked
    # group: upgraded to the supergroup with this id (calls on this id then fail with 400)
    migrated_to: int | None = None
    instance: str = ""  # chat_instance for callback queries from this chat
    # forum supergroup: its topics by thread id (General has none: no thread id, or 1)
    topics: dict[int, Topic] = field(default_factory=dict)

    @property
    def type(self) -> str:
        """private, group or supergroup."""
        return str(self.api["type"])

    @property
    def is_forum(self) -> bool:
        """Whether this supergroup has topics."""
        return bool(self.api.get("is_forum"))

    def new_message_id(self) -> int:
        """The next message id in this chat (ids are per chat and increase)."""
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class StoredFile:
    """A file Telegram holds: bytes plus the ids and path the Bot API exposes."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class CallbackQuery:
    """A button press waiting for (or having had) answerCallbackQuery."""

    id: str
    created: float
    answer: asyncio.Future[dict[str, Any]]


@dataclass
class UpdateQueue:
    """Unconfirmed updates for getUpdates/webhook, plus confirmed history for redelivery."""

    pending: deque[dict[str, Any]] = field(default_factory=deque)
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    allowed: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def allows(self, update: dict[str, Any]) -> bool:
        """Whether the current allowed_updates admits this update's type."""
        kind = next(key for key in update if key != "update_id")
        if self.allowed:
            return kind in self.allowed
        return kind not in NOT_BY_DEFAULT

    def push(self, update: dict[str, Any], *, keep_id: bool = False) -> dict[str, Any] | None:
        """Queue an update (assigning the next update_id unless keep_id); None if filtered."""
        if not keep_id:
            update = {"update_id": self.next_id, **update}
            self.next_id += 1
        else:
            self.next_id = max(self.next_id, update["update_id"] + 1)
        self.history[update["update_id"]] = update
        if not self.allows(update):
            return None
        self.pending.append(update)
        self.arrived.set()
        return update

    def requeue(self, update: dict[str, Any]) -> None:
        """Put an already-seen update back in order (Telegram redelivery keeps the id)."""
        items = [u for u in self.pending if u["update_id"] != update["update_id"]]
        items.append(update)
        items.sort(key=lambda u: u["update_id"])
        self.pending = deque(items)
        self.arrived.set()

    def confirm(self, update_id: int) -> None:
        """Forget the pending update with this id (the webhook got a 2xx for it)."""
        self.pending = deque(u for u in self.pending if u["update_id"] != update_id)

    def confirm_below(self, offset: int) -> None:
        """Forget every pending update with update_id < offset."""
        while self.pending and self.pending[0]["update_id"] < offset:
            self.pending.popleft()

    def keep_last(self, count: int) -> None:
        """Negative offset: keep only the newest `count` updates, forget the rest."""
        while len(self.pending) > count:
            self.pending.popleft()

    def clear(self) -> None:
        """Drop all pending updates (drop_pending_updates)."""
        self.pending.clear()


class Files:
    """File storage with Telegram-looking ids."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store bytes; return the record with a new file_id and file_path."""
        number = next(self._counter)
        digest = hashlib.sha256(data + str(number).encode()).digest()
        file_id = "AgAC" + base64.urlsafe_b64encode(digest).decode().rstrip("=")
        unique = "AQAD" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()[:12]).decode()
        extension = _extension(kind, file_name)
        stored = StoredFile(
            file_id, unique, data, f"{kind}s/file_{number}{extension}", file_name, mime_type
        )
        self._by_id[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """The file with this id, or 400 like Telegram."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        return stored

    def find(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served at this download path, or None."""
        return next((f for f in self._by_id.values() if f.file_path == file_path), None)


def _extension(kind: str, file_name: str | None) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    return {"photo": ".jpg", "voice": ".oga", "video": ".mp4", "sticker": ".webp"}.get(kind, "")
