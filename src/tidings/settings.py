"""One typed ``Settings`` object, built once from environment variables and CLI flags.

This is the only module that reads the environment. Every variable is listed in ``_ENV`` with
its field and coercer (warehouse's ``maybe_set`` habit), so ``tidings serve --help`` and the
README can name them all. CLI flags override environment variables, which override defaults.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from tidings.domain.throughput import parse_limits
from tidings.errors import InvalidInput


class EventCasing(StrEnum):
    """How SMS event ``data`` keys are spelled.

    ``seed``: PascalCase as the ACS event-handling document's samples show (``MessageId``).
    ``camel``: camelCase as the current ACS service and the Event Grid system-event models use.
    """

    SEED = "seed"
    CAMEL = "camel"


@dataclass(frozen=True)
class WorkerSettings:
    """Tunables of the background worker."""

    #: The fallback poll: how long an idle worker sleeps at most without a wake-up signal.
    poll_interval: float = 5.0
    #: Whether committed jobs wake the worker at once (off: it polls every ``poll_interval``).
    wakeups: bool = True
    batch_size: int = 200
    lease_seconds: float = 30.0
    max_attempts: int = 8
    #: Under ``tidings serve`` with several API processes, how much lower (``nice``, 0-19)
    #: the worker's process runs than the API's (``processes.py``): requests first, the
    #: worker a moment later in bigger batches. An idle machine gives it every cycle.
    niceness: int = 15


#: The data directory when none is named: relative to where a command runs.
DEFAULT_DATA_DIR = Path(".tidings")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    host: str = "127.0.0.1"
    https_port: int = 8443
    http_port: int = 8080
    tls: bool = True
    tls_hostnames: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
    access_key: str | None = None
    secondary_access_key: str | None = None
    auth_clock_skew_seconds: int = 900
    resource_name: str = "tidings"
    subscription_id: str = "00000000-0000-0000-0000-000000000000"
    resource_group: str = "tidings"
    seed_number: str | None = "+18005550100"
    event_casing: EventCasing = EventCasing.SEED
    log_level: str = "info"
    #: ``text`` or ``json`` (one JSON object per line, with the request id).
    log_format: str = "text"
    max_body_bytes: int = 1_048_576
    rate_limits: str = ""  # "tollFree=200,shortCode=6000", or "off"; empty: the ACS limits
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    #: Webhook destinations on loopback addresses (the emulator's receivers) are allowed...
    webhook_allow_loopback: bool = True
    #: ...those in private, link-local, shared and reserved ranges are not, unless set.
    webhook_allow_private: bool = False
    #: ``WebHook-Request-Origin`` of the CloudEvents handshake (Event Grid's by default).
    webhook_origin: str = "eventgrid.azure.net"
    webhook_timeout_seconds: float = 30.0
    webhook_max_in_flight: int = 256
    webhook_body_cap_bytes: int = 65536
    #: Delivered deliveries (and their attempts) are kept this long; failures are kept.
    webhook_log_retention_days: float = 7.0
    #: The base URL receivers reach Tidings at (for validation URLs); default: the request's.
    public_url: str | None = None
    #: How long a web console session lasts after signing in.
    console_session_minutes: float = 480.0
    #: Processes answering the API on the same ports (``processes.py``): by default one per
    #: core (at most 8). Under ``tidings serve`` with more than one, the first process runs
    #: the worker and the API processes answer beside it.
    api_processes: int = field(default_factory=lambda: default_api_processes())
    #: Where running servers record their data directory, so that one-shot commands run
    #: elsewhere find it (``installations.py``); ``load_settings`` defaults it to
    #: ``$XDG_STATE_HOME/tidings`` (``~/.local/state/tidings``). ``None``: not recorded.
    state_dir: Path | None = None
    #: A message no carrier can take (no route, or its route's carriers all down) waits
    #: this long from when it was due, then fails (4003 no route / 5001 carriers down).
    unroutable_deadline_seconds: float = 3600.0
    #: How often workers check the carrier registry for changes (one row read).
    carrier_refresh_seconds: float = 2.0
    #: A Prometheus endpoint (``GET /metrics``) in the process that runs the worker
    #: (``tidings worker``; the worker's process under ``tidings serve``), for what only that
    #: process knows: the SMPP binds it holds. ``None`` (the default): none; 0: any free port.
    #: Each worker on one machine needs a port of its own.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"

    def environment(self) -> dict[str, str]:
        """Environment variables that ``load_settings`` turns back into these settings (for
        child processes)."""
        env = {
            variable: _spell(getattr(self, name))
            for variable, (name, _) in _ENV.items()
            if variable != "TIDINGS_DATA_DIR"
        }
        env["TIDINGS_DATA_DIR"] = str(self.data_dir.resolve())
        env.update(
            (variable, _spell(getattr(self.worker, name)))
            for variable, (name, _) in _WORKER_ENV.items()
        )
        return env

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tidings.db').resolve()}"

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def resource_topic(self) -> str:
        """The ``topic`` of SMS events: the ACS resource id, spelled as the seed samples do."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/microsoft.communication/communicationservices/{self.resource_name}"
        )


def default_api_processes() -> int:
    """One API process per core this process may run on, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _tuple(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _spell(value: object) -> str:
    """A setting's value as its environment variable spells it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _processes(value: str) -> int:
    count = int(value)
    if not 1 <= count <= 64:
        raise ValueError("must be between 1 and 64")
    return count


