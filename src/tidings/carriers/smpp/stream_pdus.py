"""The PDUs of ``stream_session`` that smpp34's codec does not build.

smpp34 encodes ``submit_sm`` and decodes ``deliver_sm`` (the PDUs with addresses, text and
TLVs; ``smpp34.SubmitSm(...).encode()``, ``smpp34.decode``). What is left is the 16-octet
header (SMPP 3.4 §3.2) and the bodies made of C-octet strings and single octets: the bind
request (§4.1.1), ``submit_sm_resp``'s message_id (§4.4.2) and ``deliver_sm_resp`` (§4.6.2).
"""

from __future__ import annotations

import struct

from tidings.domain.smpp import BindMode

HEADER = struct.Struct(">IIII")  # command_length, command_id, command_status, sequence_number
HEADER_SIZE = HEADER.size
RESPONSE = 0x80000000

BIND_RECEIVER = 0x00000001
BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
DELIVER_SM = 0x00000005
UNBIND = 0x00000006
BIND_TRANSCEIVER = 0x00000009
OUTBIND = 0x0000000B
ENQUIRE_LINK = 0x00000015
ALERT_NOTIFICATION = 0x00000102
DATA_SM = 0x00000103
GENERIC_NACK = 0x80000000

BIND_COMMAND = {
    BindMode.RECEIVER: BIND_RECEIVER,
    BindMode.TRANSMITTER: BIND_TRANSMITTER,
    BindMode.TRANSCEIVER: BIND_TRANSCEIVER,
}
INTERFACE_VERSION = 0x34
#: The largest PDU accepted from an SMSC: a 64 KB message_payload and its envelope.
MAX_PDU = 72 * 1024
#: Sequence numbers run 1 .. 0x7FFFFFFF (§3.2), then start again.
MAX_SEQUENCE = 0x7FFFFFFF


def pdu(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    return HEADER.pack(HEADER_SIZE + len(body), command_id, status, sequence) + body


def c_string(value: str, limit: int) -> bytes:
    """A C-octet string of at most ``limit`` octets, the NUL included."""
    raw = value.encode("ascii")
    if len(raw) >= limit:
        raise ValueError(f"{value!r} is longer than {limit - 1} octets")
    return raw + b"\0"


def bind(mode: BindMode, sequence: int, system_id: str, password: str, system_type: str) -> bytes:
    body = (
        c_string(system_id, 16)
        + c_string(password, 9)
        + c_string(system_type, 13)
        + bytes([INTERFACE_VERSION, 0, 0])  # interface_version, addr_ton, addr_npi
        + b"\0"  # address_range: any
    )
    return pdu(BIND_COMMAND[mode], sequence, body)


def deliver_sm_resp(sequence: int, status: int = 0) -> bytes:
    return pdu(DELIVER_SM | RESPONSE, sequence, b"\0", status)  # message_id: unused, NULL


def leading_c_string(body: bytes) -> str:
    """The C-octet string a response body starts with (``message_id``, ``system_id``)."""
    end = body.find(b"\0")
    return body[: end if end >= 0 else len(body)].decode("latin-1")
