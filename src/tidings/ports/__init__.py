"""Ports: the narrow interfaces services depend on. Adapters implement them; fakes too.

One module per domain: ``jobs``, ``numbers``, ``reservations``, ``messages``, ``events``,
``webhooks``, ``chat``, ``carriers`` (the carrier interface), ``registry`` (configured
carriers and routes), ``smpp`` (the SMPP connector's state), ``identity``, ``analytics``,
``clock``; ``tx`` combines their repositories into ``Tx`` and the slices of it each service
takes, ``store`` is how a service reaches them (``Store[SmsTx]``). Every name is importable
from ``tidings.ports``.
"""

from __future__ import annotations

from tidings.ports.analytics import AnalyticsRepo, WithAnalytics
from tidings.ports.carriers import (
    Carrier,
    CarrierRuleRepo,
    CarrierSink,
    HandsetRepo,
    SubmitResult,
    WithCarrierRules,
    WithHandsets,
)
from tidings.ports.chat import ChatRepo, WithChat
from tidings.ports.clock import Clock, SystemClock
from tidings.ports.events import EventOutbox, WithEvents
from tidings.ports.identity import IdentityRepo, KeyRepo, WithIdentities, WithKeys
from tidings.ports.jobs import Job, JobQueue, QueueStats, RateWindows, WithJobs, WithRateWindows
from tidings.ports.messages import (
    BulkLoader,
    ConversationRepo,
    MessageRepo,
    OptOutRepo,
    WithBulk,
    WithConversations,
    WithMessages,
    WithOptOuts,
)
from tidings.ports.numbers import (
    NumberRepo,
    OperationRepo,
    PartnerRepo,
    SearchRepo,
    WithNumbers,
    WithOperations,
    WithPartners,
    WithSearches,
)
from tidings.ports.registry import (
    BindStatus,
    BindStatusReader,
    CarrierRepo,
    NoBinds,
    RouteRepo,
    WithCarriers,
    WithRoutes,
)
from tidings.ports.reservations import ReservationRepo, WithReservations
from tidings.ports.sink import TransactionalSink, transactional
from tidings.ports.smpp import PartEvent, SmppHistoryRepo, SmppRepo, WithSmpp, WithSmppHistory
from tidings.ports.staging import QueueCarrier, Staged, StagingCarrier, queue_carrier, staging
from tidings.ports.store import Store, TxT
from tidings.ports.tx import (
    AnalyticsTx,
    CarrierTx,
    ChatTx,
    DeliveryTx,
    DemoTx,
    DispatchTx,
    IdentityTx,
    InboundTx,
    KeysTx,
    NotificationsTx,
    NumbersTx,
    OptOutsTx,
    PartnersTx,
    QueriesTx,
    SimulatedCarrierTx,
    SimulatorTx,
    SmsTx,
    SubscriptionsTx,
    Tx,
    WorkerTx,
)
from tidings.ports.webhooks import (
    DeliveryRepo,
    HttpResult,
    SubscriptionRepo,
    WebhookSender,
    WithDeliveries,
    WithSubscriptions,
)

__all__ = [
    "AnalyticsRepo",
    "AnalyticsTx",
    "BindStatus",
    "BindStatusReader",
    "BulkLoader",
    "Carrier",
    "CarrierRepo",
    "CarrierRuleRepo",
    "CarrierSink",
    "CarrierTx",
    "ChatRepo",
    "ChatTx",
    "Clock",
    "ConversationRepo",
    "DeliveryRepo",
    "DeliveryTx",
    "DemoTx",
    "DispatchTx",
    "EventOutbox",
    "HandsetRepo",
    "HttpResult",
    "IdentityRepo",
    "IdentityTx",
    "InboundTx",
    "Job",
    "JobQueue",
    "KeyRepo",
    "KeysTx",
    "MessageRepo",
    "NoBinds",
    "NotificationsTx",
    "NumberRepo",
    "NumbersTx",
    "OperationRepo",
    "OptOutRepo",
    "OptOutsTx",
    "PartEvent",
    "PartnerRepo",
    "PartnersTx",
    "QueriesTx",
    "QueueCarrier",
    "QueueStats",
    "RateWindows",
    "ReservationRepo",
    "RouteRepo",
    "SearchRepo",
    "SimulatedCarrierTx",
    "SimulatorTx",
    "SmppHistoryRepo",
    "SmppRepo",
    "SmsTx",
    "Staged",
    "StagingCarrier",
    "Store",
    "SubmitResult",
    "SubscriptionRepo",
    "SubscriptionsTx",
    "SystemClock",
    "TransactionalSink",
    "Tx",
    "TxT",
    "WebhookSender",
    "WithAnalytics",
    "WithBulk",
    "WithCarrierRules",
    "WithCarriers",
    "WithChat",
    "WithConversations",
    "WithDeliveries",
    "WithEvents",
    "WithHandsets",
    "WithIdentities",
    "WithJobs",
    "WithKeys",
    "WithMessages",
    "WithNumbers",
    "WithOperations",
    "WithOptOuts",
    "WithPartners",
    "WithRateWindows",
    "WithReservations",
    "WithRoutes",
    "WithSearches",
    "WithSmpp",
    "WithSmppHistory",
    "WithSubscriptions",
    "WorkerTx",
    "queue_carrier",
    "staging",
    "transactional",
]
