"""The double itself: moto with testkit/real_rds.py answers as the AWS documents say RDS does.

These hold the corrections to their sources, so that a moto upgrade that drops one is noticed,
and they are what the action's tests stand on. Errors are caught as the client's modelled
exceptions, which botocore matches by the wire code of the service model.
"""

from __future__ import annotations

from typing import Any

import pytest

from testkit.fake_aws import Account, Moto
from testkit.real_rds import SERVERLESS_V2_REFUSAL


def restore(rds: Any, clone_id: str, source: str = "prod", **extra: Any) -> dict[str, Any]:
    return dict(
        rds.restore_db_cluster_to_point_in_time(
            SourceDBClusterIdentifier=source,
            DBClusterIdentifier=clone_id,
            RestoreType="copy-on-write",
            UseLatestRestorableTime=True,
            Tags=[],
            **extra,
        )["DBCluster"]
    )


def cluster(rds: Any, ident: str) -> dict[str, Any]:
    return dict(rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0])


def test_a_restore_over_an_existing_cluster_is_already_exists(aws: Account) -> None:
    rds = aws.rds
    restore(rds, "c1")
    with pytest.raises(rds.exceptions.DBClusterAlreadyExistsFault):
        restore(rds, "c1")


def test_a_restore_takes_the_api_defaults_not_the_sources(aws: Account) -> None:
    rds = aws.rds
    rds.modify_db_cluster(DBClusterIdentifier="prod", Port=6543, ApplyImmediately=True)

    clone = cluster(rds, restore(rds, "c1")["DBClusterIdentifier"])

    assert clone["Port"] == 5432  # "Default: The default port for the engine."
    assert "StorageType" not in clone  # `aurora`, which a describe leaves out
    assert clone["EngineLifecycleSupport"] == "open-source-rds-extended-support"


def test_copy_on_write_clones_share_the_sources_clone_group_up_to_15(aws: Account) -> None:
    rds = aws.rds
    assert "CloneGroupId" not in cluster(rds, "prod")  # null until the first clone
    for n in range(15):
        restore(rds, f"c{n}")
    group = cluster(rds, "prod")["CloneGroupId"]
    members = rds.describe_db_clusters(Filters=[{"Name": "clone-group-id", "Values": [group]}])["DBClusters"]
    assert len(members) == 16

    sixteenth = cluster(rds, restore(rds, "c15")["DBClusterIdentifier"])

    assert sixteenth["CloneGroupId"] != group  # a full copy (the double's choice: see real_rds.py)


def test_a_source_without_instances_cannot_be_cloned(aws: Account) -> None:
    rds = aws.rds
    rds.create_db_cluster(
        DBClusterIdentifier="empty",
        Engine="aurora-postgresql",
        MasterUsername="a",
        MasterUserPassword="password1",
    )
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
        restore(rds, "c1", source="empty")


def test_a_stopped_cluster_refuses_changes_with_the_wire_codes(aws: Account) -> None:
    rds = aws.rds
    restore(rds, "c1", ServerlessV2ScalingConfiguration={"MinCapacity": 0.5, "MaxCapacity": 2})
    rds.create_db_instance(
        DBInstanceIdentifier="c1-1",
        DBClusterIdentifier="c1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.serverless",
    )
    rds.stop_db_cluster(DBClusterIdentifier="c1")

    with pytest.raises(rds.exceptions.InvalidDBInstanceStateFault) as caught:
        rds.delete_db_instance(DBInstanceIdentifier="c1-1", SkipFinalSnapshot=True)
    assert caught.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
        rds.delete_db_cluster(DBClusterIdentifier="c1", SkipFinalSnapshot=True)
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault):
        rds.modify_db_cluster(DBClusterIdentifier="c1", ManageMasterUserPassword=True, ApplyImmediately=True)

    assert rds.start_db_cluster(DBClusterIdentifier="c1")["DBCluster"]["Status"] == "starting"
    assert cluster(rds, "c1")["Status"] == "available"


def test_a_serverless_instance_needs_the_clusters_scaling_configuration(aws: Account) -> None:
    rds = aws.rds
    restore(rds, "c1")
    with pytest.raises(rds.exceptions.InvalidDBClusterStateFault) as caught:
        rds.create_db_instance(
            DBInstanceIdentifier="c1-1",
            DBClusterIdentifier="c1",
            Engine="aurora-postgresql",
            DBInstanceClass="db.serverless",
        )
    assert caught.value.response["Error"]["Message"] == SERVERLESS_V2_REFUSAL


