"""The client and ``HmacAuth`` (see the package's docstring)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tidings_client import signing


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
        body_hash = signing.content_hash(body)
        url = urlsplit(str(request.url))
        target = request.url.raw_path.decode("ascii")
        text = signing.string_to_sign(request.method, target, date, url.netloc, body_hash)
        request.headers["x-ms-date"] = date
        request.headers["x-ms-content-sha256"] = body_hash
        request.headers["Authorization"] = signing.authorization_header(
            signing.signature(self._key, text)
        )
        yield request


class TidingsClient:
    """Synchronous client for the ``/tidings`` endpoints.

    The ``wait_for_*`` methods poll (every ``interval`` seconds) until what they wait for
    arrives or ``timeout`` seconds pass, then raise ``TimeoutError`` saying what did arrive.
    """

    def __init__(
        self, endpoint: str, access_key: str, *, verify: Any = True, interval: float = 0.1
    ) -> None:
        self.http = httpx.Client(
            base_url=endpoint.rstrip("/"), auth=HmacAuth(access_key), verify=verify, timeout=30
        )
        self.interval = interval

    def __enter__(self) -> TidingsClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _json(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()

    @staticmethod
    def _handset(handset: str) -> str:
        return f"/tidings/simulator/handsets/{quote(handset, safe='+')}"

    def text_from_handset(self, handset: str, *, to: str, message: str) -> dict[str, Any]:
        """The handset texts one of our numbers. The answer names the inbound message
        (``messageId``), a keyword it matched and the auto-reply queued for it
        (``autoReplyMessageId``), or why it was dropped."""
        return dict(
            self._json(
                self.http.post(
                    f"{self._handset(handset)}/messages", json={"to": to, "message": message}
                )
            )
        )

    def handset_messages(self, handset: str, after: int = 0) -> list[dict[str, Any]]:
        """What the handset sent and received (``direction``), oldest first, after log id
        ``after``."""
        return list(
            self._json(
                self.http.get(f"{self._handset(handset)}/messages", params={"after": after})
            )["value"]
        )

    def wait_for_handset_message(
        self,
        handset: str,
        *,
        message_id: str | None = None,
        contains: str | None = None,
        after: int = 0,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The first message the handset *receives* (after log id ``after``) that is the
        message ``message_id`` (e.g. ``autoReplyMessageId``) or whose text contains
        ``contains``; any received message when neither is given."""

        def matches(m: dict[str, Any]) -> bool:
            return (
                m["direction"] == "received"
                and (message_id is None or m.get("messageId") == message_id)
                and (contains is None or contains in m["message"])
            )

        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            for item in self.handset_messages(handset, after):
                after = int(item["id"])
                seen.append(item)
                if matches(item):
                    return item
            if time.monotonic() >= deadline:
                received = [m["message"] for m in seen if m["direction"] == "received"]
                wanted = message_id or (repr(contains) if contains else "a message")
                raise TimeoutError(
                    f"{handset} did not receive {wanted} within {timeout:g} s "
                    f"(it received {received or 'nothing'})"
                )
            time.sleep(self.interval)

    def set_handset_script(self, handset: str, script: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self._json(self.http.put(self._handset(handset), json={"script": script})))

    def events(
        self, after: int = 0, event_types: list[str] | None = None, limit: int = 100
    ) -> dict[str, Any]:
        """The events outbox after sequence ``after``: ``value``, ``sequence``, ``nextAfter``."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if event_types:
            params["type"] = event_types
        return dict(self._json(self.http.get("/tidings/events", params=params)))

    def wait_for_event(
        self,
        event_type: str,
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
        after: int = 0,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The first event of ``event_type`` after sequence ``after`` for which ``where``
        (given the Event Grid event) is true, e.g.
        ``where=lambda e: e["data"]["MessageId"] == message_id``."""
        deadline = time.monotonic() + timeout
        while True:
            page = self.events(after, [event_type], limit=1000)
            for event in page["value"]:
                if where is None or where(event):
                    return dict(event)
            after = int(page["nextAfter"])
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no {event_type} event arrived within {timeout:g} s")
            time.sleep(self.interval)

    def message(self, message_id: str) -> dict[str, Any]:
        return dict(self._json(self.http.get(f"/tidings/messages/{message_id}")))

    def messages(self, **filters: Any) -> list[dict[str, Any]]:
        return list(self._json(self.http.get("/tidings/messages", params=filters))["value"])
