"""A small client for Tidings' own endpoints (``/tidings/...``), and ACS HMAC signing for httpx.

The ACS APIs are meant to be used with the official ``azure-communication-*`` SDKs; this
module covers what they do not: the simulated handsets, the events outbox, message logs.

    >>> client = TidingsClient("http://127.0.0.1:8080", access_key)      # doctest: +SKIP
    >>> client.text_from_handset("+15555550111", to="+18005550100", message="STOP")
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

import httpx

from tidings.domain import hmac


class HmacAuth(httpx.Auth):
    """Signs each request as the ACS SDKs do (``HMAC-SHA256``, ``x-ms-date``, content hash)."""

    requires_request_body = True

    def __init__(
        self,
        access_key: str,
        *,
        date: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._key = access_key
        self._date = date
        self._now = now

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        body = request.content
        moment = self._now().timestamp() if self._now else None
        date = self._date or formatdate(moment, usegmt=True)
        body_hash = hmac.content_hash(body)
        url = urlsplit(str(request.url))
        target = request.url.raw_path.decode("ascii")
        host = url.netloc
        text = hmac.string_to_sign(request.method, target, date, host, body_hash)
        request.headers["x-ms-date"] = date
        request.headers["x-ms-content-sha256"] = body_hash
        request.headers["Authorization"] = hmac.authorization_header(
            hmac.signature(self._key, text)
        )
        yield request


class TidingsClient:
    """Synchronous client for the ``/tidings`` endpoints."""

    def __init__(self, endpoint: str, access_key: str, *, verify: Any = True) -> None:
        self.http = httpx.Client(
            base_url=endpoint.rstrip("/"), auth=HmacAuth(access_key), verify=verify, timeout=30
        )

    def __enter__(self) -> TidingsClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    def text_from_handset(self, handset: str, *, to: str, message: str) -> dict[str, Any]:
        return dict(
            self._json(
                self.http.post(
                    f"/tidings/simulator/handsets/{handset}/messages",
                    json={"to": to, "message": message},
                )
            )
        )

    def handset_messages(self, handset: str, after: int = 0) -> list[dict[str, Any]]:
        return list(
            self._json(
                self.http.get(
                    f"/tidings/simulator/handsets/{handset}/messages", params={"after": after}
                )
            )["value"]
        )

    def set_handset_script(self, handset: str, script: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(
            self._json(
                self.http.put(f"/tidings/simulator/handsets/{handset}", json={"script": script})
            )
        )

    def events(
        self, after: int = 0, event_types: list[str] | None = None, limit: int = 100
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"after": after, "limit": limit}
        if event_types:
            params["type"] = event_types
        return dict(self._json(self.http.get("/tidings/events", params=params)))

    def message(self, message_id: str) -> dict[str, Any]:
        return dict(self._json(self.http.get(f"/tidings/messages/{message_id}")))

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self._json(self.http.get("/tidings/messages", params=filters))["value"])
