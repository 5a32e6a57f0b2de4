"""Conversations (a number of ours and a peer) and the opt-out list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tidings.domain.conversations import Conversation, OptOutEntry, conversation_id
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects, driver
from tidings.storage.schema import conversations, messages, opt_changes, optouts
from tidings.storage.search import number_matches


def _touch(insert: Callable[[sa.Table], Any]) -> Any:
    """A conversation's row made or moved on: ``INSERT ... ON CONFLICT (id) DO UPDATE`` (the
    id is a function of the pair, so a clash on the pair is a clash on the id)."""
    c = conversations.c
    statement = insert(conversations).values(
        id=sa.bindparam("b_id"),
        our_number=sa.bindparam("b_ours"),
        peer_number=sa.bindparam("b_peer"),
        created_at=sa.bindparam("b_at"),
        last_message_at=sa.bindparam("b_at"),
        message_count=sa.bindparam("b_count"),
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[c.id],
        set_={
            "last_message_at": sa.case(
                (c.last_message_at < new.last_message_at, new.last_message_at),
                else_=c.last_message_at,
            ),
            "message_count": c.message_count + new.message_count,
        },
    )


_TOUCH = {"sqlite": _touch(sqlite.insert), "postgresql": _touch(postgresql.insert)}


_OPTED_OUT = sa.select(optouts.c.recipient).where(
    optouts.c.sender == sa.bindparam("sender"),
    optouts.c.recipient.in_(sa.bindparam("recipients", expanding=True)),
)


class SqlConversationRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def touch(self, our_number: str, peer_number: str, at: datetime, count: int = 1) -> str:
        """The conversation id of the pair, created on first use; counts ``count`` messages."""
        self._c.execute(
            dialects.insert_ignore(self._c, conversations).values(
                id=conversation_id(our_number, peer_number),
                our_number=our_number,
                peer_number=peer_number,
                created_at=at,
                last_message_at=at,
                message_count=0,
            )
        )
        row = self._c.execute(
            conversations.update()
            .where(
                conversations.c.our_number == our_number,
                conversations.c.peer_number == peer_number,
            )
            .values(
                last_message_at=sa.case(
                    (conversations.c.last_message_at < at, at),
                    else_=conversations.c.last_message_at,
                ),
                message_count=conversations.c.message_count + count,
            )
            .returning(conversations.c.id)
        ).one()
        return str(row.id)

    def touch_many(self, counts: Mapping[tuple[str, str], int], at: datetime) -> None:
        """``touch`` for many pairs (ours, peer) -> messages, in one statement (an upsert,
        in the order of the conversation ids, so concurrent writers lock rows alike)."""
        if not counts:
            return
        rows = sorted(
            (conversation_id(ours, peer), ours, peer, count)
            for (ours, peer), count in counts.items()
        )
        driver.executemany(
            self._c,
            _TOUCH[self._c.dialect.name],
            [
                {"b_id": cid, "b_ours": ours, "b_peer": peer, "b_at": at, "b_count": count}
                for cid, ours, peer, count in rows
            ],
        )  # fmt: skip

    def get(self, conversation_id: str) -> Conversation | None:
        row = self._c.execute(
            sa.select(conversations).where(conversations.c.id == conversation_id)
        ).first()
        return None if row is None else self._row(row)

    def page(
        self, our_number: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[Conversation]:
        """Most recently active first, each with its last message's text (``preview``).
        ``search``: the digits of a number in the pair, or text in any of its messages."""
        last = (
            sa.select(messages.c.body)
            .where(messages.c.conversation_id == conversations.c.id)
            .order_by(messages.c.created_at.desc(), messages.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(conversations, last.label("preview"))
        if our_number is not None:
            query = query.where(conversations.c.our_number == our_number)
        if search:
            query = query.where(_conversation_matches(search))
        query = query.order_by(conversations.c.last_message_at.desc()).offset(offset).limit(limit)
        return [self._row(r) for r in self._c.execute(query)]

    @staticmethod
    def _row(row: sa.Row[Any]) -> Conversation:
        return Conversation(
            id=row.id,
            our_number=row.our_number,
            peer_number=row.peer_number,
            created_at=ensure_utc(row.created_at),
            last_message_at=ensure_utc(row.last_message_at),
            message_count=row.message_count,
            preview=getattr(row, "preview", None),
        )


def _conversation_matches(search: str) -> Any:
    """A number (digits and phone punctuation only) matches either side of the pair; any
    other text matches a conversation with a message that contains it."""
    text = search.strip()
    if all(ch.isdigit() or ch in "+-() " for ch in text):
        digits = "".join(ch for ch in text if ch.isdigit())
        return sa.or_(
            conversations.c.peer_number.contains(digits, autoescape=True),
            conversations.c.our_number.contains(digits, autoescape=True),
        )
    return sa.exists().where(
        messages.c.conversation_id == conversations.c.id,
        messages.c.body.icontains(text, autoescape=True),
    )


class SqlOptOutRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def add(self, entry: OptOutEntry) -> bool:
        result = self._c.execute(
            dialects.insert_ignore(self._c, optouts)
            .values(
                sender=entry.sender,
                recipient=entry.recipient,
                country_code=entry.country_code,
                created_at=entry.created_at,
                source=entry.source,
            )
            .returning(optouts.c.sender)
        )
        added = result.first() is not None
        if added:
            self._log(entry.sender, entry.recipient, "optOut", entry.source, entry.created_at)
        return added

    def remove(self, sender: str, recipient: str, *, at: datetime, source: str) -> bool:
        """Take a recipient off the list, logging the opt-in (for analytics) if it was on."""
        result = self._c.execute(
            optouts.delete().where(optouts.c.sender == sender, optouts.c.recipient == recipient)
        )
        removed = result.rowcount > 0
        if removed:
            self._log(sender, recipient, "optIn", source, at)
        return removed

    def _log(self, sender: str, recipient: str, action: str, source: str, at: datetime) -> None:
        self._c.execute(
            opt_changes.insert().values(
                sender=sender, recipient=recipient, action=action, source=source, at=at
            )
        )

    def opted_out(self, sender: str, recipients: list[str]) -> set[str]:
        if not recipients:
            return set()
        rows = self._c.execute(_OPTED_OUT, {"sender": sender, "recipients": recipients})
        return set(rows.scalars())

    def page(
        self, sender: str | None, limit: int, offset: int, search: str | None = None
    ) -> list[OptOutEntry]:
        query = sa.select(optouts)
        if sender is not None:
            query = query.where(optouts.c.sender == sender)
        if search:
            query = query.where(number_matches(optouts.c.recipient, search))
        query = query.order_by(optouts.c.created_at.desc()).offset(offset).limit(limit)
        return [
            OptOutEntry(r.sender, r.recipient, r.country_code, ensure_utc(r.created_at), r.source)
            for r in self._c.execute(query)
        ]
