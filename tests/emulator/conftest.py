"""Fixtures: a running emulator, a real python-telegram-bot Bot on it, raw HTTP access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import Bot

from emulator import Emulator, Limits

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator without flood control (tests of flood control make their own).

    Webhook retries start at 20 ms so tests of redelivery do not wait Telegram's seconds.
    """
    limits = Limits(flood_control=False, webhook_retry_initial=0.02, webhook_retry_max=0.2)
    async with Emulator(token=TOKEN, limits=limits) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    """The real python-telegram-bot client, talking HTTP to the emulator."""
    async with Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url) as client:
        yield client


class Raw:
    """Raw HTTP calls, to see Telegram's exact status codes and JSON shapes."""

    def __init__(self, session: aiohttp.ClientSession, emu: Emulator) -> None:
        self.session = session
        self.emu = emu

    async def __call__(
        self,
        method: str,
        *,
        data: Any = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        token: str = TOKEN,
        http: str = "POST",
    ) -> tuple[int, dict[str, Any]]:
        """Call `method`; return (HTTP status, JSON body)."""
        url = f"{self.emu.api_url}{token}/{method}"
        async with self.session.request(http, url, data=data, json=json, params=params) as response:
            return response.status, await response.json()


@pytest.fixture
async def raw(emu: Emulator) -> AsyncIterator[Raw]:
    """A raw HTTP caller bound to the emulator."""
    async with aiohttp.ClientSession() as session:
        yield Raw(session, emu)
