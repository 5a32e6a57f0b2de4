"""The Prometheus endpoint of the process that runs the worker (``--metrics-port``).

The API's ``GET /metrics`` describes the process that answers it. The SMPP binds' metrics
(``tidings_smpp_*``, ``carriers/smpp/metrics.py``) live in the memory of the process whose
worker holds the binds: ``tidings worker``, or the worker's process under ``tidings serve``
(with ``--api-processes`` above 1 that process answers no API requests). With
``metrics_port`` set, that process serves its own registry (those collectors and
prometheus_client's process, platform and GC collectors) at ``/metrics`` through
prometheus_client's ASGI app on uvicorn, on a socket of its own: without ``SO_REUSEPORT``,
so a second worker given the same port is refused at start rather than sharing it.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    make_asgi_app,
)
from prometheus_client.registry import Collector
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tidings.errors import TidingsError


class MetricsPortUnavailable(TidingsError):
    """The metrics endpoint's address cannot be listened on (in use, not ours, invalid)."""


def registry(collectors: Sequence[Collector]) -> CollectorRegistry:
    """A registry of ``collectors`` and the process's own (CPU, memory, GC, Python)."""
    found = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR, *collectors):
        found.register(collector)
    return found


def app(collectors: Sequence[Collector]) -> ASGIApp:
    """``GET /metrics`` (prometheus_client's ASGI app); any other path is 404."""
    metrics = make_asgi_app(registry(collectors))

    async def only_metrics(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/metrics":
            await PlainTextResponse("Not Found", 404)(scope, receive, send)
            return
        await metrics(scope, receive, send)

    return only_metrics


def listen(host: str, port: int) -> socket.socket:
    """A listening socket for the endpoint, or a ``MetricsPortUnavailable`` that says why."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except (OSError, OverflowError) as exc:
        reason = str(exc)
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            reason = (
                "the port is in use (by another worker?): give each worker a port of its own "
                "with --metrics-port or TIDINGS_METRICS_PORT, or 0 for any free port"
            )
        raise MetricsPortUnavailable(f"cannot serve metrics on {host}:{port}: {reason}") from exc


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if host in {"0.0.0.0", "::"}:  # noqa: S104
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/metrics"
