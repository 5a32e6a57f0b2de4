"""The web console: its page and assets, and the small read/write endpoints it needs.

``GET /`` answers browsers (``Accept: text/html``) with the console's single page and other
clients with the service description as before. The built assets ship inside the package
(``tidings/console/static``) and are served from ``/console/assets/`` without authentication;
everything they show comes from the authenticated JSON APIs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tidings.api import chat_schemas as cs
from tidings.api.console_session import renew_after_key_change
from tidings.api.routes import chat
from tidings.api.routes.common import before_param, int_param, json, run
from tidings.api.routes.event_subscriptions import attempt_body, delivery_body
from tidings.api.routes.smpp_timeline import smpp_body
from tidings.api.routes.tidings import message_body
from tidings.api.schemas import decode
from tidings.domain.event_types import EMITTED
from tidings.domain.timefmt import iso_z
from tidings.services.registry import Services

STATIC_DIR = Path(str(resources.files("tidings").joinpath("console", "static")))
INDEX = STATIC_DIR / "index.html"
#: The page loads only its own assets and talks only to this origin; nobody may frame it.
PAGE_HEADERS = {
    "cache-control": "no-cache",
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@dataclass(frozen=True)
class Listeners:
    """The ports this server answers on, for the endpoints the access-keys page shows."""

    https_port: int | None
    http_port: int


def _endpoints(
    request: Request, listeners: Listeners | None, public_url: str | None
) -> dict[str, str | None]:
    """The endpoints a client reaches this server at, by the host the browser used: the
    HTTPS one (what ``from_connection_string`` needs) and the plain HTTP one."""
    if public_url:
        base = public_url.rstrip("/") + "/"
        https = base if base.startswith("https://") else None
        return {"https": https, "http": None if https else base}
    host = request.url.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    if listeners is None:
        return {"https": None, "http": f"{request.url.scheme}://{request.url.netloc}/"}
    https = f"https://{host}:{listeners.https_port}/" if listeners.https_port else None
    return {"https": https, "http": f"http://{host}:{listeners.http_port}/"}


def _iso(at: datetime | None) -> str | None:
    return iso_z(at) if at else None


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def page_routes() -> list[BaseRoute]:
    """``/`` and the assets under ``/console/assets/``."""
    description = {
        "name": "Tidings",
        "description": "Azure Communication Services-compatible messaging",
        "openapi": "/openapi.json",
        "console": "/",
    }

    async def index(request: Request) -> Response:
        if _wants_html(request) and INDEX.is_file():
            return FileResponse(INDEX, headers=PAGE_HEADERS)
        return json(description)

    return [
        Route("/", index, methods=["GET"]),
        Mount(
            "/console/assets",
            app=StaticFiles(directory=STATIC_DIR / "assets", check_dir=False),
            name="console-assets",
        ),
    ]


def routes(
    services: Services,
    *,
    now: Callable[[], datetime],
    listeners: Listeners | None = None,
    public_url: str | None = None,
) -> list[Route]:
    """Access keys, a message's timeline, chat threads and posting to them for operators
    (authenticated like every ``/tidings`` route)."""

    async def show_keys(request: Request) -> Response:
        keys = await run(services.keys.show)
        return json({**keys, "endpoints": _endpoints(request, listeners, public_url)})

    async def regenerate_key(request: Request) -> Response:
        name = request.path_params["name"]
        key = await run(services.keys.regenerate, name)
        response = json({"name": name, "key": key})
        renew_after_key_change(request, response, key, now())
        return response

    async def event_types(_request: Request) -> Response:
        return json({"value": [{"type": t, "group": g} for g, t in EMITTED]})

    async def timeline(request: Request) -> Response:
        found = await run(services.queries.timeline, request.path_params["message_id"])
        deliveries: list[dict[str, Any]] = [
            {
                "subscription": name,
                **delivery_body(d),
                "attempts": [attempt_body(a) for a in attempts],
            }
            for name, d, attempts in found.deliveries
        ]
        return json(
            {
                "message": message_body(found.message),
                "event": found.event.to_event_grid() if found.event else None,
                "deliveries": deliveries,
                "smpp": smpp_body(found.smpp),
            }
        )

    async def chat_threads(request: Request) -> Response:
        limit = int_param(request, "limit", 100, 1, 1000)
        before = before_param(request)
        threads = await run(
            services.queries.chat_threads,
            before=before,
            limit=limit,
            topic=request.query_params.get("q") or None,
        )
        cursor = None
        if len(threads) == limit:
            last = threads[-1]
            cursor = f"{iso_z(last.last_message_at or last.created_at)}|{last.id}"
        return json(
            {
                "value": [
                    {**chat.thread_body(t), "lastMessageReceivedOn": _iso(t.last_message_at)}
                    for t in threads
                ],
                "nextBefore": cursor,
            }
        )

    async def chat_thread(request: Request) -> Response:
        limit = int_param(request, "limit", 200, 1, 1000)
        found = await run(services.queries.chat_thread, request.path_params["thread_id"], limit)
        return json(
            {
                "thread": chat.thread_body(found.thread),
                "participants": [chat.participant_body(p) for p in found.participants],
                "messages": [chat.message_body(m) for m in found.messages],
            }
        )

    async def chat_post(request: Request) -> Response:
        """Post to a thread as one of its participants (the console's chat composer)."""
        body: cs.ConsoleChatMessageRequest = decode(
            await request.body(), cs.ConsoleChatMessageRequest
        )
        caller = await run(services.identity.acting_as, body.sender_id)
        message = await services.chat.send_message(
            caller,
            request.path_params["thread_id"],
            body.content,
            body.type,
            body.sender_display_name,
            None,
        )
        return json({"id": message.id}, 201)

    return [
        Route("/tidings/chat/threads", chat_threads, methods=["GET"]),
        Route("/tidings/chat/threads/{thread_id}/messages", chat_post, methods=["POST"]),
        Route("/tidings/chat/threads/{thread_id}", chat_thread, methods=["GET"]),
        Route("/tidings/eventTypes", event_types, methods=["GET"]),
        Route("/tidings/keys", show_keys, methods=["GET"]),
        Route("/tidings/keys/{name}/regenerate", regenerate_key, methods=["POST"]),
        Route("/tidings/messages/{message_id}/timeline", timeline, methods=["GET"]),
    ]
