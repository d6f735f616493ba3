"""Reset (issue 15): the reset label, or mode: reset, deletes the PR's clone and clones it again under
the same identifier, at the same endpoint, then takes the reset label off the pull request.

The action runs in-process on moto (corrected by testkit.real_rds: the cluster endpoint is the same
for every cluster of the account and Region, as on AWS); GitHub is the fake one, over HTTP.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from testkit import databases
from testkit.data_api import DataApi
from testkit.events import pr_event
from testkit.fake_aws import clone_tag_list, make_clone, make_cluster
from testkit.fake_github import Failure, FakeGitHub
from testkit.harness import Harness, SignalAt
from testkit.rds_model import statuses
from testkit.runner import Result

CLONE = "prod-pr-7"
INSTANCE = "prod-pr-7-1"
RESET_LABEL = "clone-db-reset"
RESET = pr_event("labeled", labels=("clone-db", RESET_LABEL), label=RESET_LABEL)
LABEL_PATH = f"/repos/acme/shop/issues/7/labels/{RESET_LABEL}"
MASK = "customers.email=email\ncustomers.full_name=name"
CUSTOMERS = [
    "CREATE TABLE customers (id integer PRIMARY KEY, email text, full_name text)",
    "INSERT INTO customers VALUES (1, 'ada@example.com', 'Ada Lovelace'), (2, 'alan@example.com', 'Alan Turing')",
]


@pytest.fixture
def pr(github: FakeGitHub) -> FakeGitHub:
    """Pull request #7 as GitHub shows it once the reset label was added: open, with both labels."""
    github.pulls[7] = "open"
    github.labels[7] = ["clone-db", RESET_LABEL]
    return github


def changes(action: Harness) -> list[tuple[str, str]]:
    return [
        (name, params.get("DBInstanceIdentifier") or params.get("DBClusterIdentifier", ""))
        for name, params in action.calls.log
        if not name.startswith(("Describe", "List"))
    ]


def label_deletes(github: FakeGitHub) -> list[tuple[str, str]]:
    return [(method, path) for method, path in github.requests if method == "DELETE"]


def cloned(action: Harness) -> Result:
    """The PR's clone, made by an earlier run; the calls it made are forgotten."""
    first = action.run()
    assert first.code == 0, first.log
    action.calls.log.clear()
    return first


def resource_id(action: Harness, ident: str = CLONE) -> str:
    cluster = action.cluster(ident)
    assert cluster is not None
    return str(cluster["DbClusterResourceId"])


def source_intact(action: Harness) -> None:
    prod = action.cluster("prod")
    assert prod is not None and prod["Status"] == "available" and prod["DeletionProtection"] is True
    assert [i["DBInstanceIdentifier"] for i in action.instances("prod")] == ["prod-1"]


# --- the reset -----------------------------------------------------------------------------------


def test_the_reset_label_makes_a_fresh_clone_at_the_same_endpoint(action: Harness, pr: FakeGitHub) -> None:
    first = cloned(action)
    before = resource_id(action)

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert "aurora-clone: reset (pull_request 'labeled': the label 'clone-db-reset' was added)" in result.log
    # The old clone deleted (instance, then cluster), then made again under the same identifier.
    assert changes(action) == [
        ("DeleteDBInstance", INSTANCE),
        ("DeleteDBCluster", CLONE),
        ("RestoreDBClusterToPointInTime", CLONE),
        ("CreateDBInstance", INSTANCE),
    ]
    assert resource_id(action) != before  # a new cluster, not the old one kept
    assert result.outputs["endpoint"] == first.outputs["endpoint"]
    assert result.outputs["reader-endpoint"] == first.outputs["reader-endpoint"]
    assert result.outputs["database-url"] == first.outputs["database-url"]
    assert (result.outputs["action"], result.outputs["created"]) == ("clone", "true")
    assert result.outputs["status"] == "available"
    assert (
        f"The fresh clone answers at the same endpoint as the one it replaced: {first.outputs['endpoint']}"
        in (result.log)
    )
    assert "### Aurora clone reset: `prod-pr-7`" in result.summary
    assert (
        f"| Endpoint | `{first.outputs['endpoint']}`, unchanged: deployments need no change |"
        in result.summary
    )
    assert "| Made again | a fresh copy of `prod` under the same identifier |" in result.summary
    # The reset label is taken off the pull request; the clone label stays.
    assert label_deletes(pr) == [("DELETE", LABEL_PATH)]
    assert pr.labels[7] == ["clone-db"]
    assert "PR #7: the label 'clone-db-reset' is removed" in result.log
    # The one comment, updated by the reset.
    (body,) = pr.comment_bodies(7)
    assert "`prod-pr-7` (created by this run)" in body
    assert (
        "| Reset | this run replaced the clone with a fresh copy of `prod`; the endpoint is the same |"
        in body
    )
    assert first.outputs["endpoint"] in body
    assert result.commands("warning") == result.commands("error") == []
    source_intact(action)


