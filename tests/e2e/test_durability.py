"""Accepted means durable: kill -9 the server and nothing acknowledged is lost or doubled."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ReceiverProcess, ServerProcess
from tidings.client import HmacAuth, TidingsClient

SENDER = "+18005550100"


def _wait_until_final(tidings: TidingsClient, ids: set[str], timeout: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {i: tidings.message(i)["status"] for i in ids}
        if all(s in {"delivered", "failed"} for s in statuses.values()):
            return statuses
        time.sleep(0.2)
    raise AssertionError(f"not final in time: {Counter(statuses.values())}")


def test_messages_accepted_before_kill_are_sent_after_restart(fresh_server: ServerProcess) -> None:
    # A slow worker makes it certain that the messages are still queued when the server dies:
    # no wake-ups, a poll every 30 s.
    fresh_server.env["TIDINGS_WORKER_POLL_INTERVAL"] = "30"
    fresh_server.env["TIDINGS_WORKER_WAKEUPS"] = "false"
    fresh_server.start()
    client = SmsClient(
        fresh_server.http_endpoint, AzureKeyCredential(fresh_server.access_key), retry_total=0
    )
    time.sleep(0.3)  # let the worker go idle
    recipients = [f"+1555555{i:04d}" for i in range(20)]
    results = client.send(from_=SENDER, to=recipients, message="survive", tag="kill")
    ids = {r.message_id for r in results}
    assert len(ids) == 20
    fresh_server.kill()

    fresh_server.env["TIDINGS_WORKER_POLL_INTERVAL"] = "5"
    fresh_server.env["TIDINGS_WORKER_WAKEUPS"] = "true"
    fresh_server.start()
    with TidingsClient(fresh_server.http_endpoint, fresh_server.access_key) as tidings:
        statuses = _wait_until_final(tidings, ids)
        assert set(statuses.values()) == {"delivered"}
        for recipient in recipients:
            bodies = [m["message"] for m in tidings.handset_messages(recipient)]
            assert bodies == ["survive"]


def test_kill_during_a_burst_loses_and_doubles_nothing(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    client = SmsClient(
        fresh_server.http_endpoint, AzureKeyCredential(fresh_server.access_key), retry_total=0
    )
    accepted: dict[str, str] = {}
    for batch in range(5):
        recipients = [f"+1555556{batch}{i:03d}" for i in range(30)]
        for result in client.send(from_=SENDER, to=recipients, message=f"burst {batch}"):
            accepted[result.message_id] = result.to
    fresh_server.kill()  # the worker is mid-way through sending and reporting
    fresh_server.start()
    with TidingsClient(fresh_server.http_endpoint, fresh_server.access_key) as tidings:
        statuses = _wait_until_final(tidings, set(accepted))
        assert set(statuses.values()) == {"delivered"}
        for message_id, recipient in accepted.items():
            copies = [
                m for m in tidings.handset_messages(recipient) if m["messageId"] == message_id
            ]
            assert len(copies) == 1


def test_kill_during_a_webhook_delivery(
    fresh_server: ServerProcess, receiver: ReceiverProcess
) -> None:
    """Killed while the receiver holds the request: after the restart and the lease (3 x the
    timeout), the same delivery is sent again and succeeds; nothing is lost."""
    fresh_server.env["TIDINGS_WEBHOOK_TIMEOUT_SECONDS"] = "2"
    fresh_server.start()
    hook = f"/hangonce/{fresh_server.data_dir.name}"
    with httpx.Client(
        base_url=fresh_server.http_endpoint, auth=HmacAuth(fresh_server.access_key)
    ) as api:
        created = api.put(
            "/eventSubscriptions/durable",
            params={"api-version": "2022-06-15"},
            json={
                "properties": {"destination": {"properties": {"endpointUrl": receiver.url + hook}}}
            },
        )
        assert created.status_code == 201, created.text
        api.post(
            "/tidings/simulator/handsets/+15555550123/messages", json={"to": SENDER, "message": "x"}
        )

    def notifications() -> list[dict[str, Any]]:
        return [
            e for e in receiver.log(hook) if e["headers"].get("aeg-event-type") == "Notification"
        ]

    deadline = time.monotonic() + 20
    while not notifications() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(notifications()) == 1  # the receiver holds it: kill the server now
    fresh_server.kill()
    fresh_server.start()
    deadline = time.monotonic() + 30
    while len(notifications()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    first, second = notifications()[:2]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    with httpx.Client(
        base_url=fresh_server.http_endpoint, auth=HmacAuth(fresh_server.access_key)
    ) as api:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            log = api.get("/eventSubscriptions/durable/deliveries").json()["value"]
            if log and log[0]["status"] == "delivered":
                break
            time.sleep(0.1)
        assert [d["status"] for d in log] == ["delivered"]
