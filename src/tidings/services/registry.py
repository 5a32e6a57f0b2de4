"""The bundle of services the edges (HTTP, CLI, worker) are given by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from tidings.ports import Clock, Store
from tidings.services.analytics import AnalyticsService, OperationsService
from tidings.services.carriers import CarrierService
from tidings.services.chat import ChatService
from tidings.services.delivery import DeliveryService
from tidings.services.demo import DemoService
from tidings.services.identity import IdentityService
from tidings.services.inbound import InboundService
from tidings.services.inventory import InventoryService
from tidings.services.keys import KeyService
from tidings.services.notifications import ChatNotifier
from tidings.services.numbers import NumbersService
from tidings.services.optouts import OptOutService
from tidings.services.partners import PartnerService
from tidings.services.queries import QueryService
from tidings.services.reservations import ReservationsService
from tidings.services.simulator import SimulatorService
from tidings.services.sms import SmsService
from tidings.services.subscriptions import SubscriptionService
from tidings.services.webhook_debug import WebhookDebugService


@dataclass(frozen=True)
class Services:
    store: Store
    clock: Clock
    keys: KeyService
    sms: SmsService
    numbers: NumbersService
    inventory: InventoryService
    reservations: ReservationsService
    partners: PartnerService
    optouts: OptOutService
    inbound: InboundService
    delivery: DeliveryService
    simulator: SimulatorService
    queries: QueryService
    subscriptions: SubscriptionService
    identity: IdentityService
    chat: ChatService
    notifications: ChatNotifier
    #: The ACS resource id events carry as ``topic``.
    topic: str
    analytics: AnalyticsService
    demo: DemoService
    operations: OperationsService
    webhook_debug: WebhookDebugService
    carriers: CarrierService
