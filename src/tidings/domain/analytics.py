"""Analytics: the question asked (range, bucket, filters) and the arithmetic on the answers.

Storage returns grouped counts (per hour or day, per status, per latency in milliseconds);
this module checks the question, folds hours and days into the requested buckets, fills
empty buckets with zeros and takes nearest-rank percentiles from count histograms.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tidings.domain.conversation_stats import ConversationStats, Int64s
from tidings.errors import InvalidInput

#: Most buckets one question may produce (two years by hour would be 17,520).
MAX_BUCKETS = 5000
DEFAULT_RANGE = timedelta(days=7)


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"

    @property
    def width(self) -> timedelta:
        return {
            Bucket.HOUR: timedelta(hours=1),
            Bucket.DAY: timedelta(days=1),
            Bucket.WEEK: timedelta(weeks=1),
        }[self]

    @property
    def storage_unit(self) -> Bucket:
        """The unit storage groups by: hours for hourly buckets, days otherwise."""
        return Bucket.HOUR if self is Bucket.HOUR else Bucket.DAY

    def floor(self, moment: datetime) -> datetime:
        """The start of the bucket holding ``moment`` (weeks start on Monday, UTC)."""
        utc = moment.astimezone(UTC)
        if self is Bucket.HOUR:
            return utc.replace(minute=0, second=0, microsecond=0)
        day = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        if self is Bucket.DAY:
            return day
        return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class AnalyticsQuery:
    start: datetime  # inclusive
    end: datetime  # exclusive
    bucket: Bucket = Bucket.DAY
    number: str | None = None
    tag: str | None = None

    def bucket_starts(self) -> list[datetime]:
        first = self.bucket.floor(self.start)
        count = math.ceil((self.end - first) / self.bucket.width)
        return [first + i * self.bucket.width for i in range(count)]


def _instant(raw: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"{name} must be an ISO 8601 instant such as 2026-11-01T00:00:00Z; got {raw!r}.",
            target=name,
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_query(
    now: datetime,
    *,
    start: str | None = None,
    end: str | None = None,
    bucket: str | None = None,
    number: str | None = None,
    tag: str | None = None,
) -> AnalyticsQuery:
    """Check a question as it arrives (strings) and fill in the defaults.

    Raises:
        InvalidInput: a date does not parse, ``from`` is not before ``to``, the bucket is
            unknown, or the range would produce more than ``MAX_BUCKETS`` buckets.
    """
    try:
        unit = Bucket(bucket or Bucket.DAY.value)
    except ValueError:
        raise InvalidInput(
            f"bucket must be one of hour, day, week; got {bucket!r}.", target="bucket"
        ) from None
    end_at = _instant(end, "to") if end else now.astimezone(UTC)
    start_at = _instant(start, "from") if start else end_at - DEFAULT_RANGE
    if start_at >= end_at:
        raise InvalidInput("from must be earlier than to.", target="from")
    query = AnalyticsQuery(start_at, end_at, unit, number or None, tag or None)
    first = unit.floor(start_at)
    buckets = math.ceil((end_at - first) / unit.width)
    if buckets > MAX_BUCKETS:
        raise InvalidInput(
            f"The range from {start_at.isoformat()} to {end_at.isoformat()} by {unit.value} "
            f"makes {buckets} buckets; at most {MAX_BUCKETS} are allowed. Use a larger bucket "
            f"(day or week) or a shorter range.",
            target="bucket",
        )
    return query


def percentiles(
    histogram: Iterable[tuple[float, int]], ranks: Sequence[float]
) -> list[float | None]:
    """Nearest-rank percentiles of a histogram of ``(value, count)``: the smallest value
    with at least ``ceil(p * N)`` observations at or below it. None when it is empty."""
    items = sorted((value, count) for value, count in histogram if count > 0)
    seen = list(itertools.accumulate(count for _, count in items))
    if not seen:
        return [None for _ in ranks]
    return [items[bisect.bisect_left(seen, _needed(rank, seen[-1]))][0] for rank in ranks]


def _needed(rank: float, total: int) -> int:
    """How many observations the nearest-rank percentile ``rank`` must have at or below."""
    return max(1, math.ceil(rank * total - 1e-9))


def sorted_percentiles(values: Int64s, ranks: Sequence[float]) -> list[int | None]:
    """``percentiles`` of values already in ascending order, one observation each."""
    if not values.size:
        return [None for _ in ranks]
    return [int(values[_needed(rank, values.size) - 1]) for rank in ranks]


def latency_bin(ms: int) -> int:
    """The latency a rollup keeps for ``ms``: 10 ms steps below 10 s, 100 ms below 100 s,
    whole seconds above (percentiles from rollups are within 1%)."""
    step = 10 if ms < 10_000 else 100 if ms < 100_000 else 1000
    return int(round(ms / step) * step)


#: Sentence punctuation around a keyword that does not make it another keyword ("THANKS!",
#: "THANKS,", "¿HOLA?"); other symbols are part of the word ("=SUM(A1)" stays as it is).
_LEADING = "¡¿"
_TRAILING = ".,!?;:…。，！？、"


def keyword_key(word: str) -> str:
    """The keyword a first word counts as: upper-cased, without the sentence punctuation
    around it (``"Thanks!"`` and ``"THANKS,"`` are both ``THANKS``); a word of punctuation
    only (``"?"``) stays as it is."""
    return word.lstrip(_LEADING).rstrip(_TRAILING).upper() or word.upper()


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


@dataclass
class AnalyticsCounts:
    """What storage counts for one question; times are the starts of hours or days (UTC)."""

    #: Outbound messages: (unit start, status, messages, segments).
    outbound: list[tuple[datetime, str, int, int]]
    #: Inbound messages: (unit start, messages, segments).
    inbound: list[tuple[datetime, int, int]]
    #: Opt-list changes: (unit start, "optOut" | "optIn", changes).
    opt_changes: list[tuple[datetime, str, int]]
    #: Outbound by (sender, tag, status, delivery code): messages.
    breakdown: list[tuple[str, str | None, str, int | None, int]]
    #: Inbound by recipient: (number, messages).
    by_number_in: list[tuple[str, int]]
    #: Delivered outbound by latency (final - created) in milliseconds: (ms, messages).
    latency_ms: list[tuple[int, int]]
    #: First words of inbound messages, upper-cased: (word, messages), most frequent first.
    keywords: list[tuple[str, int]]
    #: Active conversations, those with outbound in range and their first-reply waits.
    conversations: ConversationStats
    #: Our numbers (listed in byNumber even when idle).
    numbers: list[str]


_FINAL_OK = "delivered"
_FINAL_FAILED = "failed"
_EMPTY_ROW = {"sent": 0, "received": 0, "delivered": 0, "failed": 0, "segments": 0}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_exact(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return _iso(utc) if not utc.microsecond else utc.isoformat().replace("+00:00", "Z")


def _outbound_row(row: dict[str, int], status: str, count: int) -> None:
    row["sent"] += count
    if status == _FINAL_OK:
        row["delivered"] += count
    elif status == _FINAL_FAILED:
        row["failed"] += count


def build_report(
    query: AnalyticsQuery, counts: AnalyticsCounts, reason: Callable[[int | None], str]
) -> dict[str, Any]:
    """The analytics document (camelCase, as ``GET /tidings/analytics`` returns it).

    ``reason`` spells a failure's delivery code (``4007: Sender blocked ...``).
    """
    series = _series(query, counts)
    by_number, by_tag, failures = _breakdown(counts)
    return {
        "from": _iso_exact(query.start),
        "to": _iso_exact(query.end),
        "bucket": query.bucket.value,
        "number": query.number,
        "tag": query.tag,
        "totals": _totals(series, counts),
        "series": [{"start": _iso(start), **row} for start, row in series.items()],
        "failureReasons": [
            {"reason": reason(code), "count": n}
            for code, n in sorted(failures.items(), key=lambda item: (-item[1], item[0] or 0))
        ],
        "topKeywords": [{"keyword": word, "count": n} for word, n in counts.keywords],
        "byNumber": [
            {
                "number": number,
                "sent": row["sent"],
                "received": row["received"],
                "delivered": row["delivered"],
                "failed": row["failed"],
                "deliveryRate": rate(row["delivered"], row["delivered"] + row["failed"]),
            }
            for number, row in sorted(by_number.items(), key=lambda i: (-i[1]["sent"], i[0]))
        ],
        "byTag": [
            {
                "tag": tag,
                "sent": row["sent"],
                "delivered": row["delivered"],
                "failed": row["failed"],
                "deliveryRate": rate(row["delivered"], row["delivered"] + row["failed"]),
            }
            for tag, row in sorted(by_tag.items(), key=lambda i: (-i[1]["sent"], i[0]))
        ],
    }


def _series(query: AnalyticsQuery, counts: AnalyticsCounts) -> dict[datetime, dict[str, int]]:
    """Each bucket's row, from its start: every bucket of the range, idle ones included."""
    series: dict[datetime, dict[str, int]] = {
        s: {**_EMPTY_ROW, "optOuts": 0, "optIns": 0} for s in query.bucket_starts()
    }

    def slot(unit_start: datetime) -> dict[str, int]:
        return series[query.bucket.floor(unit_start)]

    for unit_start, status, n, segments in counts.outbound:
        row = slot(unit_start)
        _outbound_row(row, status, n)
        row["segments"] += segments
    for unit_start, n, _segments in counts.inbound:
        slot(unit_start)["received"] += n
    for unit_start, action, n in counts.opt_changes:
        slot(unit_start)["optOuts" if action == "optOut" else "optIns"] += n
    return series