def test_not_found_arrives_under_its_wire_code(aws: Account) -> None:
    rds = aws.rds
    with pytest.raises(rds.exceptions.DBInstanceNotFoundFault) as caught:
        rds.describe_db_instances(DBInstanceIdentifier="nope")
    assert caught.value.response["Error"]["Code"] == "DBInstanceNotFound"


@pytest.mark.xdist_group("moto-server")  # with the e2e tests: the server starts once
def test_engine_versions_say_what_serverless_v2_allows_also_through_a_server(moto: Moto) -> None:
    rds = moto.client("rds", over_http=True)

    (pg,) = rds.describe_db_engine_versions(Engine="aurora-postgresql", EngineVersion="14.9")[
        "DBEngineVersions"
    ]
    (mysql2,) = rds.describe_db_engine_versions(
        Engine="aurora-mysql", EngineVersion="5.7.mysql_aurora.2.12.1"
    )["DBEngineVersions"]

    assert pg["ServerlessV2FeaturesSupport"] == {"MinCapacity": 0.5, "MaxCapacity": 128.0}
    assert "ServerlessV2FeaturesSupport" not in mysql2


def test_an_instance_for_a_cluster_that_does_not_exist_is_cluster_not_found(aws: Account) -> None:
    rds = aws.rds
    with pytest.raises(rds.exceptions.DBClusterNotFoundFault):
        rds.create_db_instance(
            DBInstanceIdentifier="gone-1",
            DBClusterIdentifier="gone",
            Engine="aurora-postgresql",
            DBInstanceClass="db.serverless",
        )
    assert (
        rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": ["gone"]}])["DBInstances"]
        == []
    )


def test_a_clone_made_again_under_its_name_right_after_its_deletion_is_made(aws: Account) -> None:
    rds = aws.rds
    restore(rds, "again", DeletionProtection=False)
    rds.delete_db_cluster(DBClusterIdentifier="again", SkipFinalSnapshot=True)

    assert restore(rds, "again", DeletionProtection=False)["DBClusterIdentifier"] == "again"
    automated = rds.describe_db_cluster_snapshots(DBClusterIdentifier="again", SnapshotType="automated")
    assert len(automated["DBClusterSnapshots"]) == 1


def test_a_renamed_cluster_keeps_its_instances_tags_and_moves_its_name_and_arn(aws: Account) -> None:
    rds = aws.rds
    restore(rds, "gold-r1")
    rds.create_db_instance(
        DBInstanceIdentifier="gold-r1-1",
        DBClusterIdentifier="gold-r1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    rds.add_tags_to_resource(
        ResourceName=aws.cluster("gold-r1")["DBClusterArn"], Tags=[{"Key": "k", "Value": "v"}]
    )

    rds.modify_db_cluster(DBClusterIdentifier="gold-r1", NewDBClusterIdentifier="gold", ApplyImmediately=True)

    assert "gold-r1" not in aws.cluster_ids()
    renamed = aws.cluster("gold")
    assert renamed["DBClusterArn"].endswith(":cluster:gold")
    assert renamed["Endpoint"].startswith("gold.cluster-")
    assert [m["DBInstanceIdentifier"] for m in renamed["DBClusterMembers"]] == ["gold-r1-1"]
    assert [i["DBClusterIdentifier"] for i in aws.instances("gold")] == ["gold"]
    assert aws.tags(renamed["DBClusterArn"])["k"] == "v"


def test_a_rename_to_a_name_that_exists_is_refused(aws: Account) -> None:
    restore(aws.rds, "gold-r1")

    with pytest.raises(aws.rds.exceptions.DBClusterAlreadyExistsFault):
        aws.rds.modify_db_cluster(
            DBClusterIdentifier="gold-r1", NewDBClusterIdentifier="prod", ApplyImmediately=True
        )

    assert {"gold-r1", "prod"} <= set(aws.cluster_ids())


def test_a_clone_of_a_cluster_with_a_managed_password_does_not_get_a_secret_of_its_own(aws: Account) -> None:
    aws.rds.modify_db_cluster(
        DBClusterIdentifier="prod", ManageMasterUserPassword=True, ApplyImmediately=True
    )
    assert aws.cluster("prod")["MasterUserSecret"]["SecretArn"]

    clone = restore(aws.rds, "prod-pr-1")

    assert "MasterUserSecret" not in clone
    assert "MasterUserSecret" not in aws.cluster("prod-pr-1")
