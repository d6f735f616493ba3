"""Teardown against moto in-process: what is deleted, what is refused, and busy states."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from testkit.events import REPOSITORY, pr_event
from testkit.fake_aws import FUTURE, clone_tag_list, make_cluster
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness
from testkit.rds_model import common_error, statuses

CLONE = "prod-pr-7"
CLOSED = pr_event("closed")
DELETES = ["DeleteDBInstance", "DeleteDBCluster"]


def source_intact(action: Harness) -> None:
    """Safety rule 2: the source and its instance are there, untouched."""
    prod = action.cluster("prod")
    assert prod is not None and prod["Status"] == "available"
    assert prod["DeletionProtection"] is True
    assert [i["DBInstanceIdentifier"] for i in action.instances("prod")] == ["prod-1"]
    assert action.aws.tags(prod["DBClusterArn"]) == {"env": "production", "cost-center": "shop"}


def deletes(action: Harness) -> list[tuple[str, str]]:
    return [
        (name, params.get("DBInstanceIdentifier") or params.get("DBClusterIdentifier", ""))
        for name, params in action.calls.log
        if name.startswith(("Delete", "Modify", "AddTags", "RemoveTags"))
    ]


def test_teardown_after_clone_deletes_the_instance_then_the_cluster(action: Harness) -> None:
    assert action.run().code == 0

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleted"}
    assert action.cluster(CLONE) is None
    assert action.instances(CLONE) == []
    assert deletes(action) == [("DeleteDBInstance", "prod-pr-7-1"), ("DeleteDBCluster", CLONE)]
    (cluster_delete,) = action.calls.of("DeleteDBCluster")
    assert cluster_delete["SkipFinalSnapshot"] is True
    source_intact(action)
    assert "### Aurora clone deleted: `prod-pr-7`" in result.summary
    assert "| Instances | `prod-pr-7-1` |" in result.summary


def test_a_second_teardown_is_a_no_op_with_a_notice(action: Harness) -> None:
    action.run()
    action.run(event=CLOSED)
    before = len(deletes(action))

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert len(deletes(action)) == before
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "not-found"}
    assert (
        "::notice title=aurora-clone%3A nothing to delete::Nothing to delete: there is no cluster "
        "'prod-pr-7' in eu-west-1 (never cloned, or already deleted)." in result.log
    )
    assert "Deleting" not in result.log
    assert "### Aurora clone: nothing to delete" in result.summary
    source_intact(action)


def test_closing_a_pr_that_was_never_cloned_deletes_nothing(action: Harness) -> None:
    result = action.run(event=pr_event("closed", labels=()))

    assert result.code == 0, result.log
    (notice,) = result.commands("notice")
    assert f"Nothing to delete: there is no cluster '{CLONE}'" in notice
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "not-found"}
    assert action.calls.changing() == []
    assert action.aws.cluster_ids() == ["prod"]
    source_intact(action)


def test_removing_the_label_tears_down(action: Harness) -> None:
    action.run()

    result = action.run(event=pr_event("unlabeled", labels=(), label="clone-db"))

    assert result.code == 0, result.log
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleted"}
    assert "the label 'clone-db' was removed" in result.log
    assert action.cluster(CLONE) is None and action.instances(CLONE) == []
    source_intact(action)


def test_removing_another_label_leaves_the_clone(action: Harness) -> None:
    action.run()

    result = action.run(event=pr_event("unlabeled", labels=("clone-db",), label="needs-review"))

    assert result.code == 0, result.log
    assert result.outputs == {"action": "none"}
    (notice,) = result.commands("notice")
    assert "Nothing to do" in notice and "the label removed is not 'clone-db'" in notice
    assert deletes(action) == []
    assert action.cluster(CLONE)["Status"] == "available"  # type: ignore[index]
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == [f"{CLONE}-1"]


def test_workflow_dispatch_tears_down_the_clone_of_the_pr_number_input(action: Harness) -> None:
    action.run()

    result = action.run(
        {"mode": "teardown", "pr-number": "7"},
        event={"inputs": {"pr-number": "7"}, "ref": "refs/heads/main"},
        event_name="workflow_dispatch",
    )

    assert result.code == 0, result.log
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleted"}
    assert "aurora-clone: teardown (mode: teardown)" in result.log
    assert f"### Aurora clone deleted: `{CLONE}`" in result.summary
    assert action.cluster(CLONE) is None


def test_an_already_deleting_clone_gets_no_delete_call(action: Harness) -> None:
    action.run()
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["deleting", "deleting"]))
    action.on("after-call.rds.DescribeDBInstances", statuses("prod-pr-7-1", ["deleting"], kind="instance"))

    result = action.run(event=CLOSED, inputs={"wait": "false"})

    assert result.code == 0, result.log
    assert deletes(action) == []
    assert "The clone 'prod-pr-7' is already being deleted." in result.log
    assert result.outputs["status"] == "deleting"


def test_a_pr_closed_while_its_clone_is_being_created_waits_then_deletes(action: Harness) -> None:
    action.run({"wait": "false"})
    action.busy("instance", "prod-pr-7-1", "creating", 2, "DeleteDBInstance", "Instance is creating")
    action.busy("cluster", CLONE, "creating", 1, "DeleteDBCluster", "Cluster is creating")

    result = action.run(event=CLOSED, inputs={"poll-interval": "10"})

    assert result.code == 0, result.log
    assert [name for name, _ in deletes(action)] == ["DeleteDBInstance"] * 3 + ["DeleteDBCluster"] * 2
    assert result.clock.sleeps == [10, 20, 10]
    assert (
        "RDS cannot delete the instance 'prod-pr-7-1' yet (Instance is creating): instance 'prod-pr-7-1' "
        "is 'creating'; trying again with backoff" in result.log
    )
    assert action.cluster(CLONE) is None


@pytest.mark.parametrize(
    ("kind", "ident", "state", "refused"),
    [
        ("cluster", CLONE, "modifying", "DeleteDBCluster"),
        # RDS sends InvalidDBInstanceState (the shape is InvalidDBInstanceStateFault): still busy.
        ("instance", "prod-pr-7-1", "backing-up", "DeleteDBInstance"),
    ],
)
def test_a_busy_cluster_or_instance_is_retried_once_then_deleted(
    action: Harness, kind: str, ident: str, state: str, refused: str
) -> None:
    action.run()
    action.busy(kind, ident, state, 1, refused, f"{kind} {ident} is {state}")

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert len(action.calls.of(refused)) == 2
    assert action.cluster(CLONE) is None


def test_busy_until_the_timeout_fails_clearly(action: Harness) -> None:
    action.run()
    action.busy("cluster", CLONE, "upgrading", 1000, "DeleteDBCluster", "Cluster is upgrading")

    result = action.run(event=CLOSED, inputs={"timeout-minutes": "1", "poll-interval": "15"})

    assert result.code == 1
    assert (
        "RDS kept refusing to delete the cluster 'prod-pr-7' until timeout-minutes ran out "
        "(cluster 'prod-pr-7' is 'upgrading'): Cluster is upgrading" in result.log
    )
    assert sum(result.clock.sleeps) <= 60


def test_a_refused_delete_in_a_state_that_does_not_pass_fails_at_once(action: Harness) -> None:
    action.run()
    action.busy(
        "instance", "prod-pr-7-1", "incompatible-parameters", 1000, "DeleteDBInstance", "Instance is broken"
    )

    result = action.run(event=CLOSED, inputs={"timeout-minutes": "60"})

    assert result.code == 1
    assert (
        "RDS refused to delete the instance 'prod-pr-7-1' (Instance is broken), and the instance "
        "'prod-pr-7-1' is 'incompatible-parameters': RDS will not delete it while it is "
        "'incompatible-parameters', and that state does not pass by itself." in result.log
    )
    assert "Delete it in the console once RDS allows it" in result.summary
    assert result.clock.sleeps == []
    assert action.cluster(CLONE) is not None


def test_a_partial_clone_without_an_instance_is_deleted(action: Harness) -> None:
    action.on("before-call.rds.CreateDBInstance", common_error("InternalFailure"))
    assert action.run().code == 1
    assert action.cluster(CLONE) is not None and action.instances(CLONE) == []

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert deletes(action) == [("DeleteDBCluster", CLONE)]
    assert action.cluster(CLONE) is None


def keep_deleting(action: Harness) -> None:
    """RDS takes the delete and keeps the cluster 'deleting' (moto would remove it at once)."""
    action.on(
        "before-call.rds.DeleteDBCluster",
        lambda **_: (
            AWSResponse("https://rds", 200, {}, None),
            {"DBCluster": {"DBClusterIdentifier": CLONE}},
        ),
    )
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["available", "available", "deleting"]))


def test_waiting_for_the_deletion_shows_progress_and_times_out(action: Harness) -> None:
    action.run()
    keep_deleting(action)

    result = action.run(event=CLOSED, inputs={"timeout-minutes": "1", "poll-interval": "30"})

    assert result.code == 1
    assert "[    0s] cluster prod-pr-7: deleting" in result.log
    assert "prod-pr-7 still existed after timeout-minutes: 1 (cluster prod-pr-7: deleting)." in result.log
    assert "RDS goes on deleting it" in result.summary
    assert result.clock.sleeps == [30, 30]


def test_wait_false_returns_once_the_deletion_started(action: Harness) -> None:
    action.run()
    keep_deleting(action)

    result = action.run(event=CLOSED, inputs={"wait": "false"})

    assert result.code == 0, result.log
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleting"}
    assert f"Deleting '{CLONE}' (instances: {CLONE}-1), no final snapshot" in result.log
    assert "deleted after" not in result.log
    assert result.clock.sleeps == []


def test_wait_false_reports_the_status_the_cluster_really_has(action: Harness) -> None:
    """moto deletes at once (real RDS shows 'deleting' for minutes): the output says what RDS says."""
    action.run()

    result = action.run(event=CLOSED, inputs={"wait": "false"})

    assert result.code == 0, result.log
    assert result.outputs["status"] == "deleted"
    assert action.aws.cluster_ids() == ["prod"]


def test_dry_run_deletes_nothing(action: Harness, github: FakeGitHub) -> None:
    action.run()
    github.requests.clear()

    result = action.run(event=CLOSED, inputs={"dry-run": "true"})

    assert result.code == 0, result.log
    assert deletes(action) == []
    assert (
        "Dry run: nothing will be changed. The action would delete the cluster 'prod-pr-7' (available) "
        "and its instances: prod-pr-7-1; no final snapshot." in result.log
    )
    assert "Deleting" not in result.log
    assert result.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "available"}
    assert "dry run" in result.summary and "Nothing was changed" in result.summary
    assert [path for _, path in github.requests if "/issues/" in path] == []  # no PR comment either
    assert action.cluster(CLONE)["Status"] == "available"  # type: ignore[index]
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == [f"{CLONE}-1"]


REFUSALS = [
    pytest.param(
        [],
        {},
        "'prod-pr-7' does not carry the tag aurora-clone/managed=true, so this action did not create it",
        id="unmanaged",
    ),
    pytest.param(
        clone_tag_list(pr=7, expires=FUTURE, repository="acme/other"),
        {},
        "'prod-pr-7' belongs to the repository 'acme/other', not 'acme/shop'",
        id="other-repository",
    ),
    pytest.param(
        clone_tag_list(pr=8, expires=FUTURE),
        {},
        "'prod-pr-7' belongs to pull request #8, not #7",
        id="other-pr",
    ),
    pytest.param(
        clone_tag_list(pr=7, expires=FUTURE),
        {"DeletionProtection": True},
        "'prod-pr-7' has deletion protection on, which this action never sets",
        id="deletion-protection",
    ),
]


@pytest.mark.parametrize(("tags", "extra", "reason"), REFUSALS)
def test_a_cluster_that_is_not_this_prs_clone_is_refused(
    action: Harness, tags: list[dict[str, str]], extra: dict[str, Any], reason: str
) -> None:
    make_cluster(action.aws.rds, CLONE, tags=tags, instance=f"{CLONE}-1", **extra)

    result = action.run(event=CLOSED)

    assert result.code == 1
    (error,) = result.commands("error")
    assert f"Refused to delete 'prod-pr-7': {reason}. Nothing was deleted." in error
    assert "How to fix" in result.log and "How to fix" in result.summary
    assert "never the source" in result.summary
    assert "status" not in result.outputs
    assert deletes(action) == []
    assert action.cluster(CLONE)["Status"] == "available"  # type: ignore[index]
    assert len(action.instances(CLONE)) == 1
    source_intact(action)


def test_a_shared_clone_id_of_another_pr_is_refused(action: Harness) -> None:
    """A fixed clone-id shared by every PR: PR #8's clone must survive PR #7 closing."""
    made = action.run({"clone-id": "preview-db"}, event=pr_event("labeled", number=8, label="clone-db"))
    assert made.outputs["cluster-id"] == "preview-db"

    result = action.run({"clone-id": "preview-db"}, event=pr_event("closed", number=7))

    assert result.code == 1
    (error,) = result.commands("error")
    assert "Refused to delete 'preview-db': 'preview-db' belongs to pull request #8, not #7." in error
    assert "Nothing was deleted" in error
    assert deletes(action) == []
    assert action.aws.cluster_ids() == ["preview-db", "prod"]
    assert [i["DBInstanceIdentifier"] for i in action.instances("preview-db")] == ["preview-db-1"]
    tags = action.aws.tags(action.cluster("preview-db")["DBClusterArn"])  # type: ignore[index]
    assert (tags["aurora-clone/pr"], tags["aurora-clone/repository"]) == ("8", REPOSITORY)


