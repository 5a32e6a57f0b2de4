"""``/identities``: the ACS Identity API (users, access tokens, revocation), HMAC-signed."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tidings.api import chat_schemas as cs
from tidings.api.routes.common import api_version, json, run
from tidings.api.schemas import decode
from tidings.domain.timefmt import iso_offset
from tidings.services.identity import AccessToken
from tidings.services.registry import Services

IDENTITY_VERSIONS = frozenset(
    {"2021-03-07", "2022-06-01", "2022-10-01", "2023-08-01", "2023-10-01", "2025-06-30"}
)


def token_body(token: AccessToken) -> dict[str, Any]:
    return {"token": token.token, "expiresOn": iso_offset(token.expires_on)}


def routes(services: Services) -> list[Route]:
    identity = services.identity

    async def create(request: Request) -> Response:
        api_version(request, IDENTITY_VERSIONS)
        body: cs.CreateIdentityRequest = decode(await request.body(), cs.CreateIdentityRequest)
        user = await run(
            identity.create_user, body.create_token_with_scopes, body.expires_in_minutes
        )
        result: dict[str, Any] = {"identity": {"id": user.user_id}}
        if user.token is not None:
            result["accessToken"] = token_body(user.token)
        return json(result, 201)

    async def issue(request: Request) -> Response:
        api_version(request, IDENTITY_VERSIONS)
        body: cs.IssueTokenRequest = decode(await request.body(), cs.IssueTokenRequest)
        token = await run(
            identity.issue_token, request.path_params["id"], body.scopes, body.expires_in_minutes
        )
        return json(token_body(token))

    async def revoke(request: Request) -> Response:
        api_version(request, IDENTITY_VERSIONS)
        await run(identity.revoke, request.path_params["id"])
        return Response(status_code=204)

    async def delete(request: Request) -> Response:
        api_version(request, IDENTITY_VERSIONS)
        await run(identity.delete, request.path_params["id"])
        return Response(status_code=204)

    return [
        Route("/identities", create, methods=["POST"]),
        Route("/identities/{id}/:issueAccessToken", issue, methods=["POST"]),
        Route("/identities/{id}/:revokeAccessTokens", revoke, methods=["POST"]),
        Route("/identities/{id}", delete, methods=["DELETE"]),
    ]
