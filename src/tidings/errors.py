"""The error tree. Domain and service code raise these; only ``api/errors.py`` maps them to HTTP.

::

    TidingsError                 code + message, the ACS error body
    ├── InvalidInput             malformed or out-of-range input
    │   └── ValidationFailed     the same, answered as RFC 9110 validation problem details
    ├── Unauthenticated          missing or wrong credentials
    ├── Forbidden                authenticated but not allowed
    ├── NotFound                 no such resource
    ├── Conflict                 state does not allow the change
    ├── QuotaExceeded            a rate or size limit was hit
    └── CarrierError             the carrier refused or failed a submission
        └── CarrierUnavailable   no usable route for it now (waits, then fails)

Each error carries the ACS ``code`` string (``InvalidParameter``, ``Denied``, ...) and a
human-readable message; none carries an HTTP status.
"""

from __future__ import annotations


class TidingsError(Exception):
    """Base class: ``code`` is the ACS error code, ``message`` a sentence for humans."""

    default_code = "InternalError"

    def __init__(self, message: str, *, code: str | None = None, target: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.target = target


class InvalidInput(TidingsError):
    default_code = "InvalidParameter"


class ValidationFailed(InvalidInput):
    """Input the newer ACS APIs refuse with ASP.NET's validation problem details
    (``{"type", "title", "status": 400, "errors": {field: [message]}, "traceId"}``)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class Unauthenticated(TidingsError):
    default_code = "Denied"


class Forbidden(TidingsError):
    default_code = "Forbidden"


class NotFound(TidingsError):
    default_code = "NotFound"


class Conflict(TidingsError):
    default_code = "Conflict"


class QuotaExceeded(TidingsError):
    default_code = "TooManyRequests"


class CarrierError(TidingsError):
    """A carrier refused a submission. ``retryable`` says whether a later try may succeed."""

    default_code = "CarrierError"

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False):
        super().__init__(message, code=code)
        self.retryable = retryable


class CarrierUnavailable(CarrierError):
    """No carrier can take the message now: no route matches it, or every carrier of its
    route is down or disabled. The message waits (retried, not counted against the worker's
    attempts) until the unroutable deadline, then fails with ``code`` (an ACS delivery code).
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, retryable=True)
