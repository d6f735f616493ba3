"""What a clone hands to the manifests: one value for every placeholder the rules accept."""

from __future__ import annotations

import pytest

from clone_action.manifest import PLACEHOLDERS, placeholder_values
from clone_action.modes.clone_report import database_url, manifest_values

CLUSTER = {
    "DBClusterIdentifier": "prod-pr-7",
    "Endpoint": "prod-pr-7.cluster-abc.eu-west-1.rds.amazonaws.com",
    "ReaderEndpoint": "prod-pr-7.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
    "Port": 5432,
    "Engine": "aurora-postgresql",
    "MasterUsername": "app admin",
}


def test_every_placeholder_has_the_clones_value_and_no_other() -> None:
    assert manifest_values(CLUSTER) == {
        "endpoint": "prod-pr-7.cluster-abc.eu-west-1.rds.amazonaws.com",
        "reader_endpoint": "prod-pr-7.cluster-ro-abc.eu-west-1.rds.amazonaws.com",
        "port": "5432",
        "cluster_id": "prod-pr-7",
        "engine": "aurora-postgresql",
        "database_url": "postgresql://app%20admin@prod-pr-7.cluster-abc.eu-west-1.rds.amazonaws.com:5432/",
    }
    # A placeholder added to the rules must be given a value here too (and the dry run's stand-ins).
    assert tuple(manifest_values(CLUSTER)) == PLACEHOLDERS == tuple(placeholder_values())


@pytest.mark.parametrize(
    ("engine", "url"),
    [("aurora-postgresql", "postgresql://u@h:1/"), ("aurora-mysql", "mysql://u@h:1/")],
)
def test_the_database_url_names_the_engine_and_never_a_password(engine: str, url: str) -> None:
    assert database_url({"Engine": engine, "MasterUsername": "u", "Endpoint": "h", "Port": 1}) == url
