"""entrypoint.py run as the GitHub runner runs the container, against a moto server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from testkit.events import REPOSITORY, pr_event
from testkit.fake_aws import Account, make_source
from testkit.runner import CLOSED_PORT, REGION, TOKEN, Result, RunAction

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
    run = run_action(event=pr_event("labeled", label="clone-db"))

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


def test_rerun_on_synchronize_reuses_the_clone(aws: Account, run_action: RunAction) -> None:
    first = run_action(event=pr_event("labeled", label="clone-db"))
    assert first.code == 0, first.log + first.stderr
    assert first.outputs["created"] == "true"

    again = run_action(event=pr_event("synchronize"))

    assert again.code == 0, again.log + again.stderr
    assert (again.outputs["action"], again.outputs["created"]) == ("clone", "false")
    assert again.outputs["cluster-id"] == first.outputs["cluster-id"] == CLONE
    assert again.outputs["endpoint"] == first.outputs["endpoint"]
    assert aws.cluster_ids() == sorted(["prod", CLONE])
    assert [i["DBInstanceIdentifier"] for i in aws.instances(CLONE)] == [f"{CLONE}-1"]
    assert "reused" in again.summary


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
    assert aws.cluster_ids() == ["prod"]


def test_push_event_does_nothing_and_calls_no_aws(run_action: RunAction) -> None:
    run = run_action(
        event={"ref": "refs/heads/main"}, event_name="push", env={"AWS_ENDPOINT_URL": CLOSED_PORT}
    )

    assert run.code == 0, run.log + run.stderr
    no_traceback(run)
    (notice,) = run.commands("notice")
    assert "Nothing to do: the event 'push' does not clone or delete anything" in notice
    assert run.commands("error") == []
    assert run.outputs == {"action": "none"}


def test_dry_run_prints_the_plan_and_changes_nothing(aws: Account, run_action: RunAction) -> None:
    run = run_action(inputs={"dry-run": "true"}, event=pr_event("labeled", label="clone-db"))

    assert run.code == 0, run.log + run.stderr
    assert run.outputs["cluster-id"] == CLONE
    assert "endpoint" not in run.outputs
    assert "Dry run: nothing will be changed" in run.log
    assert f"clone:           {CLONE} (copy-on-write from prod, aurora-postgresql 16.4)" in run.log
    assert f"subnet group:    {aws.source['subnet_group']}" in run.log
    assert f"security groups: {aws.source['security_group']}" in run.log
    assert "aurora-clone/managed=true" in run.log
    assert "Nothing was changed" in run.summary
    assert aws.cluster_ids() == ["prod"]
    assert aws.instances(CLONE) == []


def test_missing_source_cluster_names_it_and_the_region(aws: Account, run_action: RunAction) -> None:
    run = run_action(inputs={"source-cluster": "nope"}, event=pr_event("labeled", label="clone-db"))

    assert run.code == 1
    no_traceback(run)
    (error,) = run.commands("error")
    assert "The source cluster 'nope' was not found in the region eu-west-1" in error
    assert "nope" in run.summary
    assert run.outputs == {}
    assert aws.cluster_ids() == ["prod"]


def test_wait_false_returns_at_once_with_the_endpoint(aws: Account, run_action: RunAction) -> None:
    run = run_action(inputs={"wait": "false"}, event=pr_event("labeled", label="clone-db"))

    assert run.code == 0, run.log + run.stderr
    assert "Waiting for the clone" not in run.log
    assert (run.outputs["cluster-id"], run.outputs["created"]) == (CLONE, "true")
    assert run.outputs["endpoint"] == aws.cluster(CLONE)["Endpoint"]
    assert run.outputs["endpoint"].startswith(f"{CLONE}.cluster-")
    assert len(aws.instances(CLONE)) == 1


HOSTILE = "x\n::error::pwned\n::add-mask::x\n##[error]legacy"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(pr_event("labeled", label="clone-db", title=HOSTILE, branch=HOSTILE), id="title-branch"),
        pytest.param(pr_event("labeled", label=HOSTILE, title=HOSTILE), id="other-label"),
        pytest.param(pr_event(f"edited{HOSTILE}", title=HOSTILE), id="event-action"),
    ],
)
def test_event_text_never_becomes_a_workflow_command(
    aws: Account, run_action: RunAction, event: dict[str, Any]
) -> None:
    run = run_action(event=event)

    assert run.code == 0, run.log + run.stderr
    for line in run.lines:
        trimmed = line.strip()
        assert not trimmed.startswith(("::error::pwned", "##[error]")), line
        if trimmed.startswith("::add-mask::"):
            assert trimmed == f"::add-mask::{TOKEN}", line
    assert run.commands("error") == []
    assert set(run.outputs) <= CLONE_OUTPUTS


def test_aws_region_alone_is_enough(aws: Account, run_action: RunAction) -> None:
    run = run_action(event=pr_event("labeled", label="clone-db"), env={"AWS_DEFAULT_REGION": None})

    assert run.code == 0, run.log
    assert run.outputs["cluster-id"] == CLONE


def test_a_source_version_without_serverless_v2_is_refused_before_any_change(
    aws: Account, run_action: RunAction
) -> None:
    make_source(
        aws.rds, aws.ec2, name="legacy", Engine="aurora-mysql", EngineVersion="5.7.mysql_aurora.2.12.1"
    )

    run = run_action(inputs={"source-cluster": "legacy"}, event=pr_event("labeled", label="clone-db"))

    assert run.code == 1
    no_traceback(run)
    (error,) = run.commands("error")
    assert "1 input is not valid; nothing was changed." in error
    assert "instance-class: db.serverless needs an engine version with Aurora Serverless v2" in error
    assert run.outputs == {}
    assert aws.cluster_ids() == ["legacy", "prod"]


def test_the_clone_listens_on_the_sources_port(aws: Account, run_action: RunAction) -> None:
    make_source(aws.rds, aws.ec2, name="shop", Port=6543)

    run = run_action(inputs={"source-cluster": "shop"}, event=pr_event("labeled", label="clone-db"))

    assert run.code == 0, run.log + run.stderr
    assert run.outputs["port"] == "6543"
    assert aws.cluster("shop-pr-7")["Port"] == 6543
