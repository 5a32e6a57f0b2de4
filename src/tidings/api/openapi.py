"""The OpenAPI 3.1 document, generated from the route table and the msgspec wire schemas."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from starlette.routing import BaseRoute, Route

from tidings import __version__
from tidings.api import carrier_schemas, chat_schemas, schemas
from tidings.api.routes.chat import CHAT_VERSIONS
from tidings.api.routes.common import (
    DELIVERY_REPORT_VERSIONS,
    OPTOUT_VERSIONS,
    PHONE_NUMBER_VERSIONS,
    SMS_VERSIONS,
    TIDINGS_VERSIONS,
)
from tidings.api.routes.event_subscriptions import EVENT_GRID_VERSIONS
from tidings.api.routes.identity import IDENTITY_VERSIONS

#: The api-versions each family of paths answers (first matching prefix), so that clients
#: and fuzzers know them.
_VERSIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("/sms/optouts", OPTOUT_VERSIONS),
    ("/sms", SMS_VERSIONS),
    ("/deliveryReports", DELIVERY_REPORT_VERSIONS),
    ("/availablePhoneNumbers", PHONE_NUMBER_VERSIONS),
    ("/phoneNumbers", PHONE_NUMBER_VERSIONS),
    ("/chat", CHAT_VERSIONS),
    ("/identities", IDENTITY_VERSIONS),
    ("/eventSubscriptions", EVENT_GRID_VERSIONS),
    ("/tidings", TIDINGS_VERSIONS),
)

# (method, path) -> (summary, request body type, response type, success status)
#: A success status, several, or an OpenAPI range ("2XX").
Statuses = int | str | tuple[int, ...]
_OPERATIONS: dict[tuple[str, str], tuple[str, type[Any] | None, type[Any] | None, Statuses]] = {
    ("POST", "/sms"): (
        "Send an SMS to 1-100 recipients",
        schemas.SendMessageRequest,
        schemas.SmsSendResponse,
        202,
    ),
    ("POST", "/sms/optouts:add"): (
        "Add recipients to the opt-out list",
        schemas.OptOutRequest,
        schemas.OptOutResponse,
        200,
    ),
    ("POST", "/sms/optouts:remove"): (
        "Remove recipients from the opt-out list",
        schemas.OptOutRequest,
        schemas.OptOutResponse,
        200,
    ),
    ("POST", "/sms/optouts:check"): (
        "Check recipients against the opt-out list",
        schemas.OptOutRequest,
        schemas.OptOutResponse,
        200,
    ),
    ("GET", "/deliveryReports/{message_id}"): (
        "Get the delivery report of a sent message",
        None,
        schemas.DeliveryReportResponse,
        200,
    ),
    ("POST", "/availablePhoneNumbers/countries/{country_code}/:search"): (
        "Search for numbers to buy (long-running)",
        schemas.PhoneNumberSearchRequest,
        None,
        202,
    ),
    ("GET", "/availablePhoneNumbers/searchResults/{search_id}"): (
        "Get a search result",
        None,
        schemas.PhoneNumberSearchResult,
        200,
    ),
    ("POST", "/availablePhoneNumbers/:purchase"): (
        "Purchase the numbers of a search (long-running)",
        schemas.PhoneNumberPurchaseRequest,
        None,
        202,
    ),
    ("GET", "/phoneNumbers/operations/{operation_id}"): (
        "Get a long-running operation",
        None,
        schemas.PhoneNumberOperation,
        200,
    ),
    ("DELETE", "/phoneNumbers/operations/{operation_id}"): (
        "Cancel a long-running operation",
        None,
        None,
        204,
    ),
    ("GET", "/phoneNumbers"): ("List purchased numbers", None, schemas.PurchasedPhoneNumbers, 200),
    ("GET", "/phoneNumbers/{number}"): (
        "Get a purchased number",
        None,
        schemas.PurchasedPhoneNumber,
        200,
    ),
    ("DELETE", "/phoneNumbers/{number}"): ("Release a number (long-running)", None, None, 202),
    ("PATCH", "/phoneNumbers/{number}/capabilities"): (
        "Update a number's capabilities (long-running)",
        schemas.PhoneNumberCapabilitiesRequest,
        None,
        202,
    ),
    ("POST", "/tidings/simulator/handsets/{number}/messages"): (
        "Text one of our numbers from a simulated handset",
        schemas.HandsetTextRequest,
        None,
        201,
    ),
    ("PUT", "/tidings/simulator/handsets/{number}"): (
        "Create a simulated handset or set its auto-respond script",
        schemas.HandsetRequest,
        None,
        200,
    ),
    ("PUT", "/tidings/simulator/rules"): (
        "Replace the simulated carrier's delivery rules",
        schemas.CarrierRules,
        schemas.CarrierRules,
        200,
    ),
    ("POST", "/tidings/numbers"): (
        "Provision a number, short code or sender id directly",
        schemas.NumberProvisionRequest,
        schemas.PurchasedPhoneNumber,
        201,
    ),
    ("PUT", "/tidings/numbers/{number}/keywordReplies"): (
        "Override a number's automatic keyword replies",
        schemas.KeywordRepliesRequest,
        None,
        200,
    ),
    ("PUT", "/eventSubscriptions/{name}"): (
        "Create or replace an event subscription (after the validation handshake)",
        None,
        None,
        201,
    ),
    ("GET", "/eventSubscriptions/{name}"): ("Get an event subscription", None, None, 200),
    ("DELETE", "/eventSubscriptions/{name}"): (
        "Delete an event subscription (200; 204 when there was none)",
        None,
        None,
        (200, 204),
    ),
    ("GET", "/eventSubscriptions"): ("List event subscriptions", None, None, 200),
    ("POST", "/eventSubscriptions/{name}/enable"): ("Enable a subscription", None, None, 200),
    ("POST", "/eventSubscriptions/{name}/disable"): ("Disable a subscription", None, None, 200),
    ("GET", "/eventSubscriptions/{name}/secret"): ("The signing secrets", None, None, 200),
    ("POST", "/eventSubscriptions/{name}/secret/rotate"): (
        "Rotate the signing secret, keeping the old one for a grace period",
        None,
        None,
        200,
    ),
    ("GET", "/eventSubscriptions/{name}/stats"): ("Deliveries by status", None, None, 200),
    ("GET", "/eventSubscriptions/{name}/deliveries"): ("The delivery log", None, None, 200),
    ("GET", "/eventSubscriptions/{name}/deliveries/{delivery_id}"): (
        "One delivery with every attempt",
        None,
        None,
        200,
    ),
    ("GET", "/eventSubscriptions/{name}/attempts"): ("Every delivery attempt", None, None, 200),
    ("GET", "/eventSubscriptions/{name}/deadLetters"): ("Dead-lettered events", None, None, 200),
    ("POST", "/eventSubscriptions/{name}/deadLetters/redeliver"): (
        "Send every dead letter again",
        None,
        None,
        202,
    ),
    ("POST", "/eventSubscriptions/{name}/events/{event_id}/redeliver"): (
        "Send one event again",
        None,
        None,
        202,
    ),
    ("POST", "/eventSubscriptions/{name}/replay"): (
        "Replay the events of a time range",
        None,
        None,
        202,
    ),
    ("POST", "/identities"): (
        "Create a communication user, optionally with an access token",
        chat_schemas.CreateIdentityRequest,
        None,
        201,
    ),
    ("POST", "/identities/{id}/:issueAccessToken"): (
        "Issue an access token",
        chat_schemas.IssueTokenRequest,
        None,
        200,
    ),
    ("POST", "/identities/{id}/:revokeAccessTokens"): ("Revoke a user's tokens", None, None, 204),
    ("DELETE", "/identities/{id}"): ("Delete a user and its tokens", None, None, 204),
    ("POST", "/chat/threads"): (
        "Create a chat thread (repeatability-request-id)",
        chat_schemas.CreateThreadRequest,
        None,
        201,
    ),
    ("GET", "/chat/threads"): ("List the caller's threads", None, None, 200),
    ("GET", "/chat/threads/{thread_id}"): ("Get a thread", None, None, 200),
    ("PATCH", "/chat/threads/{thread_id}"): (
        "Update a thread's topic or metadata (merge patch)",
        chat_schemas.UpdateThreadRequest,
        None,
        204,
    ),
    ("DELETE", "/chat/threads/{thread_id}"): ("Delete a thread", None, None, 204),
    ("POST", "/chat/threads/{thread_id}/messages"): (
        "Send a message",
        chat_schemas.SendChatMessageRequest,
        None,
        201,
    ),
    ("GET", "/chat/threads/{thread_id}/messages"): ("List messages, newest first", None, None, 200),
    ("GET", "/chat/threads/{thread_id}/messages/{message_id}"): (
        "Get a message",
        None,
        None,
        200,
    ),
    ("PATCH", "/chat/threads/{thread_id}/messages/{message_id}"): (
        "Edit a message (merge patch)",
        chat_schemas.UpdateMessageRequest,
        None,
        204,
    ),
    ("DELETE", "/chat/threads/{thread_id}/messages/{message_id}"): (
        "Delete a message",
        None,
        None,
        204,
    ),
    ("GET", "/chat/threads/{thread_id}/participants"): ("List participants", None, None, 200),
    ("POST", "/chat/threads/{thread_id}/participants/:add"): (
        "Add participants",
        chat_schemas.AddParticipantsRequest,
        None,
        201,
    ),
    ("POST", "/chat/threads/{thread_id}/participants/:remove"): (
        "Remove a participant",
        None,
        None,
        204,
    ),
    ("POST", "/chat/threads/{thread_id}/readReceipts"): (
        "Send a read receipt",
        chat_schemas.ReadReceiptRequest,
        None,
        200,
    ),
    ("GET", "/chat/threads/{thread_id}/readReceipts"): ("List read receipts", None, None, 200),
    ("POST", "/chat/threads/{thread_id}/typing"): (
        "Send a typing notification",
        chat_schemas.TypingRequest,
        None,
        200,
    ),
    ("GET", "/chat/notifications"): (
        "The caller's chat events as Server-Sent Events",
        None,
        None,
        200,
    ),
    ("GET", "/webhooks/validate/{name}"): (
        "The asynchronous validation URL (no HMAC)",
        None,
        None,
        200,
    ),
}

_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "target": {"type": "string"},
            },
            "required": ["code", "message"],
        }
    },
}


#: The 2026-01-23 validation problem (RFC 9457 problem details, ASP.NET's shape) that a send
#: request refused as a whole answers with (``errors.ValidationFailed``).
_PROBLEM = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "traceId": {"type": "string"},
    },
    "required": ["title", "status", "errors"],
}

#: Operations whose 400 is either a validation problem or an ACS error.
_VALIDATION_PROBLEMS = {("POST", "/sms")}

_OPERATIONS |= carrier_schemas.OPERATIONS


def _version_schema(path: str) -> dict[str, Any]:
    for prefix, versions in _VERSIONS:
        if path.startswith(prefix):
            return {"type": "string", "enum": sorted(versions)}
    return {"type": "string"}


def openapi_document(routes: list[BaseRoute]) -> dict[str, Any]:
    types = {t for op in _OPERATIONS.values() for t in op[1:3] if t is not None}
    ordered = sorted(types, key=lambda t: t.__name__)
    refs, components = msgspec.json.schema_components(
        ordered, ref_template="#/components/schemas/{name}"
    )
    ref_of = dict(zip(ordered, refs, strict=True))
    components["AcsError"] = _ERROR
    components["ValidationProblem"] = _PROBLEM
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            # An operation without an entry documents "2XX" (some answer 200, 201 or 204).
            summary, request, response, status = _OPERATIONS.get(
                (method, route.path), (route.name.replace("_", " "), None, None, "2XX")
            )
            operation: dict[str, Any] = {
                "summary": summary,
                "operationId": f"{method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', route.path)}",
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in re.findall(r"{(\w+)}", route.path)
                ]
                + [{"name": "api-version", "in": "query", "schema": _version_schema(route.path)}],
                "responses": {
                    **{
                        str(code): {"description": "Success"}
                        | (
                            {"content": {"application/json": {"schema": ref_of[response]}}}
                            if response
                            else {}
                        )
                        for code in (status if isinstance(status, tuple) else (status,))
                    },
                    "default": {
                        "description": "An ACS error",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/AcsError"}
                            }
                        },
                    },
                },
                "security": [{"bearer": []} if route.path.startswith("/chat") else {"hmac": []}],
            }
            if (method, route.path) in _VALIDATION_PROBLEMS:
                operation["responses"]["400"] = {
                    "description": "The request as a whole is invalid",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/ValidationProblem"}
                        },
                        "application/json": {"schema": {"$ref": "#/components/schemas/AcsError"}},
                    },
                }
            if request is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref_of[request]}},
                }
            paths.setdefault(route.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tidings",
            "version": __version__,
            "description": "Azure Communication Services-compatible SMS and phone numbers.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "hmac": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "ACS HMAC-SHA256 request signature",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A communication user's access token (chat)",
                },
            },
        },
    }
