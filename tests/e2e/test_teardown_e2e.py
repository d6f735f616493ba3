"""Teardown, end to end: entrypoint.py in a subprocess as the runner runs it, against moto's server.

The clone is made as the action makes it (testkit.fake_aws.make_clone); the PR comment goes to the
fake GitHub through GITHUB_API_URL and the github-token input (INPUT_GITHUB-TOKEN, hyphen kept).
"""

from __future__ import annotations

import pytest

from testkit.events import pr_event
from testkit.fake_aws import Account, make_clone
from testkit.fake_github import FakeGitHub
from testkit.runner import RunAction

# One xdist worker runs every e2e module: the moto server they share starts once (~3 s).
pytestmark = pytest.mark.xdist_group("moto-server")


CLONE = "prod-pr-7"
INSTANCE = f"{CLONE}-1"


def test_closed_pr_deletes_its_clone_and_only_its_clone(
    aws: Account, github: FakeGitHub, run_action: RunAction
) -> None:
    make_clone(aws.rds, CLONE, pr=7, instance=True)

    run = run_action(event=pr_event("closed", labels=("clone-db",)))

    assert run.code == 0, run.log + run.stderr
    assert "Traceback" not in run.log + run.stderr
    assert run.commands("error") == run.commands("warning") == run.commands("notice") == []
    assert run.outputs == {"action": "teardown", "cluster-id": CLONE, "status": "deleted"}
    assert aws.cluster_ids() == ["prod"]
    assert aws.instances(CLONE) == []
    prod = aws.cluster("prod")
    assert prod is not None and prod["Status"] == "available" and prod["DeletionProtection"] is True
    assert [i["DBInstanceIdentifier"] for i in aws.instances("prod")] == ["prod-1"]
    assert aws.tags(prod["DBClusterArn"]) == {"env": "production", "cost-center": "shop"}
    assert "aurora-clone: teardown (pull_request 'closed': the pull request was closed)" in run.log
    assert f"Deleting '{CLONE}' (instances: {INSTANCE}), no final snapshot" in run.log
    assert f"Clone '{CLONE}' deleted after" in run.log
    assert f"### Aurora clone deleted: `{CLONE}`" in run.summary
    assert f"| Cluster | `{CLONE}` |" in run.summary
    assert f"| Instances | `{INSTANCE}` |" in run.summary
    assert "| Status | deleted |" in run.summary
    assert "| Final snapshot | none" in run.summary
    assert ":x:" not in run.summary
    (comment,) = github.comment_bodies(7)
    assert comment.startswith(f"<!-- aurora-clone:{CLONE} -->\n### Preview database `{CLONE}`: deleted")
