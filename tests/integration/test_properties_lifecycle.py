"""The lifecycle invariant over random event sequences (hypothesis), against moto and the fake GitHub.

Each example is a fresh account (the source 'prod' and an unmanaged cluster 'analytics') and two
pull requests. A sequence of what people do (label, unlabel, push, close, reopen), of nightly
purges and of re-runs of earlier events (a re-run replays its event as it was first sent) is
played through the action in `mode: auto`, as `preview-database.yml` runs it. Any run may be
cancelled by the runner's SIGINT at a random RDS call boundary; a cancelled run is re-run by its
user later (GitHub's "Re-run failed jobs"), which is how such a run converges.

Invariants:
- after the last event, the re-runs and one purge, a clone exists exactly when its pull request
  is open and carries the label;
- right after a `closed` run that was not cancelled, the PR has no clone;
- a run that was not cancelled succeeds (exit 0);
- nothing but our clones is ever changed: the source and the unmanaged cluster keep their tags,
  and every changing call names a clone.
"""

from __future__ import annotations

import io
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit.fake_github import FakeGitHub
from tests.conftest import REGION
from tests.helpers import FakeClock, parse_output_file, pr_event, runner_env

PRS = (1, 2)
LABEL = "clone-db"
KINDS = ("label", "unlabel", "push", "close", "reopen", "purge", "replay")
BOUNDARIES = ("before-call.rds", "after-call.rds")
SEQUENCES = int(os.environ.get("LIFECYCLE_EXAMPLES", "200"))


@dataclass
class PullRequest:
    open: bool = True
    labelled: bool = False


@dataclass(frozen=True)
class Step:
    kind: str
    pr: int
    cancel: tuple[str, int] | None  # (boundary, n-th call) at which the runner cancels the run
    replay: int = 0  # which earlier event a `replay` re-runs


@dataclass
class Event:
    name: str
    payload: dict[str, Any]


class SignalAt:
    def __init__(self, n: int) -> None:
        self.n, self.seen = n, 0

    def __call__(self, **_: Any) -> None:
        self.seen += 1
        if self.seen == self.n:
            os.kill(os.getpid(), signal.SIGINT)


@dataclass
class World:
    """The account, GitHub and the runner, for one example."""

    rds: Any  # a separate client: what a person sees in the console
    client: Any  # the action's own client, reused by every run (as fast as the action allows)
    github: FakeGitHub
    tmp: Path
    prs: dict[int, PullRequest] = field(default_factory=lambda: {n: PullRequest() for n in PRS})
    history: list[Event] = field(default_factory=list)
    cancelled: list[Event] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    clock: FakeClock = field(default_factory=FakeClock)
    runs: int = 0

    def publish(self) -> None:
        """GitHub's view of the PRs, which the action asks for."""
        for n, pr in self.prs.items():
            self.github.pulls[n] = "open" if pr.open else "closed"
            self.github.labels[n] = [LABEL] if pr.labelled else []

    def event(self, action: str, n: int, label: str = "") -> Event:
        pr = self.prs[n]
        payload = pr_event(
            action,
            number=n,
            labels=(LABEL,) if pr.labelled else (),
            label=label,
            state="open" if pr.open else "closed",
        )
        return Event("pull_request", payload)

    def run(self, event: Event, cancel: tuple[str, int] | None = None) -> tuple[int, str]:
        from clone_action.main import main

        self.runs += 1
        run_dir = self.tmp / f"run{self.runs}"
        run_dir.mkdir()
        env = runner_env(
            run_dir,
            {"source-cluster": "prod", "comment": "false", "poll-interval": "5"},
            event.payload,
            event.name,
        )
        env["GITHUB_API_URL"] = self.github.url
        hook = None
        if cancel:
            hook = SignalAt(cancel[1])
            self.client.meta.events.register(cancel[0], hook)
        stream = io.StringIO()
        try:
            code = main(env, clock=self.clock, rds_client=self.client, stream=stream)
        finally:
            if hook is not None:
                self.client.meta.events.unregister(cancel[0], hook)  # type: ignore[index]
        log = stream.getvalue()
        was_cancelled = "::error title=aurora-clone%3A cancelled::" in log
        if was_cancelled:
            self.cancelled.append(event)
        else:
            assert code == 0, log
        assert "Traceback" not in log, log
        outputs = parse_output_file((run_dir / "file_commands" / "output").read_text())
        return (-1 if was_cancelled else code), outputs.get("action", "")

    def clones(self) -> set[str]:
        return {
            c["DBClusterIdentifier"]
            for c in self.rds.describe_db_clusters()["DBClusters"]
            if c["DBClusterIdentifier"] not in ("prod", "analytics")
        }


