"""Conversations (one per pair of our number and a peer) and opt-out list entries."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime

_NAMESPACE = uuid.UUID("6f1d3f0e-3c55-4a8e-9a53-2f7f0f3b1c11")


@functools.lru_cache(maxsize=65536)
def conversation_id(our_number: str, peer_number: str) -> str:
    """The id of the conversation between one of our numbers and a peer: derived, not
    looked up, so a message can carry it from the moment it is accepted."""
    return str(uuid.uuid5(_NAMESPACE, f"{our_number}|{peer_number}"))


@dataclass(frozen=True)
class Conversation:
    id: str
    our_number: str
    peer_number: str
    created_at: datetime
    last_message_at: datetime
    message_count: int
    #: The text of the last message, where a list shows it.
    preview: str | None = None


@dataclass(frozen=True)
class OptOutEntry:
    sender: str
    recipient: str
    country_code: str
    created_at: datetime
    source: str
