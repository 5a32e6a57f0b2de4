"""The SQL schema, one set of SQLAlchemy Core tables for SQLite and PostgreSQL.

Alembic migrations in ``migrations/`` create and evolve these tables; keep both in step
(``tests/contract/test_storage.py`` compares them; ``tidings migrate --check`` tells whether
a database still lacks some of the migrations).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

Timestamp = sa.DateTime(timezone=True)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("name", sa.String(16), primary_key=True),  # primary | secondary
    sa.Column("key", sa.String(128), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

phone_numbers = sa.Table(
    "phone_numbers",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("number_type", sa.String(16), nullable=False),
    sa.Column("assignment_type", sa.String(16), nullable=False),
    sa.Column("calling", sa.String(24), nullable=False),
    sa.Column("sms", sa.String(24), nullable=False),
    sa.Column("cost_amount", sa.Float, nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("billing_frequency", sa.String(16), nullable=False),
    sa.Column("purchased_at", Timestamp, nullable=False),
    # Per-number auto-replies to keywords: {"optOut": "...", "optIn": "...", "help": "..."}.
    sa.Column("keyword_replies", sa.JSON, nullable=True),
    # A number leased through a Messaging Connect partner (None: bought from ACS).
    sa.Column("partner", sa.String(64), nullable=True),
)

messaging_connect_partners = sa.Table(
    "messaging_connect_partners",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("key_digests", sa.JSON, nullable=False),  # SHA-256 hex of each API key
    sa.Column("created_at", Timestamp, nullable=False),
)

number_searches = sa.Table(
    "number_searches",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("number_type", sa.String(16), nullable=False),
    sa.Column("assignment_type", sa.String(16), nullable=False),
    sa.Column("calling", sa.String(24), nullable=False),
    sa.Column("sms", sa.String(24), nullable=False),
    sa.Column("area_code", sa.String(8), nullable=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("numbers", sa.JSON, nullable=False),
    sa.Column("cost_amount", sa.Float, nullable=False),
    sa.Column("currency_code", sa.String(3), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("purchased", sa.Boolean, nullable=False, default=False),
    sa.Column("error_code", sa.String(64), nullable=True),
)

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("operation_type", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("resource_location", sa.String(200), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_action_at", Timestamp, nullable=True),
    sa.Column("error_code", sa.String(64), nullable=True),
    sa.Column("error_message", sa.String(400), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("our_number", sa.String(32), nullable=False),
    sa.Column("peer_number", sa.String(32), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_message_at", Timestamp, nullable=False),
    sa.Column("message_count", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("our_number", "peer_number"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("origin", sa.String(12), nullable=False),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("encoding", sa.String(8), nullable=False),
    sa.Column("tag", sa.String(256), nullable=True),
    sa.Column("enable_delivery_report", sa.Boolean, nullable=False),
    sa.Column("report_timeout_seconds", sa.Integer, nullable=True),
    sa.Column("repeatability_id", sa.String(64), nullable=True, unique=True),
    sa.Column("conversation_id", sa.String(40), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("scheduled_at", Timestamp, nullable=True),
    sa.Column("sent_at", Timestamp, nullable=True),
    sa.Column("final_at", Timestamp, nullable=True),
    sa.Column("delivery_code", sa.Integer, nullable=True),
    sa.Column("attempts", sa.JSON, nullable=True),
    sa.Column("carrier_message_id", sa.String(80), nullable=True),
    sa.Column("partner", sa.String(64), nullable=True),  # Messaging Connect partner
    sa.Column("carrier", sa.String(32), nullable=True),  # the carrier it was submitted to
    sa.Index(None, "created_at"),
    sa.Index(None, "conversation_id", "created_at"),
    sa.Index(None, "sender", "created_at"),
    # Analytics: outbound/inbound in a time range, covering every column the dashboard
    # counts so its queries read the index only (not the rows with their bodies).
    sa.Index(
        "ix_messages_dashboard",
        "direction",
        "created_at",
        "status",
        "sender",
        "recipient",
        "tag",
        "delivery_code",
        "segments",
        "final_at",
        "conversation_id",
    ),
)

optouts = sa.Table(
    "optouts",
    metadata,
    sa.Column("sender", sa.String(32), primary_key=True),
    sa.Column("recipient", sa.String(32), primary_key=True),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # keyword | api
)

#: Every change to the opt-out list, for analytics (optOuts / optIns over time).
opt_changes = sa.Table(
    "opt_changes",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(32), nullable=False),
    sa.Column("action", sa.String(8), nullable=False),  # optOut | optIn
    sa.Column("source", sa.String(16), nullable=True),  # keyword | api (when known)
    sa.Column("at", Timestamp, nullable=False),
    sa.Index(None, "at", "sender"),
)

# -- analytics rollups: whole UTC days, computed on first use, dropped when a message of the
# day changes (storage/analytics.py) -----------------------------------------------------

#: Days with rollup rows, and whether they are current (a change to a message of the day
#: clears ``valid``).
analytics_days = sa.Table(
    "analytics_days",
    metadata,
    sa.Column("day", Timestamp, primary_key=True),
    sa.Column("valid", sa.Boolean, nullable=False),
    sa.Column("computed_at", Timestamp, nullable=True),
)

#: Messages of a day by our number, tag, direction, outcome and delivery code.
analytics_daily = sa.Table(
    "analytics_daily",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("tag", sa.String(256), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # delivered | failed | pending | received
    sa.Column("code", sa.Integer, nullable=True),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Delivered messages of a day by delivery latency (10 ms steps below 10 s, then coarser).
analytics_daily_latency = sa.Table(
    "analytics_daily_latency",
    metadata,
    sa.Column("day", Timestamp, primary_key=True),
    sa.Column("ms", sa.Integer, primary_key=True),
    sa.Column("messages", sa.Integer, nullable=False),
)

#: Inbound messages of a day by our number and first word.
analytics_daily_words = sa.Table(
    "analytics_daily_words",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=False),
    sa.Column("word", sa.String(64), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Messages of a day by hour (0-23), our number (NULL: all numbers), direction and outcome.
analytics_hourly = sa.Table(
    "analytics_hourly",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("hour", sa.SmallInteger, nullable=False),
    sa.Column("number", sa.String(32), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("messages", sa.Integer, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Index(None, "day", "number"),
)

#: Per day, our number (NULL: all numbers) and tag: each outbound message's conversation and
#: time; per day and our number (or all): the same of every inbound message
#: (``storage/conversation_rollups.py``). ``data`` holds
#: ``items`` conversation keys, then as many epoch milliseconds, as little-endian int64.
analytics_daily_conversations = sa.Table(
    "analytics_daily_conversations",
    metadata,
    sa.Column("day", Timestamp, nullable=False),
    sa.Column("number", sa.String(32), nullable=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("tag", sa.String(256), nullable=True),
    sa.Column("items", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index(None, "day", "number"),
)

rate_windows = sa.Table(
    "rate_windows",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("window_start", Timestamp, primary_key=True),
    sa.Column("used", sa.Integer, nullable=False),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("dedupe_key", sa.String(120), nullable=True, unique=True),
    sa.Column("status", sa.String(8), nullable=False),  # pending | dead
    sa.Column("run_at", Timestamp, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", Timestamp, nullable=True),
    sa.Column("locked_by", sa.String(64), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index(None, "status", "run_at"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("id", sa.String(100), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("subject", sa.String(400), nullable=False),
    sa.Column("topic", sa.String(400), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("event_time", Timestamp, nullable=False),
    sa.Column("data_version", sa.String(16), nullable=False),
    sa.Column("metadata_version", sa.String(16), nullable=False),
    # False until the webhook router has matched the event against the subscriptions.
    sa.Column("routed", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(None, "event_type", "seq"),
    sa.Index(None, "event_time"),
    sa.Index(None, "id"),
    sa.Index(
        "ix_events_unrouted",
        "seq",
        sqlite_where=sa.text("routed = 0"),
        postgresql_where=sa.text("routed = false"),
    ),
)

handsets = sa.Table(
    "handsets",
    metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("created_at", Timestamp, nullable=False),
    # Auto-respond script: [{"match": "<regex>", "reply": "<text>", "delaySeconds": 0}, ...]
    sa.Column("script", sa.JSON, nullable=True),
)

handset_messages = sa.Table(
    "handset_messages",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("handset", sa.String(32), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),  # received | sent
    sa.Column("peer", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("message_id", sa.String(80), nullable=True),
    sa.Column("at", Timestamp, nullable=False),
    sa.Index(None, "handset", "id"),
)

carrier_rules = sa.Table(
    "carrier_rules",
    metadata,
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("pattern", sa.String(64), nullable=False),  # E.164 prefix, or glob with ?/*
    sa.Column("outcome", sa.String(16), nullable=False),  # deliver | fail | unreachable | ...
    sa.Column("delay_seconds", sa.Float, nullable=False),
    sa.Column("code", sa.Integer, nullable=True),
)


# -- event delivery (webhook subscriptions) ----------------------------------------------------

event_subscriptions = sa.Table(
    "event_subscriptions",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("config", sa.JSON, nullable=False),  # the resource's properties, as last PUT
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("provisioning_state", sa.String(24), nullable=False),
    sa.Column("validation_code", sa.String(64), nullable=True),
    sa.Column("validation_deadline", Timestamp, nullable=True),
    # Events with a higher seq than this are routed to the subscription (it exists since).
    sa.Column("created_seq", sa.BigInteger, nullable=False),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("previous_secret", sa.String(128), nullable=True),
    sa.Column("previous_secret_expires", Timestamp, nullable=True),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("probation_until", Timestamp, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # also the webhook-id header
    sa.Column("subscription", sa.String(64), nullable=False),
    # pending | delivered | deadlettered | dropped | redelivered
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("event_count", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),  # the publish time
    sa.Column("last_attempt_at", Timestamp, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_outcome", sa.String(40), nullable=True),
    sa.Column("dead_letter_reason", sa.String(64), nullable=True),
    sa.Column("finished_at", Timestamp, nullable=True),
    sa.Index(
        "ix_deliveries_due",
        "subscription",
        "next_attempt_at",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index(None, "subscription", "status", "created_at"),
)

delivery_events = sa.Table(
    "delivery_events",
    metadata,
    sa.Column("delivery_id", sa.String(40), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("event_seq", sa.BigInteger, nullable=False),
    sa.Index(None, "event_seq"),
)

delivery_attempts = sa.Table(
    "delivery_attempts",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("delivery_id", sa.String(40), nullable=False),
    sa.Column("subscription", sa.String(64), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("attempted_at", Timestamp, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("response_excerpt", sa.Text, nullable=True),
    sa.Index(None, "delivery_id"),
    sa.Index(None, "subscription", "id"),
)


# -- identity and chat -------------------------------------------------------------------------

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

# Tables defined in their own modules join ``metadata`` here, so that every user of the
# schema (migrations, ``migrate --check``) sees them all.
from tidings.storage import reservation_schema, schema_carriers, smpp_schema  # noqa: E402, F401
