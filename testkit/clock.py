"""A clock for the action whose sleeps are recorded, never slept: no test waits for real time."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    """Wall time stands still at `now`; monotonic time moves only when the action sleeps."""

    def __init__(self, now: datetime = NOW) -> None:
        self.wall = now
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds
