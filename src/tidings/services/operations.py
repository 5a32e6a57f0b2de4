"""Long-running operations of the phone numbers API: stored, queued, carried out by the worker.

Each request stores an operation (``notStarted``) and a job in one transaction and returns
at once; the worker carries the job out and marks the operation ``succeeded`` or ``failed``.
Clients poll ``/phoneNumbers/operations/{id}`` as the SDK's LRO poller does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tidings.domain.numbers import Operation
from tidings.ports import NumbersTx

OPERATION_JOB = "numbers.operation"


def new_operation(
    kind: str, operation_id: str, now: datetime, payload: dict[str, Any]
) -> Operation:
    return Operation(
        id=operation_id,
        operation_type=kind,
        status="notStarted",
        created_at=now,
        last_action_at=None,
        resource_location=None,
        error_code=None,
        error_message=None,
        payload=dict(payload),
    )


def start(tx: NumbersTx, operation: Operation, now: datetime) -> None:
    """Store ``operation`` and the job that carries it out, in the caller's transaction."""
    tx.operations.add(operation)
    tx.jobs.enqueue(OPERATION_JOB, {"operationId": operation.id}, now, now=now)


class OperationFailed(Exception):
    """Raised by an operation's handler: the operation fails with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
