"""A minimal, fast webhook receiver for ``bench_webhooks.py`` (raw ASGI under uvicorn).

Counts the events it receives and, for events whose data carries ``t`` (the publish time,
Unix seconds), the publish-to-receipt latency. ``GET /stats`` returns both; ``POST /reset``
clears them. Answers the Event Grid validation handshake. Run:
``python bench/webhook_receiver.py PORT``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import uvicorn

Scope = dict[str, Any]
STATE: dict[str, Any] = {"events": 0, "requests": 0, "latencies": []}


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, status: int, body: bytes = b"") -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = await _body(receive)
    path = scope["path"]
    if path == "/stats":
        latencies = sorted(STATE["latencies"])
        await _send(
            send,
            200,
            json.dumps(
                {"events": STATE["events"], "requests": STATE["requests"], "latencies": latencies}
            ).encode(),
        )
        return
    if path == "/reset":
        STATE.update(events=0, requests=0, latencies=[])
        await _send(send, 200)
        return
    headers = dict(scope["headers"])
    if headers.get(b"aeg-event-type") == b"SubscriptionValidation":
        code = json.loads(body)[0]["data"]["validationCode"]
        await _send(send, 200, json.dumps({"validationResponse": code}).encode())
        return
    now = time.time()
    if path.startswith("/count"):
        events = json.loads(body)
        STATE["requests"] += 1
        STATE["events"] += len(events)
        for event in events:
            published = event.get("data", {}).get("t")
            if published:
                STATE["latencies"].append(now - published)
    await _send(send, 200)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
