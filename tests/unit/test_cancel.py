"""The signal handling itself: a real sleep is cut short, a second signal does not cut the report."""

from __future__ import annotations

import os
import signal

import pytest

from clone_action.cancel import Cancelled, Change, Ledger, cancellable
from clone_action.clock import SystemClock


def test_sigint_ends_a_real_sleep_at_once_with_cancelled() -> None:
    # The runner's SIGINT arrives during SystemClock.sleep (the wait between two polls): the
    # handler raises inside time.sleep, so the run does not sleep on to the end of its poll.
    previous = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        with cancellable(), pytest.raises(Cancelled) as raised:
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            SystemClock().sleep(3600)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert raised.value.signal_name == "SIGINT"


def test_the_signal_after_the_first_is_ignored_so_the_report_is_written_whole() -> None:
    written = []
    with cancellable():
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except Cancelled:
            os.kill(os.getpid(), signal.SIGTERM)  # 7.5 s later, on GitHub: no second exception
            written.append("report")
    assert written == ["report"]


def test_the_previous_handlers_are_back_after_the_run() -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with cancellable():
        assert signal.getsignal(signal.SIGINT) not in before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (Change("RestoreDBClusterToPointInTime", "prod-pr-7", True), "created the clone 'prod-pr-7'"),
        (
            Change("CreateDBInstance", "prod-pr-7-1"),
            "asked RDS to add the DB instance 'prod-pr-7-1' (no answer yet: RDS may have done it)",
        ),
        (Change("DeleteDBCluster", "prod-pr-7", True), "started deleting the cluster 'prod-pr-7'"),
    ],
)
def test_each_change_is_said_as_a_person_would(change: Change, said: str) -> None:
    assert str(change) == said


def test_a_tagged_resource_is_named_by_the_last_part_of_its_arn() -> None:
    ledger = Ledger()
    ledger.asked("AddTagsToResource", "arn:aws:rds:eu-west-1:123456789012:cluster:prod-pr-7").answered = True
    assert ledger.said() == "updated the tags of 'prod-pr-7'"
