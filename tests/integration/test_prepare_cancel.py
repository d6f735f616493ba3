"""A masked clone's run cancelled at every call boundary: RDS's and the Data API's.

The runner's SIGINT arrives just before the n-th RDS call (a botocore hook on the action's client)
or while the n-th Data API call is being answered (a hook in the double, which runs in this
process: the signal interrupts the action's wait for the answer). Whatever the boundary, nothing
is handed out unprepared (safety rule 8): no endpoint output, and the clone is either gone, being
deleted, or prepared and verified; and a plain rerun finishes the job.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from testkit import databases
from testkit.data_api import DataApi
from testkit.fake_aws import Account, Moto
from testkit.fake_github import FakeGitHub
from testkit.harness import Harness, SignalAt
from testkit.runner import Result

CLONE = "prod-pr-7"
MASK = "customers.email=email\ncustomers.full_name=name"
HANDED_OUT = ("endpoint", "reader-endpoint", "database-url")


class CancelAt:
    """Wraps the double's `answer`: the n-th Data API call sends SIGINT to this process first."""

    def __init__(self, api: DataApi, n: int) -> None:
        self.api, self.n, self.seen = api, n, 0
        self.real = api.answer

    def __call__(self, operation: str, request: Any) -> Any:
        self.seen += 1
        if self.seen == self.n:
            os.kill(os.getpid(), signal.SIGINT)
        return self.real(operation, request)


def fresh(moto: Moto, tmp_path: Path, github: FakeGitHub, name: str, api: DataApi) -> tuple[Harness, str]:
    (tmp_path / name).mkdir()
    action = Harness(Account.fresh(moto), tmp_path / name, github)
    server = databases.postgres()
    shop = server.fresh_database("shop")
    cursor = server.connect(shop).cursor()
    cursor.execute("CREATE TABLE customers (id integer PRIMARY KEY, email text, full_name text)")
    cursor.execute("INSERT INTO customers VALUES (1, 'ada@example.com', 'Ada Lovelace'), (2, NULL, 'Alan')")
    api.attach(CLONE, server, {"shop": shop})
    return action, shop


def run(action: Harness) -> Result:
    return action.run({"mask": MASK, "database": "shop"})


def emails(shop: str) -> list[Any]:
    cursor = databases.postgres().connect(shop).cursor()
    cursor.execute("SELECT email FROM customers ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


def assert_nothing_unprepared_handed_out(action: Harness, result: Result, where: str) -> None:
    assert result.code == 1, where
    assert "Traceback" not in result.log and "KeyboardInterrupt" not in result.log, where
    assert [line for line in result.lines if line.startswith("::error title=aurora-clone%3A cancelled::")], (
        where
    )
    for name in HANDED_OUT:
        assert name not in result.outputs, where
    cluster = action.cluster(CLONE)
    if cluster is not None and cluster["Status"] != "deleting":
        prepared = action.aws.tags(cluster["DBClusterArn"]).get("aurora-clone/prepared", "")
        # Only a cancellation after the last verification and the tag leaves a clone standing.
        assert len(prepared) == 12, (where, prepared)


def check_every_boundary(
    moto: Moto, tmp_path: Path, github: FakeGitHub, api: DataApi, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", api.url)
    action, shop = fresh(moto, tmp_path, github, f"count-{kind}", api)
    counted = SignalAt(10**9)
    action.on("before-call.rds", counted)
    api.calls()
    assert run(action).code == 0
    total = counted.seen if kind == "rds" else sum(api.calls().values())
    assert total >= (12 if kind == "rds" else 4)
    for n in range(1, total + 1):
        action, shop = fresh(moto, tmp_path, github, f"{kind}-{n}", api)
        if kind == "rds":
            hook = SignalAt(n)
            action.on("before-call.rds", hook)
            where = f"RDS call {n} ({hook.operation})"
        else:
            api.answer = CancelAt(api, n)  # type: ignore[method-assign]
            where = f"Data API call {n}"
        try:
            result = run(action)
        finally:
            vars(api).pop("answer", None)  # the class's own again
        assert_nothing_unprepared_handed_out(action, result, where)

        action.clock.t += 60
        if kind == "rds":
            action.off("before-call.rds", hook)
        api.wait_background()
        rerun = run(action)
        assert rerun.code == 0, (where, rerun.log)
        assert rerun.outputs["endpoint"], where
        assert all(email is None or email.startswith("user_") for email in emails(shop)), where


def test_cancelled_at_any_rds_call(
    moto: Moto, tmp_path: Path, github: FakeGitHub, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_every_boundary(moto, tmp_path, github, double, monkeypatch, "rds")


def test_cancelled_at_any_data_api_call(
    moto: Moto, tmp_path: Path, github: FakeGitHub, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_every_boundary(moto, tmp_path, github, double, monkeypatch, "data")
