"""The client-side rate limit, on a fake clock: requests spaced by 1/rate seconds."""

from __future__ import annotations

import itertools

import pytest

from dacapo.notifications.ratelimit import RateLimiter


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(rate: float, clock: FakeClock, margin: float = 0.0) -> RateLimiter:
    return RateLimiter(rate, margin=margin, clock=clock, sleep=clock.sleep)


def test_the_first_request_goes_at_once() -> None:
    clock = FakeClock()
    assert limiter(5, clock).acquire() == 0
    assert clock.sleeps == []


def test_requests_in_a_burst_are_spaced_by_one_over_the_rate() -> None:
    clock = FakeClock()
    rate_limit = limiter(4, clock)
    instants = []
    for _ in range(9):
        rate_limit.acquire()
        instants.append(clock.now)
    gaps = [round(b - a, 9) for a, b in itertools.pairwise(instants)]
    assert gaps == [0.25] * 8  # to the nanosecond
    assert instants[-1] - instants[0] == pytest.approx(2.0)


def test_no_second_ever_holds_more_than_the_rate() -> None:
    clock = FakeClock()
    rate_limit = limiter(10, clock)
    instants = []
    for step in range(50):
        clock.now += 0.03 * (step % 4)  # the caller's own work, irregular
        rate_limit.acquire()
        instants.append(clock.now)
    for start in instants:
        assert sum(start <= t < start + 1.0 for t in instants) <= 10


def test_a_caller_slower_than_the_rate_never_waits() -> None:
    clock = FakeClock()
    rate_limit = limiter(2, clock)
    for _ in range(5):
        assert rate_limit.acquire() == 0
        clock.now += 0.6
    assert clock.sleeps == []


def test_only_the_remaining_time_is_slept() -> None:
    clock = FakeClock()
    rate_limit = limiter(2, clock)
    rate_limit.acquire()
    clock.now += 0.2
    assert rate_limit.acquire() == pytest.approx(0.3)
    assert clock.sleeps == [pytest.approx(0.3)]


def test_a_sleep_that_wakes_early_sleeps_again() -> None:
    clock = FakeClock()

    def early(seconds: float) -> None:  # the first sleep wakes 0.4 s early
        clock.now += seconds - (0.4 if not clock.sleeps else 0.0)
        clock.sleeps.append(seconds)

    rate_limit = RateLimiter(1, margin=0, clock=clock, sleep=early)
    rate_limit.acquire()
    start = clock.now
    rate_limit.acquire()
    assert clock.now - start >= 1.0 - 1e-9
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(0.4)]


def test_by_default_the_spacing_keeps_a_margin_of_two_percent_for_network_jitter() -> None:
    clock = FakeClock()
    rate_limit = RateLimiter(10, clock=clock, sleep=clock.sleep)
    rate_limit.acquire()
    rate_limit.acquire()
    assert clock.sleeps == [pytest.approx(0.102)]


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_a_rate_that_is_not_a_positive_number_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(rate)
