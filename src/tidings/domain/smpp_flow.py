"""Flow control of one bind (pure): a token bucket, throttle slow-down, reconnect backoff."""

from __future__ import annotations

import random


class TokenBucket:
    """``rate`` tokens a second, up to ``burst``; ``rate == 0`` means unlimited.

    Times are seconds on a monotonic clock the caller passes in."""

    def __init__(self, rate: float, burst: float | None = None, *, now: float = 0.0) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.burst
        self._at = now

    def take(self, now: float, wanted: int) -> tuple[int, float]:
        """How many of ``wanted`` may go now, and how long to wait before asking again."""
        if self.rate <= 0:
            return wanted, 0.0
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        granted = min(wanted, int(self._tokens))
        self._tokens -= granted
        wait = 0.0 if granted == wanted else (1 - (self._tokens % 1)) / self.rate
        return granted, wait

    def refund(self, count: int) -> None:
        """Give back tokens taken for work that did not happen."""
        if self.rate > 0 and count > 0:
            self._tokens = min(self.burst, self._tokens + count)


class Throttle:
    """The SMSC said ESME_RTHROTTLED / ESME_RMSGQFUL: pause the bind, doubling per repeat
    (``base`` .. ``cap`` seconds); a successful submit resets it."""

    def __init__(self, base: float = 1.0, cap: float = 30.0) -> None:
        self.base = base
        self.cap = cap
        self.level = 0
        self.until = 0.0

    def hit(self, now: float) -> float:
        delay = float(min(self.cap, self.base * 2**self.level))
        self.level += 1
        self.until = max(self.until, now + delay)
        return delay

    def ok(self) -> None:
        self.level = 0

    def wait(self, now: float) -> float:
        return max(0.0, self.until - now)


def backoff(attempt: int, low: float, high: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter over the upper half: ``attempt`` 0, 1, 2 ..."""
    ceiling = min(high, low * 2**attempt)
    return float(rng.uniform(ceiling / 2, ceiling))


def retry_delay(attempts: int) -> float:
    """Delay before resending a message after a temporary submit error."""
    return float(min(2**attempts, 300))
