"""Which failed requests may have reached Telegram (taken as sent, never sent twice)."""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut

from handlers.safely import maybe_sent


def _timed_out(cause: BaseException) -> TimedOut:
    """A TimedOut raised from `cause`, as bot.http raises it."""
    try:
        raise TimedOut from cause
    except TimedOut as exc:
        return exc


def test_a_timeout_waiting_for_the_answer_may_have_reached_telegram() -> None:
    assert maybe_sent(_timed_out(aiohttp.SocketTimeoutError()))
    assert maybe_sent(_timed_out(TimeoutError()))


def test_a_timeout_connecting_never_reached_telegram() -> None:
    assert not maybe_sent(_timed_out(aiohttp.ConnectionTimeoutError()))


def test_a_5xx_or_a_failed_connection_did_not_go() -> None:
    assert not maybe_sent(NetworkError("Bad Gateway"))
    assert not maybe_sent(NetworkError("aiohttp.ClientConnectorError: refused"))
