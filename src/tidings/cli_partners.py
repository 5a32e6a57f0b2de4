"""``tidings partners``: Messaging Connect partners and the numbers leased through them.

::

    tidings partners list
    tidings partners add NAME --api-key KEY [--api-key KEY2]   (replaces the keys if it exists)
    tidings partners remove NAME
    tidings partners numbers NAME
    tidings partners lease NAME NUMBER --type TYPE [--sms CAPABILITY] [--country CC]
    tidings partners release NAME NUMBER
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from tidings.container import Application
from tidings.domain.numbers import Capability, NumberType, PurchasedNumber
from tidings.errors import InvalidInput

ACTIONS = ("list", "add", "remove", "numbers", "lease", "release")


def add_parser(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    partners = commands.add_parser(
        "partners", help="Messaging Connect partners and the numbers leased through them"
    )
    add_common(partners)
    partners.add_argument("action", choices=ACTIONS, nargs="?", default="list")
    partners.add_argument("name", nargs="?")
    partners.add_argument("number", nargs="?")
    partners.add_argument("--api-key", action="append", dest="api_keys", default=[])
    partners.add_argument("--type", default=None, choices=[t.value for t in NumberType])
    partners.add_argument(
        "--sms", default=Capability.INBOUND_OUTBOUND.value, choices=[c.value for c in Capability]
    )
    partners.add_argument("--country", default=None, help="ISO country code of the number")


def _line(number: PurchasedNumber) -> str:
    return (
        f"{number.number} {number.number_type.value} sms={number.capabilities.sms.value} "
        f"partner={number.partner}"
    )


def partner_command(app: Application, args: argparse.Namespace) -> int:
    app.migrate()
    partners = app.services.partners
    if args.action == "list":
        for view in partners.all():
            print(
                f"{view.partner.name} keys={len(view.partner.key_digests)} "
                f"numbers={view.number_count}"
            )
        return 0
    if not args.name:
        raise InvalidInput(f"tidings partners {args.action} needs a partner NAME")
    if args.action == "add":
        view, created = partners.put(args.name, args.api_keys)
        verb = "added" if created else "updated"
        print(f"{verb} {view.partner.name} keys={len(view.partner.key_digests)}")
    elif args.action == "remove":
        partners.delete(args.name)
        print(f"removed {args.name.lower()}")
    elif args.action == "numbers":
        for number in partners.numbers(args.name, 0, 10_000):
            print(_line(number))
    elif not args.number:
        raise InvalidInput(f"tidings partners {args.action} needs NAME and NUMBER")
    elif args.action == "lease":
        if not args.type:
            raise InvalidInput("tidings partners lease needs --type")
        number = partners.lease(
            args.name,
            args.number,
            NumberType(args.type),
            sms=Capability(args.sms),
            country_code=args.country,
        )
        print(_line(number))
    else:
        partners.release(args.name, args.number)
        print(f"released {args.number}")
    return 0
