"""The lifecycle invariant over random event sequences (hypothesis), against moto and the fake GitHub.

Each example is a fresh account (the source 'prod' and an unmanaged cluster 'analytics') and two
pull requests. A sequence of what people do (label, unlabel, push, close, reopen, add the reset
label), of nightly
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

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit.events import LABEL, pr_event, schedule_event
from testkit.fake_aws import Account, Moto, make_cluster
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness, SignalAt

PRS = (1, 2)
KINDS = ("label", "unlabel", "push", "close", "reopen", "reset", "purge", "replay")
RESET_LABEL = "clone-db-reset"
BOUNDARIES = ("before-call.rds", "after-call.rds")
# `make test` plays 200 sequences; a plain `pytest` a sample of them.
SEQUENCES = int(os.environ.get("LIFECYCLE_EXAMPLES", "25"))


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


@dataclass
class World:
    """The account, GitHub and the runner, for one example."""

    action: Harness  # the action's own client, reused by every run (as fast as the action allows)
    prs: dict[int, PullRequest] = field(default_factory=lambda: {n: PullRequest() for n in PRS})
    history: list[Event] = field(default_factory=list)
    cancelled: list[Event] = field(default_factory=list)

    def publish(self) -> None:
        """GitHub's view of the PRs, which the action asks for."""
        assert self.action.github is not None
        for n, pr in self.prs.items():
            self.action.github.pulls[n] = "open" if pr.open else "closed"
            self.action.github.labels[n] = [LABEL] if pr.labelled else []

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
        hook = SignalAt(cancel[1]) if cancel else None
        if cancel and hook:
            self.action.on(cancel[0], hook)
        try:
            result = self.action.run({"comment": "false", "poll-interval": "5"}, event.payload, event.name)
        finally:
            if cancel and hook:
                self.action.off(cancel[0], hook)
        was_cancelled = "::error title=aurora-clone%3A cancelled::" in result.log
        if was_cancelled:
            self.cancelled.append(event)
        else:
            assert result.code == 0, result.log
        assert "Traceback" not in result.log, result.log
        return (-1 if was_cancelled else result.code), result.outputs.get("action", "")

    def clones(self) -> set[str]:
        return set(self.action.aws.cluster_ids()) - {"prod", "analytics"}


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
    elif step.kind == "reset":
        # The reset label asks for a fresh clone; the action takes it off again.
        event = world.event("labeled", step.pr, label=RESET_LABEL)
    elif step.kind == "purge":
        event = Event("schedule", schedule_event())
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
    sequence: list[Step], moto: Moto, github_server: FakeGitHub, tmp_path_factory: pytest.TempPathFactory
) -> None:
    github_server.reset()
    aws = Account.fresh(moto)
    make_cluster(aws.rds, "analytics", tags=[{"Key": "team", "Value": "data"}])
    before = {c["DBClusterIdentifier"]: c["TagList"] for c in aws.rds.describe_db_clusters()["DBClusters"]}
    world = World(Harness(aws, tmp_path_factory.mktemp("lifecycle"), github_server))
    world.publish()

    for step in sequence:
        play(world, step)
    for event in list(world.cancelled):  # each user re-runs their cancelled job
        world.cancelled.remove(event)
        world.run(event)
    world.run(Event("schedule", schedule_event()))

    wanted = {f"prod-pr-{n}" for n, pr in world.prs.items() if pr.open and pr.labelled}
    assert world.clones() == wanted, (sequence, world.prs)
    after = {c["DBClusterIdentifier"]: c["TagList"] for c in aws.rds.describe_db_clusters()["DBClusters"]}
    assert {k: after[k] for k in ("prod", "analytics")} == {k: before[k] for k in ("prod", "analytics")}
    changed = [
        str(
            params.get("DBInstanceIdentifier")
            or params.get("DBClusterIdentifier")
            or params.get("ResourceName")
        )
        for name, params in world.action.calls.log
        if not name.startswith("Describe")
    ]
    strays = [target for target in changed if not target.rsplit(":", 1)[-1].startswith("prod-pr-")]
    assert strays == [], strays
