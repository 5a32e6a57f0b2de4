"""The resource JSON of an event subscription, checked into a ``SubscriptionConfig``.

``parse_config`` turns the body a client PUTs into a ``SubscriptionConfig``, checking every
field against Event Grid's rules and limits; each refusal names the field. ``config_to_json``
and ``config_from_json`` are its stored form.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tidings.domain.addresses import canonical_host
from tidings.domain.filters import (
    NULL_OPERATORS,
    NUMBER_OPERATORS_SCALAR,
    OPERATORS,
    RANGE_OPERATORS,
    AdvancedFilter,
    EventFilter,
    value_count,
)
from tidings.domain.subscriptions import DeliveryHeader, DeliverySchema, SubscriptionConfig
from tidings.domain.timefmt import parse_iso
from tidings.errors import InvalidInput

MAX_ADVANCED_FILTERS = 25
MAX_FILTER_VALUES = 25
MAX_STRING_VALUE = 512
MAX_DELIVERY_HEADERS = 10
MAX_HEADER_VALUE = 4096
MAX_FILTER_NUMBER = 2**53
MAX_URL = 2048
NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]{3,64}$")
#: Headers a subscription may not set: the delivery's own.
RESERVED_HEADERS = re.compile(
    r"^(aeg-.*|webhook-.*|content-.*|host|authorization|user-agent|transfer-encoding|"
    r"connection|ce-.*)$",
    re.IGNORECASE,
)


def _invalid(target: str, message: str) -> InvalidInput:
    """An error that names the field, in its message too."""
    if target not in message:
        message = f"'{target}': {message}"
    return InvalidInput(message, code="InvalidRequest", target=target)


def _object(value: Any, target: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(target, f"'{target}' must be a JSON object.")
    return value


def _int(props: dict[str, Any], key: str, target: str, default: int, lo: int, hi: int) -> int:
    value = props.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(target, f"'{target}' must be an integer.")
    if not lo <= value <= hi:
        raise _invalid(target, f"'{target}' must be between {lo} and {hi}; got {value}.")
    return value


def _bool(props: dict[str, Any], key: str, target: str, default: bool = False) -> bool:
    value = props.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid(target, f"'{target}' must be true or false.")
    return value


def _str(props: dict[str, Any], key: str, target: str, default: str = "") -> str:
    value = props.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _invalid(target, f"'{target}' must be a string.")
    return value


def validate_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise _invalid(
            "name",
            "Event subscription names are 3 to 64 characters: letters, digits and hyphens.",
        )
    return name


def validate_endpoint(
    url: str, target: str = "properties.destination.properties.endpointUrl"
) -> str:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError:
        raise _invalid(target, f"'{target}' is not a valid URL; got {url!r}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid(target, f"'{target}' must be an absolute http or https URL; got {url!r}.")
    if parts.username or parts.password:
        raise _invalid(target, f"'{target}' must not carry credentials in the URL.")
    if len(url) > MAX_URL:
        raise _invalid(target, f"'{target}' is longer than {MAX_URL} characters.")
    try:
        canonical_host(parts.hostname)
    except InvalidInput as exc:
        raise _invalid(target, f"'{target}': {exc.message}") from None
    return url


def _advanced(raw: Any, index: int) -> AdvancedFilter:
    target = f"properties.filter.advancedFilters[{index}]"
    item = _object(raw, target)
    op = _operator(item, target)
    key = item.get("key")
    if not isinstance(key, str) or not key.strip():
        raise _invalid(f"{target}.key", f"'{target}.key' is required.")
    if op in NULL_OPERATORS:
        return AdvancedFilter(op, key)
    if op in NUMBER_OPERATORS_SCALAR or op == "BoolEquals":
        return AdvancedFilter(op, key, value=_scalar(item, op, target))
    values = item.get("values")
    if not isinstance(values, list) or not values:
        raise _invalid(f"{target}.values", f"'{target}.values' must be a non-empty array.")
    if op in RANGE_OPERATORS:
        return AdvancedFilter(op, key, values=_ranges(values, target))
    _check_values(values, op, target)
    return AdvancedFilter(op, key, values=tuple(values))


def _operator(item: dict[str, Any], target: str) -> str:
    op = item.get("operatorType")
    if op not in OPERATORS:
        raise _invalid(
            f"{target}.operatorType",
            f"'{target}.operatorType' must be one of {', '.join(OPERATORS)}; got {op!r}.",
        )
    return str(op)


def _scalar(item: dict[str, Any], op: str, target: str) -> Any:
    """The ``value`` of a one-value operator: true or false for BoolEquals, else a number."""
    value = item.get("value")
    ok = isinstance(value, bool) if op == "BoolEquals" else _number(value)
    if not ok:
        kind = "true or false" if op == "BoolEquals" else "a number between -2^53 and 2^53"
        raise _invalid(f"{target}.value", f"'{target}.value' must be {kind} for {op}.")
    return value


def _ranges(values: list[Any], target: str) -> tuple[tuple[float, float], ...]:
    """``[[low, high], ...]`` of numbers, each low at most its high."""
    ranges: list[tuple[float, float]] = []
    for pair in values:
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_number, pair))):
            raise _invalid(
                f"{target}.values",
                f"'{target}.values' must be [[low, high], ...] numbers between -2^53 and 2^53.",
            )
        if pair[0] > pair[1]:
            raise _invalid(f"{target}.values", f"range {pair} in '{target}' is inverted.")
        ranges.append((pair[0], pair[1]))
    return tuple(ranges)


def _check_values(values: list[Any], op: str, target: str) -> None:
    """The ``values`` of a list operator: numbers for Number*, else strings."""
    if op.startswith("Number"):
        if not all(map(_number, values)):
            raise _invalid(
                f"{target}.values",
                f"'{target}.values' must all be numbers between -2^53 and 2^53.",
            )
        return
    for value in values:
        if not isinstance(value, str):
            raise _invalid(f"{target}.values", f"'{target}.values' must all be strings.")
        if len(value) > MAX_STRING_VALUE:
            raise _invalid(
                f"{target}.values",
                f"'{target}.values' strings are at most {MAX_STRING_VALUE} characters.",
            )


def _number(value: Any) -> bool:
    """A JSON number a filter can compare: finite and within +-2^53 (past that a double
    cannot tell neighbouring integers apart, and a huge integer cannot become one at all)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -MAX_FILTER_NUMBER <= value <= MAX_FILTER_NUMBER


