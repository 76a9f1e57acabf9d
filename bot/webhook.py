"""Webhook mode: an HTTP server that saves each update Telegram POSTs before answering it.

python-telegram-bot's own webhook server answers Telegram before the update is stored, so
an update in hand at a crash is lost; here a 2xx means the update is committed. A fault of
the database answers 5xx, so Telegram delivers the update again; a body that is not an
update answers 200 (Telegram would otherwise deliver it again forever) and is logged.
`/healthz` says whether this instance's database answers and its loops are beating.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import aiosqlite
from aiohttp import web
from telegram import Bot, Update

from bot.intake import Clock
from bot.processing import ALLOWED_UPDATES, chat_key
from bot.turns import ChatTurns
from bot.unreadable import Unreadable
from storage import webhooks
from storage.db import Database, DatabaseUnusable
from storage.engines import STORAGE_ERRORS

log = logging.getLogger(__name__)

# What a write or read can raise when the database, not the request, is at fault.
_FAULTS: tuple[type[BaseException], ...] = (DatabaseUnusable, *STORAGE_ERRORS)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The loops must have beaten this recently for /healthz to answer 200.
BEAT_LIMIT = 15.0
# How long /healthz waits for the database.
HEALTH_TIMEOUT = 5.0
# A webhook recorded as set but missing at Telegram is set again after this long (the
# instance that recorded it may have died before calling setWebhook).
REPAIR_AFTER = timedelta(seconds=60)


def fingerprint(url: str, secret: str, max_connections: int) -> str:
    """What identifies a webhook setting, without the secret itself."""
    hidden = hashlib.sha256(secret.encode()).hexdigest()
    body = json.dumps([url, hidden, max_connections, ALLOWED_UPDATES])
    return hashlib.sha256(body.encode()).hexdigest()


async def set_webhook(
    bot: Bot, db: Database, clock: Clock, url: str, secret: str, max_connections: int
) -> bool:
    """Call setWebhook unless it is set already or another instance is setting it; whether
    this instance called it. A failed call puts the record back and is raised."""
    wanted = fingerprint(url, secret, max_connections)
    old = await webhooks.current(db.reader)
    now = clock()
    if old is not None and old[0] == wanted:
        if now - old[1] < REPAIR_AFTER:
            return False
        info = await bot.get_webhook_info()
        if info.url == url:
            return False
        log.warning("the webhook is not set at Telegram (%s); setting it again", info.url or "none")
    new = (wanted, now)

    async def swap(conn: aiosqlite.Connection) -> bool:
        return await webhooks.change(conn, old, new)

    if not await db.write(swap):
        return False  # another instance changed it first, and sets it
    try:
        await bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=max_connections,
        )
    except BaseException:

        async def undo(conn: aiosqlite.Connection) -> bool:
            return await webhooks.change(conn, new, old)

        await db.write(undo)
        raise
    log.info("webhook set to %s", url)
    return True


def _storable(value: object) -> bool:
    """Whether a value is an integer both engines store (64-bit, and not a bool)."""
    return type(value) is int and -(2**63) <= value < 2**63


class WebhookServer:
    """Serves the webhook path (POST, secret checked) and /healthz (GET)."""

    def __init__(
        self,
        turns: ChatTurns,
        db: Database,
        bot: Bot,
        url: str,
        secret: str,
        address: tuple[str, int],
        unreadable: Unreadable | None = None,
    ) -> None:
        self.turns = turns
        self.unreadable = unreadable
        self.db = db
        self.bot = bot
        self.path = urlsplit(url).path or "/"
        self.address = address
        self._secret = secret.encode()
        self.stopping = False
        # Set once the instance has started whole (the webhook set, the jobs scheduled).
        self.ready = False
        self.port = address[1]
        self._refused = 0
        self._in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Bind and serve."""
        app = web.Application(client_max_size=2**20)
        app.router.add_post(self.path, self._update)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address[0], self.address[1])
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("webhook server on %s:%d%s", self.address[0], self.port, self.path)

    async def stop_taking(self) -> None:
        """Answer 503 from now on, and wait for the requests being saved."""
        self.stopping = True
        await self._idle.wait()

    async def close(self) -> None:
        """Stop serving."""
        self.stopping = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    def _secret_ok(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode()
        ok = hmac.compare_digest(given, self._secret)
        if not ok:
            if not self._refused:
                log.warning(
                    "webhook request from %s refused: wrong or missing %s (said once until"
                    " a request has the right one)",
                    request.remote,
                    SECRET_HEADER,
                )
            self._refused += 1
        elif self._refused:
            log.warning("%d webhook requests were refused for their secret", self._refused)
            self._refused = 0
        return ok

    async def _update(self, request: web.Request) -> web.Response:
        if not self._secret_ok(request):
            return web.Response(status=401, text="wrong secret token")
        if self.stopping:
            return web.Response(status=503, text="stopping")
        self._in_hand += 1
        self._idle.clear()
        try:
            return await self._save(request)
        finally:
            self._in_hand -= 1
            if not self._in_hand:
                self._idle.set()

    async def _save(self, request: web.Request) -> web.Response:
        body = await request.read()
        update, payload = self._read(body)
        if update is None:
            if self.unreadable is not None:
                await self.unreadable.skipped(payload)
            return web.Response(status=200, text="not an update")
        try:
            await self.turns.receive(update)
        except _FAULTS as exc:
            # Not saved: Telegram delivers it again.
            log.warning("update %s not saved, answered 500: %s", update.update_id, exc)
            return web.Response(status=500, text="not saved")
        return web.Response(status=200, text="ok")

    def _read(self, body: bytes) -> tuple[Update | None, object]:
        """The update, or None; and the body as JSON, if it is."""
        payload: object = None
        try:
            payload = json.loads(body)
            if not isinstance(payload, dict) or not _storable(payload.get("update_id")):
                raise ValueError("no update_id")
            update = Update.de_json(payload, self.bot)
            key = chat_key(update)
            if key is not None and not _storable(key):
                raise ValueError(f"a chat id that is not an integer: {key!r}")
            return update, payload
        except Exception as exc:
            # Parsing only: whatever it raises is the body's fault, the same at every retry.
            log.error(
                "a webhook request that is not an update was ignored (%s: %s): %.200r",
                exc.__class__.__name__,
                exc,
                body,
            )
            return None, payload

    async def _health(self, request: web.Request) -> web.Response:
        problem = await self.problem()
        if problem is not None:
            return web.json_response({"ok": False, "reason": problem}, status=503)
        body: dict[str, Any] = {
            "ok": True,
            "instance": self.turns.owner,
            "chats_in_hand": self.turns.in_hand,
            "handled": self.turns.handled,
        }
        return web.json_response(body)

    async def problem(self) -> str | None:
        """What is wrong with this instance, in one line; None if nothing."""
        if self.stopping:
            return "the instance is stopping"
        if not self.ready:
            return "the instance is starting"
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                async with self.db.reader.execute("SELECT 1") as cursor:
                    await cursor.fetchone()
        except TimeoutError:
            return f"the database did not answer in {HEALTH_TIMEOUT:.0f} s"
        except _FAULTS as exc:
            return f"the database does not answer: {' '.join(str(exc).split())}"
        age = time.monotonic() - self.turns.last_beat
        if age > BEAT_LIMIT:
            return f"the update loops have not run for {age:.0f} s"
        return None
