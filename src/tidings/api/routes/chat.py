"""``/chat``: the ACS Chat API (api-version 2024-03-07), authenticated by bearer tokens.

Paging follows ACS: ``maxPageSize`` and ``startTime`` (or ``skip``) on the first request, and
a relative ``nextLink`` carrying an opaque ``syncState`` for the next page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import chat_schemas as cs
from tidings.api.routes.common import api_version, int_param, json, run
from tidings.api.schemas import decode
from tidings.domain.chat import Message, Participant, ReadReceipt, Thread, identifier, raw_id_of
from tidings.domain.identity import Caller
from tidings.domain.timefmt import iso_7z, parse_iso
from tidings.errors import InvalidInput
from tidings.services.chat import InvalidParticipant, NewParticipant, Page
from tidings.services.registry import Services

CHAT_VERSIONS = frozenset(
    {"2021-09-07", "2023-11-07", "2024-03-07", "2024-09-01-preview", "2025-03-15"}
)
MAX_PAGE = 200


# -- wire shapes ---------------------------------------------------------------------------


def thread_body(t: Thread) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": t.id,
        "topic": t.topic,
        "createdOn": iso_7z(t.created_at),
        "createdByCommunicationIdentifier": identifier(t.created_by),
        "metadata": t.metadata,
    }
    if t.deleted_at is not None:
        body["deletedOn"] = iso_7z(t.deleted_at)
    return body


def thread_item(t: Thread) -> dict[str, Any]:
    body: dict[str, Any] = {"id": t.id, "topic": t.topic}
    if t.deleted_at is not None:
        body["deletedOn"] = iso_7z(t.deleted_at)
    if t.last_message_at is not None:
        body["lastMessageReceivedOn"] = iso_7z(t.last_message_at)
    return body


def participant_body(p: Participant) -> dict[str, Any]:
    body: dict[str, Any] = {"communicationIdentifier": identifier(p.user_id)}
    if p.display_name is not None:
        body["displayName"] = p.display_name
    if p.share_history_time is not None:
        body["shareHistoryTime"] = iso_7z(p.share_history_time)
    if p.metadata:
        body["metadata"] = p.metadata
    return body


def message_body(m: Message) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": m.id,
        "type": m.type.value,
        "sequenceId": str(m.sequence_id),
        "version": m.version,
        "createdOn": iso_7z(m.created_at),
    }
    if m.deleted_at is None:
        body["content"] = m.content
    if m.sender_id is not None:
        body["senderCommunicationIdentifier"] = identifier(m.sender_id)
    if m.sender_display_name is not None:
        body["senderDisplayName"] = m.sender_display_name
    if m.deleted_at is not None:
        body["deletedOn"] = iso_7z(m.deleted_at)
    if m.edited_at is not None:
        body["editedOn"] = iso_7z(m.edited_at)
    if m.metadata and m.deleted_at is None:
        body["metadata"] = m.metadata
    return body


def receipt_body(r: ReadReceipt) -> dict[str, Any]:
    return {
        "senderCommunicationIdentifier": identifier(r.user_id),
        "chatMessageId": r.message_id,
        "readOn": iso_7z(r.read_at),
    }


def invalid_body(invalid: list[InvalidParticipant]) -> list[dict[str, Any]]:
    return [{"code": i.code, "message": i.message, "target": i.target} for i in invalid]


# -- request helpers -----------------------------------------------------------------------


def _caller(request: Request) -> Caller:
    caller: Caller = request.scope["state"]["caller"]
    return caller


def _time(value: str | None, target: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise InvalidInput(f"{target} is not an ISO 8601 date-time.", target=target) from None


def _participants(items: list[cs.ChatParticipantIn]) -> list[NewParticipant]:
    return [
        NewParticipant(
            user_id=raw_id_of(p.communication_identifier, f"participants[{i}]"),
            display_name=p.display_name,
            share_history_time=_time(p.share_history_time, f"participants[{i}].shareHistoryTime"),
            metadata=dict(p.metadata or {}),
        )
        for i, p in enumerate(items)
    ]


def _next_link(request: Request, **params: str | int | None) -> str:
    query = {k: v for k, v in params.items() if v is not None}
    query["api-version"] = request.query_params.get("api-version", "2024-03-07")
    return f"{request.url.path}?{urlencode(query)}"


def _page(value: list[dict[str, Any]], next_link: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"value": value}
    if next_link:
        body["nextLink"] = next_link
    return body


async def _time_paged(
    request: Request,
    list_fn: Callable[..., Page[Any]],
    body: Callable[[Any], dict[str, Any]],
    *args: str,
) -> Response:
    """A list paged newest first from ``startTime``, with an opaque ``syncState`` cursor."""
    api_version(request, CHAT_VERSIONS)
    limit = int_param(request, "maxPageSize", 100, 1, MAX_PAGE)
    start = request.query_params.get("startTime")
    page = await run(
        list_fn,
        _caller(request),
        *args,
        since=_time(start, "startTime"),
        limit=limit,
        cursor=request.query_params.get("syncState"),
    )
    link = (
        _next_link(request, syncState=page.next_cursor, maxPageSize=limit, startTime=start)
        if page.next_cursor
        else None
    )
    return json(_page([body(item) for item in page.items], link))


def routes(services: Services) -> list[Route]:
    chat = services.chat

    async def list_threads(request: Request) -> Response:
        return await _time_paged(request, chat.threads, thread_item)

    async def list_messages(request: Request) -> Response:
        return await _time_paged(
            request, chat.messages, message_body, request.path_params["thread_id"]
        )

    def skip_paged(
        list_fn: Callable[..., Page[Any]], body: Callable[[Any], dict[str, Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A thread's list paged by ``skip`` (participants, read receipts)."""

        async def handle(request: Request) -> Response:
            api_version(request, CHAT_VERSIONS)
            limit = int_param(request, "maxPageSize", 100, 1, MAX_PAGE)
            skip = int_param(request, "skip", 0, 0, 10**6)
            page = await run(
                list_fn,
                _caller(request),
                request.path_params["thread_id"],
                skip=skip,
                limit=limit,
            )
            link = (
                _next_link(request, skip=page.next_cursor, maxPageSize=limit)
                if page.next_cursor
                else None
            )
            return json(_page([body(item) for item in page.items], link))

        return handle

    list_participants = skip_paged(chat.participants, participant_body)
    list_receipts = skip_paged(chat.read_receipts, receipt_body)

    async def create_thread(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.CreateThreadRequest = decode(await request.body(), cs.CreateThreadRequest)
        thread, invalid = await run(
            chat.create_thread,
            _caller(request),
            body.topic,
            _participants(body.participants),
            request.headers.get("repeatability-request-id"),
            body.metadata,
        )
        result: dict[str, Any] = {"chatThread": thread_body(thread)}
        if invalid:
            result["invalidParticipants"] = invalid_body(invalid)
        location = f"{request.base_url}chat/threads/{thread.id}"
        return json(result, 201, headers={"Location": location})

    async def get_thread(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        thread = await run(chat.thread, _caller(request), request.path_params["thread_id"])
        return json(thread_body(thread))

    async def update_thread(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.UpdateThreadRequest = decode(await request.body(), cs.UpdateThreadRequest)
        await run(
            chat.update_thread,
            _caller(request),
            request.path_params["thread_id"],
            body.topic,
            body.metadata,
        )
        return Response(status_code=204)

    async def delete_thread(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        await run(chat.delete_thread, _caller(request), request.path_params["thread_id"])
        return Response(status_code=204)

    async def send_message(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.SendChatMessageRequest = decode(await request.body(), cs.SendChatMessageRequest)
        message = await chat.send_message(
            _caller(request),
            request.path_params["thread_id"],
            body.content,
            body.type,
            body.sender_display_name,
            body.metadata,
        )
        return json({"id": message.id}, 201)

    async def get_message(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        message = await run(
            chat.message,
            _caller(request),
            request.path_params["thread_id"],
            request.path_params["message_id"],
        )
        return json(message_body(message))

    async def update_message(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.UpdateMessageRequest = decode(await request.body(), cs.UpdateMessageRequest)
        await run(
            chat.update_message,
            _caller(request),
            request.path_params["thread_id"],
            request.path_params["message_id"],
            body.content,
            body.metadata,
        )
        return Response(status_code=204)

    async def delete_message(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        await run(
            chat.delete_message,
            _caller(request),
            request.path_params["thread_id"],
            request.path_params["message_id"],
        )
        return Response(status_code=204)

    async def add_participants(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.AddParticipantsRequest = decode(await request.body(), cs.AddParticipantsRequest)
        invalid = await run(
            chat.add_participants,
            _caller(request),
            request.path_params["thread_id"],
            _participants(body.participants),
        )
        return json({"invalidParticipants": invalid_body(invalid)} if invalid else {}, 201)

    async def remove_participant(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: dict[str, Any] = decode(await request.body(), dict[str, Any])
        await run(
            chat.remove_participant,
            _caller(request),
            request.path_params["thread_id"],
            raw_id_of(body, "communicationIdentifier"),
        )
        return Response(status_code=204)

    async def send_receipt(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.ReadReceiptRequest = decode(await request.body(), cs.ReadReceiptRequest)
        await run(
            chat.send_read_receipt,
            _caller(request),
            request.path_params["thread_id"],
            body.chat_message_id,
        )
        return Response(status_code=200)

    async def typing(request: Request) -> Response:
        api_version(request, CHAT_VERSIONS)
        body: cs.TypingRequest = decode(await request.body(), cs.TypingRequest)
        await run(
            chat.typing,
            _caller(request),
            request.path_params["thread_id"],
            body.sender_display_name,
        )
        return Response(status_code=200)

    thread = "/chat/threads/{thread_id}"
    return [
        Route("/chat/threads", create_thread, methods=["POST"]),
        Route("/chat/threads", list_threads, methods=["GET"]),
        Route(thread, get_thread, methods=["GET"]),
        Route(thread, update_thread, methods=["PATCH"]),
        Route(thread, delete_thread, methods=["DELETE"]),
        Route(thread + "/messages", send_message, methods=["POST"]),
        Route(thread + "/messages", list_messages, methods=["GET"]),
        Route(thread + "/messages/{message_id}", get_message, methods=["GET"]),
        Route(thread + "/messages/{message_id}", update_message, methods=["PATCH"]),
        Route(thread + "/messages/{message_id}", delete_message, methods=["DELETE"]),
        Route(thread + "/participants", list_participants, methods=["GET"]),
        Route(thread + "/participants/:add", add_participants, methods=["POST"]),
        Route(thread + "/participants/:remove", remove_participant, methods=["POST"]),
        Route(thread + "/readReceipts", send_receipt, methods=["POST"]),
        Route(thread + "/readReceipts", list_receipts, methods=["GET"]),
        Route(thread + "/typing", typing, methods=["POST"]),
    ]
