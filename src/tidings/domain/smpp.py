"""SMPP carrier configuration, bind plans, addressing and the SMPP status tables (pure).

``parse_smpp_options`` turns a carrier's JSON options into ``SmppOptions`` (raising
``ValueError`` naming the field); ``bind_plan`` names the binds a carrier keeps open;
``address`` picks TON/NPI per address kind; ``classify_submit_status`` says what a
``submit_sm_resp`` command_status means for the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from tidings.domain.messages import DeliveryCode


class BindMode(StrEnum):
    TRANSMITTER = "transmitter"
    RECEIVER = "receiver"
    TRANSCEIVER = "transceiver"

    @property
    def short(self) -> str:
        return {"transmitter": "tx", "receiver": "rx", "transceiver": "trx"}[self.value]

    @property
    def sends(self) -> bool:
        return self is not BindMode.RECEIVER

    @property
    def receives(self) -> bool:
        return self is not BindMode.TRANSMITTER


BIND_CHOICES = ("transceiver", "transmitter", "receiver", "pair")
ENCODINGS = ("gsm7", "gsm7-packed", "latin1", "ucs2")
LONG_MESSAGES = ("udh8", "udh16", "sar", "payload")
SESSIONS = ("stream", "smpp34")


@dataclass(frozen=True)
class SmppOptions:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    bind: str = "transceiver"
    binds: int = 1
    window: int = 10
    throughput: float = 0.0  # messages per second per bind; 0 = unlimited
    tls: bool = False
    tls_verify: bool = True
    tls_ca_file: str | None = None  # PEM file of CAs to trust instead of the system's
    session: str = "stream"  # stream (ours, over smpp34's codec) | smpp34 (its client)
    encoding: str = "gsm7"
    long_messages: str = "udh8"
    enquire_link_seconds: float = 30.0
    response_timeout_seconds: float = 10.0
    registered_delivery: int = 1
    source_ton: int | None = None
    source_npi: int | None = None
    dest_ton: int | None = None
    dest_npi: int | None = None
    service_type: str = ""
    max_attempts: int = 10  # temporary submit errors before the message fails
    reconnect_min_seconds: float = 1.0
    reconnect_max_seconds: float = 60.0
    bind_failure_seconds: float = 300.0  # wait after the SMSC refuses a bind
    lease_seconds: float = 10.0
    receipt_timeout_seconds: float = 172_800.0  # no receipt this long after submit: failed


_TYPES: dict[str, type | tuple[type, ...]] = {
    "host": str,
    "port": int,
    "system_id": str,
    "password": str,
    "system_type": str,
    "bind": str,
    "binds": int,
    "window": int,
    "throughput": (int, float),
    "tls": bool,
    "tls_verify": bool,
    "tls_ca_file": str,
    "session": str,
    "encoding": str,
    "long_messages": str,
    "enquire_link_seconds": (int, float),
    "response_timeout_seconds": (int, float),
    "registered_delivery": int,
    "source_ton": int,
    "source_npi": int,
    "dest_ton": int,
    "dest_npi": int,
    "service_type": str,
    "max_attempts": int,
    "reconnect_min_seconds": (int, float),
    "reconnect_max_seconds": (int, float),
    "bind_failure_seconds": (int, float),
    "lease_seconds": (int, float),
    "receipt_timeout_seconds": (int, float),
}
_REQUIRED = ("host", "port", "system_id", "password")
_RANGES: dict[str, tuple[float, float]] = {
    "port": (1, 65535),
    "binds": (1, 32),
    "window": (1, 1000),
    "throughput": (0, 100_000),
    "enquire_link_seconds": (1, 3600),
    "response_timeout_seconds": (0.1, 600),
    "registered_delivery": (0, 0x1F),
    "source_ton": (0, 6),
    "source_npi": (0, 18),
    "dest_ton": (0, 6),
    "dest_npi": (0, 18),
    "max_attempts": (1, 100),
    "reconnect_min_seconds": (0.05, 3600),
    "reconnect_max_seconds": (0.05, 86400),
    "bind_failure_seconds": (0.05, 86400),
    "lease_seconds": (1, 600),
    "receipt_timeout_seconds": (1, 30 * 86400),
}
_MAX_LEN = {
    "system_id": 15,
    "password": 8,
    "system_type": 12,
    "service_type": 5,
    "host": 253,
    "tls_ca_file": 4096,
}


def parse_smpp_options(options: Mapping[str, Any]) -> SmppOptions:
    """Validate a carrier's options; ``ValueError`` names the first bad field."""
    _check_keys(options)
    values: dict[str, Any] = {}
    value: Any
    for key, value in options.items():
        if value is None and key not in _REQUIRED:
            continue
        values[key] = _checked_value(key, value)
    _check_choices(values)
    parsed = SmppOptions(**values)
    if parsed.reconnect_max_seconds < parsed.reconnect_min_seconds:
        raise ValueError("reconnect_max_seconds: must be at least reconnect_min_seconds")
    return parsed


