"""The real server on PostgreSQL: send through the SDK, see it delivered and reported."""

from __future__ import annotations

import time
from pathlib import Path

from azure.communication.sms import SmsClient
from azure.core.credentials import AzureKeyCredential

from tests.server import ServerProcess
from tidings.client import TidingsClient


def test_send_and_report_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    server = ServerProcess(tmp_path / "data", database_url=postgres_url).start()
    try:
        client = SmsClient(
            server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
        )
        results = client.send(
            from_="+18005550100",
            to=["+15555550111", "+15550001999"],
            message="on postgres",
            enable_delivery_report=True,
        )
        ids = {r.message_id for r in results}
        with TidingsClient(server.http_endpoint, server.access_key) as tidings:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                events = tidings.events(
                    event_types=["Microsoft.Communication.SMSDeliveryReportReceived"]
                )["value"]
                if {e["id"] for e in events} >= ids:
                    break
                time.sleep(0.1)
            statuses = {e["data"]["To"]: e["data"]["DeliveryStatus"] for e in events}
            assert statuses == {"+15555550111": "Delivered", "+15550001999": "Failed"}
    finally:
        server.stop()
    assert "Traceback" not in server.log()


def test_chat_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    """Identity and chat through the SDKs, over HTTPS, on PostgreSQL; events in the outbox."""
    from azure.communication.chat import (
        ChatClient,
        ChatParticipant,
        CommunicationTokenCredential,
        CommunicationUserIdentifier,
    )
    from azure.communication.identity import CommunicationIdentityClient

    server = ServerProcess(tmp_path / "data", database_url=postgres_url).start()
    try:
        identity = CommunicationIdentityClient(
            server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
        )
        _alice, token = identity.create_user_and_token(["chat"])
        bob = identity.create_user()
        chat = ChatClient(
            server.https_endpoint,
            CommunicationTokenCredential(token.token),
            connection_verify=str(server.ca_cert),
            retry_total=0,
        )
        bob_id = CommunicationUserIdentifier(bob.properties["id"])
        created = chat.create_chat_thread(
            "pg", thread_participants=[ChatParticipant(identifier=bob_id, display_name="Bob")]
        )
        thread_id = created.chat_thread.id
        from azure.communication.chat import ChatThreadClient

        thread = ChatThreadClient(
            server.https_endpoint,
            CommunicationTokenCredential(token.token),
            thread_id,
            connection_verify=str(server.ca_cert),
            retry_total=0,
        )
        sent = [thread.send_message(f"m{i}").id for i in range(5)]
        listed = [m.id for m in thread.list_messages(results_per_page=2) if m.type == "text"]
        assert listed == list(reversed(sent))
        with TidingsClient(server.http_endpoint, server.access_key) as tidings:
            events = tidings.events(event_types=["Microsoft.Communication.ChatMessageReceived"])
        received = [e for e in events["value"] if e["data"]["threadId"] == thread_id]
        assert sorted(e["data"]["messageId"] for e in received) == sorted(sent)
        assert {e["data"]["recipientId"] for e in received} == {bob.properties["id"]}
    finally:
        server.stop()
    assert "Traceback" not in server.log()
