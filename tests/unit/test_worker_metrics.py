"""The worker process's metrics endpoint (``worker_metrics``): prometheus_client's ASGI app
with the SMPP binds' collector at /metrics only, and a clear refusal of a port in use."""

from __future__ import annotations

import socket

import httpx
import pytest

from tidings.carriers.smpp.metrics import SmppMetrics
from tidings.cli import main, parser
from tidings.domain.smpp import BindState
from tidings.worker_metrics import MetricsPortUnavailable, app, listen, url

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_serves_the_smpp_metrics_and_the_process_s_own_at_metrics() -> None:
    metrics = SmppMetrics()
    metrics.bind("acme", "0:trx").state(BindState.BOUND)
    transport = httpx.ASGITransport(app=app([metrics]))
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        scraped = await client.get("/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        text = scraped.text
        assert 'tidings_smpp_bind_state{bind="0:trx",carrier="acme",state="bound"} 1.0' in text
        assert "python_info" in text
        assert (await client.get("/")).status_code == 404


def test_a_port_in_use_is_refused_with_a_sentence() -> None:
    first = listen("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        assert url(first) == f"http://127.0.0.1:{port}/metrics"
        with pytest.raises(MetricsPortUnavailable, match=r"in use.*--metrics-port"):
            listen("127.0.0.1", port).close()
        # A port shared with SO_REUSEPORT would let two workers split the scrapes: not here.
        assert not first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
    finally:
        first.close()


def test_worker_and_serve_take_the_flags(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parser().parse_args(["worker", "--metrics-port", "9464", "--metrics-host", "0.0.0.0"])
    assert (args.metrics_port, args.metrics_host) == (9464, "0.0.0.0")
    assert parser().parse_args(["serve", "--metrics-port", "0"]).metrics_port == 0
    with pytest.raises(SystemExit):
        parser().parse_args(["api", "--metrics-port", "9464"])  # no worker: nothing to show
    capsys.readouterr()


def test_a_worker_whose_port_is_taken_stops_with_the_reason(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = listen("127.0.0.1", 0)
    try:
        data = ["--data-dir", str(tmp_path)]
        assert main(["migrate", *data]) == 0
        port = str(taken.getsockname()[1])
        assert main(["worker", "--metrics-port", port, *data]) == 2
        err = capsys.readouterr().err
        assert f"tidings: cannot serve metrics on 127.0.0.1:{port}: the port is in use" in err
    finally:
        taken.close()
