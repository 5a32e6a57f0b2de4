"""Chat events: the eight per-user events of the seed, and the per-thread events.

Per-user events (``ChatMessageReceived`` ... ``ChatMemberRemovedFromThreadWithUser``) are
spelled exactly as the seed's samples: legacy string ids (``senderId``, ``recipientId``,
``createdBy``, ``members``, ``memberAdded``), ``type`` ``"Text"``, ``version`` a JSON number,
times to the millisecond where the seed has them so. One event goes to every participant
other than the one who acted, as ACS fans them out. Per-thread events (``...InThread``,
``ChatThread*``) are published once per change in the current ACS shape (identifier objects,
``metadata``), as the ACS event reference lists them.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tidings.domain.chat import Message, Participant, Thread, epoch_ms, identifier
from tidings.domain.events import Event
from tidings.domain.timefmt import iso_7z, iso_ms_z

_P = "Microsoft.Communication."
MESSAGE_RECEIVED = _P + "ChatMessageReceived"
MESSAGE_EDITED = _P + "ChatMessageEdited"
MESSAGE_DELETED = _P + "ChatMessageDeleted"
THREAD_CREATED_WITH_USER = _P + "ChatThreadCreatedWithUser"
THREAD_WITH_USER_DELETED = _P + "ChatThreadWithUserDeleted"
THREAD_PROPERTIES_UPDATED_PER_USER = _P + "ChatThreadPropertiesUpdatedPerUser"
MEMBER_ADDED_WITH_USER = _P + "ChatMemberAddedToThreadWithUser"
MEMBER_REMOVED_WITH_USER = _P + "ChatMemberRemovedFromThreadWithUser"
MESSAGE_RECEIVED_IN_THREAD = _P + "ChatMessageReceivedInThread"
MESSAGE_EDITED_IN_THREAD = _P + "ChatMessageEditedInThread"
MESSAGE_DELETED_IN_THREAD = _P + "ChatMessageDeletedInThread"
THREAD_CREATED = _P + "ChatThreadCreated"
THREAD_DELETED = _P + "ChatThreadDeleted"
THREAD_PROPERTIES_UPDATED = _P + "ChatThreadPropertiesUpdated"
THREAD_PARTICIPANT_ADDED = _P + "ChatThreadParticipantAdded"
THREAD_PARTICIPANT_REMOVED = _P + "ChatThreadParticipantRemoved"
TYPING_IN_THREAD = _P + "ChatTypingIndicatorReceivedInThread"

PER_USER_TYPES = (
    MESSAGE_RECEIVED,
    MESSAGE_EDITED,
    MESSAGE_DELETED,
    THREAD_CREATED_WITH_USER,
    THREAD_WITH_USER_DELETED,
    THREAD_PROPERTIES_UPDATED_PER_USER,
    MEMBER_ADDED_WITH_USER,
    MEMBER_REMOVED_WITH_USER,
)


def guid() -> str:
    """A random (version 4) GUID string; cheaper than ``str(uuid.uuid4())`` per event."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_VARIANT = dict(zip("0123456789abcdef", "89ab89ab89ab89ab", strict=True))


def transaction_id() -> str:
    """An opaque correlation id shaped as ACS's: ``<22 base64>.1.1.1.1.<number>.1.1``."""
    head = base64.b64encode(uuid.uuid4().bytes).decode()[:22]
    return f"{head}.1.1.1.1.{secrets.randbelow(2**31)}.1.1"


@dataclass(frozen=True)
class Change:
    """What every event of one change shares."""

    topic: str
    thread: Thread
    actor: str
    now: datetime
    transaction: str

    def event(self, event_type: str, subject: str, data: dict[str, Any]) -> Event:
        return Event(
            id=guid(),
            event_type=event_type,
            subject=subject,
            topic=self.topic,
            data=data,
            event_time=self.now,
        )

    def per_user(
        self,
        event_type: str,
        middle: str,
        recipients: Iterable[str],
        data: dict[str, Any],
    ) -> list[Event]:
        """One event per recipient; ``middle`` is the ``sender/{id}``-like subject part."""
        tail = {"transactionId": self.transaction, "threadId": self.thread.id}
        return [
            self.event(
                event_type,
                f"thread/{self.thread.id}/{middle}/recipient/{recipient}",
                {**data, "recipientId": recipient, **tail},
            )
            for recipient in recipients
            if recipient != self.actor
        ]

    def in_thread(self, event_type: str, middle: str, data: dict[str, Any]) -> Event:
        return self.event(
            event_type,
            f"thread/{self.thread.id}/{middle}",
            {**data, "transactionId": self.transaction, "threadId": self.thread.id},
        )


def _type(message: Message) -> str:
    return "Html" if message.type == "html" else "Text"


def _thread_version(change: Change) -> int:
    return change.thread.version or epoch_ms(change.now)


