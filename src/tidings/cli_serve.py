"""``tidings serve``, ``tidings api`` and ``tidings worker``: the long-running commands.

``serve`` runs the API on HTTPS and HTTP and the background worker. With one API process
(``--api-processes 1``, the default on a single core) both run in one process; with N > 1
(the default: one per core) the first process runs the worker and N API processes answer
beside it (``processes.py``), so requests and the worker's rounds never wait for each
other's turn with the GIL. ``api`` and ``worker`` run them apart for scale-out. The process
that runs the worker serves its own metrics on ``--metrics-port`` when given
(``worker_metrics.py``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import uvicorn

from tidings import __version__, processes, worker_metrics
from tidings.container import Application
from tidings.installations import RunningServer, ServerRegistry
from tidings.settings import Settings
from tidings.tls import ensure_dev_tls

log = logging.getLogger("tidings")


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us (we run two, plus a worker), and
    tells when its sockets accept connections (``bound``, set inside the event loop)."""

    bound: anyio.Event | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)  # a port it cannot bind ends the process (SystemExit)
        if self.bound is not None:
            self.bound.set()


def serve(
    app: Application, args: argparse.Namespace, *, api: bool = True, worker: bool = True
) -> int:
    settings = app.settings
    # First, so that a port another worker has ends this one before it does anything.
    metrics = _metrics_server(app) if worker else None
    inherited = processes.adopt(getattr(args, "listen_fd", []))
    _prepare_database(app, api=api, worker=worker)
    keys = app.bootstrap() if api else {}
    several = api and not inherited and settings.api_processes > 1
    # ``serve`` with several API processes: they all answer beside this one, which works.
    apart = several and worker
    sockets = dict(inherited)
    if several:
        if settings.tls:
            sockets["https"] = processes.listen(settings.host, settings.https_port)
        sockets["http"] = processes.listen(settings.host, settings.http_port)
    servers = _servers(app, sockets) if api and not apart else []
    if metrics is not None:
        servers.append(metrics)
    # A child of --api-processes is quiet: its parent prints the banner.
    announce = _announcement(
        app,
        keys,
        api=api,
        quiet=bool(inherited),
        metrics=worker_metrics.url(metrics[1]) if metrics and metrics[1] else None,
    )
    children = None
    if several:
        count = settings.api_processes - (0 if apart else 1)
        children = processes.ApiChildren(settings, sockets, count)
        children.start()
        if apart:  # the children have sockets of their own: the kernel sends nothing here
            for sock in sockets.values():
                sock.close()
            # Requests first when both want a core (``processes.py``).
            processes.lower_priority(settings.worker.niceness)
    if worker and not servers:  # a process that only works: its writes are long batches
        app.database.write_in_background()
    # The event loop shares the GIL with the group-commit and worker threads; a short switch
    # interval keeps it from waiting up to 5 ms for the GIL after every socket operation.
    sys.setswitchinterval(0.0005)
    _tune_gc()
    try:
        anyio.run(
            _run,
            app,
            servers,
            worker,
            children,
            getattr(args, "parent_pid", None),
            announce,
            backend_options={"use_uvloop": _has_uvloop()},
        )
    finally:
        if children is not None:
            children.stop()
    return 0


def _prepare_database(app: Application, *, api: bool, worker: bool) -> None:
    """``serve`` migrates and takes back the jobs of a process that died; ``api`` and
    ``worker`` alone only check that the schema is current."""
    if worker and api:
        app.migrate()
        released = app.recover()
        if released:
            log.info("released %d jobs leased by a process that stopped unexpectedly", released)
    else:
        app.check_migrated()


def _servers(
    app: Application, sockets: dict[str, socket.socket]
) -> list[tuple[_Server, socket.socket | None]]:
    """This process's HTTPS (with TLS on) and HTTP servers, on ``sockets`` where given."""
    settings = app.settings
    asgi = app.asgi()
    common: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "off"}
    servers: list[tuple[_Server, socket.socket | None]] = []
    if settings.tls:
        tls = ensure_dev_tls(settings.tls_dir, settings.tls_hostnames)
        config = uvicorn.Config(
            asgi,
            host=settings.host,
            port=settings.https_port,
            ssl_certfile=str(tls.server_cert),
            ssl_keyfile=str(tls.server_key),
            **common,
        )
        servers.append((_Server(config), sockets.get("https")))
    config = uvicorn.Config(asgi, host=settings.host, port=settings.http_port, **common)
    servers.append((_Server(config), sockets.get("http")))
    return servers


