"""Fault injection: make chosen calls fail the ways Telegram and the network really do.

Tests switch a fault on per method and per chat, for a number of calls or until removed:

    emu.faults.server_error("sendMessage", status=502, times=3)
    emu.faults.non_json("getUpdates", times=1)
    emu.faults.redirect_loop("getUpdates")
    emu.faults.late("sendMessage", delay=6.0, times=1)   # acts, then answers too late
    held = emu.faults.late("sendPhoto", delay=60, times=1); ...; held.release()   # answer now
    emu.faults.error("sendMessage", chat_id=42, description="Bad Request: chat not found")
    emu.faults.flood("sendMessage", retry_after=2, times=1)
    emu.faults.flood(chat_id=-100, retry_after=30, lasting=True)   # as Telegram: for 30 s
    emu.faults.error("sendMessage", text_contains="#12 ", times=2)   # only calls whose text has it

Each returns its `Fault`, whose `hits` counts the calls it answered; `remove` or `clear`
switch faults off. The standalone emulator takes the same faults as JSON on
`POST /control/faults` (and `DELETE /control/faults` clears them).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

# What a fault does to a call it matches.
STATUS = "status"  # an HTTP error from a proxy in front of Telegram (5xx), JSON or not
NON_JSON = "non_json"  # a body that is not JSON (an HTML error page), with any status
REDIRECT = "redirect"  # 302 to the same URL, forever: the client gives up
LATE = "late"  # the call takes effect, then the answer comes after `delay` seconds
ERROR = "error"  # one of Telegram's own error answers (400 for one chat, 429, ...)
KINDS = (STATUS, NON_JSON, REDIRECT, LATE, ERROR)

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """One switched-on fault: what it does, to which calls, how many more times."""

    kind: str
    method: str | None = None  # None: every method
    chat_id: int | str | None = None  # None: every chat
    times: int | None = None  # None: until removed
    status: int = 502
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0
    body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    # Only calls whose `text` (or `caption`) contains this; None: any call.
    text_contains: str | None = None
    # A 429 as Telegram gives it: every matching call is refused from the first one until
    # `retry_after` seconds have passed, each told how long is left; then the fault is spent.
    lasting: bool = False
    hits: int = field(default=0)

    def __post_init__(self) -> None:
        # Set by `release`: not a field, so not part of the fault's JSON.
        self._released = asyncio.Event()
        # When a lasting fault ends (monotonic seconds), from its first hit.
        self._until: float | None = None

    def _over(self) -> bool:
        return self._until is not None and time.monotonic() >= self._until

    def hit(self) -> None:
        """Count a call this fault answers (a lasting one starts its time at the first)."""
        self.hits += 1
        if self.lasting and self._until is None:
            self._until = time.monotonic() + (self.retry_after or 0)

    def release(self) -> None:
        """Let the answers a late fault holds go now, and answer the calls it takes later
        without holding them (a test that has seen what it needed while they were held)."""
        self._released.set()

    async def hold(self) -> None:
        """Hold a late fault's answer: `delay` seconds, or until `release`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.delay):
                await self._released.wait()

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a call of `method` with these (raw) parameters."""
        if self.spent:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.chat_id is not None and str(params.get("chat_id")) != str(self.chat_id):
            return False
        if self.text_contains is not None:
            text = str(params.get("text", params.get("caption", "")) or "")
            if self.text_contains not in text:
                return False
        return True

    @property
    def spent(self) -> bool:
        """True once it has answered all the calls it was switched on for."""
        return (self.times is not None and self.hits >= self.times) or self._over()

    def error_body(self) -> dict[str, Any]:
        """The JSON body of a STATUS or ERROR answer, in Telegram's shape."""
        description = self.description or _REASONS.get(self.status, "Server Error")
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": description}
        if self.retry_after is not None:
            wait = self.retry_after
            if self._until is not None:
                # What is left of a lasting flood, in whole seconds, as Telegram says it.
                wait = max(1, math.ceil(self._until - time.monotonic()))
                body["description"] = f"Too Many Requests: retry after {wait}"
            body["parameters"] = {"retry_after": wait}
        return body

    def to_json(self) -> dict[str, Any]:
        """The fault as JSON (for the control API)."""
        return asdict(self)


class Faults:
    """The faults switched on in one emulator, checked on every Bot API call."""

    def __init__(self) -> None:
        self.active: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Switch a fault on; return it."""
        if fault.kind not in KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r} (known: {', '.join(KINDS)})")
        self.active.append(fault)
        return fault

    def server_error(
        self,
        method: str | None = None,
        *,
        status: int = 502,
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
    ) -> Fault:
        """Answer with an HTTP 5xx (JSON body, as Telegram's own 5xx are)."""
        return self.add(
            Fault(STATUS, method, chat_id, times, status=status, text_contains=text_contains)
        )

    def non_json(
        self,
        method: str | None = None,
        *,
        status: int = 200,
        body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>",
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
    ) -> Fault:
        """Answer with a body that is not JSON (a proxy's HTML page)."""
        return self.add(
            Fault(
                NON_JSON,
                method,
                chat_id,
                times,
                status=status,
                body=body,
                text_contains=text_contains,
            )
        )

    def redirect_loop(
        self,
        method: str | None = None,
        *,
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
    ) -> Fault:
        """Answer 302 to the same URL, so a client following redirects loops until it gives up."""
        return self.add(
            Fault(REDIRECT, method, chat_id, times, status=302, text_contains=text_contains)
        )

    def late(
        self,
        method: str | None = None,
        *,
        delay: float,
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
    ) -> Fault:
        """Carry the call out, then hold the answer `delay` seconds (past a client's timeout)."""
        return self.add(
            Fault(LATE, method, chat_id, times, delay=delay, text_contains=text_contains)
        )

    def error(
        self,
        method: str | None = None,
        *,
        status: int = 400,
        description: str = "Bad Request: chat not found",
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
    ) -> Fault:
        """Answer with one of Telegram's error answers, without carrying the call out."""
        return self.add(
            Fault(
                ERROR,
                method,
                chat_id,
                times,
                status=status,
                description=description,
                retry_after=retry_after,
                text_contains=text_contains,
            )
        )

    def flood(
        self,
        method: str | None = None,
        *,
        retry_after: int = 1,
        chat_id: int | str | None = None,
        times: int | None = None,
        text_contains: str | None = None,
        lasting: bool = False,
    ) -> Fault:
        """Answer 429 Too Many Requests with `retry_after`; `lasting`: every matching call
        for `retry_after` seconds from the first, as Telegram does (then it is spent)."""
        return self.add(
            Fault(
                ERROR,
                method,
                chat_id,
                times,
                status=429,
                description=f"Too Many Requests: retry after {retry_after}",
                retry_after=retry_after,
                text_contains=text_contains,
                lasting=lasting,
            )
        )

    def match(self, method: str, params: dict[str, Any]) -> Fault | None:
        """The first fault for this call, counted as hit; None when the call goes through."""
        for fault in self.active:
            if fault.matches(method, params):
                fault.hit()
                return fault
        return None

    def remove(self, fault: Fault) -> None:
        """Switch one fault off."""
        if fault in self.active:
            self.active.remove(fault)

    def clear(self) -> None:
        """Switch every fault off."""
        self.active.clear()

    def from_json(self, data: dict[str, Any]) -> Fault:
        """Switch on a fault described as JSON (the control API's body)."""
        known = {name for name in Fault.__dataclass_fields__ if name != "hits"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError(f"a fault needs a kind (one of: {', '.join(KINDS)})")
        return self.add(Fault(**data))
