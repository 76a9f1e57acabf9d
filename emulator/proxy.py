"""A round-robin HTTP proxy, the load balancer in front of several webhook bot processes.

Each request goes to the next backend in turn, unchanged (method, path, query, headers,
body). A backend that refuses or resets the connection gets 502, one that does not answer
in time 504, as nginx answers; unlike nginx's default `proxy_next_upstream`, it does not
try the next backend, so Telegram's own retry is what recovers the update.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import aiohttp
from aiohttp import web

# Headers about one hop's connection, not the request (RFC 9110 section 7.6.1), plus the
# ones aiohttp computes again for the next hop.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class RoundRobinProxy:
    """Forwards each request to the next of `backends` (base URLs); set `.backends` any time."""

    def __init__(
        self,
        backends: list[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        timeout: float = 60.0,
    ) -> None:
        self.backends = list(backends)
        self.host = host
        self.port = port
        self.timeout = timeout
        self.forwarded: list[tuple[str, str, int]] = []  # (backend, method and path, status)
        self._turn = 0
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """http://host:port of the running proxy."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> RoundRobinProxy:
        """Bind (port 0 picks a free one) and start forwarding."""
        # Bodies pass through as they are, compressed or not.
        self._session = aiohttp.ClientSession(
            auto_decompress=False, timeout=aiohttp.ClientTimeout(total=self.timeout)
        )
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # aiohttp does not expose the bound port when port 0 asked for a free one.
        sockets = getattr(site._server, "sockets", None)
        assert sockets
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop serving and close connections to the backends."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RoundRobinProxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _next_backend(self) -> str | None:
        if not self.backends:
            return None
        backend = self.backends[self._turn % len(self.backends)]
        self._turn += 1
        return backend

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        backend = self._next_backend()
        label = f"{request.method} {request.path_qs}"
        if backend is None:
            self.forwarded.append(("", label, 502))
            return web.Response(status=502, text="no backend")
        headers = _end_to_end(request.headers)
        body = await request.read()
        target = backend.rstrip("/") + request.path_qs
        try:
            async with self._session.request(
                request.method, target, headers=headers, data=body, allow_redirects=False
            ) as answer:
                content = await answer.read()
                status = answer.status
                answer_headers = _end_to_end(answer.headers)
        except TimeoutError:
            # Before ClientConnectionError: aiohttp's read timeout is both.
            self.forwarded.append((backend, label, 504))
            return web.Response(status=504, text="Gateway Timeout")
        except aiohttp.ClientConnectionError:
            # Refused, reset, or closed before answering (a killed process).
            self.forwarded.append((backend, label, 502))
            return web.Response(status=502, text="Bad Gateway")
        self.forwarded.append((backend, label, status))
        return web.Response(status=status, headers=answer_headers, body=content)


def _end_to_end(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    # items() of aiohttp's multidicts keeps repeated headers (several Set-Cookie, say).
    return [(k, v) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP]
