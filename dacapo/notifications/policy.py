"""When to try a message again: exponential backoff with jitter, up to a limit.

Pure: the dispatcher passes the attempt number and ``now``; randomness comes
from a ``random.Random`` it may seed (tests do).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt ``n`` (1 for the first send) that failed transiently waits
    ``base * factor ** (n - 1)``, capped, with "equal jitter" (half fixed, half
    random), or the server's own delay when longer. After ``max_attempts``
    attempts the message is given up (failed)."""

    base: dt.timedelta = dt.timedelta(seconds=60)
    factor: float = 2.0
    cap: dt.timedelta = dt.timedelta(hours=6)
    max_attempts: int = 8
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempts: int, retry_after: dt.timedelta | None = None) -> dt.timedelta:
        """How long to wait after ``attempts`` attempts (at least ``retry_after``)."""
        exponent = max(attempts - 1, 0)
        seconds = min(self.base.total_seconds() * self.factor**exponent, self.cap.total_seconds())
        jittered = dt.timedelta(seconds=seconds / 2 + self.rng.uniform(0, seconds / 2))
        if retry_after is not None and retry_after > jittered:
            return retry_after
        return jittered

    def gives_up(self, attempts: int) -> bool:
        """Whether a transient failure at attempt ``attempts`` is the last one allowed."""
        return attempts >= self.max_attempts

    def next_attempt(
        self, now: dt.datetime, attempts: int, retry_after: dt.timedelta | None = None
    ) -> dt.datetime:
        return now + self.delay(attempts, retry_after)
