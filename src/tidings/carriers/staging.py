"""``submit`` for a carrier that stages: its writes in a transaction of their own."""

from __future__ import annotations

from tidings.errors import CarrierError
from tidings.ports import DeliveryTx, Staged, Store, SubmitResult


async def submit_staged(
    store: Store[DeliveryTx], staged: Staged
) -> list[SubmitResult | CarrierError]:
    """Commit ``staged``'s writes on their own, then tell the carrier; return its answers."""
    if staged.writes:
        await store.write_async(staged.write)
    staged.done()
    return staged.answers