def _check_keys(options: Mapping[str, Any]) -> None:
    """Every option is a known one, and the required ones are there."""
    known = {f.name for f in fields(SmppOptions)}
    for key in options:
        if key not in known:
            raise ValueError(f"{key}: unknown SMPP option")
    for key in _REQUIRED:
        if options.get(key) in (None, ""):
            raise ValueError(f"{key}: required")


def _checked_value(key: str, value: Any) -> Any:
    """One option's value checked for type, range and length (numbers of seconds and other
    int-or-float options become floats)."""
    expected = _TYPES[key]
    if isinstance(value, bool) and expected is not bool:
        raise ValueError(f"{key}: must be a number")
    if not isinstance(value, expected):
        raise ValueError(f"{key}: must be {_type_name(expected)}")
    if key in _RANGES:
        low, high = _RANGES[key]
        if not low <= float(cast(float, value)) <= high:
            raise ValueError(f"{key}: must be between {low:g} and {high:g}")
    if key in _MAX_LEN and len(str(value)) > _MAX_LEN[key]:
        raise ValueError(f"{key}: at most {_MAX_LEN[key]} characters")
    return float(cast(float, value)) if expected == (int, float) else value


def _check_choices(values: Mapping[str, Any]) -> None:
    """``bind``, ``encoding``, ``long_messages`` and ``session`` are one of their choices."""
    choices = {
        "bind": BIND_CHOICES,
        "encoding": ENCODINGS,
        "long_messages": LONG_MESSAGES,
        "session": SESSIONS,
    }
    for key, allowed in choices.items():
        if key in values and values[key] not in allowed:
            raise ValueError(f"{key}: must be one of {', '.join(allowed)}")


def _type_name(expected: type | tuple[type, ...]) -> str:
    if expected == (int, float):
        return "a number"
    return {str: "a string", int: "an integer", bool: "true or false"}[expected]  # type: ignore[index]


@dataclass(frozen=True)
class BindSlot:
    """One bind a carrier keeps open: ``name`` is ``"<index>:<trx|tx|rx>"``."""

    name: str
    mode: BindMode


def bind_plan(options: SmppOptions) -> list[BindSlot]:
    modes = (
        [BindMode.TRANSMITTER, BindMode.RECEIVER]
        if options.bind == "pair"
        else [BindMode(options.bind)]
    )
    return [
        BindSlot(f"{index}:{mode.short}", mode) for index in range(options.binds) for mode in modes
    ]


class BindState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    BOUND = "bound"
    BACKOFF = "backoff"
    FAILED = "failed"  # the SMSC refused the bind (wrong password, ...): long backoff


@dataclass(frozen=True)
class BindStatus:
    carrier: str
    bind: str  # e.g. "0:trx", "1:tx", "1:rx"
    mode: str  # transmitter | receiver | transceiver
    state: str  # stopped | connecting | bound | backoff | failed
    owner: str | None  # worker id holding the lease
    last_error: str | None
    last_status: int | None  # SMPP command_status of the last failure (e.g. 0x0E)
    since: datetime
    window_used: int
    submitted: int
    updated_at: datetime


# --- addresses -----------------------------------------------------------------------------

TON_UNKNOWN, TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 0, 1, 2, 3, 5
NPI_UNKNOWN, NPI_E164 = 0, 1
_SHORT_CODE = re.compile(r"^\d{3,8}$")
_E164 = re.compile(r"^\+?\d{7,15}$")


@dataclass(frozen=True)
class Address:
    addr: str
    ton: int
    npi: int


