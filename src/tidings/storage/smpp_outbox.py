"""SQL adapter of ``SmppRepo``, second half: report and inbound outboxes, MO parts, binds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tidings.domain.smpp import BindState, BindStatus
from tidings.domain.timefmt import ensure_utc
from tidings.ports.smpp import MoPart, PendingInbound, PendingReport
from tidings.storage import dialects
from tidings.storage.smpp_schema import smpp_binds, smpp_inbound, smpp_mo_parts, smpp_reports


def _status(r: Any) -> BindStatus:
    return BindStatus(
        carrier=r.carrier,
        bind=r.bind,
        mode=r.mode,
        state=r.state,
        owner=r.owner,
        last_error=r.last_error,
        last_status=r.last_status,
        since=ensure_utc(r.since),
        window_used=r.window_used,
        submitted=r.submitted,
        updated_at=ensure_utc(r.updated_at),
    )


class SqlSmppOutbox:
    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection

    # -- reports outbox ------------------------------------------------------------------------

    def add_reports(self, reports: Sequence[PendingReport]) -> None:
        if reports:
            self._c.execute(
                dialects.insert_ignore(self._c, smpp_reports),
                [
                    {
                        "message_id": r.message_id,
                        "delivered": r.delivered,
                        "code": r.code,
                        "details": r.details,
                        "at": r.at,
                        "attempts": [[a.isoformat(), ok, bad] for a, ok, bad in r.attempts],
                    }
                    for r in reports
                ],
            )

    def pending_reports(self, limit: int) -> list[PendingReport]:
        rows = self._c.execute(sa.select(smpp_reports).order_by(smpp_reports.c.at).limit(limit))
        return [
            PendingReport(
                r.message_id,
                bool(r.delivered),
                r.code,
                r.details,
                ensure_utc(r.at),
                tuple(
                    (ensure_utc(datetime.fromisoformat(a)), int(ok), int(bad))
                    for a, ok, bad in r.attempts
                ),
            )
            for r in rows
        ]

    def delete_reports(self, message_ids: Sequence[str]) -> None:
        if message_ids:
            self._c.execute(
                smpp_reports.delete().where(smpp_reports.c.message_id.in_(list(message_ids)))
            )

    # -- MO parts and inbound outbox -----------------------------------------------------------

    def add_parts(self, parts: Sequence[MoPart]) -> None:
        if parts:
            self._c.execute(
                dialects.insert_ignore(self._c, smpp_mo_parts),
                [
                    {
                        "carrier": p.carrier,
                        "sender": p.sender,
                        "recipient": p.recipient,
                        "ref": p.ref,
                        "total": p.total,
                        "seq": p.seq,
                        "body": p.body,
                        "received_at": p.received_at,
                    }
                    for p in parts
                ],
            )

    def complete_groups(self, limit: int) -> list[list[MoPart]]:
        m = smpp_mo_parts.c
        key = (m.carrier, m.sender, m.recipient, m.ref, m.total)
        groups = self._c.execute(
            sa.select(*key)
            .group_by(*key)
            .having(sa.func.count(sa.distinct(m.seq)) >= m.total)
            .limit(limit)
        ).all()
        out: list[list[MoPart]] = []
        for g in groups:
            rows = self._c.execute(
                sa.select(smpp_mo_parts)
                .where(*(col == value for col, value in zip(key, g, strict=True)))
                .order_by(m.seq)
            )
            out.append(
                [
                    MoPart(
                        r.carrier,
                        r.sender,
                        r.recipient,
                        r.ref,
                        r.total,
                        r.seq,
                        r.body,
                        ensure_utc(r.received_at),
                    )
                    for r in rows
                ]
            )
        return out

    def delete_parts(self, groups: Sequence[Sequence[MoPart]]) -> None:
        m = smpp_mo_parts.c
        for group in groups:
            p = group[0]
            self._c.execute(
                smpp_mo_parts.delete().where(
                    m.carrier == p.carrier,
                    m.sender == p.sender,
                    m.recipient == p.recipient,
                    m.ref == p.ref,
                    m.total == p.total,
                )
            )

    def expire_parts(self, before: datetime) -> int:
        result = self._c.execute(smpp_mo_parts.delete().where(smpp_mo_parts.c.received_at < before))
        return int(result.rowcount or 0)

    def add_inbound(self, items: Sequence[PendingInbound]) -> list[PendingInbound]:
        out: list[PendingInbound] = []
        for i in items:
            new_id = self._c.execute(
                smpp_inbound.insert()
                .values(
                    sender=i.sender,
                    recipient=i.recipient,
                    body=i.body,
                    segments=i.segments,
                    received_at=i.received_at,
                )
                .returning(smpp_inbound.c.id)
            ).scalar_one()
            out.append(
                PendingInbound(
                    int(new_id), i.sender, i.recipient, i.body, i.segments, i.received_at
                )
            )
        return out

    def pending_inbound(self, limit: int) -> list[PendingInbound]:
        rows = self._c.execute(sa.select(smpp_inbound).order_by(smpp_inbound.c.id).limit(limit))
        return [
            PendingInbound(
                r.id, r.sender, r.recipient, r.body, r.segments, ensure_utc(r.received_at)
            )
            for r in rows
        ]

    def delete_inbound(self, ids: Sequence[int]) -> None:
        if ids:
            self._c.execute(smpp_inbound.delete().where(smpp_inbound.c.id.in_(list(ids))))

    # -- bind leases and status -----------------------------------------------------------------

    def acquire(
        self, carrier: str, bind: str, mode: str, owner: str, now: datetime, until: datetime
    ) -> bool:
        b = smpp_binds.c
        self._c.execute(
            dialects.insert_ignore(self._c, smpp_binds),
            [
                {
                    "carrier": carrier,
                    "bind": bind,
                    "mode": mode,
                    "owner": None,
                    "lease_until": None,
                    "state": BindState.STOPPED.value,
                    "since": now,
                    "window_used": 0,
                    "submitted": 0,
                    "updated_at": now,
                }
            ],
        )
        result = self._c.execute(
            smpp_binds.update()
            .where(
                b.carrier == carrier,
                b.bind == bind,
                sa.or_(b.owner.is_(None), b.owner == owner, b.lease_until < now),
            )
            .values(owner=owner, lease_until=until, mode=mode)
        )
        return bool(result.rowcount)

    def release(self, carrier: str, bind: str, owner: str, now: datetime) -> None:
        b = smpp_binds.c
        self._c.execute(
            smpp_binds.update()
            .where(b.carrier == carrier, b.bind == bind, b.owner == owner)
            .values(
                owner=None,
                lease_until=None,
                state=BindState.STOPPED.value,
                window_used=0,
                since=now,
                updated_at=now,
            )
        )

    def set_status(self, status: BindStatus, owner: str) -> None:
        b = smpp_binds.c
        self._c.execute(
            smpp_binds.update()
            .where(b.carrier == status.carrier, b.bind == status.bind, b.owner == owner)
            .values(
                state=status.state,
                last_error=status.last_error,
                last_status=status.last_status,
                since=status.since,
                window_used=status.window_used,
                submitted=status.submitted,
                updated_at=status.updated_at,
            )
        )

    def statuses(self, carrier: str | None = None) -> list[BindStatus]:
        query = sa.select(smpp_binds).order_by(smpp_binds.c.carrier, smpp_binds.c.bind)
        if carrier is not None:
            query = query.where(smpp_binds.c.carrier == carrier)
        return [_status(r) for r in self._c.execute(query)]

    def live_binds(self, carrier: str, now: datetime) -> list[BindStatus]:
        b = smpp_binds.c
        query = sa.select(smpp_binds).where(
            b.carrier == carrier, b.state == BindState.BOUND.value, b.lease_until >= now
        )
        return [_status(r) for r in self._c.execute(query)]
