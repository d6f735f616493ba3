"""Teardown never deletes a cluster another cluster names as its source (safety rule 2), whatever its tags.

The clusters that could name it share its copy-on-write clone group: teardown asks RDS for that
group once (DescribeDBClusters, filter clone-group-id), and not at all for a cluster never cloned.
"""

from __future__ import annotations

from typing import Any

import pytest

from clone_action.errors import SOURCE_IN_USE_FIX
from testkit.events import pr_event
from testkit.fake_aws import FUTURE, clone_tag_list, make_clone, make_cluster
from testkit.harness import Harness

# A teardown with no source-cluster input, as a workflow that names its clones after the PR alone.
SHOP = {"source-cluster": "", "clone-id": "shop-{pr}"}
CLOSED_42 = pr_event("closed", number=42)


def group_looks(action: Harness) -> list[list[str]]:
    """The clone groups the action asked RDS for."""
    return [
        f["Values"]
        for params in action.calls.of("DescribeDBClusters")
        for f in params.get("Filters") or []
        if f["Name"] == "clone-group-id"
    ]


def changes(action: Harness) -> list[str]:
    return action.calls.changing()


@pytest.mark.parametrize(
    ("copies", "named"),
    [
        (["shop-42-copy"], "'shop-42-copy' (named in its aurora-clone/source tag)"),
        (
            ["shop-42-copy", "shop-42-load"],
            "'shop-42-copy' and 'shop-42-load' (named in their aurora-clone/source tag)",
        ),
    ],
)
def test_a_clone_another_cluster_was_cloned_from_is_refused_and_nothing_is_deleted(
    action: Harness, copies: list[str], named: str
) -> None:
    rds = action.aws.rds
    make_clone(rds, "shop-42", pr=42, instance=True)  # this PR's clone, tagged as ours
    for n, copy in enumerate(copies, start=50):
        make_clone(rds, copy, pr=n, source="shop-42", restore_from="shop-42")

    result = action.run(SHOP, event=CLOSED_42)

    assert result.code == 1
    (error,) = result.commands("error")
    assert error == (
        "::error title=aurora-clone%3A refused by a safety rule::Refused to delete 'shop-42': 'shop-42' is "
        f"the source of {named}. Nothing was deleted."
    )
    assert f"How to fix: {SOURCE_IN_USE_FIX}" in result.log
    assert SOURCE_IN_USE_FIX == (
        "Delete the clusters that name it as their source first (each with its own teardown, or purge "
        "once it is due), then run this teardown again. The action never deletes a cluster that another "
        "cluster names as its source."
    )
    assert "status" not in result.outputs
    assert changes(action) == []
    assert action.aws.cluster_ids() == sorted(["prod", "shop-42", *copies])
    assert [i["DBInstanceIdentifier"] for i in action.instances("shop-42")] == ["shop-42-1"]
    assert action.cluster("shop-42")["Status"] == "available"  # type: ignore[index]
    assert len(group_looks(action)) == 1


def test_a_dry_run_of_that_teardown_is_refused_too(action: Harness) -> None:
    make_clone(action.aws.rds, "shop-42", pr=42, instance=True)
    make_clone(action.aws.rds, "shop-42-copy", pr=50, source="shop-42", restore_from="shop-42")

    result = action.run({**SHOP, "dry-run": "true"}, event=CLOSED_42)

    assert result.code == 1
    (error,) = result.commands("error")
    assert "Refused to delete 'shop-42': 'shop-42' is the source of 'shop-42-copy'" in error
    assert "would delete" not in result.log
    assert changes(action) == []


def test_a_clone_named_only_by_itself_and_its_siblings_sources_is_deleted(action: Harness) -> None:
    """Its group holds the source and other PRs' clones of that source: none names it."""
    make_clone(action.aws.rds, "shop-42", pr=42, instance=True)
    make_clone(action.aws.rds, "shop-43", pr=43, instance=True)

    result = action.run(SHOP, event=CLOSED_42)

    assert result.code == 0, result.log
    assert result.outputs["status"] == "deleted"
    assert action.aws.cluster_ids() == ["prod", "shop-43"]
    (group,) = group_looks(action)
    assert group == [action.aws.cluster("prod")["CloneGroupId"]]  # type: ignore[index]


def test_an_ordinary_clone_then_teardown_makes_one_look_at_the_clone_group(action: Harness) -> None:
    assert action.run().code == 0
    cloned = len(action.calls.log)

    result = action.run(event=pr_event("closed"))

    assert result.code == 0, result.log
    assert action.cluster("prod-pr-7") is None
    teardown: list[tuple[str, dict[str, Any]]] = action.calls.log[cloned:]
    assert [name for name, _ in teardown] == [
        "DescribeDBClusters",  # the clone
        "DescribeDBInstances",  # its instances
        "DescribeDBClusters",  # its clone group: does any cluster name it as its source?
        "DescribeDBInstances",  # fresh, before deleting the instance
        "DeleteDBInstance",
        "DescribeDBClusters",  # fresh, before deleting the cluster
        "DeleteDBCluster",
        "DescribeDBClusters",  # the wait: gone
    ]
    assert len(group_looks(action)) == 1
    assert len(action.calls.log) == 17  # 9 for the clone, 8 for the teardown (7 before this check)


def test_a_cluster_never_cloned_needs_no_look_at_a_clone_group(action: Harness) -> None:
    """RDS gives a cluster a CloneGroupId only once it is cloned (API reference, DBCluster)."""
    tags = clone_tag_list(pr=42, expires=FUTURE)
    make_cluster(action.aws.rds, "shop-42", tags=tags, instance="shop-42-1")
    assert action.aws.cluster("shop-42").get("CloneGroupId") is None  # type: ignore[union-attr]

    result = action.run(SHOP, event=CLOSED_42)

    assert result.code == 0, result.log
    assert action.aws.cluster_ids() == ["prod"]
    assert group_looks(action) == []
