"""What a person sees when a run fails: the error line, the likely cause, the fix and its YAML or IAM."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from botocore.exceptions import NoCredentialsError

from testkit.events import pr_event
from testkit.harness import Harness
from testkit.rds_model import common_error

ROOT = Path(__file__).resolve().parents[2]


def no_credentials(**_: Any) -> None:
    raise NoCredentialsError()


def fork_event() -> dict[str, Any]:
    event = pr_event("labeled", label="clone-db")
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/shop"
    return event


def test_a_fork_pr_without_credentials_is_explained(action: Harness) -> None:
    action.on("before-call.rds.DescribeDBClusters", no_credentials)

    result = action.run(event=fork_event())

    assert result.code == 1
    assert (
        "::error title=aurora-clone%3A aws error::No AWS credentials were found for rds:DescribeDBClusters."
        in (result.log)
    )
    assert "**Likely cause:** This pull request comes from the fork 'mallory/shop'." in result.summary
    assert "trigger on pull_request_target and keep the label as the gate" in result.summary
    assert "Traceback" not in result.log
    assert action.calls.changing() == []


def test_a_dependabot_pr_without_credentials_is_explained(action: Harness) -> None:
    action.on("before-call.rds.DescribeDBClusters", no_credentials)

    result = action.run(extra_env={"GITHUB_ACTOR": "dependabot[bot]"})

    assert result.code == 1
    assert "Dependabot's pull requests run without the repository's secrets" in result.summary


def test_missing_credentials_show_the_workflow_yaml_to_add(action: Harness) -> None:
    action.on("before-call.rds.DescribeDBClusters", no_credentials)

    result = action.run()

    assert (
        "uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3"
        in result.summary
    )
    assert "id-token: write" in result.summary


def test_access_denied_shows_the_iam_statement(action: Harness) -> None:
    action.on("before-call.rds.CreateDBInstance", common_error("AccessDenied", "not authorized"))

    result = action.run()

    assert result.code == 1
    assert (
        "**What went wrong:** AWS denied rds:CreateDBInstance (AccessDenied): not authorized"
        in result.summary
    )
    # The example policy's own statement, valid JSON, with its tag conditions.
    snippet = result.summary.split("```json\n")[1].split("\n```")[0]
    example = json.loads((ROOT / "examples/iam/clone-teardown-policy.json").read_text())["Statement"]
    assert json.loads(snippet) == next(s for s in example if s.get("Sid") == "AddTaggedInstancesToClones")
    assert "statement AddTaggedInstancesToClones of examples/iam/clone-teardown-policy.json" in result.summary


def test_bad_inputs_show_every_problem_and_an_example(action: Harness) -> None:
    result = action.run({"ttl": "forever", "poll-interval": "0"})

    assert result.code == 1
    assert (
        "- ttl: expected a whole number followed by m, h or d, like 30m, 12h or 7d, got 'forever'"
        in result.summary
    )
    assert "- poll-interval: expected a whole number of seconds, 1 or more, got '0'" in result.summary
    assert "```yaml\n- uses: org/aurora-clone-action@v1\n  with:" in result.summary
    assert action.calls.names() == []


def test_three_mistakes_of_a_clone_are_reported_together_before_any_aws_call(action: Harness) -> None:
    result = action.run(
        {
            "mode": "clone",
            "manage-master-password": "true",
            "wait": "false",
            "manifest": "a.yaml",
            "manifest-set": "=x",
            "ttl": "soon",
        },
        event={},
        event_name="workflow_dispatch",
        files={"a.yaml": "database:\n  host: localhost\n"},
    )

    assert result.code == 1
    (error,) = [line for line in result.log.splitlines() if line.startswith("::error")]
    # An input's own problem (ttl) and the clone's (the other three) come in one report.
    assert "4 inputs are not valid; nothing was changed." in error
    assert "- ttl: expected a whole number followed by m, h or d" in result.summary
    assert "- manage-master-password: needs wait: true" in result.summary
    assert "- pr-number: required for the event 'workflow_dispatch'" in result.summary
    assert "- manifest-set:" in result.summary and "'=x'" in result.summary
    # The snippet shows the inputs that failed, as the step gave them.
    assert (
        "```yaml\n- uses: org/aurora-clone-action@v1\n  with:  # the inputs that are not valid, as given\n"
        "    ttl: soon\n    manage-master-password: true\n    pr-number:  # not set\n"
        '    manifest-set: "=x"\n```'
    ) in result.summary
    assert action.calls.names() == []
    assert action.github.requests == []  # GitHub is not asked about a run that cannot go ahead
