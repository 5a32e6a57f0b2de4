"""The official identity and chat SDKs, sync and async, against a real server over HTTPS.

The chat SDK refuses bearer tokens over plain HTTP, so chat runs on the HTTPS listener with
the development CA trusted through the variables the SDK honours: ``REQUESTS_CA_BUNDLE``
(sync, requests) and ``SSL_CERT_FILE`` (async, aiohttp). Thread clients made by
``get_chat_thread_client`` do not inherit the chat client's settings; the variables cover them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from azure.communication.chat import (
    ChatClient,
    ChatMessageType,
    ChatParticipant,
    CommunicationTokenCredential,
)
from azure.communication.chat import (
    CommunicationUserIdentifier as ChatUser,
)
from azure.communication.chat.aio import ChatClient as AsyncChatClient
from azure.communication.chat.aio import ChatThreadClient as AsyncChatThreadClient
from azure.communication.chat.aio import (
    CommunicationTokenCredential as AsyncCommunicationTokenCredential,
)
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.communication.identity.aio import (
    CommunicationIdentityClient as AsyncCommunicationIdentityClient,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)

from tests.server import ServerProcess

CHAT: list[str | CommunicationTokenScope] = [CommunicationTokenScope.CHAT]


@pytest.fixture
def identity(server: ServerProcess) -> CommunicationIdentityClient:
    return CommunicationIdentityClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    )


@pytest.fixture
def trust_ca(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_cert))
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_cert))


def _user(identity_user: CommunicationUserIdentifier) -> ChatUser:
    """The identity SDK's identifier as the chat SDK's type (the same wire shape)."""
    return ChatUser(identity_user.properties["id"])


def _chat(server: ServerProcess, token: str) -> ChatClient:
    return ChatClient(server.https_endpoint, CommunicationTokenCredential(token), retry_total=0)


# -- identity ------------------------------------------------------------------------------


def test_identity_users_tokens_revocation(identity: CommunicationIdentityClient) -> None:
    user, token = identity.create_user_and_token(CHAT, token_expires_in=timedelta(hours=2))
    assert user.properties["id"].startswith("8:acs:")
    left = datetime.fromisoformat(str(token.expires_on)) - datetime.now(UTC)
    assert timedelta(minutes=115) < left <= timedelta(hours=2)
    plain = identity.create_user()
    assert plain.properties["id"] != user.properties["id"]
    voip = identity.get_token(plain, [CommunicationTokenScope.VOIP])
    assert voip.token.count(".") == 2
    default = identity.get_token(plain, CHAT)
    left = datetime.fromisoformat(str(default.expires_on)) - datetime.now(UTC)
    assert timedelta(hours=23) < left <= timedelta(hours=24)

    with pytest.raises(HttpResponseError) as short:
        identity.get_token(plain, CHAT, token_expires_in=timedelta(minutes=59))
    assert short.value.status_code == 400
    with pytest.raises(HttpResponseError) as long:
        identity.get_token(plain, CHAT, token_expires_in=timedelta(minutes=1441))
    assert long.value.status_code == 400
    with pytest.raises(HttpResponseError) as scope:
        identity.get_token(plain, ["chat", "fly"])
    assert scope.value.status_code == 400

    identity.revoke_tokens(user)
    identity.delete_user(plain)
    with pytest.raises(ResourceNotFoundError):
        identity.get_token(plain, CHAT)
    unknown = CommunicationUserIdentifier(user.properties["id"][:-12] + "000000000000")
    with pytest.raises(ResourceNotFoundError):
        identity.revoke_tokens(unknown)


def test_identity_wrong_key_is_401(server: ServerProcess) -> None:
    bad = CommunicationIdentityClient(
        server.http_endpoint,
        AzureKeyCredential("d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9uZ3dyb25nIQ=="),
        retry_total=0,
    )
    with pytest.raises(ClientAuthenticationError):
        bad.create_user()


@pytest.mark.anyio
async def test_identity_async(server: ServerProcess) -> None:
    async with AsyncCommunicationIdentityClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    ) as client:
        user, token = await client.create_user_and_token(CHAT)
        again = await client.get_token(user, [CommunicationTokenScope.CHAT_JOIN])
        assert again.token != token.token
        await client.revoke_tokens(user)
        await client.delete_user(user)
        with pytest.raises(ResourceNotFoundError):
            await client.get_token(user, CHAT)


# -- chat, sync ----------------------------------------------------------------------------


@pytest.mark.usefixtures("trust_ca")
def test_chat_sync_full_round(server: ServerProcess, identity: CommunicationIdentityClient) -> None:
    alice, alice_token = identity.create_user_and_token(CHAT)
    bob, bob_token = identity.create_user_and_token(CHAT)
    carol = identity.create_user()
    chat = _chat(server, alice_token.token)

    created = chat.create_chat_thread(
        "Lunch",
        thread_participants=[
            ChatParticipant(identifier=_user(alice), display_name="Alice"),
            ChatParticipant(identifier=_user(bob), display_name="Bob"),
        ],
        idempotency_token="11111111-0000-0000-0000-000000000001",
    )
    assert created.errors is None or created.errors == []
    thread_id = created.chat_thread.id
    assert thread_id.startswith("19:") and thread_id.endswith("@thread.v2")
    again = chat.create_chat_thread(
        "Lunch", idempotency_token="11111111-0000-0000-0000-000000000001"
    )
    assert again.chat_thread.id == thread_id

    thread = chat.get_chat_thread_client(thread_id)
    props = thread.get_properties()
    assert props.topic == "Lunch"
    assert props.created_by.properties["id"] == alice.properties["id"]

    first = thread.send_message("hello", sender_display_name="Alice", metadata={"k": "v"})
    second = thread.send_message("<b>hi</b>", chat_message_type=ChatMessageType.HTML)
    assert int(second.id) > int(first.id)
    message = thread.get_message(first.id)
    assert message.content.message == "hello"
    assert message.sender_display_name == "Alice"
    assert message.metadata == {"k": "v"}
    assert message.sender.properties["id"] == alice.properties["id"]
    assert message.type == ChatMessageType.TEXT

    pages = list(thread.list_messages(results_per_page=1).by_page())
    assert len(pages) >= 3  # two messages and the participantAdded system message
    listed = [m for page in pages for m in page]
    assert [m.id for m in listed][:2] == [second.id, first.id]
    system = listed[-1]
    assert system.type == ChatMessageType.PARTICIPANT_ADDED
    assert {p.identifier.properties["id"] for p in system.content.participants} == {
        alice.properties["id"],
        bob.properties["id"],
    }
    recent = list(thread.list_messages(start_time=datetime.now(UTC) + timedelta(hours=1)))
    assert recent == []

    thread.update_message(first.id, content="hello again", metadata={"k": "w"})
    edited = thread.get_message(first.id)
    assert edited.content.message == "hello again"
    assert edited.edited_on is not None
    assert edited.metadata == {"k": "w"}

    thread.send_typing_notification(sender_display_name="Alice")
    thread.send_read_receipt(first.id)
    receipts = list(thread.list_read_receipts())
    assert [r.chat_message_id for r in receipts] == [first.id]

    thread.update_topic("Dinner")
    assert thread.get_properties().topic == "Dinner"
    assert any(
        m.type == ChatMessageType.TOPIC_UPDATED and m.content.topic == "Dinner"
        for m in thread.list_messages()
    )

    result = thread.add_participants(
        [ChatParticipant(identifier=_user(carol), display_name="Carol")]
    )
    assert result == []
    names = sorted(str(p.display_name) for p in thread.list_participants(results_per_page=1))
    assert names == ["Alice", "Bob", "Carol"]
    thread.remove_participant(_user(carol))
    assert len(list(thread.list_participants())) == 2

    thread.delete_message(second.id)
    gone = thread.get_message(second.id)
    assert gone.deleted_on is not None

    bob_chat = _chat(server, bob_token.token)
    assert thread_id in [t.id for t in bob_chat.list_chat_threads(results_per_page=1)]
    chat.delete_chat_thread(thread_id)
    with pytest.raises(ResourceNotFoundError):
        thread.get_properties()


@pytest.mark.usefixtures("trust_ca")
def test_chat_refuses_without_chat_scope_or_membership(
    server: ServerProcess, identity: CommunicationIdentityClient
) -> None:
    alice, alice_token = identity.create_user_and_token(CHAT)
    _mallory, mallory_token = identity.create_user_and_token(CHAT)
    _voip_user, voip_token = identity.create_user_and_token([CommunicationTokenScope.VOIP])
    thread_id = _chat(server, alice_token.token).create_chat_thread("Private").chat_thread.id

    outsider = _chat(server, mallory_token.token).get_chat_thread_client(thread_id)
    with pytest.raises(HttpResponseError) as forbidden:
        outsider.send_message("let me in")
    assert forbidden.value.status_code == 403
    with pytest.raises(HttpResponseError) as no_scope:
        _chat(server, voip_token.token).create_chat_thread("voip only")
    assert no_scope.value.status_code == 403

    identity.revoke_tokens(alice)
    with pytest.raises(ClientAuthenticationError):
        _chat(server, alice_token.token).get_chat_thread_client(thread_id).get_properties()
    fresh = identity.get_token(alice, CHAT)
    assert _chat(server, fresh.token).get_chat_thread_client(thread_id).get_properties()


def test_connection_verify_on_both_clients(
    server: ServerProcess, identity: CommunicationIdentityClient
) -> None:
    """Without the variables: pass ``connection_verify`` to each client, thread clients too."""
    from azure.communication.chat import ChatThreadClient

    _user, token = identity.create_user_and_token(CHAT)
    verify = str(server.ca_cert)
    chat = ChatClient(
        server.https_endpoint, CommunicationTokenCredential(token.token), connection_verify=verify
    )
    thread_id = chat.create_chat_thread("Verified").chat_thread.id
    thread = ChatThreadClient(
        server.https_endpoint,
        CommunicationTokenCredential(token.token),
        thread_id,
        connection_verify=verify,
    )
    assert thread.send_message("ok").id


# -- chat, async ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_chat_async_round(
    server: ServerProcess, identity: CommunicationIdentityClient
) -> None:
    """aiohttp reads SSL_CERT_FILE at import, so in-process: ``connection_verify`` per client."""
    alice, alice_token = identity.create_user_and_token(CHAT)
    bob = identity.create_user()
    credential = AsyncCommunicationTokenCredential(alice_token.token)
    verify = str(server.ca_cert)
    async with AsyncChatClient(
        server.https_endpoint, credential, retry_total=0, connection_verify=verify
    ) as chat:
        created = await chat.create_chat_thread(
            "Async",
            thread_participants=[ChatParticipant(identifier=_user(bob), display_name="Bob")],
        )
        thread_id = created.chat_thread.id
        async with AsyncChatThreadClient(
            server.https_endpoint, credential, thread_id, connection_verify=verify
        ) as thread:
            sent = [(await thread.send_message(f"m{i}")).id for i in range(3)]
            got = [m.id async for m in thread.list_messages(results_per_page=2)]
            assert got[:3] == list(reversed(sent))
            await thread.update_message(sent[0], content="changed")
            assert (await thread.get_message(sent[0])).content.message == "changed"
            await thread.send_read_receipt(sent[2])
            assert [r.chat_message_id async for r in thread.list_read_receipts()] == [sent[2]]
            await thread.send_typing_notification()
            await thread.update_topic("Async 2")
            assert (await thread.get_properties()).topic == "Async 2"
            names = [p.display_name async for p in thread.list_participants()]
            assert "Bob" in names
            await thread.remove_participant(_user(bob))
            await thread.delete_message(sent[1])
        listed = [t.id async for t in chat.list_chat_threads()]
        assert thread_id in listed
        await chat.delete_chat_thread(thread_id)
    assert alice.properties["id"]


def test_async_chat_trusts_ssl_cert_file(
    server: ServerProcess, identity: CommunicationIdentityClient
) -> None:
    """SSL_CERT_FILE set before the program starts covers the async thread clients too."""
    _user, token = identity.create_user_and_token(CHAT)
    script = (
        "import asyncio, sys\n"
        "from azure.communication.chat.aio import ChatClient, CommunicationTokenCredential\n"
        "async def main():\n"
        "    cred = CommunicationTokenCredential(sys.argv[2])\n"
        "    async with ChatClient(sys.argv[1], cred, retry_total=0) as chat:\n"
        "        thread_id = (await chat.create_chat_thread('env')).chat_thread.id\n"
        "        async with chat.get_chat_thread_client(thread_id) as thread:\n"
        "            print((await thread.send_message('hi')).id)\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(server.ca_cert)}
    done = subprocess.run(
        [sys.executable, "-c", script, server.https_endpoint, token.token],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().isdigit()
