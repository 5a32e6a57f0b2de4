"""Every receiver fault through the real HTTP client and the dispatcher (fake clock): what is
logged, what is retried and when, what is dead-lettered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock, make_settings
from tests.server import ReceiverProcess
from tidings.container import Application, build
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.events import SMS_RECEIVED, Event

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock) -> Iterator[Application]:
    application = build(make_settings(tmp_path, webhook_timeout_seconds=1.0), clock=clock)
    application.migrate()
    application.bootstrap()
    yield application
    application.close()


def publish(app: Application, clock: FakeClock) -> None:
    event = Event(
        id=f"e-{clock.now().timestamp()}",
        event_type=SMS_RECEIVED,
        subject="/phonenumber/18005550100",
        topic=app.services.topic,
        data={"Message": "fault"},
        event_time=clock.now(),
    )
    app.database.write(lambda tx: tx.events.append(event))


@pytest.mark.parametrize(
    ("path", "outcome", "code", "retried_after"),
    [
        ("status/500", "GenericError", 500, 10),
        ("status/503", "Busy", 503, 30),
        ("status/429", "Busy", 429, 10),
        ("status/404", "NotFound", 404, 300),
        ("status/400", "BadRequest", 400, None),
        ("status/413", "PayloadTooLarge", 413, None),
        ("hang", "TimedOut", None, 10),
        ("reset", "SocketError", None, 10),
        ("redirect", "Redirect", 302, 10),
    ],
)
async def test_fault(
    app: Application,
    clock: FakeClock,
    receiver: ReceiverProcess,
    path: str,
    outcome: str,
    code: int | None,
    retried_after: float | None,
) -> None:
    name = "fault-" + path.replace("/", "-")
    body = {
        "properties": {
            "destination": {"properties": {"endpointUrl": f"{receiver.url}/{path}/{name}"}},
            "deadLetterDestination": {},
        }
    }
    await app.services.subscriptions.put(name, body, base_url="http://tidings.test")
    publish(app, clock)
    assert await app.dispatcher.step() == 1
    subs = app.services.subscriptions
    [attempt] = subs.attempts(name, limit=10, offset=0)
    assert (attempt.outcome, attempt.status_code) == (outcome, code)
    [delivery] = [
        d
        for d, _ in app.services.webhook_debug.deliveries(
            name, status=None, event_id=None, limit=10, offset=0
        )
    ]
    if retried_after is None:
        assert delivery.status is DeliveryStatus.DEAD_LETTERED
        assert delivery.dead_letter_reason and delivery.dead_letter_reason.startswith(
            "Undeliverable"
        )
        return
    assert delivery.status is DeliveryStatus.PENDING
    wait = (delivery.next_attempt_at - attempt.attempted_at).total_seconds()
    assert retried_after <= wait <= retried_after * 1.1 + 0.001
    clock.advance(retried_after - 1)
    assert await app.dispatcher.step() == 0
    clock.advance(retried_after * 0.1 + 2)
    assert await app.dispatcher.step() == 1
    assert len(subs.attempts(name, limit=10, offset=0)) == 2


async def test_huge_answer_is_delivered_and_capped(
    app: Application, clock: FakeClock, receiver: ReceiverProcess
) -> None:
    body = {
        "properties": {"destination": {"properties": {"endpointUrl": f"{receiver.url}/huge/x"}}}
    }
    await app.services.subscriptions.put("huge", body, base_url="http://tidings.test")
    publish(app, clock)
    await app.dispatcher.step()
    [attempt] = app.services.subscriptions.attempts("huge", limit=10, offset=0)
    assert attempt.outcome == "Delivered" and attempt.status_code == 200
    assert attempt.response_excerpt is not None and len(attempt.response_excerpt) == 1024
