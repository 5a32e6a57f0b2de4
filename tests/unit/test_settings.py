from pathlib import Path

import pytest

from tidings.domain.numbers import NumberType
from tidings.domain.throughput import LIMITS_PER_MINUTE, parse_limits
from tidings.errors import InvalidInput
from tidings.settings import EventCasing, load_settings


def test_environment_and_overrides() -> None:
    settings = load_settings(
        {
            "TIDINGS_DATA_DIR": "/tmp/x",
            "TIDINGS_HTTP_PORT": "9000",
            "TIDINGS_TLS": "false",
            "TIDINGS_EVENT_CASING": "camel",
            "TIDINGS_WORKER_BATCH_SIZE": "17",
        },
        {"http_port": 9100, "host": None},
    )
    assert settings.data_dir == Path("/tmp/x")
    assert settings.http_port == 9100  # the flag wins over the variable
    assert settings.tls is False
    assert settings.event_casing is EventCasing.CAMEL
    assert settings.worker.batch_size == 17
    assert settings.resolved_database_url == f"sqlite:///{Path('/tmp/x/tidings.db').resolve()}"


@pytest.mark.parametrize(
    "environ",
    [
        {"TIDINGS_HTTP_PORT": "eighty"},
        {"TIDINGS_TLS": "maybe"},
        {"TIDINGS_RATE_LIMITS": "tollFree=0"},
        {"TIDINGS_EVENT_CASING": "shouty"},
    ],
)
def test_bad_values_are_named(environ: dict[str, str]) -> None:
    with pytest.raises(InvalidInput, match=next(iter(environ))):
        load_settings(environ)


def test_rate_limits() -> None:
    assert parse_limits("") == LIMITS_PER_MINUTE
    assert set(parse_limits("off").values()) == {None}
    limits = parse_limits("tollFree=10, shortCode=off")
    assert limits[NumberType.TOLL_FREE] == 10
    assert limits[NumberType.SHORT_CODE] is None
    assert limits[NumberType.ALPHANUMERIC] == 600
    with pytest.raises(ValueError):
        parse_limits("nonsense")


def test_environment_round_trips_for_child_processes(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TIDINGS_DATA_DIR": str(tmp_path),
            "TIDINGS_TLS": "false",
            "TIDINGS_TLS_HOSTNAMES": "a.example,b.example",
            "TIDINGS_EVENT_CASING": "camel",
            "TIDINGS_RATE_LIMITS": "off",
            "TIDINGS_WORKER_BATCH_SIZE": "17",
            "TIDINGS_API_PROCESSES": "3",
        },
        {"http_port": 9100, "access_key": None},
    )
    again = load_settings(settings.environment())
    assert again == settings
    assert again.api_processes == 3
    assert again.access_key is None and again.public_url is None


@pytest.mark.parametrize("niceness", ["-1", "20", "low"])
def test_worker_niceness_is_bounded(niceness: str) -> None:
    with pytest.raises(InvalidInput, match="TIDINGS_WORKER_NICENESS"):
        load_settings({"TIDINGS_WORKER_NICENESS": niceness})
    assert load_settings({"TIDINGS_WORKER_NICENESS": "0"}).worker.niceness == 0


@pytest.mark.parametrize("count", ["0", "65", "two"])
def test_api_processes_are_bounded(count: str) -> None:
    with pytest.raises(InvalidInput, match="TIDINGS_API_PROCESSES"):
        load_settings({"TIDINGS_API_PROCESSES": count})


def test_metrics_endpoint_is_off_by_default_and_set_by_variable_or_flag() -> None:
    assert load_settings({}).metrics_port is None
    assert load_settings({"TIDINGS_METRICS_PORT": ""}).metrics_port is None
    settings = load_settings({"TIDINGS_METRICS_PORT": "9464", "TIDINGS_METRICS_HOST": "::1"})
    assert (settings.metrics_port, settings.metrics_host) == (9464, "::1")
    assert load_settings({"TIDINGS_METRICS_PORT": "9464"}, {"metrics_port": 9465}).metrics_port == (
        9465
    )
    again = load_settings(settings.environment())  # as child processes get them
    assert (again.metrics_port, again.metrics_host) == (9464, "::1")
    assert load_settings(load_settings({}).environment()).metrics_port is None


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_metrics_port_is_checked(port: str) -> None:
    with pytest.raises(InvalidInput, match="TIDINGS_METRICS_PORT"):
        load_settings({"TIDINGS_METRICS_PORT": port})
