"""Purge against moto: expired and closed-PR clones go; live, foreign, unmanaged and the source stay."""

from __future__ import annotations

import json
from typing import Any

import pytest

from testkit.rds_model import common_error
from tests.fake_github import FakeGitHub
from tests.integration.conftest import Harness

SCHEDULE: dict[str, Any] = {"schedule": "17 3 * * *"}
PAST, FUTURE = "2026-11-20T00:00:00Z", "2026-12-20T00:00:00Z"


def clone(action: Harness, ident: str, *, pr: int, expires: str, repository: str = "acme/shop") -> None:
    """A clone as the action makes it (tags and all), straight through the RDS API."""
    action.aws["rds"].restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier="prod",
        DBClusterIdentifier=ident,
        RestoreType="copy-on-write",
        UseLatestRestorableTime=True,
        DeletionProtection=False,
        Tags=[
            {"Key": "aurora-clone/managed", "Value": "true"},
            {"Key": "aurora-clone/repository", "Value": repository},
            {"Key": "aurora-clone/pr", "Value": str(pr)},
            {"Key": "aurora-clone/source", "Value": "prod"},
            {"Key": "aurora-clone/expires-at", "Value": expires},
        ],
    )


@pytest.fixture
def account(action: Harness, github: FakeGitHub) -> Harness:
    """Side by side: expired, closed-PR, live and foreign clones, an unmanaged cluster, the source."""
    clone(action, "prod-pr-1", pr=1, expires=PAST)  # expired, PR still open
    clone(action, "prod-pr-2", pr=2, expires=FUTURE)  # PR closed
    clone(action, "prod-pr-3", pr=3, expires=FUTURE)  # live
    clone(action, "prod-other-pr-4", pr=4, expires=PAST, repository="acme/other")  # expired, other repo
    clone(action, "prod-other-pr-5", pr=5, expires=FUTURE, repository="acme/other")  # other repo, PR closed
    action.aws["rds"].create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="a",
        MasterUserPassword="password1",
    )
    github.pulls.update({1: "open", 2: "closed", 3: "open"})
    return action


def remaining(action: Harness) -> list[str]:
    return sorted(c["DBClusterIdentifier"] for c in action.aws["rds"].describe_db_clusters()["DBClusters"])


def test_purge_deletes_expired_and_closed_pr_clones_of_this_repository(
    account: Harness, github: FakeGitHub
) -> None:
    result = account.run(event=SCHEDULE, event_name="schedule", inputs={"source-cluster": ""})

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    assert result.outputs["action"] == "purge"
    assert remaining(account) == ["analytics", "prod", "prod-other-pr-4", "prod-other-pr-5", "prod-pr-3"]
    assert "| `prod-pr-1` | acme/shop | 1 |" in result.summary
    assert "| expired 2026-11-20T00:00:00Z | deleted |" in result.summary
    assert "| PR #2 closed | deleted |" in result.summary
    assert github.requests == [("GET", "/repos/acme/shop/pulls")]


def test_purge_scope_all_takes_every_repositorys_clones(account: Harness, github: FakeGitHub) -> None:
    result = account.run({"mode": "purge", "purge-scope": "all"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    # acme/other's open PRs are asked of GitHub too: the fake knows none there, so PR 5 counts as closed.
    assert json.loads(result.outputs["purged"]) == [
        "prod-pr-1",
        "prod-pr-2",
        "prod-other-pr-4",
        "prod-other-pr-5",
    ]
    assert remaining(account) == ["analytics", "prod", "prod-pr-3"]
    assert sorted(github.requests) == [("GET", "/repos/acme/other/pulls"), ("GET", "/repos/acme/shop/pulls")]


def test_dry_run_lists_and_deletes_nothing(account: Harness) -> None:
    before = remaining(account)

    result = account.run({"mode": "purge", "dry-run": "true"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    assert remaining(account) == before
    assert [n for n in account.calls.names() if n.startswith("Delete")] == []
    assert "Would delete 'prod-pr-2' (PR #2 closed)" in result.log


def test_when_github_cannot_answer_only_expiry_counts(account: Harness, github: FakeGitHub) -> None:
    github.fail_with = 503

    result = account.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1"]
    assert "prod-pr-2" in remaining(account)
    assert (
        "::warning title=aurora-clone%3A PR states unknown::GitHub answered 503 for the pull requests of acme/shop: "
        "closed pull requests of acme/shop are not known, so only expired clones are purged." in result.log
    )


def test_one_failed_deletion_does_not_stop_the_others(account: Harness) -> None:
    deny = common_error("AccessDenied", "not authorized to delete prod-pr-1")

    def deny_prod_pr_1(params: dict[str, Any], **kwargs: Any) -> Any:
        return deny(**kwargs) if "prod-pr-1" in str(params.get("body", "")) else None

    account.on("before-call.rds.DeleteDBCluster", deny_prod_pr_1)

    result = account.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 1
    assert json.loads(result.outputs["purged"]) == ["prod-pr-2"]
    assert "prod-pr-1" in remaining(account) and "prod-pr-2" not in remaining(account)
    assert "1 of 2 clones could not be purged:%0A- prod-pr-1: AWS denied rds:DeleteDBCluster" in result.log
    assert "| failed: AWS denied rds:DeleteDBCluster" in result.summary


def test_candidates_are_found_across_describe_pages(account: Harness) -> None:
    """moto returns every cluster at once; here RDS answers two clusters a page."""
    pages: list[int] = []

    def paginate(params: dict[str, Any], **_: Any) -> None:
        pages.append(int(params.get("Marker") or 0))

    def cut(parsed: dict[str, Any], **_: Any) -> None:
        start = pages[-1]
        clusters = parsed.get("DBClusters") or []
        if len(clusters) > 1:
            parsed["DBClusters"] = clusters[start : start + 2]
            if start + 2 < len(clusters):
                parsed["Marker"] = str(start + 2)

    account.on("provide-client-params.rds.DescribeDBClusters", paginate)
    account.on("after-call.rds.DescribeDBClusters", cut)

    result = account.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    describes = account.calls.of("DescribeDBClusters")
    assert [p.get("Marker") for p in describes if "MaxRecords" in p] == [
        None,
        "2",
        "4",
        "6",
    ]  # 7 clusters, 2 a page
    # Waiting asks about both deletions in one call, not one call per cluster.
    assert [p["Filters"] for p in describes if "Filters" in p] == [
        [{"Name": "db-cluster-id", "Values": ["prod-pr-1", "prod-pr-2"]}]
    ]
    assert [p for p in describes if "DBClusterIdentifier" in p] == [
        {"DBClusterIdentifier": "prod-pr-1"},
        {"DBClusterIdentifier": "prod-pr-2"},
    ]  # the fresh look just before each delete call


def test_nothing_to_purge_is_a_notice(action: Harness, github: FakeGitHub) -> None:
    clone(action, "prod-pr-3", pr=3, expires=FUTURE)
    github.pulls[3] = "open"

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert result.outputs["purged"] == "[]"
    assert "Nothing to purge" in result.log


def test_pr_states_take_one_github_request_per_100_open_prs(account: Harness, github: FakeGitHub) -> None:
    github.pulls.update({n: "open" for n in range(100, 350)} | {1: "open", 2: "closed", 3: "open"})

    result = account.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1", "prod-pr-2"]
    assert github.requests == [("GET", "/repos/acme/shop/pulls")] * 3  # 252 open PRs, 100 a page
