"""The composition root: the only module that picks concrete adapters.

``build(settings)`` opens the database, builds every service over it and the carrier,
and returns an ``Application`` that the CLI serves, runs as a worker, or both.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from starlette.types import ASGIApp

from tidings.api.app import create_app
from tidings.api.routes.console import Listeners
from tidings.carriers.router import CarrierFactory, CarrierRouter
from tidings.carriers.simulator import SimulatedCarrier
from tidings.carriers.smpp.carrier import SmppBindStatusReader, SmppCarrier
from tidings.carriers.smpp.metrics import SmppMetrics
from tidings.domain.addresses import AddressPolicy
from tidings.domain.carriers import CarrierConfig, parse_simulator_options
from tidings.domain.numbers import NumberType
from tidings.domain.smpp import parse_smpp_options
from tidings.domain.throughput import parse_limits
from tidings.errors import TidingsError
from tidings.events.http import HttpWebhookSender
from tidings.ports import Carrier, Clock, SystemClock, WebhookSender
from tidings.ports.registry import BindStatusReader
from tidings.services.analytics import AnalyticsService, OperationsService
from tidings.services.carriers import CarrierService, OptionValidator
from tidings.services.chat import ChatService
from tidings.services.context import ServiceContext
from tidings.services.delivery import DeliveryService
from tidings.services.delivery_sink import DeliverySink
from tidings.services.demo import DemoService
from tidings.services.dispatch import DispatchSettings, WebhookDispatcher
from tidings.services.identity import IdentityService
from tidings.services.inbound import InboundService
from tidings.services.inventory import InventoryService
from tidings.services.keys import KeyService
from tidings.services.notifications import ChatNotifier
from tidings.services.numbers import NumbersService
from tidings.services.optouts import OptOutService
from tidings.services.partners import PartnerService
from tidings.services.queries import QueryService
from tidings.services.registry import Services
from tidings.services.reservations import ReservationsService
from tidings.services.simulator import SimulatorService
from tidings.services.sms import SmsService
from tidings.services.subscriptions import SubscriptionService
from tidings.services.webhook_debug import WebhookDebugService
from tidings.settings import EventCasing, Settings
from tidings.storage import migrations
from tidings.storage.database import Database
from tidings.wakeups import Alarm, as_alarm
from tidings.worker import Worker

log = logging.getLogger(__name__)


@dataclass
class Application:
    settings: Settings
    database: Database
    services: Services
    carrier: CarrierRouter
    sink: DeliverySink
    sender: WebhookSender
    dispatcher: WebhookDispatcher
    alarm: Alarm
    smpp_metrics: SmppMetrics

    def asgi(self) -> ASGIApp:
        return create_app(
            self.services,
            skew_seconds=self.settings.auth_clock_skew_seconds,
            max_body=self.settings.max_body_bytes,
            public_url=self.settings.public_url,
            console_session_minutes=self.settings.console_session_minutes,
            listeners=Listeners(
                https_port=self.settings.https_port if self.settings.tls else None,
                http_port=self.settings.http_port,
            ),
            collectors=[self.smpp_metrics],
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
            wakeups=self.database.wakeups,
            alarm=self.alarm,
        )

    def migrate(self, progress: Callable[[int], object] | None = None) -> None:
        migrations.upgrade(self.database.engine, progress)

    def pending_migrations(self) -> list[str]:
        """The schema revisions ``migrate`` would apply, in order (none: up to date)."""
        return migrations.pending_revisions(self.database.engine)

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


_TOLL_FREE = {"800", "833", "844", "855", "866", "877", "888"}


def carrier_kinds(
    database: Database, clock: Clock, settings: Settings, metrics: SmppMetrics
) -> tuple[dict[str, OptionValidator], dict[str, CarrierFactory]]:
    """The carrier kinds this build supports: each kind's option validator and factory.

    SMPP carriers built in this process share ``metrics`` (served at ``/metrics``); their
    binds' states are in the database for every process (``SmppBindStatusReader``)."""
    node = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def simulator(config: CarrierConfig) -> Carrier:
        options = parse_simulator_options(config.options)
        return SimulatedCarrier(
            database,
            clock,
            name=config.name,
            default_delay=options.delay_seconds,
            lease=timedelta(seconds=settings.worker.lease_seconds),
        )

    def smpp(config: CarrierConfig) -> Carrier:
        options = parse_smpp_options(config.options)
        return SmppCarrier(config.name, options, database, clock, node_id=node, metrics=metrics)

    validators: dict[str, OptionValidator] = {
        "simulator": parse_simulator_options,
        "smpp": parse_smpp_options,
    }
    return validators, {"simulator": simulator, "smpp": smpp}


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sender: WebhookSender | None = None,
    binds: BindStatusReader | None = None,
    kinds: Mapping[str, tuple[OptionValidator, CarrierFactory]] | None = None,
) -> Application:
    """The application over ``settings``; ``kinds`` adds carrier kinds (tests), ``binds``
    reads bind states (default: the SMPP connector's table)."""
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
    smpp_metrics = SmppMetrics()
    validators, factories = carrier_kinds(database, clock, settings, smpp_metrics)
    for kind, (validator, factory) in (kinds or {}).items():
        validators[kind], factories[kind] = validator, factory
    carrier = CarrierRouter(
        database,
        factories,
        refresh_seconds=settings.carrier_refresh_seconds,
        # Without signals (``TIDINGS_WORKER_WAKEUPS=false``) it checks the registry's
        # revision every ``refresh_seconds`` on the send path too.
        wakeups=database.wakeups if settings.worker.wakeups else None,
    )
    policy = AddressPolicy(
        allow_loopback=settings.webhook_allow_loopback,
        allow_private=settings.webhook_allow_private,
    )
    sender = sender or HttpWebhookSender(
        policy,
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
            poll_interval=settings.worker.poll_interval,
        ),
        wakeups=database.wakeups,
        alarm=as_alarm(clock),
    )
    inbound = InboundService(ctx)
    numbers = NumbersService(ctx)
    delivery = DeliveryService(
        ctx,
        carrier,
        max_attempts=settings.worker.max_attempts,
        unroutable_deadline=timedelta(seconds=settings.unroutable_deadline_seconds),
    )
    numbers = NumbersService(ctx)
    services = Services(
        store=database,
        clock=clock,
        keys=KeyService(ctx),
        sms=SmsService(ctx),
        numbers=numbers,
        inventory=InventoryService(ctx),
        reservations=ReservationsService(ctx),
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
            policy=policy,
        ),
        identity=IdentityService(ctx),
        chat=ChatService(ctx),
        notifications=ChatNotifier(ctx),
        topic=settings.resource_topic,
        analytics=AnalyticsService(ctx),
        demo=DemoService(ctx, numbers),
        operations=OperationsService(ctx),
        webhook_debug=WebhookDebugService(ctx),
        carriers=CarrierService(ctx, validators, binds or SmppBindStatusReader(database)),
    )
    sink = DeliverySink(ctx, delivery, inbound)
    return Application(
        settings,
        database,
        services,
        carrier,
        sink,
        sender,
        dispatcher,
        as_alarm(clock),
        smpp_metrics,
    )
