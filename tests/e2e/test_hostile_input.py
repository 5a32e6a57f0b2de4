"""A real ``tidings serve`` under hostile input (issue 16): a handset script with a
catastrophic pattern cannot freeze it, and a deeply nested body is a 400 on a connection
that stays open."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.server import ServerProcess
from tidings.client import HmacAuth, TidingsClient

pytestmark = pytest.mark.e2e

SENDER = "+18005550100"
HANDSET = "+15555550199"
SEND = "/sms?api-version=2021-03-07"
DEEP = b'{"a":' + b"[" * 990 + b"1" + b"]" * 990 + b"}"


def test_health_answers_while_a_catastrophic_pattern_is_evaluated(server: ServerProcess) -> None:
    """With a backtracking engine, ``(a+)+$`` against 40 ``a`` and a ``!`` takes days and held
    the event loop (and the write transaction): ``/healthz`` stopped answering. Each health
    check here must answer within a second while the scripted handset receives the texts,
    and the script's fallback rule must still answer each of them."""
    with TidingsClient(server.http_endpoint, server.access_key) as client:
        client.set_handset_script(
            HANDSET, [{"match": "(a+)+$", "reply": "matched"}, {"match": ".", "reply": "other"}]
        )
        for n in (25, 40, 2000):
            sent = client.http.post(
                SEND,
                json={"from": SENDER, "smsRecipients": [{"to": HANDSET}], "message": "a" * n + "!"},
            )
            assert sent.status_code == 202, sent.text
        deadline = time.monotonic() + 60
        replies: list[str] = []
        with httpx.Client(base_url=server.http_endpoint, timeout=1.0) as health:
            while time.monotonic() < deadline:
                started = time.monotonic()
                assert health.get("/healthz").status_code == 200
                assert time.monotonic() - started < 1.0
                replies = [
                    m["message"]
                    for m in client.handset_messages(HANDSET)
                    if m["direction"] == "sent"
                ]
                if len(replies) == 3:
                    break
                time.sleep(0.05)
        assert replies == ["other", "other", "other"]


def test_deep_json_is_a_400_and_the_connection_stays(server: ServerProcess) -> None:
    """On the fast lane (``POST /sms``) and the full stack alike: 400 in the ACS shape, and the
    next request goes over the same connection (a 500 closed it)."""
    with httpx.Client(
        base_url=server.http_endpoint,
        auth=HmacAuth(server.access_key),
        timeout=10,
        limits=httpx.Limits(max_connections=1),
    ) as client:
        before = len(client.get("/tidings/messages").json()["value"])
        ports = set()
        for path in (SEND, "/identities?api-version=2023-10-01", SEND):
            response = client.post(path, content=DEEP)
            assert response.status_code == 400, response.text
            assert "nested" in response.json()["error"]["message"]
            assert response.headers.get("connection") != "close"
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])
        assert len(ports) == 1
        assert len(client.get("/tidings/messages").json()["value"]) == before
