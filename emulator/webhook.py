"""Webhook delivery: POST each update as JSON to the bot's URL, in order, retrying failures.

Real Telegram only accepts HTTPS webhook URLs (ports 443, 80, 88, 8443). The emulator also
accepts plain http:// for loopback hosts (127.0.0.1, localhost, ::1) so tests need no TLS;
any other http:// URL is refused with Telegram's wording.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
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


class Webhook:
    """The webhook setting and the task that delivers updates to it."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[tuple[int, int | str]] = []  # (update_id, status or error)
        self._task: asyncio.Task[None] | None = None

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
        self.max_connections = params.get("max_connections", 40)
        self.last_error_date = None
        self.last_error_message = None
        # A waiting long poll returns now, as on Telegram.
        self._emu.updates.arrived.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver_forever())

    async def delete(self, drop_pending_updates: bool) -> None:
        """deleteWebhook: stop delivering (updates stay queued for getUpdates unless dropped)."""
        self.url = ""
        self.secret_token = None
        if drop_pending_updates:
            self._emu.updates.clear()
        await self.stop()

    async def stop(self) -> None:
        """Cancel the delivery task."""
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

    async def _deliver_forever(self) -> None:
        queue = self._emu.updates
        limits = self._emu.limits
        timeout = aiohttp.ClientTimeout(total=limits.webhook_timeout)
        backoff = limits.webhook_retry_initial
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while self.url:
                if not queue.pending:
                    queue.arrived.clear()
                    await queue.arrived.wait()
                    continue
                update = queue.pending[0]
                error = await self._post(session, update)
                if error is None:
                    # Delivered: confirmed, unless something else already removed it.
                    if queue.pending and queue.pending[0] is update:
                        queue.pending.popleft()
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
