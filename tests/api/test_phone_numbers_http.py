"""The Phone Numbers API over HTTP: LRO headers, polling, paging and errors."""

from __future__ import annotations

import httpx
import pytest

from tests.services.conftest import Driver

pytestmark = pytest.mark.anyio
V = "?api-version=2025-06-01"
SEARCH = {
    "phoneNumberType": "tollFree",
    "assignmentType": "application",
    "capabilities": {"calling": "inbound", "sms": "inbound+outbound"},
    "areaCode": "844",
    "quantity": 2,
}


async def _done(http: httpx.AsyncClient, driver: Driver, location: str) -> dict[str, object]:
    await driver.settle()
    operation = (await http.get(location)).json()  # polled without api-version, as the SDK does
    assert operation["status"] in {"succeeded", "failed"}
    return dict(operation)


async def test_search_purchase_list_update_release(http: httpx.AsyncClient, driver: Driver) -> None:
    started = await http.post(f"/availablePhoneNumbers/countries/us/:search{V}", json=SEARCH)
    assert started.status_code == 202
    headers = started.headers
    operation_id = headers["operation-id"]
    assert headers["Operation-Location"] == f"/phoneNumbers/operations/{operation_id}"
    assert operation_id == f"search_{headers['search-id']}"
    assert headers["Location"] == f"/availablePhoneNumbers/searchResults/{headers['search-id']}"
    running = (await http.get(headers["Operation-Location"])).json()
    assert (running["status"], running["operationType"]) == ("running", "search")
    done = await _done(http, driver, headers["Operation-Location"])
    assert done["resourceLocation"] == headers["Location"]
    result = (await http.get(headers["Location"])).json()
    assert len(result["phoneNumbers"]) == 2
    assert result["cost"] == {"amount": 2.0, "currencyCode": "USD", "billingFrequency": "monthly"}
    assert result["searchExpiresBy"].endswith("+00:00")

    purchase = await http.post(
        f"/availablePhoneNumbers/:purchase{V}",
        json={"searchId": result["searchId"], "agreeToNotResell": True},
    )
    assert purchase.status_code == 202
    assert (await _done(http, driver, purchase.headers["Operation-Location"]))[
        "status"
    ] == "succeeded"

    first_page = (await http.get(f"/phoneNumbers{V}&top=1")).json()
    assert len(first_page["phoneNumbers"]) == 1 and "nextLink" in first_page
    everything = (await http.get(f"/phoneNumbers{V}")).json()["phoneNumbers"]
    assert {n["phoneNumber"] for n in everything} >= set(result["phoneNumbers"])

    number = result["phoneNumbers"][0]
    quoted = number.replace("+", "%2B")
    patched = await http.patch(
        f"/phoneNumbers/{quoted}/capabilities{V}",
        json={"sms": "outbound"},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 202
    assert patched.headers["Location"] == f"/phoneNumbers/{quoted}"
    await _done(http, driver, patched.headers["Operation-Location"])
    updated = (await http.get(patched.headers["Location"])).json()
    assert updated["capabilities"] == {"calling": "inbound", "sms": "outbound"}
    assert updated["id"] == number[1:]

    released = await http.delete(f"/phoneNumbers/{quoted}{V}")
    assert released.status_code == 202
    await _done(http, driver, released.headers["Operation-Location"])
    assert (await http.get(f"/phoneNumbers/{quoted}{V}")).status_code == 404


async def test_failed_operation_carries_the_error(http: httpx.AsyncClient, driver: Driver) -> None:
    started = await http.post(
        f"/availablePhoneNumbers/countries/US/:search{V}", json={**SEARCH, "areaCode": "999"}
    )
    done = await _done(http, driver, started.headers["Operation-Location"])
    assert done["status"] == "failed"
    assert done["error"]["code"] == "OutOfStock"  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({**SEARCH, "phoneNumberType": "satellite"}, "phoneNumberType"),
        ({**SEARCH, "assignmentType": "robot"}, "assignmentType"),
        ({**SEARCH, "capabilities": {"calling": "x", "sms": "inbound"}}, "capabilities.calling"),
        ({**SEARCH, "quantity": 0}, "quantity"),
        ({**SEARCH, "phoneNumberType": "shortCode"}, "cannot be searched"),
        ({"assignmentType": "application"}, "phoneNumberType"),
    ],
)
async def test_bad_searches(
    http: httpx.AsyncClient, body: dict[str, object], fragment: str
) -> None:
    response = await http.post(f"/availablePhoneNumbers/countries/US/:search{V}", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


async def test_errors_and_inventory(http: httpx.AsyncClient) -> None:
    unknown = await http.post(f"/availablePhoneNumbers/:purchase{V}", json={"searchId": "nope"})
    assert unknown.status_code == 404
    assert (await http.get("/phoneNumbers/operations/nope")).status_code == 404
    assert (await http.delete(f"/phoneNumbers/%2B18009999999{V}")).status_code == 404
    empty = await http.patch(f"/phoneNumbers/%2B18005550100/capabilities{V}", json={})
    assert empty.status_code == 400
    countries = (await http.get(f"/availablePhoneNumbers/countries{V}")).json()["countries"]
    assert {"localizedName": "Italy", "countryCode": "IT"} in countries
    codes = (
        await http.get(f"/availablePhoneNumbers/countries/US/areaCodes{V}&phoneNumberType=tollFree")
    ).json()["areaCodes"]
    assert {"areaCode": "800"} in codes
    offerings = (await http.get(f"/availablePhoneNumbers/countries/GB/offerings{V}")).json()
    assert {o["phoneNumberType"] for o in offerings["phoneNumberOfferings"]} == {
        "geographic",
        "tollFree",
        "mobile",
    }
