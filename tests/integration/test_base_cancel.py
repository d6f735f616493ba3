"""A refresh of the golden copy cancelled at every RDS call boundary (the runner's SIGINT).

Whatever the boundary, PR workflows keep a golden copy under base-cluster's name (the old one, or
the new one once it is in place), a cluster named base-cluster is never tagged for purge, and the
next night's refresh leaves exactly one golden copy behind.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from testkit import databases
from testkit.data_api import DataApi
from testkit.fake_aws import Account, Moto
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness, SignalAt
from testkit.runner import Result

BASE = "gold"
MASK = "customers.email=email"


def refresh(action: Harness, double: DataApi) -> Result:
    server = databases.postgres()
    shop = server.fresh_database("shop")
    conn = server.connect(shop)
    conn.cursor().execute("CREATE TABLE customers (id integer PRIMARY KEY, email text)")
    conn.cursor().execute("INSERT INTO customers VALUES (1, 'ada@example.com')")
    conn.close()
    double.attach(f"{BASE}-r{action.clock.now():%y%m%d%H%M}", server, {"shop": shop})
    return action.run(
        {"mode": "refresh-base", "base-cluster": BASE, "mask": MASK, "database": "shop"},
        event={"schedule": "17 3 * * *"},
        event_name="schedule",
    )


def next_night(action: Harness) -> None:
    action.clock.wall += timedelta(days=1)
    action.clock.t += 86400


def golden(action: Harness) -> dict[str, str]:
    """The tags of the cluster named base-cluster ({} when there is none)."""
    cluster = action.cluster(BASE)
    return action.aws.tags(cluster["DBClusterArn"]) if cluster else {}


def standing(action: Harness) -> list[str]:
    """Clusters other than production that are not being deleted."""
    return sorted(
        c["DBClusterIdentifier"]
        for c in action.aws.rds.describe_db_clusters()["DBClusters"]
        if c["DBClusterIdentifier"] != "prod" and c["Status"] != "deleting"
    )


def test_a_refresh_cancelled_at_any_call_keeps_a_golden_copy_in_place(
    moto: Moto, tmp_path: Path, github: FakeGitHub, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", double.url)

    def fresh(name: str) -> Harness:
        (tmp_path / name).mkdir()
        action = Harness(Account.fresh(moto), tmp_path / name, github)
        assert refresh(action, double).code == 0  # last night's golden copy
        next_night(action)
        return action

    counting = fresh("count")
    counter = SignalAt(10**9)
    counting.on("before-call.rds", counter)
    assert refresh(counting, double).code == 0
    total = counter.seen
    assert total >= 15
    for n in range(1, total + 1):
        action = fresh(f"cancel-{n}")
        before = golden(action)["aurora-clone/prepared"]
        hook = SignalAt(n)
        action.on("before-call.rds", hook)
        result = refresh(action, double)
        action.off("before-call.rds", hook)
        where = f"call {n} ({hook.operation})"

        assert result.code == 1, where
        assert "Traceback" not in result.log, where
        tags = golden(action)
        assert tags.get("aurora-clone/base") == "true", (where, tags)
        # Old or new, the copy in place was prepared with these very rules (one digest for both).
        assert tags.get("aurora-clone/prepared") == before, where
        assert "endpoint" not in result.outputs, where

        next_night(action)
        again = refresh(action, double)
        assert again.code == 0, (where, again.log)
        assert golden(action)["aurora-clone/base"] == "true", where
        # One golden copy; a candidate the cancelled run left (base=next) waits for purge.
        left = [c for c in standing(action) if c != BASE]
        for ident in left:
            cluster = action.cluster(ident)
            assert cluster is not None
            assert action.aws.tags(cluster["DBClusterArn"])["aurora-clone/base"] == "next", (where, ident)
