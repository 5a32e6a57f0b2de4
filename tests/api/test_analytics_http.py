"""``GET /tidings/analytics`` over HTTP: JSON, CSV and every kind of bad question."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from tests.analytics_seed import P3, A, B, at, inbound, seed
from tidings.container import Application

pytestmark = pytest.mark.anyio
RANGE = {"from": "2026-11-20T00:00:00Z", "to": "2026-11-23T00:00:00Z"}


async def test_json(http: httpx.AsyncClient, sqlite_application: Application) -> None:
    seed(sqlite_application)
    response = await http.get("/tidings/analytics", params={**RANGE, "number": B})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["number"], body["tag"], body["bucket"]) == (B, None, "day")
    assert body["totals"]["sent"] == 3
    assert [s["sent"] for s in body["series"]] == [0, 1, 2]  # o4 / o5 o6


async def test_csv_tables(http: httpx.AsyncClient, sqlite_application: Application) -> None:
    seed(sqlite_application)
    response = await http.get("/tidings/analytics", params={**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "tidings-series-2026-11-20-2026-11-23.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["start", "sent", "received", "delivered", "failed", "segments", "optOuts", "optIns"],
        ["2026-11-20T00:00:00Z", "2", "2", "2", "0", "3", "1", "0"],
        ["2026-11-21T00:00:00Z", "2", "2", "1", "1", "2", "0", "1"],
        ["2026-11-22T00:00:00Z", "2", "0", "0", "1", "4", "1", "0"],
    ]
    by_number = await http.get(
        "/tidings/analytics", params={**RANGE, "format": "csv", "table": "byNumber"}
    )
    assert list(csv.reader(io.StringIO(by_number.text)))[1:] == [
        [A, "3", "3", "2", "1", str(2 / 3)],
        [B, "3", "1", "1", "1", "0.5"],
    ]
    keywords = await http.get(
        "/tidings/analytics", params={**RANGE, "format": "csv", "table": "topKeywords"}
    )
    assert keywords.text.splitlines()[:2] == ["keyword,count", "STOP,2"]


async def test_empty_database(http: httpx.AsyncClient) -> None:
    response = await http.get("/tidings/analytics")
    assert response.status_code == 200
    body = response.json()
    assert len(body["series"]) == 8 and all(s["sent"] == 0 for s in body["series"])
    assert body["totals"]["deliveryRate"] is None
    csv_text = (
        await http.get("/tidings/analytics", params={"format": "csv", "table": "byTag"})
    ).text
    assert csv_text == "tag,sent,delivered,failed,deliveryRate\r\n"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "last week"}, "from must be an ISO 8601 instant"),
        ({"to": "2026-11-31T00:00:00Z"}, "to must be an ISO 8601 instant"),
        ({"from": "2026-11-23T00:00:00Z", "to": "2026-11-20T00:00:00Z"}, "earlier than to"),
        ({"bucket": "month"}, "bucket must be one of hour, day, week"),
        ({"format": "xml"}, "format must be json or csv"),
        ({"format": "csv", "table": "everything"}, "table must be one of series, byNumber"),
        (
            {"from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z", "bucket": "hour"},
            "Use a larger bucket",
        ),
    ],
)
async def test_bad_questions(http: httpx.AsyncClient, params: dict[str, str], words: str) -> None:
    response = await http.get("/tidings/analytics", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "InvalidParameter"
    assert words in error["message"]


async def test_needs_authentication(sqlite_application: Application) -> None:
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://tidings.test") as client:
        response = await client.get("/tidings/analytics")
    assert response.status_code == 401


async def test_csv_cells_are_not_formulas(
    http: httpx.AsyncClient, sqlite_application: Application
) -> None:
    seed(sqlite_application)
    sqlite_application.services.store.write(
        lambda tx: tx.messages.add_many(
            [(inbound("i9", P3, A, at(21, 12), '=HYPERLINK("http://x")'), None)]
        )
    )
    response = await http.get(
        "/tidings/analytics", params={**RANGE, "format": "csv", "table": "topKeywords"}
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert ['\'=HYPERLINK("HTTP://X")', "1"] in rows
    by_number = await http.get(
        "/tidings/analytics", params={**RANGE, "format": "csv", "table": "byNumber"}
    )
    assert by_number.text.splitlines()[1].startswith("+18005550100,")  # numbers stay numbers
