"""More API processes on the same ports: ``--api-processes N`` (``TIDINGS_API_PROCESSES``).

One Python process answers on one core at a time (the GIL). With N > 1 the process that
``tidings serve`` or ``tidings api`` starts binds its listening sockets with
``SO_REUSEPORT``, serves on them, and starts N - 1 ``tidings api`` children, each handed
sockets of its own bound to the same ports (``--listen-fd``). The kernel spreads new
connections evenly over the sockets of a port (one shared socket would not: the process
that wakes first accepts every waiting connection). The children get the parent's settings
through the environment (``settings.environment``) and run no worker. On SQLite every
process's writes go through one fair write lock (``storage/write_lock.py``); on PostgreSQL
they are independent nodes.

The parent restarts a child that dies and stops them all when it stops; a child whose parent
is gone (even killed with ``kill -9``) stops by itself (``watch_parent``).

Under ``serve`` the parent runs the worker and the children answer requests; the parent
then runs at a lower CPU priority (``TIDINGS_WORKER_NICENESS``, 15 by default;
``lower_priority``): when both want a core, a request goes first and the worker, whose
rounds take whatever has gathered, takes it up a moment later in a bigger batch. An idle
machine gives it every cycle it asks for.
The children are started (and restarted) by a thread that keeps the normal priority.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import anyio

from tidings.settings import Settings

log = logging.getLogger(__name__)
RESTART_DELAY = 1.0


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` that other processes' sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048, reuse_port=True)


def listen_fd_args(sockets: dict[str, socket.socket]) -> list[str]:
    return [
        arg for name, sock in sockets.items() for arg in ("--listen-fd", f"{name}={sock.fileno()}")
    ]


def adopt(fds: list[str]) -> dict[str, socket.socket]:
    """The sockets a child was given, by name (``http`` / ``https``)."""
    adopted: dict[str, socket.socket] = {}
    for item in fds:
        name, _, fd = item.partition("=")
        adopted[name] = socket.socket(fileno=int(fd))
    return adopted


class ApiChildren:
    """The N - 1 extra API processes of one ``tidings serve`` or ``tidings api``."""

    def __init__(self, settings: Settings, sockets: dict[str, socket.socket], count: int) -> None:
        self._env = {**os.environ, **settings.environment(), "TIDINGS_API_PROCESSES": "1"}
        self._args = [sys.executable, "-m", "tidings", "api", "--parent-pid", str(os.getpid())]
        # Where the parent listens, for the children's own sockets.
        self._addresses = {name: sock.getsockname()[:2] for name, sock in sockets.items()}
        self._children: list[subprocess.Popen[bytes] | None] = [None] * count
        # Starts the children: a thread of its own keeps the priority they should have
        # (a thread's priority is its own on Linux, and a child inherits its starter's).
        self._starter = concurrent.futures.ThreadPoolExecutor(1, "tidings-spawn")

    def start(self) -> None:
        for index in range(len(self._children)):
            self._children[index] = self._starter.submit(self._spawn).result()

    def _spawn(self) -> subprocess.Popen[bytes]:
        sockets = {name: listen(host, port) for name, (host, port) in self._addresses.items()}
        try:
            return subprocess.Popen(
                [*self._args, *listen_fd_args(sockets)],
                env=self._env,
                pass_fds=[sock.fileno() for sock in sockets.values()],
            )
        finally:
            # The child has its own copies; with the parent's closed, connections the kernel
            # would hand to a child that died go to the other sockets instead.
            for sock in sockets.values():
                sock.close()

    async def supervise(self, stop: anyio.Event) -> None:
        """Restart children that exit while the server runs."""
        while not stop.is_set():
            with anyio.move_on_after(RESTART_DELAY):
                await stop.wait()
            if stop.is_set():
                return
            for index, child in enumerate(self._children):
                if child is not None and child.poll() is not None:
                    log.warning(
                        "API process %d exited with %s; starting another",
                        child.pid,
                        child.returncode,
                    )
                    self._children[index] = await anyio.to_thread.run_sync(
                        lambda: self._starter.submit(self._spawn).result()
                    )

    def stop(self, timeout: float = 10.0) -> None:
        self._starter.shutdown(wait=False)
        for child in self._children:
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self._children:
            if child is None:
                continue
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def lower_priority(niceness: int) -> None:
    """Lower the CPU priority of the calling thread and of the threads it starts from now on
    by ``niceness`` (on Linux a thread's own; elsewhere the whole process's)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, 0, min(19, current + niceness))
    except (AttributeError, OSError) as exc:  # not on this platform, or not allowed
        log.debug("could not lower the worker's priority: %s", exc)


async def watch_parent(parent: int, stop: anyio.Event) -> None:
    """Set ``stop`` once the process that started this one is gone."""
    while not stop.is_set():
        if os.getppid() != parent:
            log.warning("the parent process %d is gone; stopping", parent)
            stop.set()
            return
        with anyio.move_on_after(1.0):
            await stop.wait()
