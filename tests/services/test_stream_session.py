"""The stream session's protocol edges against a scripted peer on a real socket: what a
conforming SMSC seldom does (a refused bind's status, an unreadable deliver_sm, a request
an ESME does not serve, an unbind from the SMSC, an oversized PDU)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import smpp34

from tests.server import free_port
from tidings.carriers.smpp import stream_pdus as p
from tidings.carriers.smpp.session import BindError, BindRequest, SessionClosed, SubmitPdu
from tidings.carriers.smpp.stream_session import StreamSession, connect
from tidings.domain.smpp import BindMode, address

pytestmark = pytest.mark.anyio

Peer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def read_pdu(reader: asyncio.StreamReader) -> tuple[int, int, int, bytes]:
    header = await reader.readexactly(p.HEADER_SIZE)
    length, command, status, sequence = p.HEADER.unpack(header)
    body = await reader.readexactly(length - p.HEADER_SIZE)
    return command, status, sequence, body


async def accept_bind(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    command, _, sequence, body = await read_pdu(reader)
    assert command == p.BIND_TRANSCEIVER
    writer.write(p.pdu(command | p.RESPONSE, sequence, b"SMSC\0"))
    return body


@asynccontextmanager
async def peer(script: Peer) -> AsyncIterator[int]:
    port = free_port()
    server = await asyncio.start_server(script, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()


def request(port: int, **overrides: object) -> BindRequest:
    base = BindRequest(
        "127.0.0.1", port, "tidings", "secret", "", BindMode.TRANSCEIVER, False, True, 10, 2.0
    )
    return BindRequest(**{**base.__dict__, **overrides})


async def test_the_bind_pdu_and_a_refusal_with_its_status() -> None:
    seen: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command, _, sequence, body = await read_pdu(reader)
        seen.append(body)
        writer.write(p.pdu(command | p.RESPONSE, sequence, b"\0", status=0x0F))

    async with peer(refuse) as port:
        with pytest.raises(BindError) as caught:
            await connect(request(port, system_type="VMA"))
    assert caught.value.refused and caught.value.status == 0x0F
    assert "ESME_RINVSYSID 0x0000000F" in str(caught.value)
    assert seen == [b"tidings\0secret\0VMA\0\x34\x00\x00\0"]


async def test_a_silent_smsc_is_a_connection_failure_not_a_refusal() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with peer(silent) as port:
        with pytest.raises(BindError) as caught:
            await connect(request(port, connect_timeout_seconds=0.3))
    assert not caught.value.refused and "no bind response" in str(caught.value)


async def test_credentials_too_long_for_the_pdu_are_refused_before_sending() -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with peer(never) as port:
        with pytest.raises(BindError) as caught:
            await connect(request(port, system_id="x" * 16))
    assert caught.value.refused


async def test_requests_the_esme_does_not_serve_and_unreadable_pdus_are_answered() -> None:
    answers: asyncio.Queue[tuple[int, int, int]] = asyncio.Queue()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_bind(reader, writer)
        writer.write(p.pdu(p.DATA_SM, 7, b"\0" * 20))  # data_sm: not served here
        writer.write(p.pdu(p.DELIVER_SM, 8, b"\x01\x02"))  # a deliver_sm cut short
        writer.write(p.pdu(p.ENQUIRE_LINK, 9))
        good = smpp34.DeliverSm("15555550123", "14255550100", b"hi")
        writer.write(p.pdu(p.DELIVER_SM, 10, good.encode()[p.HEADER_SIZE :]))
        for _ in range(4):
            command, status, sequence, _ = await read_pdu(reader)
            await answers.put((command, status, sequence))

    async with peer(script) as port:
        session = await connect(request(port))
        assert isinstance(session, StreamSession)
        inbound = await session.receive()
        assert inbound is not None and inbound.short_message == b"hi" and inbound.sequence == 10
        got = [await asyncio.wait_for(answers.get(), 5) for _ in range(3)]
        assert got == [
            (p.GENERIC_NACK, 0x03, 7),
            (p.DELIVER_SM | p.RESPONSE, 0x65, 8),
            (p.ENQUIRE_LINK | p.RESPONSE, 0, 9),
        ]
        assert answers.empty()  # the good deliver_sm waits for its commit
        await session.acknowledge([inbound])
        assert await asyncio.wait_for(answers.get(), 5) == (p.DELIVER_SM | p.RESPONSE, 0, 10)
        await session.close()


async def test_an_unbind_from_the_smsc_is_answered_and_ends_the_session() -> None:
    answered = asyncio.Event()

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_bind(reader, writer)
        writer.write(p.pdu(p.UNBIND, 5))
        command, _, sequence, _ = await read_pdu(reader)
        assert (command, sequence) == (p.UNBIND | p.RESPONSE, 5)
        answered.set()

    async with peer(script) as port:
        session = await connect(request(port))
        assert await session.receive() is None
        assert session.ended == "the SMSC unbound"
        await asyncio.wait_for(answered.wait(), 5)
        await session.close()


async def test_an_oversized_pdu_ends_the_session_and_fails_what_waits() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accept_bind(reader, writer)
        await read_pdu(reader)  # a submit_sm, never answered
        writer.write(p.HEADER.pack(p.MAX_PDU + 1, p.DELIVER_SM, 0, 3))
        await reader.read()

    async with peer(script) as port:
        session = await connect(request(port))
        pdu = SubmitPdu(address("+14255550100"), address("+15555550123"), b"x", 0, 0, 1)
        with pytest.raises(SessionClosed, match="bad command_length"):
            await session.send(pdu, 5)
        assert await session.receive() is None
        await session.close()


def test_sequence_numbers_wrap_within_the_spec() -> None:
    session = StreamSession.__new__(StreamSession)
    session._sequence = p.MAX_SEQUENCE - 1
    assert [session._next_sequence() for _ in range(3)] == [p.MAX_SEQUENCE, 1, 2]
