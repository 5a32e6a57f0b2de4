"""Chat events against the seed's samples, field by field, on SQLite and PostgreSQL.

Each of the eight per-user event types is produced through the chat service and compared
with the seed: the envelope's keys and their order, the subject layout, every data key in
the seed's order with the seed's value types, and the spelling of times and versions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from tests.services.chat_helpers import new_caller
from tests.services.conftest import Driver
from tidings.domain import chat_events as ev
from tidings.domain.identity import Caller
from tidings.services.chat import NewParticipant

pytestmark = pytest.mark.anyio

SEED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "seed_chat_events.json").read_text()
)
MS_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SEVEN_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
TRANSACTION = re.compile(r"^[A-Za-z0-9+/]{22}\.1\.1\.1\.1\.\d+\.1\.1$")


def _shape(value: Any) -> str:
    """The kind of a time string (ms or 7 digits), else the JSON type."""
    if isinstance(value, str):
        if MS_TIME.match(value):
            return "time-ms"
        if SEVEN_TIME.match(value):
            return "time-7"
        return "str"
    return type(value).__name__


def _assert_like_seed(event: dict[str, Any], name: str) -> None:
    seed = SEED[name]
    assert list(event) == list(seed), name
    assert event["eventType"] == seed["eventType"]
    assert (event["dataVersion"], event["metadataVersion"]) == ("1.0", "1")
    assert SEVEN_TIME.match(event["eventTime"]), event["eventTime"]
    assert list(event["data"]) == list(seed["data"]), name
    for key, value in seed["data"].items():
        assert _shape(event["data"][key]) == _shape(value), (name, key)
    for key in ("members",):
        if key in seed["data"]:
            assert [list(m) for m in event["data"][key]] == [list(m) for m in seed["data"][key]]
    for key in ("memberAdded", "memberRemoved", "properties"):
        if key in seed["data"]:
            assert list(event["data"][key]) == list(seed["data"][key])
    assert TRANSACTION.match(event["data"]["transactionId"])
    # The subject layout: the same words between the ids.
    words = [w for w in seed["subject"].split("/") if not w.startswith(("19:", "8:acs", "{"))]
    mine = [w for w in event["subject"].split("/") if not w.startswith(("19:", "8:acs"))]
    assert mine == words, (event["subject"], seed["subject"])


def _by_recipient(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["data"]["recipientId"]: e for e in events}


@pytest.fixture
def people(driver: Driver) -> tuple[Caller, Caller, Caller]:
    app = driver.app
    return new_caller(app), new_caller(app), new_caller(app)


async def _thread(driver: Driver, alice: Caller, bob: Caller) -> str:
    thread, invalid = driver.app.services.chat.create_thread(
        alice,
        "Chat about new communication services",
        [NewParticipant(alice.user_id, "Alice"), NewParticipant(bob.user_id, "Bob")],
        None,
    )
    assert invalid == []
    return thread.id


async def test_thread_created_with_user(driver: Driver, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    thread_id = await _thread(driver, alice, bob)
    events = driver.events(ev.THREAD_CREATED_WITH_USER)
    assert len(events) == 1  # one per participant other than the creator
    event = events[0]
    _assert_like_seed(event, "ChatThreadCreatedWithUser")
    assert (
        event["subject"] == f"thread/{thread_id}/createdBy/{alice.user_id}/recipient/{bob.user_id}"
    )
    data = event["data"]
    assert data["createdBy"] == alice.user_id
    assert data["recipientId"] == bob.user_id
    assert data["threadId"] == thread_id
    assert data["properties"] == {"topic": "Chat about new communication services"}
    assert data["members"] == [
        {"displayName": "Alice", "memberId": alice.user_id},
        {"displayName": "Bob", "memberId": bob.user_id},
    ]
    assert data["createTime"] == "2026-11-23T12:00:00.000Z"
    assert data["version"] == 1795435200000
    thread_level = driver.events(ev.THREAD_CREATED)
    assert len(thread_level) == 1
    assert thread_level[0]["subject"] == f"thread/{thread_id}/createdBy/{alice.user_id}"
    assert thread_level[0]["data"]["transactionId"] == data["transactionId"]


async def test_message_received_edited_deleted(
    driver: Driver, clock: FakeClock, people: tuple[Caller, ...]
) -> None:
    alice, bob, carol = people
    chat = driver.app.services.chat
    thread_id = await _thread(driver, alice, bob)
    chat.add_participants(alice, thread_id, [NewParticipant(carol.user_id, "Carol")])
    clock.advance(1.5)
    message = await chat.send_message(
        alice, thread_id, "Welcome to Azure Communication Services", "text", "John", None
    )
    received = _by_recipient(driver.events(ev.MESSAGE_RECEIVED))
    assert set(received) == {bob.user_id, carol.user_id}
    event = received[bob.user_id]
    _assert_like_seed(event, "ChatMessageReceived")
    assert event["subject"] == (
        f"thread/{thread_id}/sender/{alice.user_id}/recipient/{bob.user_id}"
    )
    assert event["data"] == {
        "messageBody": "Welcome to Azure Communication Services",
        "messageId": message.id,
        "senderId": alice.user_id,
        "senderDisplayName": "John",
        "composeTime": "2026-11-23T12:00:01.500Z",
        "type": "Text",
        "version": int(message.id),
        "recipientId": bob.user_id,
        "transactionId": event["data"]["transactionId"],
        "threadId": thread_id,
    }
    assert event["eventTime"] == "2026-11-23T12:00:01.5000000Z"
    transactions = {e["data"]["transactionId"] for e in received.values()}
    assert len(transactions) == 1

    clock.advance(30)
    chat.update_message(alice, thread_id, message.id, "Let's Chat", None)
    edited = _by_recipient(driver.events(ev.MESSAGE_EDITED))[carol.user_id]
    _assert_like_seed(edited, "ChatMessageEdited")
    assert edited["data"]["editTime"] == "2026-11-23T12:00:31.500Z"
    assert edited["data"]["messageBody"] == "Let's Chat"
    assert edited["data"]["version"] > int(message.id)

    clock.advance(5)
    chat.delete_message(alice, thread_id, message.id)
    deleted = _by_recipient(driver.events(ev.MESSAGE_DELETED))[bob.user_id]
    _assert_like_seed(deleted, "ChatMessageDeleted")
    assert "messageBody" not in deleted["data"]
    assert deleted["data"]["deleteTime"] == "2026-11-23T12:00:36.500Z"

    in_thread = driver.events(ev.MESSAGE_RECEIVED_IN_THREAD)
    assert len(in_thread) == 1
    assert in_thread[0]["subject"] == f"thread/{thread_id}/sender/{alice.user_id}"
    assert in_thread[0]["data"]["senderCommunicationIdentifier"] == {
        "rawId": alice.user_id,
        "communicationUser": {"id": alice.user_id},
    }
    assert in_thread[0]["data"]["version"] == message.id
    assert len(driver.events(ev.MESSAGE_EDITED_IN_THREAD)) == 1
    assert len(driver.events(ev.MESSAGE_DELETED_IN_THREAD)) == 1


async def test_thread_updated_and_deleted(
    driver: Driver, clock: FakeClock, people: tuple[Caller, ...]
) -> None:
    alice, bob, _ = people
    chat = driver.app.services.chat
    thread_id = await _thread(driver, alice, bob)
    clock.advance(60)
    chat.update_thread(alice, thread_id, "Communication in Azure", None)
    [updated] = driver.events(ev.THREAD_PROPERTIES_UPDATED_PER_USER)
    _assert_like_seed(updated, "ChatThreadPropertiesUpdatedPerUser")
    assert updated["subject"] == (
        f"thread/{thread_id}/editedBy/{alice.user_id}/recipient/{bob.user_id}"
    )
    assert updated["data"]["properties"] == {"topic": "Communication in Azure"}
    assert updated["data"]["editTime"] == "2026-11-23T12:01:00.0000000Z"
    assert updated["data"]["createTime"] == "2026-11-23T12:00:00.000Z"

    clock.advance(60)
    chat.delete_thread(alice, thread_id)
    [deleted] = driver.events(ev.THREAD_WITH_USER_DELETED)
    _assert_like_seed(deleted, "ChatThreadWithUserDeleted")
    assert deleted["data"]["deletedBy"] == alice.user_id
    assert deleted["data"]["deleteTime"] == "2026-11-23T12:02:00.0000000Z"
    assert len(driver.events(ev.THREAD_DELETED)) == 1
    assert len(driver.events(ev.THREAD_PROPERTIES_UPDATED)) == 1


async def test_member_added_and_removed(
    driver: Driver, clock: FakeClock, people: tuple[Caller, ...]
) -> None:
    alice, bob, carol = people
    chat = driver.app.services.chat
    thread_id = await _thread(driver, alice, bob)
    clock.advance(10)
    chat.add_participants(alice, thread_id, [NewParticipant(carol.user_id, "John Smith")])
    added = _by_recipient(driver.events(ev.MEMBER_ADDED_WITH_USER))
    assert set(added) == {bob.user_id, carol.user_id}  # everyone but the one who added
    event = added[bob.user_id]
    _assert_like_seed(event, "ChatMemberAddedToThreadWithUser")
    assert event["subject"] == (
        f"thread/{thread_id}/memberAdded/{carol.user_id}/recipient/{bob.user_id}"
    )
    assert event["data"]["addedBy"] == alice.user_id
    assert event["data"]["memberAdded"] == {"displayName": "John Smith", "memberId": carol.user_id}
    assert event["data"]["time"] == "2026-11-23T12:00:10.0000000Z"
    [thread_level] = driver.events(ev.THREAD_PARTICIPANT_ADDED)
    assert thread_level["subject"] == f"thread/{thread_id}/participantadded/{carol.user_id}"

    clock.advance(10)
    chat.remove_participant(alice, thread_id, carol.user_id)
    removed = _by_recipient(driver.events(ev.MEMBER_REMOVED_WITH_USER))
    assert set(removed) == {bob.user_id, carol.user_id}
    _assert_like_seed(removed[carol.user_id], "ChatMemberRemovedFromThreadWithUser")
    assert removed[carol.user_id]["data"]["removedBy"] == alice.user_id
    assert removed[carol.user_id]["data"]["memberRemoved"]["memberId"] == carol.user_id
    assert len(driver.events(ev.THREAD_PARTICIPANT_REMOVED)) == 1


async def test_typing_is_one_thread_event(driver: Driver, people: tuple[Caller, ...]) -> None:
    alice, bob, _ = people
    thread_id = await _thread(driver, alice, bob)
    driver.app.services.chat.typing(bob, thread_id, "Bob")
    [event] = driver.events(ev.TYPING_IN_THREAD)
    assert event["subject"] == (
        f"thread/{thread_id}/senderCommunicationIdentifierRawId/{bob.user_id}"
    )
    assert event["data"]["senderDisplayName"] == "Bob"


async def test_a_refused_change_writes_no_event(driver: Driver, people: tuple[Caller, ...]) -> None:
    alice, bob, carol = people
    thread_id = await _thread(driver, alice, bob)
    before = len(driver.events())
    with pytest.raises(Exception, match="not allowed"):
        await driver.app.services.chat.send_message(carol, thread_id, "hi", None, None, None)
    assert len(driver.events()) == before
