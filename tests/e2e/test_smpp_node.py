"""The SMPP connector against node-smpp's SMSC (npm ``smpp`` 0.5.1, a second, independent
implementation): sending with receipts, long messages, and a refused bind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tests.e2e.smpp_fixtures import (
    RecordingSink,
    SmscProcess,
    bound,
    database,
    options,
    running,
    sms,
)
from tests.smsc.harness import node_missing
from tidings.storage.database import Database

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

if reason := node_missing():
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    yield from database(tmp_path)


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.node().start()
    yield process
    process.stop()


async def test_send_long_message_and_receipts(db: Database, smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        messages = [sms("+14255550100", "hi"), sms("+14255550101", "y" * 200)]
        await carrier.submit(messages)
        await sink.until(lambda: len(sink.reports) == 2)
    assert all(r.delivered for r in sink.reports)
    parts = [e for e in smsc.of("submit") if e["dest"] == "14255550101"]
    assert len(parts) == 2 and all(p["esm_class"] == 0x40 for p in parts)


async def test_refused_bind_is_recorded_and_not_retried_in_a_loop(
    db: Database, smsc: SmscProcess
) -> None:
    sink = RecordingSink()
    opts = options(smsc.port, password="wrong", bind_failure_seconds=60)
    async with running(db, opts, sink) as carrier:
        with anyio.fail_after(10):
            while not carrier.status() or carrier.status()[0].state != "failed":
                await anyio.sleep(0.05)
        await anyio.sleep(1.5)  # with a short backoff this would be several more binds
        (status,) = carrier.status()
        assert not carrier.available()
    assert len(smsc.of("bind_refused")) == 1
    assert status.state == "failed" and status.owner == "node-a"
    assert status.last_error is not None and "bind refused" in status.last_error
