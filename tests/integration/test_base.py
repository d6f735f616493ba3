"""refresh-base: a masked golden copy of the source, swapped in under its name; PR clones cut from it.

The action runs in-process on moto (testkit.real_rds renames as RDS does); the new golden copy's
SQL runs through the Data API double on a real PostgreSQL. The run's clock is the fake one, so
the new cluster's name is known: `gold-r<YYMMDDHHMM>`.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from testkit import databases
from testkit.clock import NOW
from testkit.data_api import DataApi
from testkit.events import pr_event
from testkit.harness import Harness
from testkit.runner import Result

BASE = "gold"
MASK = "customers.email=email\ncustomers.full_name=name"
SEED = [
    "CREATE TABLE customers (id integer PRIMARY KEY, email text UNIQUE, full_name text)",
    "INSERT INTO customers VALUES (1, 'ada@example.com', 'Ada Lovelace'), (2, NULL, 'Alan Turing')",
]
SCHEDULE = {"schedule": "17 3 * * *"}


@pytest.fixture
def data(double: DataApi, monkeypatch: pytest.MonkeyPatch) -> str:
    """Production's customers: the database every new golden copy's SQL runs in."""
    server = databases.postgres()
    name = server.fresh_database("shop")
    conn = server.connect(name)
    for statement in SEED:
        conn.cursor().execute(statement)
    conn.close()
    double.attach_engine("aurora-postgresql", server)
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", double.url)
    return name


def candidate(action: Harness) -> str:
    return f"{BASE}-r{action.clock.now():%y%m%d%H%M}"


def next_night(action: Harness) -> None:
    action.clock.wall += timedelta(days=1)
    action.clock.t += 86400


def refresh(action: Harness, double: DataApi, shop: str, **inputs: str) -> Result:
    """One nightly refresh-base run; the new cluster's SQL runs in `shop`."""
    double.attach(candidate(action), databases.postgres(), {"shop": shop})
    return action.run(
        {"mode": "refresh-base", "base-cluster": BASE, "mask": MASK, "database": "shop", **inputs},
        event=SCHEDULE,
        event_name="schedule",
    )


def clusters(action: Harness) -> list[str]:
    return sorted(action.aws.cluster_ids())


def emails(shop: str) -> list[Any]:
    cursor = databases.postgres().connect(shop).cursor()
    cursor.execute("SELECT email FROM customers ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


def left_behind(
    action: Harness, ident: str, base_tag: str, expires: str | None = "2026-01-01T00:00:00Z"
) -> None:
    """A cluster as an interrupted refresh leaves it: refresh-base's tags, `base_tag`, an expiry."""
    tags = {
        "aurora-clone/managed": "true",
        "aurora-clone/repository": "acme/shop",
        "aurora-clone/source": "prod",
        "aurora-clone/base": base_tag,
        **({"aurora-clone/expires-at": expires} if expires else {}),
    }
    action.aws.rds.restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier="prod",
        DBClusterIdentifier=ident,
        RestoreType="copy-on-write",
        UseLatestRestorableTime=True,
        DeletionProtection=False,
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )


def test_the_first_refresh_makes_a_masked_golden_copy_that_idles_for_storage_only(
    action: Harness, double: DataApi, data: str
) -> None:
    made = candidate(action)

    result = refresh(action, double, data)

    assert result.code == 0, result.log
    assert clusters(action) == [BASE, "prod"]
    base = action.cluster(BASE)
    assert base is not None
    tags = action.aws.tags(base["DBClusterArn"])
    assert tags["aurora-clone/base"] == "true"
    assert tags["aurora-clone/managed"] == "true"
    assert tags["aurora-clone/repository"] == "acme/shop"
    assert tags["aurora-clone/source"] == "prod"
    assert re.fullmatch(r"[0-9a-f]{12}", tags["aurora-clone/prepared"])
    assert "aurora-clone/pr" not in tags
    assert "env" not in tags  # never the source's tags
    assert [i["DBInstanceIdentifier"] for i in action.instances(BASE)] == [f"{made}-1"]
    assert action.instances(BASE)[0]["DBInstanceClass"] == "db.serverless"
    # Aurora PostgreSQL 16.4 has 0 ACU and auto-pause: idle, the golden copy costs storage only.
    assert base["ServerlessV2ScalingConfiguration"]["MinCapacity"] == 0
    assert base["ServerlessV2ScalingConfiguration"]["SecondsUntilAutoPause"] == 300
    assert all(email is None or email.startswith("user_") for email in emails(data))
    assert result.outputs["action"] == "clone"  # the contract's values: a refresh makes a clone
    assert result.outputs["cluster-id"] == BASE
    assert result.outputs["endpoint"] == base["Endpoint"]
    assert "Golden copy refreshed: `gold`" in result.summary
    # The new cluster had the Data API for its preparation only; production never had it.
    assert not action.cluster("prod").get("HttpEndpointEnabled")  # type: ignore[union-attr]
    assert not base.get("HttpEndpointEnabled")
    assert action.calls.names().count("DisableHttpEndpoint") == 1


