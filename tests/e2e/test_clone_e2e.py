"""entrypoint.py in a subprocess, as the GitHub runner runs the container, against moto's server.

Only what needs a process of its own is here: the runner's variable names (INPUT_ with hyphens kept),
AWS_ENDPOINT_URL, the output and summary files, exit codes, start-up. What the action decides is
tested in-process (tests/integration), through the same runner step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from testkit.events import REPOSITORY, pr_event
from testkit.fake_aws import Account
from testkit.runner import REGION, Result, RunAction

# One xdist worker runs every e2e module: the moto server they share starts once (~3 s).
pytestmark = pytest.mark.xdist_group("moto-server")


CLONE = "prod-pr-7"
EXPIRES_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CLONE_OUTPUTS = {
    "action",
    "cluster-id",
    "cluster-arn",
    "endpoint",
    "reader-endpoint",
    "port",
    "engine",
    "status",
    "created",
    "database-url",
}


def no_traceback(run: Result) -> None:
    assert "Traceback" not in run.log + run.stderr


def test_labeled_pr_gets_a_ready_clone_with_its_own_tags(aws: Account, run_action: RunAction) -> None:
    started = datetime.now(UTC)
    # AWS_REGION alone is enough (configure-aws-credentials exports AWS_DEFAULT_REGION too).
    run = run_action(event=pr_event("labeled", label="clone-db"), env={"AWS_DEFAULT_REGION": None})

    assert run.code == 0, run.log + run.stderr
    no_traceback(run)
    assert run.commands("error") == []
    out = run.outputs
    assert set(out) == CLONE_OUTPUTS
    assert (out["action"], out["cluster-id"], out["created"]) == ("clone", CLONE, "true")
    assert (out["status"], out["engine"], out["port"]) == ("available", "aurora-postgresql", "5432")

    clone = aws.cluster(CLONE)
    assert out["cluster-arn"] == clone["DBClusterArn"]
    assert out["endpoint"] == clone["Endpoint"] and out["endpoint"]
    assert out["reader-endpoint"] == clone["ReaderEndpoint"] and out["reader-endpoint"]
    assert out["database-url"] == f"postgresql://app@{clone['Endpoint']}:5432/"
    assert "prod-password-1" not in run.log + run.summary + "".join(out.values())

    # Safety rule 3: explicit tags, never the source's; no deletion protection.
    tags = aws.tags(clone["DBClusterArn"])
    assert "env" not in tags and "cost-center" not in tags
    expires_at = tags.pop("aurora-clone/expires-at")
    assert tags == {
        "aurora-clone/managed": "true",
        "aurora-clone/repository": REPOSITORY,
        "aurora-clone/pr": "7",
        "aurora-clone/source": "prod",
    }
    assert EXPIRES_AT.match(expires_at)
    expiry = datetime.strptime(expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert started + timedelta(days=7) - timedelta(seconds=5) <= expiry
    assert expiry <= datetime.now(UTC) + timedelta(days=7, seconds=5)
    assert clone["DeletionProtection"] is False

    # The source's network, not the default VPC's.
    assert clone["DBSubnetGroup"] == aws.source["subnet_group"]
    assert [g["VpcSecurityGroupId"] for g in clone["VpcSecurityGroups"]] == [aws.source["security_group"]]

    (instance,) = aws.instances(CLONE)
    assert instance["DBInstanceClass"] == "db.serverless"
    assert aws.tags(instance["DBInstanceArn"]) == {**tags, "aurora-clone/expires-at": expires_at}
    assert aws.cluster_ids() == sorted(["prod", CLONE])

    assert f"`{out['endpoint']}`" in run.summary
    assert "| Endpoint |" in run.summary
    console = (
        f"https://{REGION}.console.aws.amazon.com/rds/home?region={REGION}"
        f"#database:id={CLONE};is-cluster=true"
    )
    assert f"]({console})" in run.summary


def test_bad_inputs_are_reported_together_before_any_aws_call(aws: Account, run_action: RunAction) -> None:
    run = run_action(
        inputs={"timeout-minutes": "soon", "ttl": "forever"},
        event=pr_event("labeled", label="clone-db"),
    )

    assert run.code == 1
    no_traceback(run)
    (error,) = run.commands("error")
    assert error.startswith("::error title=aurora-clone%3A invalid input::2 inputs are not valid")
    # One line: the problems are joined with the runner's escaped newline.
    assert "%0A- timeout-minutes: expected a whole number of minutes, 1 or more, got 'soon'" in error
    assert (
        "%0A- ttl: expected a whole number followed by m, h or d, like 30m, 12h or 7d, got 'forever'" in error
    )
    assert "How to fix" in run.summary
    assert "timeout-minutes" in run.summary and "ttl" in run.summary
    assert run.outputs == {}
    assert aws.moto.calls() == {}
    assert aws.cluster_ids() == ["prod"]


def test_push_event_does_nothing_and_calls_no_aws(aws: Account, run_action: RunAction) -> None:
    run = run_action(event={"ref": "refs/heads/main"}, event_name="push")

    assert run.code == 0, run.log + run.stderr
    no_traceback(run)
    (notice,) = run.commands("notice")
    assert "Nothing to do: the event 'push' does not clone or delete anything" in notice
    assert run.commands("error") == []
    assert run.outputs == {"action": "none"}
    assert aws.moto.calls() == {}
