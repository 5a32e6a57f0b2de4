"""The console's number lists over HTTP: ``q`` searches purchased numbers and handsets by
digits, pages keep the search, and a search with no digits matches sender ids by text."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio
V = "?api-version=2025-06-01"


async def test_purchased_numbers_search_and_page(http: httpx.AsyncClient) -> None:
    for i in range(5):
        number = {"phoneNumber": f"+1844555{i:04d}", "phoneNumberType": "tollFree"}
        assert (await http.post("/tidings/numbers", json=number)).status_code == 201
    sender = {"phoneNumber": "CONTOSO", "phoneNumberType": "alphanumeric", "sms": "outbound"}
    assert (await http.post("/tidings/numbers", json=sender)).status_code == 201

    page = (await http.get(f"/phoneNumbers{V}&q=844-555-000&top=2")).json()
    assert [n["phoneNumber"] for n in page["phoneNumbers"]] == ["+18445550000", "+18445550001"]
    assert "q=844-555-000" in page["nextLink"]  # the next page keeps the search
    rest = (await http.get(page["nextLink"])).json()
    assert [n["phoneNumber"] for n in rest["phoneNumbers"]] == ["+18445550002", "+18445550003"]
    last = (await http.get(rest["nextLink"])).json()
    assert [n["phoneNumber"] for n in last["phoneNumbers"]] == ["+18445550004"]
    assert "nextLink" not in last or last["nextLink"] is None

    found = (await http.get(f"/phoneNumbers{V}&q=contoso")).json()["phoneNumbers"]
    assert [n["phoneNumber"] for n in found] == ["CONTOSO"]
    assert (await http.get(f"/phoneNumbers{V}&q=999")).json()["phoneNumbers"] == []
    assert (await http.get(f"/phoneNumbers{V}&q=%25")).json()["phoneNumbers"] == []
    everything = (await http.get(f"/phoneNumbers{V}&q=")).json()["phoneNumbers"]
    assert len(everything) == len((await http.get(f"/phoneNumbers{V}")).json()["phoneNumbers"])
    assert len(everything) >= 6


async def test_handsets_search_and_page(http: httpx.AsyncClient) -> None:
    for i in range(4):
        put = await http.put(f"/tidings/simulator/handsets/+1555555{i:04d}", json={})
        assert put.status_code in {200, 201}
    await http.put("/tidings/simulator/handsets/+14255550199", json={})

    def numbers(response: httpx.Response) -> list[str]:
        assert response.status_code == 200
        return sorted(h["number"] for h in response.json()["value"])

    found = numbers(await http.get("/tidings/simulator/handsets", params={"q": "(555) 555"}))
    assert found == [f"+1555555{i:04d}" for i in range(4)]
    first = numbers(await http.get("/tidings/simulator/handsets?q=5555&limit=3"))
    rest = numbers(await http.get("/tidings/simulator/handsets?q=5555&limit=3&offset=3"))
    assert len(first) == 3 and len(rest) == 2 and not set(first) & set(rest)
    assert numbers(await http.get("/tidings/simulator/handsets?q=425")) == ["+14255550199"]
    assert numbers(await http.get("/tidings/simulator/handsets?q=777")) == []
    assert len(numbers(await http.get("/tidings/simulator/handsets"))) == 5
