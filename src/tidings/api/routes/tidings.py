"""Tidings' own endpoints under ``/tidings``: the simulated network, logs and provisioning.

They use the same HMAC authentication as the ACS APIs; ``api-version`` is optional.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import schemas
from tidings.api.routes.common import (
    TIDINGS_VERSIONS,
    api_version,
    before_param,
    choice,
    int_param,
    json,
    page_params,
    run,
)
from tidings.api.routes.phone_numbers import purchased_body
from tidings.domain.conversations import Conversation
from tidings.domain.messages import Direction, Message, MessageStatus
from tidings.domain.numbers import Capability, NumberType
from tidings.domain.simulator import CarrierRule, Handset, HandsetMessage
from tidings.domain.timefmt import iso_z
from tidings.services.registry import Services


def message_body(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction.value,
        "status": m.status.value,
        "origin": m.origin.value,
        "from": m.sender,
        "to": m.recipient,
        "message": m.body,
        "segments": m.segments,
        "encoding": m.encoding,
        "tag": m.tag,
        "enableDeliveryReport": m.enable_delivery_report,
        "conversationId": m.conversation_id,
        "messagingConnectPartner": m.partner,
        "messagingConnectPartnerMessageId": m.partner_message_id,
        "carrier": m.carrier,
        "carrierMessageId": m.carrier_message_id,
        "createdAt": iso_z(m.created_at),
        "scheduledAt": iso_z(m.scheduled_at) if m.scheduled_at else None,
        "sentAt": iso_z(m.sent_at) if m.sent_at else None,
        "finalAt": iso_z(m.final_at) if m.final_at else None,
        "deliveryStatus": m.delivery_status.value if m.delivery_status else None,
        "deliveryStatusDetails": m.delivery_status_details,
        "deliveryAttempts": [
            {
                "timestamp": iso_z(a.timestamp),
                "segmentsSucceeded": a.segments_succeeded,
                "segmentsFailed": a.segments_failed,
            }
            for a in m.attempts
        ],
    }


def _conversation(c: Conversation) -> dict[str, Any]:
    return {
        "id": c.id,
        "ourNumber": c.our_number,
        "peerNumber": c.peer_number,
        "createdAt": iso_z(c.created_at),
        "lastMessageAt": iso_z(c.last_message_at),
        "messageCount": c.message_count,
        "preview": c.preview,
    }


def _handset(h: Handset) -> dict[str, Any]:
    return {"number": h.number, "createdAt": iso_z(h.created_at), "script": h.script}


def _handset_message(m: HandsetMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "direction": m.direction,
        "peer": m.peer,
        "message": m.body,
        "messageId": m.message_id,
        "at": iso_z(m.at),
    }


def _rule(r: CarrierRule) -> dict[str, Any]:
    return {
        "pattern": r.pattern,
        "outcome": r.outcome,
        "delaySeconds": r.delay_seconds,
        "code": r.code,
    }


def routes(services: Services) -> list[Route]:
    sim = services.simulator
    queries = services.queries

    def check(request: Request) -> None:
        api_version(request, TIDINGS_VERSIONS, optional=True)

    async def health(_request: Request) -> Response:
        return json({"status": "ok"})

    async def handset_text(request: Request) -> Response:
        check(request)
        body: schemas.HandsetTextRequest = schemas.decode(
            await request.body(), schemas.HandsetTextRequest
        )
        result = await run(sim.text, request.path_params["number"], body.to, body.message)
        return json(
            {
                "messageId": result.message_id,
                "dropped": result.dropped_reason,
                "keyword": (
                    {
                        "action": result.keyword.action.value,
                        "language": result.keyword.language,
                        "keyword": result.keyword.keyword,
                    }
                    if result.keyword
                    else None
                ),
                "autoReplyMessageId": result.auto_reply_id,
            },
            201,
        )

    async def handset_messages(request: Request) -> Response:
        check(request)
        after = int_param(request, "after", 0, 0, 2**62)
        limit = int_param(request, "limit", 100, 1, 1000)
        items = await run(sim.messages, request.path_params["number"], after, limit)
        return json({"value": [_handset_message(m) for m in items]})

    async def put_handset(request: Request) -> Response:
        check(request)
        body: schemas.HandsetRequest = schemas.decode(await request.body(), schemas.HandsetRequest)
        handset = await run(sim.create, request.path_params["number"], body.script)
        return json(_handset(handset))

    async def get_handset(request: Request) -> Response:
        check(request)
        return json(_handset(await run(sim.get, request.path_params["number"])))

    async def list_handsets(request: Request) -> Response:
        check(request)
        limit, offset = page_params(request)
        found = await run(sim.handsets, limit, offset, request.query_params.get("q") or None)
        return json({"value": [_handset(h) for h in found]})

    async def get_rules(request: Request) -> Response:
        check(request)
        return json({"rules": [_rule(r) for r in await run(sim.rules)]})

    async def put_rules(request: Request) -> Response:
        check(request)
        body: schemas.CarrierRules = schemas.decode(await request.body(), schemas.CarrierRules)
        rules = [CarrierRule(r.pattern, r.outcome, r.delay_seconds, r.code) for r in body.rules]
        return json({"rules": [_rule(r) for r in await run(sim.set_rules, rules)]})

    async def events(request: Request) -> Response:
        check(request)
        after = int_param(request, "after", 0, 0, 2**62)
        limit = int_param(request, "limit", 100, 1, 1000)
        types = request.query_params.getlist("type") or None
        page = await run(queries.events, after, types, limit)
        return json(
            {
                "value": [e.to_event_grid() for _, e in page],
                "sequence": [seq for seq, _ in page],
                "nextAfter": page[-1][0] if page else after,
            }
        )

    async def list_messages(request: Request) -> Response:
        check(request)
        q = request.query_params
        before = before_param(request)
        limit = int_param(request, "limit", 100, 1, 1000)
        items = await run(
            queries.messages,
            direction=choice(Direction, q.get("direction"), "direction"),
            number=q.get("number"),
            conversation_id=q.get("conversationId"),
            status=choice(MessageStatus, q.get("status"), "status"),
            tag=q.get("tag"),
            before=before,
            limit=limit,
            text=q.get("q"),
        )
        cursor = f"{iso_z(items[-1].created_at)}|{items[-1].id}" if len(items) == limit else None
        return json({"value": [message_body(m) for m in items], "nextBefore": cursor})

    async def get_message(request: Request) -> Response:
        check(request)
        return json(message_body(await run(queries.message, request.path_params["message_id"])))

    async def list_conversations(request: Request) -> Response:
        check(request)
        limit, offset = page_params(request)
        q = request.query_params
        items = await run(queries.conversations, q.get("number"), limit, offset, q.get("q"))
        return json({"value": [_conversation(c) for c in items]})

    async def conversation_messages(request: Request) -> Response:
        check(request)
        conversation = await run(queries.conversation, request.path_params["conversation_id"])
        limit = int_param(request, "limit", 100, 1, 1000)
        items = await run(queries.messages, conversation_id=conversation.id, limit=limit)
        return json(
            {"conversation": _conversation(conversation), "value": [message_body(m) for m in items]}
        )

    async def list_optouts(request: Request) -> Response:
        check(request)
        limit, offset = page_params(request)
        q = request.query_params
        items = await run(services.optouts.entries, q.get("from"), limit, offset, q.get("q"))
        return json(
            {
                "value": [
                    {
                        "from": e.sender,
                        "to": e.recipient,
                        "countryCode": e.country_code,
                        "createdAt": iso_z(e.created_at),
                        "source": e.source,
                    }
                    for e in items
                ]
            }
        )

    async def provision(request: Request) -> Response:
        check(request)
        body: schemas.NumberProvisionRequest = schemas.decode(
            await request.body(), schemas.NumberProvisionRequest
        )
        number = await run(
            services.numbers.provision,
            body.phone_number,
            choice(NumberType, body.phone_number_type, "phoneNumberType"),
            sms=choice(Capability, body.sms, "sms"),
            calling=choice(Capability, body.calling, "calling"),
            country_code=body.country_code,
        )
        return json(purchased_body(number), 201)

    async def keyword_replies(request: Request) -> Response:
        check(request)
        body: schemas.KeywordRepliesRequest = schemas.decode(
            await request.body(), schemas.KeywordRepliesRequest
        )
        replies = await run(
            services.numbers.set_keyword_replies, request.path_params["number"], body.replies
        )
        return json({"replies": replies})

    prefix = "/tidings"
    return [
        Route("/healthz", health, methods=["GET"]),
        Route(f"{prefix}/simulator/handsets", list_handsets, methods=["GET"]),
        Route(f"{prefix}/simulator/handsets/{{number}}", get_handset, methods=["GET"]),
        Route(f"{prefix}/simulator/handsets/{{number}}", put_handset, methods=["PUT"]),
        Route(
            f"{prefix}/simulator/handsets/{{number}}/messages", handset_messages, methods=["GET"]
        ),
        Route(f"{prefix}/simulator/handsets/{{number}}/messages", handset_text, methods=["POST"]),
        Route(f"{prefix}/simulator/rules", get_rules, methods=["GET"]),
        Route(f"{prefix}/simulator/rules", put_rules, methods=["PUT"]),
        Route(f"{prefix}/events", events, methods=["GET"]),
        Route(f"{prefix}/messages", list_messages, methods=["GET"]),
        Route(f"{prefix}/messages/{{message_id}}", get_message, methods=["GET"]),
        Route(f"{prefix}/conversations", list_conversations, methods=["GET"]),
        Route(
            f"{prefix}/conversations/{{conversation_id}}/messages",
            conversation_messages,
            methods=["GET"],
        ),
        Route(f"{prefix}/optouts", list_optouts, methods=["GET"]),
        Route(f"{prefix}/numbers", provision, methods=["POST"]),
        Route(f"{prefix}/numbers/{{number}}/keywordReplies", keyword_replies, methods=["PUT"]),
    ]
