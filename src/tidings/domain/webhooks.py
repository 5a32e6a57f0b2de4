"""Webhook delivery rules: Event Grid's retry schedule, status handling, probation and payloads.

All of it is pure: given what happened on an attempt (a status code or a transport error) it
says what to record and when to try again. ``services/webhooks.py`` applies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tidings.domain.events import Event
from tidings.domain.timefmt import iso_z

#: Event Grid's schedule (delivery-and-retry): waits after the 1st, 2nd, ... failed attempt.
RETRY_SCHEDULE_SECONDS = (10, 30, 60, 300, 600, 1800, 3600, 10800, 21600)
#: After the schedule runs out Event Grid retries every 12 hours (until TTL or max attempts).
RETRY_TAIL_SECONDS = 43200
#: Random jitter added to each wait, as a share of the wait (Event Grid: "small randomization").
JITTER_SHARE = 0.1
RESPONSE_TIMEOUT_SECONDS = 30.0
#: Consecutive failed attempts after which an endpoint is on probation.
PROBATION_AFTER_FAILURES = 10
MAX_RETRY_AFTER_SECONDS = 3600


class Outcome(StrEnum):
    """``lastDeliveryOutcome`` values (Event Grid's names, plus Tidings' own last three)."""

    DELIVERED = "Delivered"
    BAD_REQUEST = "BadRequest"
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    PAYLOAD_TOO_LARGE = "PayloadTooLarge"
    TIMED_OUT = "TimedOut"
    BUSY = "Busy"
    GENERIC_ERROR = "GenericError"
    SOCKET_ERROR = "SocketError"
    RESOLUTION_ERROR = "ResolutionError"
    REDIRECT = "Redirect"
    DESTINATION_NOT_ALLOWED = "DestinationNotAllowed"
    TIME_TO_LIVE_EXCEEDED = "TimeToLiveExceeded"


class TransportError(StrEnum):
    """What went wrong when no HTTP status came back."""

    TIMEOUT = "timeout"
    CONNECT = "connect"  # refused, reset, TLS failure, closed mid-response
    RESOLUTION = "resolution"  # the host name did not resolve
    NOT_ALLOWED = "not_allowed"  # the address is in a range the settings refuse


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    retry: bool
    #: The shortest wait before the next attempt Event Grid allows for this failure.
    min_wait: float = 0.0
    dead_letter_reason: str = ""
    #: The probation delay an endpoint failing this way gets (Event Grid's table).
    probation: float = 10.0


_NOT_RETRIED = {
    400: Verdict(Outcome.BAD_REQUEST, False, dead_letter_reason="UndeliverableDueToHttpBadRequest"),
    401: Verdict(
        Outcome.UNAUTHORIZED, False, dead_letter_reason="UndeliverableDueToHttpUnauthorized"
    ),
    403: Verdict(Outcome.FORBIDDEN, False, dead_letter_reason="UndeliverableDueToHttpForbidden"),
    413: Verdict(
        Outcome.PAYLOAD_TOO_LARGE,
        False,
        dead_letter_reason="UndeliverableDueToHttpRequestEntityTooLarge",
    ),
}


def judge(status: int | None, error: TransportError | None = None) -> Verdict:
    """What an attempt's result means: delivered, retried (after at least ``min_wait``) or not."""
    if status is not None and 200 <= status <= 204:
        return Verdict(Outcome.DELIVERED, False)
    if status is None:
        if error is TransportError.TIMEOUT:
            return Verdict(Outcome.TIMED_OUT, True, 10.0, probation=10.0)
        if error is TransportError.RESOLUTION:
            return Verdict(Outcome.RESOLUTION_ERROR, True, 10.0, probation=300.0)
        if error is TransportError.NOT_ALLOWED:
            return Verdict(
                Outcome.DESTINATION_NOT_ALLOWED,
                False,
                dead_letter_reason="UndeliverableDueToDestinationNotAllowed",
            )
        return Verdict(Outcome.SOCKET_ERROR, True, 10.0, probation=30.0)
    if status in _NOT_RETRIED:
        return _NOT_RETRIED[status]
    if status == 404:
        return Verdict(Outcome.NOT_FOUND, True, 300.0, probation=300.0)
    if status == 408:
        return Verdict(Outcome.TIMED_OUT, True, 120.0, probation=10.0)
    if status == 503:
        return Verdict(Outcome.BUSY, True, 30.0, probation=10.0)
    if status == 429:
        return Verdict(Outcome.BUSY, True, 10.0, probation=10.0)
    if 300 <= status < 400:
        return Verdict(Outcome.REDIRECT, True, 10.0, probation=10.0)
    return Verdict(Outcome.GENERIC_ERROR, True, 10.0, probation=10.0)


def retry_wait(
    failed_attempts: int, verdict: Verdict, retry_after: float | None, rand: float
) -> float:
    """Seconds until the next attempt after ``failed_attempts`` failures (1 = the first).

    Event Grid's schedule step, raised to the status' minimum and to a ``Retry-After`` the
    receiver sent (capped at an hour), plus up to 10% jitter (``rand`` in [0, 1)).
    """
    index = failed_attempts - 1
    base = (
        RETRY_SCHEDULE_SECONDS[index] if index < len(RETRY_SCHEDULE_SECONDS) else RETRY_TAIL_SECONDS
    )
    wait = max(float(base), verdict.min_wait)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return wait * (1.0 + JITTER_SHARE * rand)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the delay form only; dates are ignored)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


# -- payloads ---------------------------------------------------------------------------------


def cloud_event(event: Event) -> dict[str, Any]:
    """The CloudEvents 1.0 form Event Grid delivers: ``topic`` becomes ``source``."""
    return {
        "id": event.id,
        "source": event.topic,
        "specversion": "1.0",
        "type": event.event_type,
        "subject": event.subject,
        "time": iso_z(event.event_time),
        "datacontenttype": "application/json",
        "data": event.data,
    }


@dataclass(frozen=True)
class Payload:
    body: bytes
    content_type: str


def render(events: Sequence[Event], *, cloud: bool, batched: bool) -> Payload:
    """The request body for ``events``.

    Event Grid schema: always a JSON array. CloudEvents: structured mode (one object) for a
    subscription that does not batch, batched mode (an array) for one that does.
    """
    if not cloud:
        items = [e.to_event_grid() for e in events]
        return Payload(_dumps(items), "application/json; charset=utf-8")
    if batched:
        return Payload(
            _dumps([cloud_event(e) for e in events]),
            "application/cloudevents-batch+json; charset=utf-8",
        )
    return Payload(_dumps(cloud_event(events[0])), "application/cloudevents+json; charset=utf-8")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def envelope(event: Event) -> dict[str, Any]:
    """The event as filters and dynamic headers see it (the Event Grid schema)."""
    return {
        "id": event.id,
        "topic": event.topic,
        "subject": event.subject,
        "eventType": event.event_type,
        "dataVersion": event.data_version,
        "metadataVersion": event.metadata_version,
        "eventTime": iso_z(event.event_time),
        "data": event.data,
    }


# -- Standard Webhooks signatures -------------------------------------------------------------

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """A ``whsec_`` secret: 32 random bytes, base64 (Standard Webhooks: 24 to 64 bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` under the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(
    secrets_in_force: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """Space-separated signatures, one per secret in force (the new one first while rotating)."""
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_force)
