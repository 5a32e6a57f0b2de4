"""The web console: its page and assets, and the small read/write endpoints it needs.

``GET /`` answers browsers (``Accept: text/html``) with the console's single page and other
clients with the service description as before. The built assets ship inside the package
(``tidings/console/static``) and are served from ``/console/assets/`` without authentication;
everything they show comes from the authenticated JSON APIs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tidings.api.console_session import renew_after_key_change
from tidings.api.routes.common import json, run
from tidings.api.routes.event_subscriptions import attempt_body, delivery_body
from tidings.api.routes.tidings import message_body
from tidings.services.registry import Services

STATIC_DIR = Path(str(resources.files("tidings").joinpath("console", "static")))
INDEX = STATIC_DIR / "index.html"


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
            return FileResponse(INDEX, headers={"cache-control": "no-cache"})
        return json(description)

    return [
        Route("/", index, methods=["GET"]),
        Mount(
            "/console/assets",
            app=StaticFiles(directory=STATIC_DIR / "assets", check_dir=False),
            name="console-assets",
        ),
    ]


def routes(services: Services, *, now: Callable[[], datetime]) -> list[Route]:
    """Access keys and a message's timeline (authenticated like every ``/tidings`` route)."""

    async def show_keys(_request: Request) -> Response:
        return json(await run(services.keys.show))

    async def regenerate_key(request: Request) -> Response:
        name = request.path_params["name"]
        key = await run(services.keys.regenerate, name)
        response = json({"name": name, "key": key})
        renew_after_key_change(request, response, key, now())
        return response

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
            }
        )

    return [
        Route("/tidings/keys", show_keys, methods=["GET"]),
        Route("/tidings/keys/{name}/regenerate", regenerate_key, methods=["POST"]),
        Route("/tidings/messages/{message_id}/timeline", timeline, methods=["GET"]),
    ]
