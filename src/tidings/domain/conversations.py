"""Conversations (one per pair of our number and a peer) and opt-out list entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Conversation:
    id: str
    our_number: str
    peer_number: str
    created_at: datetime
    last_message_at: datetime
    message_count: int


@dataclass(frozen=True)
class OptOutEntry:
    sender: str
    recipient: str
    country_code: str
    created_at: datetime
    source: str
