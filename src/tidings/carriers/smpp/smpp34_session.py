"""``SmppSession`` over smpp34's own client session (Rust/tokio core, asyncio wheel):
``session: smpp34`` in a carrier's options (the default is ``stream_session``).

What smpp34 1.5.0's Python client does by itself, and what that means here:

- It answers every ``deliver_sm`` with ``deliver_sm_resp`` as soon as the PDU reaches its
  Python-side queue (``src/python.rs``: ``ClientForwarder::on_deliver_sm``), before our
  transaction commits; a full queue answers ESME_RMSGQFUL. Receipts and MO parts queued in
  the process when it dies are therefore lost (see docs/carriers.md, "Guarantees").
- A refused bind surfaces as ``SmppError("bind timed out")`` after ``connect_timeout_ms``:
  the SMSC's command_status is logged by the Rust core, not passed to Python. We treat it as
  refused (long backoff, state ``failed``) since the TCP connection did come up.
- enquire_link (30 s), the response timer (30 s) and the inactivity timer are the library's
  fixed defaults; we bound each submit by ``response_timeout_seconds`` ourselves.
- ``tls=True`` verifies the SMSC's certificate with the system trust store; there is no way
  to turn verification off or to name a CA file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import smpp34

from tidings.carriers.smpp.pipeline import within
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
from tidings.domain.smpp import BindMode

_BIND_TYPE = {BindMode.TRANSMITTER: "TX", BindMode.RECEIVER: "RX", BindMode.TRANSCEIVER: "TRX"}
_STATUS = re.compile(r"0x([0-9A-Fa-f]{8})")
#: How smpp34 reports a bind the SMSC answered with an error (or not at all) once the TCP
#: connection is up: it logs the command_status and lets ``connect()`` time out.
_REFUSED = ("session closed before bind completed", "bind failed", "bind timed out")


class Smpp34Session:
    def __init__(self, client: smpp34.Client, smsc: smpp34.Smsc) -> None:
        self._client = client
        self._smsc = smsc
        self._closed = False

    def send(self, pdu: SubmitPdu, timeout: float) -> asyncio.Future[SubmitResponse]:
        return asyncio.ensure_future(within(self._submit(pdu), timeout))

    async def _submit(self, pdu: SubmitPdu) -> SubmitResponse:
        if self._closed:
            raise SessionClosed("session closed")
        try:
            resp = await self._smsc.submit_sm(
                pdu.dest.addr, pdu.short_message, source_addr=pdu.source.addr, **submit_options(pdu)
            )
        except smpp34.SmppError as exc:
            status = _status(str(exc))
            if status is not None:
                return SubmitResponse(status, None)
            raise SessionClosed(str(exc)) from exc
        return SubmitResponse(resp.command_status, resp.message_id)

    async def receive(self) -> InboundPdu | None:
        if self._closed:
            return None
        event = await self._smsc.next()
        if isinstance(event, smpp34.Disconnected):
            self._closed = True
            return None
        return inbound_pdu(event)

    @property
    def ended(self) -> str | None:
        return "the session ended" if self._closed else None

    async def acknowledge(self, pdus: Sequence[InboundPdu], status: int = 0) -> None:
        """smpp34 has answered them already (see the module's docstring)."""

    async def unbind(self) -> None:
        if self._closed:
            return
        self._closed = True
        # smpp34's own SMSC closes without unbind_resp: an EOF after unbind is success.
        try:
            async with asyncio.timeout(5):
                await self._smsc.unbind()
        except (TimeoutError, smpp34.SmppError):
            await self._client.stop()

    async def close(self) -> None:
        self._closed = True
        await self._client.stop()


def _status(message: str) -> int | None:
    match = _STATUS.search(message)
    return int(match.group(1), 16) if match else None


async def connect(request: BindRequest) -> SmppSession:
    if request.tls and (not request.tls_verify or request.tls_ca_file):
        raise BindError(
            "tls_verify=false and tls_ca_file are not supported by the smpp34 session "
            "(it verifies with the system trust store)",
            refused=True,
        )
    client = smpp34.Client(
        request.host,
        request.port,
        request.system_id,
        request.password,
        bind_type=_BIND_TYPE[request.mode],
        system_type=request.system_type,
        tls=request.tls,
        window_size=request.window,
        inbound_capacity=max(1000, request.window * 20),
        connect_timeout_ms=int(request.connect_timeout_seconds * 1000),
    )
    try:
        smsc = await client.connect()
    except smpp34.SmppError as exc:
        await client.stop()
        text = str(exc)
        refused = any(marker in text.lower() for marker in _REFUSED)
        if refused:
            text = (
                f"bind refused or unanswered ({text}; smpp34 does not report the SMSC's "
                "command_status)"
            )
        raise BindError(text, refused=refused, status=_status(text)) from exc
    return Smpp34Session(client, smsc)
