"""The HTTP client python-telegram-bot uses to reach the Bot API, on aiohttp.

python-telegram-bot's default client (httpx) spent about 60% of the bot's CPU on each
request, a third of it in its connection pool's bookkeeping (measured with the intake
benchmark). aiohttp, which the bot already has for the emulator and webhooks, does the
same work for much less, so the bot answers more people per second on the same machine.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.logs import scrub


class AiohttpRequest(BaseRequest):
    """A python-telegram-bot request backend on one aiohttp session."""

    __slots__ = ("_connect_timeout", "_pool_size", "_read_timeout", "_session", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when none is given."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        """The answer as Telegram's JSON; anything else (a proxy's page, or JSON that is not
        Telegram's) is an invalid answer, raised without logging it.

        python-telegram-bot's own version logs the whole body with a traceback at ERROR on
        every try (a fault is logged once when it starts, by the caller), and lets JSON
        without a "result" through, whose KeyError then looks like an unreadable update.
        """
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise TelegramError("Invalid server response (not JSON)") from None
        if not isinstance(data, dict) or "ok" not in data or (data["ok"] and "result" not in data):
            raise TelegramError("Invalid server response (JSON that is not Telegram's)")
        return data

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status and body (errors as Telegram's exceptions)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        body: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            fields = request_data.json_parameters
            if files:
                form = aiohttp.FormData()
                for name, value in fields.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                body = fields
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                status, payload = response.status, await response.read()
        except TimeoutError as exc:
            # The request may have reached Telegram: callers treat this as "maybe sent".
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            # aiohttp's text carries the URL, and so the token.
            raise NetworkError(scrub(f"aiohttp.{exc.__class__.__name__}: {exc}")) from None
        if status >= 300 and not _from_telegram(payload):
            # A proxy's own 401, 403, 404 or 400 page says nothing about the token, the chat
            # or the message (python-telegram-bot would take it as a refusal of them): like
            # its 5xx, it is a fault on the way, tried again later.
            raise NetworkError(f"HTTP {status} with an answer that is not Telegram's")
        return status, payload


def _from_telegram(payload: bytes) -> bool:
    """Whether an error answer is Telegram's own ({"ok": false, ...})."""
    try:
        data = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("ok") is False
