"""The SMPP connector end to end against smpp34's SMSC (``tests/smsc/smpp34_smsc.py``),
a separate process: sending, receipts, MO, long messages, encodings, errors, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from tidings.storage.database import Database

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    yield from database(tmp_path)


@pytest.fixture
def smsc() -> Iterator[SmscProcess]:
    process = SmscProcess.smpp34().start()
    yield process
    process.stop()


async def test_send_and_receipt(db: Database, smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        messages = [sms(f"+1425555{i:04d}") for i in range(10, 30)]
        results = await carrier.submit(messages)
        assert len(results) == 20
        await sink.until(lambda: len(sink.reports) == 20)
    assert {r.message_id for r in sink.reports} == {m.message_id for m in messages}
    assert all(r.delivered and r.code == 2000 for r in sink.reports)
    assert all(len(r.attempts) == 1 and r.attempts[0].segments_succeeded == 1 for r in sink.reports)
    submits = smsc.of("submit")
    assert len(submits) == 20
    first = submits[0]
    assert first["source"] == "14255550100" and first["source_ton"] == 1 and first["dest_ton"] == 1
    assert first["registered_delivery"] == 1 and first["data_coding"] == 0
    assert bytes.fromhex(first["short_message"]) == b"hello"
