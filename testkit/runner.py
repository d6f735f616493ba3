"""The runner's side of one step of a Docker container action, built once for every way it is run.

What GitHub's runner gives the container (actions/runner, ActionManifestManager.ConvertInputs and
the container handler): INPUT_<NAME> for every input action.yml declares, upper-cased with spaces
to '_' and hyphens kept, holding the `with:` value, else the input's default, else '' (`required`
is not enforced); the event payload in the file GITHUB_EVENT_PATH names; fresh empty file-command
files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ...); the workspace as the working directory; and the
job's directories, which `docker run` mounts under /github.

`Job.step()` lays that out on the host. The same step is then run in this process
(`run_in_process`), as a subprocess of entrypoint.py (`run_subprocess`), or in the image
(scripts/container.py, with `Step.env_inside()`), and read back with `parse_output_file`.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from .clock import FakeClock
from .events import REPOSITORY

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
TOKEN = "ghs_test-token-not-real"  # what the runner makes of ${{ github.token }} here
# Nothing listens on port 9 of the loopback: a call through it fails at once, offline.
CLOSED_PORT = "http://127.0.0.1:9"
TIMEOUT = 60

# The job's directories on the host -> where `docker run` mounts them in the container.
MOUNTS = {
    "workspace": "/github/workspace",
    "workflow": "/github/workflow",
    "file_commands": "/github/file_commands",
    "home": "/github/home",
    "runner_temp": "/github/runner_temp",
}
FILE_COMMANDS = {
    "GITHUB_OUTPUT": "set_output",
    "GITHUB_STEP_SUMMARY": "step_summary",
    "GITHUB_ENV": "set_env",
    "GITHUB_PATH": "add_path",
    "GITHUB_STATE": "save_state",
}


def input_var(name: str) -> str:
    """The runner's variable for an input: upper-cased, spaces to '_', hyphens kept."""
    return "INPUT_" + name.replace(" ", "_").upper()


@cache
def declared_inputs() -> dict[str, str]:
    """action.yml's inputs and what the runner passes for one the step does not give."""
    from ruamel.yaml import YAML

    inputs = YAML(typ="safe").load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"]
    return {name: str(spec.get("default", "")) for name, spec in inputs.items()}


def step_inputs(given: Mapping[str, str | None], token: str = TOKEN) -> dict[str, str | None]:
    """Every input as the runner passes it: the step's value, else action.yml's default, else ''.

    None leaves the input's variable out (a step started by something other than the runner).
    """
    merged: dict[str, str | None] = {**declared_inputs(), **given}
    for name, value in merged.items():
        # The only expression among the defaults, evaluated by the runner before the container starts.
        if value == "${{ github.token }}":
            merged[name] = token
    return merged


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


@dataclass
class Result:
    """What a person sees of one step: its exit code, its log, its outputs and its job summary."""

    code: int
    log: str  # the step's log (the process's stdout)
    outputs: dict[str, str]
    summary: str
    stderr: str = ""
    clock: FakeClock = field(default_factory=FakeClock)  # in-process runs: the sleeps it asked for

    @property
    def lines(self) -> list[str]:
        return self.log.splitlines()

    def commands(self, name: str) -> list[str]:
        """Lines the runner reads as the workflow command `name` (it trims each line first)."""
        return [line for line in self.lines if line.strip().startswith((f"::{name} ", f"::{name}::"))]

    def annotation(self, kind: str, title: str) -> str:
        """The message of the one ::error, ::warning or ::notice line titled 'aurora-clone: <title>'."""
        start = f"::{kind} title=aurora-clone%3A {title}::"
        (line,) = [line for line in self.lines if line.startswith(start)]
        return line.removeprefix(start)


