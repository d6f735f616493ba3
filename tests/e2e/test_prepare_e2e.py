"""mask and sql end to end: entrypoint.py in a subprocess, as the runner starts the container.

RDS is the session's moto server (AWS_ENDPOINT_URL); the Data API is testkit's double
(AWS_ENDPOINT_URL_RDS_DATA, the variable botocore reads for rds-data), in this process, over a
real PostgreSQL; the SQL file is in the workspace, the cwd of the step.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testkit import databases
from testkit.data_api import DataApi
from testkit.events import pr_event
from testkit.fake_aws import Account
from testkit.runner import RunAction

pytestmark = pytest.mark.xdist_group("moto-server")

CLONE = "prod-pr-7"


def test_a_masked_clone_end_to_end(
    aws: Account, run_action: RunAction, double: DataApi, tmp_path: Path
) -> None:
    server = databases.postgres()
    shop = server.fresh_database("shop")
    conn = server.connect(shop)
    conn.cursor().execute("CREATE TABLE customers (id integer PRIMARY KEY, email text, phone text)")
    conn.cursor().execute(
        "INSERT INTO customers VALUES (1, 'ada@example.com', '+44 20 7946 0958'), (2, NULL, NULL)"
    )
    double.attach(CLONE, server, {"shop": shop})
    workspace = tmp_path / "job" / "workspace"
    (workspace / "db").mkdir(parents=True)
    (workspace / "db" / "seed.sql").write_text("-- preview data\nINSERT INTO customers (id) VALUES (3);\n")

    run = run_action(
        {
            "mask": "customers.email=email\ncustomers.phone=phone",
            "sql": "db/*.sql",
            "database": "shop",
        },
        event=pr_event("labeled", label="clone-db"),
        env={"AWS_ENDPOINT_URL_RDS_DATA": double.url},
    )

    assert run.code == 0, run.log + run.stderr
    assert "Traceback" not in run.log + run.stderr
    report = json.loads(run.outputs["sql-report"])
    assert [(entry["what"], entry["rows"]) for entry in report] == [
        ("mask line 1: customers.email=email", 1),
        ("mask line 2: customers.phone=phone", 1),
        ("db/seed.sql:2", 1),
    ]
    assert all(isinstance(entry["seconds"], float) and entry["seconds"] >= 0 for entry in report)
    assert run.outputs["endpoint"] == aws.cluster(CLONE)["Endpoint"]
    cursor = server.connect(shop).cursor()
    cursor.execute("SELECT id, email, phone FROM customers ORDER BY id")
    rows = cursor.fetchall()
    assert re.fullmatch(r"user_[0-9a-f]{16}@example\.invalid", rows[0][1])
    assert re.fullmatch(r"\+1555[0-9]{7}", rows[0][2])
    assert [tuple(r) for r in rows[1:]] == [(2, None, None), (3, None, None)]
    assert re.fullmatch(
        r"[0-9a-f]{12}", aws.tags(aws.cluster(CLONE)["DBClusterArn"])["aurora-clone/prepared"]
    )
    assert "Prepared before hand-out" in run.summary


def test_a_failed_preparation_end_to_end_hands_out_no_endpoint(
    aws: Account, run_action: RunAction, double: DataApi
) -> None:
    server = databases.postgres()
    shop = server.fresh_database("shop")
    server.connect(shop).cursor().execute("CREATE TABLE customers (id integer, email text)")
    double.attach(CLONE, server, {"shop": shop})

    run = run_action(
        {"mask": "customers.emails=email", "database": "shop"},
        event=pr_event("labeled", label="clone-db"),
        env={"AWS_ENDPOINT_URL_RDS_DATA": double.url},
    )

    assert run.code == 1
    (error,) = run.commands("error")
    assert error.startswith(
        "::error title=aurora-clone%3A preparation failed::mask line 1: customers.emails=email failed:"
    )
    assert 'column "emails" does not exist' in error
    assert not {"endpoint", "reader-endpoint", "database-url"} & set(run.outputs)
    cluster = aws.cluster(CLONE)
    assert cluster is None or cluster["Status"] == "deleting"
