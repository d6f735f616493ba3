"""Teardown, end to end: entrypoint.py as the runner runs it, against a moto server.

Every run points GITHUB_API_URL at a closed port, so the PR comment never reaches real GitHub;
its failure is a warning, never an error, and the tests check that it stays one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from testkit.events import REPOSITORY, pr_event
from testkit.fake_aws import Account
from testkit.runner import CLOSED_PORT, Result, RunAction

CLONE = "prod-pr-7"
INSTANCE = f"{CLONE}-1"
TEARDOWN_OUTPUTS = {"action", "cluster-id", "status"}
DISPATCH = {"mode": "teardown", "pr-number": "7"}


def no_traceback(run: Result) -> None:
    assert "Traceback" not in run.log + run.stderr


def only_comment_warnings(run: Result) -> None:
    """The one warning a run may show here: the PR comment could not reach (the closed-port) GitHub."""
    for line in run.commands("warning"):
        assert "PR comment not updated" in line, line


def ok(run: Result) -> None:
    assert run.code == 0, run.log + run.stderr
    no_traceback(run)
    assert run.commands("error") == []
    only_comment_warnings(run)


def instance_ids(aws: Account, cluster_id: str) -> list[str]:
    return sorted(i["DBInstanceIdentifier"] for i in aws.instances(cluster_id))


def source_intact(aws: Account) -> None:
    """Safety rule 2: the source and its instance are there, untouched."""
    assert "prod" in aws.cluster_ids()
    prod = aws.cluster("prod")
    assert prod["Status"] == "available"
    assert prod["DeletionProtection"] is True
    assert instance_ids(aws, "prod") == ["prod-1"]
    assert aws.tags(prod["DBClusterArn"]) == {"env": "production", "cost-center": "shop"}


@pytest.fixture
def act(run_action: RunAction) -> RunAction:
    """run_action with GitHub's API on a closed port: no run of this module reaches github.com."""

    def run(
        inputs: Mapping[str, str | None] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "pull_request",
        env: Mapping[str, str | None] | None = None,
    ) -> Result:
        return run_action(
            inputs=inputs,
            event=event,
            event_name=event_name,
            env={"GITHUB_API_URL": CLOSED_PORT, **(env or {})},
        )

    return run


@pytest.fixture
def cloned(aws: Account, act: RunAction) -> Account:
    """The server after PR #7 was labeled clone-db: 'prod-pr-7' and its instance exist."""
    run = act(event=pr_event("labeled", label="clone-db"))
    ok(run)
    assert (run.outputs["action"], run.outputs["cluster-id"], run.outputs["created"]) == (
        "clone",
        CLONE,
        "true",
    )
    assert aws.cluster_ids() == sorted(["prod", CLONE])
    assert instance_ids(aws, CLONE) == [INSTANCE]
    return aws


def assert_deleted(run: Result, aws: Account) -> None:
    ok(run)
    assert run.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleted"}
    assert aws.cluster_ids() == ["prod"]
    assert aws.instances(CLONE) == []
    source_intact(aws)


def test_closed_pr_deletes_its_clone_and_only_its_clone(cloned: Account, act: RunAction) -> None:
    run = act(event=pr_event("closed", labels=("clone-db",)))

    assert_deleted(run, cloned)
    assert set(run.outputs) == TEARDOWN_OUTPUTS
    assert "aurora-clone: teardown (pull_request 'closed': the pull request was closed)" in run.log
    assert f"Deleting '{CLONE}' (instances: {INSTANCE}), no final snapshot" in run.log
    assert f"Clone '{CLONE}' deleted after" in run.log
    assert run.commands("notice") == []
    (warning,) = run.commands("warning")  # the PR comment was attempted (GitHub is a closed port here)
    assert "could not reach GitHub" in warning
    assert f"### Aurora clone deleted: `{CLONE}`" in run.summary
    assert f"| Cluster | `{CLONE}` |" in run.summary
    assert f"| Instances | `{INSTANCE}` |" in run.summary
    assert "| Status | deleted |" in run.summary
    assert "| Final snapshot | none" in run.summary
    assert ":x:" not in run.summary


