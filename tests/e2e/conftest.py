"""End-to-end fixtures: a moto server behind AWS_ENDPOINT_URL and a runner that starts entrypoint.py.

Each run gets the environment the GitHub runner gives a Docker container action, built from
scratch: INPUT_ names with hyphens kept, action.yml's defaults merged in, the event file, the
file commands, fake AWS credentials, and the workspace as the working directory.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from testkit.fake_github import FakeGitHub
from tests.conftest import make_source, server_clients
from tests.helpers import REPOSITORY, parse_output_file, pr_event

__all__ = ["pr_event"]  # re-exported for the e2e tests

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
FAKE_TOKEN = "ghs_e2eFakeTokenNotARealOne000000000000"
TIMEOUT = 60


def input_var(name: str) -> str:
    """The runner's variable for an input: upper-cased, spaces to '_', hyphens kept."""
    return "INPUT_" + name.replace(" ", "_").upper()


def action_defaults() -> dict[str, str]:
    """The inputs the runner merges in from action.yml's `default:` values."""
    inputs = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    defaults = {name: str(spec["default"]) for name, spec in inputs.items() if "default" in spec}
    # The runner evaluates `${{ github.token }}` before the container starts.
    assert defaults["github-token"].startswith("${{")
    defaults["github-token"] = FAKE_TOKEN
    return defaults


def closed_port_url() -> str:
    """A local URL nothing listens on: any AWS call through it fails."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class Run:
    """What a user sees of one run of the action."""

    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def commands(self, name: str) -> list[str]:
        """Lines the runner reads as the workflow command `name` (it trims each line first)."""
        return [line for line in self.lines if line.strip().startswith((f"::{name} ", f"::{name}::"))]


@dataclass
class Aws:
    """The moto server's state, read back through boto3 as a user would with the AWS CLI."""

    url: str
    rds: Any
    ec2: Any
    source: dict[str, Any]

    def cluster_ids(self) -> list[str]:
        return sorted(c["DBClusterIdentifier"] for c in self.rds.describe_db_clusters()["DBClusters"])

    def cluster(self, cluster_id: str) -> dict[str, Any]:
        clusters = self.rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
        return dict(clusters[0])

    def instances(self, cluster_id: str) -> list[dict[str, Any]]:
        return [
            i
            for i in self.rds.describe_db_instances()["DBInstances"]
            if i.get("DBClusterIdentifier") == cluster_id
        ]

    def tags(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.rds.list_tags_for_resource(ResourceName=arn)["TagList"]}


@pytest.fixture
def aws(moto_url: str) -> Aws:
    """A fresh server state with the source cluster 'prod' (and its instance, tags, groups)."""
    rds, ec2 = server_clients(moto_url)
    return Aws(url=moto_url, rds=rds, ec2=ec2, source=make_source(rds, ec2))


RunAction = Callable[..., Run]


@pytest.fixture
def run_action(tmp_path: Path, moto_url: str, github: FakeGitHub) -> RunAction:
    """Start entrypoint.py as the runner starts the container; returns what the user sees."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    counter = itertools.count(1)

    def run(
        inputs: Mapping[str, str | None] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "pull_request",
        env: Mapping[str, str | None] | None = None,
        interrupt: tuple[str, int] | None = None,
    ) -> Run:
        """`interrupt`: (a text, a signal): the signal is sent as soon as a log line holds the text,
        as the runner does when the job is cancelled."""
        n = next(counter)
        files = tmp_path / f"file_commands-{n}"
        files.mkdir()
        output, summary = files / "output", files / "summary"
        output.write_text("")
        summary.write_text("")
        event_path = tmp_path / f"workflow-{n}" / "event.json"
        event_path.parent.mkdir()
        event_path.write_text(json.dumps(event if event is not None else {}))
        runner_temp = tmp_path / f"runner_temp-{n}"
        runner_temp.mkdir()

        merged: dict[str, str | None] = {
            **action_defaults(),
            "source-cluster": "prod",
            "poll-interval": "1",
            **(inputs or {}),
        }
        full: dict[str, str | None] = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": github.url,
            "RUNNER_TEMP": str(runner_temp),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # aws-actions/configure-aws-credentials exports both region variables.
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": moto_url,
            **{input_var(name): value for name, value in merged.items()},
            **(env or {}),
        }
        command = [sys.executable, str(ROOT / "entrypoint.py")]
        clean = {k: v for k, v in full.items() if v is not None}
        if interrupt is None:
            proc = subprocess.run(
                command,
                cwd=workspace,
                env=clean,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )
            code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        else:
            code, stdout, stderr = _interrupted(command, workspace, clean, *interrupt)
        return Run(
            code=code,
            stdout=stdout,
            stderr=stderr,
            outputs=parse_output_file(output.read_text(encoding="utf-8")),
            summary=summary.read_text(encoding="utf-8"),
        )

    return run


def _interrupted(
    command: list[str], cwd: Path, env: dict[str, str], text: str, sig: int
) -> tuple[int, str, str]:
    """Run the command; send `sig` once a line of its output holds `text`; (exit code, stdout, stderr)."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        lines, sent = [], False
        for line in proc.stdout:
            lines.append(line)
            if not sent and text in line:
                proc.send_signal(sig)
                sent = True
        code = proc.wait(timeout=TIMEOUT)
        assert sent, f"no line held {text!r}:\n{''.join(lines)}"
        errors.seek(0)
        return code, "".join(lines), errors.read()
