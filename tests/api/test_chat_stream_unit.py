"""The SSE body generator: keepalives, token expiry and revocation end the stream."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tidings.api.routes.chat_stream import _messages
from tidings.domain.events import Event
from tidings.domain.identity import Caller
from tidings.services.notifications import Notification

pytestmark = pytest.mark.anyio
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeSubscription:
    def __init__(self, items: list[Notification | None]) -> None:
        self.items = items
        self.closed = False

    async def next(self, timeout: float) -> Notification | None:
        return self.items.pop(0) if self.items else None

    def close(self) -> None:
        self.closed = True


def _caller(expires_in: float) -> Caller:
    return Caller("8:acs:u", frozenset({"chat"}), 0, int(NOW.timestamp() + expires_in))


async def _drain(gen: Any) -> list[bytes]:
    return [chunk async for chunk in gen]


async def test_events_then_revocation() -> None:
    event = Event("e1", "Microsoft.Communication.ChatMessageReceived", "s", "t", {"a": 1}, NOW)
    subscription = FakeSubscription([Notification(7, event), None])
    checks = iter([True, False])

    async def still_valid(_caller: Caller) -> bool:
        return next(checks)

    chunks = await _drain(
        _messages(subscription, _caller(3600), lambda: NOW, still_valid)  # type: ignore[arg-type]
    )
    assert chunks[0].startswith(b"retry: 2000")
    assert chunks[1].startswith(b"id: 7\nevent: Microsoft.Communication.ChatMessageReceived\n")
    assert b'"data":{"a":1}' in chunks[1]
    assert chunks[2] == b": keepalive\n\n"
    assert chunks[3] == b"event: tokenRevoked\ndata: {}\n\n"
    assert subscription.closed


async def test_expiry_ends_the_stream() -> None:
    subscription = FakeSubscription([])

    async def still_valid(_caller: Caller) -> bool:
        return True

    chunks = await _drain(
        _messages(subscription, _caller(-1), lambda: NOW, still_valid)  # type: ignore[arg-type]
    )
    assert chunks[-1] == b"event: tokenExpired\ndata: {}\n\n"
    assert subscription.closed
