"""A cancelled job (the runner's SIGINT) at every AWS call boundary of clone and teardown.

A botocore hook on the action's own client sends the real signal to this process just before a
call goes out, or just after its answer came back (the answer is then lost, as when the runner
cancels while RDS has already acted). Each case checks what a user sees (exit code, one
::error, the summary), that the error tells the truth about what exists in AWS, that
everything that exists carries its expiry, and that a plain rerun converges.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from testkit.events import pr_event
from testkit.fake_aws import Account, Moto
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness, SignalAt
from testkit.runner import Result

CLONE = "prod-pr-7"
INSTANCE = "prod-pr-7-1"
CLOSED = pr_event("closed")
BOUNDARIES = ("before-call", "after-call")


class Counter:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, **_: Any) -> None:
        self.seen += 1


def fresh(moto: Moto, tmp_path: Path, github: FakeGitHub, name: str) -> Harness:
    """moto emptied, the source 'prod' made again, and a harness whose runs go to the fake GitHub."""
    run_dir = tmp_path / name
    run_dir.mkdir()
    return Harness(Account.fresh(moto), run_dir, github)


def error_lines(result: Result) -> list[str]:
    return [line for line in result.log.splitlines() if line.startswith("::error")]


def existing(action: Harness) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rds = action.aws.rds
    clusters = [c for c in rds.describe_db_clusters()["DBClusters"] if c["DBClusterIdentifier"] != "prod"]
    instances = [i for i in rds.describe_db_instances()["DBInstances"] if i["DBClusterIdentifier"] != "prod"]
    return clusters, instances


def assert_reported(result: Result, sig: str = "SIGINT") -> str:
    """Exit 1, one ::error naming the cancellation, no traceback, the summary says it too."""
    assert result.code == 1, result.log
    assert "Traceback" not in result.log and "KeyboardInterrupt" not in result.log, result.log
    (error,) = error_lines(result)
    assert error.startswith(f"::error title=aurora-clone%3A cancelled::The run was cancelled ({sig}) while ")
    assert "### :x: Cancelled" in result.summary
    assert "**How to finish:** Re-run the job" in result.summary
    return error


def calls_of(run: Any, moto: Moto, tmp_path: Path, github: FakeGitHub, boundary: str) -> int:
    action = fresh(moto, tmp_path, github, f"count-{boundary}")
    counter = Counter()
    action.on(f"{boundary}.rds", counter)
    assert run(action).code == 0
    return counter.seen


def clone(action: Harness) -> Result:
    return action.run({"manage-master-password": "true"})


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_clone_cancelled_at_any_call_says_what_exists_and_a_rerun_finishes_it(
    moto: Moto, tmp_path: Path, github: FakeGitHub, boundary: str
) -> None:
    total = calls_of(clone, moto, tmp_path, github, boundary)
    assert total >= 10  # the source, the restore, the instance, the password, the waits
    for n in range(1, total + 1):
        action = fresh(moto, tmp_path, github, f"{boundary}-{n}")
        hook = SignalAt(n)
        action.on(f"{boundary}.rds", hook)
        result = clone(action)
        where = f"{boundary} call {n} ({hook.operation})"

        error = assert_reported(result)
        clusters, instances = existing(action)
        if not clusters:
            # Before a call goes out the action cannot tell it apart from one in flight.
            assert "Nothing was created or changed in AWS." in error or (
                f"asked RDS to create the clone '{CLONE}' (no answer yet: RDS may have done it)" in error
            ), (where, error)
        else:
            assert f"the clone '{CLONE}'" in error, (where, error)
            assert "tagged aurora-clone/expires-at=2026-12-02T12:00:00Z" in error, where
        for instance in instances:
            assert f"the DB instance '{instance['DBInstanceIdentifier']}'" in error, (where, error)
        for resource in clusters + instances:
            tags = {t["Key"]: t["Value"] for t in resource["TagList"]}
            assert tags["aurora-clone/managed"] == "true", where
            assert tags["aurora-clone/expires-at"] == "2026-12-02T12:00:00Z", where
        assert "endpoint" not in result.outputs or clusters, where

        action.clock.t += 60
        rerun = clone(action)
        assert rerun.code == 0, (where, rerun.log)
        assert rerun.outputs["status"] == "available", where
        assert rerun.outputs["master-user-secret-arn"], where
        clusters, instances = existing(action)
        assert [c["DBClusterIdentifier"] for c in clusters] == [CLONE], where
        assert [i["DBInstanceIdentifier"] for i in instances] == [INSTANCE], where


def teardown_after_clone(action: Harness) -> Result:
    return action.run(event=CLOSED)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_teardown_cancelled_at_any_call_says_what_it_started_and_a_rerun_deletes_the_clone(
    moto: Moto, tmp_path: Path, github: FakeGitHub, boundary: str
) -> None:
    def counted(action: Harness) -> Result:
        assert action.run().code == 0
        counter = Counter()
        action.on(f"{boundary}.rds", counter)
        result = teardown_after_clone(action)
        counted.total = counter.seen  # type: ignore[attr-defined]
        return result

    action = fresh(moto, tmp_path, github, f"count-teardown-{boundary}")
    assert counted(action).code == 0
    total: int = counted.total  # type: ignore[attr-defined]
    assert total >= 5  # describe, instances, a describe before each of the two deletes, the wait
    for n in range(1, total + 1):
        action = fresh(moto, tmp_path, github, f"teardown-{boundary}-{n}")
        assert action.run().code == 0
        hook = SignalAt(n, signal.SIGTERM)
        action.on(f"{boundary}.rds", hook)
        result = teardown_after_clone(action)
        where = f"{boundary} call {n} ({hook.operation})"

        error = assert_reported(result, "SIGTERM")
        clusters, instances = existing(action)
        deleting = [i for i in instances if i["DBInstanceStatus"] == "deleting"]
        # The first two calls are its look at the clone and at its instances.
        if n <= 2:
            assert f"The clone '{CLONE}' was" not in error, (where, error)
        else:
            assert f"The clone '{CLONE}' was available when this run looked (instances: '{INSTANCE}')." in (
                error
            ), (where, error)
        if len(clusters) == 1 and len(instances) == 1 and not deleting:
            # Before a call goes out the action cannot tell it apart from one in flight.
            assert "Nothing was deleted or changed in AWS." in error or (
                "(no answer yet: RDS may have done it)" in error
            ), (where, error)
        else:  # the error names each deletion RDS accepted (or may have)
            assert f"delete the DB instance '{INSTANCE}'" in error or (
                f"started deleting the DB instance '{INSTANCE}'" in error
            ), (where, error)
            if not clusters or clusters[0]["Status"] == "deleting":
                assert f"the cluster '{CLONE}'" in error, (where, error)

        rerun = teardown_after_clone(action)
        assert rerun.code == 0, (where, rerun.log)
        assert existing(action) == ([], []), where


def test_a_signal_while_waiting_between_status_checks_ends_the_wait_at_once(
    action: Harness,
) -> None:
    """The sleep between two polls is where a long clone spends its time: a cancel ends it."""

    class CancelOnSleep:
        def __init__(self, clock: Any) -> None:
            self.clock = clock

        def sleep(self, seconds: float) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            self.clock.sleep(seconds)

    sleeps = CancelOnSleep(action.clock)
    action.clock.sleep = sleeps.sleep  # type: ignore[method-assign]
    from testkit.rds_model import statuses

    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating", "available"]))
    result = action.run()

    error = assert_reported(result)
    assert "while waiting 15s between status checks" in error
    assert f"This run created the clone '{CLONE}'; added the DB instance '{INSTANCE}'" in error


def test_a_purge_cancelled_after_many_deletions_names_a_few_and_lists_every_one_in_the_summary(
    action: Harness, github: FakeGitHub
) -> None:
    action.expired_clones(8)
    deletes = SignalAt(8)  # the 8th DeleteDBCluster's answer is lost
    action.on("after-call.rds.DeleteDBCluster", deletes)

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    error = assert_reported(result)
    assert error.endswith("; and 2 more (the job summary lists them); RDS goes on with what it accepted.")
    assert error.count("started deleting the cluster") == 6
    summary = result.summary.split("**Every change this run made:**")[1]
    assert [line for line in summary.splitlines() if line.startswith("- ")] == [
        f"- started deleting the cluster 'prod-pr-{n}'" for n in range(1, 8)
    ] + ["- asked RDS to delete the cluster 'prod-pr-8' (no answer yet: RDS may have done it)"]
    assert "**How to finish:** Re-run the job to finish the purge: it is safe to repeat." in result.summary


def test_a_rerun_cancelled_while_it_waits_on_the_clone_it_reuses_says_the_clone_was_there(
    action: Harness,
) -> None:
    from testkit.rds_model import statuses

    assert action.run().code == 0
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["modifying"]))
    action.on("after-call.rds.DescribeDBInstances", once_then_cancel())

    result = action.run(event=pr_event("synchronize"))

    error = assert_reported(result)
    assert (
        f"The clone '{CLONE}' existed before this run (modifying). This run updated the tags of '{CLONE}'"
        in error
    )


def once_then_cancel() -> Any:
    """Cancels at the first instance listing of the wait (after the rerun's retagging)."""
    seen = [0]

    def hook(**_: Any) -> None:
        seen[0] += 1
        if seen[0] == 2:  # the first is the reuse's own listing of the instances to retag
            os.kill(os.getpid(), signal.SIGINT)

    return hook
