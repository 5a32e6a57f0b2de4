"""``tidings api`` and a separate ``tidings worker`` holding an SMPP bind to a real SMSC
(smpp34's): the worker serves its binds' metrics on ``--metrics-port``, a second worker
given the same port stops with a sentence, and the message timeline shows each part's SMSC
id and every receipt (ENROUTE, then DELIVRD) with the bind it came on."""

from __future__ import annotations

import os
import re
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

from tests.server import ACCESS_KEY, ServerProcess, free_port, route_everything_to
from tests.smsc.harness import SmscProcess
from tidings.client import HmacAuth

pytestmark = pytest.mark.e2e
MATCHED = 'tidings_smpp_receipts_total{bind="0:trx",carrier="smpp",outcome="matched"}'


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


def _scrape(url: str) -> str:
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return ""


def _matched(text: str) -> float:
    found = re.search(re.escape(MATCHED) + r" (\S+)", text)
    return float(found.group(1)) if found else 0.0


def test_a_separate_worker_serves_its_binds_metrics(tmp_path: Path, smsc: SmscProcess) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(data),
        "TIDINGS_STATE_DIR": str(data / "state"),
        "TIDINGS_LOG_LEVEL": "warning",
    }
    env.pop("TIDINGS_METRICS_PORT", None)
    subprocess.run([sys.executable, "-m", "tidings", "migrate"], env=env, check=True)
    api = ServerProcess(data, command="api").start()
    port = free_port()
    log_path = tmp_path / "worker.log"
    command = [sys.executable, "-m", "tidings", "worker", "--metrics-port", str(port)]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        _wait_for(lambda: url in log_path.read_text())  # the banner names the endpoint
        route_everything_to(
            api,
            "smpp",
            "smpp",
            {
                "host": "127.0.0.1",
                "port": smsc.port,
                "system_id": "tidings",
                "password": "pw",
                "reconnect_min_seconds": 0.2,
                "lease_seconds": 3,
            },
        )
        smsc.wait_sync(lambda e: e["event"] == "bound", timeout=30)
        client = SmsClient(api.http_endpoint, AzureKeyCredential(ACCESS_KEY), retry_total=0)
        (result,) = client.send(
            from_="+18005550100",
            to=["+15555550008"],  # the SMSC sends ENROUTE, then DELIVRD
            message="two parts " * 20,
            enable_delivery_report=True,
        )
        # Two parts, two receipts each, all matched by the bind this worker holds.
        text = _wait_for(lambda: (t := _scrape(url)) and _matched(t) == 4.0 and t)
        assert 'tidings_smpp_bind_state{bind="0:trx",carrier="smpp",state="bound"} 1.0' in text
        assert 'tidings_smpp_submits_total{bind="0:trx",carrier="smpp"' in text
        assert "process_resident_memory_bytes" in text
        # The API process holds no bind: its /metrics has no bind samples.
        assert "tidings_smpp_bind_state{" not in httpx.get(f"{api.http_endpoint}/metrics").text

        with httpx.Client(base_url=api.http_endpoint, auth=HmacAuth(ACCESS_KEY)) as http:
            path = f"/tidings/messages/{result.message_id}/timeline"
            timeline = _wait_for(
                lambda: (t := http.get(path).json())["message"]["status"] == "delivered" and t
            )
        accepted = [e["id"] for e in smsc.of("accepted")]
        smpp = timeline["smpp"]
        assert smpp["carrier"] == "smpp"
        assert sorted(p["smscMessageId"] for p in smpp["parts"]) == sorted(accepted)
        for part in smpp["parts"]:
            assert part["bind"] == "0:trx" and part["parts"] == 2
            assert [(r["stat"], r["messageState"], r["final"]) for r in part["receipts"]] == [
                ("ENROUTE", 1, False),
                ("DELIVRD", 2, True),
            ]
            assert {r["id"] for r in part["receipts"]} == {part["smscMessageId"]}
            assert {r["bind"] for r in part["receipts"]} == {"0:trx"}

        # A second worker on the same machine given the same port: refused, with a sentence.
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert f"cannot serve metrics on 127.0.0.1:{port}: the port is in use" in second.stderr
        assert "Traceback" not in second.stderr + second.stdout
        assert _matched(_scrape(url)) == 4.0  # the first one still answers
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        api.stop()
    assert "Traceback" not in log_path.read_text(), log_path.read_text()
