"""Wire shapes of the ACS Identity and Chat APIs (msgspec structs).

Identifiers are kept as plain objects (``CommunicationIdentifierModel``): the SDK sends
``rawId`` plus one kind member, and the chat service reads the id from either.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from tidings.domain.json_input import Int64


class CreateIdentityRequest(Struct, rename="camel"):
    create_token_with_scopes: list[str] | None = None
    expires_in_minutes: Int64 | None = None


class IssueTokenRequest(Struct, rename="camel"):
    scopes: list[str]
    expires_in_minutes: Int64 | None = None


class ChatParticipantIn(Struct, rename="camel"):
    communication_identifier: dict[str, Any]
    display_name: str | None = None
    share_history_time: str | None = None
    metadata: dict[str, str] | None = None


class CreateThreadRequest(Struct, rename="camel"):
    topic: str
    participants: list[ChatParticipantIn] = []
    metadata: dict[str, str] | None = None


class UpdateThreadRequest(Struct, rename="camel", forbid_unknown_fields=False):
    topic: str | None = None
    metadata: dict[str, str] | None = None


class SendChatMessageRequest(Struct, rename="camel"):
    content: str
    sender_display_name: str | None = None
    type: str | None = None
    metadata: dict[str, str] | None = None


class ConsoleChatMessageRequest(Struct, rename="camel"):
    """The web console posting as one of a thread's participants (not an ACS shape)."""

    sender_id: str
    content: str
    sender_display_name: str | None = None
    type: str | None = None


class UpdateMessageRequest(Struct, rename="camel"):
    content: str | None = None
    # Merge patch: a null value removes the key.
    metadata: dict[str, str | None] | None = None


class AddParticipantsRequest(Struct, rename="camel"):
    participants: list[ChatParticipantIn]


class ReadReceiptRequest(Struct, rename="camel"):
    chat_message_id: str


class TypingRequest(Struct, rename="camel"):
    sender_display_name: str | None = None
