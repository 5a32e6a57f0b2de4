"""The console's operator view of chat: every thread, its participants and messages."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import FakeClock

pytestmark = pytest.mark.anyio
IDENTITY = {"api-version": "2023-10-01"}
CHAT = {"api-version": "2024-03-07"}


async def _user(http: httpx.AsyncClient) -> tuple[str, str]:
    scopes = {"createTokenWithScopes": ["chat"]}
    created = await http.post("/identities", params=IDENTITY, json=scopes)
    assert created.status_code == 201, created.text
    body = created.json()
    return body["identity"]["id"], body["accessToken"]["token"]


def _bearer_only(request: httpx.Request) -> httpx.Request:
    """No HMAC signature: the request carries the chat user's bearer token only."""
    return request


def _participant(user_id: str, name: str) -> dict[str, object]:
    return {
        "communicationIdentifier": {"rawId": user_id, "communicationUser": {"id": user_id}},
        "displayName": name,
    }


async def test_threads_participants_and_messages(http: httpx.AsyncClient, clock: FakeClock) -> None:
    clock.current = datetime.now(UTC)  # chat tokens are checked against the real time
    ann, ann_token = await _user(http)
    bob, _ = await _user(http)
    bearer = {"authorization": f"Bearer {ann_token}"}
    threads = []
    for topic in ("Order 1", "Order 2"):
        created = await http.post(
            "/chat/threads",
            params=CHAT,
            json={
                "topic": topic,
                "participants": [_participant(ann, "Ann"), _participant(bob, "Bob")],
            },
            headers=bearer,
            auth=_bearer_only,
        )
        assert created.status_code == 201, created.text
        threads.append(created.json()["chatThread"]["id"])
        clock.advance(1)
    sent = await http.post(
        f"/chat/threads/{threads[0]}/messages",
        params=CHAT,
        json={"content": "Where is my parcel?", "senderDisplayName": "Ann"},
        headers=bearer,
        auth=_bearer_only,
    )
    assert sent.status_code == 201, sent.text

    listed = (await http.get("/tidings/chat/threads")).json()
    assert [t["id"] for t in listed["value"]] == [threads[0], threads[1]]  # most recent activity
    assert listed["value"][0]["lastMessageReceivedOn"] is not None
    page = (await http.get("/tidings/chat/threads", params={"limit": 1})).json()
    assert [t["id"] for t in page["value"]] == [threads[0]] and page["nextBefore"]
    rest = (
        await http.get("/tidings/chat/threads", params={"limit": 1, "before": page["nextBefore"]})
    ).json()
    assert [t["id"] for t in rest["value"]] == [threads[1]]

    detail = (await http.get(f"/tidings/chat/threads/{threads[0]}")).json()
    assert detail["thread"]["topic"] == "Order 1"
    assert {p["displayName"] for p in detail["participants"]} == {"Ann", "Bob"}
    texts = [m["content"].get("message") for m in detail["messages"] if m["type"] == "text"]
    assert texts == ["Where is my parcel?"]

    missing = await http.get("/tidings/chat/threads/19:nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NotFound"
    bad = await http.get("/tidings/chat/threads", params={"before": "yesterday|x"})
    assert bad.status_code == 400
    # The operator view is HMAC (or console session), not a chat user's token.
    denied = await http.get("/tidings/chat/threads", headers=bearer, auth=None)
    assert denied.status_code == 401


async def test_operator_posts_as_a_participant(http: httpx.AsyncClient, clock: FakeClock) -> None:
    """The console posts as one of the thread's participants: the message, its events and
    every chat check are those of a send by that user."""
    clock.current = datetime.now(UTC)
    ann, ann_token = await _user(http)
    bob, _ = await _user(http)
    carol, _ = await _user(http)  # not in the thread
    created = await http.post(
        "/chat/threads",
        params=CHAT,
        json={
            "topic": "Support",
            "participants": [_participant(ann, "Ann"), _participant(bob, "Bob")],
        },
        headers={"authorization": f"Bearer {ann_token}"},
        auth=_bearer_only,
    )
    thread = created.json()["chatThread"]["id"]
    url = f"/tidings/chat/threads/{thread}/messages"

    posted = await http.post(
        url, json={"senderId": bob, "content": "On its way", "senderDisplayName": "Bob"}
    )
    assert posted.status_code == 201, posted.text
    # Ann reads it through the Chat API, sent by Bob.
    read = await http.get(
        f"/chat/threads/{thread}/messages/{posted.json()['id']}",
        params=CHAT,
        headers={"authorization": f"Bearer {ann_token}"},
        auth=_bearer_only,
    )
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["content"]["message"] == "On its way" and body["senderDisplayName"] == "Bob"
    assert body["senderCommunicationIdentifier"]["rawId"] == bob
    events = (await http.get("/tidings/events", params={"limit": 100})).json()["value"]
    received = [
        e for e in events if e["eventType"] == "Microsoft.Communication.ChatMessageReceived"
    ]
    assert {(e["data"]["senderId"], e["data"]["recipientId"]) for e in received} == {(bob, ann)}

    # Nothing is written for a sender outside the thread, an unknown user or bad input.
    before = len((await http.get(f"/tidings/chat/threads/{thread}")).json()["messages"])
    outsider = await http.post(url, json={"senderId": carol, "content": "hi"})
    assert outsider.status_code == 403, outsider.text
    unknown = await http.post(
        url, json={"senderId": ann.replace(ann[-6:], "000000"), "content": "x"}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NotFound"
    malformed = await http.post(url, json={"senderId": "someone", "content": "x"})
    assert malformed.status_code == 400, malformed.text
    assert (await http.post(url, json={"senderId": bob})).status_code == 400
    assert (await http.post(url, json={"senderId": bob, "content": ""})).status_code == 400
    no_thread = await http.post(
        "/tidings/chat/threads/19:nope/messages", json={"senderId": bob, "content": "x"}
    )
    assert no_thread.status_code == 404
    after = len((await http.get(f"/tidings/chat/threads/{thread}")).json()["messages"])
    assert after == before
    # A chat user's token does not reach the operator endpoint.
    denied = await http.post(
        url,
        json={"senderId": ann, "content": "x"},
        headers={"authorization": f"Bearer {ann_token}"},
        auth=_bearer_only,
    )
    assert denied.status_code == 401
