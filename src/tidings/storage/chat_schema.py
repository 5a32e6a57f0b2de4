"""Tables of communication identities (``storage/identity.py``) and chat
(``storage/chat.py``), in the shared ``metadata``."""

from __future__ import annotations

import sqlalchemy as sa

from tidings.storage.schema import Timestamp, metadata

identities = sa.Table(
    "identities",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),  # 8:acs:<resource>_<guid>
    sa.Column("created_at", Timestamp, nullable=False),
    # Tokens carry the generation they were issued in; revoking bumps it.
    sa.Column("token_generation", sa.Integer, nullable=False, server_default="0"),
)

identity_keys = sa.Table(
    "identity_keys",
    metadata,
    sa.Column("kid", sa.String(40), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

chat_threads = sa.Table(
    "chat_threads",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("topic", sa.String(512), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("deleted_at", Timestamp, nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Column("last_message_at", Timestamp, nullable=True),
    sa.Column("last_sequence", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_message_id", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    # "<creator> <repeatability-request-id>" of the create request, for retries.
    sa.Column("repeatability_key", sa.String(300), nullable=True, unique=True),
)

chat_participants = sa.Table(
    "chat_participants",
    metadata,
    sa.Column("thread_id", sa.String(80), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("display_name", sa.String(256), nullable=True),
    sa.Column("share_history_time", Timestamp, nullable=True),
    sa.Column("added_at", Timestamp, nullable=False),
    sa.Column("metadata", sa.JSON, nullable=False),
    sa.Index(None, "user_id", "thread_id"),
)

chat_messages = sa.Table(
    "chat_messages",
    metadata,
    sa.Column("thread_id", sa.String(80), primary_key=True),
    sa.Column("id", sa.BigInteger, primary_key=True),  # epoch ms, unique in its thread
    sa.Column("type", sa.String(24), nullable=False),
    sa.Column("sequence_id", sa.Integer, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("sender_id", sa.String(128), nullable=True),
    sa.Column("sender_display_name", sa.String(256), nullable=True),
    sa.Column("edited_at", Timestamp, nullable=True),
    sa.Column("deleted_at", Timestamp, nullable=True),
    sa.Column("metadata", sa.JSON, nullable=False),
)

chat_read_receipts = sa.Table(
    "chat_read_receipts",
    metadata,
    sa.Column("thread_id", sa.String(80), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("message_id", sa.BigInteger, nullable=False),
    sa.Column("read_at", Timestamp, nullable=False),
)
