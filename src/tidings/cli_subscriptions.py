"""``tidings subscriptions``: manage event subscriptions and their deliveries from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
from tqdm import tqdm

from tidings.container import Application
from tidings.domain import json_input
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.subscription_validation import config_to_json
from tidings.domain.subscriptions import EventSubscription
from tidings.domain.timefmt import iso_z, parse_iso
from tidings.errors import InvalidInput
from tidings.services.subscriptions import SubscriptionService


def _body(args: argparse.Namespace) -> dict[str, Any]:
    if args.json_body:
        parsed = json_input.decode(args.json_body)
        if not isinstance(parsed, dict):
            raise InvalidInput("--json must be a JSON object")
        return parsed
    if not args.endpoint:
        raise InvalidInput("create needs --endpoint URL (or --json)")
    destination: dict[str, Any] = {"endpointUrl": args.endpoint}
    if args.max_events_per_batch:
        destination["maxEventsPerBatch"] = args.max_events_per_batch
    props: dict[str, Any] = {
        "destination": {"endpointType": "WebHook", "properties": destination},
        "filter": {},
    }
    if args.schema:
        props["eventDeliverySchema"] = args.schema
    if args.event_types:
        props["filter"]["includedEventTypes"] = args.event_types
    if args.subject_begins_with:
        props["filter"]["subjectBeginsWith"] = args.subject_begins_with
    if args.subject_ends_with:
        props["filter"]["subjectEndsWith"] = args.subject_ends_with
    retry: dict[str, int] = {}
    if args.max_delivery_attempts:
        retry["maxDeliveryAttempts"] = args.max_delivery_attempts
    if args.ttl_minutes:
        retry["eventTimeToLiveInMinutes"] = args.ttl_minutes
    if retry:
        props["retryPolicy"] = retry
    if args.dead_letter:
        props["deadLetterDestination"] = {"endpointType": "Tidings"}
    return {"properties": props}


def _line(s: EventSubscription) -> str:
    state = "enabled" if s.enabled else "disabled"
    return (
        f"{s.name}  {s.provisioning_state.value}  {state}  {s.config.schema.value}  "
        f"{s.config.endpoint_url}"
    )


def _show(s: EventSubscription) -> None:
    print(json.dumps({"name": s.name, "properties": config_to_json(s.config)}, indent=2))
    print(f"state: {s.provisioning_state.value}, {'enabled' if s.enabled else 'disabled'}")


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def subscription_command(app: Application, args: argparse.Namespace) -> int:
    if args.action == "list":
        for s in app.services.subscriptions.all():
            print(_line(s))
        return 0
    if not args.name:
        print(f"tidings subscriptions {args.action} NAME", file=sys.stderr)
        return 2
    return await _ACTIONS[args.action](app, args)


async def _create(app: Application, args: argparse.Namespace) -> int:
    base = app.settings.public_url or f"http://127.0.0.1:{app.settings.http_port}"
    _progress(f"validating {args.endpoint or 'the endpoint'} ...")
    try:
        sub, created = await app.services.subscriptions.put(args.name, _body(args), base_url=base)
    finally:
        await app.sender.aclose()
    print(("created " if created else "updated ") + _line(sub))
    return 0


async def _show_one(app: Application, args: argparse.Namespace) -> int:
    subs = app.services.subscriptions
    _show(subs.get(args.name))
    for label, count in sorted(subs.stats(args.name).items()):
        print(f"  {label}: {count}")
    return 0


async def _delete(app: Application, args: argparse.Namespace) -> int:
    print("deleted" if app.services.subscriptions.delete(args.name) else "no such subscription")
    return 0


async def _set_enabled(app: Application, args: argparse.Namespace) -> int:
    print(_line(app.services.subscriptions.set_enabled(args.name, args.action == "enable")))
    return 0


async def _rotate_secret(app: Application, args: argparse.Namespace) -> int:
    sub = app.services.subscriptions.rotate_secret(args.name, args.grace_minutes)
    print(f"secret: {sub.secret}")
    if sub.previous_secret_expires:
        print(f"previous secret valid until {iso_z(sub.previous_secret_expires)}")
    return 0


async def _deliveries(app: Application, args: argparse.Namespace) -> int:
    status = DeliveryStatus.DEAD_LETTERED if args.action == "dead-letters" else None
    found = app.services.webhook_debug.deliveries(
        args.name, status=status, event_id=None, limit=100, offset=0
    )
    for d, events in found:
        print(
            f"{d.id}  {d.status.value}  attempts={d.attempts}  "
            f"last={d.last_status_code or '-'} {d.last_outcome or ''}  "
            f"{d.dead_letter_reason or ''}  events={','.join(e.id for e in events)}"
        )
    return 0


async def _redeliver(app: Application, args: argparse.Namespace) -> int:
    subs = app.services.subscriptions
    if args.event_id:
        print(f"queued delivery {subs.redeliver_event(args.name, args.event_id)}")
    else:
        print(f"queued {subs.redeliver_dead_letters(args.name)} dead-lettered deliveries again")
    return 0


async def _replay(app: Application, args: argparse.Namespace) -> int:
    if not args.start:
        print("tidings subscriptions replay NAME --start ISO [--end ISO]", file=sys.stderr)
        return 2
    subs = app.services.subscriptions
    start = parse_iso(args.start)
    end = parse_iso(args.end) if args.end else datetime.now(UTC)
    subs.replay(args.name, start, end)
    print(f"replay of {iso_z(start)} .. {iso_z(end)} queued; the worker sends it")
    if args.wait:
        await _watch_replay(subs, args.name, start, end)
    return 0


#: ``tidings subscriptions ACTION NAME``: each action but ``list`` names a subscription.
_ACTIONS: dict[str, Callable[[Application, argparse.Namespace], Awaitable[int]]] = {
    "create": _create,
    "show": _show_one,
    "delete": _delete,
    "enable": _set_enabled,
    "disable": _set_enabled,
    "rotate-secret": _rotate_secret,
    "deliveries": _deliveries,
    "dead-letters": _deliveries,
    "redeliver": _redeliver,
    "replay": _replay,
}


async def _watch_replay(
    subs: SubscriptionService, name: str, start: datetime, end: datetime
) -> None:
    """A progress bar over the window's events until a worker has replayed them all."""
    done, total, finished = subs.replay_progress(name, start, end)
    with tqdm(total=total, desc="replaying", unit="event", unit_scale=True, disable=None) as bar:
        while True:
            bar.update(done - bar.n)
            if finished:
                break
            await anyio.sleep(0.5)
            done, total, finished = subs.replay_progress(name, start, end)
    print(f"replayed the window's {total} events (matching ones queued for delivery)")