def test_mode_reset_from_workflow_dispatch_resets_the_clone_of_pr_number(
    action: Harness, pr: FakeGitHub
) -> None:
    first = cloned(action)
    before = resource_id(action)

    result = action.run(
        {"mode": "reset", "pr-number": "7"},
        event={"inputs": {"pr-number": "7"}, "ref": "refs/heads/main"},
        event_name="workflow_dispatch",
    )

    assert result.code == 0, result.log
    assert "aurora-clone: reset (mode: reset)" in result.log
    assert resource_id(action) != before
    assert result.outputs["endpoint"] == first.outputs["endpoint"]
    # The event names no label: GitHub is not asked to take one off.
    assert label_deletes(pr) == []


def test_a_reset_of_a_pr_without_a_clone_is_a_clone(action: Harness, pr: FakeGitHub) -> None:
    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert changes(action) == [("RestoreDBClusterToPointInTime", CLONE), ("CreateDBInstance", INSTANCE)]
    assert (result.outputs["action"], result.outputs["created"]) == ("clone", "true")
    assert "there is no cluster 'prod-pr-7' in eu-west-1, so there is nothing to delete" in result.log
    assert "There was no clone to delete: a reset of a pull request without one is a clone of `prod`." in (
        result.summary
    )
    assert pr.labels[7] == ["clone-db"]


