"""The carrier registry and routing through services, worker and simulated carriers."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock, make_settings
from tests.services.conftest import Driver
from tidings.container import Application, build
from tidings.domain.carriers import MASK
from tidings.domain.events import SMS_DELIVERY_REPORT_RECEIVED
from tidings.domain.messages import SEND_JOB, MessageStatus
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.services.sms import Recipient, SendRequest

pytestmark = pytest.mark.anyio
SENDER = "+18005550100"


@pytest.fixture
def app(tmp_path: Path, database_url: str, clock: FakeClock) -> Iterator[Application]:
    settings = make_settings(
        tmp_path, database_url, carrier_refresh_seconds=0.0, unroutable_deadline_seconds=600.0
    )
    application = build(settings, clock=clock)
    application.migrate()
    application.bootstrap()
    yield application
    application.close()


@pytest.fixture
def run(app: Application, clock: FakeClock) -> Driver:
    return Driver(app, clock)


def _send(app: Application, to: str) -> str:
    request = SendRequest(
        sender=SENDER, recipients=[Recipient(to)], message="Hi", enable_delivery_report=True
    )
    [result] = app.services.sms.send(request)
    assert result.message_id is not None
    return result.message_id


def test_carrier_crud_versions_merges_and_keeps_secrets(app: Application) -> None:
    carriers = app.services.carriers
    added = carriers.add("Sim2", "simulator", {"delay_seconds": 1})
    assert (added.name, added.version, dict(added.options)) == ("sim2", 1, {"delay_seconds": 1})
    with pytest.raises(Conflict):
        carriers.add("sim2", "simulator")
    with pytest.raises(Conflict):
        carriers.add("simulator", "simulator")
    changed = carriers.update("sim2", options={"delay_seconds": 2}, enabled=False)
    assert (changed.version, changed.enabled, changed.options["delay_seconds"]) == (2, False, 2)
    assert carriers.update("sim2", options={"delay_seconds": None}).options == {}
    assert [c.name for c in carriers.all()] == ["sim2", "simulator"]
    carriers.remove("sim2")
    with pytest.raises(NotFound):
        carriers.get("sim2")


def test_the_mask_sent_back_keeps_the_stored_secret(app: Application) -> None:
    carriers = app.services.carriers
    carriers._validators["test"] = lambda options: options  # a kind with a password
    carriers.add("acme", "test", {"password": "s3cret", "host": "a"})
    shown = carriers.get("acme").masked_options()
    assert shown == {"password": MASK, "host": "a"}
    carriers.update("acme", options={**shown, "host": "b"})
    assert dict(carriers.get("acme").options) == {"password": "s3cret", "host": "b"}
    carriers.update("acme", options={"password": "new"})
    assert carriers.get("acme").options["password"] == "new"


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("smtp", {}, "kind must be one of simulator"),
        ("simulator", {"delay_seconds": -1}, "options: delay_seconds"),
        ("simulator", {"colour": "red"}, "options: colour"),
        ("simulator", ["not", "an", "object"], "options must be a JSON object"),
    ],
)
def test_bad_carriers_are_refused_naming_the_field(
    app: Application, kind: str, options: object, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        app.services.carriers.add("acme", kind, options)
    assert [c.name for c in app.services.carriers.all()] == ["simulator"]


def test_routes_need_known_carriers_and_differ_from_each_other(app: Application) -> None:
    carriers = app.services.carriers
    with pytest.raises(InvalidInput, match="no carrier named 'acme'"):
        carriers.add_route(["acme"], prefix="+39")
    carriers.add("acme", "simulator")
    route = carriers.add_route(["acme"], prefix="39")
    assert route.spec.prefix == "+39"
    with pytest.raises(Conflict, match=f"Route {route.id}"):
        carriers.add_route(["simulator"], prefix="+39")
    with pytest.raises(Conflict, match="used by route"):
        carriers.remove("acme")
    with pytest.raises(Conflict, match="built in"):
        carriers.remove("simulator")
    assert [r.id for r in carriers.routes()] == [route.id, 1]  # the best first
    carriers.remove_route(route.id)
    with pytest.raises(NotFound):
        carriers.remove_route(route.id)
    carriers.remove("acme")


async def test_a_message_goes_to_the_carrier_its_route_picks(app: Application, run: Driver) -> None:
    app.services.carriers.add("sim2", "simulator")
    app.services.carriers.add_route(["sim2"], prefix="+1425")
    routed, default = _send(app, "+14255550111"), _send(app, "+15555550111")
    await run.settle()
    await run.settle(advance=1.0)
    queries = app.services.queries
    assert queries.message(routed).carrier == "sim2"
    assert queries.message(default).carrier == "simulator"
    assert {queries.message(i).status for i in (routed, default)} == {MessageStatus.DELIVERED}


async def test_a_message_without_a_route_waits_and_leaves_once_one_exists(
    app: Application, run: Driver
) -> None:
    app.services.carriers.remove_route(1)
    message_id = _send(app, "+15555550111")
    await run.settle()
    queries = app.services.queries
    assert queries.message(message_id).status is MessageStatus.QUEUED
    await run.settle(advance=300.0)  # retried, still nowhere to go
    assert queries.message(message_id).status is MessageStatus.QUEUED
    app.services.carriers.add_route(["simulator"])
    await run.settle(advance=30.0)
    await run.settle(advance=1.0)
    message = queries.message(message_id)
    assert (message.status, message.carrier) == (MessageStatus.DELIVERED, "simulator")


async def test_past_the_deadline_a_message_without_a_route_fails_with_a_report(
    app: Application, run: Driver
) -> None:
    app.services.carriers.remove_route(1)
    message_id = _send(app, "+15555550111")
    for _ in range(19):  # tried far more often than the worker's 8 attempts allow
        await run.settle(advance=30.0)
    assert app.services.queries.message(message_id).status is MessageStatus.QUEUED
    await run.settle(advance=40.0)  # past the 600 s deadline
    message = app.services.queries.message(message_id)
    assert message.status is MessageStatus.FAILED
    assert message.delivery_status_details == "4003: Unsupported destination"
    [report] = run.events(SMS_DELIVERY_REPORT_RECEIVED)
    assert report["data"]["DeliveryStatusDetails"] == "4003: Unsupported destination"
    assert app.services.store.read(lambda tx: tx.jobs.pending_payloads(SEND_JOB)) == []


async def test_a_disabled_carrier_holds_its_messages_then_they_fail_as_unavailable(
    app: Application, run: Driver
) -> None:
    app.services.carriers.update("simulator", enabled=False)
    message_id = _send(app, "+15555550111")
    await run.settle(advance=590.0)
    assert app.services.queries.message(message_id).status is MessageStatus.QUEUED
    await run.settle(advance=30.0)
    message = app.services.queries.message(message_id)
    assert message.delivery_status_details == "5001: Destination temporarily unavailable"


async def test_a_route_changed_in_place_sends_the_next_messages_its_new_way(
    app: Application, run: Driver
) -> None:
    carriers = app.services.carriers
    carriers.add("sim2", "simulator")
    route = carriers.add_route(["simulator"], prefix="+1425")
    changed = carriers.update_route(route.id, {"carriers": ["sim2"], "prefix": "+1"})
    assert (changed.id, changed.spec.carriers, changed.spec.prefix) == (route.id, ("sim2",), "+1")
    message_id = _send(app, "+14255550111")
    await run.settle()
    assert app.services.queries.message(message_id).carrier == "sim2"
    cleared = carriers.update_route(route.id, {"prefix": None, "sender": SENDER})
    assert (cleared.spec.prefix, cleared.spec.sender) == ("", SENDER)
    with pytest.raises(Conflict, match="Route 1 matches the same messages"):
        carriers.update_route(route.id, {"sender": None})
    with pytest.raises(InvalidInput, match="no carrier named 'ghost'"):
        carriers.update_route(route.id, {"carriers": ["ghost"]})
    with pytest.raises(InvalidInput, match="colour: not a field"):
        carriers.update_route(route.id, {"colour": "red"})
    with pytest.raises(NotFound):
        carriers.update_route(999, {"priority": 1})
    assert carriers.get_route(route.id) == cleared  # refused changes changed nothing


def test_concurrent_changes_never_leave_a_route_to_a_removed_carrier(app: Application) -> None:
    carriers = app.services.carriers
    for round_ in range(15):
        name = f"c{round_}"
        carriers.add(name, "simulator")
        barrier = threading.Barrier(2)

        def remove(n: str = name, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            with contextlib.suppress(Conflict):
                carriers.remove(n)

        def route(n: str = name, r: int = round_, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            with contextlib.suppress(InvalidInput):
                carriers.add_route([n], prefix=f"+{r + 10}")

        threads = [threading.Thread(target=remove), threading.Thread(target=route)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    known = {c.name for c in carriers.all()}
    assert all(set(r.spec.carriers) <= known for r in carriers.routes())
