"""The official azure-communication-phonenumbers SDK, sync and async, against a real server."""

from __future__ import annotations

import pytest
from azure.communication.phonenumbers import (
    PhoneNumberAssignmentType,
    PhoneNumberCapabilities,
    PhoneNumberCapabilityType,
    PhoneNumbersClient,
    PhoneNumberType,
)
from azure.communication.phonenumbers.aio import PhoneNumbersClient as AsyncPhoneNumbersClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.server import ServerProcess

CAPS = PhoneNumberCapabilities(
    calling=PhoneNumberCapabilityType.INBOUND, sms=PhoneNumberCapabilityType.INBOUND_OUTBOUND
)


def test_full_lifecycle_over_https(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_cert))
    client = PhoneNumbersClient.from_connection_string(server.connection_string, retry_total=0)
    search = client.begin_search_available_phone_numbers(
        "US",
        PhoneNumberType.TOLL_FREE,
        PhoneNumberAssignmentType.APPLICATION,
        CAPS,
        area_code="833",
        quantity=2,
        polling_interval=0,
    ).result()
    assert len(search.phone_numbers) == 2
    assert search.cost.currency_code == "USD"
    assert (
        client.begin_purchase_phone_numbers(
            search.search_id, agree_to_not_resell=True, polling_interval=0
        ).result()
        is None
    )
    owned = {n.phone_number for n in client.list_purchased_phone_numbers()}
    assert set(search.phone_numbers) | {"+18005550100"} <= owned
    number = search.phone_numbers[0]
    updated = client.begin_update_phone_number_capabilities(
        number,
        sms=PhoneNumberCapabilityType.OUTBOUND,
        calling=PhoneNumberCapabilityType.NONE,
        polling_interval=0,
    ).result()
    assert (updated.capabilities.calling, updated.capabilities.sms) == ("none", "outbound")
    fetched = client.get_purchased_phone_number(number)
    assert fetched.phone_number_type == "tollFree" and fetched.id == number[1:]
    client.begin_release_phone_number(number, polling_interval=0).result()
    with pytest.raises(ResourceNotFoundError):
        client.get_purchased_phone_number(number)


def test_failed_search_raises(server: ServerProcess) -> None:
    client = PhoneNumbersClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    )
    poller = client.begin_search_available_phone_numbers(
        "US",
        PhoneNumberType.TOLL_FREE,
        PhoneNumberAssignmentType.APPLICATION,
        CAPS,
        area_code="999",
        quantity=1,
        polling_interval=0,
    )
    with pytest.raises(HttpResponseError, match="OutOfStock"):
        poller.result()


@pytest.mark.anyio
async def test_async_client(server: ServerProcess) -> None:
    async with AsyncPhoneNumbersClient(
        server.http_endpoint, AzureKeyCredential(server.access_key), retry_total=0
    ) as client:
        poller = await client.begin_search_available_phone_numbers(
            "US",
            PhoneNumberType.GEOGRAPHIC,
            PhoneNumberAssignmentType.APPLICATION,
            CAPS,
            area_code="425",
            quantity=1,
            polling_interval=0,
        )
        search = await poller.result()
        assert search.phone_numbers[0].startswith("+1425")
        purchase = await client.begin_purchase_phone_numbers(
            search.search_id, agree_to_not_resell=True, polling_interval=0
        )
        await purchase.result()
        numbers = [n.phone_number async for n in client.list_purchased_phone_numbers()]
        assert search.phone_numbers[0] in numbers
        release = await client.begin_release_phone_number(
            search.phone_numbers[0], polling_interval=0
        )
        await release.result()