def test_the_source_named_as_clone_id_is_refused_before_any_aws_call(action: Harness) -> None:
    result = action.run(
        {"mode": "teardown", "clone-id": "prod", "pr-number": "7"}, event={}, event_name="workflow_dispatch"
    )

    assert result.code == 1
    (error,) = result.commands("error")
    assert "clone-id: 'prod' gives 'prod', the source cluster itself" in error
    assert "Refused to delete" not in error
    assert result.outputs == {}
    assert action.calls.names() == []
    source_intact(action)


def test_the_source_named_as_clone_id_without_source_cluster_is_refused_by_its_tags(action: Harness) -> None:
    result = action.run(
        {"mode": "teardown", "source-cluster": "", "clone-id": "prod", "pr-number": "7"},
        event={},
        event_name="workflow_dispatch",
    )

    assert result.code == 1
    (error,) = result.commands("error")
    assert "Refused to delete 'prod': 'prod' does not carry the tag aurora-clone/managed=true" in error
    assert "Nothing was deleted" in error
    assert "status" not in result.outputs
    assert deletes(action) == []
    assert action.aws.cluster_ids() == ["prod"]
    source_intact(action)


def test_a_foreign_instance_in_the_clone_stops_the_whole_teardown(action: Harness) -> None:
    action.run()
    action.aws.rds.create_db_instance(
        DBInstanceIdentifier="someones-reporting-replica",
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )

    result = action.run(event=CLOSED)

    assert result.code == 1
    assert (
        "Refused to delete 'prod-pr-7': 'someones-reporting-replica' does not carry the tag "
        "aurora-clone/managed=true, so this action did not create it. Nothing was deleted." in result.log
    )
    assert deletes(action) == []
    assert len(action.instances(CLONE)) == 2


def test_tags_are_checked_again_just_before_each_delete(action: Harness) -> None:
    """Between the first look and the delete call the cluster stops being ours: it is not deleted."""
    action.run()
    describes: list[int] = []

    def strip_tags_later(parsed: dict[str, Any], **_: Any) -> None:
        describes.append(1)
        if len(describes) > 1:
            for cluster in parsed.get("DBClusters") or []:
                cluster["TagList"] = []

    action.on("after-call.rds.DescribeDBClusters", strip_tags_later)

    result = action.run(event=CLOSED)

    assert result.code == 1
    assert (
        "Refused to delete 'prod-pr-7': 'prod-pr-7' does not carry the tag aurora-clone/managed=true"
        in result.log
    )
    assert "Some of its instances were already being deleted." in result.log
    assert [name for name, _ in deletes(action)] == ["DeleteDBInstance"]
    assert action.cluster(CLONE) is not None
