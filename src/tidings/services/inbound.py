"""Inbound SMS: store, thread into a conversation, emit ``SMSReceived``, honour keywords.

STOP-like keywords add the sender to the opt-out list of the number it texted, START-like
ones remove it, HELP-like ones only get an answer. Each gets an automatic reply in the
keyword's language (or the number's configured override); the message itself still reaches
the application as an ``SMSReceived`` event, as ACS relays STOP and START.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from tidings.domain.conversations import OptOutEntry
from tidings.domain.encoding import analyze
from tidings.domain.events import sms_received
from tidings.domain.ids import incoming_message_id, outgoing_message_id
from tidings.domain.keywords import KeywordAction, KeywordMatch, default_reply, match_keyword
from tidings.domain.messages import (
    SEND_JOB,
    CarrierInbound,
    Direction,
    Message,
    MessageOrigin,
    MessageStatus,
    send_job_payload,
)
from tidings.domain.phone import region_of
from tidings.ports import InboundTx
from tidings.services.context import ServiceContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundResult:
    """What became of an inbound message. ``message_id`` is None when it was dropped."""

    message_id: str | None
    keyword: KeywordMatch | None = None
    auto_reply_id: str | None = None
    dropped_reason: str | None = None


class InboundService:
    def __init__(self, ctx: ServiceContext[InboundTx]) -> None:
        self._ctx = ctx

    def receive(self, message: CarrierInbound) -> InboundResult:
        return self._ctx.store.write(lambda tx: self.receive_in(tx, message))

    def receive_in(self, tx: InboundTx, inbound: CarrierInbound) -> InboundResult:
        """Record ``inbound`` inside the caller's transaction."""
        number = tx.numbers.get(inbound.recipient)
        if number is None:
            return InboundResult(None, dropped_reason="number not provisioned")
        if not number.capabilities.sms.can_receive:
            return InboundResult(None, dropped_reason="number cannot receive SMS")
        now = self._ctx.clock.now()
        conversation = tx.conversations.touch(
            inbound.recipient, inbound.sender, inbound.received_at
        )
        info = analyze(inbound.body)
        message = Message(
            id=incoming_message_id(inbound.received_at),
            direction=Direction.INBOUND,
            status=MessageStatus.RECEIVED,
            sender=inbound.sender,
            recipient=inbound.recipient,
            body=inbound.body,
            segments=max(inbound.segments, info.segment_count),
            encoding=info.encoding.value,
            tag=None,
            enable_delivery_report=False,
            origin=MessageOrigin.API,
            created_at=inbound.received_at,
            final_at=inbound.received_at,
            conversation_id=conversation,
            partner=number.partner,
        )
        tx.messages.add_many([(message, None)])
        tx.events.append(
            sms_received(
                message_id=message.id,
                sender=inbound.sender,
                recipient=inbound.recipient,
                body=inbound.body,
                received_at=inbound.received_at,
                segments=message.segments,
                topic=self._ctx.topic,
                pascal=self._ctx.pascal_events,
                now=now,
            )
        )
        keyword = match_keyword(inbound.body)
        if keyword is None:
            return InboundResult(message.id)
        self._apply_keyword(tx, keyword, inbound, now)
        reply = self._reply_text(tx, keyword, inbound.recipient)
        reply_id = (
            self._queue_reply(tx, inbound, reply, conversation, number.partner, now)
            if reply
            else None
        )
        return InboundResult(message.id, keyword, reply_id)

    def _apply_keyword(
        self, tx: InboundTx, keyword: KeywordMatch, inbound: CarrierInbound, now: datetime
    ) -> None:
        if keyword.action is KeywordAction.OPT_OUT:
            tx.optouts.add(
                OptOutEntry(
                    sender=inbound.recipient,
                    recipient=inbound.sender,
                    country_code=region_of(inbound.sender),
                    created_at=now,
                    source="keyword",
                )
            )
        elif keyword.action is KeywordAction.OPT_IN:
            tx.optouts.remove(inbound.recipient, inbound.sender, at=now, source="keyword")

    @staticmethod
    def _reply_text(tx: InboundTx, keyword: KeywordMatch, our_number: str) -> str:
        overrides = tx.numbers.keyword_replies(our_number)
        for key in (f"{keyword.action.value}:{keyword.language}", keyword.action.value):
            if key in overrides:
                return str(overrides[key])
        return default_reply(keyword.action, keyword.language)

    def _queue_reply(
        self,
        tx: InboundTx,
        inbound: CarrierInbound,
        text: str,
        conversation: str,
        partner: str | None,
        now: datetime,
    ) -> str:
        info = analyze(text)
        reply = Message(
            id=outgoing_message_id(now),
            direction=Direction.OUTBOUND,
            status=MessageStatus.QUEUED,
            sender=inbound.recipient,
            recipient=inbound.sender,
            body=text,
            segments=info.segment_count,
            encoding=info.encoding.value,
            tag=None,
            enable_delivery_report=False,
            origin=MessageOrigin.AUTO_REPLY,
            created_at=now,
            scheduled_at=now,
            conversation_id=conversation,
            partner=partner,  # a partner's number answers through that partner
        )
        tx.messages.add_many([(reply, None)])
        tx.jobs.enqueue(SEND_JOB, send_job_payload([reply.id]), now, now=now)
        return reply.id
