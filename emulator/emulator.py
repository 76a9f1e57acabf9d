"""The Emulator: one emulated Telegram for one bot token, served over real HTTP."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from emulator.errors import CHAT_NOT_FOUND, bad_request, forbidden, migrated
from emulator.faults import Faults
from emulator.limits import FloodControl, Limits
from emulator.people import Group, Person
from emulator.spec import Spec, load_spec
from emulator.state import Call, CallbackQuery, Chat, Files, Topic, UpdateQueue, now_ts
from emulator.webhook import Webhook

# Ids of simulated people and groups start here so they never collide with the bot's id,
# nor with the people named in examples/ (riverside.toml's admin is 100000001): a test on
# the example deployment would otherwise make its first citizen that deployment's admin.
_FIRST_USER_ID = 200_000_001
_FIRST_GROUP_ID = 4_000_000_001


class Emulator:
    """A local Telegram Bot API for one bot, plus simulated people to talk to it."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "yousaid_bot",
        *,
        bot_name: str = "yousaid",
        latency: float = 0.0,
        limits: Limits | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
    ) -> None:
        bot_id, _, _ = token.partition(":")
        if not bot_id.isdigit():
            raise ValueError("a bot token looks like '<digits>:<secret>'")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.latency = latency
        self.limits = limits or Limits()
        self.host = host
        self.port = port
        # Telegram's default for new bots: in groups, only commands, replies and mentions reach it.
        self.privacy_mode = privacy_mode
        # getFile's File has an optional file_path: False leaves it out, as a server may for a
        # file it will not hand over (the file then cannot be downloaded).
        self.file_paths = True
        self.spec: Spec = load_spec()
        self.flood = FloodControl(lambda: self.limits)
        self.files = Files()
        self.updates = UpdateQueue()
        self.webhook = Webhook(self)
        # Faults tests switch on per method and chat: 5xx, non-JSON, redirects, late answers.
        self.faults = Faults()
        self.chats: dict[int, Chat] = {}
        self.people: dict[int, Person] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.bot_commands: dict[tuple[str, int | None, int | None, str], list[dict[str, Any]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.calls: list[Call] = []
        self.closed = False
        self._user_ids = itertools.count(_FIRST_USER_ID)
        self._group_ids = itertools.count(_FIRST_GROUP_ID)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._inflight = 0
        self._last_activity = time.monotonic()
        self.poller: asyncio.Future[None] | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> Emulator:
        """Bind the HTTP server (port 0 picks a free one) and start serving."""
        from emulator.server import build_app  # server imports this module's types

        self._runner = web.AppRunner(build_app(self), shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # aiohttp does not expose the bound port when port 0 asked for a free one.
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop webhook delivery, end waiting long polls, and close the server."""
        self.closed = True
        self.updates.arrived.set()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What python-telegram-bot takes as base_url (it appends the token)."""
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        """What python-telegram-bot takes as base_file_url (it appends the token)."""
        return f"{self.base_url}/file/bot"

    # -- the bot --------------------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as a Bot API User (the `from` of everything it sends)."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    # -- simulated people and chats ------------------------------------------------------

    def person(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> Person:
        """A new user with a private chat with the bot."""
        user_id = next(self._user_ids)
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        chat_api = {k: v for k, v in user.items() if k in ("id", "first_name", "last_name")}
        chat_api["type"] = "private"
        if username:
            chat_api["username"] = username
        self.chats[user_id] = Chat(
            user_id, chat_api, member_ids=[user_id], instance=str(user_id * 7919)
        )
        person = Person(self, user)
        self.people[user_id] = person
        return person

    def group(
        self,
        title: str,
        members: list[Person] | None = None,
        *,
        supergroup: bool = False,
        forum: bool = False,
    ) -> Group:
        """A group chat with the bot and `members` in it (negative id, like Telegram); a
        forum (topics) is a supergroup."""
        supergroup = supergroup or forum
        number = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + number) if supergroup else -number
        chat_api: dict[str, Any] = {
            "id": chat_id,
            "type": "supergroup" if supergroup else "group",
            "title": title,
        }
        if forum:
            chat_api["is_forum"] = True
        chat = Chat(
            chat_id,
            chat_api,
            member_ids=[p.id for p in members or []],
            instance=str(abs(chat_id) * 7919),
        )
        self.chats[chat_id] = chat
        return Group(self, chat)

    def upgrade(self, group: Group, by: Person) -> Group:
        """`by`, an admin of `group`, turns it into a supergroup, as Telegram does when admins
        change some settings: a new chat with a new id (same title and members), the service
        message `migrate_to_chat_id` in the old group and `migrate_from_chat_id` in the new
        one (both reach the bot, as service messages do in privacy mode), and from then on
        every call on the old id fails with 400 and `parameters.migrate_to_chat_id`."""
        old = group.chat
        if old.type != "group" or old.migrated_to is not None:
            raise ValueError(f"{group!r} is not a basic group")
        new = self.group(
            str(old.api["title"]),
            [self.people[i] for i in old.member_ids if i in self.people],
            supergroup=True,
        )
        new.chat.bot_removed = old.bot_removed
        sender = dict(by.user)
        told = self.store_message(old, sender, {"migrate_to_chat_id": new.id})
        old.migrated_to = new.id
        came = self.store_message(new.chat, sender, {"migrate_from_chat_id": old.id})
        if not old.bot_removed:
            self.inject({"message": copy.deepcopy(told)})
            self.inject({"message": copy.deepcopy(came)})
        return new

    def make_forum(self, group: Group, by: Person) -> Group:
        """`by`, an admin, turns topics on, as Telegram's "Topics" switch does: a basic group
        becomes a supergroup first (a new id, see `upgrade`); a supergroup keeps its id."""
        if group.chat.type == "group":
            group = self.upgrade(group, by)
        group.chat.api["is_forum"] = True
        for message in group.chat.messages.values():
            message["chat"]["is_forum"] = True
        return group

    def create_topic(self, group: Group, name: str, by: Person) -> int:
        """`by` creates a topic in a forum; its thread id (the id of the service message
        `forum_topic_created`, which the bot gets, as service messages reach it)."""
        chat = group.chat
        if not chat.is_forum:
            raise ValueError(f"{group!r} is not a forum")
        # Thread 1 is General (its first message made the chat), never a topic created later.
        chat.next_message_id = max(chat.next_message_id, 2)
        thread = chat.next_message_id
        fields = {
            "message_thread_id": thread,
            "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": 7322096},
        }
        created = self.store_message(chat, dict(by.user), fields)
        chat.topics[thread] = Topic(thread, name)
        if not chat.bot_removed:
            self.inject({"message": copy.deepcopy(created)})
        return thread

    def close_topic(self, group: Group, thread: int, by: Person, *, closed: bool = True) -> None:
        """`by`, an admin, closes (or reopens) a topic: only admins may then post there; the
        bot is not one, so its sends there fail with 400 TOPIC_CLOSED."""
        topic = group.chat.topics[thread]
        topic.closed = closed
        kind = "forum_topic_closed" if closed else "forum_topic_reopened"
        fields = {"message_thread_id": thread, "is_topic_message": True, kind: {}}
        fields["reply_to_message"] = copy.deepcopy(group.chat.messages[thread])
        service = self.store_message(group.chat, dict(by.user), fields)
        if not group.chat.bot_removed:
            self.inject({"message": copy.deepcopy(service)})

    def delete_topic(self, group: Group, thread: int) -> None:
        """An admin deletes a topic with all its messages (Telegram tells bots nothing);
        sends there then fail with 400 "message thread not found"."""
        chat = group.chat
        chat.topics[thread].deleted = True
        chat.deleted.update(
            i for i, m in chat.messages.items() if m.get("message_thread_id") == thread
        )
        self.touch()

    def remove_bot_from(self, group: Group, by: Person | None = None) -> None:
        """The bot was kicked: sends there now fail with 403, messages there are unseen. With
        `by` (the admin who did it), the bot gets my_chat_member, as from Telegram."""
        group.chat.bot_removed = True
        if by is not None:
            self._membership(group, by, "member", "kicked")

    def add_bot_to(self, group: Group, by: Person | None = None) -> None:
        """Put the bot back into a group it was removed from (with `by`: my_chat_member)."""
        group.chat.bot_removed = False
        if by is not None:
            self._membership(group, by, "kicked", "member")

    def _membership(self, group: Group, by: Person, old: str, new: str) -> None:
        def member(status: str) -> dict[str, Any]:
            if status == "kicked":
                return {"status": status, "user": self.bot_user, "until_date": 0}
            return {"status": status, "user": self.bot_user}

        changed = {
            "chat": dict(group.chat.api),
            "from": dict(by.user),
            "date": now_ts(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        self.inject({"my_chat_member": changed})

    # -- updates --------------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """Queue a raw update (update_id assigned unless given); None if filtered out."""
        if "update_id" in update:
            queued = self.updates.push(copy.deepcopy(update), keep_id=True)
        else:
            queued = self.updates.push(copy.deepcopy(update))
        self.touch()
        return queued

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Re-queue an update already delivered, with the SAME update_id (Telegram retries)."""
        update = self.updates.history.get(update_id)
        if update is None:
            raise KeyError(f"no update with update_id {update_id}")
        self.updates.requeue(update)
        self.touch()
        return update

    @property
    def pending_updates(self) -> int:
        """How many updates the bot has not confirmed yet."""
        return len(self.updates.pending)

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """The commands setMyCommands registered for this scope and language."""
        return list(self.bot_commands.get((scope_type, chat_id, user_id, language_code), []))

    def calls_to(self, method: str) -> list[Call]:
        """Every call to `method` (case-insensitive), oldest first."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # -- synchronisation ------------------------------------------------------------------

    def touch(self) -> None:
        """Record activity and wake everyone waiting for a change."""
        self._last_activity = time.monotonic()
        self._changed.set()
        self._changed = asyncio.Event()

    async def changed(self, timeout: float) -> bool:  # noqa: ASYNC109 - API for tests
        """Wait until something changes (or `timeout`); True if it did."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def request_started(self, counts: bool) -> None:
        """Bookkeeping for idle(): a call began (long polls do not count)."""
        if counts:
            self._inflight += 1
            self.touch()

    def request_finished(self, counts: bool) -> None:
        """Bookkeeping for idle(): a call ended."""
        if counts:
            self._inflight -= 1
            self.touch()

    async def idle(self, quiet: float = 0.05, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every update is confirmed, no call is in flight and `quiet` s passed.

        A handler still thinking without calling the API is invisible here; `quiet` is the
        grace period that covers it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            now = time.monotonic()
            settled = self.pending_updates == 0 and self._inflight == 0
            if settled and now - self._last_activity >= quiet:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"emulator not idle after {timeout}s: {self.pending_updates} unconfirmed "
                    f"update(s), {self._inflight} call(s) in flight"
                )
            wait = quiet - (now - self._last_activity) if settled else remaining
            await self.changed(min(max(wait, 0.005), remaining))

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every pending update is confirmed (a 2xx from the webhook, or getUpdates)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.pending_updates:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"{self.pending_updates} update(s) still unconfirmed after {timeout}s; "
                    f"last webhook error: {self.webhook.last_error_message}"
                )
            # Every confirmation touches; the short cap only guards against a missed one.
            await self.changed(min(remaining, 0.1))

    # -- helpers for the method handlers -------------------------------------------------

    def find_chat(self, chat_id: int | str) -> Chat:
        """The chat for a chat_id (integer id or @username), or 400 chat not found."""
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if str(chat.api.get("username", "")).lower() == name and name:
                    return chat
            raise bad_request(CHAT_NOT_FOUND)
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request(CHAT_NOT_FOUND)
        if found.migrated_to is not None:
            raise migrated(found.migrated_to)
        return found

    def reachable_chat(self, chat_id: int | str) -> Chat:
        """A chat the bot may write to: 400 if unknown, 403 if blocked or kicked."""
        chat = self.find_chat(chat_id)
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if chat.bot_removed:
            raise forbidden(
                "bot was kicked from the group chat"
                if chat.type == "group"
                else "bot was kicked from the supergroup chat"
            )
        return chat

    def store_message(self, chat: Chat, sender: dict[str, Any], fields: dict[str, Any]) -> dict:
        """Create a message in `chat` from `sender`; return the stored Bot API Message."""
        message = {
            "message_id": chat.new_message_id(),
            "from": sender,
            "chat": dict(chat.api),
            "date": now_ts(),
            **fields,
        }
        chat.messages[message["message_id"]] = message
        if sender["id"] == self.bot_id:
            chat.bot_message_ids.append(message["message_id"])
        self.touch()
        return message

    def age_messages(self, seconds: float, chat_id: int | None = None) -> None:
        """Make every message so far (in one chat, or all) `seconds` older: its `date` moves
        back, so rules on a message's age (deleting within 48 hours) apply to it."""
        chats = [self.chats[chat_id]] if chat_id is not None else list(self.chats.values())
        for chat in chats:
            for message in chat.messages.values():
                message["date"] = int(message["date"] - seconds)

    def new_query_id(self) -> str:
        """A fresh callback query id (Telegram's are large numbers as strings)."""
        return str(4_000_000_000_000_000 + next(self._query_ids))
