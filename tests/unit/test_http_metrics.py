"""``HttpMetrics`` exports what prometheus_client's ``Counter`` and ``Histogram`` would."""

from __future__ import annotations

import random

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from tidings.api.observability import _BUCKETS, HttpMetrics


def _samples(registry: CollectorRegistry) -> list[str]:
    return sorted(
        line
        for line in generate_latest(registry).decode().splitlines()
        if not line.startswith("#") and "_created" not in line
    )


def test_the_exposition_matches_prometheus_clients_own() -> None:
    reference = CollectorRegistry()
    requests = Counter(
        "tidings_http_requests", "r", ["route", "method", "status"], registry=reference
    )
    latency = Histogram(
        "tidings_http_request_duration_seconds",
        "l",
        ["route", "method"],
        registry=reference,
        buckets=_BUCKETS,
    )
    ours = CollectorRegistry()
    metrics = HttpMetrics(ours)
    rng = random.Random(7)
    # Every bound exactly, just past each, and random values from 0 to 20 s.
    values = [*_BUCKETS, *(b * 1.0001 for b in _BUCKETS)] + [rng.uniform(0, 20) for _ in range(500)]
    for index, seconds in enumerate(values):
        route, method, status = ("/sms", "POST", 202) if index % 3 else ("unmatched", "GET", 404)
        requests.labels(route, method, str(status)).inc()
        latency.labels(route, method).observe(seconds)
        metrics.observe(route, method, status, seconds)
    expected = _samples(reference)
    got = _samples(ours)
    sums = [line for line in got if "_sum" in line]
    assert [line for line in got if "_sum" not in line] == [
        line for line in expected if "_sum" not in line
    ]
    for line, reference_line in zip(
        sums, [line for line in expected if "_sum" in line], strict=True
    ):
        assert abs(float(line.split()[-1]) - float(reference_line.split()[-1])) < 1e-6
