"""Messaging Connect partners: register them, lease numbers through them, retire them.

A partner is a name and the API keys it accepts (see ``domain/partners.py``). Numbers leased
through a partner are stored with the other numbers, marked with the partner's name: they
can send only with ``smsSendOptions.messagingConnect`` naming that partner, they receive
inbound messages and keyword opt-outs like any number, and the ACS phone numbers API does
not list, update or release them (the partner owns them, not the ACS resource).
"""

from __future__ import annotations

from dataclasses import dataclass

from tidings.domain.numbers import Capability, NumberType, PurchasedNumber
from tidings.domain.partners import Partner, partner_name, validate_keys
from tidings.errors import Conflict, NotFound
from tidings.ports import PartnersTx
from tidings.services.context import ServiceContext
from tidings.services.numbers import NumbersService


@dataclass(frozen=True)
class PartnerView:
    partner: Partner
    number_count: int


class PartnerService:
    def __init__(self, ctx: ServiceContext[PartnersTx], numbers: NumbersService) -> None:
        self._ctx = ctx
        self._numbers = numbers

    def put(self, name: str, api_keys: object) -> tuple[PartnerView, bool]:
        """Register ``name`` or replace its API keys; also says whether it was created."""
        key = partner_name(name)
        digests = validate_keys(api_keys)
        now = self._ctx.clock.now()

        def write(tx: PartnersTx) -> tuple[PartnerView, bool]:
            created = tx.partners.put(key, digests, now)
            return self._view(tx, key), created

        return self._ctx.store.write(write)

    def get(self, name: str) -> PartnerView:
        key = partner_name(name)
        return self._ctx.store.read(lambda tx: self._view(tx, key))

    def all(self) -> list[PartnerView]:
        return self._ctx.store.read(
            lambda tx: [PartnerView(p, tx.partners.number_count(p.name)) for p in tx.partners.all()]
        )

    def delete(self, name: str) -> None:
        """Remove a partner that leases no numbers any more."""
        key = partner_name(name)

        def write(tx: PartnersTx) -> None:
            view = self._view(tx, key)
            if view.number_count:
                raise Conflict(
                    f"Messaging Connect partner {key!r} still leases {view.number_count} "
                    "number(s); release them first."
                )
            tx.partners.delete(key)

        self._ctx.store.write(write)

    def lease(
        self,
        name: str,
        number: str,
        number_type: NumberType,
        *,
        sms: Capability = Capability.INBOUND_OUTBOUND,
        country_code: str | None = None,
    ) -> PurchasedNumber:
        """Lease ``number`` through the partner (idempotent)."""
        return self._numbers.provision(
            number, number_type, sms=sms, country_code=country_code, partner=partner_name(name)
        )

    def numbers(self, name: str, skip: int = 0, top: int = 100) -> list[PurchasedNumber]:
        key = partner_name(name)

        def read(tx: PartnersTx) -> list[PurchasedNumber]:
            self._view(tx, key)
            return tx.numbers.page(skip, top, partner=key)

        return self._ctx.store.read(read)

    def release(self, name: str, number: str) -> None:
        key = partner_name(name)

        def write(tx: PartnersTx) -> None:
            found = tx.numbers.get(number)
            if found is None or found.partner != key:
                raise NotFound(
                    f"The number {number} is not leased through partner {key!r}.",
                    code="PhoneNumberNotFound",
                )
            tx.numbers.delete(number)

        self._ctx.store.write(write)

    @staticmethod
    def _view(tx: PartnersTx, key: str) -> PartnerView:
        partner = tx.partners.get(key)
        if partner is None:
            raise NotFound(f"Messaging Connect partner {key!r} was not found.")
        return PartnerView(partner, tx.partners.number_count(key))
