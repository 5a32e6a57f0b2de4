"""``Tx``, the repositories of one transaction, and the slice of it each use case takes.

A service depends on its slice (``SmsTx``: messages, numbers, partners), not on every
repository: a new adapter, a fake or a reader sees only what the use case touches. The SQL
transaction (``storage.database.SqlTx``) has them all, so it satisfies every slice
structurally; so does ``Tx``. A slice that hands its transaction to another service's
method includes that service's slice (``SimulatorTx`` includes ``InboundTx``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from tidings.ports.analytics import WithAnalytics
from tidings.ports.carriers import WithCarrierRules, WithHandsets
from tidings.ports.chat import WithChat
from tidings.ports.events import WithEvents
from tidings.ports.identity import WithIdentities, WithKeys
from tidings.ports.jobs import WithJobs, WithRateWindows
from tidings.ports.messages import WithBulk, WithConversations, WithMessages, WithOptOuts
from tidings.ports.numbers import WithNumbers, WithOperations, WithPartners, WithSearches
from tidings.ports.registry import WithCarriers, WithRoutes
from tidings.ports.reservations import WithReservations
from tidings.ports.smpp import WithSmpp, WithSmppHistory
from tidings.ports.webhooks import WithDeliveries, WithSubscriptions


class WithSavepoints(Protocol):
    def savepoint(self) -> AbstractContextManager[object]:
        """A nested transaction: leaving it by an exception undoes its writes alone (and
        lets the exception through); the rest of the transaction goes on."""
        ...


class Tx(
    WithSavepoints,
    WithKeys,
    WithNumbers,
    WithPartners,
    WithSearches,
    WithOperations,
    WithReservations,
    WithMessages,
    WithConversations,
    WithOptOuts,
    WithJobs,
    WithRateWindows,
    WithEvents,
    WithHandsets,
    WithCarrierRules,
    WithSubscriptions,
    WithDeliveries,
    WithIdentities,
    WithChat,
    WithAnalytics,
    WithBulk,
    WithCarriers,
    WithRoutes,
    WithSmpp,
    WithSmppHistory,
    Protocol,
):
    """The repositories of one transaction."""


# The slices, by use case (services/<name>.py unless said otherwise).


class KeysTx(WithKeys, Protocol):
    """``keys``: the access keys."""


class IdentityTx(WithIdentities, Protocol):
    """``identity``: users, tokens and the token signing keys."""


class SmsTx(WithMessages, WithNumbers, WithPartners, Protocol):
    """``sms``: accepting a send request."""


class OptOutsTx(WithNumbers, WithOptOuts, Protocol):
    """``optouts``: the Opt-Out API."""


class InboundTx(
    WithMessages, WithNumbers, WithConversations, WithOptOuts, WithJobs, WithEvents, Protocol
):
    """``inbound``: a handset's message, its keywords and auto-replies."""


class CarrierTx(WithJobs, WithCarrierRules, WithHandsets, WithSmpp, Protocol):
    """What a carrier writes in the worker's transaction (``ports/staging.py``): SMPP's
    parts to submit, the simulator's deliveries (its jobs, or handsets' inboxes at once)."""


class DeliveryTx(InboundTx, WithRateWindows, CarrierTx, Protocol):
    """``delivery``: submitting to the carrier (its queueing in the settling transaction),
    its reports, and what it receives."""


class NumbersTx(
    WithNumbers, WithPartners, WithSearches, WithOperations, WithReservations, WithJobs, Protocol
):
    """``numbers``: phone numbers, searches and their long-running operations."""


class PartnersTx(WithNumbers, WithPartners, Protocol):
    """``partners``: Messaging Connect partners."""


class DemoTx(WithNumbers, WithMessages, WithBulk, Protocol):
    """``demo``: realistic traffic in bulk."""


class SimulatorTx(InboundTx, WithHandsets, WithCarrierRules, Protocol):
    """``simulator``: handsets and the simulated network's rules."""


class QueriesTx(
    WithMessages,
    WithConversations,
    WithEvents,
    WithSubscriptions,
    WithDeliveries,
    WithChat,
    WithSmppHistory,
    Protocol,
):
    """``queries``: the read-only views (message log, conversations, events, console)."""


class SubscriptionsTx(WithSubscriptions, WithDeliveries, WithJobs, Protocol):
    """``subscriptions``: event subscriptions, their deliveries and replays."""


class DispatchTx(WithSubscriptions, WithDeliveries, Protocol):
    """``dispatch``: routing events to deliveries and sending them."""


class ChatTx(WithChat, WithIdentities, WithEvents, Protocol):
    """``chat`` (with ``chat_access`` and ``chat_messages``): threads, participants,
    messages, receipts."""


class NotificationsTx(WithChat, WithIdentities, WithEvents, Protocol):
    """``notifications``: the real-time stream's poller."""


class AnalyticsTx(WithAnalytics, WithNumbers, WithJobs, WithDeliveries, Protocol):
    """``analytics``: the analytics report and the operations dashboard."""


class WorkerTx(
    DeliveryTx,
    WithSavepoints,
    WithSearches,
    WithOperations,
    WithReservations,
    WithDeliveries,
    Protocol,
):
    """``worker.py``: claiming and settling jobs, and housekeeping. The send jobs' checks
    run in the claim's transaction (in a savepoint) and their results in the settling one,
    so it holds the delivery's slice."""


class SimulatedCarrierTx(DeliveryTx, Protocol):
    """``carriers/simulator.py``: the simulated carrier's own work, and the reports it hands
    a ``TransactionalSink`` in the same transaction."""
