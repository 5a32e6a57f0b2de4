"""``tidings identity``: users, tokens and signing keys of the Identity API, from a shell."""

from __future__ import annotations

import argparse
import sys

from tidings.container import Application
from tidings.domain.timefmt import iso_z

ACTIONS = ["create", "token", "revoke", "delete", "keys", "rotate-key"]


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    identity = commands.add_parser(
        "identity", help="communication users and tokens: create, token, revoke, delete, rotate-key"
    )
    identity.add_argument("action", choices=ACTIONS, nargs="?", default="keys")
    identity.add_argument("user", nargs="?", help="the user id (token, revoke, delete)")
    identity.add_argument(
        "--scope", action="append", dest="scopes", default=None, help="token scope (repeatable)"
    )
    identity.add_argument("--minutes", type=int, default=None, help="token lifetime (60-1440)")
    return identity


def identity_command(app: Application, args: argparse.Namespace) -> int:
    service = app.services.identity
    if args.action == "create":
        user = service.create_user(args.scopes, args.minutes)
        print(user.user_id)
        if user.token is not None:
            print(user.token.token)
        return 0
    if args.action in {"token", "revoke", "delete"} and not args.user:
        print(f"tidings identity {args.action} USER_ID", file=sys.stderr)
        return 2
    if args.action == "token":
        token = service.issue_token(args.user, args.scopes or ["chat"], args.minutes)
        print(token.token)
        return 0
    if args.action == "revoke":
        service.revoke(args.user)
        print(f"revoked the tokens of {args.user}")
        return 0
    if args.action == "delete":
        service.delete(args.user)
        print(f"deleted {args.user}")
        return 0
    if args.action == "rotate-key":
        key = service.rotate_key()
        print(f"signing with {key.kid} from now on")
        return 0
    for key in service.signing_keys():
        print(f"{key.kid} created {iso_z(key.created_at)}")
    return 0
