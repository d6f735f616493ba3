"""What real RDS does that moto alone did not: each test follows an AWS document, through testkit.

moto is corrected by testkit/real_rds.py (which says what each correction follows); what no
double knows (how long a state lasts, a pending change) is injected here with botocore hooks,
with codes and states from the service model and the Aurora User Guide (testkit/rds_model.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from testkit.events import pr_event
from testkit.fake_aws import make_cluster, make_source
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness
from testkit.rds_model import common_error, statuses

CLONE = "prod-pr-7"
CLOSED = pr_event("closed")
PAST = "2026-11-20T00:00:00Z"


def source(action: Harness, name: str, **overrides: Any) -> None:
    make_source(action.aws.rds, action.aws.ec2, name=name, **overrides)


# Port, storage type and Extended Support: RestoreDBClusterToPointInTime's defaults are the
# engine's port, `aurora` storage and `open-source-rds-extended-support` (API reference).


def test_the_clone_keeps_the_sources_port_storage_and_lifecycle(action: Harness) -> None:
    source(
        action,
        "shop",
        Port=6543,
        StorageType="aurora-iopt1",
        EngineLifecycleSupport="open-source-rds-extended-support-disabled",
    )

    result = action.run({"source-cluster": "shop"})

    assert result.code == 0, result.log
    clone = action.cluster("shop-pr-7")
    assert clone is not None
    assert (clone["Port"], clone["StorageType"], clone["EngineLifecycleSupport"]) == (
        6543,
        "aurora-iopt1",
        "open-source-rds-extended-support-disabled",
    )
    assert result.outputs["port"] == "6543"
    assert result.outputs["database-url"] == f"postgresql://app@{clone['Endpoint']}:6543/"


def test_a_source_on_aurora_standard_storage_gets_no_storage_type_parameter(action: Harness) -> None:
    """RDS leaves StorageType out of a describe when it is `aurora`; the restore's default is the same."""
    result = action.run()

    assert result.code == 0, result.log
    (restore,) = action.calls.of("RestoreDBClusterToPointInTime")
    assert "StorageType" not in restore
    assert restore["EngineLifecycleSupport"] == "open-source-rds-extended-support"  # the source's
    assert restore["Port"] == 5432


# Stopped clones (Aurora User Guide, "Stopping and starting an Aurora DB cluster").


def test_teardown_starts_a_stopped_clone_then_deletes_it(action: Harness) -> None:
    assert action.run().code == 0
    action.aws.rds.stop_db_cluster(DBClusterIdentifier=CLONE)

    # How long a start takes, no double knows: the first look after it still says starting.
    def once_started(**_: Any) -> None:
        action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["starting", "available"]))
        action.on(
            "after-call.rds.DescribeDBInstances",
            statuses("prod-pr-7-1", ["starting", "available"], kind="instance"),
        )

    action.on("after-call.rds.StartDBCluster", once_started)

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert action.calls.of("StartDBCluster") == [{"DBClusterIdentifier": CLONE}]
    assert (
        "'prod-pr-7' is stopped, and RDS deletes no instance of a stopped cluster: starting it first"
        in result.log
    )
    assert "[    0s] cluster prod-pr-7: starting; instance prod-pr-7-1: starting" in result.log
    assert "[   15s] cluster prod-pr-7: available; instance prod-pr-7-1: available" in result.log
    assert action.cluster(CLONE) is None
    assert result.outputs["status"] == "deleted"


def test_a_dry_run_teardown_of_a_stopped_clone_says_it_would_start_it(action: Harness) -> None:
    assert action.run().code == 0
    action.aws.rds.stop_db_cluster(DBClusterIdentifier=CLONE)

    fresh = Harness(action.aws, action.tmp_path)
    result = fresh.run(event=CLOSED, inputs={"dry-run": "true"})

    assert result.code == 0, result.log
    assert "It is stopped, so it would be started first" in result.log
    assert fresh.calls.changing() == []
    assert action.cluster(CLONE)["Status"] == "stopped"  # type: ignore[index]


def test_a_stopped_clone_without_instances_is_deleted_without_starting_it(action: Harness) -> None:
    """A stopped cluster can be deleted once it has no instances (the guide forbids only that)."""
    action.on("before-call.rds.CreateDBInstance", common_error("InternalFailure", "the network broke"))
    action.run()
    action.aws.rds.stop_db_cluster(DBClusterIdentifier=CLONE)

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert action.calls.of("StartDBCluster") == []
    assert action.cluster(CLONE) is None


