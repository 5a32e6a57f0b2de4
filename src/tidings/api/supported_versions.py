"""``api-supported-versions`` on every phone numbers response, errors included, as ACS sends
it: the API versions Tidings accepts there."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api.routes.common import PHONE_NUMBER_VERSIONS

_PREFIXES = ("/availablePhoneNumbers", "/phoneNumbers", "/operatorInformation")
_HEADER = (b"api-supported-versions", ", ".join(sorted(PHONE_NUMBER_VERSIONS)).encode())


class SupportedVersionsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(_PREFIXES):
            await self._app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), _HEADER]
            await send(message)

        await self._app(scope, receive, send_with_header)
