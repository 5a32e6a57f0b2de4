"""The baseline: a bare ASGI endpoint that reads a POST body and answers 202 with small JSON."""

from __future__ import annotations

from typing import Any

BODY = b'{"value":[{"to":"+15555550111","httpStatusCode":202,"successful":true}]}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 202, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
