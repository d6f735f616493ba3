"""The wait loop says what it is doing before it logs a progress line, so a cancel is reported right."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clone_action.aws.waiting import Waiting
from clone_action.cancel import Ledger
from clone_action.clock import Budget
from clone_action.errors import WaitTimeout
from testkit.clock import FakeClock


class Poller(Waiting):
    """The wait loop alone: a fake clock, and a log that notes what the ledger said at each line."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.ledger = Ledger()
        self.seen: list[tuple[str, str]] = []  # (line, ledger.doing when it was logged)
        self.log: Callable[[str], None] = lambda line: self.seen.append((line, self.ledger.doing))


def looks(*answers: tuple[str, bool]) -> Callable[[], tuple[str, bool]]:
    remaining = list(answers)
    return lambda: remaining.pop(0)


def timeout(line: str) -> WaitTimeout:
    return WaitTimeout(f"timed out ({line})")


def test_a_progress_line_is_logged_once_the_ledger_says_the_run_waits() -> None:
    # The runner's SIGINT can arrive the instant the line is out: the report must say "waiting".
    poller = Poller()
    budget = Budget.start(poller.clock, poll=30, timeout_minutes=10)

    poller._poll(
        looks(
            ("cluster c: creating", False), ("cluster c: modifying", False), ("cluster c: available", True)
        ),
        budget,
        timeout,
    )

    assert poller.seen == [
        ("[    0s] cluster c: creating", "waiting 30s between status checks (cluster c: creating)"),
        ("[   30s] cluster c: modifying", "waiting 30s between status checks (cluster c: modifying)"),
        ("[ 1m00s] cluster c: available", ""),
    ]
    assert poller.clock.sleeps == [30, 30]
    assert poller.ledger.doing == ""


def test_the_ledger_is_cleared_when_the_wait_times_out() -> None:
    poller = Poller()
    budget = Budget.start(poller.clock, poll=60, timeout_minutes=1)

    with pytest.raises(WaitTimeout, match=r"^timed out \(cluster c: creating\)$"):
        poller._poll(looks(("cluster c: creating", False), ("cluster c: creating", False)), budget, timeout)

    assert poller.seen == [
        ("[    0s] cluster c: creating", "waiting 60s between status checks (cluster c: creating)")
    ]
    assert poller.clock.sleeps == [60]
    assert poller.ledger.doing == ""
