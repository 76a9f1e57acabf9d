"""The HTTP side: routes, body decoding, validation, latency, call log.

python-telegram-bot (22.x, `telegram/request/_httpxrequest.py`) POSTs every call as
form-urlencoded (`data=` of `RequestData.json_parameters`: strings as-is, everything else
JSON-dumped, so ints are "123", booleans "true", objects/arrays JSON text), or as
multipart/form-data when a file is attached (the same fields plus file parts; a file is sent
under the parameter's own name, or under an `attach://<name>` reference). JSON bodies and
GET query strings are accepted too, as Telegram does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from multidict import MultiMapping

from emulator import methods
from emulator.errors import NOT_FOUND, UNAUTHORIZED, ApiError, bad_request
from emulator.faults import LATE, NON_JSON, REDIRECT, STATUS, Fault
from emulator.spec import Upload
from emulator.state import Call

if TYPE_CHECKING:
    from emulator.emulator import Emulator

log = logging.getLogger(__name__)

# Telegram accepts uploads up to 50 MB through the cloud Bot API.
MAX_BODY = 52 * 1024 * 1024
EMULATOR_KEY: web.AppKey[Emulator] = web.AppKey("emulator")


def build_app(emu: Emulator) -> web.Application:
    """The aiohttp application serving one emulator."""
    app = web.Application(client_max_size=MAX_BODY)
    app[EMULATOR_KEY] = emu
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
    app.router.add_post("/control/faults", add_fault)
    app.router.add_delete("/control/faults", clear_faults)
    app.router.add_get("/control/faults", list_faults)
    return app


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Decode query string + body (urlencoded, multipart or JSON) into params and uploads."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, files
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON encoded request: expected an object")
        params.update(body)
        return params, files
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form: MultiMapping[Any] = await request.post()
        except ConnectionResetError:
            # The client died mid-upload (e.g. a bot process killed): nobody reads the answer.
            raise ApiError(400, "Bad Request: connection lost while reading the request") from None
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
        return params, files
    # Telegram ignores bodies it does not understand; so do we (the query string still counts).
    return params, files


async def handle_method(request: web.Request) -> web.Response:
    """/bot<token>/<method>: authenticate, validate, run, record."""
    emu = request.app[EMULATOR_KEY]
    if request.match_info["token"] != emu.token:
        return _json(401, UNAUTHORIZED.to_json())
    name = request.match_info["method"]
    spec = emu.spec.method(name)
    method = spec.name if spec else name
    # A long poll waits by design; it must not keep idle() from settling.
    counts = method != "getUpdates"
    started = time.monotonic()
    emu.request_started(counts)
    params: dict[str, Any] = {}
    fault: Fault | None = None
    try:
        # The request is read before the latency: once a client has sent it, Telegram has
        # it, and acts on it even if the client dies while waiting for the answer.
        raw, files = await read_params(request)
        if emu.latency:
            await asyncio.sleep(emu.latency)
        params = {**raw, **_loggable(files)}
        fault = emu.faults.match(method, raw)
        if fault is not None and fault.kind != LATE:
            return _faulty(emu, fault, method, params, started, request)
        if spec is None:
            raise NOT_FOUND
        typed = emu.spec.validate(spec, raw, files)
        params = _loggable(typed)
        handler = methods.HANDLERS.get(spec.name)
        if handler is None:
            result = await methods.not_implemented(emu, spec.name, spec.returns)
        else:
            result = await handler(emu, typed)
        status, body = 200, {"ok": True, "result": result}
    except ApiError as error:
        status, body = error.status, error.to_json()
    finally:
        emu.request_finished(counts)
    if fault is not None:
        # The call took effect; its answer comes too late for a client with a timeout (or
        # when the test releases it).
        await fault.hold()
    emu.calls.append(_call(method, params, status, body, started))
    return _json(status, body)


def _faulty(
    emu: Emulator,
    fault: Fault,
    method: str,
    params: dict[str, Any],
    started: float,
    request: web.Request,
) -> web.Response:
    """The answer of a switched-on fault, recorded in the call log like any other."""
    if fault.kind == REDIRECT:
        emu.calls.append(_call(method, params, 302, {"fault": REDIRECT}, started))
        return web.Response(status=302, headers={"Location": str(request.url)})
    if fault.kind == NON_JSON:
        emu.calls.append(_call(method, params, fault.status, {"fault": NON_JSON}, started))
        return web.Response(status=fault.status, text=fault.body, content_type="text/html")
    body = fault.error_body()
    if fault.kind == STATUS:
        body["fault"] = STATUS
    emu.calls.append(_call(method, params, fault.status, body, started))
    return _json(fault.status, {k: v for k, v in body.items() if k != "fault"})


async def add_fault(request: web.Request) -> web.Response:
    """POST /control/faults: switch a fault on (JSON: kind, method, chat_id, times, ...)."""
    emu = request.app[EMULATOR_KEY]
    try:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        fault = emu.faults.from_json(data)
    except (ValueError, TypeError) as exc:
        return _json(400, {"ok": False, "error_code": 400, "description": str(exc)})
    return _json(200, {"ok": True, "result": fault.to_json()})


async def clear_faults(request: web.Request) -> web.Response:
    """DELETE /control/faults: switch every fault off."""
    request.app[EMULATOR_KEY].faults.clear()
    return _json(200, {"ok": True, "result": True})


async def list_faults(request: web.Request) -> web.Response:
    """GET /control/faults: the faults switched on, with their hits."""
    faults = request.app[EMULATOR_KEY].faults.active
    return _json(200, {"ok": True, "result": [f.to_json() for f in faults]})


async def handle_file(request: web.Request) -> web.StreamResponse:
    """/file/bot<token>/<file_path>: the bytes getFile pointed at."""
    emu = request.app[EMULATOR_KEY]
    if request.match_info["token"] != emu.token:
        return _json(401, UNAUTHORIZED.to_json())
    stored = emu.files.by_path(request.match_info["path"])
    if stored is None:
        return _json(404, NOT_FOUND.to_json())
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def _loggable(typed: dict[str, Any] | dict[str, Upload]) -> dict[str, Any]:
    return {
        k: f"<file {v.filename}, {len(v.data)} bytes>" if isinstance(v, Upload) else v
        for k, v in typed.items()
    }


def _call(
    method: str, params: dict[str, Any], status: int, body: dict[str, Any], started: float
) -> Call:
    return Call(method, params, status, body, started, time.monotonic() - started)


async def serve(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: str = "123456:TEST-TOKEN",
    *,
    bot_username: str = "yousaid_bot",
    latency: float = 0.0,
    flood_control: bool = True,
) -> None:
    """Run a standalone emulator until cancelled, printing the URL for TELEGRAM_API_URL."""
    from emulator.emulator import Emulator
    from emulator.limits import Limits

    emu = Emulator(
        token,
        bot_username,
        latency=latency,
        limits=Limits(flood_control=flood_control),
        host=host,
        port=port,
    )
    await emu.start()
    print(f"Telegram Bot API emulator listening on {emu.base_url}")
    print(f"TELEGRAM_API_URL={emu.api_url}")
    print(f"token: {token}")
    try:
        await asyncio.Event().wait()
    finally:
        await emu.stop()
