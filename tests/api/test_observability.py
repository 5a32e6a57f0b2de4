"""/metrics after real requests, request ids, structured logs."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.services.conftest import Driver
from tidings import logs
from tidings.api import observability

pytestmark = pytest.mark.anyio
SEND = "/sms?api-version=2021-03-07"
BODY = {"from": "+18005550100", "smsRecipients": [{"to": "+15555550111"}], "message": "hi"}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if metric.split("{")[0] == name and found == labels:
            return float(value)
    return None


@pytest.fixture(autouse=True)
def fresh_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(observability, "SNAPSHOT_TTL", 0.0)


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics", auth=None)  # public, like /healthz
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_http_counters_move_with_requests(http: httpx.AsyncClient) -> None:
    route = {"route": "/tidings/analytics", "method": "GET"}
    before = sample(await scrape(http), "tidings_http_requests_total", **route, status="200")
    assert before is None
    for _ in range(3):
        assert (await http.get("/tidings/analytics")).status_code == 200
    assert (await http.get("/tidings/analytics", params={"bucket": "x"})).status_code == 400
    assert (await http.get("/tidings/analytics", auth=None)).status_code == 401
    text = await scrape(http)
    assert sample(text, "tidings_http_requests_total", **route, status="200") == 3
    assert sample(text, "tidings_http_requests_total", **route, status="400") == 1
    unmatched = {"route": "unmatched", "method": "GET", "status": "401"}
    assert sample(text, "tidings_http_requests_total", **unmatched) == 1
    assert sample(text, "tidings_http_request_duration_seconds_count", **route) == 4


async def test_message_queue_and_carrier_gauges(http: httpx.AsyncClient, driver: Driver) -> None:
    assert (await http.post(SEND, json=BODY)).status_code == 202
    text = await scrape(http)
    queued = {"direction": "outbound", "status": "queued", "number_type": "tollFree"}
    assert sample(text, "tidings_messages", **queued) == 1
    assert sample(text, "tidings_queue_jobs", state="pending") == 1
    await driver.settle()
    await driver.settle(advance=30)
    text = await scrape(http)
    delivered = {**queued, "status": "delivered"}
    assert sample(text, "tidings_messages", **queued) is None
    assert sample(text, "tidings_messages", **delivered) == 1
    assert sample(text, "tidings_queue_jobs", state="pending") == 0
    assert sample(text, "tidings_carrier_reports_recent") == 1
    p50 = sample(text, "tidings_carrier_latency_seconds", quantile="0.5")
    assert p50 is not None and p50 >= 0
    assert sample(text, "tidings_webhook_dead_letters") is None  # no subscriptions


async def test_request_ids(http: httpx.AsyncClient) -> None:
    response = await http.get("/tidings/analytics", headers={"x-ms-client-request-id": "abc-1"})
    assert response.headers["x-ms-client-request-id"] == "abc-1"
    assert response.headers["x-ms-request-id"] == "abc-1"
    response = await http.get("/tidings/analytics")
    assert "x-ms-client-request-id" not in response.headers
    uuid.UUID(response.headers["x-ms-request-id"])
    unusable = await http.get("/healthz", headers={"x-ms-client-request-id": "x" * 200})
    assert unusable.headers["x-ms-request-id"] != "x" * 200
    denied = await http.get("/tidings/analytics", auth=None)
    assert denied.status_code == 401 and denied.headers["x-ms-request-id"]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    logs.configure("debug", "json", stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_json_logs_carry_the_request_id(
    http: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    await http.get("/tidings/analytics", headers={"x-ms-client-request-id": "req-42"})
    logging.getLogger("tidings.test").info("outside a request")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    access = [line for line in lines if line["logger"] == "tidings.access"]
    assert access[-1]["request_id"] == "req-42"
    assert access[-1]["status"] == 200 and access[-1]["route"] == "/tidings/analytics"
    assert access[-1]["level"] == "DEBUG" and "time" in access[-1]
    assert lines[-1] == {**lines[-1], "message": "outside a request", "request_id": "-"}


def test_text_logs_name_the_request_id() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        logs.configure("info", "text", stream)
        token = logs.request_id.set("rid-7")
        logging.getLogger("tidings.test").info("inside")
        logs.request_id.reset(token)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert stream.getvalue().rstrip().endswith("INFO tidings.test [rid-7]: inside")
