"""Bulk loading for demo and benchmark data: many rows per statement, no per-row logic."""

from __future__ import annotations

import sqlalchemy as sa

from tidings.domain.conversations import Conversation, OptOutEntry
from tidings.domain.demo import OptChange
from tidings.storage import dialects
from tidings.storage.schema import conversations, opt_changes, optouts


class SqlBulkLoader:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def opt_changes(self, changes: list[OptChange]) -> None:
        if changes:
            self._c.execute(
                opt_changes.insert(),
                [
                    {
                        "sender": c.sender,
                        "recipient": c.recipient,
                        "action": c.action,
                        "source": c.source,
                        "at": c.at,
                    }
                    for c in changes
                ],
            )

    def conversations(self, items: list[Conversation]) -> None:
        """Add conversations; pairs that already have one keep it."""
        for start in range(0, len(items), 5000):
            rows = [
                {
                    "id": c.id,
                    "our_number": c.our_number,
                    "peer_number": c.peer_number,
                    "created_at": c.created_at,
                    "last_message_at": c.last_message_at,
                    "message_count": c.message_count,
                }
                for c in items[start : start + 5000]
            ]
            self._c.execute(dialects.insert_ignore(self._c, conversations), rows)

    def optouts(self, entries: list[OptOutEntry]) -> None:
        """Put recipients on the opt-out list (those already on it stay as they are)."""
        if entries:
            self._c.execute(
                dialects.insert_ignore(self._c, optouts),
                [
                    {
                        "sender": e.sender,
                        "recipient": e.recipient,
                        "country_code": e.country_code,
                        "created_at": e.created_at,
                        "source": e.source,
                    }
                    for e in entries
                ],
            )
