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


def limit_key(number_type: NumberType, sender: str) -> str:
    """The rate-window key: per number, or per resource for alphanumeric sender ids."""
    if number_type is NumberType.ALPHANUMERIC:
        return "alphanumeric:*"
    return f"{number_type.value}:{sender}"


def window_start(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
