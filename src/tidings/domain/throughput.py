"""Per-sender throughput limits, in message units (recipients) per minute, as ACS documents.

Messages over the limit are not refused: they are scheduled into the next window with room.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tidings.domain.numbers import NumberType

WINDOW = timedelta(minutes=1)

#: Messages per minute per sender by number type. Alphanumeric ids share one resource-wide limit.
LIMITS_PER_MINUTE: dict[NumberType, int] = {
    NumberType.TOLL_FREE: 200,
    NumberType.SHORT_CODE: 6000,
    NumberType.ALPHANUMERIC: 600,
    NumberType.GEOGRAPHIC: 75,
    NumberType.MOBILE: 75,
}


#: The highest per-minute limit accepted (a million a second; "off" lifts a limit).
MAX_LIMIT = 60_000_000


def parse_limits(text: str) -> dict[NumberType, int | None]:
    """Per-type limits from ``"tollFree=200,shortCode=6000"``; ``"off"`` lifts them all.

    Types not named keep their ACS default; ``type=off`` lifts one. Raises ``ValueError``.
    """
    limits: dict[NumberType, int | None] = dict(LIMITS_PER_MINUTE)
    text = text.strip()
    if not text:
        return limits
    if text.lower() == "off":
        return dict.fromkeys(limits)
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected type=limit, got {item!r}")
        kind = NumberType(name.strip())
        raw = value.strip().lower()
        if raw == "off":
            limits[kind] = None
            continue
        limit = int(raw)
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"the limit of {kind.value} must be between 1 and {MAX_LIMIT}")
        limits[kind] = limit
    return limits


def limit_key(number_type: NumberType, sender: str) -> str:
    """The rate-window key: per number, or per resource for alphanumeric sender ids."""
    if number_type is NumberType.ALPHANUMERIC:
        return "alphanumeric:*"
    return f"{number_type.value}:{sender}"


def window_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
