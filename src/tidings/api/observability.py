"""Request ids, access logs and Prometheus metrics at the HTTP edge.

- Every request gets an id: the client's ``x-ms-client-request-id`` when it sends a usable
  one (the Azure SDKs always do), a new UUID otherwise. It is in every log record written
  while the request runs and comes back as ``x-ms-request-id`` (and the client's header is
  echoed, as ACS does).
- HTTP requests are counted and timed per route template, method and status, in this
  process (scrape every API process; ``sum`` across them).
- Messages, the job queue, carrier latency, webhook attempts and dead letters are read from
  the database when scraped (cached ``SNAPSHOT_TTL`` seconds: counting every message by
  status costs about a second of database time at a million messages on SQLite): state
  shared by every API and worker process, so any API process answers for the whole
  deployment (``max`` across them).
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence

import anyio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings import logs
from tidings.domain.ids import new_guid
from tidings.services.analytics import OperationsService, OperationsSnapshot

log = logging.getLogger("tidings.access")
SNAPSHOT_TTL = 15.0
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


#: Latency histogram bounds, in seconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LE = (*(str(bound) for bound in _BUCKETS), "+Inf")  # as prometheus_client spells them


class HttpMetrics(Collector):
    """The per-process HTTP metrics, in their own registry (one per app): requests by route
    template, method and status, and their latency by route and method.

    Counted in plain dictionaries by the event loop and turned into Prometheus families when
    scraped: ``prometheus_client``'s ``Counter.inc`` and ``Histogram.observe`` take a lock
    per value and walk the buckets in Python, ~2 µs a request on the hottest path.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        # per (route, method): a count per bucket, then +Inf, then the sum of the seconds
        self._latency: dict[tuple[str, str], list[float]] = {}
        registry.register(self)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        series = self._latency.get((route, method))
        if series is None:
            series = self._latency[(route, method)] = [0.0] * (len(_BUCKETS) + 2)
        series[bisect.bisect_left(_BUCKETS, seconds)] += 1  # the first bound >= seconds
        series[-1] += seconds

    def collect(self) -> Iterable[Metric]:
        requests = CounterMetricFamily(
            "tidings_http_requests",
            "HTTP requests by route template, method and status",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in list(self._requests.items()):
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "tidings_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            labels=["route", "method"],
        )
        for (route, method), series in list(self._latency.items()):
            counts = list(series)
            buckets: list[tuple[str, float]] = []
            total = 0.0
            for le, n in zip(_LE, counts[:-1], strict=True):
                total += n
                buckets.append((le, total))
            latency.add_metric([route, method], buckets, sum_value=counts[-1])
        yield latency


class RequestContext:
    """One request's id, start time and outcome: what ``RequestContextMiddleware`` (and the
    ``POST /sms`` fast path, ``api/fast_sms.py``) wrap around answering it."""

    __slots__ = ("_token", "client_id", "request_id", "started", "status")

    def __init__(self, scope: Scope) -> None:
        client_id = _header(scope, b"x-ms-client-request-id")
        if client_id is not None and not _CLIENT_ID.match(client_id):
            client_id = None
        self.client_id = client_id
        self.request_id = client_id or new_guid()
        self._token = logs.request_id.set(self.request_id)
        self.started = time.perf_counter()
        self.status = 500

    def stamp(self, message: Message) -> None:
        """Note the status of an ``http.response.start`` and add the id headers to it."""
        self.status = message["status"]
        headers = MutableHeaders(scope=message)
        headers["x-ms-request-id"] = self.request_id
        if self.client_id is not None:
            headers["x-ms-client-request-id"] = self.client_id

    def id_headers(self) -> list[tuple[bytes, bytes]]:
        """The headers ``stamp`` adds, for a response built without them."""
        headers = [(b"x-ms-request-id", self.request_id.encode("latin-1"))]
        if self.client_id is not None:
            headers.append((b"x-ms-client-request-id", self.client_id.encode("latin-1")))
        return headers

    def finish(self, scope: Scope, metrics: HttpMetrics, route: str | None = None) -> None:
        """Count and time the request, write its access log line, end its log context."""
        elapsed = time.perf_counter() - self.started
        route = route or getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"]
        status = self.status
        metrics.observe(route, method, status, elapsed)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s %d %.1f ms",
                method,
                scope["path"],
                status,
                elapsed * 1000,
                extra={"route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)},
            )
        logs.request_id.reset(self._token)


