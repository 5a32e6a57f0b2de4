"""Number format and operator information (``POST /operatorInformation/:search``).

Formats, region and line type come from libphonenumber's metadata, the operator's name from
its carrier data where it has one. Mobile country codes are the ITU's for the region; the
network code is simulated (a stable two-digit code per operator name).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

# ITU-T E.212 mobile country codes of the regions Tidings is most often asked about.
_MCC = {
    "US": "310",
    "CA": "302",
    "GB": "234",
    "IE": "272",
    "IT": "222",
    "FR": "208",
    "DE": "262",
    "ES": "214",
    "PT": "268",
    "NL": "204",
    "BE": "206",
    "CH": "228",
    "AT": "232",
    "SE": "240",
    "NO": "242",
    "DK": "238",
    "PL": "260",
    "AU": "505",
    "NZ": "530",
    "JP": "440",
    "IN": "404",
    "BR": "724",
    "MX": "334",
}

_GEOGRAPHIC = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class OperatorDetails:
    name: str | None
    mobile_network_code: str | None
    mobile_country_code: str | None


@dataclass(frozen=True)
class OperatorInformation:
    phone_number: str
    national_format: str
    international_format: str
    iso_country_code: str | None = None
    number_type: str | None = None  # unknown | other | geographic | mobile
    operator_details: OperatorDetails | None = None


def parse(text: str) -> phonenumbers.PhoneNumber | None:
    """``text`` as an international number (``+`` and digits, spaces or dashes allowed)."""
    if not text.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def _main_region(calling_code: int | None) -> str | None:
    """The main region of a calling code (``US`` for 1), for numbers in no assigned range."""
    main = phonenumbers.region_code_for_country_code(calling_code or 0)
    return None if main == phonenumbers.UNKNOWN_REGION else str(main)


def look_up(parsed: phonenumbers.PhoneNumber, text: str, details: bool) -> OperatorInformation:
    fmt = phonenumbers.PhoneNumberFormat
    info = OperatorInformation(
        phone_number=text,
        national_format=phonenumbers.format_number(parsed, fmt.NATIONAL),
        international_format=phonenumbers.format_number(parsed, fmt.INTERNATIONAL),
    )
    if not details:
        return info
    region = phonenumbers.region_code_for_number(parsed) or _main_region(parsed.country_code)
    kind = phonenumbers.number_type(parsed)
    if kind == PhoneNumberType.MOBILE:
        number_type = "mobile"
    elif kind in _GEOGRAPHIC:
        number_type = "geographic"
    elif kind == PhoneNumberType.UNKNOWN:
        number_type = "unknown"
    else:
        number_type = "other"
    name = carrier.name_for_number(parsed, "en") or None
    return OperatorInformation(
        phone_number=info.phone_number,
        national_format=info.national_format,
        international_format=info.international_format,
        iso_country_code=region,
        number_type=number_type,
        operator_details=OperatorDetails(
            name=name,
            mobile_network_code=f"{zlib.crc32(name.encode()) % 100:02d}" if name else None,
            mobile_country_code=_MCC.get(region or ""),
        ),
    )
