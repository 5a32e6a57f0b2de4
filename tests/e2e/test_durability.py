"""Accepted means durable: kill -9 the server and nothing acknowledged is lost or doubled."""

from __future__ import annotations

import time
from collections import Counter

from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ServerProcess
from tidings.client import TidingsClient

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
    # A slow worker makes it certain that the messages are still queued when the server dies.
    fresh_server.env["TIDINGS_WORKER_POLL_INTERVAL"] = "30"
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

    fresh_server.env["TIDINGS_WORKER_POLL_INTERVAL"] = "0.05"
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