class TeardownAtWork:
    """Another run's teardown: the clone and its instance read 'deleting' until the reset's wait for
    them to be gone has looked once; then they are gone (moto deletes at once: the states are held)."""

    def __init__(self, action: Harness) -> None:
        self.action, self.waiting, self.gone = action, False, False

    def request(self, params: dict[str, Any], **_: Any) -> None:
        self.waiting = any(f["Name"] == "db-cluster-id" for f in params.get("Filters") or [])

    def answer(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.gone:
            return
        clusters = model.name == "DescribeDBClusters"
        found = False
        for item in parsed.get("DBClusters" if clusters else "DBInstances") or []:
            if item.get("DBClusterIdentifier") == CLONE:
                item["Status" if clusters else "DBInstanceStatus"] = "deleting"
                found = True
        if clusters and found and self.waiting:
            self.action.aws.rds.delete_db_instance(DBInstanceIdentifier=INSTANCE, SkipFinalSnapshot=True)
            self.action.aws.rds.delete_db_cluster(DBClusterIdentifier=CLONE, SkipFinalSnapshot=True)
            self.gone = True


def test_a_reset_waits_for_a_clone_already_being_deleted(action: Harness, pr: FakeGitHub) -> None:
    cloned(action)
    teardown = TeardownAtWork(action)
    action.on("provide-client-params.rds.DescribeDBClusters", teardown.request)
    action.on("after-call.rds.DescribeDBClusters", teardown.answer)
    action.on("after-call.rds.DescribeDBInstances", teardown.answer)

    result = action.run(event=RESET, inputs={"poll-interval": "20"})

    assert result.code == 0, result.log
    assert changes(action) == [("RestoreDBClusterToPointInTime", CLONE), ("CreateDBInstance", INSTANCE)]
    assert "Reset: waiting for the deletion of 'prod-pr-7' (instances: prod-pr-7-1)" in result.log
    assert "cluster prod-pr-7: deleting" in result.log
    assert result.clock.sleeps[0] == 20
    assert result.outputs["created"] == "true"


def test_a_reset_of_a_masked_clone_gives_a_fresh_copy_masked_again(
    action: Harness, pr: FakeGitHub, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.postgres()
    first_copy = seed(server)
    double.attach(CLONE, server, {"shop": first_copy})
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", double.url)
    first = action.run({"mask": MASK, "database": "shop"})
    assert first.code == 0, first.log
    digest = tags(action)["aurora-clone/prepared"]
    # The developer breaks the preview data.
    execute(server, first_copy, "DELETE FROM customers WHERE id = 2")
    execute(server, first_copy, "UPDATE customers SET full_name = 'oops'")
    # A new copy-on-write clone holds the source's data again: the double's clone is a new database
    # from the moment RDS restores it.
    fresh_copy = seed(server)
    action.on(
        "after-call.rds.RestoreDBClusterToPointInTime",
        lambda **_: double.attach(CLONE, server, {"shop": fresh_copy}),
    )
    double.calls()

    result = action.run({"mask": MASK, "database": "shop"}, event=RESET)

    assert result.code == 0, result.log
    rows = query(server, fresh_copy)
    assert [row[0] for row in rows] == [1, 2]  # the deleted customer is back
    assert all(row[1].endswith("@example.invalid") for row in rows)  # masked again
    assert all(row[2].startswith("Name ") for row in rows)
    assert "oops" not in str(rows) and "ada@example.com" not in str(rows)
    assert double.calls()["ExecuteStatement"] >= 4  # two rules and two checks, run again
    assert [entry["what"] for entry in report(result)] == [
        "mask line 1: customers.email=email",
        "mask line 2: customers.full_name=name",
    ]
    assert tags(action)["aurora-clone/prepared"] == digest
    assert result.outputs["endpoint"] == first.outputs["endpoint"]
    assert pr.labels[7] == ["clone-db"]


# --- what a reset refuses ------------------------------------------------------------------------


def clone_of_pr_8(action: Harness) -> None:
    make_clone(action.aws.rds, CLONE, pr=8, instance=True)


def clone_of_another_repository(action: Harness) -> None:
    make_clone(action.aws.rds, CLONE, pr=7, repository="acme/other", instance=True)


def cluster_without_the_managed_tag(action: Harness) -> None:
    make_cluster(action.aws.rds, CLONE, tags=[{"Key": "team", "Value": "data"}])


def clone_with_deletion_protection(action: Harness) -> None:
    make_cluster(action.aws.rds, CLONE, tags=clone_tag_list(pr=7, expires=None), DeletionProtection=True)


def clone_that_is_the_source_of_another(action: Harness) -> None:
    make_clone(action.aws.rds, CLONE, pr=7, instance=True)
    make_clone(action.aws.rds, "prod-pr-7-copy", pr=9, restore_from=CLONE, source=CLONE)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (clone_of_pr_8, "'prod-pr-7' belongs to pull request #8, not #7"),
        (clone_of_another_repository, "'prod-pr-7' belongs to the repository 'acme/other', not 'acme/shop'"),
        (
            cluster_without_the_managed_tag,
            "'prod-pr-7' does not carry the tag aurora-clone/managed=true, so this action did not create it",
        ),
        (
            clone_with_deletion_protection,
            "'prod-pr-7' has deletion protection on, which this action never sets",
        ),
        (
            clone_that_is_the_source_of_another,
            "'prod-pr-7' is the source of 'prod-pr-7-copy' (named in its aurora-clone/source tag)",
        ),
    ],
)
def test_a_reset_refuses_what_teardown_refuses_and_deletes_nothing(
    action: Harness, pr: FakeGitHub, make: Any, why: str
) -> None:
    make(action)
    before = resource_id(action)

    result = action.run(event=RESET)

    assert result.code == 1
    (error,) = result.commands("error")
    assert f"Refused to delete 'prod-pr-7': {why}. Nothing was deleted." in error
    assert changes(action) == []
    assert resource_id(action) == before
    assert "endpoint" not in result.outputs
    # Nothing was reset: the label stays, so the person who added it sees it was not done.
    assert label_deletes(pr) == [] and RESET_LABEL in pr.labels[7]
    source_intact(action)


