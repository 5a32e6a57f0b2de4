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


SESSIONS = pytest.mark.parametrize("session", ["stream", "smpp34"])


@SESSIONS
async def test_send_and_receipt(db: Database, smsc: SmscProcess, session: str) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port, session=session), sink) as carrier:
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


async def test_long_ucs2_message_goes_as_udh_parts_and_one_report(
    db: Database, smsc: SmscProcess
) -> None:
    sink = RecordingSink()
    body = "Grüße aus Köln ☕ " * 10  # UCS-2 (☕), 170 units -> 3 parts of 67
    message = sms("+14255551111", body)
    assert message.segments == 3
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        await carrier.submit([message])
        await sink.until(lambda: len(sink.reports) == 1)
    (report,) = sink.reports
    assert report.delivered and report.attempts[0].segments_succeeded == 3
    parts = smsc.of("submit")
    assert len(parts) == 3
    assert all(p["esm_class"] == 0x40 and p["data_coding"] == 8 for p in parts)
    # The parts go through the window concurrently: the SMSC may see them in any order.
    raw = sorted((bytes.fromhex(p["short_message"]) for p in parts), key=lambda r: r[5])
    assert {r[:5] for r in raw} == {raw[0][:5]}  # one UDH reference
    assert [r[5] for r in raw] == [1, 2, 3]
    assert b"".join(r[6:] for r in raw).decode("utf-16-be") == body


@pytest.mark.parametrize("method", ["sar", "udh16", "payload"])
async def test_long_gsm_message_methods(db: Database, smsc: SmscProcess, method: str) -> None:
    sink = RecordingSink()
    body = "x" * 300
    async with running(db, options(smsc.port, long_messages=method), sink) as carrier:
        await bound(carrier)
        await carrier.submit([sms("+14255551112", body)])
        await sink.until(lambda: len(sink.reports) == 1)
    parts = smsc.of("submit")
    assert sink.reports[0].delivered
    if method == "payload":
        (p,) = parts
        assert p["short_message"] == "" and bytes.fromhex(p["tlvs"][str(0x0424)]) == b"x" * 300
    elif method == "sar":
        assert len(parts) == 2 and all(p["esm_class"] == 0 for p in parts)
        assert sorted(bytes.fromhex(p["tlvs"][str(0x020F)])[0] for p in parts) == [1, 2]
    else:
        assert len(parts) == 2 and bytes.fromhex(parts[0]["short_message"])[:3] == b"\x06\x08\x04"


async def test_permanent_error_fails_with_smpp_details(db: Database, smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        await carrier.submit([sms("+14255550001", "x" * 200)])  # two parts, refused
        await sink.until(lambda: len(sink.reports) == 1)
    (report,) = sink.reports
    assert not report.delivered and report.code == 4002
    assert report.details == "4002: Invalid To number (SMPP ESME_RINVDSTADR 0x0000000B)"


async def test_undeliverable_receipt_maps_to_failed(db: Database, smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        await carrier.submit([sms("+14255550004")])
        await sink.until(lambda: len(sink.reports) == 1)
    (report,) = sink.reports
    assert not report.delivered and report.code == 4006
    assert report.details is not None and "stat UNDELIV" in report.details


async def test_throttled_and_temporary_errors_are_retried(db: Database, smsc: SmscProcess) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port), sink) as carrier:
        await bound(carrier)
        await carrier.submit([sms("+14255550002"), sms("+14255550007")])
        await sink.until(lambda: len(sink.reports) == 2, timeout=20)
    assert all(r.delivered for r in sink.reports)
    attempts = {e["dest"]: e["attempt"] for e in smsc.of("submit")}
    assert attempts == {"14255550002": 3, "14255550007": 2}


@pytest.mark.parametrize("ids", ["mixed", "hex"])
async def test_receipt_before_submit_resp_and_id_forms(db: Database, ids: str) -> None:
    process = SmscProcess.smpp34("--ids", ids, "--text-only").start()
    sink = RecordingSink()
    try:
        async with running(db, options(process.port), sink) as carrier:
            await bound(carrier)
            messages = [sms("+14255550003"), sms("+14255551234")]
            await carrier.submit(messages)
            await sink.until(lambda: len(sink.reports) == 2)
    finally:
        process.stop()
    assert all(r.delivered for r in sink.reports)
    assert sorted(r.message_id for r in sink.reports) == sorted(m.message_id for m in messages)


@SESSIONS
async def test_mo_single_and_multipart_out_of_order(
    db: Database, smsc: SmscProcess, session: str
) -> None:
    sink = RecordingSink()
    async with running(db, options(smsc.port, binds=2, session=session), sink) as carrier:
        await bound(carrier)
        await smsc.wait(lambda e: e["event"] == "bound", count=2)
        smsc.send(cmd="mo", **{"from": "+14255559999", "to": "+14255550100", "text": "STOP"})
        text = "Hello there, this is a long reply " * 3
        smsc.send(
            cmd="mo",
            parts=3,
            order="reverse",
            spread=True,
            mode="udh",
            **{"from": "+14255559998", "to": "+14255550100", "text": text},
        )
        smsc.send(
            cmd="mo",
            parts=2,
            mode="sar",
            coding="ucs2",
            ref=300,
            **{"from": "+14255559997", "to": "+14255550100", "text": "Привет, мир! ☕"},
        )
        await sink.until(lambda: len(sink.inbound_messages) == 3)
    got = {m.sender: m for m in sink.inbound_messages}
    assert got["+14255559999"].body == "STOP" and got["+14255559999"].recipient == "+14255550100"
    assert got["+14255559998"].body == text and got["+14255559998"].segments == 3
    assert got["+14255559997"].body == "Привет, мир! ☕"
