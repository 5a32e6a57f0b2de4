"""Wire shapes of the Phone Numbers 2025-06-01 additions: browse, reservations, operator
information (msgspec structs). Response structs keep their ``None`` members as ``null``,
as ACS sends them."""

from __future__ import annotations

from msgspec import Struct, field

from tidings.api.schemas import PhoneNumberCapabilities, PhoneNumberCost


class BrowseCapabilities(Struct):
    calling: str | None = None
    sms: str | None = None


class BrowseRequest(Struct, rename="camel"):
    phone_number_type: str
    capabilities: BrowseCapabilities | None = None
    assignment_type: str | None = None
    phone_number_prefixes: list[str] | None = None


class NumberError(Struct):
    code: str
    message: str


class AvailablePhoneNumber(Struct, rename="camel", omit_defaults=True):
    id: str
    country_code: str
    phone_number: str
    capabilities: PhoneNumberCapabilities
    phone_number_type: str
    assignment_type: str
    cost: PhoneNumberCost
    status: str
    is_agreement_to_not_resell_required: bool
    error: NumberError | None = None


class BrowseResult(Struct, rename="camel"):
    phone_numbers: list[AvailablePhoneNumber]


class ReservedNumberRequest(Struct, rename="camel"):
    """What the SDK sends for a number to add (the read-only members are left out)."""

    country_code: str
    capabilities: PhoneNumberCapabilities
    phone_number_type: str
    assignment_type: str


class ReservationRequest(Struct, rename="camel"):
    phone_numbers: dict[str, ReservedNumberRequest | None] = field(default_factory=dict)


class ReservationBody(Struct, rename="camel", omit_defaults=True):
    id: str
    expires_at: str
    status: str
    phone_numbers: dict[str, AvailablePhoneNumber] | None = None


class ReservationPage(Struct, rename="camel"):
    reservations: list[ReservationBody]
    next_link: str | None = None


class ReservationPurchaseRequest(Struct, rename="camel"):
    agree_to_not_resell: bool = False


class OperatorOptions(Struct, rename="camel"):
    include_additional_operator_details: bool = False


class OperatorInformationRequest(Struct, rename="camel"):
    phone_numbers: list[str]
    options: OperatorOptions | None = None


class OperatorDetailsBody(Struct, rename="camel"):
    name: str | None
    mobile_network_code: str | None
    mobile_country_code: str | None


class OperatorInformationBody(Struct, rename="camel"):
    phone_number: str
    national_format: str
    international_format: str
    iso_country_code: str | None
    number_type: str | None
    operator_details: OperatorDetailsBody | None


class OperatorInformationResult(Struct):
    values: list[OperatorInformationBody]