def test_a_source_rds_cannot_clone_is_refused_before_the_clone_is_deleted(
    action: Harness, pr: FakeGitHub
) -> None:
    cloned(action)
    before = resource_id(action)

    result = action.run({"source-cluster": "no-such-cluster", "clone-id": CLONE}, event=RESET)

    assert result.code == 1
    assert "The source cluster 'no-such-cluster' was not found in the region eu-west-1." in result.log
    assert changes(action) == []
    assert resource_id(action) == before


# --- routing against the pull request as GitHub says it is ---------------------------------------


def test_a_reset_label_on_a_pr_without_the_clone_label_does_nothing_and_comes_off(
    action: Harness, github: FakeGitHub
) -> None:
    github.pulls[7] = "open"
    github.labels[7] = [RESET_LABEL]

    result = action.run(event=pr_event("labeled", labels=(RESET_LABEL,), label=RESET_LABEL))

    assert result.code == 0, result.log
    assert result.outputs == {"action": "none"}
    assert result.annotation("notice", "no action") == (
        "Nothing to do: GitHub says pull request #7 does not carry the label 'clone-db', so it has no "
        "clone to reset; add the label 'clone-db' to get a clone (a fresh one)."
    )
    assert action.calls.log == []
    assert github.labels[7] == []
    assert label_deletes(github) == [("DELETE", LABEL_PATH)]


def test_a_reset_of_a_closed_pr_does_nothing(action: Harness, github: FakeGitHub) -> None:
    cloned(action)
    github.pulls[7] = "closed"
    github.labels[7] = ["clone-db", RESET_LABEL]

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert result.outputs == {"action": "none"}
    assert (
        "Nothing to do: GitHub says pull request #7 is closed, and a closed pull request gets no reset."
        in result.annotation("notice", "no action")
    )
    assert changes(action) == []
    assert label_deletes(github) == []


def test_when_github_cannot_be_asked_the_event_decides(action: Harness, github: FakeGitHub) -> None:
    cloned(action)
    before = resource_id(action)
    github.fail_with = 502

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert "Could not ask GitHub for pull request #7 (GitHub answered 502" in result.log
    assert resource_id(action) != before
    assert result.annotation("warning", "PR comment not updated")
    assert result.annotation("warning", "reset label not removed")


# --- the reset label -----------------------------------------------------------------------------


def test_a_refused_label_removal_is_a_warning_naming_the_permission(action: Harness, pr: FakeGitHub) -> None:
    cloned(action)
    pr.failures.append(
        Failure(403, "Resource not accessible by integration", path=LABEL_PATH, method="DELETE")
    )

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert result.outputs["status"] == "available"
    assert result.annotation("warning", "reset label not removed") == (
        "GitHub answered 403 Resource not accessible by integration to removing the label "
        "'clone-db-reset'. Give the job `permissions: pull-requests: write` (or `issues: write`), and "
        "pass `github-token` if you use another token; until then, remove the label 'clone-db-reset' by "
        "hand before adding it again to ask for another reset."
    )
    assert RESET_LABEL in pr.labels[7]


def test_github_down_while_removing_the_label_is_a_warning(
    action: Harness, pr: FakeGitHub, waits: list[float]
) -> None:
    cloned(action)
    pr.failures += [Failure(502, "Server Error", path=LABEL_PATH, method="DELETE")] * 4

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert result.annotation("warning", "reset label not removed").startswith(
        "GitHub answered 502 Server Error to removing the label 'clone-db-reset'. Remove it by hand"
    )
    assert label_deletes(pr) == [("DELETE", LABEL_PATH)] * 4  # retried as every GitHub request is


