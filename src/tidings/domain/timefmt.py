"""Timestamp spellings used on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def iso_z(moment: datetime) -> str:
    """ISO 8601 UTC with ``Z`` and the fraction trimmed of trailing zeros.

    ``2020-09-18T00:27:45.32Z``, as the ACS event samples spell ``receivedTimestamp``.
    """
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    text = utc.isoformat(timespec="microseconds")[:26]  # without "+00:00"
    return (text.rstrip("0") if utc.microsecond else text[:19]) + "Z"


def iso_seconds_z(moment: datetime) -> str:
    """ISO 8601 UTC to the second: ``2020-09-18T00:22:20Z`` (the SMS events' ``eventTime``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_z(moment: datetime) -> str:
    """ISO 8601 UTC to the millisecond: ``2020-09-18T00:38:27.167Z`` (chat ``composeTime``)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond // 1000:03d}Z"


def iso_7z(moment: datetime) -> str:
    """ISO 8601 UTC with seven fraction digits: ``2020-09-18T00:38:28.0946757Z`` (.NET's)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + f".{utc.microsecond:06d}0Z"


def iso_offset(moment: datetime) -> str:
    """ISO 8601 with a ``+00:00`` offset, as the phone numbers API spells dates."""
    return moment.astimezone(UTC).isoformat()


def parse_rfc1123(text: str) -> datetime:
    """Parse an RFC 1123 date such as ``Sun, 22 Nov 2026 17:33:49 GMT``.

    Raises:
        ValueError: the text is not such a date.
    """
    if not text or not text.rstrip().endswith("GMT"):
        raise ValueError(f"not an RFC 1123 date: {text!r}")
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not an RFC 1123 date: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return _in_range(parsed.astimezone(UTC), text)
    except OverflowError:
        raise ValueError(f"not an RFC 1123 date in range: {text!r}") from None


def ensure_utc(moment: datetime) -> datetime:
    """Attach UTC to naive datetimes (SQLite returns them naive) and convert aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date-time (``Z`` or an offset; naive means UTC) to an aware UTC time.

    Raises:
        ValueError: the text is not such a date-time, or is outside 1900-9000.
    """
    try:
        parsed = ensure_utc(datetime.fromisoformat(text.strip().replace("z", "Z")))
    except OverflowError:  # an offset pushes it past year 1 or 9999
        raise ValueError(f"{text!r} is out of range") from None
    return _in_range(parsed, text)


#: Times Tidings accepts from outside: far enough from datetime's limits that adding a TTL,
#: a retry delay or a lifetime can never overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(moment: datetime, text: str) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"{text!r} is outside {EARLIEST.year}-{LATEST.year}")
    return moment
