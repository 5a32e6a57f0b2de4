"""``/chat/notifications``: a user's chat events pushed as Server-Sent Events, in real time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from tests.server import ServerProcess

V = "api-version=2024-03-07"


def _user(server: ServerProcess) -> tuple[str, str]:
    from tidings.client import HmacAuth

    with httpx.Client(base_url=server.http_endpoint, auth=HmacAuth(server.access_key)) as api:
        body = api.post(
            "/identities?api-version=2023-10-01", json={"createTokenWithScopes": ["chat"]}
        ).json()
    return body["identity"]["id"], body["accessToken"]["token"]


def _connected(lines: Iterator[str]) -> None:
    """Read up to the stream's ``: connected`` comment: from then on it gets every event."""
    for line in lines:
        if line == ": connected":
            return
    raise AssertionError("the stream ended before it was connected")


def _events(lines: Any, count: int) -> list[dict[str, Any]]:
    """Parse SSE messages (id/event/data) until ``count`` events arrived."""
    out: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if "data" in current:
                out.append(current)
                if len(out) == count:
                    return out
            current = {}
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(": ")
            current[field] = json.loads(value) if field == "data" else value
    return out


def test_stream_pushes_the_users_events_and_resumes(server: ServerProcess) -> None:
    alice, alice_token = _user(server)
    bob, bob_token = _user(server)
    chat = httpx.Client(
        base_url=server.http_endpoint, headers={"Authorization": f"Bearer {alice_token}"}
    )
    thread = chat.post(
        f"/chat/threads?{V}",
        json={
            "topic": "live",
            "participants": [
                {"communicationIdentifier": {"rawId": bob, "communicationUser": {"id": bob}}}
            ],
        },
    ).json()["chatThread"]["id"]

    def later() -> None:
        bob_chat = httpx.Client(
            base_url=server.http_endpoint, headers={"Authorization": f"Bearer {bob_token}"}
        )
        bob_chat.post(f"/chat/threads/{thread}/typing?{V}", json={"senderDisplayName": "Bob"})
        chat.post(f"/chat/threads/{thread}/messages?{V}", json={"content": "are you there?"})

    sender = threading.Thread(target=later)
    started = time.monotonic()
    # Alice gets Bob's typing indicator; Bob's own stream would not carry it.
    url = f"/chat/notifications?access_token={alice_token}"
    with httpx.stream("GET", server.http_endpoint + url, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        _connected(lines)
        sender.start()  # Bob types and Alice writes once Alice's stream listens
        [typing] = _events(lines, 1)
    assert typing["event"] == "Microsoft.Communication.ChatTypingIndicatorReceivedInThread"
    sender.join()

    headers = {"Authorization": f"Bearer {bob_token}"}
    with httpx.stream(
        "GET",
        server.http_endpoint + "/chat/notifications",
        headers={**headers, "Last-Event-ID": "0"},
        timeout=10,
    ) as response:
        first, second = _events(response.iter_lines(), 2)
    assert time.monotonic() - started < 8
    assert first["event"] == "Microsoft.Communication.ChatThreadCreatedWithUser"
    assert second["event"] == "Microsoft.Communication.ChatMessageReceived"
    assert second["data"]["data"]["messageBody"] == "are you there?"
    assert second["data"]["data"]["recipientId"] == bob
    assert int(second["id"]) > int(first["id"])
    assert alice


def test_stream_needs_a_valid_token(server: ServerProcess) -> None:
    response = httpx.get(server.http_endpoint + "/chat/notifications", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"
    bad = httpx.get(server.http_endpoint + "/chat/notifications?access_token=a.b.c", timeout=10)
    assert bad.status_code == 401
