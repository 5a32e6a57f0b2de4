"""How many parts a bind's sender claims at once: what its window sends in
``LOOKAHEAD_SECONDS`` at the measured response time, never under two windows nor over
``MAX_CLAIM`` (a window of 10 answered in 5 ms needed a claim transaction every 10 ms, and
fell behind at 2,000 messages/s; a slow bind must not hoard the queue)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from tests.e2e.smpp_fixtures import options
from tidings.carriers.smpp.metrics import SmppMetrics
from tidings.carriers.smpp.pipeline import Health
from tidings.carriers.smpp.sender import LOOKAHEAD_SECONDS, MAX_CLAIM, Sender
from tidings.domain.smpp import bind_plan
from tidings.ports import SystemClock


def _sender(window: int) -> Sender:
    opts = options(2775, window=window)
    return Sender(
        "acme",
        bind_plan(opts)[0],
        opts,
        cast(Any, None),
        SystemClock(),
        wake=asyncio.Event(),
        relay=cast(Any, None),
        metrics=SmppMetrics().bind("acme", "b"),
        health=Health(),
    )


@pytest.mark.parametrize(
    ("window", "rtt", "claim"),
    [
        (10, None, 20),  # no answer yet: two windows
        (10, 0.005, int(10 * LOOKAHEAD_SECONDS / 0.005)),  # fast: what 100 ms sends
        (50, 0.0001, MAX_CLAIM),  # very fast: capped
        (1, 0.2, 2),  # slow: two windows, not more
        (10, 0.05, 20),
    ],
)
def test_a_claim_is_what_the_window_sends_in_the_lookahead(
    window: int, rtt: float | None, claim: int
) -> None:
    sender = _sender(window)
    sender._rtt = rtt
    assert sender._claim_size() == claim
