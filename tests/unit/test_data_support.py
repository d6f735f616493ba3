"""data_api_problem: which clusters the RDS Data API serves (engine version, class, Region), and
what a user is told to do about one it does not serve."""

from __future__ import annotations

import pytest

from clone_action.data_support import data_api_problem

PG, MY = "aurora-postgresql", "aurora-mysql"
REMOVE = "or remove mask and sql"

SERVED = [
    (PG, "13.11", "db.serverless", "us-east-1"),
    (PG, "13.20", "db.r6g.large", "eu-west-1"),
    (PG, "14.8", "db.serverless", "ap-northeast-2"),
    (PG, "15.3", "db.r7g.xlarge", "ap-south-1"),
    (PG, "16.1", "db.serverless", "af-south-1"),
    (PG, "16.6", "db.x2g.large", "ap-east-1"),
    (PG, "17.4", "db.serverless", "us-west-2"),
    (PG, "18.3", "db.serverless", "us-east-2"),
    (PG, "19.1", "db.serverless", "us-east-1"),  # newer than the docs: assumed served
    (PG, "16.4-limitless", "db.serverless", "us-east-1"),
    (MY, "8.0.mysql_aurora.3.07.0", "db.serverless", "us-east-1"),
    (MY, "8.0.mysql_aurora.3.07.1", "db.r6g.large", "eu-central-1"),
    (MY, "8.0.mysql_aurora.3.10.0", "db.serverless", "ap-south-2"),  # no Region table read for MySQL
    (MY, "8.4.mysql_aurora.4.00.0", "db.serverless", "us-east-1"),
    (PG, "", "db.serverless", "us-east-1"),  # a version form not known here: EnableHttpEndpoint decides
]


@pytest.mark.parametrize(("engine", "version", "instance_class", "region"), SERVED)
def test_served(engine: str, version: str, instance_class: str, region: str) -> None:
    assert data_api_problem(engine, version, instance_class, region) is None


REFUSED = [
    (
        (PG, "13.10", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL 13.11 or later, and the "
        f"source runs 13.10; upgrade the source cluster to 13.11 or later, {REMOVE}",
    ),
    (
        (PG, "14.6", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL 14.8 or later, and the "
        f"source runs 14.6; upgrade the source cluster to 14.8 or later, {REMOVE}",
    ),
    (
        (PG, "15.2", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL 15.3 or later, and the "
        f"source runs 15.2; upgrade the source cluster to 15.3 or later, {REMOVE}",
    ),
    (
        (PG, "17.2", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL 17.4 or later, and the "
        f"source runs 17.2; upgrade the source cluster to 17.4 or later, {REMOVE}",
    ),
    (
        (PG, "12.22", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora PostgreSQL 13.11 or later, and the "
        f"source runs 12.22; upgrade the source cluster to 13.11 or later, {REMOVE}",
    ),
    (
        (MY, "5.7.mysql_aurora.2.11.2", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora MySQL 3.07 or later, and the source "
        "runs Aurora MySQL 2.11 (MySQL 5.7 compatible), which has none (engine version "
        f"5.7.mysql_aurora.2.11.2); upgrade the source cluster to Aurora MySQL 3.07 or later, {REMOVE}",
    ),
    (
        (MY, "8.0.mysql_aurora.3.05.2", "db.serverless", "us-east-1"),
        "the RDS Data API, which mask and sql run through, needs Aurora MySQL 3.07 or later, and the source "
        "runs Aurora MySQL 3.05 (engine version 8.0.mysql_aurora.3.05.2); upgrade the source cluster to "
        f"Aurora MySQL 3.07 or later, {REMOVE}",
    ),
    (
        (PG, "16.4", "db.t4g.medium", "us-east-1"),
        "the RDS Data API, which mask and sql run through, does not serve db.t* instance classes, and the "
        f"clone's class is db.t4g.medium; use db.serverless or a db.r* class such as db.r6g.large, {REMOVE}",
    ),
    (
        (MY, "8.0.mysql_aurora.3.08.0", "db.t3.medium", "us-east-1"),
        "the RDS Data API, which mask and sql run through, does not serve db.t* instance classes, and the "
        f"clone's class is db.t3.medium; use db.serverless or a db.r* class such as db.r6g.large, {REMOVE}",
    ),
    (
        (PG, "16.4", "db.serverless", "ap-southeast-4"),
        "the RDS Data API, which mask and sql run through, is not available for Aurora PostgreSQL in "
        f"ap-southeast-4 (Asia Pacific (Melbourne)); run the source in a Region that has it, {REMOVE}",
    ),
    (
        (PG, "16.4", "db.serverless", "ap-south-2"),
        "the RDS Data API, which mask and sql run through, is not available for Aurora PostgreSQL in "
        f"ap-south-2 (Asia Pacific (Hyderabad)); run the source in a Region that has it, {REMOVE}",
    ),
    (
        ("aurora", "5.6.mysql_aurora.1.23.4", "db.r5.large", "us-east-1"),
        "the RDS Data API, which mask and sql run through, serves Aurora PostgreSQL and Aurora MySQL "
        "clusters only, and the source's engine is 'aurora'; remove mask and sql",
    ),
    (
        ("postgres", "16.4", "db.m6g.large", "us-east-1"),
        "the RDS Data API, which mask and sql run through, serves Aurora PostgreSQL and Aurora MySQL "
        "clusters only, and the source's engine is 'postgres'; remove mask and sql",
    ),
]


@pytest.mark.parametrize(("cluster", "problem"), REFUSED)
def test_refused_with_what_to_do(cluster: tuple[str, str, str, str], problem: str) -> None:
    assert data_api_problem(*cluster) == problem


def test_the_engine_version_is_named_before_the_class_and_the_region() -> None:
    problem = data_api_problem(PG, "13.4", "db.t3.medium", "ap-south-2")
    assert problem is not None and "13.11 or later" in problem