def test_a_label_someone_removed_already_is_no_warning(action: Harness, pr: FakeGitHub) -> None:
    cloned(action)
    pr.labels[7] = ["clone-db"]  # taken off by hand while the reset ran

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert "PR #7: the label 'clone-db-reset' was removed already" in result.log
    assert result.commands("warning") == []


def test_a_reset_label_with_a_slash_and_spaces_is_removed(action: Harness, pr: FakeGitHub) -> None:
    label = "db: reset/fresh copy"
    pr.labels[7] = ["clone-db", label]

    result = action.run(
        {"reset-label": label}, event=pr_event("labeled", labels=("clone-db", label), label=label)
    )

    assert result.code == 0, result.log
    assert label_deletes(pr) == [("DELETE", "/repos/acme/shop/issues/7/labels/db%3A%20reset%2Ffresh%20copy")]
    assert pr.labels[7] == ["clone-db"]


def test_a_passing_failure_of_the_label_removal_is_retried(
    action: Harness, pr: FakeGitHub, waits: list[float]
) -> None:
    pr.failures.append(Failure(502, "Server Error", path=LABEL_PATH, method="DELETE"))

    result = action.run(event=RESET)

    assert result.code == 0, result.log
    assert result.commands("warning") == []
    assert pr.labels[7] == ["clone-db"]


# --- dry run and cancellation ------------------------------------------------------------------


def test_a_dry_run_prints_both_halves_and_changes_nothing(action: Harness, pr: FakeGitHub) -> None:
    first = cloned(action)
    before = resource_id(action)
    comments = pr.comment_bodies(7)

    result = action.run({"dry-run": "true"}, event=RESET)

    assert result.code == 0, result.log
    assert changes(action) == []
    assert resource_id(action) == before
    assert (
        "Dry run: a reset would first delete the cluster 'prod-pr-7' (available) and its instances: "
        "prod-pr-7-1; no final snapshot; then wait until it is gone, and clone again under the same "
        "identifier (the same endpoint)." in result.log
    )
    assert "Dry run: nothing will be changed. The action would create:" in result.log
    assert "  clone:           prod-pr-7 (copy-on-write from prod, aurora-postgresql 16.4)" in result.log
    assert "Dry run: the label 'clone-db-reset' would be removed from pull request #7" in result.log
    assert result.outputs == {"action": "clone", "cluster-id": CLONE}
    assert "Would delete `prod-pr-7`, then create `prod-pr-7` again from `prod`. Nothing was changed." in (
        result.summary
    )
    assert label_deletes(pr) == [] and RESET_LABEL in pr.labels[7]
    assert pr.comment_bodies(7) == comments
    assert first.outputs["endpoint"] == action.cluster(CLONE)["Endpoint"]  # type: ignore[index]


@pytest.mark.parametrize(
    "operation", ["DeleteDBInstance", "DeleteDBCluster", "RestoreDBClusterToPointInTime", "CreateDBInstance"]
)
def test_a_reset_cancelled_midway_is_finished_by_a_rerun(
    action: Harness, pr: FakeGitHub, operation: str
) -> None:
    first = cloned(action)
    cancel = SignalAt(1, signal.SIGINT)
    action.on(f"after-call.rds.{operation}", cancel)

    stopped = action.run(event=RESET)

    assert stopped.code == 1
    assert "Traceback" not in stopped.log
    (error,) = stopped.commands("error")
    assert error.startswith("::error title=aurora-clone%3A cancelled::The run was cancelled (SIGINT)")
    # The error tells the truth: the old clone's deletion began (the last call's answer was lost).
    assert "This run started deleting the DB instance 'prod-pr-7-1'" in error or (
        "This run asked RDS to delete the DB instance 'prod-pr-7-1' (no answer yet" in error
    )
    assert "RDS goes on with what it accepted" in error
    assert (
        "**How to finish:** Re-run the job to finish the reset: it deletes what is left of 'prod-pr-7'"
        in (stopped.summary)
    )
    assert RESET_LABEL in pr.labels[7]  # the reset is not done: its label stays
    action.off(f"after-call.rds.{operation}", cancel)

    rerun = action.run(event=RESET)

    assert rerun.code == 0, rerun.log
    assert rerun.outputs["endpoint"] == first.outputs["endpoint"]
    assert rerun.outputs["status"] == "available"
    assert [i["DBInstanceIdentifier"] for i in action.instances(CLONE)] == [INSTANCE]
    assert action.aws.cluster_ids() == ["prod", CLONE]
    assert pr.labels[7] == ["clone-db"]