def _metrics_server(app: Application) -> tuple[_Server, socket.socket | None] | None:
    """The worker process's ``/metrics`` on ``metrics_host:metrics_port``, if set.

    Raises:
        MetricsPortUnavailable: the port is taken (another worker's?) or not ours to use.
    """
    settings = app.settings
    if settings.metrics_port is None:
        return None
    sock = worker_metrics.listen(settings.metrics_host, settings.metrics_port)
    config = uvicorn.Config(
        worker_metrics.app([app.smpp_metrics]),
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    return _Server(config), sock


def _announcement(
    app: Application,
    keys: dict[str, str],
    *,
    api: bool,
    quiet: bool,
    metrics: str | None = None,
) -> Callable[[], None] | None:
    """What to print once this process's listeners accept. Under ``serve`` with several
    processes the API children's sockets are listening (the kernel queues connections) from
    when they are spawned, before the banner."""
    settings = app.settings
    if not api:
        return functools.partial(_announce_worker, metrics)
    if quiet:
        return None
    ca_cert = (
        ensure_dev_tls(settings.tls_dir, settings.tls_hostnames).ca_cert if settings.tls else None
    )
    return functools.partial(_announce, app, keys, ca_cert, metrics)


def _announce_worker(metrics: str | None) -> None:
    print(f"Tidings {__version__} worker is running.", flush=True)
    if metrics is not None:
        print(f"  Metrics:           {metrics}", flush=True)


def _tune_gc() -> None:
    """Keep the cyclic garbage collector off the hot path: the objects built at start-up
    (SQLAlchemy's metadata, the routes, the libraries: ~10^5 of them) are frozen out of its
    scans, and it runs after 20,000 new container objects rather than 700. It took ~8% of
    the accept path's CPU (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def _announce(
    app: Application, keys: dict[str, str], ca_cert: Path | None, metrics: str | None
) -> None:
    """The banner, and the record that lets one-shot commands run elsewhere find the data."""
    _banner(app, keys, ca_cert)
    if metrics is not None:
        print(f"  Worker metrics:    {metrics}", flush=True)
    _record(app.settings)


def _banner(app: Application, keys: dict[str, str], ca_cert: Path | None) -> None:
    settings = app.settings
    print(f"Tidings {__version__} is ready.", flush=True)
    if ca_cert is not None:
        print(
            f"  Connection string: endpoint=https://{_host(settings)}:"
            f"{settings.https_port}/;accesskey={keys['primary']}",
            flush=True,
        )
        print(f"  Development CA:    {ca_cert.resolve()}", flush=True)
        print(
            f"    (sync SDK: REQUESTS_CA_BUNDLE={ca_cert.resolve()}; async SDK: SSL_CERT_FILE=...)",
            flush=True,
        )
    print(
        f"  HTTP endpoint:     http://{_host(settings)}:{settings.http_port}/ "
        f"(SmsClient(endpoint, AzureKeyCredential(key)))",
        flush=True,
    )
    print(f"  Access key:        {keys['primary']}", flush=True)
    print(
        f"  Web console:       http://{_host(settings)}:{settings.http_port}/ "
        "(sign in with the access key)",
        flush=True,
    )
    print(f"  Database:          {app.database.engine.url.render_as_string()}", flush=True)
    if settings.api_processes > 1:
        print(f"  API processes:     {settings.api_processes}", flush=True)


def _record(settings: Settings) -> None:
    if settings.state_dir is None:
        return
    host = _host(settings)
    https = f"https://{host}:{settings.https_port}/" if settings.tls else None
    server = RunningServer(
        pid=os.getpid(),
        data_dir=str(settings.data_dir.resolve()),
        database_url=settings.database_url,
        http_endpoint=f"http://{host}:{settings.http_port}/",
        https_endpoint=https,
    )
    try:
        ServerRegistry(settings.state_dir).record(server)
    except OSError as exc:  # a read-only home: commands elsewhere will not find this server
        log.warning("could not record this server in %s: %s", settings.state_dir, exc)


def _has_uvloop() -> bool:
    """uvloop (installed with uvicorn[standard]) where available: as uvicorn itself picks."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def _host(settings: Settings) -> str:
    return "127.0.0.1" if settings.host in {"0.0.0.0", "::"} else settings.host  # noqa: S104


async def _run(
    app: Application,
    servers: list[tuple[_Server, socket.socket | None]],
    run_worker: bool,
    children: processes.ApiChildren | None,
    parent_pid: int | None,
    announce: Callable[[], None] | None,
) -> None:
    stop = anyio.Event()
    for server, _ in servers:
        server.bound = anyio.Event()

    async def ready() -> None:
        """The banner once every listener accepts (scripts wait for it), and the record that
        lets one-shot commands run elsewhere find this server's data."""
        for server, _ in servers:
            assert server.bound is not None
            await server.bound.wait()
        if announce is not None:
            announce()

    async def watch_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                return

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch_signals)
        if run_worker:
            await app.carrier.start(app.sink)
            tasks.start_soon(app.worker().run, stop)
            tasks.start_soon(app.dispatcher.run, stop)
        if children is not None:
            tasks.start_soon(children.supervise, stop)
        if parent_pid is not None:
            tasks.start_soon(processes.watch_parent, parent_pid, stop)
        for server, sock in servers:
            tasks.start_soon(server.serve, None if sock is None else [sock])
        tasks.start_soon(ready)
        try:
            await stop.wait()
        finally:
            if app.settings.state_dir is not None:
                ServerRegistry(app.settings.state_dir).forget(os.getpid())
        for server, _ in servers:
            server.should_exit = True
        tasks.cancel_scope.deadline = anyio.current_time() + 10
    await app.carrier.aclose()
    await app.sender.aclose()  # the webhook client's connections (no "Unclosed" warnings)
