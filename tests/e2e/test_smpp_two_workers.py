"""Two ``tidings worker`` processes on PostgreSQL and one SMPP bind to a real SMSC
(smpp34's): one worker holds the bind, the other does not bind; ``kill -9`` of the holder
and the other takes the bind over within seconds and finishes the work. Every message sent
(before and after the kill) has exactly one delivery report, every MO message arrives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ACCESS_KEY, ServerProcess, route_everything_to
from tests.smsc.harness import SmscProcess
from tidings.client import HmacAuth, TidingsClient

pytestmark = pytest.mark.e2e
SENDER = "+18005550100"
REPORT = "Microsoft.Communication.SMSDeliveryReportReceived"
RECEIVED = "Microsoft.Communication.SMSReceived"


def _wait_for(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.smpp34().start()
    yield process
    process.stop()


def _bind(api: httpx.Client) -> dict[str, Any] | None:
    carriers = api.get("/tidings/carriers").json()["value"]
    binds = [b for c in carriers if c["name"] == "smpp" for b in c.get("binds", [])]
    return binds[0] if binds else None


def test_one_bind_one_owner_and_a_takeover_when_it_dies(
    tmp_path: Path, postgres_url: str, smsc: SmscProcess
) -> None:
    env = {
        **os.environ,
        "TIDINGS_DATABASE_URL": postgres_url,
        "TIDINGS_ACCESS_KEY": ACCESS_KEY,
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_LOG_LEVEL": "warning",
        "TIDINGS_RATE_LIMITS": "off",
        "TIDINGS_CARRIER_REFRESH_SECONDS": "0.5",
    }
    subprocess.run(
        [sys.executable, "-m", "tidings", "migrate"], env=env, check=True, capture_output=True
    )
    api = ServerProcess(
        tmp_path / "api",
        database_url=postgres_url,
        command="api",
        env={"TIDINGS_RATE_LIMITS": "off"},
    ).start()
    options = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": "tidings",
        "password": "pw",
        "reconnect_min_seconds": 0.2,
        "lease_seconds": 2,
    }
    route_everything_to(api, "smpp", "smpp", options)
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tidings", "worker"],
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    admin = httpx.Client(base_url=api.http_endpoint, auth=HmacAuth(ACCESS_KEY), timeout=10)
    sms = SmsClient(api.http_endpoint, AzureKeyCredential(ACCESS_KEY), retry_total=0)
    sent: list[str] = []
    try:
        first = _wait_for(lambda: (b := _bind(admin)) and b["state"] == "bound" and b)
        owner = next(w for w in workers if f"-{w.pid}-" in first["owner"])
        other = next(w for w in workers if w is not owner)
        time.sleep(3)  # longer than the lease: the other worker polls it and must not bind
        assert len(smsc.of("bound")) == 1
        assert _bind(admin)["owner"] == first["owner"]  # type: ignore[index]

        def send(start: int) -> None:
            for i in range(start, start + 100, 50):
                results = sms.send(
                    from_=SENDER,
                    to=[f"+1555558{n:04d}" for n in range(i, i + 50)],
                    message="two workers",
                    enable_delivery_report=True,
                )
                sent.extend(r.message_id for r in results if r.successful)

        send(1000)
        for i in range(5):
            smsc.send(cmd="mo", to=SENDER, text=f"two workers mo {i}", **{"from": f"+15555{i:06d}"})
        smsc.wait_sync(lambda e: e["event"] == "submit", count=20, timeout=20)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        killed = time.monotonic()
        taken = _wait_for(
            lambda: (
                (b := _bind(admin))
                and b["state"] == "bound"
                and f"-{other.pid}-" in (b["owner"] or "")
                and b
            ),
            timeout=20,
        )
        takeover = time.monotonic() - killed
        send(2000)
        with TidingsClient(api.http_endpoint, ACCESS_KEY) as tidings:

            def reports() -> list[str]:
                page = tidings.events(event_types=[REPORT], limit=1000)["value"]
                return [e["data"]["MessageId"] for e in page]

            found = _wait_for(lambda: len(set(reports())) >= 200 and reports(), timeout=60)
            received = _wait_for(
                lambda: (
                    {
                        e["data"]["Message"]
                        for e in tidings.events(event_types=[RECEIVED], limit=1000)["value"]
                    }
                    >= {f"two workers mo {i}" for i in range(5)}
                ),
                timeout=30,
            )
    finally:
        admin.close()
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)
        api.stop()
    assert len(sent) == 200
    assert sorted(found) == sorted(sent)  # exactly one report each
    assert received
    assert taken["owner"] != first["owner"]
    assert takeover < 10, f"takeover took {takeover:.1f} s"
    reached = {e["dest"] for e in smsc.of("submit")}
    assert reached == {f"1555558{n:04d}" for n in [*range(1000, 1100), *range(2000, 2100)]}
    for log in logs:
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text()
