"""Webhook delivery as Telegram does it: many POSTs at once, one per chat, in order, retried.

Updates are queued per chat (the user's id when the update has no chat), as the Bot API
server does: up to `max_connections` POSTs are in flight at once, but a chat's next update
is POSTed only after its previous one got a 2xx. A failed POST is retried with a doubling
backoff while other chats go on; the update keeps its update_id.

Real Telegram only accepts HTTPS webhook URLs (ports 443, 80, 88, 8443). The emulator also
accepts plain http:// for loopback hosts (127.0.0.1, localhost, ::1) so tests need no TLS;
any other http:// URL is refused with Telegram's wording.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

from emulator.errors import bad_request
from emulator.state import now_ts

if TYPE_CHECKING:
    from emulator.emulator import Emulator

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CONNECTIONS = 100


def chat_key(update: dict[str, Any]) -> Hashable:
    """The queue an update waits in: its chat's id, else its user's id, else its own."""
    kind = next(key for key in update if key != "update_id")
    payload = update[kind]
    if isinstance(payload, dict):
        # A button press belongs to the chat of the message that carries the button.
        chat = payload.get("chat") or (payload.get("message") or {}).get("chat")
        if chat:
            return chat["id"]
        user = payload.get("from") or payload.get("user")
        if user:
            return user["id"]
    return ("update", update["update_id"])


class Webhook:
    """The webhook setting and the tasks that deliver updates to it."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[tuple[int, int | str]] = []  # (update_id, status or error)
        self.in_flight = 0  # POSTs open right now
        self._slots = asyncio.Semaphore(self.max_connections)
        self._task: asyncio.Task[None] | None = None
        self._chats: dict[Hashable, asyncio.Task[None]] = {}  # one sender per busy chat

    async def set(self, params: dict[str, Any]) -> None:
        """setWebhook: validate the URL, remember settings, start delivering."""
        url = params["url"]
        if not url:
            await self.delete(params.get("drop_pending_updates", False))
            return
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._emu.updates.allowed = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._emu.updates.clear()
        self.url = url
        self.secret_token = secret
        # The Bot API server clamps it to 1..100 rather than refusing.
        self.max_connections = min(max(params.get("max_connections", 40), 1), MAX_CONNECTIONS)
        # POSTs already open finish on the old semaphore; new ones take the new limit.
        self._slots = asyncio.Semaphore(self.max_connections)
        self.last_error_date = None
        self.last_error_message = None
        self._emu.touch()
        # A waiting long poll returns now, as on Telegram.
        self._emu.updates.arrived.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._dispatch())

    async def delete(self, drop_pending_updates: bool) -> None:
        """deleteWebhook: stop delivering (updates stay queued for getUpdates unless dropped)."""
        self.url = ""
        self.secret_token = None
        if drop_pending_updates:
            self._emu.updates.clear()
        await self.stop()
        self._emu.touch()

    async def stop(self) -> None:
        """Cancel delivery; updates whose POST was cut short stay pending."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def info(self) -> dict[str, Any]:
        """The WebhookInfo object."""
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": self._emu.pending_updates,
        }
        if self.url:
            info["max_connections"] = self.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._emu.updates.allowed:
                info["allowed_updates"] = list(self._emu.updates.allowed)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _dispatch(self) -> None:
        """Start a sender for every chat with pending updates and none yet; repeat on arrival."""
        queue = self._emu.updates
        timeout = aiohttp.ClientTimeout(total=self._emu.limits.webhook_timeout)
        connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            try:
                while self.url:
                    # Cleared before looking, so an update pushed meanwhile wakes us again.
                    queue.arrived.clear()
                    for key in {chat_key(update) for update in queue.pending}:
                        if key not in self._chats:
                            sender = asyncio.create_task(self._send_chat(session, key))
                            self._chats[key] = sender
                    await queue.arrived.wait()
            finally:
                senders = list(self._chats.values())
                self._chats.clear()
                for sender in senders:
                    sender.cancel()
                await asyncio.gather(*senders, return_exceptions=True)

    async def _send_chat(self, session: aiohttp.ClientSession, key: Hashable) -> None:
        """POST one chat's updates in update_id order, each until it gets a 2xx."""
        queue = self._emu.updates
        limits = self._emu.limits
        backoff = limits.webhook_retry_initial
        while True:
            update = next((u for u in queue.pending if chat_key(u) == key), None)
            if update is None:
                # No await between this look and leaving: a later update starts a new sender.
                del self._chats[key]
                return
            async with self._slots:
                self.in_flight += 1
                try:
                    error = await self._post(session, update)
                finally:
                    self.in_flight -= 1
            if error is None:
                queue.confirm(update["update_id"])
                backoff = limits.webhook_retry_initial
                self._emu.touch()
                continue
            self.last_error_date = now_ts()
            self.last_error_message = error
            self._emu.touch()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, limits.webhook_retry_max)

    async def _post(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> str | None:
        headers = {SECRET_HEADER: self.secret_token} if self.secret_token else {}
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                self.deliveries.append((update["update_id"], response.status))
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientConnectorError:
            self.deliveries.append((update["update_id"], "connection refused"))
            return "Connection refused"
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.deliveries.append((update["update_id"], type(exc).__name__))
            return "Read timeout expired" if isinstance(exc, TimeoutError) else str(exc)
