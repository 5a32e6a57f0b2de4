"""``SmppSession`` on asyncio streams, with smpp34's PDU codec (the default session).

smpp34's own client session answers every ``deliver_sm`` before the application has stored
it and reports a refused bind only as a timeout (``smpp34_session``). This session keeps
smpp34 for the PDUs that carry messages (``submit_sm`` encoded by ``smpp34.SubmitSm``,
``deliver_sm`` decoded by ``smpp34.decode``) and owns the conversation itself:

- ``deliver_sm_resp`` goes out only when the bind calls ``acknowledge`` after its
  transaction commits, so the SMSC redelivers whatever a dead process did not store;
- a refused bind raises ``BindError`` with the SMSC's command_status (ESME_RINVPASWD, ...);
- ``enquire_link`` goes out after ``enquire_link_seconds`` without traffic from the SMSC,
  and a session whose SMSC does not answer it within the response timeout ends;
- TLS with the system's trust store, a CA file of the operator's, or (``tls_verify: false``)
  no verification;
- the SMSC's ``enquire_link`` and ``unbind`` are answered; ``generic_nack`` fails the request
  it names; requests this ESME does not serve (``data_sm``, ...) get ``generic_nack``
  ESME_RINVCMDID.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from collections.abc import Sequence

import smpp34

from tidings.carriers.smpp import stream_pdus as p
from tidings.carriers.smpp.session import (
    BindError,
    BindRequest,
    InboundPdu,
    SessionClosed,
    SmppSession,
    SubmitPdu,
    SubmitResponse,
)
from tidings.carriers.smpp.smpp34_fields import inbound_pdu, submit_options
from tidings.domain.smpp import ESME_RINVCMDID, ESME_RX_P_APPN, status_name

log = logging.getLogger(__name__)
UNBIND_SECONDS = 5.0


class StreamSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: BindRequest,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._request = request
        self._sequence = 0
        self._pending: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self._inbound: asyncio.Queue[InboundPdu | None] = asyncio.Queue()
        self._closed: str | None = None  # why the session ended
        self._last_read = time.monotonic()
        self._outgoing: list[bytes] = []  # written at the end of the loop's turn (``_send``)
        self._tasks = [
            asyncio.create_task(self._read_loop()),
            asyncio.create_task(self._keepalive()),
        ]

    # -- the SmppSession interface --------------------------------------------------------

    def send(self, pdu: SubmitPdu, timeout: float) -> asyncio.Future[SubmitResponse]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[SubmitResponse] = loop.create_future()
        gone = self._gone()
        if gone is not None:
            answer.set_exception(SessionClosed(gone))
            return answer
        sequence = self._next_sequence()
        data = smpp34.SubmitSm(
            pdu.source.addr,
            pdu.dest.addr,
            pdu.short_message,
            sequence_number=sequence,
            **submit_options(pdu),
        ).encode()
        raw = self._ask(sequence, data)
        timer = loop.call_later(timeout, _expire, raw)
        raw.add_done_callback(functools.partial(self._submitted, sequence, answer, timer))
        answer.add_done_callback(functools.partial(_dropped, raw))
        return answer

    def _submitted(
        self,
        sequence: int,
        answer: asyncio.Future[SubmitResponse],
        timer: asyncio.TimerHandle,
        raw: asyncio.Future[tuple[int, bytes]],
    ) -> None:
        timer.cancel()
        self._pending.pop(sequence, None)
        if answer.done():
            return  # the caller gave up on it
        if raw.cancelled():
            answer.cancel()
            return
        exc = raw.exception()
        if exc is not None:
            answer.set_exception(exc)
            return
        status, body = raw.result()
        message_id = (p.leading_c_string(body) or None) if status == 0 else None
        answer.set_result(SubmitResponse(status, message_id))

    async def receive(self) -> InboundPdu | None:
        if self._closed is not None and self._inbound.empty():
            return None
        return await self._inbound.get()

    @property
    def ended(self) -> str | None:
        return self._closed

    async def acknowledge(self, pdus: Sequence[InboundPdu], status: int = 0) -> None:
        if self._gone() is not None:
            return  # not answered: the SMSC delivers them again on a new session
        self._send(b"".join(p.deliver_sm_resp(pdu.sequence, status) for pdu in pdus))

    async def unbind(self) -> None:
        if self._closed is not None:
            await self.close()
            return
        sequence = self._next_sequence()
        # An SMSC that closes without unbind_resp (smpp34's does) has unbound all the same.
        with contextlib.suppress(SessionClosed, TimeoutError):
            async with asyncio.timeout(UNBIND_SECONDS):
                await self._call(sequence, p.pdu(p.UNBIND, sequence))
        await self.close()

    async def close(self) -> None:
        self._end("closed")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(UNBIND_SECONDS):
                await self._writer.wait_closed()

    # -- requests and responses -----------------------------------------------------------

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % p.MAX_SEQUENCE + 1
        return self._sequence

    async def _call(self, sequence: int, data: bytes) -> tuple[int, bytes]:
        """Send a request and wait for its response: (command_status, body). The caller
        bounds the wait; ``SessionClosed`` when the session ends first."""
        gone = self._gone()
        if gone is not None:
            raise SessionClosed(gone)
        future = self._ask(sequence, data)
        try:
            return await future
        finally:
            self._pending.pop(sequence, None)

    def _gone(self) -> str | None:
        """Why nothing more can be sent (the session ended, the connection is closing)."""
        if self._closed is None and not self._writer.is_closing():
            return None
        return self._closed or "the connection is closing"

    def _ask(self, sequence: int, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        """Send a request; the future gets its response (command_status, body)."""
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = future
        self._send(data)
        return future

    def _send(self, data: bytes) -> None:
        """Queue PDUs for the SMSC. What one turn of the event loop queues goes out in one
        write at its end: a window of ``submit_sm`` or a batch of responses is one system
        call, not one each (on loopback a send also runs the receiver's TCP work)."""
        if not self._outgoing:
            asyncio.get_running_loop().call_soon(self._flush)
        self._outgoing.append(data)

    def _flush(self) -> None:
        if self._outgoing:
            data, self._outgoing = b"".join(self._outgoing), []
            if not self._writer.is_closing():
                self._writer.write(data)

    async def _read_loop(self) -> None:
        reason = "the SMSC closed the connection"
        try:
            while True:
                header = await self._reader.readexactly(p.HEADER_SIZE)
                length, command, status, sequence = p.HEADER.unpack(header)
                if not p.HEADER_SIZE <= length <= p.MAX_PDU:
                    reason = f"bad command_length {length} from the SMSC"
                    return
                body = await self._reader.readexactly(length - p.HEADER_SIZE)
                self._last_read = time.monotonic()
                if self._dispatch(command, status, sequence, header + body):
                    reason = "the SMSC unbound"
                    return
        except asyncio.IncompleteReadError:
            pass
        except (ConnectionError, OSError) as exc:
            reason = f"connection lost: {exc}"
        finally:
            self._end(reason)

    def _dispatch(self, command: int, status: int, sequence: int, data: bytes) -> bool:
        """Handle one PDU; True when the SMSC ended the session (``unbind``)."""
        if command & p.RESPONSE:  # a response, generic_nack included
            future = self._pending.get(sequence)
            if future is not None and not future.done():
                future.set_result((status, data[p.HEADER_SIZE :]))
            elif command == p.GENERIC_NACK:
                log.warning("generic_nack %s from the SMSC (seq %d)", status_name(status), sequence)
            return False
        if command == p.DELIVER_SM:
            self._deliver(sequence, data)
        elif command == p.ENQUIRE_LINK:
            self._send(p.pdu(p.ENQUIRE_LINK | p.RESPONSE, sequence))
        elif command == p.UNBIND:
            self._send(p.pdu(p.UNBIND | p.RESPONSE, sequence))
            return True
        elif command != p.ALERT_NOTIFICATION:  # alert_notification has no response
            log.warning("SMSC sent command 0x%08X, which this ESME does not serve", command)
            self._send(p.pdu(p.GENERIC_NACK, sequence, status=ESME_RINVCMDID))
        return False

    def _deliver(self, sequence: int, data: bytes) -> None:
        try:
            pdu = smpp34.decode(data)
        except smpp34.SmppError as exc:
            pdu = None
            log.warning("unreadable deliver_sm (seq %d): %s", sequence, exc)
        if not isinstance(pdu, smpp34.DeliverSm):
            # Permanent: a PDU we cannot read would be unreadable again.
            self._send(p.deliver_sm_resp(sequence, ESME_RX_P_APPN))
            return
        self._inbound.put_nowait(inbound_pdu(pdu, sequence))

    async def _keepalive(self) -> None:
        """``enquire_link`` after ``enquire_link_seconds`` with nothing from the SMSC."""
        interval = self._request.enquire_link_seconds
        while self._closed is None:
            idle = time.monotonic() - self._last_read
            if idle < interval:
                await asyncio.sleep(interval - idle)
                continue
            sequence = self._next_sequence()
            try:
                async with asyncio.timeout(self._request.connect_timeout_seconds):
                    await self._call(sequence, p.pdu(p.ENQUIRE_LINK, sequence))
            except TimeoutError:
                self._end("enquire_link unanswered")
                return
            except SessionClosed:
                return

    def _end(self, reason: str) -> None:
        if self._closed is not None:
            return
        self._closed = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(SessionClosed(reason))
        self._inbound.put_nowait(None)
        self._flush()  # an unbind_resp, say, goes before the connection closes
        self._writer.close()


def _expire(raw: asyncio.Future[tuple[int, bytes]]) -> None:
    if not raw.done():
        raw.set_exception(TimeoutError())


def _dropped(
    raw: asyncio.Future[tuple[int, bytes]], answer: asyncio.Future[SubmitResponse]
) -> None:
    if answer.cancelled():
        raw.cancel()  # its response, should it come, is ignored


def tls_context(request: BindRequest) -> ssl.SSLContext | None:
    if not request.tls:
        return None
    context = ssl.create_default_context(cafile=request.tls_ca_file)
    if not request.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(request: BindRequest) -> SmppSession:
    where = f"{request.host}:{request.port}"
    try:
        context = tls_context(request)
    except (OSError, ssl.SSLError) as exc:  # the CA file is missing or not PEM
        raise BindError(f"tls_ca_file {request.tls_ca_file!r}: {exc}", refused=True) from exc
    try:
        async with asyncio.timeout(request.connect_timeout_seconds):
            reader, writer = await asyncio.open_connection(request.host, request.port, ssl=context)
    except ssl.SSLCertVerificationError as exc:
        raise BindError(
            f"TLS to {where}: certificate verification failed: {exc.verify_message}", refused=True
        ) from exc
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        raise BindError(f"connect to {where} failed: {exc!r}", refused=False) from exc
    session = StreamSession(reader, writer, request)
    sequence = session._next_sequence()
    try:
        data = p.bind(
            request.mode, sequence, request.system_id, request.password, request.system_type
        )
        async with asyncio.timeout(request.connect_timeout_seconds):
            status, _ = await session._call(sequence, data)
    except (TimeoutError, SessionClosed, ValueError) as exc:
        await session.close()
        text = "no bind response" if isinstance(exc, TimeoutError) else str(exc)
        raise BindError(f"bind to {where}: {text}", refused=isinstance(exc, ValueError)) from exc
    if status != 0:
        await session.close()
        raise BindError(
            f"bind refused by the SMSC: {status_name(status)}", refused=True, status=status
        )
    return session
