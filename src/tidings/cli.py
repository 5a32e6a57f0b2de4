"""The ``tidings`` command: serve, api, worker, migrate, keys, numbers, partners, carriers,
routes, subscriptions, demo.

``tidings serve`` (the default) runs the API on HTTPS and HTTP and the background worker in
one process; ``tidings api`` and ``tidings worker`` run them apart for scale-out.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
from tqdm import tqdm

from tidings import __version__, logs
from tidings import cli_carriers as carriers
from tidings import cli_partners as partners
from tidings.cli_identity import add_parser as add_identity_parser
from tidings.cli_identity import identity_command
from tidings.cli_serve import serve
from tidings.cli_subscriptions import subscription_command
from tidings.container import Application, build
from tidings.domain.numbers import Capability, NumberType
from tidings.errors import TidingsError
from tidings.installations import locate
from tidings.settings import ENVIRONMENT_VARIABLES, Settings, load_settings

log = logging.getLogger("tidings")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (TIDINGS_DATA_DIR)")
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (TIDINGS_DATABASE_URL); default: SQLite in the data directory",
    )
    parser.add_argument("--log-level", help="debug, info, warning (TIDINGS_LOG_LEVEL)")
    parser.add_argument(
        "--log-format", choices=["text", "json"], help="text or json lines (TIDINGS_LOG_FORMAT)"
    )


def _add_server(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to listen on (TIDINGS_HOST)")
    parser.add_argument("--https-port", type=int, help="HTTPS port (TIDINGS_HTTPS_PORT)")
    parser.add_argument("--http-port", type=int, help="plain HTTP port (TIDINGS_HTTP_PORT)")
    parser.add_argument(
        "--no-tls",
        dest="tls",
        action="store_const",
        const=False,
        help="serve plain HTTP only (TIDINGS_TLS=false)",
    )
    parser.add_argument("--access-key", help="pin the primary access key (TIDINGS_ACCESS_KEY)")
    parser.add_argument(
        "--api-processes",
        type=int,
        help="processes answering the API on the same ports (TIDINGS_API_PROCESSES)",
    )
    # Internal, for the children of --api-processes (processes.py).
    parser.add_argument("--listen-fd", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)


def _add_metrics(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-port",
        type=int,
        help="serve this process's Prometheus metrics (the SMPP binds its worker holds) at "
        "/metrics on this port; 0: any free port; one port per worker (TIDINGS_METRICS_PORT; "
        "default: off)",
    )
    parser.add_argument(
        "--metrics-host",
        help="address of the metrics endpoint (TIDINGS_METRICS_HOST; default 127.0.0.1)",
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="tidings",
        description="Azure Communication Services-compatible messaging, self-hosted.",
        epilog="Environment variables: " + ", ".join(ENVIRONMENT_VARIABLES),
    )
    root.add_argument("--version", action="version", version=f"tidings {__version__}")
    commands = root.add_subparsers(dest="command")
    for name, text in (
        ("serve", "API and worker in one process (the default)"),
        ("api", "the HTTP API only"),
    ):
        command = commands.add_parser(name, help=text)
        _add_common(command)
        _add_server(command)
        if name == "serve":
            _add_metrics(command)
    worker = commands.add_parser("worker", help="the background worker only")
    _add_common(worker)
    _add_metrics(worker)
    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    _add_common(migrate)
    migrate.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 and list the pending revisions if the schema is behind",
    )
    keys = commands.add_parser("keys", help="show or regenerate access keys")
    _add_common(keys)
    keys.add_argument("action", choices=["show", "regenerate"], nargs="?", default="show")
    keys.add_argument("name", choices=["primary", "secondary"], nargs="?", default="primary")
    numbers = commands.add_parser(
        "numbers", help="list or provision numbers, short codes, sender ids"
    )
    _add_common(numbers)
    numbers.add_argument("action", choices=["list", "add"], nargs="?", default="list")
    numbers.add_argument("number", nargs="?")
    numbers.add_argument("--type", default=None, choices=[t.value for t in NumberType])
    numbers.add_argument(
        "--sms", default=Capability.INBOUND_OUTBOUND.value, choices=[c.value for c in Capability]
    )
    partners.add_parser(commands, _add_common)
    carriers.add_parsers(commands, _add_common)
    subs = commands.add_parser(
        "subscriptions", help="event subscriptions: list, show, create, delete, log, replay"
    )
    _add_common(subs)
    subs.add_argument(
        "action",
        choices=[
            "list",
            "show",
            "create",
            "delete",
            "enable",
            "disable",
            "rotate-secret",
            "deliveries",
            "dead-letters",
            "redeliver",
            "replay",
        ],
        nargs="?",
        default="list",
    )
    subs.add_argument("name", nargs="?")
    subs.add_argument("--endpoint", help="webhook URL (create)")
    subs.add_argument("--schema", choices=["EventGridSchema", "CloudEventSchemaV1_0"], default=None)
    subs.add_argument("--event-type", action="append", dest="event_types", default=None)
    subs.add_argument("--subject-begins-with", default=None)
    subs.add_argument("--subject-ends-with", default=None)
    subs.add_argument("--max-events-per-batch", type=int, default=None)
    subs.add_argument("--max-delivery-attempts", type=int, default=None)
    subs.add_argument("--ttl-minutes", type=int, default=None)
    subs.add_argument("--dead-letter", action="store_true", help="keep undeliverable events")
    subs.add_argument("--json", dest="json_body", help="the full resource JSON (create)")
    subs.add_argument("--event-id", help="redeliver one event (default: all dead letters)")
    subs.add_argument("--start", help="replay from (ISO 8601)")
    subs.add_argument("--end", help="replay until (ISO 8601; default now)")
    subs.add_argument("--grace-minutes", type=int, default=1440)
    subs.add_argument(
        "--wait", action="store_true", help="replay: show progress until a worker has done it"
    )
    demo = commands.add_parser("demo", help="seed realistic demo traffic (in bulk)")
    _add_common(demo)
    demo.add_argument("action", choices=["seed"])
    demo.add_argument("--messages", type=int, default=10_000, help="how many (default 10000)")
    demo.add_argument("--days", type=int, default=30, help="spread over the last N days")
    demo.add_argument("--numbers", type=int, default=5, help="across M of our numbers")
    demo.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    _add_common(add_identity_parser(commands))
    return root


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "log_level": args.log_level,
        "log_format": args.log_format,
    }
    for name in (
        "host",
        "https_port",
        "http_port",
        "tls",
        "access_key",
        "api_processes",
        "metrics_port",
        "metrics_host",
    ):
        overrides[name] = getattr(args, name, None)
    return load_settings(overrides=overrides)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "serve"
    if args.command is None:
        args = parser().parse_args(["serve", *(argv or sys.argv[1:])])
    try:
        settings = _settings(args)
        if command in _FIND_INSTALLATION:
            settings, note = locate(settings, Path.cwd())
            if note:
                print(f"tidings: {note}", file=sys.stderr)
        logs.configure(settings.log_level, settings.log_format)
        if settings.log_level.lower() != "debug":
            logging.getLogger("alembic").setLevel(logging.WARNING)
        app = build(settings)
        try:
            return _COMMANDS[command](app, args)
        finally:
            app.close()
    except TidingsError as exc:
        print(f"tidings: {exc.message}", file=sys.stderr)
        return 2


def _migrate(app: Application, args: argparse.Namespace) -> int:
    if args.check:
        return _check_migrations(app)
    with _progress("migrating", unit="revision") as bar:
        app.migrate(progress=bar.update)
    print(f"Database schema is up to date ({app.database.dialect}).")
    return 0


def _check_migrations(app: Application) -> int:
    """``tidings migrate --check``: 0 when up to date, 1 when behind (2: an unknown one)."""
    behind = app.pending_migrations()
    if behind:
        print(f"Database schema is behind ({app.database.dialect}): pending revisions:")
        for revision in behind:
            print(f"  {revision}")
        print("Run `tidings migrate` to apply them.")
        return 1
    print(f"Database schema is up to date ({app.database.dialect}).")
    return 0


def _keys(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    if args.action == "regenerate":
        key = app.services.keys.regenerate(args.name)
        print(f"{args.name}: {key}")
        return 0
    keys = app.bootstrap()
    for name, key in keys.items():
        print(f"{name}: {key}")
    return 0


def _numbers(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    if args.action == "add":
        if not args.number or not args.type:
            print("tidings numbers add NUMBER --type TYPE", file=sys.stderr)
            return 2
        number = app.services.numbers.provision(
            args.number, NumberType(args.type), sms=Capability(args.sms)
        )
        print(f"{number.number} {number.number_type.value} sms={number.capabilities.sms.value}")
        return 0
    for number in app.services.numbers.list_numbers(0, 10_000):
        print(f"{number.number} {number.number_type.value} sms={number.capabilities.sms.value}")
    return 0


def _subscriptions(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    return anyio.run(subscription_command, app, args)


@contextlib.contextmanager
def _progress(what: str, total: int | None = None, unit: str = "it") -> Iterator[tqdm[Any]]:
    """A progress bar on stderr (shown only when stderr is a terminal)."""
    with tqdm(
        total=total, desc=what, unit=unit, unit_scale=unit != "revision", disable=None
    ) as bar:
        yield bar


def _demo(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    if args.messages < 1 or args.days < 1 or not 1 <= args.numbers <= 9000:
        print(
            "tidings demo seed: --messages and --days at least 1, --numbers 1-9000", file=sys.stderr
        )
        return 2
    with _progress("seeding", total=args.messages, unit="msg") as bar:
        summary = app.services.demo.seed(
            messages=args.messages,
            days=args.days,
            numbers=args.numbers,
            seed=args.seed,
            progress=bar.update,
        )
    print(
        f"Seeded {summary.messages} messages in {summary.conversations} conversations "
        f"({summary.opt_changes} opt-out/opt-in changes) across {len(summary.numbers)} numbers "
        f"over {args.days} days."
    )
    return 0


def _identity(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    return identity_command(app, args)


#: Commands that work on an existing installation: with no data named they look for it
#: (``installations.py``) rather than create one where they run.
_FIND_INSTALLATION = {"keys", "numbers", "subscriptions", "demo", "partners", "identity"}

_COMMANDS = {
    "serve": serve,
    "api": lambda app, args: serve(app, args, worker=False),
    "worker": lambda app, args: serve(app, args, api=False),
    "migrate": _migrate,
    "keys": _keys,
    "numbers": _numbers,
    "subscriptions": _subscriptions,
    "demo": _demo,
    "partners": partners.partner_command,
    "carriers": carriers.carriers_command,
    "routes": carriers.routes_command,
    "identity": _identity,
}
