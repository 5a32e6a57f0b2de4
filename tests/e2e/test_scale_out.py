"""Scale-out on PostgreSQL: two API processes and two workers share one database."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ACCESS_KEY, ReceiverProcess, ServerProcess
from tidings.client import HmacAuth, TidingsClient


def test_two_apis_and_two_workers(
    tmp_path: Path, postgres_url: str, receiver: ReceiverProcess
) -> None:
    env = {
        **os.environ,
        "TIDINGS_DATABASE_URL": postgres_url,
        "TIDINGS_ACCESS_KEY": ACCESS_KEY,
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_LOG_LEVEL": "warning",
    }
    subprocess.run(
        [sys.executable, "-m", "tidings", "migrate"], env=env, check=True, capture_output=True
    )
    apis = [
        ServerProcess(tmp_path / f"api{i}", database_url=postgres_url, command="api").start()
        for i in range(2)
    ]
    logs = [(tmp_path / f"worker{i}.log").open("wb") for i in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tidings", "worker"], env=env, stdout=log, stderr=log
        )
        for log in logs
    ]
    try:
        # Both workers are up (their SIGTERM handlers installed) before the work starts.
        deadline = time.monotonic() + 60
        while not all(
            b"worker is running" in (tmp_path / f"worker{i}.log").read_bytes() for i in range(2)
        ):
            assert time.monotonic() < deadline, "a worker did not start"
            time.sleep(0.05)
        hook = f"/ok/scale-{tmp_path.name}"
        with httpx.Client(base_url=apis[0].http_endpoint, auth=HmacAuth(ACCESS_KEY)) as admin:
            created = admin.put(
                "/eventSubscriptions/scale",
                params={"api-version": "2022-06-15"},
                json={
                    "properties": {
                        "destination": {"properties": {"endpointUrl": receiver.url + hook}},
                        "filter": {
                            "includedEventTypes": [
                                "Microsoft.Communication.SMSDeliveryReportReceived"
                            ]
                        },
                    }
                },
            )
            assert created.status_code == 201, created.text
        ids: set[str] = set()
        recipients = [f"+1555557{i:04d}" for i in range(20)]
        for api in apis:
            client = SmsClient(api.http_endpoint, AzureKeyCredential(ACCESS_KEY), retry_total=0)
            for _ in range(3):
                results = client.send(
                    from_="+18005550100",
                    to=recipients,
                    message="scale",
                    enable_delivery_report=True,
                )
                ids |= {r.message_id for r in results}
        assert len(ids) == 120
        with TidingsClient(apis[0].http_endpoint, ACCESS_KEY) as tidings:
            deadline = time.monotonic() + 60
            reported: set[str] = set()
            while time.monotonic() < deadline and reported != ids:
                events = tidings.events(limit=1000)["value"]
                reported = {e["id"] for e in events} & ids
                time.sleep(0.2)
            assert reported == ids
            copies = [m["messageId"] for r in recipients for m in tidings.handset_messages(r)]
            assert sorted(copies) == sorted(ids)  # each message delivered exactly once
        # Each report reached the webhook once, from whichever worker claimed it.
        deadline = time.monotonic() + 60
        delivered: list[str] = []
        while time.monotonic() < deadline:
            posts = [
                e
                for e in receiver.log(hook)
                if e["headers"].get("aeg-event-type") == "Notification"
            ]
            delivered = [
                event["id"] for e in posts for event in json.loads(base64.b64decode(str(e["body"])))
            ]
            if len(set(delivered)) >= len(ids):
                break
            time.sleep(0.2)
        # Stop the workers: once they have exited, the receiver holds every post they made,
        # a duplicate included, if there were one.
        for worker in workers:
            worker.terminate()
        for worker in workers:
            assert worker.wait(30) == 0
        posts = [
            e for e in receiver.log(hook) if e["headers"].get("aeg-event-type") == "Notification"
        ]
        delivered = [
            event["id"] for e in posts for event in json.loads(base64.b64decode(str(e["body"])))
        ]
        assert sorted(delivered) == sorted(ids)
    finally:
        for api in apis:
            api.stop()
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait(15)
        for log in logs:
            log.close()
    for i in range(2):
        assert b"Traceback" not in (tmp_path / f"worker{i}.log").read_bytes()
