"""The token bucket purge paces RDS calls with: never more than burst + rate * T calls in T seconds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clone_action.pace import TokenBucket
from testkit.clock import FakeClock


def busiest(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if start <= t <= start + window) for start in times), default=0)


def test_a_burst_goes_at_once_then_one_call_every_1_over_rate_seconds() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock, rate=5, burst=3)
    times = []
    for _ in range(8):
        bucket()
        times.append(round(clock.monotonic() - 1000, 6))
    assert times == [0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert bucket.waited == pytest.approx(1.0)


def test_time_passing_between_calls_refills_the_bucket_no_further_than_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock, rate=5, burst=3)
    clock.sleep(60)  # an hour of waiting on RDS earns no more than the burst
    for _ in range(3):
        bucket()
    assert bucket.waited == 0
    bucket()
    assert bucket.waited == pytest.approx(0.2)


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=120),
    rate=st.sampled_from([1.0, 5.0, 8.0]),
    burst=st.integers(1, 5),
)
def test_no_window_holds_more_than_burst_plus_rate_times_its_length(
    gaps: list[float], rate: float, burst: int
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(clock, rate=rate, burst=burst)
    times = []
    for gap in gaps:
        clock.sleep(gap)  # the caller's own work between calls
        bucket()
        times.append(clock.monotonic())
    for window in (1.0, 10.0):
        assert busiest(times, window) <= burst + rate * window + 1e-9


def test_a_bucket_needs_a_rate_and_a_burst() -> None:
    with pytest.raises(ValueError, match="a rate above 0 and a burst of 1 or more"):
        TokenBucket(FakeClock(), rate=0, burst=3)