def test_a_stopped_clone_that_is_not_ours_is_not_even_started(action: Harness) -> None:
    rds = action.aws.rds
    rds.create_db_cluster(
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        MasterUsername="a",
        MasterUserPassword="password1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier="prod-pr-7-1",
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    rds.stop_db_cluster(DBClusterIdentifier=CLONE)

    result = action.run(event=CLOSED)

    assert result.code == 1
    assert "Refused to delete 'prod-pr-7'" in result.log
    assert action.calls.changing() == []


def test_purge_starts_stopped_clones_together_and_deletes_them(action: Harness, github: FakeGitHub) -> None:
    rds = action.aws.rds
    for pr in (1, 2):
        action.run(
            {"ttl": "1d"}, event=pr_event("labeled", number=pr, label="clone-db")
        )  # expires 2026-11-26T12:00
        rds.stop_db_cluster(DBClusterIdentifier=f"prod-pr-{pr}")
    github.pulls.update({1: "open", 2: "open"})
    action.clock.wall = action.clock.wall.replace(day=28)

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert [p["DBClusterIdentifier"] for p in action.calls.of("StartDBCluster")] == ["prod-pr-1", "prod-pr-2"]
    names = action.calls.names()
    assert names.index("DeleteDBInstance") > max(i for i, n in enumerate(names) if n == "StartDBCluster")
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    assert action.cluster("prod-pr-1") is None and action.cluster("prod-pr-2") is None


def test_in_purge_a_slow_clone_does_not_use_up_the_others_time(action: Harness, github: FakeGitHub) -> None:
    """Each candidate has all of timeout-minutes: 25 busy minutes for one leave 30 for the next."""
    for pr in (1, 2):
        action.run({"ttl": "1d"}, event=pr_event("labeled", number=pr, label="clone-db"))
    github.pulls.update({1: "open", 2: "open"})
    action.clock.wall = action.clock.wall.replace(day=28)
    # Refusals back off 15, 30, then 60 s: 26 refusals are 24m45s, 11 are 9m45s.
    action.busy("instance", "prod-pr-1-1", "modifying", 26, "DeleteDBInstance")
    action.busy("instance", "prod-pr-2-1", "backing-up", 11, "DeleteDBInstance")

    result = action.run({"mode": "purge", "timeout-minutes": "30"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    assert sum(result.clock.sleeps) > 30 * 60  # more than one timeout in all, none for one clone


# Permanent refusals and the Serverless v2 scaling configuration ("Requirements for Aurora
# Serverless v2": a db.serverless instance needs the cluster's ServerlessV2ScalingConfiguration).


def test_a_reused_clone_without_a_scaling_configuration_gets_one_before_its_serverless_instance(
    action: Harness,
) -> None:
    action.on("before-call.rds.CreateDBInstance", common_error("InternalFailure", "the network broke"))
    assert action.run({"instance-class": "db.r6g.large"}).code == 1
    clone = action.cluster(CLONE)
    assert clone is not None and not clone.get("ServerlessV2ScalingConfiguration")

    fresh = Harness(action.aws, action.tmp_path)
    result = fresh.run({"min-capacity": "1", "max-capacity": "8"})

    assert result.code == 0, result.log
    (modify,) = fresh.calls.of("ModifyDBCluster")
    assert modify == {
        "DBClusterIdentifier": CLONE,
        "ServerlessV2ScalingConfiguration": {"MinCapacity": 1.0, "MaxCapacity": 8.0},
        "ApplyImmediately": True,
    }
    assert fresh.calls.names().index("ModifyDBCluster") < fresh.calls.names().index("CreateDBInstance")
    (instance,) = action.instances(CLONE)
    assert instance["DBInstanceClass"] == "db.serverless"


def test_a_refused_scaling_configuration_says_to_make_the_clone_again(action: Harness) -> None:
    # The example PR policy denies every ModifyDBCluster but ManageMasterUserPassword (issue 13):
    # the error must not send the user to add the Allow statement that is already there.
    action.on("before-call.rds.CreateDBInstance", common_error("InternalFailure", "the network broke"))
    assert action.run({"instance-class": "db.r6g.large"}).code == 1

    fresh = Harness(action.aws, action.tmp_path)
    fresh.on(
        "before-call.rds.ModifyDBCluster",
        common_error(
            "AccessDenied",
            "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: "
            "rds:ModifyDBCluster with an explicit deny in an identity-based policy",
        ),
    )
    result = fresh.run()

    assert result.code == 1
    (error,) = [line for line in result.log.splitlines() if line.startswith("::error")]
    assert "AWS denied rds:ModifyDBCluster (AccessDenied)" in error
    assert f"'{CLONE}' was made with a provisioned instance-class" in error
    assert "**How to fix:** Remove the label (the clone is deleted) and add it again" in result.summary
    assert "```json" not in result.summary  # no Allow statement to paste: a Deny refuses it
    assert "CreateDBInstance" not in fresh.calls.changing()


# The copy-on-write limit (Aurora User Guide, "Limitations of Aurora cloning": "After you have 15
# clones, the next clone that you create is a full copy").


def copy_on_write_clones(action: Harness, count: int) -> None:
    for n in range(count):
        action.aws.rds.restore_db_cluster_to_point_in_time(
            SourceDBClusterIdentifier="prod",
            DBClusterIdentifier=f"other-clone-{n}",
            RestoreType="copy-on-write",
            UseLatestRestorableTime=True,
            Tags=[],
        )


def test_below_the_limit_the_clone_is_copy_on_write_without_a_warning(action: Harness) -> None:
    copy_on_write_clones(action, 14)

    result = action.run()

    assert result.code == 0, result.log
    assert "::warning" not in result.log
    assert "| Storage | copy-on-write: only the pages it changes cost extra |" in result.summary
    (count,) = [p for p in action.calls.of("DescribeDBClusters") if "Filters" in p]
    assert count["Filters"][0]["Name"] == "clone-group-id"


def test_at_the_limit_the_action_warns_before_and_flags_the_full_copy_after(action: Harness) -> None:
    copy_on_write_clones(action, 15)

    result = action.run()

    assert result.code == 0, result.log
    assert result.annotation("warning", "copy-on-write limit reached").startswith(
        "'prod' already shares its storage with 15 copy-on-write clones, and Aurora makes at most 15: "
        "RDS will make 'prod-pr-7' as a full copy"
    )
    assert result.annotation("warning", "full copy").startswith(
        "RDS made 'prod-pr-7' as a full copy of 'prod'"
    )
    assert (
        "| Storage | :warning: a full copy of the source (Aurora's copy-on-write limit) |" in result.summary
    )


def test_a_dry_run_says_how_many_clones_share_the_source(action: Harness) -> None:
    copy_on_write_clones(action, 3)

    result = action.run({"dry-run": "true"})

    assert result.code == 0, result.log
    assert "  clone group:     3 copy-on-write clones of the source already" in result.log
    assert action.calls.changing() == []


# The clone's own password ("Password management with Aurora and AWS Secrets Manager": the
# cluster reads available while the secret is still being created).


def test_the_secret_is_given_out_only_once_active_with_nothing_pending(action: Harness) -> None:
    # What RDS shows in the describes after ModifyDBCluster(ManageMasterUserPassword): the
    # secret still creating, then active, the change pending meanwhile (no double knows how long).
    looks = iter([("creating", {"MasterUserPassword": "****"}), ("active", {"MasterUserPassword": "****"})])

    def secret_on_its_way(parsed: dict[str, Any], **_: Any) -> None:
        for cluster in parsed.get("DBClusters") or []:
            if cluster["DBClusterIdentifier"] == CLONE and "MasterUserSecret" in cluster:
                status, pending = next(looks, ("active", None))
                cluster["MasterUserSecret"]["SecretStatus"] = status
                if pending:
                    cluster["PendingModifiedValues"] = pending

    action.on("after-call.rds.DescribeDBClusters", secret_on_its_way)

    result = action.run({"manage-master-password": "true", "poll-interval": "10"})

    assert result.code == 0, result.log
    progress = [line for line in result.log.splitlines() if "secret:" in line]
    assert progress == [
        "[    0s] cluster prod-pr-7: available; instance prod-pr-7-1: available; secret: creating; changes pending",
        "[   10s] cluster prod-pr-7: available; instance prod-pr-7-1: available; secret: active; changes pending",
        "[   20s] cluster prod-pr-7: available; instance prod-pr-7-1: available; secret: active",
    ]
    clone = action.cluster(CLONE)
    assert clone is not None
    assert result.outputs["master-user-secret-arn"] == clone["MasterUserSecret"]["SecretArn"]


def test_an_impaired_secret_ends_the_run_with_the_kms_permission_to_add(action: Harness) -> None:
    def impaired(parsed: dict[str, Any], **_: Any) -> None:
        for cluster in parsed.get("DBClusters") or []:
            if "MasterUserSecret" in cluster and cluster["DBClusterIdentifier"] == CLONE:
                cluster["MasterUserSecret"]["SecretStatus"] = "impaired"

    action.on("after-call.rds.DescribeDBClusters", impaired)

    result = action.run({"manage-master-password": "true"})

    assert result.code == 1
    assert "The clone's own master user secret is 'impaired'" in result.log
    assert "Allow kms:DescribeKey on the aws/secretsmanager key" in result.summary
    assert "master-user-secret-arn" not in result.outputs


# Serverless v2 by engine version (DescribeDBEngineVersions' ServerlessV2FeaturesSupport).


def test_db_serverless_on_a_version_without_serverless_v2_is_an_input_error(action: Harness) -> None:
    source(action, "legacy", Engine="aurora-mysql", EngineVersion="5.7.mysql_aurora.2.12.1")

    result = action.run({"source-cluster": "legacy"})

    assert result.code == 1
    (error,) = result.commands("error")
    assert "1 input is not valid; nothing was changed." in error
    assert (
        "instance-class: db.serverless needs an engine version with Aurora Serverless v2, and the source "
        "runs aurora-mysql 5.7.mysql_aurora.2.12.1, which has none" in result.log
    )
    assert result.outputs == {}
    assert action.calls.changing() == []
    assert action.aws.cluster_ids() == ["legacy", "prod"]
    (versions,) = action.calls.of("DescribeDBEngineVersions")
    assert versions == {"Engine": "aurora-mysql", "EngineVersion": "5.7.mysql_aurora.2.12.1"}


def test_auto_pause_on_a_version_without_it_is_an_input_error(action: Harness) -> None:
    source(action, "older", EngineVersion="14.9")

    result = action.run({"source-cluster": "older", "min-capacity": "0", "seconds-until-auto-pause": "600"})

    assert result.code == 1
    assert "min-capacity: the source runs aurora-postgresql 14.9, which allows at least 0.5 ACU" in result.log
    assert action.calls.changing() == []


def test_a_role_without_describe_engine_versions_still_clones_with_a_warning(action: Harness) -> None:
    """A role made for an earlier version lacks the action: the check is skipped, not the clone."""
    action.on(
        "before-call.rds.DescribeDBEngineVersions",
        common_error("AccessDenied", "User is not authorized to perform: rds:DescribeDBEngineVersions"),
    )

    result = action.run()

    assert result.code == 0, result.log
    assert result.annotation("warning", "Serverless v2 limits not checked").startswith(
        "Could not check what Aurora Serverless v2 allows on aurora-postgresql 16.4: AWS denied "
        "rds:DescribeDBEngineVersions"
    )
    assert action.cluster(CLONE) is not None


def test_a_provisioned_class_needs_no_serverless_v2(action: Harness) -> None:
    source(action, "legacy", Engine="aurora-mysql", EngineVersion="5.7.mysql_aurora.2.12.1")

    result = action.run({"source-cluster": "legacy", "instance-class": "db.r6g.large"})

    assert result.code == 0, result.log
    assert action.calls.of("DescribeDBEngineVersions") == []


# Sources RDS cannot clone ("Limitations of Aurora cloning").


@pytest.mark.parametrize(
    ("source", "made_with", "why"),
    [
        (
            "empty",
            {},
            "RDS cannot clone 'empty'; nothing was changed:%0A- 'empty' has no DB instances, and RDS clones "
            "only a cluster with at least one",
        ),
        (
            "v1",
            {"EngineMode": "serverless"},
            "'v1' is an Aurora Serverless v1 cluster (EngineMode serverless)",
        ),
    ],
    ids=["without-instances", "serverless-v1"],
)
def test_a_source_rds_cannot_clone_is_refused_before_any_change(
    action: Harness, source: str, made_with: dict[str, str], why: str
) -> None:
    make_cluster(action.aws.rds, source, **made_with)
    action.on("after-call.rds.DescribeDBClusters", statuses(source, ["available"]))

    result = action.run({"source-cluster": source})

    assert result.code == 1
    assert why in result.log
    assert action.calls.changing() == []
