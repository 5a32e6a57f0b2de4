"""A webhook receiver for end-to-end tests and benchmarks, run as its own process.

    python -m tests.receiver PORT

Behaviour by path (any method):
  /ok            200; answers Event Grid validation events and CloudEvents OPTIONS handshakes
  /status/N      answers N (after the handshake), e.g. /status/503
  /flaky/N       the first N notifications get 500, then 200
  /hang          never answers notifications (the sender must time out)
  /hangonce/X    the first notification hangs, the next ones get 200
  /reset         closes the connection without answering
  /huge          200 with a 5 MB body
  /redirect      302 to /ok
  /slow/MS       answers 200 after MS milliseconds
  /raw/...       the same without answering handshakes (e.g. /raw/status/500, /raw/ok)
GET /_log        every request received so far, as JSON lines: {path, headers, body, at}
POST /_clear     forget them
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from typing import Any

from aiohttp import web

LOG: list[dict[str, Any]] = []
FLAKY: dict[str, int] = {}


def _record(request: web.Request, body: bytes) -> None:
    LOG.append(
        {
            "method": request.method,
            "path": request.path,
            "headers": dict(request.headers),
            "body": base64.b64encode(body).decode(),
            "at": time.time(),
        }
    )


def _handshake(request: web.Request, body: bytes) -> web.Response | None:
    if request.method == "OPTIONS":
        origin = request.headers.get("WebHook-Request-Origin", "*")
        return web.Response(headers={"WebHook-Allowed-Origin": origin, "Allow": "POST"})
    if request.headers.get("aeg-event-type") == "SubscriptionValidation":
        code = json.loads(body)[0]["data"]["validationCode"]
        return web.json_response({"validationResponse": code})
    return None


async def handle(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    path = request.path
    if path == "/_log":
        return web.Response(text="\n".join(json.dumps(e) for e in LOG))
    if path == "/_clear":
        LOG.clear()
        return web.Response()
    _record(request, body)
    parts = path.strip("/").split("/")
    if parts[0] == "raw":  # no handshake answered: /raw/status/500, /raw/ok, ...
        parts = parts[1:]
    else:
        handshake = _handshake(request, body)
        if handshake is not None:
            return handshake
    kind = parts[0]
    if kind == "status":
        return web.Response(status=int(parts[1]), text=f"status {parts[1]}")
    if kind == "flaky":
        seen = FLAKY.get(path, 0)
        FLAKY[path] = seen + 1
        return web.Response(status=500 if seen < int(parts[1]) else 200)
    if kind == "hang":
        await asyncio.sleep(3600)
    if kind == "hangonce":  # the first notification hangs, later ones succeed
        seen = FLAKY.get(path, 0)
        FLAKY[path] = seen + 1
        if seen == 0:
            await asyncio.sleep(3600)
    if kind == "reset":
        transport = request.transport
        if transport is not None:
            transport.abort()
        return web.Response()
    if kind == "huge":
        return web.Response(body=b"x" * 5_000_000)
    if kind == "redirect":
        raise web.HTTPFound("/ok")
    if kind == "slow":
        await asyncio.sleep(int(parts[1]) / 1000)
    return web.Response(text="ok")


def app() -> web.Application:
    application = web.Application(client_max_size=64 * 1024 * 1024)
    application.router.add_route("*", "/{tail:.*}", handle)
    return application


if __name__ == "__main__":
    web.run_app(app(), host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
