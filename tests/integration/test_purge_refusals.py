"""Purge's refusals: what a dry run says of the clones it could not delete, and that a clone deleted
through teardown's path is checked against the sources purge listed, with no further RDS call."""

from __future__ import annotations

import json
from typing import Any

from testkit.fake_aws import PAST, make_clone
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness
from testkit.rds_model import fault

PURGE = {"mode": "purge"}
DISPATCH: dict[str, Any] = {"event": {}, "event_name": "workflow_dispatch"}


def with_a_foreign_instance(action: Harness, github: FakeGitHub) -> None:
    """Two expired clones; someone added a replica of their own to the first."""
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST, instance=True)
    make_clone(action.aws.rds, "prod-pr-2", pr=2, expires=PAST, instance=True)
    action.aws.rds.create_db_instance(
        DBInstanceIdentifier="someones-replica",
        DBClusterIdentifier="prod-pr-1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    github.pulls.update({1: "open", 2: "open"})


REFUSAL = (
    "- prod-pr-1: Refused to delete 'prod-pr-1': 'someones-replica' does not carry the tag "
    "aurora-clone/managed=true, so this action did not create it. Nothing was deleted."
)


def test_a_dry_run_that_refuses_a_clone_says_the_others_would_be_deleted(
    action: Harness, github: FakeGitHub
) -> None:
    with_a_foreign_instance(action, github)

    result = action.run({**PURGE, "dry-run": "true"}, **DISPATCH)

    assert result.code == 1
    assert json.loads(result.outputs["purged"]) == ["prod-pr-2"]
    (error,) = result.commands("error")
    assert error.replace("%0A", "\n").endswith(f"1 of 2 clones could not be purged:\n{REFUSAL}")
    assert "How to fix: The others would be deleted. Fix what each line says and run purge again." in (
        result.log
    )
    assert "were deleted" not in result.log + result.summary
    assert action.calls.changing() == []
    assert action.aws.cluster_ids() == ["prod", "prod-pr-1", "prod-pr-2"]


def test_a_run_that_refuses_a_clone_says_the_others_were_deleted(action: Harness, github: FakeGitHub) -> None:
    with_a_foreign_instance(action, github)

    result = action.run(PURGE, **DISPATCH)

    assert result.code == 1
    assert json.loads(result.outputs["purged"]) == ["prod-pr-2"]
    assert REFUSAL in result.log.replace("%0A", "\n")
    assert "How to fix: The others were deleted. Fix what each line says and run purge again." in result.log
    assert action.aws.cluster_ids() == ["prod", "prod-pr-1"]
    assert sorted(i["DBInstanceIdentifier"] for i in action.instances("prod-pr-1")) == [
        "prod-pr-1-1",
        "someones-replica",
    ]
    deleted = [str(p.get("DBClusterIdentifier") or p.get("DBInstanceIdentifier")) for p in deletes(action)]
    assert "prod-pr-1" not in deleted and "prod-pr-1-1" not in deleted


def deletes(action: Harness) -> list[dict[str, Any]]:
    return [params for name, params in action.calls.log if name.startswith("Delete")]


def test_teardowns_path_in_a_purge_asks_rds_for_no_clone_group(action: Harness, github: FakeGitHub) -> None:
    """Purge listed every cluster, so it knows which name the clone as their source: no extra call."""
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST, instance=True)
    github.pulls[1] = "open"
    refused: list[str] = []

    def busy_once(**kwargs: Any) -> Any:  # the quick delete is refused: teardown's patient path
        if not refused:
            refused.append("DeleteDBCluster")
            return fault("InvalidDBClusterStateFault", "DB cluster is in state modifying")(**kwargs)
        return None

    action.on("before-call.rds.DeleteDBCluster", busy_once)

    result = action.run(PURGE, **DISPATCH)

    assert result.code == 0, result.log
    assert refused and action.aws.cluster_ids() == ["prod"]
    assert {"DBClusterIdentifier": "prod-pr-1"} in action.calls.of("DescribeDBClusters")  # teardown's look
    filters = [f["Name"] for p in action.calls.of("DescribeDBClusters") for f in p.get("Filters") or []]
    assert "clone-group-id" not in filters
    assert action.cluster("prod").get("CloneGroupId")  # type: ignore[union-attr]
