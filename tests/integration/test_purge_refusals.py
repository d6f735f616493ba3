"""Purge deletes a clone through teardown's path with what its listing showed: which clusters name
the clone as their source, so with no further RDS call."""

from __future__ import annotations

from typing import Any

from testkit.fake_aws import PAST, make_clone
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness
from testkit.rds_model import fault

PURGE = {"mode": "purge"}
DISPATCH: dict[str, Any] = {"event": {}, "event_name": "workflow_dispatch"}


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
