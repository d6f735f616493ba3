"""Time, injected: the real clock in a run, a fake one in tests (no test sleeps)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def elapsed(seconds: float) -> str:
    """'42s', '3m05s', '1h02m' for progress lines."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


@dataclass(frozen=True)
class Budget:
    """How long one run may wait (timeout-minutes) and how often it looks (poll-interval)."""

    clock: Clock
    started: float
    poll: float
    timeout_minutes: int

    @classmethod
    def start(cls, clock: Clock, *, poll: float, timeout_minutes: int) -> Budget:
        return cls(clock, clock.monotonic(), poll, timeout_minutes)

    @property
    def deadline(self) -> float:
        return self.started + self.timeout_minutes * 60

    def stamp(self) -> str:
        """'[  1m05s]': the time since the run started, for progress lines."""
        return f"[{elapsed(self.clock.monotonic() - self.started):>6}]"
