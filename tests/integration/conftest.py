"""Integration fixtures: the action's own RDS client inside moto, with a call recorder and state hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from testkit.fake_github import FakeGitHub
from tests.helpers import FakeClock, Result, pr_event, run_main, runner_env


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


class Harness:
    """Runs the action in-process against moto with the action's own client."""

    def __init__(self, aws: dict[str, Any], tmp_path: Any, github: FakeGitHub | None = None) -> None:
        from clone_action.aws.rds import make_client

        self.github = github
        self.aws = aws
        self.tmp_path = tmp_path
        self.client = make_client()
        self.calls = Calls()
        self.client.meta.events.register("provide-client-params.rds.*", self.calls)
        self.clock = FakeClock()

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        self.client.meta.events.register(event, handler)

    def run(
        self,
        inputs: dict[str, str] | None = None,
        event: dict[str, Any] | None = None,
        event_name: str = "pull_request",
        extra_env: dict[str, str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Result:
        merged = {"source-cluster": "prod", "poll-interval": "15"}
        merged.update(inputs or {})
        event = event if event is not None else pr_event("labeled", label="clone-db")
        run_dir = self.tmp_path / f"run{len(list(self.tmp_path.iterdir()))}"
        run_dir.mkdir()
        env = runner_env(run_dir, merged, event, event_name)
        self.workspace = run_dir / "workspace"
        for name, text in (files or {}).items():
            (self.workspace / name).parent.mkdir(parents=True, exist_ok=True)
            (self.workspace / name).write_text(text)
        if self.github is not None:
            env["GITHUB_API_URL"] = self.github.url
        env.update(extra_env or {})
        return run_main(env, rds_client=self.client, clock=self.clock)

    def cluster(self, ident: str) -> dict[str, Any] | None:
        rds = self.aws["rds"]
        try:
            return dict(rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0])
        except rds.exceptions.DBClusterNotFoundFault:
            return None

    def instances(self, cluster_id: str) -> list[dict[str, Any]]:
        found = self.aws["rds"].describe_db_instances()["DBInstances"]
        return [i for i in found if i.get("DBClusterIdentifier") == cluster_id]


@pytest.fixture
def action(aws: dict[str, Any], tmp_path: Any, github: FakeGitHub) -> Iterator[Harness]:
    yield Harness(aws, tmp_path, github)
