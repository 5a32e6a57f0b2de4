"""``--api-processes N``: several processes answer on the same ports, over one SQLite file.

A real ``tidings serve`` with three API processes beside the one that runs the worker:
connections are spread over them, every message accepted by any of them is sent and reported
once, a child that dies is replaced, and the children go when the parent goes (stopped, or
killed with ``kill -9``).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.communication.sms import SmsClient

from tests.server import ServerProcess
from tidings.client import HmacAuth, TidingsClient
from tidings.settings import WorkerSettings

SENDER = "+18005550100"
SEND = "/sms?api-version=2021-03-07"
REPORTED = "Microsoft.Communication.SMSDeliveryReportReceived"


def _stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, ...)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def _nice(pid: int) -> int:
    """The niceness of a process's main thread."""
    fields = _stat(str(pid))
    assert fields is not None
    return int(fields[16])


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _connection_owners(port: int, pids: list[int]) -> dict[int, int]:
    """How many established connections to ``port`` each of ``pids`` holds."""
    inodes: dict[str, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # ESTABLISHED, server side
            inodes[fields[9]] = 0
    owners: dict[int, int] = {}
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                owners[pid] = owners.get(pid, 0) + 1
    return owners


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data", env={"TIDINGS_API_PROCESSES": "3"})
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        _wait_for(lambda: len(_children(pid)) == 3)
        yield server
    finally:
        server.stop()


def _ready(server: ServerProcess) -> bool:
    """Every API process answers: enough fresh connections each got an answer."""
    try:
        return all(
            httpx.get(
                f"{server.http_endpoint}/healthz", headers={"Connection": "close"}
            ).status_code
            == 200
            for _ in range(12)
        )
    except httpx.HTTPError:
        return False


def test_processes_share_the_ports_and_deliver_every_message_once(
    multi: ServerProcess,
) -> None:
    assert multi.process is not None
    parent = multi.process.pid
    pids = [parent, *_children(parent)]
    _wait_for(lambda: _ready(multi))
    clients = [
        httpx.Client(base_url=multi.http_endpoint, auth=HmacAuth(multi.access_key))
        for _ in range(24)
    ]
    accepted: dict[str, str] = {}
    try:
        for round_ in range(3):
            for index, client in enumerate(clients):
                to = f"+1555557{round_}{index:03d}"
                body = {
                    "from": SENDER,
                    "smsRecipients": [{"to": to}],
                    "message": "multi",
                    "smsSendOptions": {"enableDeliveryReport": True},
                }
                response = client.post(SEND, json=body)
                assert response.status_code == 202, response.text
                accepted[response.json()["value"][0]["messageId"]] = to
        owners = _connection_owners(multi.http_port, pids)
        # 24 connections over 3 processes: the kernel spread them (all on one: odds 3^-23).
        assert sum(owners.values()) == 24
        assert len(owners) >= 2, owners
        assert parent not in owners  # it runs the worker: no listening socket of its own
    finally:
        for client in clients:
            client.close()
    # ...and over HTTPS, through the official SDK.
    sdk = SmsClient.from_connection_string(
        multi.connection_string, connection_verify=str(multi.ca_cert)
    )
    sent = sdk.send(
        from_=SENDER,
        to=["+15555579001", "+15555579002"],
        message="tls",
        enable_delivery_report=True,
    )
    for result in sent:
        assert result.successful
        accepted[result.message_id] = result.to
    with TidingsClient(multi.http_endpoint, multi.access_key) as tidings:

        def reports() -> list[dict[str, Any]]:
            return list(
                tidings.events(event_types=[REPORTED], limit=1000)["value"]  # one page: < 1000
            )

        _wait_for(lambda: len(reports()) >= len(accepted))
        ids = [e["data"]["MessageId"] for e in reports()]
        assert sorted(ids) == sorted(accepted)  # every message, once
        for message_id, to in list(accepted.items())[:5]:
            copies = [m for m in tidings.handset_messages(to) if m["messageId"] == message_id]
            assert len(copies) == 1


def test_a_dead_child_is_replaced_and_children_stop_with_the_parent(
    multi: ServerProcess,
) -> None:
    assert multi.process is not None
    parent = multi.process.pid
    first, *_ = _children(parent)
    os.kill(first, signal.SIGKILL)
    _wait_for(lambda: len(_children(parent)) == 3 and first not in _children(parent))
    assert "API process" in multi.log() and "starting another" in multi.log()
    _wait_for(lambda: _ready(multi))
    with httpx.Client(base_url=multi.http_endpoint, auth=HmacAuth(multi.access_key)) as api:
        body = {"from": SENDER, "smsRecipients": [{"to": "+15555578000"}], "message": "again"}
        assert api.post(SEND, json=body).status_code == 202
    children = _children(parent)
    # The worker (the parent) yields to the API processes; the replacement child, started
    # by the parent, answers at the normal priority like the first ones.
    assert _nice(parent) == WorkerSettings().niceness  # TIDINGS_WORKER_NICENESS's default
    assert [_nice(child) for child in children] == [0, 0, 0]
    multi.stop()
    _wait_for(lambda: not any(_alive(pid) for pid in children), timeout=20)


def test_children_stop_when_the_parent_is_killed(multi: ServerProcess) -> None:
    assert multi.process is not None
    children = _children(multi.process.pid)
    multi.kill()  # kill -9: the parent cannot tell them
    _wait_for(lambda: not any(_alive(pid) for pid in children), timeout=20)
