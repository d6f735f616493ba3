"""End-to-end fixtures: entrypoint.py in a subprocess, as the runner starts the container, against the
session's moto server (AWS_ENDPOINT_URL) and the fake GitHub."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from testkit.fake_aws import Account
from testkit.fake_github import FakeGitHub
from testkit.runner import Job, Result, RunAction, run_subprocess


@pytest.fixture
def run_action(tmp_path: Path, aws: Account, github: FakeGitHub) -> RunAction:
    """Run entrypoint.py as one step of a job (`source-cluster: prod`, `poll-interval: 1`); an input or
    a variable given as None is left out. `interrupt`: (a text, a signal) sent once a log line holds it."""
    job = Job(tmp_path / "job")

    def run(
        inputs: Mapping[str, str | None] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "pull_request",
        env: Mapping[str, str | None] | None = None,
        interrupt: tuple[str, int] | None = None,
    ) -> Result:
        step = job.step(
            {"source-cluster": "prod", "poll-interval": "1", **(inputs or {})},
            event,
            event_name,
            env={"GITHUB_API_URL": github.url, "AWS_ENDPOINT_URL": aws.url, **(env or {})},
        )
        return run_subprocess(step, interrupt=interrupt)

    return run
