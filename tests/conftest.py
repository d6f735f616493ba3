"""Fixtures: fake AWS credentials (never real ones) and a source cluster in moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test can reach real AWS with real credentials."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.delenv("RUNNER_DEBUG", raising=False)


def make_source(rds: Any, ec2: Any, name: str = "prod", **overrides: Any) -> dict[str, Any]:
    """A production-like source: its own subnet group, security group, parameter group, tags."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab", start=1)
    ]
    sg = ec2.create_security_group(GroupName=f"{name}-db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName=f"{name}-subnets", DBSubnetGroupDescription="db", SubnetIds=subnets
    )
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=f"{name}-params",
        DBParameterGroupFamily="aurora-postgresql16",
        Description="db",
    )
    params: dict[str, Any] = {
        "DBClusterIdentifier": name,
        "Engine": "aurora-postgresql",
        "EngineVersion": "16.4",
        "MasterUsername": "app",
        "MasterUserPassword": "prod-password-1",
        "DBSubnetGroupName": f"{name}-subnets",
        "VpcSecurityGroupIds": [sg],
        "DBClusterParameterGroupName": f"{name}-params",
        "DeletionProtection": True,
        "EnableIAMDatabaseAuthentication": True,
        "Tags": [{"Key": "env", "Value": "production"}, {"Key": "cost-center", "Value": "shop"}],
    }
    params.update(overrides)
    cluster = rds.create_db_cluster(**params)["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1",
        DBClusterIdentifier=name,
        Engine=params["Engine"],
        DBInstanceClass="db.r6g.large",
    )
    return {"cluster": cluster, "security_group": sg, "subnet_group": f"{name}-subnets"}


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """moto in-process with a source cluster 'prod'; yields the RDS client and the source facts."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        source = make_source(rds, ec2)
        yield {"rds": rds, "ec2": ec2, **source}