class RequestContextMiddleware:
    """Request id, access log line and HTTP metrics (outermost middleware)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(scope)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                context.stamp(message)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            context.finish(scope, self.metrics)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class DatabaseCollector(Collector):
    """Deployment-wide gauges from an ``OperationsSnapshot`` (taken by ``snapshot``)."""

    def __init__(self, snapshot: Callable[[], OperationsSnapshot | None]) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        s = self._snapshot()
        if s is None:
            return
        messages = GaugeMetricFamily(
            "tidings_messages",
            "Stored messages by direction, status and our number's type",
            labels=["direction", "status", "number_type"],
        )
        for (direction, status, kind), n in sorted(s.messages.items()):
            messages.add_metric([direction, status, kind], n)
        yield messages
        queue = GaugeMetricFamily("tidings_queue_jobs", "Jobs by state", labels=["state"])
        queue.add_metric(["pending"], s.queue.pending)
        queue.add_metric(["due"], s.queue.due)
        queue.add_metric(["dead"], s.queue.dead)
        yield queue
        yield GaugeMetricFamily(
            "tidings_queue_oldest_due_age_seconds",
            "How long the oldest pending job has been due (0 when none is)",
            value=s.queue_oldest_due_age or 0.0,
        )
        yield GaugeMetricFamily(
            "tidings_webhook_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery (0 when none)",
            value=s.webhook_oldest_pending_age or 0.0,
        )
        latency = GaugeMetricFamily(
            "tidings_carrier_latency_seconds",
            "Sent-to-delivery-report time of messages delivered in the last 5 minutes",
            labels=["quantile"],
        )
        for quantile, value in zip(("0.5", "0.9", "0.99"), s.carrier_latency, strict=True):
            if value is not None:
                latency.add_metric([quantile], value)
        yield latency
        yield GaugeMetricFamily(
            "tidings_carrier_reports_recent",
            "Delivery reports of delivered messages in the last 5 minutes",
            value=s.carrier_reports,
        )
        attempts = GaugeMetricFamily(
            "tidings_webhook_attempts_recent",
            "Webhook attempts in the last 5 minutes by outcome",
            labels=["outcome"],
        )
        for outcome, n in sorted(s.webhook_attempts.items()):
            attempts.add_metric([outcome], n)
        yield attempts
        dead = GaugeMetricFamily(
            "tidings_webhook_dead_letters",
            "Dead-lettered webhook deliveries by subscription",
            labels=["subscription"],
        )
        for subscription, n in sorted(s.dead_letters.items()):
            dead.add_metric([subscription], n)
        yield dead


class MetricsEndpoint:
    """``GET /metrics``: refreshes the database snapshot (off the event loop), then renders."""

    def __init__(self, operations: OperationsService, collectors: Sequence[Collector] = ()) -> None:
        self.registry = CollectorRegistry()
        self.http = HttpMetrics(self.registry)
        for collector in collectors:  # metrics kept in this process (a carrier's binds)
            self.registry.register(collector)
        self._operations = operations
        self._snapshot: OperationsSnapshot | None = None
        self._taken = 0.0
        self.registry.register(DatabaseCollector(lambda: self._snapshot))

    async def endpoint(self, _request: Request) -> Response:
        if self._snapshot is None or time.monotonic() - self._taken > SNAPSHOT_TTL:
            self._snapshot = await anyio.to_thread.run_sync(self._operations.snapshot)
            self._taken = time.monotonic()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
