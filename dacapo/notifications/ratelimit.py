"""A client-side rate limit: never more than ``rate`` requests in any second.

Requests are spaced by at least ``1 / rate`` seconds, measured on a monotonic
clock: then any window of one second holds at most ``rate`` of them. A token
bucket would let a burst of ``rate`` through on top of the steady flow (twice
the rate in the first second), which SMS gateways answer with 429.

The gateway counts arrivals, not departures, and the network moves each one
by a few milliseconds (the first request of a process, which opens the first
connection, arrives late): spaced by exactly ``1 / rate``, the first and the
``rate + 1``-th could land inside one second. So the spacing has a margin,
``margin`` (2 %: 20 ms of slack per second at any rate) — the price is 2 % of
the throughput.

The clock and the sleep are parameters, so tests run on a fake clock.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``acquire()`` before each request; it sleeps as long as the spacing needs."""

    def __init__(
        self,
        rate: float,
        *,
        margin: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"the rate must be a positive number of requests per second: {rate}")
        self.rate = rate
        if not 0 <= margin < 1:
            raise ValueError(f"the margin is a fraction of the spacing, from 0 to 1: {margin}")
        # A part per billion on top, so that float rounding of the instants never
        # fits rate + 1 requests into one second, even without a margin.
        self.interval = (1.0 + margin + 1e-9) / rate
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None  # the earliest instant of the next request
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait for this request's turn; returns the seconds waited.

        Thread-safe: requests from several threads share one spacing.
        """
        with self._lock:
            start = now = self._clock()
            while self._next is not None and now < self._next:  # loops if a sleep woke early
                self._sleep(self._next - now)
                now = self._clock()
            self._next = now + self.interval
            return now - start
