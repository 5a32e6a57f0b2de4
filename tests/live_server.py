"""An in-process ``tidings serve``: the real ASGI app under uvicorn on a free port and the
real worker, in a thread, driven by a clock the test moves (for SDK tests of expiry)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import httpx
import uvicorn

from tests.server import free_port
from tidings.container import Application


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test process keeps its signals
        yield


@dataclass
class LiveServer:
    app: Application
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def live_server(app: Application, timeout: float = 30.0) -> Iterator[LiveServer]:
    port = free_port()
    config = uvicorn.Config(
        app.asgi(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = _Server(config)
    failures: list[BaseException] = []

    async def main() -> None:
        stop = anyio.Event()
        async with anyio.create_task_group() as tasks:
            await app.carrier.start(app.sink)
            tasks.start_soon(app.worker().run, stop)
            await server.serve()
            stop.set()
        await app.carrier.aclose()

    def run() -> None:
        try:
            anyio.run(main)
        except BaseException as exc:  # surfaced by the fixture
            failures.append(exc)

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    started = threading.Event()
    with httpx.Client() as client:
        for _ in range(int(timeout / 0.05)):
            if failures:
                raise RuntimeError("the server failed to start") from failures[0]
            try:
                client.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                started.set()
                break
            except httpx.HTTPError:
                started.wait(0.05)
    if not started.is_set():
        raise RuntimeError("the server did not start")
    try:
        yield LiveServer(app, port)
    finally:
        server.should_exit = True
        thread.join(timeout)
        if failures:
            raise failures[0]
