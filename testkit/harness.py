"""The action run in this process against the fake AWS, on its own RDS client, every call recorded.

A Harness is one repository's runner: each `run()` is a new workflow run (a job of its own, with a
fresh checkout) through the runner step of testkit.runner; botocore hooks on the action's client
inject what moto cannot do (states, refusals, lost answers, the runner's cancel signal).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import rds_model
from .clock import FakeClock
from .events import pr_event
from .fake_aws import PAST, Account, make_clone
from .fake_github import FakeGitHub
from .runner import Job, Result, run_in_process


class Calls:
    """Every RDS operation the action sent, with its parameters, in order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.log.append((model.name, dict(params)))

    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def of(self, name: str) -> list[dict[str, Any]]:
        return [params for op, params in self.log if op == name]

    def changing(self) -> list[str]:
        """Operations that change something in AWS."""
        return [n for n in self.names() if not n.startswith("Describe") and not n.startswith("List")]


class SignalAt:
    """A botocore hook that sends `sig` to this process, as the runner cancels a job, at its n-th call."""

    def __init__(self, n: int, sig: int = signal.SIGINT) -> None:
        self.n, self.sig, self.seen = n, sig, 0
        self.operation = ""

    def __call__(self, model: Any = None, **_: Any) -> None:
        self.seen += 1
        if self.seen == self.n:
            self.operation = model.name if model is not None else "?"
            os.kill(os.getpid(), self.sig)


class Harness:
    """Runs the action in-process with its own client: `source-cluster: prod`, GitHub the fake one."""

    def __init__(self, aws: Account, tmp_path: Path, github: FakeGitHub | None = None) -> None:
        from clone_action.aws.rds import make_client

        self.aws = aws
        self.tmp_path = tmp_path
        self.github = github
        self.client = make_client()
        self.calls = Calls()
        self.client.meta.events.register("provide-client-params.rds.*", self.calls)
        self.clock = FakeClock()
        self.workspace = tmp_path / "run0" / "workspace"

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        self.client.meta.events.register(event, handler)

    def off(self, event: str, handler: Callable[..., Any]) -> None:
        self.client.meta.events.unregister(event, handler)

    def busy(self, kind: str, ident: str, state: str, times: int, refused: str, message: str = "") -> None:
        """RDS refuses the operation `refused` on `ident` `times` times, every describe saying it is
        in `state` meanwhile, as AWS does (testkit.rds_model.busy)."""
        report, refusal = rds_model.busy(kind, ident, state, times, message)
        self.on(f"after-call.rds.DescribeDB{'Clusters' if kind == 'cluster' else 'Instances'}", report)
        self.on(f"before-call.rds.{refused}", refusal)

    def expired_clones(self, count: int, *, instance: bool = False) -> list[str]:
        """Clones 'prod-pr-1'... of this repository's PRs 1..count, expired, their PRs still open."""
        made = [f"prod-pr-{n}" for n in range(1, count + 1)]
        for n, ident in enumerate(made, start=1):
            make_clone(self.aws.rds, ident, pr=n, expires=PAST, instance=instance)
        if self.github is not None:
            self.github.pulls.update({n: "open" for n in range(1, count + 1)})
        return made

    def run(
        self,
        inputs: Mapping[str, str] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "pull_request",
        extra_env: Mapping[str, str] | None = None,
        files: Mapping[str, str] | None = None,
    ) -> Result:
        """One run on `event` (PR #7 labelled clone-db unless told); `files` are put in its checkout."""
        # Harnesses may share tmp_path (two runners of one repository): each run a new directory.
        n = 1
        while (self.tmp_path / f"run{n}").exists():
            n += 1
        job = Job(self.tmp_path / f"run{n}")
        self.workspace = job.dir("workspace")
        for name, text in (files or {}).items():
            (self.workspace / name).parent.mkdir(parents=True, exist_ok=True)
            (self.workspace / name).write_text(text)
        env = {**({"GITHUB_API_URL": self.github.url} if self.github else {}), **(extra_env or {})}
        step = job.step(
            {"source-cluster": "prod", **(inputs or {})},
            event if event is not None else pr_event("labeled", label="clone-db"),
            event_name,
            env=env,
        )
        return run_in_process(step, rds_client=self.client, clock=self.clock)

    def cluster(self, ident: str) -> dict[str, Any] | None:
        return self.aws.cluster(ident)

    def instances(self, cluster_id: str) -> list[dict[str, Any]]:
        return self.aws.instances(cluster_id)
