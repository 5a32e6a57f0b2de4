"""Our own small SMPP session interface, implemented twice: ``stream_session`` (the
default: asyncio streams with smpp34's PDU codec; ``deliver_sm_resp`` only after commit)
and ``smpp34_session`` (smpp34's own Rust client session).

Everything above this module (binds, queue, receipts) speaks these types only, so the
library under it can be swapped by writing one adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tidings.domain.smpp import Address, BindMode, SmppOptions


@dataclass(frozen=True)
class BindRequest:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str
    mode: BindMode
    tls: bool
    tls_verify: bool
    window: int
    connect_timeout_seconds: float
    enquire_link_seconds: float = 30.0
    tls_ca_file: str | None = None


def bind_request(o: SmppOptions, mode: BindMode) -> BindRequest:
    return BindRequest(
        o.host,
        o.port,
        o.system_id,
        o.password,
        o.system_type,
        mode,
        o.tls,
        o.tls_verify,
        o.window,
        o.response_timeout_seconds,
        o.enquire_link_seconds,
        o.tls_ca_file,
    )


@dataclass(frozen=True)
class SubmitPdu:
    source: Address
    dest: Address
    short_message: bytes
    data_coding: int
    esm_class: int
    registered_delivery: int
    service_type: str = ""
    tlvs: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True)
class SubmitResponse:
    status: int  # command_status (0 = ESME_ROK)
    message_id: str | None


@dataclass(frozen=True)
class InboundPdu:
    """A ``deliver_sm``: an MO message or a delivery receipt."""

    source_addr: str
    source_ton: int
    dest_addr: str
    dest_ton: int
    esm_class: int
    data_coding: int
    short_message: bytes
    tlvs: Mapping[int, bytes] = field(default_factory=dict)
    sequence: int = 0  # the PDU's sequence_number, which its deliver_sm_resp repeats


class BindError(Exception):
    """The bind did not come up: ``refused`` when the SMSC answered with an error
    (``status`` its command_status when the library reports it), else a connection failure."""

    def __init__(self, message: str, *, refused: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.refused = refused
        self.status = status


class SessionClosed(Exception):
    """The session ended (EOF, reset, unbind by the SMSC)."""


class SmppSession(Protocol):
    def send(self, pdu: SubmitPdu, timeout: float) -> asyncio.Future[SubmitResponse]:
        """Send ``submit_sm``: the future gives its response, or fails with ``TimeoutError``
        when none came within ``timeout`` seconds, or with ``SessionClosed``. A future, not
        a coroutine: a window of submits needs no task each."""
        ...

    async def receive(self) -> InboundPdu | None:
        """The next ``deliver_sm``; None once the session has ended."""
        ...

    @property
    def ended(self) -> str | None:
        """Why the session ended (``"enquire_link unanswered"``, ...), None while it is up."""
        ...

    async def acknowledge(self, pdus: Sequence[InboundPdu], status: int = 0) -> None:
        """Answer ``deliver_sm``s with ``deliver_sm_resp``, called once what they carried is
        committed: a PDU never answered (the process died first) is redelivered by the SMSC.
        A session whose library answers by itself does nothing here."""
        ...

    async def unbind(self) -> None:
        """Unbind and close; an SMSC that closes without ``unbind_resp`` is fine."""
        ...

    async def close(self) -> None: ...


Connector = Callable[[BindRequest], Awaitable[SmppSession]]