def test_second_teardown_is_a_no_op(cloned: Account, act: RunAction) -> None:
    first = act(event=pr_event("closed"))
    assert_deleted(first, cloned)

    again = act(event=pr_event("closed"))

    ok(again)
    (notice,) = again.commands("notice")
    assert "Nothing to delete" in notice
    assert f"there is no cluster '{CLONE}' in eu-west-1" in notice
    assert again.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "not-found"}
    assert "nothing to delete" in again.summary
    assert "Deleting" not in again.log
    assert cloned.cluster_ids() == ["prod"]
    source_intact(cloned)


def test_removing_the_clone_label_deletes_the_clone(cloned: Account, act: RunAction) -> None:
    run = act(event=pr_event("unlabeled", labels=(), label="clone-db"))

    assert_deleted(run, cloned)
    assert "the label 'clone-db' was removed" in run.log


def test_removing_another_label_leaves_the_clone(cloned: Account, act: RunAction) -> None:
    run = act(event=pr_event("unlabeled", labels=("clone-db",), label="needs-review"))

    ok(run)
    assert run.outputs == {"action": "none"}
    (notice,) = run.commands("notice")
    assert "Nothing to do" in notice and "the label removed is not 'clone-db'" in notice
    assert cloned.cluster_ids() == sorted(["prod", CLONE])
    assert instance_ids(cloned, CLONE) == [INSTANCE]
    assert cloned.cluster(CLONE)["Status"] == "available"


def test_closing_a_pr_that_was_never_cloned_deletes_nothing(aws: Account, act: RunAction) -> None:
    run = act(event=pr_event("closed", labels=()))

    ok(run)
    (notice,) = run.commands("notice")
    assert f"Nothing to delete: there is no cluster '{CLONE}'" in notice
    assert "never cloned, or already deleted" in notice
    assert run.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "not-found"}
    assert aws.cluster_ids() == ["prod"]
    source_intact(aws)


def test_unmanaged_cluster_with_the_clone_name_is_refused(aws: Account, act: RunAction) -> None:
    # Someone made 'prod-pr-7' by hand: no aurora-clone tags at all.
    aws.rds.create_db_cluster(
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="hand-made-password",
        ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2},
    )
    aws.rds.create_db_instance(
        DBInstanceIdentifier=INSTANCE,
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )

    run = act(event=pr_event("closed"))

    assert run.code == 1, run.log + run.stderr
    no_traceback(run)
    (error,) = run.commands("error")
    assert f"Refused to delete '{CLONE}'" in error
    assert "does not carry the tag aurora-clone/managed=true" in error
    assert "Nothing was deleted" in error
    assert "How to fix" in run.log
    assert "Refused to delete" in run.summary and "How to fix" in run.summary
    assert "status" not in run.outputs
    assert aws.cluster_ids() == sorted(["prod", CLONE])
    assert instance_ids(aws, CLONE) == [INSTANCE]
    assert aws.cluster(CLONE)["Status"] == "available"
    source_intact(aws)


def test_clone_of_another_pr_with_the_same_id_is_refused(aws: Account, act: RunAction) -> None:
    # A fixed clone-id shared by every PR: PR #8's clone must survive PR #7 closing.
    inputs = {"clone-id": "preview-db"}
    made = act(inputs=inputs, event=pr_event("labeled", number=8, label="clone-db"))
    ok(made)
    assert made.outputs["cluster-id"] == "preview-db"

    run = act(inputs=inputs, event=pr_event("closed", number=7))

    assert run.code == 1, run.log + run.stderr
    no_traceback(run)
    (error,) = run.commands("error")
    assert "Refused to delete 'preview-db'" in error
    assert "belongs to pull request #8, not #7" in error
    assert "Nothing was deleted" in error
    assert aws.cluster_ids() == sorted(["preview-db", "prod"])
    assert instance_ids(aws, "preview-db") == ["preview-db-1"]
    tags = aws.tags(aws.cluster("preview-db")["DBClusterArn"])
    assert (tags["aurora-clone/pr"], tags["aurora-clone/repository"]) == ("8", REPOSITORY)


