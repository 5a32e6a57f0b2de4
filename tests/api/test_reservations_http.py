"""Reservations, browse and the listings on the wire: statuses, headers and bodies the SDK
hides (201 with Location, 207, nextLink, Cache-Control, LRO headers)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.services.conftest import Driver

pytestmark = pytest.mark.anyio
V = "?api-version=2025-06-01"
R = "/availablePhoneNumbers/reservations"
MERGE = {"Content-Type": "application/merge-patch+json"}


async def _browse(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await http.post(
        f"/availablePhoneNumbers/countries/US/:browse{V}", json={"phoneNumberType": "tollFree"}
    )
    assert response.status_code == 200
    numbers: list[dict[str, Any]] = response.json()["phoneNumbers"]
    return numbers


def _as_sent(number: dict[str, Any]) -> dict[str, Any]:
    """What the SDK sends for a number to add: the members that are not read-only."""
    return {
        k: number[k] for k in ("countryCode", "capabilities", "phoneNumberType", "assignmentType")
    }


async def test_reservation_on_the_wire(http: httpx.AsyncClient, driver: Driver) -> None:
    first, second = (await _browse(http))[:2]
    assert set(first) == {
        "id",
        "countryCode",
        "phoneNumber",
        "capabilities",
        "phoneNumberType",
        "assignmentType",
        "cost",
        "status",
        "isAgreementToNotResellRequired",
    }
    rid = str(uuid.uuid4())
    created = await http.patch(f"{R}/{rid}{V}", json={"phoneNumbers": {}}, headers=MERGE)
    assert created.status_code == 201
    assert created.headers["Location"] == f"{R}/{rid}"
    assert created.headers["api-supported-versions"].endswith("2025-06-01")
    body = created.json()
    assert (body["id"], body["status"], body["phoneNumbers"]) == (rid, "active", {})
    assert body["expiresAt"].endswith("+00:00")

    added = await http.patch(
        f"{R}/{rid}{V}", json={"phoneNumbers": {first["id"]: _as_sent(first)}}, headers=MERGE
    )
    assert added.status_code == 200
    held = added.json()["phoneNumbers"][first["id"]]
    assert {**held, "status": "available"} == first
    assert held["status"] == "reserved"

    other = str(uuid.uuid4())
    partial = await http.patch(
        f"{R}/{other}{V}",
        json={"phoneNumbers": {first["id"]: _as_sent(first), second["id"]: _as_sent(second)}},
        headers=MERGE,
    )
    assert partial.status_code == 207
    failed = partial.json()["phoneNumbers"][first["id"]]
    assert failed["status"] == "error"
    assert failed["error"]["code"] == "FailedToReserveNumber"
    assert failed["error"]["message"].startswith("Failed to add the number to the reservation.")

    removed = await http.patch(
        f"{R}/{rid}{V}", json={"phoneNumbers": {first["id"]: None}}, headers=MERGE
    )
    assert (removed.status_code, removed.json()["phoneNumbers"]) == (200, {})

    page = await http.get(f"{R}{V}&maxPageSize=1")
    listed = page.json()
    assert [set(r) for r in listed["reservations"]] == [{"id", "expiresAt", "status"}]
    link = urlsplit(listed["nextLink"])
    second_page = (await http.get(f"{link.path}?{link.query}")).json()
    assert second_page["nextLink"] is None
    assert {r["id"] for r in listed["reservations"] + second_page["reservations"]} == {rid, other}

    purchase = await http.post(f"{R}/{other}/:purchase{V}", json={"agreeToNotResell": False})
    assert purchase.status_code == 202
    headers = purchase.headers
    assert headers["operation-id"].startswith("reservationPurchase_")
    assert headers["Operation-Location"] == f"/phoneNumbers/operations/{headers['operation-id']}"
    assert headers["operation-id"] == f"reservationPurchase_{headers['reservation-purchase-id']}"
    await driver.settle()
    operation = (await http.get(headers["Operation-Location"])).json()
    assert (operation["operationType"], operation["status"]) == ("reservationPurchase", "succeeded")

    deleted = await http.delete(f"{R}/{rid}{V}")
    assert deleted.status_code == 204
    gone = await http.get(f"{R}/{rid}{V}")
    assert gone.status_code == 404
    assert gone.json() == {
        "error": {
            "code": "ReservationNotFound",
            "message": "The reservation was not found and the operation could not be completed.",
        }
    }


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"phoneNumbers": {"18005550100": {"countryCode": "US"}}}, None),
        (
            {
                "phoneNumbers": {
                    "18005550100": {
                        "countryCode": "US",
                        "capabilities": {"calling": "none", "sms": "outbound"},
                        "phoneNumberType": "satellite",
                        "assignmentType": "application",
                    }
                }
            },
            "phoneNumbers.18005550100.phoneNumberType",
        ),
        ({"phoneNumbers": {"+18005550100": None}}, "phoneNumbers"),
        ({"phoneNumbers": []}, None),
    ],
)
async def test_bad_reservation_bodies(
    http: httpx.AsyncClient, body: dict[str, Any], target: str | None
) -> None:
    rid = str(uuid.uuid4())
    response = await http.patch(f"{R}/{rid}{V}", json=body, headers=MERGE)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.get("target") == target
    assert (await http.get(f"{R}/{rid}{V}")).status_code == 404  # nothing half-written


async def test_listings_on_the_wire(http: httpx.AsyncClient) -> None:
    path = "/availablePhoneNumbers/countries/US/areaCodes"
    first = await http.get(f"{path}{V}&phoneNumberType=tollFree&maxPageSize=4")
    assert first.headers["Cache-Control"] == "max-age=21600, private, stale-while-revalidate=86400"
    body = first.json()
    assert [a["areaCode"] for a in body["areaCodes"]] == ["800", "833", "844", "855"]
    link = urlsplit(body["nextLink"])
    assert link.path == path and "phoneNumberType=tollFree" in link.query
    rest = (await http.get(f"{link.path}?{link.query}")).json()
    assert ([a["areaCode"] for a in rest["areaCodes"]], rest["nextLink"]) == (
        ["866", "877", "888"],
        None,
    )
    localities = (await http.get(f"/availablePhoneNumbers/countries/IE/localities{V}")).json()
    assert {"localizedName": "Dublin", "administrativeDivision": None} in localities[
        "phoneNumberLocalities"
    ]
    for bad in ("maxPageSize=0", "skip=-1", "phoneNumberType=satellite"):
        response = await http.get(f"/availablePhoneNumbers/countries/US/offerings{V}&{bad}")
        assert response.status_code == 400
    missing = await http.get(f"{path}{V}")
    assert missing.json()["error"]["target"] == "phoneNumberType"
    operator = await http.post(
        f"/operatorInformation/:search{V}", json={"phoneNumbers": ["+18881231875"]}
    )
    assert operator.json() == {
        "values": [
            {
                "phoneNumber": "+18881231875",
                "nationalFormat": "(888) 123-1875",
                "internationalFormat": "+1 888-123-1875",
                "isoCountryCode": None,
                "numberType": None,
                "operatorDetails": None,
            }
        ]
    }
    unknown = await http.get("/phoneNumbers/%2B18005550999" + V)
    assert unknown.status_code == 404 and "api-supported-versions" in unknown.headers
