"""What both sessions take from smpp34's types: a ``submit_sm``'s keyword arguments from our
``SubmitPdu``, and an ``InboundPdu`` from a ``deliver_sm`` (smpp34's ``DeliverSm`` PDU and its
client's ``DeliverSmEvent`` have the same fields)."""

from __future__ import annotations

from typing import Any, Protocol

import smpp34

from tidings.carriers.smpp.session import InboundPdu, SubmitPdu


def submit_options(pdu: SubmitPdu) -> dict[str, Any]:
    """The keyword arguments of ``smpp34.SubmitSm(...)`` and ``Smsc.submit_sm(...)`` after
    the addresses and the text."""
    return {
        "service_type": pdu.service_type,
        "source_addr_ton": pdu.source.ton,
        "source_addr_npi": pdu.source.npi,
        "dest_addr_ton": pdu.dest.ton,
        "dest_addr_npi": pdu.dest.npi,
        "esm_class": pdu.esm_class,
        "registered_delivery": pdu.registered_delivery,
        "data_coding": pdu.data_coding,
        "tlvs": [smpp34.Tlv(tag, value) for tag, value in pdu.tlvs],
    }


class DeliverSmFields(Protocol):
    @property
    def source_addr(self) -> str: ...
    @property
    def source_addr_ton(self) -> int: ...
    @property
    def destination_addr(self) -> str: ...
    @property
    def dest_addr_ton(self) -> int: ...
    @property
    def esm_class(self) -> int: ...
    @property
    def data_coding(self) -> int: ...
    @property
    def short_message(self) -> bytes: ...
    @property
    def tlvs(self) -> list[smpp34.Tlv]: ...


def inbound_pdu(pdu: DeliverSmFields, sequence: int = 0) -> InboundPdu:
    return InboundPdu(
        source_addr=pdu.source_addr,
        source_ton=pdu.source_addr_ton,
        dest_addr=pdu.destination_addr,
        dest_ton=pdu.dest_addr_ton,
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=bytes(pdu.short_message),
        tlvs={t.tag: bytes(t.value) for t in pdu.tlvs},
        sequence=sequence,
    )
