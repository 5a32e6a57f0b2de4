"""CORS for the chat API, so browser apps on any origin can call it and open the stream.

Chat requests carry bearer tokens, never cookies, so any origin may call them (as ACS
allows); preflights are answered before authentication. Other paths (HMAC-signed, meant for
servers, and the console's cookie session) get no CORS headers.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.api.auth import is_bearer_path

ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Last-Event-ID",
    "repeatability-request-id",
    "x-ms-client-request-id",
    "x-ms-useragent",
    "User-Agent",
]


class ChatCorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=ALLOWED_HEADERS,
            expose_headers=["Location", "x-ms-client-request-id"],
            max_age=3600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_bearer_path(scope["path"]):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)