def _totals(series: dict[datetime, dict[str, int]], counts: AnalyticsCounts) -> dict[str, Any]:
    first = next(iter(series.values()))
    totals = {key: sum(row[key] for row in series.values()) for key in first}
    latency = percentiles(counts.latency_ms, (0.5, 0.9, 0.99))
    chats = counts.conversations
    wait = [None if ms is None else ms / 1000 for ms in sorted_percentiles(chats.waits, (0.5, 0.9))]
    return {
        "sent": totals["sent"],
        "received": totals["received"],
        "delivered": totals["delivered"],
        "failed": totals["failed"],
        "pending": totals["sent"] - totals["delivered"] - totals["failed"],
        "segments": totals["segments"],
        "deliveryRate": rate(totals["delivered"], totals["delivered"] + totals["failed"]),
        "optOuts": totals["optOuts"],
        "optIns": totals["optIns"],
        "activeConversations": chats.active,
        "replyRate": rate(chats.replied, chats.started),
        "deliveryLatencyMs": dict(zip(("p50", "p90", "p99"), latency, strict=True)),
        "timeToFirstReplySeconds": dict(zip(("p50", "p90"), wait, strict=True)),
    }


def _breakdown(
    counts: AnalyticsCounts,
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[int | None, int]]:
    """Rows by number (ours listed even when idle) and by tag, and failures by code."""
    by_number: dict[str, dict[str, int]] = {number: dict(_EMPTY_ROW) for number in counts.numbers}
    by_tag: dict[str, dict[str, int]] = {}
    failures: dict[int | None, int] = {}
    for number, tag, status, code, n in counts.breakdown:
        _outbound_row(by_number.setdefault(number, dict(_EMPTY_ROW)), status, n)
        if tag is not None:
            _outbound_row(by_tag.setdefault(tag, dict(_EMPTY_ROW)), status, n)
        if status == _FINAL_FAILED:
            failures[code] = failures.get(code, 0) + n
    for number, n in counts.by_number_in:
        by_number.setdefault(number, dict(_EMPTY_ROW))["received"] += n
    return by_number, by_tag, failures


#: The tables ``format=csv`` can export, and the keys of their rows.
CSV_TABLES: dict[str, tuple[str, ...]] = {
    "series": ("start", "sent", "received", "delivered", "failed", "segments", "optOuts", "optIns"),
    "byNumber": ("number", "sent", "received", "delivered", "failed", "deliveryRate"),
    "byTag": ("tag", "sent", "delivered", "failed", "deliveryRate"),
    "failureReasons": ("reason", "count"),
    "topKeywords": ("keyword", "count"),
}
