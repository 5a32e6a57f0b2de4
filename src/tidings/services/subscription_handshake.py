"""The validation handshake: a subscription's endpoint proves it wants the events.

A subscription receives events only once its endpoint has proved it wants them:

* Event Grid schema: a ``SubscriptionValidationEvent`` is POSTed; a 200 echoing the
  ``validationCode`` as ``validationResponse`` validates at once, a 200 without it leaves the
  subscription ``AwaitingManualAction`` until the endpoint GETs the ``validationUrl`` (5 minutes).
* CloudEvents schema: the CloudEvents abuse-protection ``OPTIONS`` request; the endpoint must
  answer 200 with ``WebHook-Allowed-Origin`` naming our origin (or ``*``).

A failed handshake refuses the request and writes nothing. ``SubscriptionHandshake`` is the
part of ``SubscriptionService`` (``services/subscriptions.py``) that talks to the endpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tidings.domain import json_input
from tidings.domain.addresses import AddressPolicy, canonical_host, ip_literal
from tidings.domain.ids import new_guid
from tidings.domain.subscriptions import (
    DeliverySchema,
    EventSubscription,
    ProvisioningState,
    SubscriptionConfig,
)
from tidings.domain.timefmt import iso_z
from tidings.domain.webhooks import RESPONSE_TIMEOUT_SECONDS
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ports import SubscriptionsTx, WebhookSender
from tidings.services.context import ServiceContext

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
MANUAL_VALIDATION_MINUTES = 5


@dataclass(frozen=True)
class Handshake:
    state: ProvisioningState
    code: str | None = None


class SubscriptionHandshake:
    def __init__(
        self,
        ctx: ServiceContext[SubscriptionsTx],
        sender: WebhookSender,
        *,
        origin: str = "eventgrid.azure.net",
        handshake_timeout: float = RESPONSE_TIMEOUT_SECONDS,
        policy: AddressPolicy | None = None,
    ) -> None:
        self._ctx = ctx
        self._policy = policy
        self._sender = sender
        self._origin = origin
        self._timeout = handshake_timeout

    # -- the handshake ------------------------------------------------------------------------

    def _vet_destination(self, url: str) -> None:
        """An IP-address destination the address policy refuses is refused here, with a clear
        message; names are checked when the handshake resolves them (and at every delivery)."""
        address = ip_literal(canonical_host(urlsplit(url).hostname or ""))
        policy = self._policy
        if policy is not None and address is not None and not policy.allowed(address.compressed):
            raise InvalidInput(
                f"{address} is in an address range Tidings does not deliver to (see "
                "TIDINGS_WEBHOOK_ALLOW_LOOPBACK and TIDINGS_WEBHOOK_ALLOW_PRIVATE).",
                code="InvalidEndpointUrl",
                target="properties.destination.properties.endpointUrl",
            )

    async def _handshake(self, name: str, config: SubscriptionConfig, base_url: str) -> Handshake:
        url = config.endpoint_url
        static = {h.name: h.value for h in config.headers if h.type == "Static"}
        if config.schema is DeliverySchema.CLOUD_EVENTS:
            result = await self._sender.request(
                "OPTIONS",
                url,
                headers={**static, "WebHook-Request-Origin": self._origin},
                timeout=self._timeout,
            )
            allowed = result.headers.get("webhook-allowed-origin", "")
            if result.status == 200 and allowed.strip() in (self._origin, "*"):
                return Handshake(ProvisioningState.SUCCEEDED)
            raise _handshake_failed(
                url,
                "OPTIONS",
                result.status,
                result.error_message
                or f"the answer must be 200 with WebHook-Allowed-Origin: {self._origin} (or *)",
            )
        code = new_guid()
        event = {
            "id": new_guid(),
            "topic": self._ctx.topic,
            "subject": "",
            "data": {
                "validationCode": code,
                "validationUrl": f"{base_url.rstrip('/')}/webhooks/validate/{name}?code={code}",
            },
            "eventType": VALIDATION_EVENT,
            "eventTime": iso_z(self._ctx.clock.now()),
            "metadataVersion": "1",
            "dataVersion": "1",
        }
        result = await self._sender.request(
            "POST",
            url,
            headers={
                **static,
                "Content-Type": "application/json; charset=utf-8",
                "aeg-event-type": "SubscriptionValidation",
                "aeg-subscription-name": name.upper(),
                "aeg-delivery-count": "0",
                "aeg-metadata-version": "1",
                "aeg-data-version": "1",
            },
            body=json.dumps([event]).encode(),
            timeout=self._timeout,
        )
        if result.status != 200:
            raise _handshake_failed(url, "POST", result.status, result.error_message)
        if _validation_response(result.body) == code:
            return Handshake(ProvisioningState.SUCCEEDED)
        return Handshake(ProvisioningState.AWAITING_MANUAL_ACTION, code)

    def validate(self, name: str, code: str) -> EventSubscription:
        """The asynchronous handshake: the endpoint GETs the validation URL it was sent."""
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> EventSubscription:
            sub = tx.subscriptions.get(name, lock=True)
            if sub is None or not sub.validation_code or sub.validation_code != code:
                raise NotFound("No subscription awaits this validation code.")
            if sub.provisioning_state is not ProvisioningState.AWAITING_MANUAL_ACTION or (
                sub.validation_deadline is not None and sub.validation_deadline < now
            ):
                raise Conflict(
                    "The validation URL has expired; update the subscription to try again.",
                    code="ValidationExpired",
                )
            done = replace(
                sub,
                provisioning_state=ProvisioningState.SUCCEEDED,
                validation_code=None,
                validation_deadline=None,
                updated_at=now,
            )
            tx.subscriptions.save(done)
            return done

        return self._ctx.store.write(run)

    def expire_validations(self) -> int:
        """AwaitingManualAction subscriptions whose 5 minutes ran out become Failed."""
        now = self._ctx.clock.now()

        def run(tx: SubscriptionsTx) -> int:
            count = 0
            for sub in tx.subscriptions.all():
                if (
                    sub.provisioning_state is ProvisioningState.AWAITING_MANUAL_ACTION
                    and sub.validation_deadline is not None
                    and sub.validation_deadline < now
                ):
                    tx.subscriptions.save(
                        replace(sub, provisioning_state=ProvisioningState.FAILED, updated_at=now)
                    )
                    count += 1
            return count

        return self._ctx.store.write(run)


def _validation_response(body: bytes) -> str | None:
    try:
        parsed = json_input.decode(body, empty=b"null")
    except InvalidInput:
        return None
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if key.lower() == "validationresponse" and isinstance(value, str):
                return value
    return None


def _handshake_failed(
    url: str, method: str, status: int | None, detail: str | None
) -> InvalidInput:
    answer = f"response code {status}" if status is not None else "no response"
    message = (
        f"Webhook validation handshake failed for {url}. Http {method} request failed with {answer}"
    )
    if detail:
        message += f": {detail}"
    return InvalidInput(message + ".", code="UrlValidationFailed", target="properties.destination")
