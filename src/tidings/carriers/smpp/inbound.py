"""A ``deliver_sm`` as a delivery receipt or an MO message (part)."""

from __future__ import annotations

from tidings.carriers.smpp.ledger import MoItem
from tidings.carriers.smpp.session import InboundPdu
from tidings.domain.smpp import inbound_number
from tidings.domain.smpp_encoding import (
    ESM_UDHI,
    TLV_MESSAGE_PAYLOAD,
    TLV_SAR_MSG_REF_NUM,
    TLV_SAR_SEGMENT_SEQNUM,
    TLV_SAR_TOTAL_SEGMENTS,
    decode_text,
    split_udh,
)
from tidings.domain.smpp_receipts import ESM_RECEIPT_MASK, Receipt, parse_receipt

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_NETWORK_ERROR_CODE = 0x0423


def classify(carrier: str, pdu: InboundPdu) -> Receipt | MoItem | None:
    """A receipt, an MO message or part, or None for a receipt we cannot read."""
    tlvs = pdu.tlvs
    if pdu.esm_class & ESM_RECEIPT_MASK:
        state = tlvs.get(TLV_MESSAGE_STATE)
        rid = tlvs.get(TLV_RECEIPTED_MESSAGE_ID)
        return parse_receipt(
            pdu.short_message.decode("latin-1"),
            receipted_message_id=rid.decode("latin-1") if rid else None,
            message_state=int.from_bytes(state, "big") if state else None,
            network_error_code=tlvs.get(TLV_NETWORK_ERROR_CODE),
        )
    data = tlvs.get(TLV_MESSAGE_PAYLOAD) or pdu.short_message
    sender = inbound_number(pdu.source_addr, pdu.source_ton)
    recipient = inbound_number(pdu.dest_addr, pdu.dest_ton)
    if pdu.esm_class & ESM_UDHI:
        concat, text = split_udh(data)
        body = decode_text(text, pdu.data_coding)
        if concat is not None and concat.total > 1:
            return MoItem(carrier, sender, recipient, body, concat.ref, concat.total, concat.seq)
        return MoItem(carrier, sender, recipient, body)
    body = decode_text(data, pdu.data_coding)
    ref = tlvs.get(TLV_SAR_MSG_REF_NUM)
    total = tlvs.get(TLV_SAR_TOTAL_SEGMENTS)
    seq = tlvs.get(TLV_SAR_SEGMENT_SEQNUM)
    if ref and total and seq and int.from_bytes(total, "big") > 1:
        return MoItem(
            carrier,
            sender,
            recipient,
            body,
            int.from_bytes(ref, "big"),
            int.from_bytes(total, "big"),
            int.from_bytes(seq, "big"),
        )
    return MoItem(carrier, sender, recipient, body)
