"""What a clone run checks of the source, and what it asks RDS to copy: pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from clone_action.config import parse_inputs
from clone_action.modes.clone_source import restore_settings, serverless_problems, source_problems
from testkit.real_rds import serverless_v2_support

AVAILABLE_SOURCE: dict[str, Any] = {
    "DBClusterIdentifier": "prod",
    "Engine": "aurora-postgresql",
    "EngineVersion": "16.4",
    "EngineMode": "provisioned",
    "Status": "available",
    "DBClusterMembers": [{"DBInstanceIdentifier": "prod-1"}],
}


def inputs(**values: str) -> Any:
    return parse_inputs({"INPUT_" + k.replace("_", "-").upper(): v for k, v in values.items()})


def test_an_available_aurora_source_with_an_instance_is_fine() -> None:
    assert source_problems(AVAILABLE_SOURCE, "prod") == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"Engine": "docdb"},
            "'prod' is a docdb cluster: the action clones Aurora PostgreSQL and Aurora MySQL clusters only "
            "(not DocumentDB, Neptune or RDS Multi-AZ DB clusters); set source-cluster to an Aurora cluster",
        ),
        (
            {"Engine": "postgres", "DBClusterInstanceClass": "db.m6gd.large"},
            "'prod' is a postgres cluster: the action clones Aurora PostgreSQL and Aurora MySQL clusters only "
            "(not DocumentDB, Neptune or RDS Multi-AZ DB clusters); set source-cluster to an Aurora cluster",
        ),
        (
            {"EngineMode": "serverless"},
            "'prod' is an Aurora Serverless v1 cluster (EngineMode serverless), which has reached its end of "
            "life and takes no DB instances; upgrade it to Serverless v2 or provisioned",
        ),
        (
            {"DBClusterMembers": []},
            "'prod' has no DB instances, and RDS clones only a cluster with at least one; add an instance "
            "to the source",
        ),
    ],
    ids=["documentdb", "multi-az-db-cluster", "serverless-v1", "no-instances"],
)
def test_a_source_rds_cannot_clone_is_named_with_the_reason(changes: dict[str, Any], problem: str) -> None:
    assert source_problems({**AVAILABLE_SOURCE, **changes}, "prod") == [problem]


def test_every_source_problem_is_listed_at_once() -> None:
    source = {**AVAILABLE_SOURCE, "Engine": "neptune", "DBClusterMembers": [], "Status": "stopped"}
    assert len(source_problems(source, "prod")) == 3


@pytest.mark.parametrize(
    ("engine", "version", "support"),
    [
        ("aurora-postgresql", "16.4", {"MinCapacity": 0.0, "MaxCapacity": 256.0}),
        ("aurora-postgresql", "14.9", {"MinCapacity": 0.5, "MaxCapacity": 128.0}),
        ("aurora-postgresql", "14.10", {"MinCapacity": 0.5, "MaxCapacity": 256.0}),
        ("aurora-postgresql", "13.4", None),
        ("aurora-mysql", "5.7.mysql_aurora.2.12.1", None),
        ("aurora-mysql", "8.0.mysql_aurora.3.05.2", {"MinCapacity": 0.5, "MaxCapacity": 128.0}),
        ("aurora-mysql", "8.0.mysql_aurora.3.08.0", {"MinCapacity": 0.0, "MaxCapacity": 256.0}),
    ],
)
def test_the_double_follows_the_capacity_table_of_the_aurora_guide(
    engine: str, version: str, support: dict[str, float] | None
) -> None:
    assert serverless_v2_support(engine, version) == support


def test_serverless_inputs_within_the_versions_range_are_fine() -> None:
    features = {"MinCapacity": 0.0, "MaxCapacity": 256.0}
    assert (
        serverless_problems(
            inputs(min_capacity="0", max_capacity="256"), "aurora-postgresql", "16.4", features
        )
        == []
    )


def test_a_version_without_serverless_v2_refuses_db_serverless() -> None:
    assert serverless_problems(inputs(), "aurora-mysql", "5.7.mysql_aurora.2.12.1", None) == [
        "instance-class: db.serverless needs an engine version with Aurora Serverless v2, and the source "
        "runs aurora-mysql 5.7.mysql_aurora.2.12.1, which has none; set instance-class to a provisioned "
        "class such as db.r6g.large, got 'db.serverless'"
    ]


def test_capacity_beyond_the_versions_range_names_both_inputs() -> None:
    features = {"MinCapacity": 0.5, "MaxCapacity": 128.0}
    assert serverless_problems(
        inputs(min_capacity="0", max_capacity="256"), "aurora-postgresql", "14.9", features
    ) == [
        "min-capacity: the source runs aurora-postgresql 14.9, which allows at least 0.5 ACU (auto-pause at 0 "
        "needs Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 or later, or Aurora MySQL 3.08 or later); set "
        "min-capacity: 0.5, got '0'",
        "max-capacity: the source runs aurora-postgresql 14.9, which allows at most 128 ACU; set "
        "max-capacity: 128 or less, got '256'",
    ]


SOURCE = {
    **AVAILABLE_SOURCE,
    "DBSubnetGroup": "prod-subnets",
    "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
    "DBClusterParameterGroup": "prod-params",
    "IAMDatabaseAuthenticationEnabled": True,
    "Port": 6543,
    "StorageType": "aurora-iopt1",
    "EngineLifecycleSupport": "open-source-rds-extended-support-disabled",
}


def test_the_restore_takes_what_rds_does_not_copy_from_the_source() -> None:
    assert restore_settings(inputs(), SOURCE) == {
        "DBSubnetGroupName": "prod-subnets",
        "VpcSecurityGroupIds": ["sg-0123456789abcdef0"],
        "DBClusterParameterGroupName": "prod-params",
        "EnableIAMDatabaseAuthentication": True,
        "Port": 6543,
        "StorageType": "aurora-iopt1",
        "EngineLifecycleSupport": "open-source-rds-extended-support-disabled",
        "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4.0},
    }


def test_storage_left_out_of_the_describe_is_left_to_the_restores_default() -> None:
    """RDS leaves StorageType out of a describe when it is `aurora`, the restore's default too."""
    source = {k: v for k, v in SOURCE.items() if k not in ("StorageType", "EngineLifecycleSupport")}
    settings = restore_settings(inputs(instance_class="db.r6g.large"), source)
    assert "StorageType" not in settings and "EngineLifecycleSupport" not in settings
    assert "ServerlessV2ScalingConfiguration" not in settings


def test_inputs_override_the_sources_network() -> None:
    given = inputs(
        db_subnet_group="preview-subnets", security_group_ids="sg-11111111", db_cluster_parameter_group="pv"
    )
    settings = restore_settings(given, SOURCE)
    assert (
        settings["DBSubnetGroupName"],
        settings["VpcSecurityGroupIds"],
        settings["DBClusterParameterGroupName"],
    ) == (
        "preview-subnets",
        ["sg-11111111"],
        "pv",
    )
