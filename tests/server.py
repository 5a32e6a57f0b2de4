"""Run a real ``tidings serve`` process for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ACCESS_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    https_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    access_key: str = ACCESS_KEY
    command: str = "serve"  # or "api", on a database `tidings migrate` has prepared
    #: ``TIDINGS_API_PROCESSES`` (one for tests, unless ``env`` says otherwise); None: the
    #: default, one per core.
    processes: int | None = 1
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def https_endpoint(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def connection_string(self) -> str:
        return f"endpoint={self.https_endpoint}/;accesskey={self.access_key}"

    @property
    def ca_cert(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = dict(os.environ)
        env.update(
            {
                "TIDINGS_DATA_DIR": str(self.data_dir),
                "TIDINGS_HTTPS_PORT": str(self.https_port),
                "TIDINGS_HTTP_PORT": str(self.http_port),
                "TIDINGS_ACCESS_KEY": self.access_key,
                "TIDINGS_LOG_LEVEL": "warning",
                # Not the user's ~/.local/state: a test server is nobody's installation.
                "TIDINGS_STATE_DIR": str(self.data_dir / "state"),
            }
        )
        if self.database_url:
            env["TIDINGS_DATABASE_URL"] = self.database_url
        env.pop("TIDINGS_API_PROCESSES", None)
        if self.processes is not None:
            env["TIDINGS_API_PROCESSES"] = str(self.processes)
        env.update(self.env)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "server.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tidings", self.command], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.http_endpoint}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        """``kill -9``: no shutdown of any kind."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class ReceiverProcess:
    """``python -m tests.receiver``: a real webhook receiver on localhost."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ReceiverProcess:
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.receiver", str(self.port)],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_log", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the receiver did not start")

    def log(self, path: str | None = None) -> list[dict[str, Any]]:
        import json

        text = httpx.get(f"{self.url}/_log", timeout=10).text
        entries = [json.loads(line) for line in text.splitlines() if line]
        return [e for e in entries if path is None or e["path"] == path]

    def clear(self) -> None:
        httpx.post(f"{self.url}/_clear", timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def route_everything_to(
    server: ServerProcess, name: str, kind: str, options: dict[str, Any]
) -> None:
    """Add carrier ``name`` to a running server and a route sending every message to it
    (ahead of the default route to the simulator), through the REST API."""
    from tidings_client import HmacAuth

    with httpx.Client(
        base_url=server.http_endpoint, auth=HmacAuth(server.access_key), timeout=10
    ) as api:
        added = api.post("/tidings/carriers", json={"name": name, "kind": kind, "options": options})
        assert added.status_code == 201, added.text
        routed = api.post("/tidings/routes", json={"carriers": [name], "priority": 10})
        assert routed.status_code == 201, routed.text