def seed(server: databases.Server) -> str:
    name = server.fresh_database("shop")
    for statement in CUSTOMERS:
        execute(server, name, statement)
    return name


def execute(server: databases.Server, database: str, sql: str) -> None:
    conn = server.connect(database)
    conn.cursor().execute(sql)
    conn.close()


def query(server: databases.Server, database: str) -> list[tuple[Any, ...]]:
    conn = server.connect(database)
    cursor = conn.cursor()
    cursor.execute("SELECT id, email, full_name FROM customers ORDER BY id")
    rows = [tuple(row) for row in cursor.fetchall()]
    conn.close()
    return rows


def tags(action: Harness) -> dict[str, str]:
    cluster = action.cluster(CLONE)
    assert cluster is not None
    return action.aws.tags(cluster["DBClusterArn"])


def report(result: Result) -> list[dict[str, Any]]:
    import json

    return list(json.loads(result.outputs["sql-report"]))


# --- what the reset relies on, in the double --------------------------------------------------------


def test_the_double_names_every_cluster_endpoint_with_the_accounts_dns_identifier(action: Harness) -> None:
    """Aurora User Guide: `<cluster>.cluster-<customer DNS identifier>.<Region>.rds.amazonaws.com`, the
    identifier "associated with your AWS account in a particular AWS Region" (testkit.real_rds)."""
    made = make_clone(action.aws.rds, CLONE, pr=7)
    other = make_clone(action.aws.rds, "prod-pr-8", pr=8)
    prod = action.cluster("prod")
    assert prod is not None
    suffix = prod["Endpoint"].removeprefix("prod.cluster-")
    assert made["Endpoint"] == f"{CLONE}.cluster-{suffix}"
    assert other["Endpoint"] == f"prod-pr-8.cluster-{suffix}"
    assert made["ReaderEndpoint"] == f"{CLONE}.cluster-ro-{suffix}"
    assert suffix.endswith(".eu-west-1.rds.amazonaws.com")
    action.aws.rds.delete_db_cluster(DBClusterIdentifier=CLONE, SkipFinalSnapshot=True)
    again = make_clone(action.aws.rds, CLONE, pr=7)
    assert again["Endpoint"] == made["Endpoint"]
    assert again["DbClusterResourceId"] != made["DbClusterResourceId"]


def test_the_deletion_and_the_clone_share_one_timeout(action: Harness, pr: FakeGitHub) -> None:
    cloned(action)
    teardown = TeardownAtWork(action)
    action.on("provide-client-params.rds.DescribeDBClusters", teardown.request)
    action.on("after-call.rds.DescribeDBClusters", teardown.answer)
    action.on("after-call.rds.DescribeDBInstances", teardown.answer)
    # The deletion takes 20 s of the minute; then the fresh clone reads 'creating' for longer than is left.
    action.on(
        "after-call.rds.RestoreDBClusterToPointInTime",
        lambda **_: action.on(
            "after-call.rds.DescribeDBClusters", statuses(CLONE, ["creating"] * 5 + ["available"])
        ),
    )

    result = action.run(event=RESET, inputs={"timeout-minutes": "1", "poll-interval": "20"})

    assert result.code == 1
    assert "was not available after timeout-minutes: 1" in result.log
    assert sum(result.clock.sleeps) <= 60
