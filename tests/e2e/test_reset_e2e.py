"""Reset, end to end: entrypoint.py in a subprocess as the runner runs it, against moto's server and the
fake GitHub. The reset label on a cloned pull request gives a fresh clone at the same endpoint, and
comes off the pull request."""

from __future__ import annotations

import pytest

from testkit.events import pr_event
from testkit.fake_aws import Account, make_clone
from testkit.fake_github import FakeGitHub
from testkit.runner import RunAction

# One xdist worker runs every e2e module: the moto server they share starts once (~3 s).
pytestmark = pytest.mark.xdist_group("moto-server")

CLONE = "prod-pr-7"


def test_the_reset_label_gives_a_fresh_clone_at_the_same_endpoint(
    aws: Account, github: FakeGitHub, run_action: RunAction
) -> None:
    old = make_clone(aws.rds, CLONE, pr=7, instance=True)
    github.pulls[7] = "open"
    github.labels[7] = ["clone-db", "clone-db-reset"]

    run = run_action(event=pr_event("labeled", labels=("clone-db", "clone-db-reset"), label="clone-db-reset"))

    assert run.code == 0, run.log + run.stderr
    assert "Traceback" not in run.log + run.stderr
    assert run.commands("error") == run.commands("warning") == []
    assert "aurora-clone: reset (pull_request 'labeled': the label 'clone-db-reset' was added)" in run.log
    assert run.outputs["endpoint"] == old["Endpoint"]
    assert (run.outputs["action"], run.outputs["created"], run.outputs["status"]) == (
        "clone",
        "true",
        "available",
    )
    new = aws.cluster(CLONE)
    assert new is not None and new["DbClusterResourceId"] != old["DbClusterResourceId"]
    assert [i["DBInstanceIdentifier"] for i in aws.instances(CLONE)] == [f"{CLONE}-1"]
    assert "### Aurora clone reset: `prod-pr-7`" in run.summary
    assert github.labels[7] == ["clone-db"]
    assert ("DELETE", "/repos/acme/shop/issues/7/labels/clone-db-reset") in github.requests
    (comment,) = github.comment_bodies(7)
    assert old["Endpoint"] in comment