def test_a_second_refresh_replaces_the_base_and_clones_cut_from_the_old_one_keep_working(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    first = action.cluster(BASE)
    assert first is not None
    double.attach("prod-pr-7", databases.postgres(), {"shop": data})
    pr_clone = action.run({"source-cluster": BASE})
    assert pr_clone.code == 0, pr_clone.log
    next_night(action)
    second_name = candidate(action)

    again = refresh(action, double, data)

    assert again.code == 0, again.log
    base = action.cluster(BASE)
    assert base is not None
    assert [i["DBInstanceIdentifier"] for i in action.instances(BASE)] == [f"{second_name}-1"]
    assert base["DBClusterArn"] == first["DBClusterArn"]  # the same name, so the same ARN
    assert base["Endpoint"] == first["Endpoint"]  # and the same address for PR workflows
    aside = f"{BASE}-o{(NOW + timedelta(days=1)):%y%m%d%H%M}"
    gone = action.cluster(aside)
    assert gone is None or gone["Status"] == "deleting"
    assert "gold-pr-7" in clusters(action)  # the PR's clone of the old golden copy stays
    assert "renamed `gold-o" in again.summary


def test_a_refresh_that_fails_at_masking_leaves_the_old_base_serving(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    before = action.cluster(BASE)
    assert before is not None
    instances = [i["DBInstanceIdentifier"] for i in action.instances(BASE)]
    next_night(action)
    failed_name = candidate(action)

    seen = len(action.calls.log)

    failed = refresh(action, double, data, mask="customers.mail=email")

    assert failed.code == 1
    assert "mask line 1: customers.mail=email failed" in failed.commands("error")[0]
    after = action.cluster(BASE)
    assert after is not None and after["Status"] == "available"
    assert [i["DBInstanceIdentifier"] for i in action.instances(BASE)] == instances
    assert action.aws.tags(after["DBClusterArn"])["aurora-clone/base"] == "true"
    half = action.cluster(failed_name)
    assert half is None or half["Status"] == "deleting"
    assert [name for name, params in action.calls.log[seen:] if "NewDBClusterIdentifier" in params] == []


def test_a_pr_clone_cut_from_the_base_says_which_refresh_it_came_from(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    prepared = action.aws.tags(action.cluster(BASE)["DBClusterArn"])["aurora-clone/prepared"]  # type: ignore[index]

    result = action.run({"source-cluster": BASE})

    assert result.code == 0, result.log
    assert action.aws.tags(action.cluster("gold-pr-7")["DBClusterArn"])["aurora-clone/source"] == BASE  # type: ignore[index]
    assert action.github is not None
    (comment,) = action.github.comment_bodies(7)
    assert "cut from the masked golden copy, refreshed " in comment
    assert f"(prepared `{prepared}`)" in comment


def test_teardown_never_deletes_a_golden_copy(action: Harness, double: DataApi, data: str) -> None:
    assert refresh(action, double, data).code == 0

    result = action.run(
        {"mode": "teardown", "clone-id": BASE, "source-cluster": "prod"}, event=pr_event("closed")
    )

    assert result.code == 1
    assert "is a golden copy (aurora-clone/base=true), which only refresh-base replaces" in result.summary
    assert action.cluster(BASE)["Status"] == "available"  # type: ignore[index]
    assert "DeleteDBCluster" not in action.calls.names()


def test_purge_deletes_a_golden_copy_renamed_aside_and_left_behind_but_keeps_the_base(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    # As a refresh cancelled between its renames leaves it: renamed aside, expiring now.
    left = f"{BASE}-o2601010300"  # as refresh-base names it: <base>-oYYMMDDHHMM
    left_behind(action, left, "aside")

    result = action.run({"mode": "purge"}, event=SCHEDULE, event_name="schedule")

    assert result.code == 0, result.log
    assert left not in clusters(action) or action.cluster(left)["Status"] == "deleting"  # type: ignore[index]
    assert action.cluster(BASE)["Status"] == "available"  # type: ignore[index]
    assert json.loads(result.outputs["purged"]) == [left]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"base-cluster": ""}, "base-cluster: required when mode is refresh-base"),
        ({"base-cluster": "prod"}, "base-cluster: must not be the source-cluster, got 'prod'"),
        ({"mask": ""}, "mask: refresh-base needs mask (or sql)"),
        (
            {"instance-class": "db.r6g.large"},
            "instance-class: a golden copy keeps one db.serverless instance",
        ),
        ({"base-cluster": "g" * 52}, "base-cluster: at most 51 characters"),
    ],
    ids=["no-base", "base-is-source", "no-mask", "provisioned", "too-long"],
)
def test_a_mistake_is_an_input_error_before_any_aws_call(
    action: Harness, double: DataApi, data: str, inputs: dict[str, str], message: str
) -> None:
    result = refresh(action, double, data, **inputs)

    assert result.code == 1
    assert message in result.summary, result.summary
    assert action.calls.names() == []


