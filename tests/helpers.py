"""Kept until the last three test modules import testkit themselves (they are being edited by others):
tests/unit/test_routing.py, tests/integration/test_failures.py, tests/integration/test_manifest_clone.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testkit.events import REPOSITORY, pr_event
from testkit.runner import Job

__all__ = ["REPOSITORY", "pr_event", "runner_env"]


def runner_env(
    tmp: Path, inputs: dict[str, str], event: dict[str, Any] | None = None, event_name: str = "pull_request"
) -> dict[str, str]:
    """The runner step's variables (testkit.runner.Job.step)."""
    return Job(tmp).step(inputs, event, event_name).env
