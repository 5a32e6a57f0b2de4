"""Webhook delivery through the dispatcher, a fake HTTP sender and the fake clock, on both
databases."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.conftest import FakeClock, make_settings
from tidings.container import Application, build
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.events import SMS_RECEIVED, Event
from tidings.domain.subscriptions import ProvisioningState
from tidings.domain.webhooks import TransportError
from tidings.errors import InvalidInput, NotFound
from tidings.ports import HttpResult
from tidings.settings import Settings
from tidings.wakeups import DELIVERIES

pytestmark = pytest.mark.anyio
URL = "https://receiver.example/hook"


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Request], HttpResult]


def ok(status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None) -> HttpResult:
    return HttpResult(status, 1.0, headers or {}, body)


def echo_validation(request: Request) -> HttpResult | None:
    if request.headers.get("aeg-event-type") == "SubscriptionValidation":
        code = request.json()[0]["data"]["validationCode"]
        return ok(body=json.dumps({"validationResponse": code}).encode())
    if request.method == "OPTIONS":
        return ok(headers={"webhook-allowed-origin": request.headers["WebHook-Request-Origin"]})
    return None


@dataclass
class FakeSender:
    """Records every request; answers validation handshakes, then whatever ``respond`` says."""

    respond: Responder = field(default=lambda _r: ok())
    requests: list[Request] = field(default_factory=list)
    #: Whether the receiver answers validation handshakes itself (as a subscriber should).
    handshake: bool = True

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], body: bytes = b"", timeout: float
    ) -> HttpResult:
        req = Request(method, url, dict(headers), body)
        self.requests.append(req)
        return (echo_validation(req) if self.handshake else None) or self.respond(req)

    async def aclose(self) -> None:
        pass

    def notifications(self) -> list[Request]:
        return [r for r in self.requests if r.headers.get("aeg-event-type") == "Notification"]


@dataclass
class Hooks:
    app: Application
    clock: FakeClock
    sender: FakeSender

    async def subscribe(self, name: str = "sub1", **props: Any) -> Any:
        destination = {"endpointUrl": URL, **props.pop("destination", {})}
        body = {
            "properties": {
                "destination": {"endpointType": "WebHook", "properties": destination},
                **props,
            }
        }
        sub, _ = await self.app.services.subscriptions.put(
            name, body, base_url="http://tidings.test"
        )
        return sub

    def publish(self, count: int = 1, subject: str = "/phonenumber/15555555555") -> list[Event]:
        now = self.clock.now()
        batch = [
            Event(
                id=f"Incoming_{now.timestamp()}_{i}",
                event_type=SMS_RECEIVED,
                subject=subject,
                topic=self.app.services.topic,
                data={
                    "MessageId": f"m{i}",
                    "From": "15555550111",
                    "To": "15555555555",
                    "Message": f"hello {i}",
                },
                event_time=now,
            )
            for i in range(count)
        ]
        self.app.database.write(lambda tx: tx.events.append_many(batch))
        return batch

    async def step(self, advance: float = 0.0) -> int:
        self.clock.advance(advance)
        return await self.app.dispatcher.step()

    def deliveries(self, name: str = "sub1", status: DeliveryStatus | None = None) -> list[Any]:
        rows = self.app.services.webhook_debug.deliveries(
            name, status=status, event_id=None, limit=1000, offset=0
        )
        return [d for d, _ in rows]


def verify(secret: str, request: Request) -> bool:
    """``standardwebhooks``' own signature for the request (its ``verify`` also checks the
    timestamp against the wall clock, which the fake clock is not)."""
    h = request.headers
    moment = datetime.fromtimestamp(int(h["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(h["webhook-id"], moment, request.body.decode())
    return expected in h["webhook-signature"].split(" ")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def hooks_for(settings: Settings, clock: FakeClock) -> Iterator[Hooks]:
    """A migrated application with a fake sender, for a fixture to yield from."""
    sender = FakeSender()
    app = build(settings, clock=clock, sender=sender)
    app.migrate()
    app.bootstrap()
    yield Hooks(app, clock, sender)
    app.close()


@pytest.fixture
def hooks(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[Hooks]:
    yield from hooks_for(make_settings(tmp_path, database_url), clock)


async def test_validated_subscription_receives_signed_event_grid_deliveries(hooks: Hooks) -> None:
    sub = await hooks.subscribe()
    assert sub.provisioning_state is ProvisioningState.SUCCEEDED
    validation = hooks.sender.requests[0]
    assert validation.json()[0]["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert validation.json()[0]["data"]["validationUrl"].startswith(
        "http://tidings.test/webhooks/validate/sub1?code="
    )
    [event] = hooks.publish()
    assert await hooks.step() == 1
    [request] = hooks.sender.notifications()
    body = request.json()
    assert isinstance(body, list) and body[0]["id"] == event.id
    assert body[0]["subject"] == "/phonenumber/15555555555"
    headers = request.headers
    assert headers["aeg-subscription-name"] == "SUB1"
    assert headers["aeg-delivery-count"] == "0"
    assert headers["aeg-metadata-version"] == "1" and headers["aeg-data-version"] == "1.0"
    assert headers["aeg-output-event-id"] == event.id
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    delivery_id = headers["webhook-id"]
    secret = hooks.app.services.subscriptions.get("sub1").secret
    assert verify(secret, request)
    [delivery] = hooks.deliveries()
    assert (delivery.id, delivery.status, delivery.attempts) == (
        delivery_id,
        DeliveryStatus.DELIVERED,
        1,
    )
    assert await hooks.step(60) == 0  # nothing more to send


async def test_events_before_the_subscription_are_not_delivered(hooks: Hooks) -> None:
    hooks.publish(3)
    await hooks.step()
    await hooks.subscribe()
    hooks.publish(1)
    await hooks.step()
    assert len(hooks.sender.notifications()) == 1


async def test_async_validation_via_validation_url(hooks: Hooks) -> None:
    hooks.sender.handshake = False
    sub = await hooks.subscribe()
    hooks.sender.handshake = True
    assert sub.provisioning_state is ProvisioningState.AWAITING_MANUAL_ACTION
    hooks.publish()
    await hooks.step()
    assert hooks.sender.notifications() == []  # nothing flows before validation
    subs = hooks.app.services.subscriptions
    with pytest.raises(NotFound):
        subs.validate("sub1", "wrong-code")
    assert (
        subs.validate("sub1", sub.validation_code).provisioning_state is ProvisioningState.SUCCEEDED
    )
    hooks.publish()
    await hooks.step()
    assert len(hooks.sender.notifications()) == 1


async def test_manual_validation_expires(hooks: Hooks) -> None:
    hooks.sender.handshake = False
    await hooks.subscribe()
    subs = hooks.app.services.subscriptions
    hooks.clock.advance(301)
    assert subs.expire_validations() == 1
    assert subs.get("sub1").provisioning_state is ProvisioningState.FAILED


async def test_failed_handshake_writes_nothing(hooks: Hooks) -> None:
    hooks.sender.handshake = False
    hooks.sender.respond = lambda r: ok(500)
    with pytest.raises(InvalidInput) as caught:
        await hooks.subscribe()
    assert "validation handshake failed" in caught.value.message
    assert hooks.app.services.subscriptions.all() == []


async def test_cloud_events_handshake_and_modes(hooks: Hooks) -> None:
    await hooks.subscribe("single", eventDeliverySchema="CloudEventSchemaV1_0")
    await hooks.subscribe(
        "batched", eventDeliverySchema="CloudEventSchemaV1_0", destination={"maxEventsPerBatch": 10}
    )
    options = [r for r in hooks.sender.requests if r.method == "OPTIONS"]
    assert (
        len(options) == 2 and options[0].headers["WebHook-Request-Origin"] == "eventgrid.azure.net"
    )
    hooks.publish(3)
    await hooks.step()
    notes = hooks.sender.notifications()
    single = [r for r in notes if r.headers["aeg-subscription-name"] == "SINGLE"]
    batched = [r for r in notes if r.headers["aeg-subscription-name"] == "BATCHED"]
    assert len(single) == 3 and len(batched) == 1
    assert single[0].headers["Content-Type"].startswith("application/cloudevents+json")
    assert single[0].json()["specversion"] == "1.0"
    assert batched[0].headers["Content-Type"].startswith("application/cloudevents-batch+json")
    assert len(batched[0].json()) == 3


async def test_cloud_events_handshake_refused(hooks: Hooks) -> None:
    hooks.sender.handshake = False
    hooks.sender.respond = lambda r: ok(200, headers={"webhook-allowed-origin": "someone.else"})
    with pytest.raises(InvalidInput):
        await hooks.subscribe(eventDeliverySchema="CloudEventSchemaV1_0")


async def test_retry_schedule_then_dead_letter(hooks: Hooks) -> None:
    await hooks.subscribe(
        retryPolicy={"maxDeliveryAttempts": 4},
        deadLetterDestination={"endpointType": "StorageBlob"},
    )
    hooks.sender.respond = lambda r: ok(500, body=b"boom")
    hooks.publish()
    assert await hooks.step() == 1
    assert await hooks.step(9) == 0  # the first retry waits 10 s (+ up to 10% jitter)
    assert await hooks.step(2.5) == 1
    assert await hooks.step(29) == 0
    assert await hooks.step(4.5) == 1  # 30 s
    assert await hooks.step(59) == 0
    assert await hooks.step(7) == 1  # 1 min: the 4th and last attempt
    assert await hooks.step(3600) == 0
    counts = [r.headers["aeg-delivery-count"] for r in hooks.sender.notifications()]
    assert counts == ["0", "1", "2", "3"]
    assert len({r.headers["webhook-id"] for r in hooks.sender.notifications()}) == 1  # stable
    [delivery] = hooks.deliveries()
    assert delivery.status is DeliveryStatus.DEAD_LETTERED
    assert delivery.dead_letter_reason == "MaxDeliveryAttemptsExceeded"
    _, letters = hooks.app.services.subscriptions.dead_letters("sub1", limit=10, offset=0)
    assert letters[0].delivery.last_status_code == 500 and letters[0].delivery.attempts == 4
    attempts = hooks.app.services.subscriptions.attempts("sub1", limit=10, offset=0)
    assert [a.outcome for a in attempts] == ["GenericError"] * 4
    assert attempts[0].response_excerpt == "boom"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "UndeliverableDueToHttpBadRequest"),
        (413, "UndeliverableDueToHttpRequestEntityTooLarge"),
        (403, "UndeliverableDueToHttpForbidden"),
    ],
)
async def test_codes_never_retried(hooks: Hooks, status: int, reason: str) -> None:
    await hooks.subscribe(deadLetterDestination={"endpointType": "StorageBlob"})
    hooks.sender.respond = lambda r: ok(status)
    hooks.publish()
    await hooks.step()
    assert await hooks.step(86400) == 0
    [delivery] = hooks.deliveries()
    assert (delivery.status, delivery.dead_letter_reason, delivery.attempts) == (
        DeliveryStatus.DEAD_LETTERED,
        reason,
        1,
    )


async def test_without_dead_lettering_failures_are_dropped(hooks: Hooks) -> None:
    await hooks.subscribe()
    hooks.sender.respond = lambda r: ok(400)
    hooks.publish()
    await hooks.step()
    [delivery] = hooks.deliveries()
    assert delivery.status is DeliveryStatus.DROPPED
    _, letters = hooks.app.services.subscriptions.dead_letters("sub1", limit=10, offset=0)
    assert letters == []


@pytest.mark.parametrize(("status", "minimum"), [(404, 300), (408, 120), (503, 30)])
async def test_minimum_waits(hooks: Hooks, status: int, minimum: float) -> None:
    await hooks.subscribe()
    hooks.sender.respond = lambda r: ok(status)
    hooks.publish()
    await hooks.step()
    assert await hooks.step(minimum - 1) == 0
    assert await hooks.step(minimum * 0.1 + 1.5) == 1


async def test_time_to_live(hooks: Hooks) -> None:
    await hooks.subscribe(retryPolicy={"eventTimeToLiveInMinutes": 1}, deadLetterDestination={})
    hooks.sender.respond = lambda r: ok(503)
    hooks.publish()
    await hooks.step()
    await hooks.step(35)
    await hooks.step(35)  # 70 s: past the TTL; expired at this attempt, nothing sent
    await hooks.step(3600)
    assert len(hooks.sender.notifications()) == 2
    [delivery] = hooks.deliveries()
    assert delivery.status is DeliveryStatus.DEAD_LETTERED
    assert delivery.dead_letter_reason == "TimeToLiveExceeded"
    assert delivery.last_status_code == 503 and delivery.last_outcome == "Busy"


async def test_probation_delays_new_deliveries(hooks: Hooks) -> None:
    await hooks.subscribe()
    hooks.sender.respond = lambda r: ok(500)
    hooks.publish(10)
    assert await hooks.step() == 10
    sub = hooks.app.services.subscriptions.get("sub1")
    assert sub.consecutive_failures == 10 and sub.probation_until is not None
    hooks.publish(1)
    assert await hooks.step() == 0  # the new event waits out the probation
    hooks.sender.respond = lambda r: ok(200)
    assert await hooks.step(12) == 11
    sub = hooks.app.services.subscriptions.get("sub1")
    assert sub.consecutive_failures == 0 and sub.probation_until is None


async def test_batches_respect_max_events(hooks: Hooks) -> None:
    await hooks.subscribe(destination={"maxEventsPerBatch": 5})
    hooks.publish(12)
    await hooks.step()
    sizes = sorted(len(r.json()) for r in hooks.sender.notifications())
    assert sizes == [2, 5, 5]
    assert all(
        "aeg-output-event-id" not in r.headers
        for r in hooks.sender.notifications()
        if len(r.json()) > 1
    )


async def test_filters_and_the_seed_subject_example(hooks: Hooks) -> None:
    await hooks.subscribe(
        filter={"subjectBeginsWith": "phonenumber/1555", "includedEventTypes": [SMS_RECEIVED]}
    )
    hooks.publish(1, subject="/phonenumber/15555555555")
    hooks.publish(1, subject="/phonenumber/18005550100")
    await hooks.step()
    [request] = hooks.sender.notifications()
    assert request.json()[0]["subject"] == "/phonenumber/15555555555"


async def test_sms_events_flow_from_the_simulator(hooks: Hooks) -> None:
    """A real inbound SMS (the handset texts our number) becomes a delivered SMSReceived."""
    await hooks.subscribe(filter={"subjectBeginsWith": "phonenumber/1800"})
    hooks.app.services.simulator.text("+15555550111", "+18005550100", "hello")
    await hooks.step()
    [request] = hooks.sender.notifications()
    [event] = request.json()
    assert event["eventType"] == SMS_RECEIVED and event["subject"] == "/phonenumber/18005550100"
    assert event["data"]["Message"] == "hello"


async def test_custom_headers(hooks: Hooks) -> None:
    await hooks.subscribe(
        destination={
            "deliveryAttributeMappings": [
                {
                    "name": "x-api-key",
                    "type": "Static",
                    "properties": {"value": "k3y", "isSecret": True},
                },
                {"name": "x-from", "type": "Dynamic", "properties": {"sourceField": "data.From"}},
            ]
        }
    )
    hooks.publish()
    await hooks.step()
    [request] = hooks.sender.notifications()
    assert request.headers["x-api-key"] == "k3y" and request.headers["x-from"] == "15555550111"


async def test_disable_pauses_and_enable_resumes(hooks: Hooks) -> None:
    await hooks.subscribe()
    hooks.sender.respond = lambda r: ok(500)
    hooks.publish()
    await hooks.step()
    subs = hooks.app.services.subscriptions
    subs.set_enabled("sub1", False)
    hooks.publish()  # not routed to a disabled subscription
    assert await hooks.step(60) == 0
    hooks.sender.respond = lambda r: ok()
    subs.set_enabled("sub1", True)
    assert await hooks.step() == 1  # the pending retry resumes
    assert [d.status for d in hooks.deliveries()] == [DeliveryStatus.DELIVERED]


async def test_secret_rotation_signs_with_both_during_grace(hooks: Hooks) -> None:
    await hooks.subscribe()
    subs = hooks.app.services.subscriptions
    old = subs.get("sub1").secret
    rotated = subs.rotate_secret("sub1", grace_minutes=60)
    assert rotated.previous_secret == old and rotated.secret != old
    hooks.publish()
    await hooks.step()
    request = hooks.sender.notifications()[-1]
    assert request.headers["webhook-signature"].count("v1,") == 2
    assert verify(old, request) and verify(rotated.secret, request)
    hooks.publish()
    await hooks.step(3601)
    request = hooks.sender.notifications()[-1]
    assert request.headers["webhook-signature"].count("v1,") == 1
    assert verify(rotated.secret, request) and not verify(old, request)


async def test_redelivery_and_replay(hooks: Hooks) -> None:
    await hooks.subscribe(deadLetterDestination={})
    hooks.sender.respond = lambda r: ok(400)
    events = hooks.publish(3)
    await hooks.step()
    subs = hooks.app.services.subscriptions
    assert len(hooks.deliveries(status=DeliveryStatus.DEAD_LETTERED)) == 3
    hooks.sender.respond = lambda r: ok()
    assert subs.redeliver_dead_letters("sub1") == 3
    await hooks.step()
    assert len(hooks.deliveries(status=DeliveryStatus.DELIVERED)) == 3
    assert len(hooks.deliveries(status=DeliveryStatus.REDELIVERED)) == 3
    subs.redeliver_event("sub1", events[0].id)
    await hooks.step()
    assert len(hooks.deliveries(status=DeliveryStatus.DELIVERED)) == 4
    with pytest.raises(NotFound):
        subs.redeliver_event("sub1", "no-such-event")
    before = len(hooks.sender.notifications())
    start = hooks.clock.now() - timedelta(minutes=1)
    subs.replay("sub1", start, hooks.clock.now() + timedelta(seconds=1))
    worker = hooks.app.worker()
    await worker.step()
    await hooks.step()
    assert len(hooks.sender.notifications()) - before == 3


async def test_replay_progress(hooks: Hooks) -> None:
    """What ``tidings subscriptions replay --wait`` shows: events looked at, of the window's."""
    await hooks.subscribe()
    hooks.publish(3)
    await hooks.step()
    subs = hooks.app.services.subscriptions
    start = hooks.clock.now() - timedelta(minutes=1)
    end = hooks.clock.now() + timedelta(seconds=1)
    assert subs.replay_progress("sub1", start, end) == (3, 3, True)  # nothing queued
    subs.replay("sub1", start, end)
    assert subs.replay_progress("sub1", start, end) == (0, 3, False)
    await hooks.app.worker().step()
    assert subs.replay_progress("sub1", start, end) == (3, 3, True)


