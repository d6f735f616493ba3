"""Integration fixtures: the action in-process, on its own RDS client, against the session's moto."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.fake_aws import Account
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness


@pytest.fixture
def action(aws: Account, tmp_path: Path, github: FakeGitHub) -> Harness:
    return Harness(aws, tmp_path, github)
