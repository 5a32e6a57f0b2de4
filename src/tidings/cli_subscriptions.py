"""``tidings subscriptions``: manage event subscriptions and their deliveries from a shell."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

import anyio
from tqdm import tqdm

from tidings.container import Application
from tidings.domain import json_input
from tidings.domain.deliveries import DeliveryStatus
from tidings.domain.subscriptions import EventSubscription, config_to_json
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
    subs = app.services.subscriptions
    action = args.action
    if action == "list":
        for s in subs.all():
            print(_line(s))
        return 0
    if not args.name:
        print(f"tidings subscriptions {action} NAME", file=sys.stderr)
        return 2
    name = args.name
    if action == "create":
        base = app.settings.public_url or f"http://127.0.0.1:{app.settings.http_port}"
        _progress(f"validating {args.endpoint or 'the endpoint'} ...")
        try:
            sub, created = await subs.put(name, _body(args), base_url=base)
        finally:
            await app.sender.aclose()
        print(("created " if created else "updated ") + _line(sub))
    elif action == "show":
        _show(subs.get(name))
        for label, count in sorted(subs.stats(name).items()):
            print(f"  {label}: {count}")
    elif action == "delete":
        print("deleted" if subs.delete(name) else "no such subscription")
    elif action in ("enable", "disable"):
        print(_line(subs.set_enabled(name, action == "enable")))
    elif action == "rotate-secret":
        sub = subs.rotate_secret(name, args.grace_minutes)
        print(f"secret: {sub.secret}")
        if sub.previous_secret_expires:
            print(f"previous secret valid until {iso_z(sub.previous_secret_expires)}")
    elif action in ("deliveries", "dead-letters"):
        status = DeliveryStatus.DEAD_LETTERED if action == "dead-letters" else None
        for d, ids in subs.deliveries(name, status=status, event_id=None, limit=100, offset=0):
            print(
                f"{d.id}  {d.status.value}  attempts={d.attempts}  "
                f"last={d.last_status_code or '-'} {d.last_outcome or ''}  "
                f"{d.dead_letter_reason or ''}  events={','.join(ids)}"
            )
    elif action == "redeliver":
        if args.event_id:
            print(f"queued delivery {subs.redeliver_event(name, args.event_id)}")
        else:
            print(f"queued {subs.redeliver_dead_letters(name)} dead-lettered deliveries again")
    elif action == "replay":
        if not args.start:
            print("tidings subscriptions replay NAME --start ISO [--end ISO]", file=sys.stderr)
            return 2
        start = parse_iso(args.start)
        end = parse_iso(args.end) if args.end else datetime.now(UTC)
        subs.replay(name, start, end)
        print(f"replay of {iso_z(start)} .. {iso_z(end)} queued; the worker sends it")
        if args.wait:
            await _watch_replay(subs, name, start, end)
    return 0


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
