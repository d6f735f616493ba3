"""Purge against moto: expired and closed-PR clones go; live, foreign, unmanaged and the source stay.

And its guard rails: sources named by other clusters, source-cluster, unreadable expiries and more
than max-deletions are kept, and its RDS calls are few and paced.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit.events import schedule_event
from testkit.fake_aws import FUTURE, PAST, Account, Moto, make_clone, make_cluster
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness
from testkit.rds_model import common_error, fault

SCHEDULE = schedule_event()


@pytest.fixture
def account(action: Harness, github: FakeGitHub) -> Harness:
    """Side by side: expired, closed-PR, live and foreign clones, an unmanaged cluster, the source."""
    rds = action.aws.rds
    make_clone(rds, "prod-pr-1", pr=1, expires=PAST)  # expired, PR still open
    make_clone(rds, "prod-pr-2", pr=2, expires=FUTURE)  # PR closed
    make_clone(rds, "prod-pr-3", pr=3, expires=FUTURE)  # live
    make_clone(rds, "prod-other-pr-4", pr=4, expires=PAST, repository="acme/other")  # expired, other repo
    make_clone(rds, "prod-other-pr-5", pr=5, expires=FUTURE, repository="acme/other")  # PR closed
    make_cluster(rds, "analytics")
    github.pulls.update({1: "open", 2: "closed", 3: "open"})
    return action


def remaining(action: Harness) -> list[str]:
    return sorted(c["DBClusterIdentifier"] for c in action.aws.rds.describe_db_clusters()["DBClusters"])


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
    # The fresh look at both just before their delete calls, then the wait: one call each, not one
    # call per cluster.
    both = [{"Name": "db-cluster-id", "Values": ["prod-pr-1", "prod-pr-2"]}]
    assert [p["Filters"] for p in describes if "Filters" in p] == [both, both]
    assert [p for p in describes if "DBClusterIdentifier" in p] == []
    assert account.calls.of("DescribeDBInstances") == [{"Filters": both}]


def test_nothing_to_purge_is_a_notice(action: Harness, github: FakeGitHub) -> None:
    make_clone(action.aws.rds, "prod-pr-3", pr=3, expires=FUTURE)
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


def deletes(action: Harness) -> list[str]:
    """The identifiers of every delete call the action sent."""
    return [
        str(p.get("DBClusterIdentifier") or p.get("DBInstanceIdentifier"))
        for name, p in action.calls.log
        if name.startswith("Delete")
    ]


def test_a_cluster_another_clone_names_as_its_source_is_kept(action: Harness, github: FakeGitHub) -> None:
    # A clone promoted to be a source (a golden copy made by hand), expired, deletion protection off,
    # and a clone of it made by another repository; the nightly workflow gives no source-cluster.
    make_clone(action.aws.rds, "golden", pr=9, expires=PAST, instance=True)
    make_clone(
        action.aws.rds, "golden-pr-10", pr=10, expires=FUTURE, repository="acme/other", source="golden"
    )
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST)
    github.pulls.update({1: "open", 9: "closed", 10: "open"})

    result = action.run(event=SCHEDULE, event_name="schedule", inputs={"source-cluster": ""})

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1"]
    assert action.cluster("golden") is not None
    assert [i["DBInstanceIdentifier"] for i in action.instances("golden")] == ["golden-1"]
    assert "golden" not in deletes(action) and "golden-1" not in deletes(action)
    why = "it is the source of 'golden-pr-10' (named in its aurora-clone/source tag)"
    assert f"| `golden` | acme/shop | 9 | expired 2026-11-20T00:00:00Z | {why} |" in result.summary
    assert "**Kept (1):** clusters purge would otherwise delete, and why it does not." in result.summary
    assert f"Keeping 'golden' (expired 2026-11-20T00:00:00Z): {why}" in result.log


def test_the_source_cluster_input_is_kept_though_tagged_and_expired(
    action: Harness, github: FakeGitHub
) -> None:
    make_clone(action.aws.rds, "staging", pr=4, expires=PAST, instance=True)
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST)
    github.pulls.update({1: "open", 4: "closed"})

    result = action.run(
        {"mode": "purge", "source-cluster": "staging"}, event={}, event_name="workflow_dispatch"
    )

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1"]
    assert action.cluster("staging") is not None and action.instances("staging")
    assert "staging" not in deletes(action) and "staging-1" not in deletes(action)
    why = "it is the source-cluster input of this step"
    assert f"| `staging` | acme/shop | 4 | expired 2026-11-20T00:00:00Z | {why} |" in result.summary
    assert f"Keeping 'staging' (expired 2026-11-20T00:00:00Z): {why}" in result.log


def test_a_golden_copy_tag_seen_only_at_the_fresh_check_keeps_the_clone(
    action: Harness, github: FakeGitHub
) -> None:
    """The guards run again on the describe just before the deletes: a tag added after the listing."""
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST)
    github.pulls[1] = "open"
    filtered: list[bool] = []

    def tag_as_golden_copy(parsed: dict[str, Any], **_: Any) -> None:
        if filtered[-1]:  # the batch's fresh look, not the listing
            for cluster in parsed.get("DBClusters") or []:
                cluster["TagList"] = [*cluster["TagList"], {"Key": "aurora-clone/base", "Value": "true"}]

    action.on(
        "provide-client-params.rds.DescribeDBClusters",
        lambda params, **_: filtered.append("Filters" in params),
    )
    action.on("after-call.rds.DescribeDBClusters", tag_as_golden_copy)

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert result.outputs["purged"] == "[]"
    assert deletes(action) == [] and "prod-pr-1" in remaining(action)
    assert "| kept: it is a golden copy (aurora-clone/base=true) |" in result.summary
    assert "Keeping 'prod-pr-1': it is a golden copy (aurora-clone/base=true)" in result.log


def test_a_missing_or_unreadable_expiry_is_not_expired(action: Harness, github: FakeGitHub) -> None:
    make_clone(action.aws.rds, "prod-pr-6", pr=6, expires=None)
    make_clone(action.aws.rds, "prod-pr-7", pr=7, expires="soon")
    make_clone(action.aws.rds, "prod-pr-8", pr=8, expires="2026-11-20")  # a date without the time
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST)
    github.pulls.update({1: "open", 6: "closed", 7: "open", 8: "open"})

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ["prod-pr-1"]
    assert remaining(action) == ["prod", "prod-pr-6", "prod-pr-7", "prod-pr-8"]
    warnings = [line for line in result.log.splitlines() if line.startswith("::warning")]
    assert warnings == [
        "::warning title=aurora-clone%3A expiry unreadable::Kept 3 clones whose aurora-clone/expires-at "
        "tag cannot be read, so whose lifetime is unknown: 'prod-pr-6' (missing), 'prod-pr-7' ('soon', "
        "not YYYY-MM-DDTHH:MM:SSZ), 'prod-pr-8' ('2026-11-20', not YYYY-MM-DDTHH:MM:SSZ). The action "
        "writes that tag on every clone as YYYY-MM-DDTHH:MM:SSZ: correct the tag, or delete the cluster "
        "by hand if it is no longer needed."
    ]
    assert (
        "| `prod-pr-6` | acme/shop | 6 | expiry unknown | its aurora-clone/expires-at tag is missing, so "
        "its lifetime is unknown |" in result.summary
    )
    assert "| `prod-pr-7` | acme/shop | 7 | expiry unknown | its aurora-clone/expires-at tag is 'soon'" in (
        result.summary
    )


def test_only_unreadable_expiries_is_nothing_to_purge_with_the_kept_listed(
    action: Harness, github: FakeGitHub
) -> None:
    make_clone(action.aws.rds, "prod-pr-6", pr=6, expires="")

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert result.outputs["purged"] == "[]"
    assert "::notice title=aurora-clone%3A nothing to purge::Nothing to purge: no expired clone and no " in (
        result.log
    )
    assert "acme/shop). 1 kept (see the job summary)." in result.log
    assert "| `prod-pr-6` | acme/shop | 6 | expiry unknown | its aurora-clone/expires-at tag is ''" in (
        result.summary
    )
    assert action.calls.changing() == []


@pytest.fixture
def backlog(action: Harness, github: FakeGitHub) -> Harness:
    """21 expired clones of acme/shop, one more than the default max-deletions, and a live one."""
    action.expired_clones(21, instance=True)
    make_clone(action.aws.rds, "prod-pr-30", pr=30, expires=FUTURE)
    github.pulls[30] = "open"
    return action


def test_more_than_max_deletions_deletes_none_and_fails_with_the_list(backlog: Harness) -> None:
    result = backlog.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 1
    assert len(remaining(backlog)) == 23 and backlog.instances("prod-pr-1")
    assert backlog.calls.changing() == []
    assert result.outputs["purged"] == "[]"
    errors = [line for line in result.log.splitlines() if line.startswith("::error")]
    listing = "%0A".join(f"- prod-pr-{n} (expired 2026-11-20T00:00:00Z)" for n in range(1, 22))
    assert errors == [
        "::error title=aurora-clone%3A refused by a safety rule::Purge would delete 21 clones, more than "
        f"max-deletions: 20, so it deleted none:%0A{listing}"
    ]
    assert (
        "How to fix: Check the list. If every one should go, run purge once with max-deletions: 21 or "
        "more (for that run only), or run it with dry-run: true first to list what it would delete "
        "without deleting anything." in result.log
    )
    assert "### Aurora clone purge: nothing deleted, 21 clones due and max-deletions is 20" in result.summary
    assert "| expired 2026-11-20T00:00:00Z | not deleted: more than max-deletions |" in result.summary
    assert "    max-deletions: 21   # this run only" in result.summary


def test_a_dry_run_over_max_deletions_lists_all_and_deletes_nothing(backlog: Harness) -> None:
    result = backlog.run({"mode": "purge", "dry-run": "true"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == [f"prod-pr-{n}" for n in range(1, 22)]
    assert backlog.calls.changing() == []
    assert "Would delete 'prod-pr-21' (expired 2026-11-20T00:00:00Z)" in result.log
    assert "Would delete 21 of 21 clones: prod-pr-1, prod-pr-2," in result.log
    assert (
        "::warning title=aurora-clone%3A more than max-deletions::21 clones are due, more than "
        "max-deletions: 20: a run without dry-run would delete none of them and fail, unless "
        "max-deletions is raised for it." in result.log
    )
    assert "### Aurora clone purge: dry run, 21 of 21 would be deleted" in result.summary
    assert "| would delete (dry run) |" in result.summary


def test_a_raised_max_deletions_deletes_them_all(backlog: Harness) -> None:
    result = backlog.run({"mode": "purge", "max-deletions": "25"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert len(json.loads(result.outputs["purged"])) == 21
    assert remaining(backlog) == ["prod", "prod-pr-30"]
    assert backlog.instances("prod-pr-1") == []


def test_exactly_max_deletions_is_allowed(backlog: Harness) -> None:
    result = backlog.run({"mode": "purge", "max-deletions": "21"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert remaining(backlog) == ["prod", "prod-pr-30"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("many", "max-deletions: expected a whole number of clones, 1 or more, got 'many'"),
        ("-1", "max-deletions: expected a whole number of clones, 1 or more, got '-1'"),
        (
            "0",
            "max-deletions: expected 1 or more; to delete nothing and list what purge would delete, set "
            "dry-run: true, got '0'",
        ),
    ],
)
def test_a_bad_max_deletions_fails_before_any_aws_call(backlog: Harness, value: str, problem: str) -> None:
    result = backlog.run({"mode": "purge", "max-deletions": value}, event={}, event_name="workflow_dispatch")

    assert result.code == 1
    assert backlog.calls.log == []
    assert (
        "::error title=aurora-clone%3A invalid input::1 input is not valid; nothing was changed.%0A- "
        f"{problem}" in result.log
    )


def test_purge_makes_at_most_3_rds_calls_a_deleted_clone_paced_under_10_a_second(
    action: Harness, github: FakeGitHub
) -> None:
    action.expired_clones(20, instance=True)
    at: list[float] = []
    action.on("provide-client-params.rds.*", lambda **_: at.append(action.clock.monotonic()))

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert remaining(action) == ["prod"]
    calls = action.calls.names()
    assert len(calls) / 20 <= 3, calls
    # One listing, per 10 clones one describe of the clusters and one of their instances, 2 deletes a
    # clone, one look to see them gone.
    assert sorted(set(calls)) == [
        "DeleteDBCluster",
        "DeleteDBInstance",
        "DescribeDBClusters",
        "DescribeDBInstances",
    ]
    assert (calls.count("DescribeDBClusters"), calls.count("DescribeDBInstances")) == (4, 2)
    # The fake clock only moves when the action sleeps: the pacing's sleeps spread the calls out.
    assert sum(action.clock.sleeps) > 0
    assert max(sum(1 for t in at if start <= t <= start + 1) for start in at) < 10
    assert max(sum(1 for t in at if start <= t <= start + 10) for start in at) < 100
    assert "Paced: waited" in result.log and "to stay under 5 RDS calls a second" in result.log


def test_every_delete_follows_an_ownership_check_of_that_clone_in_its_batch(
    action: Harness, github: FakeGitHub
) -> None:
    action.expired_clones(12, instance=True)

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    checked: set[str] = set()
    instances_checked: set[str] = set()
    for name, params in action.calls.log:
        ids = [v for f in params.get("Filters") or [] for v in f["Values"]]
        if name == "DescribeDBClusters":
            checked = set(ids)  # each batch's look replaces the last
        elif name == "DescribeDBInstances":
            instances_checked = set(ids)
        elif name == "DeleteDBInstance":
            assert params["DBInstanceIdentifier"].removesuffix("-1") in instances_checked
        elif name == "DeleteDBCluster":
            assert params["DBClusterIdentifier"] in checked
    batches = [p["Filters"][0]["Values"] for p in action.calls.of("DescribeDBClusters") if "Filters" in p]
    assert [len(b) for b in batches] == [10, 2, 12]  # two batches, then the wait on all 12


def test_a_clone_busy_at_its_delete_goes_through_the_patient_path(
    action: Harness, github: FakeGitHub
) -> None:
    """RDS refuses the quick delete (the cluster is modifying); teardown's deletion waits and retries."""
    make_clone(action.aws.rds, "prod-pr-1", pr=1, expires=PAST, instance=True)
    github.pulls[1] = "open"
    refusals: list[str] = []

    def busy_once(params: dict[str, Any], **kwargs: Any) -> Any:
        if refusals:
            return None
        refusals.append("refused")
        return fault("InvalidDBClusterStateFault", "DB cluster is in state modifying")(**kwargs)

    action.on("before-call.rds.DeleteDBCluster", busy_once)

    result = action.run({"mode": "purge"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert remaining(action) == ["prod"]
    assert action.calls.names().count("DeleteDBCluster") == 2
    assert {"DBClusterIdentifier": "prod-pr-1"} in action.calls.of("DescribeDBClusters")  # its fresh look


# Property: whatever the account holds, purge never deletes an unmanaged cluster, a cluster another
# names as its source, the source-cluster input, a clone whose expiry cannot be read, nor more than
# max-deletions; and it deletes exactly the due clones of its scope when they are few enough.
EXPIRIES = {"past": PAST, "future": FUTURE, "missing": None, "garbage": "next week"}
CLUSTER = st.fixed_dictionaries(
    {
        "managed": st.booleans(),
        "repository": st.sampled_from(["acme/shop", "acme/other"]),
        "pr": st.integers(1, 4),
        "expiry": st.sampled_from(sorted(EXPIRIES)),
        "source": st.one_of(st.just("prod"), st.integers(0, 5)),  # prod, or the cluster c<n>
        "instance": st.booleans(),
    }
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    clusters=st.lists(CLUSTER, max_size=6),
    open_prs=st.sets(st.integers(1, 4)),
    source_cluster=st.sampled_from(["", "prod", "c0"]),
    scope=st.sampled_from(["repository", "all"]),
    max_deletions=st.integers(1, 4),
    dry_run=st.booleans(),
)
def test_purge_never_deletes_what_it_must_keep(
    moto: Moto,
    tmp_path_factory: pytest.TempPathFactory,
    github: FakeGitHub,
    clusters: list[dict[str, Any]],
    open_prs: set[int],
    source_cluster: str,
    scope: str,
    max_deletions: int,
    dry_run: bool,
) -> None:
    github.reset()
    github.pulls.update({n: "open" if n in open_prs else "closed" for n in range(1, 5)})
    action = Harness(Account.fresh(moto), tmp_path_factory.mktemp("purge"), github)
    rds = action.aws.rds
    for n, c in enumerate(clusters):
        source = c["source"] if c["source"] == "prod" else f"c{c['source']}"
        if c["managed"]:
            make_clone(
                rds,
                f"c{n}",
                pr=c["pr"],
                expires=EXPIRIES[c["expiry"]],
                repository=c["repository"],
                source=source,
                instance=c["instance"],
            )
        else:
            rds.restore_db_cluster_to_point_in_time(
                SourceDBClusterIdentifier="prod",
                DBClusterIdentifier=f"c{n}",
                RestoreType="copy-on-write",
                UseLatestRestorableTime=True,
                DeletionProtection=False,
                Tags=[{"Key": "aurora-clone/source", "Value": source}, {"Key": "team", "Value": "data"}],
            )
    before = set(remaining(action))

    result = action.run(
        {
            "mode": "purge",
            "source-cluster": source_cluster,
            "purge-scope": scope,
            "max-deletions": str(max_deletions),
            "dry-run": str(dry_run).lower(),
        },
        event={},
        event_name="workflow_dispatch",
    )
    deleted = before - set(remaining(action))

    sources = {
        f"c{c['source']}" if c["source"] != "prod" else "prod"
        for n, c in enumerate(clusters)
        if c["source"] != n
    }
    unmanaged = {f"c{n}" for n, c in enumerate(clusters) if not c["managed"]}
    unreadable = {f"c{n}" for n, c in enumerate(clusters) if c["expiry"] in ("missing", "garbage")}
    assert not deleted & (unmanaged | sources | unreadable | {"prod", source_cluster})
    assert len(deleted) <= max_deletions
    due = (
        {
            f"c{n}"
            for n, c in enumerate(clusters)
            if c["managed"]
            and (scope == "all" or c["repository"] == "acme/shop")
            and (c["expiry"] == "past" or (c["expiry"] == "future" and c["pr"] not in open_prs))
        }
        - sources
        - {source_cluster}
    )
    if dry_run:
        assert deleted == set() and result.code == 0, result.log
        assert sorted(json.loads(result.outputs["purged"])) == sorted(due)
    elif len(due) > max_deletions:
        assert deleted == set() and result.code == 1
    else:
        assert deleted == due and result.code == 0, result.log


def test_the_max_deletions_error_names_30_clones_and_the_summary_all(
    action: Harness, github: FakeGitHub
) -> None:
    action.expired_clones(32)

    result = action.run({"mode": "purge", "max-deletions": "31"}, event={}, event_name="workflow_dispatch")

    assert result.code == 1
    assert action.calls.changing() == []
    error = next(line for line in result.log.splitlines() if line.startswith("::error"))
    assert "Purge would delete 32 clones, more than max-deletions: 31, so it deleted none:" in error
    assert error.endswith(
        "- prod-pr-30 (expired 2026-11-20T00:00:00Z)%0A- and 2 more: the job summary lists every one"
    )
    assert "| `prod-pr-32` | acme/shop | 32 |" in result.summary


def test_the_kept_reason_names_up_to_3_clones_that_name_the_source() -> None:
    from clone_action.modes.purge_survey import Rules, named_sources

    def cluster(ident: str, source: str) -> dict[str, Any]:
        return {"DBClusterIdentifier": ident, "TagList": [{"Key": "aurora-clone/source", "Value": source}]}

    listing = [cluster(f"golden-pr-{n}", "Golden") for n in range(1, 5)] + [cluster("loop", "loop")]
    rules = Rules(now=datetime(2026, 11, 25, tzinfo=UTC), open_prs={}, sources=named_sources(listing))

    assert rules.guard("golden", {"aurora-clone/expires-at": PAST}) == (
        "it is the source of 'golden-pr-1', 'golden-pr-2', 'golden-pr-3' and 1 more (named in their "
        "aurora-clone/source tag)"
    )
    assert rules.guard("loop", {"aurora-clone/expires-at": PAST}) is None  # naming itself keeps nothing
