"""The ports package: ``Tx`` gathers every repository, each service's slice is part of it,
and the SQL transaction has them all (and savepoints)."""

from __future__ import annotations

from functools import cached_property

from typing_extensions import get_protocol_members

import tidings.ports as ports
from tidings.ports import SmsTx, Tx
from tidings.storage.database import SqlTx


def _sql_tx_is_a_tx(tx: SqlTx) -> Tx:
    return tx  # mypy checks that SqlTx satisfies Tx (and so every slice)


def _tx_is_every_slice(tx: Tx) -> SmsTx:
    return tx


def _slices() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(ports).items()
        if name.endswith("Tx") and name not in {"Tx", "SqlTx"} and isinstance(value, type)
    }


def test_every_slice_is_part_of_tx() -> None:
    everything = get_protocol_members(Tx)
    slices = _slices()
    assert len(slices) >= 18
    for name, protocol in slices.items():
        members = get_protocol_members(protocol)
        assert members and members <= everything, name
        assert len(members) < len(everything), name  # a slice, not the whole


def test_tx_has_every_repository_of_the_sql_transaction() -> None:
    repositories = {n for n, v in vars(SqlTx).items() if isinstance(v, cached_property)}
    assert get_protocol_members(Tx) == repositories | {"savepoint"}


def test_every_name_is_importable_from_tidings_ports() -> None:
    assert sorted(ports.__all__) == sorted(set(ports.__all__))
    for name in ports.__all__:
        assert getattr(ports, name).__module__.startswith("tidings.ports."), name
