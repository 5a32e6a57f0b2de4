"""Event subscriptions: their configuration, signing secrets and endpoint health."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tidings.domain.subscription_validation import config_from_json, config_to_json
from tidings.domain.subscriptions import EventSubscription, ProvisioningState
from tidings.domain.timefmt import ensure_utc
from tidings.storage import dialects
from tidings.storage.events import SUBSCRIPTIONS_LOCK
from tidings.storage.schema import Timestamp, events
from tidings.storage.schema import event_subscriptions as subs
from tidings.storage.signals import touch
from tidings.wakeups import DELIVERIES


def _opt(value: datetime | None) -> datetime | None:
    return ensure_utc(value) if value is not None else None


def _subscription(r: Any) -> EventSubscription:
    return EventSubscription(
        name=r.name,
        config=config_from_json(dict(r.config)),
        provisioning_state=ProvisioningState(r.provisioning_state),
        enabled=bool(r.enabled),
        created_at=ensure_utc(r.created_at),
        updated_at=ensure_utc(r.updated_at),
        secret=r.secret,
        previous_secret=r.previous_secret,
        previous_secret_expires=_opt(r.previous_secret_expires),
        created_seq=int(r.created_seq),
        validation_code=r.validation_code,
        validation_deadline=_opt(r.validation_deadline),
        consecutive_failures=int(r.consecutive_failures),
        probation_until=_opt(r.probation_until),
    )


_ALL = sa.select(subs).order_by(subs.c.name)  # (built once: read in every routing)


class SqlSubscriptionRepo:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    def last_event_seq(self) -> int:
        """The newest event's seq: a new subscription gets the events after it. Waits for
        the event writers that skipped routing (``SqlEventOutbox.append_many``) to commit."""
        dialects.lock_key(self._c, SUBSCRIPTIONS_LOCK)
        return int(
            self._c.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))).scalar_one()
        )

    def save(self, s: EventSubscription) -> None:
        """Insert or replace the subscription (its health is kept on replace)."""
        values = {
            "config": config_to_json(s.config),
            "enabled": s.enabled,
            "provisioning_state": s.provisioning_state.value,
            "validation_code": s.validation_code,
            "validation_deadline": s.validation_deadline,
            "created_seq": s.created_seq,
            "secret": s.secret,
            "previous_secret": s.previous_secret,
            "previous_secret_expires": s.previous_secret_expires,
            "updated_at": s.updated_at,
        }
        touch(self._c, DELIVERIES)  # dispatchers look at its state again
        updated = self._c.execute(subs.update().where(subs.c.name == s.name).values(**values))
        if updated.rowcount == 0:
            self._c.execute(
                subs.insert().values(
                    name=s.name,
                    created_at=s.created_at,
                    consecutive_failures=0,
                    **values,
                )
            )

    def get(self, name: str, *, lock: bool = False) -> EventSubscription | None:
        query = sa.select(subs).where(subs.c.name == name)
        if lock:
            query = query.with_for_update()
        row = self._c.execute(query).first()
        return _subscription(row) if row else None

    def all(self) -> list[EventSubscription]:
        rows = self._c.execute(_ALL)
        return [_subscription(r) for r in rows]

    def delete(self, name: str) -> bool:
        return self._c.execute(subs.delete().where(subs.c.name == name)).rowcount > 0

    def record_health(
        self, outcomes: dict[str, tuple[int, int, float]], now: datetime, threshold: int
    ) -> None:
        """``outcomes``: name -> (successes, failures, probation seconds of the last failure).

        A success resets the failure count and ends probation; failures add up, and from
        ``threshold`` consecutive failures on, the endpoint is on probation.
        """
        for name, (ok, failed, probation) in outcomes.items():
            if ok and not failed:
                self._c.execute(
                    subs.update()
                    .where(subs.c.name == name)
                    .where(
                        sa.or_(subs.c.consecutive_failures > 0, subs.c.probation_until.is_not(None))
                    )
                    .values(consecutive_failures=0, probation_until=None)
                )
                continue
            count = sa.literal(failed) if ok else subs.c.consecutive_failures + failed
            until = sa.case(
                (count >= threshold, sa.literal(now + timedelta(seconds=probation), Timestamp)),
                else_=None,
            )
            self._c.execute(
                subs.update()
                .where(subs.c.name == name)
                .values(consecutive_failures=count, probation_until=until)
            )
