"""``/sms`` (send), ``/sms/optouts:*`` and ``/deliveryReports/{id}``: the ACS SMS API."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import schemas
from tidings.api.routes.common import (
    DELIVERY_REPORT_VERSIONS,
    OPTOUT_VERSIONS,
    SMS_VERSIONS,
    api_version,
    json,
    run,
)
from tidings.domain.messages import Direction
from tidings.domain.partners import route_from_options
from tidings.domain.timefmt import iso_z
from tidings.errors import NotFound
from tidings.services.optouts import OptOutAction
from tidings.services.registry import Services
from tidings.services.sms import Recipient, SendRequest


def routes(services: Services) -> list[Route]:
    async def send(request: Request) -> Response:
        api_version(request, SMS_VERSIONS)
        return await send_sms(services, await request.body())

    def optout(action: OptOutAction) -> Route:
        async def handle(request: Request) -> Response:
            api_version(request, OPTOUT_VERSIONS)
            body: schemas.OptOutRequest = schemas.decode(
                await request.body(), schemas.OptOutRequest
            )
            results = await run(
                services.optouts.apply, action, body.from_, [r.to for r in body.recipients]
            )
            return json(
                schemas.OptOutResponse(
                    [
                        schemas.OptOutResponseItem(
                            r.to, r.http_status_code, r.is_opted_out, r.error_message
                        )
                        for r in results
                    ]
                )
            )

        return Route(f"/sms/optouts:{action.value}", handle, methods=["POST"])

    async def delivery_report(request: Request) -> Response:
        api_version(request, DELIVERY_REPORT_VERSIONS)
        message_id = request.path_params["message_id"]
        message = await run(services.queries.message, message_id)
        status = message.delivery_status
        if message.direction is not Direction.OUTBOUND or status is None:
            raise NotFound(f"No delivery report for message {message_id} yet.")
        return json(
            schemas.DeliveryReportResponse(
                message_id=message.id,
                from_=message.sender,
                to=message.recipient,
                delivery_status=status.value,
                delivery_status_details=message.delivery_status_details or "",
                received_timestamp=iso_z(message.final_at) if message.final_at else None,
                delivery_attempts=[
                    schemas.DeliveryAttemptBody(
                        iso_z(a.timestamp), a.segments_succeeded, a.segments_failed
                    )
                    for a in message.attempts
                ],
                tag=message.tag,
                messaging_connect_partner_message_id=message.partner_message_id,
            )
        )

    return [
        Route("/sms", send, methods=["POST"]),
        optout(OptOutAction.ADD),
        optout(OptOutAction.REMOVE),
        optout(OptOutAction.CHECK),
        Route("/deliveryReports/{message_id}", delivery_report, methods=["GET"]),
    ]


async def send_sms(services: Services, raw: bytes) -> Response:
    """``POST /sms`` once authenticated and its api-version checked."""
    return Response(await accept_sms(services, raw), 202, media_type="application/json")


async def accept_sms(services: Services, raw: bytes) -> bytes:
    """The work of ``POST /sms`` once authenticated and its api-version checked: the 202's
    body. Shared with the fast path (``api/fast_sms.py``)."""
    body: schemas.SendMessageRequest = schemas.decode(raw, schemas.SendMessageRequest)
    options = body.sms_send_options or schemas.SmsSendOptions()
    connect = options.messaging_connect
    send_request = SendRequest(
        sender=body.from_,
        recipients=[
            Recipient(r.to, r.repeatability_request_id, r.repeatability_first_sent)
            for r in body.sms_recipients
        ],
        message=body.message,
        enable_delivery_report=options.enable_delivery_report,
        tag=options.tag,
        report_timeout_seconds=options.delivery_report_timeout_in_seconds,
        messaging_connect=(
            route_from_options(connect.partner, connect.partner_params)
            if connect is not None
            else None
        ),
    )
    results = await services.sms.send_async(send_request)
    return msgspec.json.encode(
        schemas.SmsSendResponse(
            [
                schemas.SmsSendResponseItem(
                    to=r.to,
                    http_status_code=r.http_status_code,
                    successful=r.successful,
                    message_id=r.message_id,
                    repeatability_result=r.repeatability_result,
                    error_message=r.error_message,
                )
                for r in results
            ]
        )
    )
