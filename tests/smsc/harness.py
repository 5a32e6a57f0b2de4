"""Start a test SMSC process, read its JSON events, send it commands; and a recording sink."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anyio

from tests.server import free_port
from tidings.domain.messages import CarrierInbound, CarrierReport

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "tests" / "smsc" / "node"


def node_missing() -> str | None:
    """Why node-smpp's SMSC cannot run here, or None."""
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "smpp").is_dir():
        return (
            "node-smpp is not installed (scripts/test runs npm install in tests/smsc/node; "
            "needs node and npm)"
        )
    return None


Event = dict[str, Any]


class SmscProcess:
    """``tests/smsc/smpp34_smsc.py`` (or the node-smpp script) as a child process."""

    def __init__(self, argv: list[str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.argv = argv
        self.events: list[Event] = []
        self._cond = threading.Condition()
        self.process: subprocess.Popen[str] | None = None

    @classmethod
    def smpp34(cls, *args: str, port: int | None = None) -> SmscProcess:
        return cls([sys.executable, "-m", "tests.smsc.smpp34_smsc", *args], port)

    @classmethod
    def node(cls, *args: str, port: int | None = None) -> SmscProcess:
        """node-smpp's SMSC (``tests/smsc/node/smsc.js``); see ``node_missing``."""
        return cls(["node", str(NODE_DIR / "smsc.js"), *args], port)

    def start(self) -> SmscProcess:
        self.process = subprocess.Popen(
            [*self.argv, "--port", str(self.port)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self.wait_sync(lambda e: e["event"] == "listening", timeout=20)
        return self

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._cond:
                self.events.append(event)
                self._cond.notify_all()

    def wait_sync(
        self, pred: Callable[[Event], bool], *, timeout: float = 10, count: int = 1
    ) -> list[Event]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.events if pred(e)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"SMSC: wanted {count} events, saw {len(found)}")
                self._cond.wait(left)

    async def wait(
        self, pred: Callable[[Event], bool], *, timeout: float = 10, count: int = 1
    ) -> list[Event]:
        return await anyio.to_thread.run_sync(
            lambda: self.wait_sync(pred, timeout=timeout, count=count)
        )

    def of(self, name: str) -> list[Event]:
        with self._cond:
            return [e for e in self.events if e["event"] == name]

    def send(self, **cmd: Any) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(json.dumps(cmd) + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class RecordingSink:
    """A ``CarrierSink`` that keeps what it is handed and lets tests wait for it."""

    def __init__(self) -> None:
        self.reports: list[CarrierReport] = []
        self.inbound_messages: list[CarrierInbound] = []
        self._changed = anyio.Event()
        self.fail_next = 0

    async def delivery_reports(self, reports: Sequence[CarrierReport]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("sink down")
        self.reports.extend(reports)
        self._poke()

    async def inbound(self, message: CarrierInbound) -> None:
        self.inbound_messages.append(message)
        self._poke()

    def _poke(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def until(self, pred: Callable[[], bool], timeout: float = 10) -> None:
        with anyio.fail_after(timeout):
            while not pred():
                event = self._changed
                with anyio.move_on_after(0.2):
                    await event.wait()
