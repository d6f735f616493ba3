"""Fixtures: fake AWS credentials (never real ones) and a source cluster in moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scripts.fake_aws import make_source

__all__ = ["REGION", "make_source"]

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


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """moto in-process with a source cluster 'prod'; yields the RDS client and the source facts."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        source = make_source(rds, ec2, region=REGION)
        yield {"rds": rds, "ec2": ec2, **source}