def test_a_base_cluster_name_taken_by_something_else_is_refused_before_any_change(
    action: Harness, double: DataApi, data: str
) -> None:
    action.aws.rds.restore_db_cluster_to_point_in_time(
        SourceDBClusterIdentifier="prod",
        DBClusterIdentifier=BASE,
        RestoreType="copy-on-write",
        UseLatestRestorableTime=True,
        Tags=[{"Key": "team", "Value": "data"}],
    )

    result = refresh(action, double, data)

    assert result.code == 1
    assert "'gold' exists and is not a golden copy of 'prod' this repository made" in result.summary
    assert action.calls.changing() == []


def test_a_dry_run_says_what_it_would_swap_and_changes_nothing(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    next_night(action)
    before = clusters(action)

    result = refresh(action, double, data, **{"dry-run": "true"})

    assert result.code == 0, result.log
    assert "then rename 'gold' to 'gold-o" in result.log
    assert clusters(action) == before
    assert emails(data)[0].startswith("user_")


@pytest.mark.parametrize(
    ("ident", "base_tag", "purged"),
    [
        (f"{BASE}-r2601010300", "next", True),  # a new copy a cancelled refresh left, expired
        (f"{BASE}-o2601010300", "aside", True),  # an old copy renamed aside and left behind
        (BASE, "next", False),  # a new copy already renamed into place before it was retagged
        (BASE, "aside", False),  # never happens (renamed before retagged), and still kept
        (f"{BASE}-r2601010300", "true", False),  # a golden copy, whatever its name
    ],
    ids=["candidate-left", "aside-left", "candidate-in-place", "aside-in-place", "golden"],
)
def test_purge_deletes_only_what_a_refresh_left_behind(
    action: Harness, ident: str, base_tag: str, purged: bool
) -> None:
    left_behind(action, ident, base_tag)

    result = action.run({"mode": "purge"}, event=SCHEDULE, event_name="schedule")

    assert result.code == 0, result.log
    assert json.loads(result.outputs["purged"]) == ([ident] if purged else [])
    if not purged:
        assert action.cluster(ident)["Status"] == "available"  # type: ignore[index]
        assert "golden copy" in result.summary


def test_a_golden_copy_left_aside_goes_back_in_place_and_older_ones_are_deleted(
    action: Harness, double: DataApi, data: str
) -> None:
    assert refresh(action, double, data).code == 0
    # As interrupted refreshes leave them: the golden copy renamed aside (still tagged base=true,
    # the put-back not done), and an older one tagged aside.
    action.aws.rds.modify_db_cluster(
        DBClusterIdentifier=BASE, NewDBClusterIdentifier=f"{BASE}-o2611251201", ApplyImmediately=True
    )
    left_behind(action, f"{BASE}-o2611240300", "true", expires=None)
    next_night(action)
    deletes: list[str] = []

    def no_golden_deleted(params: dict[str, Any], **_: Any) -> None:
        ident = params["DBClusterIdentifier"]
        cluster = action.cluster(ident)
        assert cluster is not None
        assert action.aws.tags(cluster["DBClusterArn"])["aurora-clone/base"] != "true", (
            ident
        )  # IAM would refuse
        deletes.append(ident)

    action.on("provide-client-params.rds.DeleteDBCluster", no_golden_deleted)

    result = refresh(action, double, data)

    assert result.code == 0, result.log
    assert "putting it back" in result.log
    assert f"{BASE}-o2611240300" in deletes
    base = action.cluster(BASE)
    assert base is not None and action.aws.tags(base["DBClusterArn"])["aurora-clone/base"] == "true"
    assert [
        c for c in clusters(action) if c.startswith(f"{BASE}-") and action.cluster(c)["Status"] != "deleting"
    ] == []  # type: ignore[index]


def test_a_denied_clone_of_the_golden_copy_quotes_the_pr_from_base_policy(
    action: Harness, double: DataApi, data: str
) -> None:
    from testkit.rds_model import common_error

    assert refresh(action, double, data).code == 0
    action.on("before-call.rds.RestoreDBClusterToPointInTime", common_error("AccessDenied", "not authorized"))

    result = action.run({"source-cluster": BASE})

    assert result.code == 1
    assert "CloneTheGoldenCopyIntoTaggedClones" in result.summary


def test_a_denied_rename_quotes_the_rename_statement_of_the_refresh_policy(
    action: Harness, double: DataApi, data: str
) -> None:
    from testkit.rds_model import common_error

    assert refresh(action, double, data).code == 0
    next_night(action)
    denied = common_error("AccessDenied", "not authorized")

    def refuse_renames(params: dict[str, Any], **kwargs: Any) -> Any:
        return denied(**kwargs) if "NewDBClusterIdentifier" in params.get("body", {}) else None

    action.on("before-call.rds.ModifyDBCluster", refuse_renames)

    result = refresh(action, double, data)

    assert result.code == 1
    assert "RenameOnlyPreparedGoldenCopies" in result.summary
    assert action.cluster(BASE)["Status"] == "available"  # type: ignore[index]