def message_events(
    change: Change, message: Message, recipients: list[str], kind: str
) -> list[Event]:
    """``kind``: ``received``, ``edited`` or ``deleted``; per user, then in thread."""
    sender = message.sender_id or change.actor
    version = int(message.version)
    body: dict[str, Any] = {}
    if kind == "edited":
        body["editTime"] = iso_ms_z(message.edited_at or change.now)
    if kind == "deleted":
        body["deleteTime"] = iso_ms_z(message.deleted_at or change.now)
    if kind != "deleted":
        body["messageBody"] = message.content.get("message", "")
    common = {
        "messageId": message.id,
        "senderId": sender,
        "senderDisplayName": message.sender_display_name or "",
        "composeTime": iso_ms_z(message.created_at),
        "type": _type(message),
        "version": version,
    }
    thread_body = dict(body)
    if kind != "deleted":
        thread_body["metadata"] = dict(message.metadata)
    thread_body.update(
        {
            "messageId": message.id,
            "senderCommunicationIdentifier": identifier(sender),
            "senderDisplayName": message.sender_display_name or "",
            "composeTime": iso_ms_z(message.created_at),
            "type": _type(message),
            "version": str(version),
        }
    )
    user_type, thread_type = {
        "received": (MESSAGE_RECEIVED, MESSAGE_RECEIVED_IN_THREAD),
        "edited": (MESSAGE_EDITED, MESSAGE_EDITED_IN_THREAD),
        "deleted": (MESSAGE_DELETED, MESSAGE_DELETED_IN_THREAD),
    }[kind]
    events = change.per_user(user_type, f"sender/{sender}", recipients, {**body, **common})
    events.append(change.in_thread(thread_type, f"sender/{sender}", thread_body))
    return events


def _member(p: Participant) -> dict[str, Any]:
    return {"displayName": p.display_name or "", "memberId": p.user_id}


def _participant(p: Participant) -> dict[str, Any]:
    return {
        "displayName": p.display_name or "",
        "participantCommunicationIdentifier": identifier(p.user_id),
        "metadata": dict(p.metadata),
    }


def thread_created(change: Change, participants: list[Participant]) -> list[Event]:
    thread = change.thread
    create_time = iso_ms_z(thread.created_at)
    version = _thread_version(change)
    events = change.per_user(
        THREAD_CREATED_WITH_USER,
        f"createdBy/{change.actor}",
        [p.user_id for p in participants],
        {
            "createdBy": change.actor,
            "properties": {"topic": thread.topic},
            "members": [_member(p) for p in participants],
            "createTime": create_time,
            "version": version,
        },
    )
    events.append(
        change.in_thread(
            THREAD_CREATED,
            f"createdBy/{change.actor}",
            {
                "createdByCommunicationIdentifier": identifier(change.actor),
                "properties": {"topic": thread.topic},
                "metadata": dict(thread.metadata),
                "participants": [_participant(p) for p in participants],
                "createTime": create_time,
                "version": version,
            },
        )
    )
    return events


def thread_deleted(change: Change, recipients: list[str]) -> list[Event]:
    delete_time = iso_7z(change.now)
    create_time = iso_ms_z(change.thread.created_at)
    version = _thread_version(change)
    events = change.per_user(
        THREAD_WITH_USER_DELETED,
        f"deletedBy/{change.actor}",
        recipients,
        {
            "deletedBy": change.actor,
            "deleteTime": delete_time,
            "createTime": create_time,
            "version": version,
        },
    )
    events.append(
        change.in_thread(
            THREAD_DELETED,
            f"deletedBy/{change.actor}",
            {
                "deletedByCommunicationIdentifier": identifier(change.actor),
                "deleteTime": delete_time,
                "createTime": create_time,
                "version": version,
            },
        )
    )
    return events


def thread_updated(change: Change, recipients: list[str]) -> list[Event]:
    thread = change.thread
    edit_time = iso_7z(change.now)
    create_time = iso_ms_z(thread.created_at)
    version = _thread_version(change)
    events = change.per_user(
        THREAD_PROPERTIES_UPDATED_PER_USER,
        f"editedBy/{change.actor}",
        recipients,
        {
            "editedBy": change.actor,
            "editTime": edit_time,
            "properties": {"topic": thread.topic},
            "createTime": create_time,
            "version": version,
        },
    )
    events.append(
        change.in_thread(
            THREAD_PROPERTIES_UPDATED,
            f"editedBy/{change.actor}",
            {
                "editedByCommunicationIdentifier": identifier(change.actor),
                "editTime": edit_time,
                "properties": {"topic": thread.topic},
                "metadata": dict(thread.metadata),
                "createTime": create_time,
                "version": version,
            },
        )
    )
    return events


def members_changed(
    change: Change, members: list[Participant], recipients: list[str], *, added: bool
) -> list[Event]:
    """Per member added (removed): one event per recipient, then one in the thread."""
    time = iso_7z(change.now)
    create_time = iso_ms_z(change.thread.created_at)
    version = _thread_version(change)
    word = "Added" if added else "Removed"
    by = "addedBy" if added else "removedBy"
    user_type = MEMBER_ADDED_WITH_USER if added else MEMBER_REMOVED_WITH_USER
    thread_type = THREAD_PARTICIPANT_ADDED if added else THREAD_PARTICIPANT_REMOVED
    events: list[Event] = []
    for member in members:
        events += change.per_user(
            user_type,
            f"member{word}/{member.user_id}",
            recipients,
            {
                "time": time,
                by: change.actor,
                f"member{word}": _member(member),
                "createTime": create_time,
                "version": version,
            },
        )
        events.append(
            change.in_thread(
                thread_type,
                f"participant{word.lower()}/{member.user_id}",
                {
                    "time": time,
                    f"{by}CommunicationIdentifier": identifier(change.actor),
                    f"participant{word}": _participant(member),
                    "createTime": create_time,
                    "version": version,
                },
            )
        )
    return events


def typing(change: Change, display_name: str | None) -> Event:
    return change.in_thread(
        TYPING_IN_THREAD,
        f"senderCommunicationIdentifierRawId/{change.actor}",
        {
            "senderCommunicationIdentifier": identifier(change.actor),
            "senderDisplayName": display_name or "",
        },
    )
