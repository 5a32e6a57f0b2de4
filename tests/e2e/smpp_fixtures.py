"""Fixtures of the SMPP connector tests: a database, a carrier over a real SMSC process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from tests.smsc.harness import RecordingSink, SmscProcess
from tidings.carriers.smpp.carrier import SmppCarrier
from tidings.domain.encoding import analyze
from tidings.domain.messages import OutboundSms
from tidings.domain.smpp import SmppOptions, parse_smpp_options
from tidings.ports import SystemClock
from tidings.storage import migrations
from tidings.storage.database import Database


def database(path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{path / 'smpp.db'}")
    migrations.upgrade(db.engine)
    yield db
    db.close()


def options(port: int, **overrides: Any) -> SmppOptions:
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "system_id": "tidings",
        "password": "secret",
        "window": 10,
        "response_timeout_seconds": 2,
        "reconnect_min_seconds": 0.1,
        "reconnect_max_seconds": 0.5,
        "bind_failure_seconds": 30,
        "lease_seconds": 2,
    }
    base.update(overrides)
    return parse_smpp_options(base)


def sms(recipient: str, body: str = "hello", sender: str = "+14255550100") -> OutboundSms:
    return OutboundSms(
        f"m-{uuid.uuid4().hex[:12]}", sender, recipient, body, analyze(body).segment_count
    )


@asynccontextmanager
async def running(
    db: Database, opts: SmppOptions, sink: RecordingSink, *, node: str = "node-a"
) -> AsyncIterator[SmppCarrier]:
    carrier = SmppCarrier("acme", opts, db, SystemClock(), node_id=node)
    await carrier.start(sink)
    async with anyio.create_task_group() as tasks:

        async def due() -> None:
            while True:
                await carrier.run_due()
                await anyio.sleep(0.1)

        tasks.start_soon(due)
        try:
            yield carrier
        finally:
            # Closed before the cancel: an await inside a cancelled scope would be cancelled
            # at once, and the CancelledError would hide the body's own exception.
            try:
                await carrier.aclose()
            finally:
                tasks.cancel_scope.cancel()


async def bound(carrier: SmppCarrier, timeout: float = 10) -> None:
    with anyio.fail_after(timeout):
        while not carrier.available():
            await anyio.sleep(0.02)


def with_port(opts: SmppOptions, port: int) -> SmppOptions:
    return replace(opts, port=port)


__all__ = ["RecordingSink", "SmscProcess", "bound", "database", "options", "running", "sms"]
