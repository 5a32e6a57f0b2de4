"""Wire shapes of the ACS APIs (msgspec structs), kept apart from the domain types.

Unknown JSON members are ignored, as the ACS service does; missing required members and
wrong types fail decoding with a message naming the member (``$.smsRecipients[0].to``).
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct, field

from tidings.domain import json_input
from tidings.domain.json_input import Int64, Number


class SmsRecipient(Struct, rename="camel"):
    to: str
    repeatability_request_id: str | None = None
    repeatability_first_sent: str | None = None


class MessagingConnect(Struct, rename="camel"):
    partner: str
    partner_params: dict[str, Any] = field(default_factory=dict)


class SmsSendOptions(Struct, rename="camel"):
    enable_delivery_report: bool = False
    tag: str | None = None
    delivery_report_timeout_in_seconds: Int64 | None = None
    messaging_connect: MessagingConnect | None = None


class SendMessageRequest(Struct, rename="camel"):
    from_: str = field(name="from")
    sms_recipients: list[SmsRecipient] = field(default_factory=list)
    message: str = ""
    sms_send_options: SmsSendOptions | None = None


class SmsSendResponseItem(Struct, rename="camel", omit_defaults=True):
    to: str
    http_status_code: int
    successful: bool
    message_id: str | None = None
    repeatability_result: str | None = None
    error_message: str | None = None


class SmsSendResponse(Struct):
    value: list[SmsSendResponseItem]


class OptOutRecipient(Struct):
    to: str


class OptOutRequest(Struct):
    from_: str = field(name="from")
    recipients: list[OptOutRecipient] = field(default_factory=list)


class OptOutResponseItem(Struct, rename="camel", omit_defaults=True):
    to: str
    http_status_code: int
    is_opted_out: bool | None = None
    error_message: str | None = None


class OptOutResponse(Struct):
    value: list[OptOutResponseItem]


class DeliveryAttemptBody(Struct, rename="camel"):
    timestamp: str
    segments_succeeded: int
    segments_failed: int


class DeliveryReportResponse(Struct, rename="camel", omit_defaults=True):
    message_id: str
    from_: str = field(name="from")
    to: str = ""
    delivery_status: str = ""
    delivery_status_details: str = ""
    received_timestamp: str | None = None
    delivery_attempts: list[DeliveryAttemptBody] = field(default_factory=list)
    tag: str | None = None
    messaging_connect_partner_message_id: str | None = None


# -- phone numbers ------------------------------------------------------------------------


class PhoneNumberCapabilities(Struct):
    calling: str
    sms: str


class PhoneNumberCapabilitiesRequest(Struct):
    calling: str | None = None
    sms: str | None = None


class PhoneNumberSearchRequest(Struct, rename="camel"):
    phone_number_type: str
    assignment_type: str
    capabilities: PhoneNumberCapabilities
    area_code: str | None = None
    quantity: Int64 = 1


class PhoneNumberPurchaseRequest(Struct, rename="camel"):
    search_id: str
    agree_to_not_resell: bool = False


class PhoneNumberCost(Struct, rename="camel"):
    amount: float
    currency_code: str
    billing_frequency: str


class PhoneNumberSearchResult(Struct, rename="camel", omit_defaults=True):
    search_id: str
    phone_numbers: list[str]
    phone_number_type: str
    assignment_type: str
    capabilities: PhoneNumberCapabilities
    cost: PhoneNumberCost
    search_expires_by: str
    is_agreement_to_not_resell_required: bool | None = None
    error_code: int | None = None
    error: str | None = None


class PurchasedPhoneNumber(Struct, rename="camel"):
    id: str
    phone_number: str
    country_code: str
    phone_number_type: str
    capabilities: PhoneNumberCapabilities
    assignment_type: str
    purchase_date: str
    cost: PhoneNumberCost


class PurchasedPhoneNumbers(Struct, rename="camel", omit_defaults=True):
    phone_numbers: list[PurchasedPhoneNumber]
    next_link: str | None = None


class OperationError(Struct):
    code: str
    message: str


class PhoneNumberOperation(Struct, rename="camel", omit_defaults=True):
    operation_type: str
    status: str
    created_date_time: str
    id: str
    resource_location: str | None = None
    last_action_date_time: str | None = None
    error: OperationError | None = None


# -- Tidings' own endpoints -----------------------------------------------------------------


class HandsetTextRequest(Struct):
    to: str
    message: str


class HandsetRequest(Struct):
    script: list[dict[str, Any]] | None = None


class CarrierRuleBody(Struct, rename="camel"):
    pattern: str
    outcome: str
    delay_seconds: Number = 0.2
    code: Int64 | None = None


class CarrierRules(Struct):
    rules: list[CarrierRuleBody]


class NumberProvisionRequest(Struct, rename="camel"):
    phone_number: str
    phone_number_type: str
    sms: str = "inbound+outbound"
    calling: str = "none"
    country_code: str | None = None


class PartnerRequest(Struct, rename="camel", forbid_unknown_fields=True):
    api_keys: list[str]


class PartnerNumberRequest(Struct, rename="camel", forbid_unknown_fields=True):
    phone_number_type: str
    sms: str = "inbound+outbound"
    country_code: str | None = None


class KeywordRepliesRequest(Struct):
    replies: dict[str, str]


def decode(body: bytes, type_: type[Any]) -> Any:
    """Decode a JSON body (``domain/json_input.py``: depth limit, errors as ``InvalidInput``);
    an empty body decodes as ``{}``."""
    return json_input.decode(body, type_, empty=b"{}")