@dataclass
class Step:
    """One step's environment and the files it writes, on the host."""

    job: Job
    env: dict[str, str]
    output: Path
    summary: Path

    @property
    def workspace(self) -> Path:
        return self.job.dir("workspace")

    def env_inside(self) -> dict[str, str]:
        """The same variables as the container sees them: the job's directories under /github."""
        root = str(self.job.root)
        inside = {}
        for name, value in self.env.items():
            for directory, mount in MOUNTS.items():
                if value == f"{root}/{directory}" or value.startswith(f"{root}/{directory}/"):
                    value = mount + value.removeprefix(f"{root}/{directory}")
            inside[name] = value
        return inside

    def result(self, code: int, log: str, stderr: str = "", clock: FakeClock | None = None) -> Result:
        return Result(
            code=code,
            log=log,
            outputs=parse_output_file(self.output.read_text(encoding="utf-8")),
            summary=self.summary.read_text(encoding="utf-8"),
            stderr=stderr,
            clock=clock or FakeClock(),
        )


RunAction = Callable[..., Result]  # what a fixture that runs steps hands a test


class Job:
    """One job on a runner: the directories it mounts into the container, and its steps.

    Each step gets fresh file-command files and the event of the run that started it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in MOUNTS:
            (root / name).mkdir(parents=True, exist_ok=True)
        self.steps = 0

    def dir(self, name: str) -> Path:
        return self.root / name

    def step(
        self,
        inputs: Mapping[str, str | None] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "pull_request",
        *,
        token: str = TOKEN,
        env: Mapping[str, str | None] | None = None,
    ) -> Step:
        """The step's variables: the runner's, fake AWS credentials, the inputs; `env` last (None unsets)."""
        self.steps += 1
        event_path = self.dir("workflow") / "event.json"
        event_path.write_text(json.dumps(event if event is not None else {}), encoding="utf-8")
        files = {}
        for variable, kind in FILE_COMMANDS.items():
            files[variable] = self.dir("file_commands") / f"{kind}_{self.steps}"
            files[variable].write_text("", encoding="utf-8")
        full: dict[str, str | None] = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_REPOSITORY_OWNER": REPOSITORY.split("/")[0],
            "GITHUB_WORKSPACE": str(self.dir("workspace")),
            **{variable: str(path) for variable, path in files.items()},
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": CLOSED_PORT,
            "HOME": str(self.dir("home")),
            "RUNNER_TEMP": str(self.dir("runner_temp")),
            # Never real credentials; aws-actions/configure-aws-credentials exports both regions.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **{input_var(name): value for name, value in step_inputs(inputs or {}, token).items()},
            **(env or {}),
        }
        clean = {name: value for name, value in full.items() if value is not None}
        return Step(self, clean, files["GITHUB_OUTPUT"], files["GITHUB_STEP_SUMMARY"])


def run_in_process(step: Step, *, rds_client: Any = None, clock: FakeClock | None = None) -> Result:
    """clone_action.main in this process, on the step's variables.

    The AWS SDK reads this process's environment (the fixtures' fake credentials), and the working
    directory is left as it is: a path the action resolved against it instead of GITHUB_WORKSPACE
    would fail here.
    """
    from clone_action.main import main

    clock = clock or FakeClock()
    stream = io.StringIO()
    code = main(step.env, clock=clock, rds_client=rds_client, stream=stream)
    return step.result(code, stream.getvalue(), clock=clock)


def run_subprocess(
    step: Step, *, interrupt: tuple[str, int] | None = None, timeout: float = TIMEOUT
) -> Result:
    """entrypoint.py as the container runs it: only the step's variables, in the workspace.

    `interrupt`: (a text, a signal): the signal is sent as soon as a log line holds the text, as
    the runner does when the job is cancelled.
    """
    command = [sys.executable, str(ROOT / "entrypoint.py")]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **step.env}
    if interrupt is None:
        proc = subprocess.run(
            command, cwd=step.workspace, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        return step.result(proc.returncode, proc.stdout, proc.stderr)
    text, sig = interrupt
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            command, cwd=step.workspace, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert process.stdout is not None
        lines, sent = [], False
        for line in process.stdout:
            lines.append(line)
            if not sent and text in line:
                process.send_signal(sig)
                sent = True
        code = process.wait(timeout=timeout)
        assert sent, f"no line held {text!r}:\n{''.join(lines)}"
        errors.seek(0)
        return step.result(code, "".join(lines), errors.read())
