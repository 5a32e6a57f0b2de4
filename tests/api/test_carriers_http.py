"""``/tidings/carriers`` and ``/tidings/routes`` over HTTP (httpx, HMAC)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.carrier_fakes import FakeCarrier
from tests.conftest import ACCESS_KEY, FakeClock, make_settings
from tests.services.conftest import Driver
from tidings.client import HmacAuth
from tidings.container import Application, build

pytestmark = pytest.mark.anyio
CARRIERS = "/tidings/carriers"
ROUTES = "/tidings/routes"
T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Bind:
    carrier: str
    bind: str
    mode: str = "transceiver"
    state: str = "bound"
    owner: str | None = "worker-1"
    last_error: str | None = None
    last_status: int | None = None
    since: datetime = T0
    window_used: int = 3
    submitted: int = 120
    updated_at: datetime = T0


class Binds:
    def __init__(self) -> None:
        self.items: list[Bind] = []

    def all(self) -> Sequence[Bind]:
        return self.items


def _test_options(options: Mapping[str, Any]) -> object:
    if "host" not in options:
        raise ValueError("host is required.")
    if not isinstance(options.get("port", 2775), int):
        raise ValueError("port must be an integer.")
    return options


@pytest.fixture
def binds() -> Binds:
    return Binds()


@pytest.fixture
def app(tmp_path: Path, clock: FakeClock, binds: Binds) -> Iterator[Application]:
    application = build(
        make_settings(tmp_path),
        clock=clock,
        binds=binds,
        kinds={"test": (_test_options, FakeCarrier)},
    )
    application.migrate()
    application.bootstrap()
    yield application
    application.close()


@pytest.fixture
async def http(app: Application, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app.asgi()),
        base_url="http://tidings.test",
        auth=HmacAuth(ACCESS_KEY, now=clock.now),
    ) as client:
        yield client


ACME = {
    "name": "Acme",
    "kind": "test",
    "options": {"host": "smsc.example.net", "port": 2775, "password": "s3cret-pw"},
}


async def test_carrier_crud_with_the_password_never_shown(
    http: httpx.AsyncClient, binds: Binds
) -> None:
    created = await http.post(CARRIERS, json=ACME)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "acme" and body["version"] == 1 and body["enabled"] is True
    assert body["options"] == {"host": "smsc.example.net", "port": 2775, "password": "********"}
    binds.items.append(Bind("acme", "0:trx", last_error="bind refused", last_status=0x0E))
    listed = await http.get(CARRIERS)
    assert [c["name"] for c in listed.json()["value"]] == ["acme", "simulator"]
    assert "test" in listed.json()["kinds"] and "simulator" in listed.json()["kinds"]
    [bind] = listed.json()["value"][0]["binds"]
    assert bind["state"] == "bound" and bind["lastStatus"] == 14 and bind["windowUsed"] == 3
    # The mask sent back (as a form would) keeps the stored password.
    patched = await http.patch(
        f"{CARRIERS}/acme", json={"options": {**body["options"], "port": 2776}, "enabled": False}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2 and patched.json()["enabled"] is False
    for response in (created, listed, patched, await http.get(f"{CARRIERS}/acme")):
        assert "s3cret-pw" not in response.text
    assert (await http.delete(f"{CARRIERS}/acme")).status_code == 204
    missing = await http.get(f"{CARRIERS}/acme")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "CarrierNotFound"


async def test_the_stored_password_survives_a_masked_round_trip(
    http: httpx.AsyncClient, app: Application
) -> None:
    await http.post(CARRIERS, json=ACME)
    shown = (await http.get(f"{CARRIERS}/acme")).json()["options"]
    await http.patch(f"{CARRIERS}/acme", json={"options": shown})
    assert app.services.carriers.get("acme").options["password"] == "s3cret-pw"


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({**ACME, "name": "no spaces"}, 400, "InvalidParameter", "carrier name"),
        ({**ACME, "kind": "smtp"}, 400, "InvalidParameter", "kind must be one of"),
        ({**ACME, "options": {"port": 1}}, 400, "InvalidParameter", "options: host is required"),
        ({**ACME, "options": {"host": "h", "port": "x"}}, 400, "InvalidParameter", "port"),
        ({**ACME, "colour": "red"}, 400, None, "colour"),
        ({"kind": "test"}, 400, None, "name"),
        ({**ACME, "name": "simulator"}, 409, "CarrierExists", "exists"),
    ],
)
async def test_bad_carriers_get_acs_errors(
    http: httpx.AsyncClient, body: dict[str, Any], status: int, code: str | None, words: str
) -> None:
    response = await http.post(CARRIERS, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"code", "message"} and words in error["message"]
    if code:
        assert error["code"] == code
    names = [c["name"] for c in (await http.get(CARRIERS)).json()["value"]]
    assert names == ["simulator"]  # nothing half-written


async def test_malformed_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        CARRIERS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "error" in response.json()


async def test_routes_crud_in_routing_order(http: httpx.AsyncClient) -> None:
    await http.post(CARRIERS, json=ACME)
    added = await http.post(
        ROUTES, json={"carriers": ["acme", "simulator"], "prefix": "39", "strategy": "round-robin"}
    )
    assert added.status_code == 201, added.text
    route = added.json()
    assert route["prefix"] == "+39" and route["strategy"] == "round-robin"
    assert route["carriers"] == ["acme", "simulator"] and route["numberType"] is None
    listed = (await http.get(ROUTES)).json()["value"]
    assert [r["id"] for r in listed] == [route["id"], 1]
    assert (await http.get(f"{ROUTES}/{route['id']}")).json() == route
    carrier = (await http.get(f"{CARRIERS}/acme")).json()
    assert carrier["routes"] == [route["id"]]
    in_use = await http.delete(f"{CARRIERS}/acme")
    assert in_use.status_code == 409 and in_use.json()["error"]["code"] == "CarrierInUse"
    assert (await http.delete(f"{ROUTES}/{route['id']}")).status_code == 204
    gone = await http.delete(f"{ROUTES}/{route['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "RouteNotFound"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"carriers": []}, "at least one carrier"),
        ({"carriers": ["nope"]}, "no carrier named 'nope'"),
        ({"carriers": ["simulator"], "prefix": "+3x"}, "prefix"),
        ({"carriers": ["simulator"], "strategy": "random"}, "strategy"),
        ({"carriers": ["simulator"], "numberType": "landline"}, "numberType"),
        ({"carriers": ["simulator"], "destination": "+39"}, "destination"),
        ({"carriers": "simulator"}, "carriers"),
    ],
)
async def test_bad_routes_get_acs_errors(
    http: httpx.AsyncClient, body: dict[str, Any], words: str
) -> None:
    response = await http.post(ROUTES, json=body)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]
    assert len((await http.get(ROUTES)).json()["value"]) == 1


async def test_a_bad_route_id_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.get(f"{ROUTES}/abc")
    assert response.status_code == 400 and "route id" in response.json()["error"]["message"]


async def test_the_registry_needs_hmac(http: httpx.AsyncClient) -> None:
    for method, path in (("GET", CARRIERS), ("POST", ROUTES), ("DELETE", f"{CARRIERS}/x")):
        response = await http.request(method, path, auth=None)
        assert response.status_code == 401


async def test_openapi_describes_the_registry(http: httpx.AsyncClient) -> None:
    document = (await http.get("/openapi.json", auth=None)).json()
    carriers = document["paths"]["/tidings/carriers"]
    assert carriers["post"]["summary"] == "Add a carrier"
    assert carriers["post"]["responses"]["201"]
    assert set(document["paths"]["/tidings/routes/{route_id}"]) == {"get", "patch", "delete"}
    assert "CarrierRequest" in document["components"]["schemas"]
    assert document["paths"]["/tidings/carriers/{name}"]["patch"]["security"] == [{"hmac": []}]


async def test_messages_show_the_carrier_they_went_to(
    http: httpx.AsyncClient, app: Application, clock: FakeClock
) -> None:
    sent = await http.post(
        "/sms?api-version=2021-03-07",
        json={"from": "+18005550100", "smsRecipients": [{"to": "+14255550100"}], "message": "x"},
    )
    message_id = sent.json()["value"][0]["messageId"]
    await Driver(app, clock).settle()
    body = (await http.get(f"/tidings/messages/{message_id}")).json()
    assert body["carrier"] == "simulator" and body["carrierMessageId"].startswith("sim-")


async def test_a_route_is_patched_in_place(http: httpx.AsyncClient) -> None:
    await http.post(CARRIERS, json=ACME)
    route = (await http.post(ROUTES, json={"carriers": ["acme"], "prefix": "+39"})).json()
    patched = await http.patch(
        f"{ROUTES}/{route['id']}",
        json={"carriers": ["acme", "simulator"], "strategy": "round-robin", "sender": "12345"},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["id"] == route["id"] and body["prefix"] == "+39" and body["sender"] == "12345"
    assert body["carriers"] == ["acme", "simulator"] and body["strategy"] == "round-robin"
    cleared = await http.patch(f"{ROUTES}/{route['id']}", json={"sender": None})
    assert cleared.json()["sender"] is None
    bad = await http.patch(f"{ROUTES}/{route['id']}", json={"prefix": "+3x"})
    assert bad.status_code == 400 and "prefix" in bad.json()["error"]["message"]
    unknown = await http.patch(f"{ROUTES}/{route['id']}", json={"destination": "+1"})
    assert unknown.status_code == 400
    missing = await http.patch(f"{ROUTES}/999", json={"priority": 1})
    assert missing.status_code == 404
    assert (await http.get(f"{ROUTES}/{route['id']}")).json() == cleared.json()
