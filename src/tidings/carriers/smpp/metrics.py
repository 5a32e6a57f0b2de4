"""Prometheus metrics of the SMPP binds this process holds (labels ``carrier``, ``bind``).

They are counted where the bind runs (the worker holding its lease); ``SmppMetrics`` is a
collector to register in the registry that process exports (``tidings serve`` runs the
worker in-process). Bind states are also in the database (``smpp_binds``) for every node.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from tidings.domain.smpp import BindState, status_name

_STATES = [s.value for s in BindState]


class SmppMetrics(Collector):
    def __init__(self) -> None:
        labels = ["carrier", "bind"]
        self.state = Gauge(
            "tidings_smpp_bind_state",
            "1 for the bind's current state",
            [*labels, "state"],
            registry=None,
        )
        self.submits = Counter(
            "tidings_smpp_submits",
            "submit_sm answered, by command_status",
            [*labels, "status"],
            registry=None,
        )
        self.window = Gauge(
            "tidings_smpp_window_used",
            "submit_sm awaiting their response",
            labels,
            registry=None,
        )
        self.latency = Histogram(
            "tidings_smpp_response_seconds",
            "submit_sm to submit_sm_resp",
            labels,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=None,
        )
        self.errors = Counter(
            "tidings_smpp_errors",
            "bind and submit failures by command_status",
            [*labels, "status"],
            registry=None,
        )
        self.receipts = Counter(
            "tidings_smpp_receipts",
            "delivery receipts: matched, early (waiting for their "
            "submit_sm_resp) and unmatched (never matched, expired)",
            [*labels, "outcome"],
            registry=None,
        )

    def bind(self, carrier: str, bind: str) -> BindMetrics:
        return BindMetrics(self, carrier, bind)

    def collect(self) -> Iterator[Metric]:
        for metric in (
            self.state,
            self.submits,
            self.window,
            self.latency,
            self.errors,
            self.receipts,
        ):
            yield from metric.collect()


class BindMetrics:
    def __init__(self, metrics: SmppMetrics, carrier: str, bind: str) -> None:
        self._m = metrics
        self._labels = (carrier, bind)
        self._ok: tuple[Histogram, Counter] | None = None

    def state(self, state: BindState) -> None:
        for name in _STATES:
            self._m.state.labels(*self._labels, name).set(1 if name == state.value else 0)

    def response(self, seconds: float, status: int) -> None:
        if status == 0:  # the usual case, once per part: its children looked up once
            if self._ok is None:
                self._ok = (
                    self._m.latency.labels(*self._labels),
                    self._m.submits.labels(*self._labels, status_name(0)),
                )
            self._ok[0].observe(seconds)
            self._ok[1].inc()
            return
        self._m.latency.labels(*self._labels).observe(seconds)
        self._m.submits.labels(*self._labels, status_name(status)).inc()
        if status:
            self._m.errors.labels(*self._labels, status_name(status)).inc()

    def timeout(self) -> None:
        self._m.errors.labels(*self._labels, "timeout").inc()

    def bind_failure(self, status: int | None) -> None:
        label = "bind_refused" if status is None else status_name(status)
        self._m.errors.labels(*self._labels, label).inc()

    def window(self, used: int) -> None:
        self._m.window.labels(*self._labels).set(used)

    def receipts(self, matched: int, early: int, unmatched: int = 0) -> None:
        for outcome, count in (("matched", matched), ("early", early), ("unmatched", unmatched)):
            if count:
                self._m.receipts.labels(*self._labels, outcome).inc(count)
