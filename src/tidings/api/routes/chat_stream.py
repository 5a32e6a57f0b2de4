"""``GET /chat/notifications``: a user's chat events as Server-Sent Events.

Authenticated with the user's access token (``Authorization: Bearer`` or, for a browser's
``EventSource``, ``?access_token=``). Each event is one SSE message: ``id`` is the outbox
sequence number (so ``Last-Event-ID`` resumes), ``event`` the Event Grid event type, ``data``
the Event Grid event. A comment line every ``KEEPALIVE`` seconds keeps proxies from closing an
idle stream; the stream ends with a ``tokenExpired`` event when the token does, and with
``tokenRevoked`` (checked at each keepalive) when it is revoked or its user deleted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tidings.api.bearer import STREAM_PATH
from tidings.domain.identity import Caller
from tidings.errors import InvalidInput
from tidings.services.notifications import Subscription
from tidings.services.registry import Services

KEEPALIVE = 15.0


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("lastEventId")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InvalidInput("Last-Event-ID must be an event id of this stream.")
    return int(raw)


async def _messages(
    subscription: Subscription,
    caller: Caller,
    now: Callable[[], datetime],
    still_valid: Callable[[Caller], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    try:
        yield b"retry: 2000\n: connected\n\n"
        while True:
            remaining = caller.expires_at - now().timestamp()
            if remaining <= 0:
                yield b"event: tokenExpired\ndata: {}\n\n"
                return
            notification = await subscription.next(min(KEEPALIVE, remaining))
            if notification is None:
                if not await still_valid(caller):
                    yield b"event: tokenRevoked\ndata: {}\n\n"
                    return
                yield b": keepalive\n\n"
                continue
            data = msgspec.json.encode(notification.event.to_event_grid())
            yield (
                f"id: {notification.seq}\nevent: {notification.event.event_type}\ndata: ".encode()
                + data
                + b"\n\n"
            )
    finally:
        subscription.close()


def routes(services: Services) -> list[Route]:
    async def stream(request: Request) -> Response:
        caller: Caller = request.scope["state"]["caller"]
        subscription = await services.notifications.open(caller, _last_event_id(request))
        return StreamingResponse(
            _messages(subscription, caller, services.clock.now, services.notifications.still_valid),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return [Route(STREAM_PATH, stream, methods=["GET"])]