def parse_filter(raw: Any) -> EventFilter:
    props = _object(raw, "properties.filter")
    types = props.get("includedEventTypes") or []
    if not isinstance(types, list) or not all(isinstance(t, str) and t for t in types):
        raise _invalid(
            "properties.filter.includedEventTypes",
            "'properties.filter.includedEventTypes' must be an array of event type names.",
        )
    advanced_raw = props.get("advancedFilters") or []
    if not isinstance(advanced_raw, list):
        raise _invalid("properties.filter.advancedFilters", "'advancedFilters' must be an array.")
    if len(advanced_raw) > MAX_ADVANCED_FILTERS:
        raise _invalid(
            "properties.filter.advancedFilters",
            f"At most {MAX_ADVANCED_FILTERS} advanced filters are allowed per subscription.",
        )
    advanced = tuple(_advanced(item, i) for i, item in enumerate(advanced_raw))
    if value_count(advanced) > MAX_FILTER_VALUES:
        raise _invalid(
            "properties.filter.advancedFilters",
            f"At most {MAX_FILTER_VALUES} filter values are allowed across all advanced filters.",
        )
    return EventFilter(
        included_event_types=tuple(types),
        subject_begins_with=_str(props, "subjectBeginsWith", "properties.filter.subjectBeginsWith"),
        subject_ends_with=_str(props, "subjectEndsWith", "properties.filter.subjectEndsWith"),
        is_subject_case_sensitive=_bool(
            props, "isSubjectCaseSensitive", "properties.filter.isSubjectCaseSensitive"
        ),
        advanced_filters=advanced,
        enable_advanced_filtering_on_arrays=_bool(
            props,
            "enableAdvancedFilteringOnArrays",
            "properties.filter.enableAdvancedFilteringOnArrays",
        ),
    )


def _headers(raw: Any, previous: dict[str, DeliveryHeader]) -> tuple[DeliveryHeader, ...]:
    target = "properties.destination.properties.deliveryAttributeMappings"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _invalid(target, f"'{target}' must be an array.")
    if len(raw) > MAX_DELIVERY_HEADERS:
        raise _invalid(target, f"At most {MAX_DELIVERY_HEADERS} delivery attributes are allowed.")
    out: list[DeliveryHeader] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{target}[{i}]"
        entry = _object(item, where)
        name = entry.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
            raise _invalid(f"{where}.name", f"'{where}.name' must be a valid header name.")
        if RESERVED_HEADERS.match(name) or name.lower() in seen:
            raise _invalid(f"{where}.name", f"Header '{name}' is reserved or repeated.")
        seen.add(name.lower())
        kind = entry.get("type")
        props = _object(entry.get("properties"), f"{where}.properties")
        if kind == "Static":
            secret = _bool(props, "isSecret", f"{where}.properties.isSecret")
            value = props.get("value")
            if value is None and secret and name in previous:
                value = previous[name].value  # a GET hides secrets; a PUT of it back keeps them
            if not isinstance(value, str) or len(value) > MAX_HEADER_VALUE:
                raise _invalid(
                    f"{where}.properties.value",
                    f"'{where}.properties.value' must be a string of at most "
                    f"{MAX_HEADER_VALUE} characters.",
                )
            out.append(DeliveryHeader(name, "Static", value=value, is_secret=secret))
        elif kind == "Dynamic":
            source = _str(props, "sourceField", f"{where}.properties.sourceField")
            if not source:
                raise _invalid(f"{where}.properties.sourceField", "'sourceField' is required.")
            out.append(DeliveryHeader(name, "Dynamic", source_field=source))
        else:
            raise _invalid(f"{where}.type", f"'{where}.type' must be Static or Dynamic.")
    return tuple(out)


