"""Clone against moto in-process: AWS state, outputs, waiting, retries and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from testkit.events import REPOSITORY, pr_event
from testkit.fake_aws import make_clone
from testkit.harness import Harness
from testkit.rds_model import THROTTLING, common_error, fault, statuses

CLONE = "prod-pr-7"


def tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("TagList") or []}


CONTRACT_TAGS = {
    "aurora-clone/managed": "true",
    "aurora-clone/repository": REPOSITORY,
    "aurora-clone/pr": "7",
    "aurora-clone/source": "prod",
    "aurora-clone/expires-at": "2026-12-02T12:00:00Z",
}


def test_clone_copies_the_sources_network_and_parameters_but_not_its_tags(action: Harness) -> None:
    result = action.run({"tags": "team=checkout\nowner=ana"})

    assert result.code == 0, result.log
    clone = action.cluster(CLONE)
    assert clone is not None
    assert tags(clone) == {**CONTRACT_TAGS, "team": "checkout", "owner": "ana"}
    assert clone["DeletionProtection"] is False
    assert clone["DBSubnetGroup"] == "prod-subnets"
    assert [g["VpcSecurityGroupId"] for g in clone["VpcSecurityGroups"]] == [
        action.aws.source["security_group"]
    ]
    assert clone["DBClusterParameterGroup"] == "prod-params"
    assert clone["IAMDatabaseAuthenticationEnabled"] is True
    assert clone["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0.5
    assert clone["ServerlessV2ScalingConfiguration"]["MaxCapacity"] == 4.0
    (restore,) = action.calls.of("RestoreDBClusterToPointInTime")
    assert restore["RestoreType"] == "copy-on-write"
    assert restore["UseLatestRestorableTime"] is True
    assert restore["SourceDBClusterIdentifier"] == "prod"
    (instance,) = action.instances(CLONE)
    assert instance["DBInstanceIdentifier"] == "prod-pr-7-1"
    assert instance["DBInstanceClass"] == "db.serverless"
    assert instance["PubliclyAccessible"] is False
    assert tags(instance) == tags(clone)


def test_clone_writes_every_output_and_a_summary(action: Harness) -> None:
    result = action.run()

    clone = action.cluster(CLONE)
    assert clone is not None
    assert result.outputs == {
        "action": "clone",
        "cluster-id": CLONE,
        "cluster-arn": clone["DBClusterArn"],
        "endpoint": clone["Endpoint"],
        "reader-endpoint": clone["ReaderEndpoint"],
        "port": "5432",
        "engine": "aurora-postgresql",
        "status": "available",
        "created": "true",
        "database-url": f"postgresql://app@{clone['Endpoint']}:5432/",
    }
    assert "prod-password-1" not in result.log + result.summary + str(result.outputs)
    assert f"| Endpoint | `{clone['Endpoint']}` |" in result.summary
    assert "| Expires | 2026-12-02T12:00:00Z" in result.summary
    assert (
        "https://eu-west-1.console.aws.amazon.com/rds/home?region=eu-west-1#database:id=prod-pr-7;is-cluster=true"
        in result.summary
    )


def test_the_source_is_never_changed(action: Harness) -> None:
    before = action.cluster("prod")
    action.run()

    after = action.cluster("prod")
    assert after is not None and before is not None
    after.pop("LatestRestorableTime")
    before.pop("LatestRestorableTime")
    # RDS itself records the clone group on the source (API reference, DBCluster.CloneGroupId).
    assert "CloneGroupId" not in before and after.pop("CloneGroupId")
    assert after == before
    for name, params in action.calls.log:
        if not name.startswith("Describe"):
            assert params.get("DBClusterIdentifier") != "prod", name


def test_explicit_network_settings_override_the_sources(action: Harness) -> None:
    ec2 = action.aws.ec2
    vpc = ec2.describe_vpcs()["Vpcs"][-1]["VpcId"]
    sg = ec2.create_security_group(GroupName="preview", Description="p", VpcId=vpc)["GroupId"]

    result = action.run(
        {"security-group-ids": sg, "instance-class": "db.r6g.large", "publicly-accessible": "TRUE"}
    )

    assert result.code == 0, result.log
    (restore,) = action.calls.of("RestoreDBClusterToPointInTime")
    assert restore["VpcSecurityGroupIds"] == [sg]
    assert "ServerlessV2ScalingConfiguration" not in restore
    (instance,) = action.instances(CLONE)
    assert instance["DBInstanceClass"] == "db.r6g.large"
    assert instance["PubliclyAccessible"] is True


def test_auto_pause_reaches_the_scaling_configuration(action: Harness) -> None:
    result = action.run({"min-capacity": "0", "max-capacity": "8", "seconds-until-auto-pause": "900"})

    assert result.code == 0, result.log
    (restore,) = action.calls.of("RestoreDBClusterToPointInTime")
    assert restore["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": 0.0,
        "MaxCapacity": 8.0,
        "SecondsUntilAutoPause": 900,
    }


def test_a_rerun_reuses_the_clone(action: Harness) -> None:
    first = action.run()
    assert first.outputs["created"] == "true"
    second = action.run(event=pr_event("synchronize"))

    assert second.code == 0, second.log
    assert (second.outputs["action"], second.outputs["created"]) == ("clone", "false")
    assert second.outputs["cluster-id"] == first.outputs["cluster-id"] == CLONE
    assert second.outputs["endpoint"] == first.outputs["endpoint"]
    assert len(action.calls.of("RestoreDBClusterToPointInTime")) == 1
    assert len(action.calls.of("CreateDBInstance")) == 1
    assert action.aws.cluster_ids() == ["prod", CLONE]
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == [f"{CLONE}-1"]
    assert "Reusing the clone 'prod-pr-7'" in second.log
    assert "(reused)" in second.summary


def test_a_clone_left_without_an_instance_is_completed(action: Harness) -> None:
    """An earlier run made the clone and stopped before its instance (test_teardown.py holds that a
    failed CreateDBInstance leaves exactly this)."""
    make_clone(action.aws.rds, CLONE, pr=7)
    assert action.instances(CLONE) == []

    second = action.run()

    assert second.code == 0, second.log
    assert second.outputs["created"] == "false"
    assert action.calls.of("RestoreDBClusterToPointInTime") == []
    assert "The clone has no DB instance (an earlier run stopped early): adding it now" in second.log
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == ["prod-pr-7-1"]


def test_waiting_follows_the_states_and_stops_at_the_first_ready_poll(action: Harness) -> None:
    action.on(
        "after-call.rds.DescribeDBClusters",
        statuses(CLONE, ["creating", "creating", "backing-up", "available"]),
    )
    action.on(
        "after-call.rds.DescribeDBInstances",
        statuses(
            "prod-pr-7-1",
            ["creating", "creating", "creating", "configuring-enhanced-monitoring", "available"],
            kind="instance",
        ),
    )

    result = action.run({"poll-interval": "20"})

    assert result.code == 0, result.log
    progress = [line for line in result.log.splitlines() if line.startswith("[")]
    assert progress == [
        "[    0s] cluster prod-pr-7: creating; instance prod-pr-7-1: creating",
        "[   40s] cluster prod-pr-7: backing-up; instance prod-pr-7-1: creating",
        "[ 1m00s] cluster prod-pr-7: available; instance prod-pr-7-1: configuring-enhanced-monitoring",
        "[ 1m20s] cluster prod-pr-7: available; instance prod-pr-7-1: available",
    ]
    assert result.clock.sleeps == [20, 20, 20, 20]
    assert result.outputs["status"] == "available"


def test_the_instance_is_retried_while_the_cluster_is_still_creating(action: Harness) -> None:
    """RDS refuses CreateDBInstance while the new cluster is 'creating' (moto never does)."""
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating", "creating", "available"]))
    refused: list[int] = []

    def refuse_while_creating(**kwargs: Any) -> Any:
        if len(refused) < 2:
            refused.append(1)
            return fault("InvalidDBClusterStateFault", "DBCluster prod-pr-7 is in creating state")(**kwargs)
        return None

    action.on("before-call.rds.CreateDBInstance", refuse_while_creating)

    result = action.run({"poll-interval": "10"})

    assert result.code == 0, result.log
    assert len(action.calls.of("CreateDBInstance")) == 3
    assert result.clock.sleeps[:2] == [10, 10]
    assert (
        "RDS cannot add the instance to 'prod-pr-7' yet (DBCluster prod-pr-7 is in creating state): "
        "cluster 'prod-pr-7' is 'creating'; trying again every 10s" in result.log
    )
    assert len(action.instances(CLONE)) == 1


def test_a_refusal_while_the_clone_is_available_is_not_retried(action: Harness) -> None:
    """Not every InvalidDBClusterStateFault is busy: with nothing changing, retrying cannot help."""
    message = (
        "Set the Serverless v2 scaling configuration on the parent DB cluster before creating a "
        "Serverless v2 DB instance."
    )
    action.on("before-call.rds.CreateDBInstance", fault("InvalidDBClusterStateFault", message))

    result = action.run({"poll-interval": "10"})

    assert result.code == 1
    assert (
        f"::error title=aurora-clone%3A aws error::RDS refused to add the instance to 'prod-pr-7': {message}"
        in result.log
    )
    assert "waiting would not help" in result.summary
    assert len(action.calls.of("CreateDBInstance")) == 1
    assert result.clock.sleeps == []


def test_a_clone_that_fails_while_its_instance_is_refused_ends_at_once(action: Harness) -> None:
    """The instance is refused while the clone is creating; then the clone turns cloning-failed."""
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating", "cloning-failed"]))
    action.on(
        "before-call.rds.CreateDBInstance",
        fault("InvalidDBClusterStateFault", "DBCluster prod-pr-7 is in creating state"),
    )

    result = action.run({"poll-interval": "10", "timeout-minutes": "60"})

    assert result.code == 1
    assert (
        "::error title=aurora-clone%3A clone state::RDS refused to add the instance to 'prod-pr-7' "
        "(DBCluster prod-pr-7 is in creating state), and the cluster 'prod-pr-7' is 'cloning-failed': "
        "RDS could not make the clone." in result.log
    )
    assert result.clock.sleeps == [10]
    assert len(action.calls.of("CreateDBInstance")) == 2


@pytest.mark.filterwarnings("ignore:Exception\\(RDSClientError\\) with code Throttling")
def test_throttling_is_retried_by_the_sdk(action: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_: 0)
    original = RDSBackend.restore_db_cluster_to_point_in_time
    throttled = []

    def throttle_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not throttled:
            throttled.append(1)
            raise RDSClientError(THROTTLING, "Rate exceeded")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RDSBackend, "restore_db_cluster_to_point_in_time", throttle_once)

    result = action.run()

    assert result.code == 0, result.log
    assert throttled == [1]
    assert action.cluster(CLONE) is not None


@pytest.mark.parametrize(
    ("kind", "status", "meaning", "fix"),
    [
        ("cluster", "cloning-failed", "RDS could not make the clone.", "Look at the events of 'prod-pr-7'"),
        (
            "cluster",
            "stopped",
            "Someone stopped the cluster; RDS does not start it again for up to seven days.",
            "Start it (aws rds start-db-cluster --db-cluster-identifier prod-pr-7) and re-run the job",
        ),
        (
            "cluster",
            "stopping",
            "Someone stopped the cluster; RDS does not start it again for up to seven days.",
            "Start it (aws rds start-db-cluster --db-cluster-identifier prod-pr-7)",
        ),
        (
            "cluster",
            "inaccessible-encryption-credentials",
            "RDS cannot use the KMS key that encrypts the source and its clones.",
            "Make sure the key is enabled",
        ),
        (
            "cluster",
            "inaccessible-encryption-credentials-recoverable",
            "RDS cannot use the KMS key that encrypts the source and its clones.",
            "Make sure the key is enabled",
        ),
        (
            "cluster",
            "upgrade-failed",
            "RDS reports 'upgrade-failed', a state that does not turn into available by itself.",
            "Look at the events of 'prod-pr-7'",
        ),
        (
            "instance",
            "insufficient-capacity",
            "AWS has no capacity for this instance class in the clone's Availability Zone right now.",
            "Choose another instance-class, or try again later.",
        ),
        (
            "instance",
            "restore-error",
            "RDS reports 'restore-error', a state that does not turn into available by itself.",
            "Look at the events of 'prod-pr-7-1'",
        ),
        (
            "instance",
            "incompatible-parameters",
            "The parameter group holds values the clone's instance cannot start with.",
            "Check db-cluster-parameter-group against instance-class.",
        ),
        (
            "instance",
            "incompatible-network",
            "The clone's subnet group or VPC cannot take the instance",
            "Check db-subnet-group and security-group-ids.",
        ),
        (
            "instance",
            "failed",
            "RDS reports 'failed', a state that does not turn into available by itself.",
            "Look at the events of 'prod-pr-7-1'",
        ),
    ],
)
def test_a_state_that_does_not_pass_by_itself_ends_the_wait_at_once(
    action: Harness, kind: str, status: str, meaning: str, fix: str
) -> None:
    ident = CLONE if kind == "cluster" else "prod-pr-7-1"
    operation = "DescribeDBClusters" if kind == "cluster" else "DescribeDBInstances"
    action.on(f"after-call.rds.{operation}", statuses(ident, ["creating", status], kind=kind))

    result = action.run()

    assert result.code == 1
    assert (
        f"::error title=aurora-clone%3A clone state::The clone's {kind} '{ident}' is '{status}': {meaning}"
        in result.log
    )
    assert fix in result.summary
    assert result.clock.sleeps == [15]  # one poll: the wait ends at the first look at the state


def test_waiting_gives_up_at_timeout_minutes(action: Harness) -> None:
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating"]))

    result = action.run({"timeout-minutes": "2", "poll-interval": "50"})

    assert result.code == 1
    assert sum(result.clock.sleeps) == 120
    assert result.clock.sleeps == [50, 50, 20]
    assert "The clone 'prod-pr-7' was not available after timeout-minutes: 2" in result.log
    assert (
        "The clone is still being created and it is kept: re-run the job to go on waiting" in result.summary
    )
    assert action.cluster(CLONE) is not None  # kept for the rerun


def test_a_timeout_in_another_passing_state_does_not_say_being_created(action: Harness) -> None:
    action.on("after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating", "modifying"]))

    result = action.run({"timeout-minutes": "1", "poll-interval": "30"})

    assert result.code == 1
    assert "was not available after timeout-minutes: 1 (cluster prod-pr-7: modifying; instance" in result.log
    assert "being created" not in result.log + result.summary
    assert (
        "RDS is still working on the clone, in states that pass by themselves, and it is kept"
        in result.summary
    )


def test_wait_false_returns_after_the_create_calls(action: Harness) -> None:
    result = action.run({"wait": "false"})

    assert result.code == 0, result.log
    assert (result.outputs["status"], result.outputs["created"]) == ("creating", "true")
    assert result.outputs["endpoint"].startswith("prod-pr-7.cluster-")
    assert result.outputs["endpoint"] == action.aws.cluster(CLONE)["Endpoint"]  # type: ignore[index]
    assert "Waiting for the clone" not in result.log
    assert len(action.instances(CLONE)) == 1
    # Only the look, before the restore, that the instance's region-wide name is free: no wait.
    assert action.calls.of("DescribeDBInstances") == [{"DBInstanceIdentifier": "prod-pr-7-1"}]
    assert result.clock.sleeps == []


def test_dry_run_describes_and_changes_nothing(action: Harness) -> None:
    result = action.run({"dry-run": "true"})

    assert result.code == 0, result.log
    assert action.calls.changing() == []
    assert action.cluster(CLONE) is None and action.instances(CLONE) == []
    assert result.outputs == {"action": "clone", "cluster-id": CLONE}
    assert "Dry run: nothing will be changed. The action would create:" in result.log
    assert f"  clone:           {CLONE} (copy-on-write from prod, aurora-postgresql 16.4)" in result.log
    assert "  subnet group:    prod-subnets" in result.log
    assert f"  security groups: {action.aws.source['security_group']}" in result.log
    assert "aurora-clone/managed=true" in result.log
    assert "Nothing was changed" in result.summary


@pytest.mark.parametrize(
    ("existing_tags", "reason"),
    [
        (
            [],
            "'prod-pr-7' does not carry the tag aurora-clone/managed=true, so this action did not create it",
        ),
        (
            [
                ("aurora-clone/managed", "true"),
                ("aurora-clone/repository", "acme/other"),
                ("aurora-clone/pr", "7"),
            ],
            "'prod-pr-7' belongs to the repository 'acme/other', not 'acme/shop'",
        ),
        (
            [
                ("aurora-clone/managed", "true"),
                ("aurora-clone/repository", REPOSITORY),
                ("aurora-clone/pr", "8"),
            ],
            "'prod-pr-7' belongs to pull request #8, not #7",
        ),
    ],
)
def test_a_cluster_named_like_the_clone_that_is_not_ours_is_never_reused(
    action: Harness, existing_tags: list[tuple[str, str]], reason: str
) -> None:
    action.aws.rds.create_db_cluster(
        DBClusterIdentifier=CLONE,
        Engine="aurora-postgresql",
        MasterUsername="other",
        MasterUserPassword="other-password",
        Tags=[{"Key": k, "Value": v} for k, v in existing_tags],
    )

    result = action.run()

    assert result.code == 1
    assert f"is not this pull request's clone: {reason}. Nothing was changed." in result.log
    assert action.calls.changing() == []
    assert action.instances(CLONE) == []


def test_a_clone_id_equal_to_the_source_is_refused_before_any_aws_call(action: Harness) -> None:
    result = action.run({"clone-id": "prod"})

    assert result.code == 1
    assert "clone-id: 'prod' gives 'prod', the source cluster itself" in result.log
    assert action.calls.names() == []


def test_a_missing_source_names_the_cluster_and_region(action: Harness) -> None:
    result = action.run({"source-cluster": "prod-typo"})

    assert result.code == 1
    (error,) = result.commands("error")
    assert "The source cluster 'prod-typo' was not found in the region eu-west-1." in error
    assert "prod-typo" in result.summary
    assert result.outputs == {}
    assert action.calls.changing() == []


def test_a_source_that_is_not_available_is_refused(action: Harness) -> None:
    action.on("after-call.rds.DescribeDBClusters", statuses("prod", ["stopped"]))

    result = action.run()

    assert result.code == 1
    assert (
        "::error title=aurora-clone%3A clone state::RDS cannot clone 'prod'; nothing was changed:%0A"
        "- 'prod' is 'stopped', and RDS clones only an available cluster; start the source (or wait "
        "until it is available) and re-run the job" in result.log
    )
    assert action.calls.changing() == []


@pytest.mark.parametrize(
    ("refusal", "said", "fixes"),
    [
        (
            common_error(
                "AccessDenied", "User is not authorized to perform: rds:RestoreDBClusterToPointInTime"
            ),
            "AWS denied rds:RestoreDBClusterToPointInTime (AccessDenied)",
            ["Allow rds:RestoreDBClusterToPointInTime in the IAM policy", "examples/iam/"],
        ),
        (
            fault("DBClusterQuotaExceededFault", "Cannot create more than 40 clusters"),
            "An AWS quota stopped rds:RestoreDBClusterToPointInTime in eu-west-1",
            ["mode: purge"],
        ),
    ],
    ids=["access-denied-names-the-iam-action", "a-quota-suggests-purge"],
)
def test_a_refused_restore_says_what_failed_and_how_to_fix_it(
    action: Harness, refusal: Any, said: str, fixes: list[str]
) -> None:
    action.on("before-call.rds.RestoreDBClusterToPointInTime", refusal)

    result = action.run()

    assert result.code == 1
    assert said in result.log
    assert all(fix in result.summary for fix in fixes), result.summary
    assert "Traceback" not in result.log


def test_a_clone_created_by_a_concurrent_run_is_reused(action: Harness) -> None:
    """RDS answers DBClusterAlreadyExistsFault (moto never does): the action re-checks and reuses."""
    rds = action.aws.rds

    def race(**_: Any) -> Any:
        rds.restore_db_cluster_to_point_in_time(
            SourceDBClusterIdentifier="prod",
            DBClusterIdentifier=CLONE,
            RestoreType="copy-on-write",
            UseLatestRestorableTime=True,
            DeletionProtection=False,
            Tags=[{"Key": k, "Value": v} for k, v in CONTRACT_TAGS.items()],
        )
        return fault("DBClusterAlreadyExistsFault", "DB Cluster already exists")()

    action.on("before-call.rds.RestoreDBClusterToPointInTime", race)

    result = action.run()

    assert result.code == 0, result.log
    assert result.outputs["created"] == "false"
    assert len(action.instances(CLONE)) == 1


def test_manage_master_password_gives_the_clone_its_own_secret(action: Harness) -> None:
    result = action.run({"manage-master-password": "true"})

    assert result.code == 0, result.log
    (modify,) = action.calls.of("ModifyDBCluster")
    assert modify == {
        "DBClusterIdentifier": CLONE,
        "ManageMasterUserPassword": True,
        "ApplyImmediately": True,
    }
    clone = action.cluster(CLONE)
    assert clone is not None
    assert result.outputs["master-user-secret-arn"] == clone["MasterUserSecret"]["SecretArn"]
    assert "MasterUserSecret" not in (action.cluster("prod") or {})
    assert "its own, kept by RDS in Secrets Manager" in result.summary


def test_manage_master_password_is_not_repeated_on_a_rerun(action: Harness) -> None:
    first = action.run({"manage-master-password": "true"})
    second = action.run({"manage-master-password": "true"}, event=pr_event("synchronize"))

    assert second.code == 0, second.log
    assert len(action.calls.of("ModifyDBCluster")) == 1
    assert second.outputs["master-user-secret-arn"] == first.outputs["master-user-secret-arn"]


def test_without_manage_master_password_the_summary_says_the_source_password_is_kept(action: Harness) -> None:
    result = action.run()

    assert action.calls.of("ModifyDBCluster") == []
    assert "master-user-secret-arn" not in result.outputs
    assert "| Master password | the source's (set `manage-master-password: true`" in result.summary


def test_manage_master_password_needs_wait(action: Harness) -> None:
    result = action.run({"manage-master-password": "true", "wait": "false"})

    assert result.code == 1
    assert "manage-master-password: needs wait: true" in result.log
    assert action.calls.names() == []


def test_a_rerun_on_an_active_pr_extends_the_expiry(action: Harness) -> None:
    from datetime import timedelta

    action.run({"ttl": "3d"})
    action.clock.wall += timedelta(days=2)

    result = action.run({"ttl": "3d"}, event=pr_event("synchronize"))

    assert result.code == 0, result.log
    clone = action.cluster(CLONE)
    assert clone is not None
    assert tags(clone)["aurora-clone/expires-at"] == "2026-11-30T12:00:00Z"
    (instance,) = action.instances(CLONE)
    assert tags(instance)["aurora-clone/expires-at"] == "2026-11-30T12:00:00Z"
    assert "| Expires | 2026-11-30T12:00:00Z" in result.summary
    assert "The clone now expires at 2026-11-30T12:00:00Z" in result.log
