"""Message rows, and accepting outbound messages in bulk: the group-committed intake of
``POST /sms``.

Many concurrent send requests are written together (``storage/group_commit.py``): their
repeatability ids checked with one query, their messages and send jobs inserted straight
through the driver (``driver.fast_insert``: multi-row ``INSERT`` on SQLite, ``COPY`` on
PostgreSQL), since SQLAlchemy's per-row bind processing was most of the writer's time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tidings.domain.messages import (
    SEND_JOB,
    SEND_JOB_MESSAGES,
    DeliveryAttempt,
    Message,
    OutboundBatch,
    send_job_payload,
)
from tidings.storage import driver
from tidings.storage.schema import jobs, messages
from tidings.storage.signals import touch
from tidings.wakeups import JOBS


def message_values(message: Message, repeatability_id: str | None) -> tuple[Any, ...]:
    """A message as the values of a ``messages`` row, in ``MESSAGE_COLUMNS`` order."""
    return (
        message.id,
        message.direction.value,
        message.status.value,
        message.origin.value,
        message.sender,
        message.recipient,
        message.body,
        message.segments,
        message.encoding,
        message.tag,
        message.enable_delivery_report,
        message.report_timeout_seconds,
        repeatability_id,
        message.conversation_id,
        message.created_at,
        message.scheduled_at,
        message.sent_at,
        message.final_at,
        message.delivery_code,
        attempts_json(message.attempts) if message.attempts else None,
        message.carrier_message_id,
        message.partner,
        message.carrier,
    )


MESSAGE_COLUMNS = (
    "id",
    "direction",
    "status",
    "origin",
    "sender",
    "recipient",
    "body",
    "segments",
    "encoding",
    "tag",
    "enable_delivery_report",
    "report_timeout_seconds",
    "repeatability_id",
    "conversation_id",
    "created_at",
    "scheduled_at",
    "sent_at",
    "final_at",
    "delivery_code",
    "attempts",
    "carrier_message_id",
    "partner",
    "carrier",
)
assert set(MESSAGE_COLUMNS) == set(messages.c.keys()), "MESSAGE_COLUMNS must name every column"
_ATTEMPTS = MESSAGE_COLUMNS.index("attempts")


def message_row(message: Message, repeatability_id: str | None) -> dict[str, Any]:
    """A message as a row of ``messages`` (every column)."""
    return dict(zip(MESSAGE_COLUMNS, message_values(message, repeatability_id), strict=True))


def attempts_json(attempts: tuple[DeliveryAttempt, ...]) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": a.timestamp.isoformat(),
            "segmentsSucceeded": a.segments_succeeded,
            "segmentsFailed": a.segments_failed,
        }
        for a in attempts
    ]


_BY_REPEATABILITY = sa.select(messages.c.repeatability_id, messages.c.id).where(
    messages.c.repeatability_id.in_(sa.bindparam("rids", expanding=True))
)


def accept_batches(connection: sa.Connection, batches: list[OutboundBatch]) -> list[dict[str, str]]:
    """Insert the rows of many send requests with one statement per table.

    A repeatability id already stored (or used earlier in ``batches``) keeps its first
    message: the newer message and its jobs are dropped, and the batch's result maps that id
    to the first message's id.
    """
    rids = [rid for batch in batches for _, rid in batch.messages if rid]
    taken: dict[str, str] = {}
    for start in range(0, len(rids), 500):
        rows = connection.execute(_BY_REPEATABILITY, {"rids": rids[start : start + 500]})
        taken.update({r.repeatability_id: r.id for r in rows})
    message_rows: list[tuple[Any, ...]] = []
    job_rows: list[tuple[Any, ...]] = []
    results: list[dict[str, str]] = []
    kept: list[str] = []  # the messages to send, in order
    for batch in batches:
        repeated: dict[str, str] = {}
        dropped: set[str] = set()
        for message, rid in batch.messages:
            if rid and rid in taken:
                repeated[rid] = taken[rid]
                dropped.add(message.id)
                continue
            if rid:
                taken[rid] = message.id
            message_rows.append(_intake_row(message, rid))
            kept.append(message.id)
        job_rows.extend(
            (kind, driver.json_text(payload), "pending", run_at, 0, batch.created_at)
            for kind, payload, run_at in batch.jobs
            if payload.get("messageId") not in dropped
        )
        results.append(repeated)
    if kept:
        # One sms.send job per SEND_JOB_MESSAGES messages of the whole transaction: a row,
        # and its index entries, per message were a fifth of what a commit wrote, and the
        # worker claims and acks a job per batch rather than per message.
        first = min(batch.created_at for batch in batches)
        job_rows.extend(
            (
                SEND_JOB,
                driver.json_text(send_job_payload(kept[i : i + SEND_JOB_MESSAGES])),
                "pending",
                first,
                0,
                first,
            )
            for i in range(0, len(kept), SEND_JOB_MESSAGES)
        )
    # Straight through the driver: SQLAlchemy's per-row bind processing was most of the
    # writer's time (docs/performance.md).
    driver.fast_insert(connection, messages, MESSAGE_COLUMNS, message_rows)
    driver.fast_insert(connection, jobs, _JOB_COLUMNS, job_rows)
    if job_rows:
        touch(connection, JOBS)
    return results


_JOB_COLUMNS = ("kind", "payload", "status", "run_at", "attempts", "created_at")


def _intake_row(message: Message, repeatability_id: str | None) -> tuple[Any, ...]:
    """``message_values`` for ``driver.fast_insert``: JSON encoded here, as SQLAlchemy's
    JSON type would (a message without attempts stores the JSON ``null``)."""
    values = message_values(message, repeatability_id)
    attempts = driver.json_text(values[_ATTEMPTS])
    return (*values[:_ATTEMPTS], attempts, *values[_ATTEMPTS + 1 :])
