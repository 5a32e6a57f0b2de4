"""The composition root: the only module that picks concrete adapters.

``build(settings)`` opens the database, builds every service over it and the carrier,
and returns an ``Application`` that the CLI serves, runs as a worker, or both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import cast

from prometheus_client.registry import Collector
from starlette.types import ASGIApp

from tidings.api.app import create_app
from tidings.carriers.simulator import SimulatedCarrier
from tidings.domain.numbers import NumberType
from tidings.domain.throughput import parse_limits
from tidings.errors import TidingsError
from tidings.events.http import AddressPolicy, HttpWebhookSender
from tidings.ports import Carrier, Clock, Store, SystemClock, WebhookSender
from tidings.services.analytics import AnalyticsService, OperationsService
from tidings.services.chat import ChatService
from tidings.services.context import ServiceContext
from tidings.services.delivery import DeliveryService, DeliverySink
from tidings.services.demo import DemoService
from tidings.services.dispatch import DispatchSettings, WebhookDispatcher
from tidings.services.identity import IdentityService
from tidings.services.inbound import InboundService
from tidings.services.keys import KeyService
from tidings.services.notifications import ChatNotifier
from tidings.services.numbers import NumbersService
from tidings.services.optouts import OptOutService
from tidings.services.partners import PartnerService
from tidings.services.queries import QueryService
from tidings.services.registry import Services
from tidings.services.simulator import SimulatorService
from tidings.services.sms import SmsService
from tidings.services.subscriptions import SubscriptionService
from tidings.settings import EventCasing, Settings
from tidings.storage import migrations
from tidings.storage.database import Database
from tidings.worker import Worker

log = logging.getLogger(__name__)


@dataclass
class Application:
    settings: Settings
    database: Database
    services: Services
    carrier: Carrier
    sink: DeliverySink
    sender: WebhookSender
    dispatcher: WebhookDispatcher

    def asgi(self) -> ASGIApp:
        return create_app(
            self.services,
            skew_seconds=self.settings.auth_clock_skew_seconds,
            max_body=self.settings.max_body_bytes,
            public_url=self.settings.public_url,
            console_session_minutes=self.settings.console_session_minutes,
            collectors=_collectors(self.carrier),
        )

    def worker(self) -> Worker:
        return Worker(
            self.services.store,
            self.services.clock,
            self.carrier,
            self.services.delivery,
            self.services.numbers,
            self.settings.worker,
            subscriptions=self.services.subscriptions,
            delivery_retention=timedelta(days=self.settings.webhook_log_retention_days),
        )

    def migrate(self, progress: Callable[[int], object] | None = None) -> None:
        migrations.upgrade(self.database.engine, progress)

    def check_migrated(self) -> None:
        if migrations.pending(self.database.engine):
            raise TidingsError(
                "The database schema is not up to date: run `tidings migrate` first.",
                code="SchemaOutdated",
            )

    def recover(self) -> int:
        """Release the job leases a killed single-node process left (SQLite ``serve`` only).

        On SQLite one ``tidings serve`` owns the database, so every lease found at start-up
        belongs to a process that is gone; waiting for them to run out would only delay
        the messages. With PostgreSQL other nodes may be working: leases run out instead.
        """
        if self.database.dialect != "sqlite":
            return 0
        return self.services.store.write(lambda tx: tx.jobs.release_all())

    def bootstrap(self) -> dict[str, str]:
        """First-start state: access keys and the seed number. Returns the keys."""
        keys = self.services.keys.ensure(
            self.settings.access_key, self.settings.secondary_access_key
        )
        if self.settings.seed_number:
            number = self.settings.seed_number
            kind = NumberType.TOLL_FREE if number[2:5] in _TOLL_FREE else NumberType.GEOGRAPHIC
            self.services.numbers.provision(number, kind)
        return keys

    def close(self) -> None:
        self.database.close()


def _collectors(carrier: Carrier) -> list[Collector]:
    """Metrics the carrier keeps in this process (the SMPP binds it holds)."""
    metrics = getattr(carrier, "metrics", None)
    return [cast(Collector, metrics)] if callable(getattr(metrics, "collect", None)) else []


_TOLL_FREE = {"800", "833", "844", "855", "866", "877", "888"}


def _smpp_carrier(options_json: str, store: Store, clock: Clock) -> Carrier:
    """``TIDINGS_SMPP_CARRIER``: one SMPP carrier for every message (until the carrier
    registry and routes replace this)."""
    import json
    import os
    import socket
    import uuid

    from tidings.carriers.smpp.carrier import SmppCarrier
    from tidings.domain.smpp import parse_smpp_options

    try:
        raw = json.loads(options_json)
        if not isinstance(raw, dict):
            raise ValueError("must be a JSON object of SMPP options")
        options = parse_smpp_options(raw)
    except (ValueError, TypeError) as exc:
        raise TidingsError(f"TIDINGS_SMPP_CARRIER: {exc}", code="InvalidSettings") from exc
    node = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return SmppCarrier("smpp", options, store, clock, node_id=node)


def build(
    settings: Settings, *, clock: Clock | None = None, sender: WebhookSender | None = None
) -> Application:
    if settings.database_url is None:
        Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    clock = clock or SystemClock()
    ctx = ServiceContext(
        store=database,
        clock=clock,
        topic=settings.resource_topic,
        pascal_events=settings.event_casing is EventCasing.SEED,
        limits=parse_limits(settings.rate_limits),
    )
    carrier: Carrier = SimulatedCarrier(
        database,
        clock,
        batch_size=settings.worker.batch_size,
        lease=timedelta(seconds=settings.worker.lease_seconds),
    )
    if settings.smpp_carrier:
        carrier = _smpp_carrier(settings.smpp_carrier, database, clock)
    sender = sender or HttpWebhookSender(
        AddressPolicy(
            allow_loopback=settings.webhook_allow_loopback,
            allow_private=settings.webhook_allow_private,
        ),
        body_cap=settings.webhook_body_cap_bytes,
        max_connections=settings.webhook_max_in_flight,
    )
    dispatcher = WebhookDispatcher(
        ctx,
        sender,
        DispatchSettings(
            max_in_flight=settings.webhook_max_in_flight,
            timeout=settings.webhook_timeout_seconds,
            lease_seconds=settings.webhook_timeout_seconds * 3,
        ),
    )
    inbound = InboundService(ctx)
    numbers = NumbersService(ctx)
    delivery = DeliveryService(ctx, carrier, max_attempts=settings.worker.max_attempts)
    numbers = NumbersService(ctx)
    services = Services(
        store=database,
        clock=clock,
        keys=KeyService(ctx),
        sms=SmsService(ctx),
        numbers=numbers,
        partners=PartnerService(ctx, numbers),
        optouts=OptOutService(ctx),
        inbound=inbound,
        delivery=delivery,
        simulator=SimulatorService(ctx, inbound),
        queries=QueryService(ctx),
        subscriptions=SubscriptionService(
            ctx,
            sender,
            origin=settings.webhook_origin,
            handshake_timeout=settings.webhook_timeout_seconds,
        ),
        identity=IdentityService(ctx),
        chat=ChatService(ctx),
        notifications=ChatNotifier(ctx),
        topic=settings.resource_topic,
        analytics=AnalyticsService(ctx),
        demo=DemoService(ctx, numbers),
        operations=OperationsService(ctx),
    )
    sink = DeliverySink(ctx, delivery, inbound)
    return Application(settings, database, services, carrier, sink, sender, dispatcher)