async def test_expired_lease_is_sent_again(hooks: Hooks) -> None:
    """A worker that claimed deliveries and died: the lease runs out, another sends them."""
    await hooks.subscribe()
    hooks.publish(2)
    hooks.app.dispatcher.route_once()
    claimed = hooks.app.dispatcher.claim(10)
    assert len(claimed) == 2
    assert await hooks.step() == 0  # leased
    assert await hooks.step(91) == 2
    assert all(d.status is DeliveryStatus.DELIVERED for d in hooks.deliveries())


async def test_delete_removes_log(hooks: Hooks) -> None:
    await hooks.subscribe()
    hooks.publish()
    await hooks.step()
    subs = hooks.app.services.subscriptions
    assert subs.delete("sub1") is True
    with pytest.raises(NotFound):
        subs.get("sub1")
    assert subs.delete("sub1") is False


async def test_receiver_down_for_an_hour_then_back(hooks: Hooks) -> None:
    """Connection refused for an hour: retries on schedule (and probation), then all delivered."""
    await hooks.subscribe()
    down = HttpResult(None, 1.0, {}, b"", error=TransportError.CONNECT, error_message="refused")
    hooks.sender.respond = lambda r: down
    hooks.publish(20)
    elapsed = 0.0
    while elapsed < 3600:
        await hooks.step(30)
        elapsed += 30
    attempts_while_down = len(hooks.sender.notifications())
    # 20 first attempts, then retries thinned by the schedule and probation: far fewer than
    # one per event per step.
    assert 20 < attempts_while_down < 20 * 8
    hooks.sender.respond = lambda r: ok()
    for _ in range(200):  # up to ~100 minutes more: the 1 h step of the schedule
        await hooks.step(30)
        if all(d.status is DeliveryStatus.DELIVERED for d in hooks.deliveries()):
            break
    assert [d.status for d in hooks.deliveries()] == [DeliveryStatus.DELIVERED] * 20
    attempts = hooks.app.services.subscriptions.attempts("sub1", limit=1000, offset=0)
    assert {a.outcome for a in attempts} == {"SocketError", "Delivered"}