def address(number: str) -> Address:
    """TON/NPI by kind: E.164 (TON 1 NPI 1, without ``+``), a short code (TON 3 NPI 0,
    network-specific), an alphanumeric sender id (TON 5 NPI 0)."""
    if _SHORT_CODE.match(number):
        return Address(number, TON_NETWORK, NPI_UNKNOWN)
    if _E164.match(number):
        return Address(number.lstrip("+"), TON_INTERNATIONAL, NPI_E164)
    return Address(number, TON_ALPHANUMERIC, NPI_UNKNOWN)


def with_overrides(a: Address, ton: int | None, npi: int | None) -> Address:
    return Address(a.addr, a.ton if ton is None else ton, a.npi if npi is None else npi)


def inbound_number(addr: str, ton: int) -> str:
    """An address the SMSC sent us, as Tidings stores numbers (E.164 with ``+``)."""
    addr = addr.strip()
    if addr.startswith("+") or ton in (TON_NETWORK, TON_ALPHANUMERIC):
        return addr
    if ton == TON_INTERNATIONAL or (ton == TON_UNKNOWN and re.fullmatch(r"\d{9,15}", addr)):
        return "+" + addr
    return addr


# --- submit_sm_resp command_status ----------------------------------------------------------

ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDID = 0x03
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
ESME_RX_P_APPN = 0x65

STATUS_NAMES = {
    0x00: "ESME_ROK",
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x05: "ESME_RALYBND",
    0x06: "ESME_RINVPRTFLG",
    0x07: "ESME_RINVREGDLVFLG",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0C: "ESME_RINVMSGID",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x15: "ESME_RINVSERTYP",
    0x33: "ESME_RINVNUMDESTS",
    0x40: "ESME_RINVDESTFLAG",
    0x42: "ESME_RINVSUBREP",
    0x43: "ESME_RINVESMCLASS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x53: "ESME_RINVSYSTYP",
    0x58: "ESME_RTHROTTLED",
    0x61: "ESME_RINVSCHED",
    0x62: "ESME_RINVEXPIRY",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xC1: "ESME_RINVOPTPARSTREAM",
    0xC4: "ESME_RINVOPTPARAMVAL",
    0xFF: "ESME_RUNKNOWNERR",
}


def status_name(status: int) -> str:
    return f"{STATUS_NAMES.get(status, 'ESME_UNKNOWN')} 0x{status:08X}"


class SubmitVerdict(StrEnum):
    OK = "ok"
    THROTTLED = "throttled"  # slow the bind down, retry the same PDU
    RETRY = "retry"  # temporary: retry with backoff
    FAIL = "fail"  # permanent: the message fails


_THROTTLING = {ESME_RTHROTTLED, ESME_RMSGQFUL}
_TEMPORARY = {ESME_RSYSERR, ESME_RSUBMITFAIL, ESME_RX_T_APPN, 0x04, 0xFF}
_PERMANENT_CODES = {
    ESME_RINVDSTADR: DeliveryCode.INVALID_TO,
    0x50: DeliveryCode.INVALID_TO,
    0x51: DeliveryCode.INVALID_TO,
    0x33: DeliveryCode.INVALID_TO,
    ESME_RINVSRCADR: DeliveryCode.INVALID_FROM,
    0x48: DeliveryCode.INVALID_FROM,
    0x49: DeliveryCode.INVALID_FROM,
    0x66: DeliveryCode.BLOCKED_BY_CARRIER,
}


def classify_submit_status(status: int) -> SubmitVerdict:
    if status == ESME_ROK:
        return SubmitVerdict.OK
    if status in _THROTTLING:
        return SubmitVerdict.THROTTLED
    if status in _TEMPORARY:
        return SubmitVerdict.RETRY
    return SubmitVerdict.FAIL


def submit_failure_code(status: int) -> int:
    """The ACS delivery code a permanent ``submit_sm_resp`` error fails the message with."""
    return _PERMANENT_CODES.get(status, DeliveryCode.FAILED)


def submit_failure_details(status: int) -> str:
    """``deliveryStatusDetails`` of a message the SMSC refused: the ACS text and the SMPP
    error, e.g. ``"4002: Invalid To number (SMPP ESME_RINVDSTADR 0x0000000B)"``."""
    return f"{DeliveryCode.details(submit_failure_code(status))} (SMPP {status_name(status)})"
