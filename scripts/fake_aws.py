"""A production-like source cluster in moto, for the demo and the tests (never real AWS)."""

from __future__ import annotations

from typing import Any


def make_source(
    rds: Any, ec2: Any, name: str = "prod", region: str = "eu-west-1", **overrides: Any
) -> dict[str, Any]:
    """A source with its own subnet group, security group, parameter group, an instance and prod tags."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"][
            "SubnetId"
        ]
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
