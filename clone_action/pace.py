"""A token bucket on the injected clock: keeps a run's API calls under a share of an account's rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .clock import Clock


class TokenBucket:
    """Call before each API call: at most `burst` calls at once and `rate` a second on average.

    So any window of T seconds holds at most burst + rate * T calls. Waits with the clock's sleep
    (a test's fake clock only moves time forward), and keeps the total waited in `waited`.
    """

    def __init__(self, clock: Clock, *, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(
                f"a token bucket needs a rate above 0 and a burst of 1 or more, got {rate}, {burst}"
            )
        self.clock = clock
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.last = clock.monotonic()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now

    def __call__(self) -> None:
        self._refill()
        if self.tokens < 1:
            wait = (1 - self.tokens) / self.rate
            self.clock.sleep(wait)
            self.waited += wait
            self._refill()
        self.tokens -= 1
