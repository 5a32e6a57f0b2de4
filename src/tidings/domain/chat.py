"""Chat threads, participants and messages: values and rules, as ACS Chat has them.

Thread ids are ``19:<32 hex>@thread.v2``; message ids and versions are epoch-millisecond
strings, strictly increasing within a thread; ``sequenceId`` counts 1, 2, ... per thread.
System messages (``participantAdded``, ``participantRemoved``, ``topicUpdated``) have no
sender and carry their details in ``content``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tidings.errors import InvalidInput

MAX_CONTENT_BYTES = 28 * 1024  # ACS: a message is at most 28 KB
MAX_TOPIC_LENGTH = 256
MAX_DISPLAY_NAME_LENGTH = 256
MAX_PARTICIPANTS = 250
MAX_METADATA_BYTES = 1024 * 4


class MessageType(StrEnum):
    TEXT = "text"
    HTML = "html"
    TOPIC_UPDATED = "topicUpdated"
    PARTICIPANT_ADDED = "participantAdded"
    PARTICIPANT_REMOVED = "participantRemoved"

    @property
    def is_system(self) -> bool:
        return self not in {MessageType.TEXT, MessageType.HTML}


def new_thread_id() -> str:
    return f"19:{uuid.uuid4().hex}@thread.v2"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def identifier(raw_id: str) -> dict[str, Any]:
    """The wire object of a communication user (``rawId`` always present, as the SDK needs)."""
    return {"rawId": raw_id, "communicationUser": {"id": raw_id}}


def raw_id_of(model: dict[str, Any] | None, target: str) -> str:
    """The raw id of a ``CommunicationIdentifierModel`` sent by a client."""
    if not isinstance(model, dict):
        raise InvalidInput("A communication identifier is required.", target=target)
    user = model.get("communicationUser")
    raw = model.get("rawId")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    if isinstance(raw, str) and raw:
        return raw
    raise InvalidInput("The communication identifier has no id.", target=target)


@dataclass(frozen=True)
class Thread:
    id: str
    topic: str
    created_by: str
    created_at: datetime
    deleted_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    last_message_at: datetime | None = None
    last_sequence: int = 0
    last_message_id: int = 0
    version: int = 0


@dataclass(frozen=True)
class Participant:
    thread_id: str
    user_id: str
    display_name: str | None
    share_history_time: datetime | None
    added_at: datetime
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    thread_id: str
    id: str
    type: MessageType
    sequence_id: int
    version: str
    created_at: datetime
    content: dict[str, Any]  # {"message": ...} or the system message's content
    sender_id: str | None = None
    sender_display_name: str | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadReceipt:
    thread_id: str
    user_id: str
    message_id: str
    read_at: datetime


@dataclass(frozen=True)
class ThreadPage:
    threads: list[Thread]
    more: bool


def check_topic(topic: str | None) -> str:
    if topic is None or not topic.strip():
        raise InvalidInput("The topic is required and must not be empty.", target="topic")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise InvalidInput(
            f"The topic must be at most {MAX_TOPIC_LENGTH} characters.", target="topic"
        )
    return topic


def check_content(content: str | None) -> str:
    if content is None or content == "":
        raise InvalidInput("The message content must not be empty.", target="content")
    if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
        raise InvalidInput(
            f"The message content exceeds {MAX_CONTENT_BYTES} bytes.",
            code="MessageTooLarge",
            target="content",
        )
    return content


def check_display_name(name: str | None, target: str) -> str | None:
    if name is not None and len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput(
            f"The display name must be at most {MAX_DISPLAY_NAME_LENGTH} characters.",
            target=target,
        )
    return name


def check_metadata(metadata: dict[str, str] | None, target: str) -> dict[str, str]:
    if not metadata:
        return {}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise InvalidInput(
            f"The metadata must be at most {MAX_METADATA_BYTES} bytes.", target=target
        )
    return dict(metadata)


def check_message_type(value: str | None) -> MessageType:
    if value is None:
        return MessageType.TEXT
    lowered = value.lower()
    if lowered not in {MessageType.TEXT, MessageType.HTML}:
        raise InvalidInput(
            f"The message type {value!r} is not valid; use text or html.", target="type"
        )
    return MessageType(lowered)


def next_message_id(thread: Thread, now: datetime) -> int:
    """An epoch-ms id strictly greater than every earlier one in the thread."""
    return max(epoch_ms(now), thread.last_message_id + 1)
