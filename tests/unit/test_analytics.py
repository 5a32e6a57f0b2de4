from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from tidings.domain.analytics import (
    Bucket,
    parse_query,
    percentiles,
    rate,
    sorted_percentiles,
)
from tidings.errors import InvalidInput

NOW = datetime(2026, 11, 23, 12, 34, 56, tzinfo=UTC)


def test_defaults_are_the_last_seven_days_by_day() -> None:
    q = parse_query(NOW)
    assert (q.start, q.end, q.bucket) == (
        datetime(2026, 11, 16, 12, 34, 56, tzinfo=UTC),
        NOW,
        Bucket.DAY,
    )
    starts = q.bucket_starts()
    assert starts[0] == datetime(2026, 11, 16, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 11, 23, tzinfo=UTC)
    assert len(starts) == 8  # the first and last days are partial


def test_offsets_and_naive_times_are_utc() -> None:
    q = parse_query(NOW, start="2026-11-01T02:00:00+02:00", end="2026-11-02T00:00:00")
    assert q.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert q.end == datetime(2026, 11, 2, tzinfo=UTC)


def test_week_buckets_start_on_monday() -> None:
    assert Bucket.WEEK.floor(datetime(2026, 11, 22, 23, 0, tzinfo=UTC)) == datetime(
        2026, 11, 16, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("params", "target", "words"),
    [
        ({"start": "yesterday"}, "from", "ISO 8601"),
        ({"end": "2026-13-01T00:00:00Z"}, "to", "ISO 8601"),
        ({"start": "2026-11-02T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "from", "earlier"),
        ({"start": "2026-11-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "from", "earlier"),
        ({"bucket": "minute"}, "bucket", "hour, day, week"),
        (
            {"start": "2024-11-01T00:00:00Z", "end": "2026-11-01T00:00:00Z", "bucket": "hour"},
            "bucket",
            "17520 buckets",
        ),
    ],
)
def test_bad_questions(params: dict[str, str], target: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_query(NOW, **params)
    assert caught.value.target == target
    assert words in caught.value.message


def test_two_years_by_day_is_fine() -> None:
    q = parse_query(NOW, start="2024-11-01T00:00:00Z", end="2026-11-01T00:00:00Z")
    assert len(q.bucket_starts()) == 730


def test_nearest_rank_percentiles() -> None:
    values = [(v, 1) for v in range(1, 101)]  # 1..100
    assert percentiles(values, (0.5, 0.9, 0.99, 1.0)) == [50, 90, 99, 100]
    assert percentiles([(7, 3), (1, 1)], (0.25, 0.5)) == [1, 7]
    assert percentiles([], (0.5,)) == [None]
    assert rate(1, 0) is None and rate(1, 4) == 0.25


def test_sorted_percentiles_agree_with_the_histogram_form() -> None:
    rng = random.Random(3)
    for size in (1, 2, 3, 10, 99, 1000):
        values = sorted(rng.randrange(0, 50) for _ in range(size))
        ranks = (0.01, 0.25, 0.5, 0.9, 0.99, 1.0)
        histogram = Counter(values).items()
        assert sorted_percentiles(np.array(values, dtype=np.int64), ranks) == percentiles(
            histogram, ranks
        )
    assert sorted_percentiles(np.zeros(0, dtype=np.int64), (0.5,)) == [None]
