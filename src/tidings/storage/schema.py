"""The SQL schema, one set of SQLAlchemy Core tables for SQLite and PostgreSQL.

Alembic migrations in ``migrations/`` create and evolve these tables; keep both in step
(``tests/contract/test_storage.py`` compares them; ``tidings migrate --check`` tells whether
a database still lacks some of the migrations).

This module holds the shared ``metadata`` and the tables of messaging, numbers, jobs, events and
their webhook deliveries; other areas have their own modules on the same ``metadata``
(``analytics_schema``, ``chat_schema``, ``reservation_schema``, ``schema_carriers``,
``simulator_schema``, ``smpp_schema``), imported at the end of this one.
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


# Tables defined in their own modules join ``metadata`` here, so that every user of the
# schema (migrations, ``migrate --check``) sees them all.
from tidings.storage import (  # noqa: E402, F401
    analytics_schema,
    chat_schema,
    reservation_schema,
    schema_carriers,
    simulator_schema,
    smpp_schema,
)