def play(world: World, step: Step) -> None:
    pr = world.prs[step.pr]
    if step.kind == "label":
        pr.labelled = True  # GitHub labels a closed PR too, and sends the event
        event = world.event("labeled", step.pr, label=LABEL)
    elif step.kind == "unlabel":
        if not pr.labelled:
            return
        pr.labelled = False
        event = world.event("unlabeled", step.pr, label=LABEL)
    elif step.kind == "push":
        if not pr.open:
            return
        event = world.event("synchronize", step.pr)
    elif step.kind == "close":
        if not pr.open:
            return
        pr.open = False
        event = world.event("closed", step.pr)
    elif step.kind == "reopen":
        if pr.open:
            return
        pr.open = True
        event = world.event("reopened", step.pr)
    elif step.kind == "purge":
        event = Event("schedule", {"schedule": "17 3 * * *"})
    else:
        if not world.history:
            return
        event = world.history[step.replay % len(world.history)]
    world.publish()
    if step.kind != "replay":
        world.history.append(event)
    code, _ = world.run(event, step.cancel)
    if step.kind == "close" and code == 0:
        assert f"prod-pr-{step.pr}" not in world.clones(), "a closed PR kept its clone after its teardown"


steps = st.builds(
    Step,
    kind=st.sampled_from(KINDS),
    pr=st.sampled_from(PRS),
    cancel=st.one_of(
        st.none(), st.none(), st.tuples(st.sampled_from(BOUNDARIES), st.integers(min_value=1, max_value=14))
    ),
    replay=st.integers(min_value=0, max_value=20),
)


@settings(
    max_examples=SEQUENCES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=8))
def test_a_clone_exists_exactly_while_its_pr_is_open_and_labelled(
    sequence: list[Step], github_server: FakeGitHub, tmp_path_factory: pytest.TempPathFactory
) -> None:
    import boto3
    from moto import mock_aws

    from clone_action.aws.rds import make_client

    github = github_server
    github.comments.clear()
    github.pulls.clear()
    github.labels.clear()
    github.requests.clear()
    github.failures.clear()
    with mock_aws():
        rds = boto3.client("rds", region_name=REGION)
        # The source without its VPC (make_source's EC2 setup is half of each example's time).
        rds.create_db_cluster(
            DBClusterIdentifier="prod",
            Engine="aurora-postgresql",
            EngineVersion="16.4",
            MasterUsername="app",
            MasterUserPassword="prod-password-1",
            DeletionProtection=True,
            Tags=[{"Key": "env", "Value": "production"}],
        )
        rds.create_db_instance(
            DBInstanceIdentifier="prod-1",
            DBClusterIdentifier="prod",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
        rds.create_db_cluster(
            DBClusterIdentifier="analytics",
            Engine="aurora-postgresql",
            MasterUsername="a",
            MasterUserPassword="password1",
            Tags=[{"Key": "team", "Value": "data"}],
        )
        before = {c["DBClusterIdentifier"]: c["TagList"] for c in rds.describe_db_clusters()["DBClusters"]}
        world = World(rds, make_client(), github, tmp_path_factory.mktemp("lifecycle"))

        def changing(model: Any, params: dict[str, Any], **_: Any) -> None:
            if not model.name.startswith("Describe"):
                target = params.get("DBInstanceIdentifier") or params.get("DBClusterIdentifier")
                world.changed.append(str(target or params.get("ResourceName", "")))

        world.client.meta.events.register("provide-client-params.rds.*", changing)
        world.publish()

        for step in sequence:
            play(world, step)
        for event in list(world.cancelled):  # each user re-runs their cancelled job
            world.cancelled.remove(event)
            world.run(event)
        world.run(Event("schedule", {"schedule": "17 3 * * *"}))

        wanted = {f"prod-pr-{n}" for n, pr in world.prs.items() if pr.open and pr.labelled}
        assert world.clones() == wanted, (sequence, world.prs)
        after = {c["DBClusterIdentifier"]: c["TagList"] for c in rds.describe_db_clusters()["DBClusters"]}
        assert {k: after[k] for k in ("prod", "analytics")} == {k: before[k] for k in ("prod", "analytics")}
        strays = [t for t in world.changed if not t.rsplit(":", 1)[-1].startswith("prod-pr-")]
        assert strays == [], strays