def _niceness(value: str) -> int:
    niceness = int(value)
    if not 0 <= niceness <= 19:
        raise ValueError("must be between 0 and 19")
    return niceness


def _optional(value: str) -> str | None:
    return value or None


def _optional_port(value: str) -> int | None:
    if not value.strip():
        return None
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError("must be between 0 and 65535")
    return port


def _optional_path(value: str) -> Path | None:
    return Path(value) if value else None


def _log_format(value: str) -> str:
    if value not in {"text", "json"}:
        raise ValueError("must be text or json")
    return value


def _rate_limits(value: str) -> str:
    parse_limits(value)  # validate now, fail at start-up rather than at the first send
    return value


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "TIDINGS_DATA_DIR": ("data_dir", Path),
    "TIDINGS_DATABASE_URL": ("database_url", _optional),
    "TIDINGS_HOST": ("host", str),
    "TIDINGS_HTTPS_PORT": ("https_port", int),
    "TIDINGS_HTTP_PORT": ("http_port", int),
    "TIDINGS_TLS": ("tls", _bool),
    "TIDINGS_TLS_HOSTNAMES": ("tls_hostnames", _tuple),
    "TIDINGS_ACCESS_KEY": ("access_key", _optional),
    "TIDINGS_SECONDARY_ACCESS_KEY": ("secondary_access_key", _optional),
    "TIDINGS_AUTH_CLOCK_SKEW_SECONDS": ("auth_clock_skew_seconds", int),
    "TIDINGS_RESOURCE_NAME": ("resource_name", str),
    "TIDINGS_SUBSCRIPTION_ID": ("subscription_id", str),
    "TIDINGS_RESOURCE_GROUP": ("resource_group", str),
    "TIDINGS_SEED_NUMBER": ("seed_number", _optional),
    "TIDINGS_EVENT_CASING": ("event_casing", EventCasing),
    "TIDINGS_LOG_LEVEL": ("log_level", str),
    "TIDINGS_LOG_FORMAT": ("log_format", _log_format),
    "TIDINGS_MAX_BODY_BYTES": ("max_body_bytes", int),
    "TIDINGS_RATE_LIMITS": ("rate_limits", _rate_limits),
    "TIDINGS_WEBHOOK_ALLOW_LOOPBACK": ("webhook_allow_loopback", _bool),
    "TIDINGS_WEBHOOK_ALLOW_PRIVATE": ("webhook_allow_private", _bool),
    "TIDINGS_WEBHOOK_ORIGIN": ("webhook_origin", str),
    "TIDINGS_WEBHOOK_TIMEOUT_SECONDS": ("webhook_timeout_seconds", float),
    "TIDINGS_WEBHOOK_MAX_IN_FLIGHT": ("webhook_max_in_flight", int),
    "TIDINGS_WEBHOOK_BODY_CAP_BYTES": ("webhook_body_cap_bytes", int),
    "TIDINGS_WEBHOOK_LOG_RETENTION_DAYS": ("webhook_log_retention_days", float),
    "TIDINGS_PUBLIC_URL": ("public_url", _optional),
    "TIDINGS_CONSOLE_SESSION_MINUTES": ("console_session_minutes", float),
    "TIDINGS_API_PROCESSES": ("api_processes", _processes),
    "TIDINGS_STATE_DIR": ("state_dir", _optional_path),
    "TIDINGS_UNROUTABLE_DEADLINE_SECONDS": ("unroutable_deadline_seconds", float),
    "TIDINGS_CARRIER_REFRESH_SECONDS": ("carrier_refresh_seconds", float),
    "TIDINGS_METRICS_PORT": ("metrics_port", _optional_port),
    "TIDINGS_METRICS_HOST": ("metrics_host", str),
}

_WORKER_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "TIDINGS_WORKER_POLL_INTERVAL": ("poll_interval", float),
    "TIDINGS_WORKER_WAKEUPS": ("wakeups", _bool),
    "TIDINGS_WORKER_BATCH_SIZE": ("batch_size", int),
    "TIDINGS_WORKER_LEASE_SECONDS": ("lease_seconds", float),
    "TIDINGS_WORKER_MAX_ATTEMPTS": ("max_attempts", int),
    "TIDINGS_WORKER_NICENESS": ("niceness", _niceness),
}

ENVIRONMENT_VARIABLES: tuple[str, ...] = (*_ENV, *_WORKER_ENV)


def _coerce(
    table: Mapping[str, tuple[str, Callable[[str], Any]]], environ: Mapping[str, str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, (name, coerce) in table.items():
        raw = environ.get(variable)
        if raw is None:
            continue
        try:
            values[name] = coerce(raw)
        except ValueError as exc:
            raise InvalidInput(f"{variable}={raw!r} is not valid: {exc}") from exc
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build the settings from ``environ`` (default: ``os.environ``) and CLI ``overrides``.

    Raises:
        InvalidInput: a variable does not parse, or names an unknown field.
    """
    env = os.environ if environ is None else environ
    values = _coerce(_ENV, env)
    worker = WorkerSettings(**_coerce(_WORKER_ENV, env))
    if "TIDINGS_STATE_DIR" not in env:
        state_home = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        values["state_dir"] = Path(state_home) / "tidings"
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in {f.name for f in dataclasses.fields(Settings)}:
            raise InvalidInput(f"unknown setting {name!r}")
        values[name] = value
    return Settings(worker=worker, **values)
