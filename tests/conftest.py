"""Fixtures, each built from testkit: fake AWS credentials, one moto for the session, the fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit.data_api import DataApi
from testkit.fake_aws import Account, Moto
from testkit.fake_github import FakeGitHub, instant_retries, serve
from testkit.runner import REGION


@pytest.fixture(autouse=True)
def waits() -> Iterator[list[float]]:
    """PyGithub's retries (a 5xx, a rate limit) record their waits instead of sleeping them; a test
    that asks for this fixture reads them."""
    with instant_retries() as recorded:
        yield recorded


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


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    """moto (corrected by testkit.real_rds) once for the session, in-process and, when asked, as a server."""
    started = Moto()
    yield started
    started.stop()


@pytest.fixture
def aws(moto: Moto, fake_aws_env: None) -> Account:
    """moto emptied, with the source cluster 'prod' (its instance, tags, subnet and security groups)."""
    return Account.fresh(moto)


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


@pytest.fixture(scope="session")
def double() -> Iterator[DataApi]:
    """The Data API double (testkit.data_api) over the real servers, once for the session; each
    test attaches its clone to a database of its own."""
    api = DataApi()
    yield api
    api.stop()
