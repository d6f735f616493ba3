"""Fixtures: fake AWS credentials (never real ones) and a source cluster in moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scripts.fake_aws import make_source
from testkit import real_rds
from testkit.fake_github import FakeGitHub, instant_retries, serve

# moto behaves like real RDS where the action depends on it, in-process and in every server
# started by the tests (testkit/real_rds.py says which behaviours, and from which AWS docs).
real_rds.install()

__all__ = ["REGION", "make_source"]

REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def no_github_retry_sleeps() -> Iterator[list[float]]:
    """PyGithub's retries (a 5xx, a rate limit) record their waits instead of sleeping them."""
    with instant_retries() as waits:
        yield waits


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


@pytest.fixture(scope="session")
def github_server() -> Iterator[FakeGitHub]:
    """A fake of GitHub's REST API on 127.0.0.1 for the whole session."""
    fake = FakeGitHub()
    server, _ = serve(fake)
    yield fake
    server.shutdown()


@pytest.fixture
def github(github_server: FakeGitHub) -> FakeGitHub:
    """The fake GitHub API, emptied for each test."""
    github_server.reset()
    return github_server


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """A moto server on a free port of 127.0.0.1, for the tests that reach AWS over HTTP."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def server_clients(url: str) -> tuple[Any, Any]:
    """RDS and EC2 clients of a moto server, its state reset first (moto's state is per process)."""
    import boto3
    import requests

    requests.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    creds = {
        "region_name": REGION,
        "endpoint_url": url,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return boto3.client("rds", **creds), boto3.client("ec2", **creds)
