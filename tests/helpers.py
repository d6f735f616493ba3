"""Shared test helpers: a fake clock, the runner's environment, and GITHUB_OUTPUT parsing."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
REPOSITORY = "acme/shop"


class FakeClock:
    """A clock whose sleep only moves time forward: tests never sleep."""

    def __init__(self, now: datetime = NOW) -> None:
        self.wall = now
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def parse_output_file(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT the way the runner does: NAME=VALUE and NAME<<DELIM ... DELIM."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        heredoc = re.match(r"^([^=<]+)<<(.+)$", line)
        if heredoc:
            name, delimiter = heredoc.groups()
            value: list[str] = []
            while lines[i] != delimiter:
                value.append(lines[i])
                i += 1
            i += 1
            outputs[name] = "\n".join(value)
        else:
            name, _, val = line.partition("=")
            outputs[name] = val
    return outputs


def pr_event(
    action: str,
    number: int = 7,
    labels: tuple[str, ...] = ("clone-db",),
    label: str = "",
    title: str = "Add the checkout page",
    branch: str = "feature/checkout",
    state: str = "",
) -> dict[str, Any]:
    """A pull_request event payload as GitHub sends it (the parts that matter here).

    `state` is the PR's when the event was sent: 'closed' for `closed` unless told otherwise.
    """
    event: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": state or ("closed" if action == "closed" else "open"),
            "title": title,
            "labels": [{"name": name} for name in labels],
            "head": {"ref": branch, "label": f"acme:{branch}", "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
            "user": {"login": "octocat"},
        },
        "repository": {"full_name": REPOSITORY},
        "sender": {"login": "octocat"},
    }
    if label:
        event["label"] = {"name": label}
    return event


def runner_env(
    tmp: Path,
    inputs: dict[str, str],
    event: dict[str, Any] | None = None,
    event_name: str = "pull_request",
) -> dict[str, str]:
    """The environment the runner gives a container action: INPUT_ names with hyphens kept."""
    workspace = tmp / "workspace"
    workspace.mkdir(exist_ok=True)
    files = tmp / "file_commands"
    files.mkdir(exist_ok=True)
    (files / "output").write_text("")
    (files / "summary").write_text("")
    event_path = tmp / "event.json"
    event_path.write_text(json.dumps(event if event is not None else {}))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
        "GITHUB_SERVER_URL": "https://github.com",
        # Nothing listens on port 9 of the loopback: a GitHub call fails at once, offline.
        "GITHUB_API_URL": "http://127.0.0.1:9",
        "GITHUB_RUN_ID": "4242",
        "INPUT_GITHUB-TOKEN": "ghs_test-token-not-real",
    }
    for name, value in inputs.items():
        env["INPUT_" + name.upper()] = value
    return env


@dataclass
class Result:
    code: int
    log: str
    outputs: dict[str, str]
    summary: str
    clock: FakeClock = field(default_factory=FakeClock)


def run_main(env: dict[str, str], rds_client: Any = None, clock: FakeClock | None = None) -> Result:
    """Run clone_action.main in-process, as the container would, and collect what a user sees."""
    from clone_action.main import main

    clock = clock or FakeClock()
    stream = io.StringIO()
    code = main(env, clock=clock, rds_client=rds_client, stream=stream)
    return Result(
        code=code,
        log=stream.getvalue(),
        outputs=parse_output_file(Path(env["GITHUB_OUTPUT"]).read_text()),
        summary=Path(env["GITHUB_STEP_SUMMARY"]).read_text(),
        clock=clock,
    )
