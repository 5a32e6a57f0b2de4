"""``tidings carriers`` and ``tidings routes``: the carrier registry and the MT routes.

::

    tidings carriers list
    tidings carriers show NAME
    tidings carriers add NAME --kind smpp --host H --port 2775 --system-id ID --password PW \\
        [--bind transceiver] [--window 10] [--throughput 100] [--tls] [--option KEY=VALUE ...]
    tidings carriers update NAME [option flags] [--unset KEY] [--enable | --disable]
    tidings carriers remove NAME
    tidings routes list
    tidings routes add (--carrier NAME | --carriers A,B [--strategy failover|round-robin])
        [--prefix +39] [--sender NUMBER] [--number-type TYPE] [--priority N]
    tidings routes update ID [--carrier NAME | --carriers A,B] [--strategy S] [--prefix P]
        [--sender S] [--number-type T] [--priority N]       ("" clears a criterion)
    tidings routes remove ID

The SMPP flags map 1:1 onto the option keys (``--system-id`` -> ``system_id``); every kind's
options are checked by that kind's validator. ``--password -`` reads the password from
standard input, keeping it out of the shell history. Passwords are never printed. Running
workers pick changes up within seconds (``TIDINGS_CARRIER_REFRESH_SECONDS``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from tidings.container import Application
from tidings.domain import json_input
from tidings.domain.carriers import CarrierConfig, Route, Strategy
from tidings.domain.numbers import NumberType
from tidings.domain.timefmt import iso_z
from tidings.errors import InvalidInput

CARRIER_ACTIONS = ("list", "show", "add", "update", "remove")
ROUTE_ACTIONS = ("list", "add", "update", "remove")
#: Option flags: (flag, option key, type). Booleans are switches.
_OPTION_FLAGS: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("--host", "host", str),
    ("--port", "port", int),
    ("--system-id", "system_id", str),
    ("--password", "password", str),
    ("--system-type", "system_type", str),
    ("--bind", "bind", str),
    ("--binds", "binds", int),
    ("--window", "window", int),
    ("--throughput", "throughput", float),
    ("--encoding", "encoding", str),
    ("--long-messages", "long_messages", str),
    ("--enquire-link-seconds", "enquire_link_seconds", float),
    ("--response-timeout-seconds", "response_timeout_seconds", float),
    ("--registered-delivery", "registered_delivery", int),
    ("--source-ton", "source_ton", int),
    ("--source-npi", "source_npi", int),
    ("--dest-ton", "dest_ton", int),
    ("--dest-npi", "dest_npi", int),
    ("--tls-ca-file", "tls_ca_file", str),
    ("--session", "session", str),
)

Add = Callable[[argparse.ArgumentParser], None]


def add_parsers(commands: argparse._SubParsersAction, add_common: Add) -> None:  # type: ignore[type-arg]
    carriers = commands.add_parser("carriers", help="carriers: list, show, add, update, remove")
    add_common(carriers)
    carriers.add_argument("action", choices=CARRIER_ACTIONS, nargs="?", default="list")
    carriers.add_argument("name", nargs="?")
    carriers.add_argument("--kind", help="simulator, smpp, ...")
    for flag, key, kind in _OPTION_FLAGS:
        carriers.add_argument(flag, dest=f"opt_{key}", type=kind, default=None)
    carriers.add_argument("--tls", dest="opt_tls", action="store_const", const=True)
    carriers.add_argument(
        "--no-tls-verify", dest="opt_tls_verify", action="store_const", const=False
    )
    carriers.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="any other option"
    )
    carriers.add_argument("--unset", action="append", default=[], metavar="KEY")
    state = carriers.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)

    routes = commands.add_parser("routes", help="MT routes: list, add, update, remove")
    add_common(routes)
    routes.add_argument("action", choices=ROUTE_ACTIONS, nargs="?", default="list")
    routes.add_argument("route_id", nargs="?", type=int)
    routes.add_argument("--carrier", help="one carrier")
    routes.add_argument("--carriers", help="a group: NAME,NAME,...")
    routes.add_argument("--strategy", choices=[s.value for s in Strategy])
    routes.add_argument("--prefix", help="destination E.164 prefix, like +39")
    routes.add_argument("--sender", help="one sender number, short code or sender id")
    routes.add_argument("--number-type", choices=[t.value for t in NumberType])
    routes.add_argument("--priority", type=int, default=None)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name, value in vars(args).items():
        if name.startswith("opt_") and value is not None:
            options[name[4:]] = value
    if options.get("password") == "-":
        options["password"] = sys.stdin.readline().rstrip("\r\n")
    for item in args.option:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--option takes KEY=VALUE; got {item!r}.")
        try:
            options[key] = json_input.decode(raw)
        except InvalidInput:
            options[key] = raw
    return options


def _value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def _carrier_line(config: CarrierConfig) -> str:
    state = "enabled" if config.enabled else "disabled"
    return f"{config.name} kind={config.kind} {state} version={config.version}"


def carriers_command(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    carriers = app.services.carriers
    if args.action == "list":
        for config in carriers.all():
            print(_carrier_line(config))
        return 0
    if not args.name:
        raise InvalidInput(f"tidings carriers {args.action} needs a carrier NAME")
    if args.action == "add":
        # An SMSC address means an SMPP carrier (``tidings carriers add acme --host ...``).
        kind = args.kind or ("smpp" if args.opt_host else None)
        if not kind:
            raise InvalidInput(f"tidings carriers add needs --kind ({', '.join(carriers.kinds)})")
        enabled = True if args.enabled is None else args.enabled
        config = carriers.add(args.name, kind, _options(args), enabled=enabled)
        print(f"added {_carrier_line(config)}")
    elif args.action == "update":
        changes: dict[str, Any] = {**_options(args), **dict.fromkeys(args.unset)}
        config = carriers.update(args.name, options=changes, enabled=args.enabled)
        print(f"updated {_carrier_line(config)}")
    elif args.action == "remove":
        carriers.remove(args.name)
        print(f"removed {args.name.lower()}")
    else:
        _show(app, args.name)
    return 0


def _show(app: Application, name: str) -> None:
    carriers = app.services.carriers
    config = carriers.get(name)
    print(_carrier_line(config))
    print(f"  created {iso_z(config.created_at)}, updated {iso_z(config.updated_at)}")
    for key, value in sorted(config.masked_options().items()):
        print(f"  {key}: {_value(value)}")
    using = sorted(r.id for r in carriers.routes() if config.name in r.spec.carriers)
    print(f"  routes: {', '.join(str(i) for i in using) or 'none'}")
    for b in carriers.binds():
        if b.carrier == config.name:
            error = f" last error: {b.last_error}" if b.last_error else ""
            print(
                f"  bind {b.bind} {b.mode} {b.state} owner={b.owner or '-'} "
                f"window={b.window_used} submitted={b.submitted}{error}"
            )


def route_line(route: Route) -> str:
    s = route.spec
    match = [
        f"prefix={s.prefix or '*'}",
        *([f"sender={s.sender}"] if s.sender else []),
        *([f"number-type={s.number_type.value}"] if s.number_type else []),
        *([f"priority={s.priority}"] if s.priority else []),
    ]
    return f"{route.id} {' '.join(match)} -> {','.join(s.carriers)} ({s.strategy.value})"


def routes_command(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    carriers = app.services.carriers
    if args.action == "list":
        for route in carriers.routes():
            print(route_line(route))
        return 0
    if args.action == "remove":
        if args.route_id is None:
            raise InvalidInput("tidings routes remove needs a route ID (see tidings routes list)")
        carriers.remove_route(args.route_id)
        print(f"removed route {args.route_id}")
        return 0
    if args.carrier and args.carriers:
        raise InvalidInput("give --carrier NAME or --carriers A,B, not both")
    names = [args.carrier] if args.carrier else [n for n in (args.carriers or "").split(",") if n]
    if args.action == "update":
        if args.route_id is None:
            raise InvalidInput("tidings routes update needs a route ID (see tidings routes list)")
        changes: dict[str, Any] = {"carriers": names} if names else {}
        for name in ("strategy", "prefix", "sender", "number_type", "priority"):
            value = getattr(args, name)
            if value is not None:
                changes[name] = value or None  # "" clears a criterion
        route = carriers.update_route(args.route_id, changes)
        print(f"updated route {route_line(route)}")
        return 0
    if not names:
        raise InvalidInput("tidings routes add needs --carrier NAME or --carriers A,B")
    route = carriers.add_route(
        names,
        strategy=args.strategy,
        prefix=args.prefix,
        sender=args.sender,
        number_type=args.number_type,
        priority=args.priority or 0,
    )
    print(f"added route {route_line(route)}")
    return 0