def parse_config(
    body: Any, *, now: datetime, previous: SubscriptionConfig | None = None
) -> SubscriptionConfig:
    """The subscription a PUT body describes. Raises ``InvalidInput`` naming the field."""
    root = _object(body, "body")
    props = _object(root.get("properties"), "properties")
    destination = _object(props.get("destination"), "properties.destination")
    kind = destination.get("endpointType", "WebHook")
    if kind != "WebHook":
        raise _invalid(
            "properties.destination.endpointType",
            f"Only WebHook destinations are supported; got {kind!r}.",
        )
    dest = _object(destination.get("properties"), "properties.destination.properties")
    url = dest.get("endpointUrl")
    if not isinstance(url, str) or not url:
        raise _invalid(
            "properties.destination.properties.endpointUrl",
            "'properties.destination.properties.endpointUrl' is required.",
        )
    schema_name = props.get("eventDeliverySchema") or DeliverySchema.EVENT_GRID.value
    try:
        schema = DeliverySchema(schema_name)
    except ValueError:
        raise _invalid(
            "properties.eventDeliverySchema",
            "'properties.eventDeliverySchema' must be EventGridSchema or CloudEventSchemaV1_0.",
        ) from None
    retry = _object(props.get("retryPolicy"), "properties.retryPolicy")
    expiration: datetime | None = None
    raw_expiry = props.get("expirationTimeUtc")
    if raw_expiry is not None:
        try:
            expiration = parse_iso(str(raw_expiry))
        except ValueError:
            raise _invalid(
                "properties.expirationTimeUtc",
                "'properties.expirationTimeUtc' must be an ISO 8601 date-time.",
            ) from None
        if expiration <= now:
            raise _invalid(
                "properties.expirationTimeUtc", "'properties.expirationTimeUtc' is in the past."
            )
    labels = props.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise _invalid("properties.labels", "'properties.labels' must be an array of strings.")
    dead_letter = props.get("deadLetterDestination")
    if dead_letter is not None and not isinstance(dead_letter, dict):
        raise _invalid(
            "properties.deadLetterDestination", "'deadLetterDestination' must be an object."
        )
    old_headers = {h.name: h for h in previous.headers} if previous else {}
    return SubscriptionConfig(
        endpoint_url=validate_endpoint(url),
        schema=schema,
        filter=parse_filter(props.get("filter")),
        max_delivery_attempts=_int(
            retry, "maxDeliveryAttempts", "properties.retryPolicy.maxDeliveryAttempts", 30, 1, 30
        ),
        event_ttl_minutes=_int(
            retry,
            "eventTimeToLiveInMinutes",
            "properties.retryPolicy.eventTimeToLiveInMinutes",
            1440,
            1,
            1440,
        ),
        max_events_per_batch=_int(
            dest,
            "maxEventsPerBatch",
            "properties.destination.properties.maxEventsPerBatch",
            1,
            1,
            5000,
        ),
        preferred_batch_size_kb=_int(
            dest,
            "preferredBatchSizeInKilobytes",
            "properties.destination.properties.preferredBatchSizeInKilobytes",
            64,
            1,
            1024,
        ),
        headers=_headers(dest.get("deliveryAttributeMappings"), old_headers),
        dead_letter=dead_letter is not None and dead_letter.get("endpointType") != "None",
        expiration_time=expiration,
        labels=tuple(labels),
    )


# -- stored form ------------------------------------------------------------------------------


def config_to_json(config: SubscriptionConfig) -> dict[str, Any]:
    """The stored (and served) ``properties`` of a subscription; secrets included."""
    out: dict[str, Any] = {
        "destination": {
            "endpointType": "WebHook",
            "properties": {
                "endpointUrl": config.endpoint_url,
                "maxEventsPerBatch": config.max_events_per_batch,
                "preferredBatchSizeInKilobytes": config.preferred_batch_size_kb,
                "deliveryAttributeMappings": [h.to_json(reveal=True) for h in config.headers],
            },
        },
        "filter": config.filter.to_json(),
        "labels": list(config.labels),
        "eventDeliverySchema": config.schema.value,
        "retryPolicy": {
            "maxDeliveryAttempts": config.max_delivery_attempts,
            "eventTimeToLiveInMinutes": config.event_ttl_minutes,
        },
    }
    if config.dead_letter:
        out["deadLetterDestination"] = {"endpointType": "Tidings"}
    if config.expiration_time is not None:
        out["expirationTimeUtc"] = config.expiration_time.isoformat()
    return out


def config_from_json(stored: dict[str, Any]) -> SubscriptionConfig:
    """Inverse of ``config_to_json`` (trusted input: no expiry check)."""
    expiry = stored.get("expirationTimeUtc")
    without_expiry = {k: v for k, v in stored.items() if k != "expirationTimeUtc"}
    config = parse_config({"properties": without_expiry}, now=datetime.min.replace(tzinfo=None))
    if expiry:
        config = replace(config, expiration_time=parse_iso(expiry))
    return config