def test_clone_id_equal_to_the_source_is_an_input_error_before_any_aws_call(
    aws: Account, act: RunAction
) -> None:
    run = act(
        inputs={**DISPATCH, "clone-id": "prod", "source-cluster": "prod"},
        event={},
        event_name="workflow_dispatch",
        # Any AWS call would fail through this endpoint: the refusal must come first.
        env={"AWS_ENDPOINT_URL": CLOSED_PORT},
    )

    assert run.code == 1, run.log + run.stderr
    no_traceback(run)
    (error,) = run.commands("error")
    assert "clone-id" in error
    assert "the source cluster itself" in error
    assert "could not reach AWS" not in run.log + run.summary
    assert "Refused to delete" not in error
    assert run.outputs == {}
    source_intact(aws)


def test_clone_id_naming_an_unmanaged_cluster_without_source_input_is_refused(
    aws: Account, act: RunAction
) -> None:
    # No source-cluster input: the template check cannot know 'prod' is the source; the tags must.
    run = act(
        inputs={**DISPATCH, "clone-id": "prod", "source-cluster": None},
        event={},
        event_name="workflow_dispatch",
    )

    assert run.code == 1, run.log + run.stderr
    no_traceback(run)
    (error,) = run.commands("error")
    assert "Refused to delete 'prod'" in error
    assert "does not carry the tag aurora-clone/managed=true" in error
    assert "Nothing was deleted" in error
    assert "status" not in run.outputs
    assert aws.cluster_ids() == ["prod"]
    source_intact(aws)


def test_wait_false_starts_the_deletion_and_returns(cloned: Account, act: RunAction) -> None:
    run = act(inputs={"wait": "false"}, event=pr_event("closed"))

    ok(run)
    assert run.outputs["action"] == "teardown"
    assert run.outputs["cluster-id"] == CLONE
    assert f"Deleting '{CLONE}' (instances: {INSTANCE}), no final snapshot" in run.log
    assert "deleted after" not in run.log
    # moto deletes a cluster and its instances at once (real RDS would show 'deleting' for minutes).
    assert cloned.cluster_ids() == ["prod"]
    assert cloned.instances(CLONE) == []
    source_intact(cloned)


def test_wait_false_reports_the_status_the_cluster_really_has(cloned: Account, act: RunAction) -> None:
    run = act(inputs={"wait": "false"}, event=pr_event("closed"))

    ok(run)
    assert cloned.cluster_ids() == ["prod"]  # gone when the action ended
    assert run.outputs["status"] == "deleted"


def test_dry_run_teardown_prints_the_plan_and_deletes_nothing(cloned: Account, act: RunAction) -> None:
    run = act(inputs={"dry-run": "true"}, event=pr_event("closed"))

    ok(run)
    assert (
        f"Dry run: nothing will be changed. The action would delete the cluster '{CLONE}' "
        f"(available) and its instances: {INSTANCE}; no final snapshot."
    ) in run.log
    assert "Deleting" not in run.log
    assert run.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "available"}
    assert "dry run" in run.summary and "Nothing was changed" in run.summary
    assert run.commands("warning") == []  # no PR comment is even attempted
    assert cloned.cluster_ids() == sorted(["prod", CLONE])
    assert instance_ids(cloned, CLONE) == [INSTANCE]
    assert cloned.cluster(CLONE)["Status"] == "available"


def test_workflow_dispatch_teardown_by_pr_number(cloned: Account, act: RunAction) -> None:
    run = act(
        inputs=DISPATCH,
        event={"inputs": {"pr-number": "7"}, "ref": "refs/heads/main"},
        event_name="workflow_dispatch",
    )

    assert_deleted(run, cloned)
    assert "aurora-clone: teardown (mode: teardown)" in run.log
    assert f"### Aurora clone deleted: `{CLONE}`" in run.summary


def test_a_stopped_clone_is_started_then_deleted(cloned: Account, act: RunAction) -> None:
    """RDS deletes no instance of a stopped cluster (Aurora User Guide): the server refuses it too."""
    cloned.rds.stop_db_cluster(DBClusterIdentifier=CLONE)
    assert cloned.cluster(CLONE)["Status"] == "stopped"

    run = act(event=pr_event("closed"))

    assert_deleted(run, cloned)
    assert (
        f"'{CLONE}' is stopped, and RDS deletes no instance of a stopped cluster: starting it first"
        in run.log
    )
