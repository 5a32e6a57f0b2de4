"""The identity and chat APIs over HTTP: ACS statuses and error bodies for bad input.

Every refused request must leave no trace: the tests count messages and events after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from tests.conftest import FakeClock
from tidings.container import Application

pytestmark = pytest.mark.anyio
V = "api-version=2024-03-07"
IV = "api-version=2023-10-01"


@pytest.fixture
async def bare(sqlite_application: Application) -> AsyncIterator[httpx.AsyncClient]:
    """A client without HMAC: chat requests carry their own bearer tokens."""
    transport = httpx.ASGITransport(app=sqlite_application.asgi())
    async with httpx.AsyncClient(transport=transport, base_url="https://tidings.test") as client:
        yield client


async def _user(http: httpx.AsyncClient, scopes: list[str] | None = None) -> tuple[str, str]:
    response = await http.post(
        f"/identities?{IV}", json={"createTokenWithScopes": scopes or ["chat"]}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["identity"]["id"], body["accessToken"]["token"]


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _who(user: str) -> dict[str, Any]:
    return {"rawId": user, "communicationUser": {"id": user}}


async def _error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error


async def _thread(bare: httpx.AsyncClient, token: str, *others: str) -> str:
    response = await bare.post(
        f"/chat/threads?{V}",
        json={
            "topic": "t",
            "participants": [{"communicationIdentifier": _who(o)} for o in others],
        },
        headers=_auth(token),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["chatThread"]["id"])


def _events(app: Application) -> int:
    return app.services.store.read(lambda tx: tx.events.count())


# -- identity ------------------------------------------------------------------------------


async def test_identity_bad_input(http: httpx.AsyncClient) -> None:
    await _error(await http.post("/identities", json={}), 400, "MissingApiVersionParameter")
    await _error(
        await http.post(f"/identities?{IV}", json={"createTokenWithScopes": ["fly"]}),
        400,
        "InvalidScope",
    )
    await _error(
        await http.post(
            f"/identities?{IV}",
            json={"createTokenWithScopes": ["chat"], "expiresInMinutes": 30},
        ),
        400,
    )
    await _error(await http.post(f"/identities?{IV}", content=b"{nope"), 400)
    await _error(
        await http.post(
            f"/identities/not-a-user/:issueAccessToken?{IV}", json={"scopes": ["chat"]}
        ),
        400,
        "InvalidIdentifier",
    )
    user, _ = await _user(http)
    await _error(await http.post(f"/identities/{user}/:issueAccessToken?{IV}", json={}), 400)
    assert (await http.delete(f"/identities/{user}?{IV}")).status_code == 204
    await _error(await http.delete(f"/identities/{user}?{IV}"), 404, "IdentityNotFound")


async def test_identity_needs_hmac(bare: httpx.AsyncClient) -> None:
    await _error(await bare.post(f"/identities?{IV}", json={}), 401)


async def test_token_payload_decodes_with_standard_base64(http: httpx.AsyncClient) -> None:
    """The SDK decodes the payload with standard base64: no URL-safe letters in it, ever."""
    import base64
    import json

    for _ in range(40):
        _, token = await _user(http, ["chat", "voip", "chat.join.limited"])
        payload = token.split(".")[1]
        assert "-" not in payload and "_" not in payload
        assert "exp" in json.loads(base64.b64decode(payload + "=="))


# -- authentication ------------------------------------------------------------------------


async def test_bad_tokens_are_401(
    http: httpx.AsyncClient,
    bare: httpx.AsyncClient,
    clock: FakeClock,
    sqlite_application: Application,
) -> None:
    user, token = await _user(http)
    url = f"/chat/threads?{V}"
    await _error(await bare.get(url), 401, "Unauthorized")
    await _error(await bare.get(url, headers={"Authorization": "Basic abc"}), 401)
    await _error(await bare.get(url, headers=_auth("not.a.token")), 401)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, "guessed-secret-" + "0" * 40, algorithm="HS256", headers=header)
    await _error(await bare.get(url, headers=_auth(forged)), 401)
    unknown_kid = jwt.encode(claims, "x" * 40, algorithm="HS256", headers={"kid": "nope"})
    await _error(await bare.get(url, headers=_auth(unknown_kid)), 401)
    assert (await bare.get(url, headers=_auth(token))).status_code == 200

    # HMAC-signed requests are not accepted on the chat API.
    await _error(await http.get(url), 401)

    assert (await http.post(f"/identities/{user}/:revokeAccessTokens?{IV}")).status_code == 204
    await _error(await bare.get(url, headers=_auth(token)), 401)
    fresh = await http.post(f"/identities/{user}/:issueAccessToken?{IV}", json={"scopes": ["chat"]})
    fresh_token = fresh.json()["token"]
    assert (await bare.get(url, headers=_auth(fresh_token))).status_code == 200

    clock.advance(24 * 3600 + 1)
    await _error(await bare.get(url, headers=_auth(fresh_token)), 401)

    other, other_token = await _user(http)
    assert (await http.delete(f"/identities/{other}?{IV}")).status_code == 204
    await _error(await bare.get(url, headers=_auth(other_token)), 401)


async def test_keys_rotate_without_cutting_off_tokens(
    http: httpx.AsyncClient, bare: httpx.AsyncClient, sqlite_application: Application
) -> None:
    _, old = await _user(http)
    key = sqlite_application.services.identity.rotate_key()
    _, new = await _user(http)
    assert jwt.get_unverified_header(new)["kid"] == key.kid
    assert jwt.get_unverified_header(old)["kid"] != key.kid
    for token in (old, new):
        assert (await bare.get(f"/chat/threads?{V}", headers=_auth(token))).status_code == 200


# -- access control ------------------------------------------------------------------------


async def test_scopes_and_membership(
    http: httpx.AsyncClient, bare: httpx.AsyncClient, sqlite_application: Application
) -> None:
    alice, alice_token = await _user(http)
    bob, bob_token = await _user(http)
    _, mallory_token = await _user(http)
    _, voip_token = await _user(http, ["voip"])
    joiner, join_token = await _user(http, ["chat.join"])
    thread = await _thread(bare, alice_token, bob, joiner)
    messages = f"/chat/threads/{thread}/messages?{V}"

    await _error(
        await bare.post(f"/chat/threads?{V}", json={"topic": "x"}, headers=_auth(voip_token)),
        403,
        "Forbidden",
    )
    await _error(
        await bare.post(f"/chat/threads?{V}", json={"topic": "x"}, headers=_auth(join_token)), 403
    )
    sent = await bare.post(messages, json={"content": "hi"}, headers=_auth(join_token))
    assert sent.status_code == 201
    before = _events(sqlite_application)
    await _error(
        await bare.post(messages, json={"content": "x"}, headers=_auth(mallory_token)), 403
    )
    await _error(await bare.get(messages, headers=_auth(mallory_token)), 403)
    await _error(await bare.get(f"/chat/threads/{thread}?{V}", headers=_auth(mallory_token)), 403)
    await _error(
        await bare.delete(f"/chat/threads/{thread}?{V}", headers=_auth(mallory_token)), 403
    )
    # Only the sender edits or deletes a message.
    message_id = sent.json()["id"]
    await _error(
        await bare.patch(
            f"/chat/threads/{thread}/messages/{message_id}?{V}",
            json={"content": "mine now"},
            headers={**_auth(bob_token), "Content-Type": "application/merge-patch+json"},
        ),
        403,
    )
    await _error(
        await bare.delete(
            f"/chat/threads/{thread}/messages/{message_id}?{V}", headers=_auth(bob_token)
        ),
        403,
    )
    assert _events(sqlite_application) == before

    removed = await bare.post(
        f"/chat/threads/{thread}/participants/:remove?{V}",
        json=_who(bob),
        headers=_auth(alice_token),
    )
    assert removed.status_code == 204
    await _error(await bare.post(messages, json={"content": "x"}, headers=_auth(bob_token)), 403)
    assert alice


# -- bad input -----------------------------------------------------------------------------


async def test_unknown_and_deleted_things_are_404(
    http: httpx.AsyncClient, bare: httpx.AsyncClient
) -> None:
    _, token = await _user(http)
    auth = _auth(token)
    await _error(
        await bare.get(f"/chat/threads/19:{'0' * 32}@thread.v2?{V}", headers=auth), 404, "NotFound"
    )
    thread = await _thread(bare, token)
    base = f"/chat/threads/{thread}"
    await _error(await bare.get(f"{base}/messages/1?{V}", headers=auth), 404)
    await _error(await bare.get(f"{base}/messages/abc?{V}", headers=auth), 404)
    await _error(
        await bare.post(f"{base}/readReceipts?{V}", json={"chatMessageId": "42"}, headers=auth),
        404,
    )
    await _error(
        await bare.post(f"{base}/participants/:remove?{V}", json=_who("8:acs:x"), headers=auth),
        404,
    )
    assert (await bare.delete(f"{base}?{V}", headers=auth)).status_code == 204
    assert (await bare.delete(f"{base}?{V}", headers=auth)).status_code == 204
    await _error(await bare.get(f"{base}?{V}", headers=auth), 404)
    await _error(await bare.post(f"{base}/messages?{V}", json={"content": "x"}, headers=auth), 404)


async def test_bad_bodies_are_400_and_write_nothing(
    http: httpx.AsyncClient, bare: httpx.AsyncClient, sqlite_application: Application
) -> None:
    _, token = await _user(http)
    auth = _auth(token)
    thread = await _thread(bare, token)
    base = f"/chat/threads/{thread}"
    before = _events(sqlite_application)
    cases: list[tuple[str, str, Any]] = [
        ("POST", f"/chat/threads?{V}", {"topic": ""}),
        ("POST", f"/chat/threads?{V}", {"participants": []}),
        ("POST", f"/chat/threads?{V}", {"topic": "x" * 300}),
        ("POST", f"{base}/messages?{V}", {"content": ""}),
        ("POST", f"{base}/messages?{V}", {"content": "x", "type": "video"}),
        ("POST", f"{base}/messages?{V}", {"content": "x" * 30_000}),
        ("POST", f"{base}/messages?{V}", {"content": 5}),
        ("POST", f"{base}/messages?{V}", [1, 2]),
        ("PATCH", f"{base}?{V}", {"topic": ""}),
        ("PATCH", f"{base}?{V}", ["not", "an", "object"]),
        ("POST", f"{base}/participants/:add?{V}", {"participants": []}),
        ("POST", f"{base}/participants/:remove?{V}", {}),
        ("POST", f"{base}/readReceipts?{V}", {}),
        ("GET", f"{base}/messages?{V}&maxPageSize=0", None),
        ("GET", f"{base}/messages?{V}&startTime=yesterday", None),
        ("GET", f"{base}/messages", None),
    ]
    for method, url, body in cases:
        response = await bare.request(method, url, json=body, headers=auth)
        assert response.status_code == 400, (method, url, body, response.text)
        assert response.json()["error"]["code"]
    raw = await bare.post(f"{base}/messages?{V}", content=b"{not json", headers=auth)
    await _error(raw, 400)
    huge = await bare.post(
        f"{base}/messages?{V}",
        content=b"x" * 2_000_000,
        headers={**auth, "Content-Length": "2000000"},
    )
    await _error(huge, 413)
    assert _events(sqlite_application) == before
    listed = await bare.get(f"{base}/messages?{V}", headers=auth)
    assert [m["type"] for m in listed.json()["value"]] == ["participantAdded"]


async def test_repeated_create_and_invalid_participants(
    http: httpx.AsyncClient, bare: httpx.AsyncClient, sqlite_application: Application
) -> None:
    _, token = await _user(http)
    headers = {**_auth(token), "repeatability-request-id": "r-1"}
    ghost = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000001"
    body = {
        "topic": "once",
        "participants": [
            {"communicationIdentifier": _who(ghost)},
            {
                "communicationIdentifier": {
                    "rawId": "4:+15555550100",
                    "phoneNumber": {"value": "+15555550100"},
                }
            },
        ],
    }
    first = await bare.post(f"/chat/threads?{V}", json=body, headers=headers)
    assert first.status_code == 201
    invalid = {i["target"]: i["code"] for i in first.json()["invalidParticipants"]}
    assert invalid == {ghost: "404", "4:+15555550100": "400"}
    events = _events(sqlite_application)
    again = await bare.post(f"/chat/threads?{V}", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["chatThread"]["id"] == first.json()["chatThread"]["id"]
    assert _events(sqlite_application) == events
    listed = await bare.get(f"/chat/threads?{V}", headers=_auth(token))
    assert len(listed.json()["value"]) == 1


async def test_paging_with_next_links(http: httpx.AsyncClient, bare: httpx.AsyncClient) -> None:
    _, token = await _user(http)
    auth = _auth(token)
    thread = await _thread(bare, token)
    for i in range(5):
        sent = await bare.post(
            f"/chat/threads/{thread}/messages?{V}", json={"content": f"m{i}"}, headers=auth
        )
        assert sent.status_code == 201
    seen: list[str] = []
    url: str | None = f"/chat/threads/{thread}/messages?{V}&maxPageSize=2"
    while url:
        page = (await bare.get(url, headers=auth)).json()
        assert len(page["value"]) <= 2
        seen += [m["content"].get("message", "*system*") for m in page["value"]]
        url = page.get("nextLink")
    assert seen == ["m4", "m3", "m2", "m1", "m0", "*system*"]
    for _ in range(2):
        await _thread(bare, token)
    threads: list[str] = []
    url = f"/chat/threads?{V}&maxPageSize=1"
    while url:
        page = (await bare.get(url, headers=auth)).json()
        threads += [t["id"] for t in page["value"]]
        url = page.get("nextLink")
    assert len(threads) == 3 == len(set(threads))


async def test_openapi_describes_chat_with_bearer(bare: httpx.AsyncClient) -> None:
    document = (await bare.get("/openapi.json")).json()
    send = document["paths"]["/chat/threads/{thread_id}/messages"]["post"]
    assert send["summary"] == "Send a message"
    assert send["security"] == [{"bearer": []}]
    assert "requestBody" in send
    create = document["paths"]["/identities"]["post"]
    assert create["security"] == [{"hmac": []}]


async def test_chat_join_limited_reads_and_writes_but_not_membership(
    http: httpx.AsyncClient, bare: httpx.AsyncClient
) -> None:
    _, alice_token = await _user(http)
    limited, limited_token = await _user(http, ["chat.join.limited"])
    other, _ = await _user(http)
    thread = await _thread(bare, alice_token, limited)
    auth = _auth(limited_token)
    base = f"/chat/threads/{thread}"
    assert (await bare.get(f"{base}/messages?{V}", headers=auth)).status_code == 200
    sent = await bare.post(f"{base}/messages?{V}", json={"content": "hi"}, headers=auth)
    assert sent.status_code == 201
    add = await bare.post(
        f"{base}/participants/:add?{V}",
        json={"participants": [{"communicationIdentifier": _who(other)}]},
        headers=auth,
    )
    await _error(add, 403)
    await _error(await bare.patch(f"{base}?{V}", json={"topic": "mine"}, headers=auth), 403)
    leave = await bare.post(f"{base}/participants/:remove?{V}", json=_who(limited), headers=auth)
    assert leave.status_code == 204
    await _error(await bare.get(f"{base}/messages?{V}", headers=auth), 403)


async def test_browsers_may_call_chat_from_any_origin(
    http: httpx.AsyncClient, bare: httpx.AsyncClient
) -> None:
    origin = {"Origin": "https://app.example"}
    preflight = await bare.options(
        f"/chat/threads?{V}",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    _, token = await _user(http)
    listed = await bare.get(f"/chat/threads?{V}", headers={**origin, **_auth(token)})
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == "*"
    refused = await bare.get(f"/chat/threads?{V}", headers=origin)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"  # the app can read the 401
    # Not for the HMAC APIs, which are for servers.
    sms = await bare.options(
        "/sms?api-version=2021-03-07",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in sms.headers
