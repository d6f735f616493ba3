"""Runs that race each other or lose an answer: a teardown while a clone run is still at work, and
DBInstanceAlreadyExists after an SDK retry or a racing run.

The racing run is the real action (a second harness with its own client, so the first run's
hooks do not touch it), started from a botocore hook of the first run at the moment named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testkit.events import pr_event
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness

CLONE = "prod-pr-7"
INSTANCE = "prod-pr-7-1"
CLOSED = pr_event("closed")


def other_run(action: Harness, tmp_path: Path, name: str) -> Harness:
    run_dir = tmp_path / name
    run_dir.mkdir()
    return Harness(action.aws, run_dir, action.github)


def once(handler: Any) -> Any:
    done = False

    def hook(**kwargs: Any) -> None:
        nonlocal done
        if not done:
            done = True
            handler(**kwargs)

    return hook


def errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::error")]


def test_a_teardown_while_the_clone_run_waits_deletes_the_clone_and_the_clone_run_fails_cleanly(
    action: Harness, tmp_path: Path, github: FakeGitHub
) -> None:
    teardown = other_run(action, tmp_path, "teardown")
    results = []
    # The PR is closed just after the clone run added the instance, before its wait.
    action.on("after-call.rds.CreateDBInstance", once(lambda **_: results.append(teardown.run(event=CLOSED))))

    clone = action.run()

    (closed,) = results
    assert closed.code == 0, closed.log
    assert closed.outputs["status"] == "deleted"
    assert clone.code == 1, clone.log
    (error,) = errors(clone.log)
    assert f"The clone '{CLONE}' was deleted while the action waited for it." in error
    assert "A teardown or purge deleted it while this run was making it" in clone.summary
    assert "Nothing to do if the pull request is closed." in clone.summary
    assert action.cluster(CLONE) is None and action.instances(CLONE) == []
    assert "endpoint" not in clone.outputs
    # Nothing after the deletion tried to make the clone again or add to it.
    made = [n for n in action.calls.names() if n in ("RestoreDBClusterToPointInTime", "CreateDBInstance")]
    assert made == ["RestoreDBClusterToPointInTime", "CreateDBInstance"]


def test_a_teardown_between_the_restore_and_the_instance_leaves_nothing_behind(
    action: Harness, tmp_path: Path, github: FakeGitHub
) -> None:
    teardown = other_run(action, tmp_path, "teardown")
    results = []
    action.on(
        "before-call.rds.CreateDBInstance", once(lambda **_: results.append(teardown.run(event=CLOSED)))
    )

    clone = action.run()

    assert results[0].code == 0, results[0].log
    assert clone.code == 1, clone.log
    (error,) = errors(clone.log)
    assert f"The clone '{CLONE}' was deleted before its DB instance could be added" in error
    assert action.cluster(CLONE) is None
    instances = action.aws.rds.describe_db_instances()["DBInstances"]
    assert [i["DBInstanceIdentifier"] for i in instances] == ["prod-1"]  # the source's only
    assert action.calls.names().count("RestoreDBClusterToPointInTime") == 1


def test_an_instance_a_clone_run_adds_after_the_teardown_looked_is_deleted_too(
    action: Harness, tmp_path: Path
) -> None:
    """Teardown lists no instance (the clone run has not added it yet); by the cluster's delete it has one."""
    maker = other_run(action, tmp_path, "maker")
    rds = action.aws.rds
    clone = action.run()
    assert clone.code == 0, clone.log
    rds.delete_db_instance(DBInstanceIdentifier=INSTANCE, SkipFinalSnapshot=True)
    assert action.instances(CLONE) == []

    def clone_run_adds_its_instance(**_: Any) -> None:
        assert maker.run(event=pr_event("synchronize")).code == 0

    action.on("after-call.rds.DescribeDBInstances", once(clone_run_adds_its_instance))
    teardown = action.run(event=CLOSED)

    assert teardown.code == 0, teardown.log
    assert action.cluster(CLONE) is None and action.instances(CLONE) == []
    assert [p["DBInstanceIdentifier"] for p in action.calls.of("DeleteDBInstance")] == [INSTANCE]


def test_instance_already_exists_after_a_lost_answer_is_our_instance_reused(action: Harness) -> None:
    """The first CreateDBInstance reached RDS but its answer was lost (an SDK retry, or a run
    cancelled after sending it): RDS answers the next one DBInstanceAlreadyExists."""
    rds = action.aws.rds

    def earlier_request_made_it(params: dict[str, Any], **_: Any) -> None:
        rds.create_db_instance(**{k: v for k, v in params.items()})

    action.on("provide-client-params.rds.CreateDBInstance", once(earlier_request_made_it))
    result = action.run()

    assert result.code == 0, result.log
    assert f"The DB instance '{INSTANCE}' exists already" in result.log
    assert result.outputs["status"] == "available"
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == [INSTANCE]


def test_instance_already_exists_in_another_cluster_is_refused_and_nothing_is_changed(
    action: Harness,
) -> None:
    rds = action.aws.rds
    rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="a",
        MasterUserPassword="password1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )

    result = action.run()

    assert result.code == 1
    (error,) = errors(result.log)
    assert (
        f"A DB instance named '{INSTANCE}' already exists and is not this clone's: it belongs to the "
        "cluster 'analytics'. Nothing was changed." in error
    )
    instance = rds.describe_db_instances(DBInstanceIdentifier=INSTANCE)["DBInstances"][0]
    assert instance["DBClusterIdentifier"] == "analytics"
    assert [n for n in action.calls.changing() if n.startswith("Delete")] == []


def test_a_clone_being_deleted_refuses_the_instance_and_the_clone_run_stops_without_retrying(
    action: Harness,
) -> None:
    """RDS refuses CreateDBInstance while a teardown deletes the cluster: not a state to wait out."""
    action.busy("cluster", CLONE, "deleting", 3, "CreateDBInstance")

    result = action.run()

    assert result.code == 1
    (error,) = errors(result.log)
    assert (
        f"RDS refused to add the instance to '{CLONE}' (cluster {CLONE} is in deleting state): "
        f"the cluster '{CLONE}' is 'deleting'." in error
    )
    assert "A teardown or purge deleted it while this run was making it" in result.summary
    assert action.calls.names().count("CreateDBInstance") == 1
    assert action.clock.sleeps == []


def test_a_pr_closed_while_the_clone_run_restores_gets_its_clone_deleted_by_that_run(
    action: Harness, tmp_path: Path, github: FakeGitHub
) -> None:
    """The teardown ran before the restore and found nothing; the clone run sees the close after it."""
    github.pulls[7], github.labels[7] = "open", ["clone-db"]
    teardown = other_run(action, tmp_path, "teardown")
    results = []

    def closed_and_torn_down(**_: Any) -> None:
        github.pulls[7] = "closed"
        results.append(teardown.run(event=CLOSED))

    action.on("before-call.rds.RestoreDBClusterToPointInTime", once(closed_and_torn_down))
    clone = action.run()

    assert results[0].outputs["status"] == "not-found"  # the teardown came too early
    assert clone.code == 0, clone.log
    assert clone.outputs["action"] == "none"
    assert (
        "::notice title=aurora-clone%3A no action::Nothing to hand out: GitHub says pull request #7 is "
        "closed, and a closed pull request gets no clone (it changed while this run was cloning). The "
        f"clone '{CLONE}' it had just made is being deleted." in clone.log
    )
    assert action.cluster(CLONE) is None and action.instances(CLONE) == []
    assert "CreateDBInstance" not in action.calls.names()
    assert "endpoint" not in clone.outputs