async def test_database_errors_do_not_stop_the_dispatcher(
    hooks: Hooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anyio
    import sqlalchemy.exc

    await hooks.subscribe()
    hooks.publish(5)
    real_write = hooks.app.database.write
    failures = {"left": 6}

    def flaky_write(fn: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise sqlalchemy.exc.OperationalError(
                "select 1", {}, Exception("server closed the connection")
            )
        return real_write(fn)

    monkeypatch.setattr(hooks.app.database, "write", flaky_write)
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(hooks.app.dispatcher.run, stop)
        with anyio.fail_after(20):
            while len(hooks.sender.notifications()) < 5:
                await anyio.sleep(0.05)
        stop.set()
    monkeypatch.setattr(hooks.app.database, "write", real_write)
    assert failures["left"] == 0
    assert [d.status for d in hooks.deliveries()] == [DeliveryStatus.DELIVERED] * 5


async def test_two_workers_never_claim_the_same_delivery(
    hooks: Hooks, tmp_path: Path, database_url: str, clock: FakeClock
) -> None:
    """Two processes' dispatchers on one database, claiming at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    await hooks.subscribe(destination={"maxEventsPerBatch": 1})
    hooks.publish(300)
    hooks.app.dispatcher.route_once()
    other = build(make_settings(tmp_path / "other", database_url), clock=clock, sender=FakeSender())
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            rounds = [
                (
                    pool.submit(hooks.app.dispatcher.claim, 40),
                    pool.submit(other.dispatcher.claim, 40),
                )
                for _ in range(5)
            ]
            claimed = [d.id for a, b in rounds for f in (a, b) for _, d in f.result()]
    finally:
        other.close()
    assert len(claimed) == len(set(claimed)) == 300  # each taken once; all taken in 10 x 40


async def test_expired_subscription_receives_nothing(hooks: Hooks) -> None:
    expiry = (hooks.clock.now() + timedelta(minutes=1)).isoformat()
    await hooks.subscribe(expirationTimeUtc=expiry)
    hooks.publish()
    await hooks.step()
    assert len(hooks.sender.notifications()) == 1
    hooks.clock.advance(120)
    hooks.publish()
    await hooks.step()
    assert len(hooks.sender.notifications()) == 1


async def test_routing_that_leases_every_new_delivery_wakes_no_dispatcher(hooks: Hooks) -> None:
    """The router leases what it routes in the same transaction: when it leases every new
    delivery, no dispatcher is woken to look for them (no claim and no due-time read after
    every routed event); when some are left for want of room, the dispatchers are woken."""
    await hooks.subscribe()
    dispatcher = hooks.app.dispatcher
    with hooks.app.database.wakeups.subscribe(DELIVERIES) as waiter:
        if hooks.app.database.engine.dialect.name == "postgresql":
            assert await waiter.wait(10)  # listening (it wakes everything once connected)
        hooks.publish()
        waiter.clear()

        def woken() -> bool:
            return waiter.is_set

        routed, claimed = dispatcher.route_and_claim(10)
        assert (routed, len(claimed)) == (1, 1)
        assert not woken()
        hooks.publish(2)
        routed, claimed = dispatcher.route_and_claim(1)  # room for one
        assert (routed, len(claimed)) == (2, 1)
        assert woken()
        waiter.clear()
        hooks.publish()
        assert dispatcher.route_once() == 1  # routed without leasing: woken
        assert woken()
