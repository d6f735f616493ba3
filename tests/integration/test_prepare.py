"""mask and sql in a PR's clone, through the Data API double over a real PostgreSQL (and MariaDB).

The action runs in-process on moto (corrected by testkit.real_rds, which answers
EnableHttpEndpoint); its rds-data client reaches testkit.data_api through
AWS_ENDPOINT_URL_RDS_DATA, botocore unchanged, and every statement runs on a real server. Each
test asserts what a user would see: outputs, the data in the clone, its tags, the error.
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from testkit import databases
from testkit.data_api import DataApi
from testkit.databases import Server
from testkit.harness import Harness, SignalAt
from testkit.rds_model import common_error, fault
from testkit.runner import Result

CUSTOMERS = [
    """CREATE TABLE customers (
        id integer PRIMARY KEY,
        email varchar(100) UNIQUE,
        full_name text,
        phone text,
        notes text
    )""",
    """INSERT INTO customers VALUES
        (1, 'ada@example.com', 'Ada Lovelace', '+44 20 7946 0958', 'VIP'),
        (2, 'alan@example.com', 'Alan Turing', NULL, NULL),
        (3, NULL, 'Grace Hopper', '+1 202 555 0143', 'met at a conference')""",
]
MASK = "customers.email=email\ncustomers.full_name=name\ncustomers.phone=phone\ncustomers.notes=null"
CLONE = "prod-pr-7"
ALL = "SELECT id, email, full_name, phone, notes FROM customers ORDER BY id"
HANDED_OUT = ("endpoint", "reader-endpoint", "database-url")


@pytest.fixture(scope="session")
def slow_double() -> Iterator[DataApi]:
    """The Data API with its 45 s call limit lowered to 0.3 s: a one-second statement outlives it."""
    api = DataApi(call_limit=0.3)
    yield api
    api.stop()


def seed(server: Server, extra: tuple[str, ...] = ()) -> str:
    name = server.fresh_database("shop")
    conn = server.connect(name)
    cursor = conn.cursor()
    for statement in [*CUSTOMERS, *extra]:
        cursor.execute(statement)
    conn.close()
    return name


def use(api: DataApi, server: Server, name: str, monkeypatch: pytest.MonkeyPatch, clone: str = CLONE) -> None:
    api.attach(clone, server, {"shop": name})
    api.calls()
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS_DATA", api.url)


@pytest.fixture
def shop(double: DataApi, monkeypatch: pytest.MonkeyPatch) -> str:
    """The clone's database `shop`: a fresh database on the real PostgreSQL with three customers."""
    server = databases.postgres()
    name = seed(server)
    use(double, server, name, monkeypatch)
    return name


def query(database: str, sql: str = ALL, server: Server | None = None) -> list[tuple[Any, ...]]:
    conn = (server or databases.postgres()).connect(database)
    cursor = conn.cursor()
    cursor.execute(sql)
    found = [tuple(row) for row in cursor.fetchall()]
    conn.close()
    return found


def tags(action: Harness, ident: str = CLONE) -> dict[str, str]:
    cluster = action.cluster(ident)
    assert cluster is not None
    return action.aws.tags(cluster["DBClusterArn"])


def report(result: Result) -> list[dict[str, Any]]:
    return list(json.loads(result.outputs["sql-report"]))


# --- the happy path -------------------------------------------------------------------------------


def test_the_clone_is_masked_verified_and_tagged_before_its_endpoint_is_handed_out(
    action: Harness, shop: str, double: DataApi
) -> None:
    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 0, result.log
    masked = query(shop)
    assert [row[0] for row in masked] == [1, 2, 3]
    assert re.fullmatch(r"user_[0-9a-f]{16}@example\.invalid", masked[0][1])
    assert re.fullmatch(r"Name [0-9A-F]{8}", masked[2][2])
    assert re.fullmatch(r"\+1555[0-9]{7}", masked[0][3])
    assert masked[1][3] is None and masked[2][1] is None  # NULL stays NULL
    assert [row[4] for row in masked] == [None, None, None]
    assert "ada@example.com" not in str(masked) and "Lovelace" not in str(masked)
    assert report(result) == [
        {"what": "mask line 1: customers.email=email", "rows": 2, "seconds": 0.0},
        {"what": "mask line 2: customers.full_name=name", "rows": 3, "seconds": 0.0},
        {"what": "mask line 3: customers.phone=phone", "rows": 2, "seconds": 0.0},
        {"what": "mask line 4: customers.notes=null", "rows": 2, "seconds": 0.0},
    ]
    assert re.fullmatch(r"[0-9a-f]{12}", tags(action)["aurora-clone/prepared"])
    for instance in action.instances(CLONE):
        assert (
            action.aws.tags(instance["DBInstanceArn"])["aurora-clone/prepared"]
            == tags(action)["aurora-clone/prepared"]
        )
    assert result.outputs["endpoint"].startswith(f"{CLONE}.cluster-")
    # The database the rules ran in is the one the URL names.
    assert result.outputs["database-url"] == f"postgresql://app@{result.outputs['endpoint']}:5432/shop"
    assert result.outputs["master-user-secret-arn"]  # mask implies the clone's own password
    # The Data API is enabled on the clone, never on the source.
    assert action.cluster(CLONE)["HttpEndpointEnabled"] is True  # type: ignore[index]
    assert action.cluster("prod").get("HttpEndpointEnabled") in (None, False)  # type: ignore[union-attr]
    assert "Prepared before hand-out" in result.summary
    assert "| mask line 1: customers.email=email | 2 |" in result.summary
    assert action.github is not None
    (comment,) = action.github.comment_bodies(7)
    assert "4 masking rule(s) verified" in comment and result.outputs["endpoint"] in comment


def test_the_same_value_masks_the_same_way_in_every_clone(
    action: Harness, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.postgres()
    first, second = seed(server), seed(server)
    use(double, server, first, monkeypatch, "prod-pr-7")
    use(double, server, second, monkeypatch, "prod-pr-8")

    assert action.run({"mask": MASK, "database": "shop"}).code == 0
    assert action.run({"mask": MASK, "database": "shop", "pr-number": "8", "mode": "clone"}).code == 0

    assert query(first) == query(second)


def test_sql_files_run_in_the_order_listed_after_the_rules_one_report_entry_a_statement(
    action: Harness, shop: str
) -> None:
    files = {
        "db/migrations/002_orders.sql": "CREATE TABLE orders (id integer, customer integer);\n"
        "INSERT INTO orders SELECT id, id FROM customers;\n",
        "db/migrations/001_audit.sql": "-- an audit function; its body holds ';'\n"
        "CREATE FUNCTION audit() RETURNS trigger AS $$\nBEGIN\n  NEW.notes := 'audited; ok';\n"
        "  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n\n"
        "ALTER TABLE customers ADD COLUMN note_2 text DEFAULT 'a;b';\n",
        "db/seed.sql": "INSERT INTO customers (id, email) VALUES (4, 'user_0000000000000000@example.invalid');",
    }

    result = action.run(
        {"mask": MASK, "database": "shop", "sql": "db/migrations/*.sql\ndb/seed.sql"}, files=files
    )

    assert result.code == 0, result.log
    assert [entry["what"] for entry in report(result)] == [
        "mask line 1: customers.email=email",
        "mask line 2: customers.full_name=name",
        "mask line 3: customers.phone=phone",
        "mask line 4: customers.notes=null",
        "db/migrations/001_audit.sql:2",
        "db/migrations/001_audit.sql:9",
        "db/migrations/002_orders.sql:1",
        "db/migrations/002_orders.sql:2",
        "db/seed.sql:1",
    ]
    assert [entry["rows"] for entry in report(result)][-2:] == [3, 1]
    assert query(shop, "SELECT count(*) FROM orders") == [(3,)]
    assert query(shop, "SELECT DISTINCT note_2 FROM customers") == [("a;b",)]


# --- fail closed ----------------------------------------------------------------------------------


def test_a_failing_statement_deletes_the_clone_and_hands_out_nothing(action: Harness, shop: str) -> None:
    files = {
        "seed.sql": "INSERT INTO customers (id) VALUES (10);\n\nINSERT INTO no_such_table VALUES (1);\n",
        "deploy/app.env": "DB_HOST=localhost\n",
    }

    result = action.run(
        {
            "mask": MASK,
            "database": "shop",
            "sql": "seed.sql",
            "manifest": "deploy/app.env",
            "manifest-set": "DB_HOST={endpoint}",
        },
        files=files,
    )

    assert result.code == 1
    error = result.annotation("error", "preparation failed")
    assert error.startswith("seed.sql:3 failed: ")
    assert 'relation "no_such_table" does not exist' in error
    assert "is being deleted: it may hold unmasked data" in result.summary
    for name in HANDED_OUT:
        assert name not in result.outputs
    assert (action.workspace / "deploy/app.env").read_text() == "DB_HOST=localhost\n"
    cluster = action.cluster(CLONE)
    assert cluster is None or cluster["Status"] == "deleting"
    assert action.instances(CLONE) == [] or all(
        i["DBInstanceStatus"] == "deleting" for i in action.instances(CLONE)
    )
    assert action.github is not None
    assert all(".cluster-" not in body for body in action.github.comment_bodies(7))


def test_a_value_written_unmasked_after_the_rules_fails_the_verification(action: Harness, shop: str) -> None:
    files = {"late.sql": "INSERT INTO customers (id, email) VALUES (9, 'eve@example.com');\n"}

    result = action.run({"mask": MASK, "database": "shop", "sql": "late.sql"}, files=files)

    assert result.code == 1
    assert result.annotation("error", "preparation failed").startswith(
        "mask line 1: customers.email=email left 1 value(s) unmasked in 'prod-pr-7'"
    )
    for name in HANDED_OUT:
        assert name not in result.outputs
    cluster = action.cluster(CLONE)
    assert cluster is None or cluster["Status"] == "deleting"


def test_a_rule_on_a_missing_column_names_the_rule_and_the_databases_message(
    action: Harness, shop: str
) -> None:
    result = action.run({"mask": "customers.mail=email", "database": "shop"})

    assert result.code == 1
    error = result.annotation("error", "preparation failed")
    assert error.startswith("mask line 1: customers.mail=email failed: ")
    assert 'column "mail" does not exist' in error


def test_a_cancelled_preparation_deletes_the_clone(action: Harness, shop: str) -> None:
    action.on("before-call.rds.EnableHttpEndpoint", SignalAt(1, signal.SIGINT))

    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 1
    assert "Traceback" not in result.log
    cluster = action.cluster(CLONE)
    assert cluster is None or cluster["Status"] == "deleting"
    assert query(shop)[0][1] == "ada@example.com"  # never masked, and never handed out
    for name in HANDED_OUT:
        assert name not in result.outputs


def test_enabling_the_data_api_is_retried_while_the_clone_is_busy(action: Harness, shop: str) -> None:
    refusals = [2]  # RDS refuses twice, the clone reading 'modifying' (a state that passes) meanwhile

    def refuse(**kwargs: Any) -> Any:
        if refusals[0]:
            refusals[0] -= 1
            return fault("InvalidResourceStateFault", "The cluster is modifying")(**kwargs)
        refusals[0] = -1  # taken
        return None

    def modifying(parsed: dict[str, Any], **_: Any) -> None:
        if refusals[0] in (0, 1):
            for cluster in parsed.get("DBClusters", []):
                if cluster["DBClusterIdentifier"] == CLONE:
                    cluster["Status"] = "modifying"

    action.on("before-call.rds.EnableHttpEndpoint", refuse)
    action.on("after-call.rds.DescribeDBClusters", modifying)

    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 0, result.log
    assert action.calls.names().count("EnableHttpEndpoint") == 3
    assert result.outputs["endpoint"]
    assert query(shop)[0][1].startswith("user_")


def test_a_denied_enable_names_the_iam_action_and_deletes_the_clone(action: Harness, shop: str) -> None:
    action.on("before-call.rds.EnableHttpEndpoint", common_error("AccessDenied", "not authorized"))

    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 1
    assert "rds:EnableHttpEndpoint" in result.commands("error")[0]
    assert "EnableTheDataApiOnlyOnThisRepositorysClones" in result.summary
    assert "is being deleted: it may hold unmasked data" in result.summary
    cluster = action.cluster(CLONE)
    assert cluster is None or cluster["Status"] == "deleting"
    assert query(shop)[0][1] == "ada@example.com"


# --- reruns and concurrent runs --------------------------------------------------------------------


def test_a_rerun_with_the_same_rules_reuses_the_prepared_clone_and_runs_nothing(
    action: Harness, shop: str, double: DataApi
) -> None:
    first = action.run({"mask": MASK, "database": "shop"})
    assert first.code == 0
    double.calls()

    again = action.run({"mask": MASK, "database": "shop"}, event=None)

    assert again.code == 0, again.log
    assert again.outputs["created"] == "false"
    assert double.calls() == {}
    assert report(again) == []
    assert "Already prepared with these rules and files" in again.log
    assert "Prepared by an earlier run" in again.summary
    assert again.outputs["endpoint"] == first.outputs["endpoint"]


def test_a_changed_sql_file_makes_the_clone_again(action: Harness, shop: str) -> None:
    first = action.run(
        {"database": "shop", "sql": "seed.sql"}, files={"seed.sql": "UPDATE customers SET notes = 'v1';"}
    )
    assert first.code == 0
    before = tags(action)["aurora-clone/prepared"]

    again = action.run(
        {"database": "shop", "sql": "seed.sql"}, files={"seed.sql": "UPDATE customers SET notes = 'v2';"}
    )

    assert again.code == 0, again.log
    assert "was prepared with other mask rules or SQL files" in again.log
    assert again.outputs["created"] == "true"
    assert tags(action)["aurora-clone/prepared"] not in (before, "")
    assert "DeleteDBCluster" in action.calls.names()


def test_a_clone_another_run_is_preparing_is_waited_for_not_prepared_twice(
    action: Harness, shop: str, double: DataApi
) -> None:

    first = action.run({"mask": MASK, "database": "shop"})
    assert first.code == 0
    digest = tags(action)["aurora-clone/prepared"]
    arn = action.cluster(CLONE)["DBClusterArn"]  # type: ignore[index]
    # As the creating run leaves it until its preparation is verified:
    action.aws.rds.add_tags_to_resource(
        ResourceName=arn, Tags=[{"Key": "aurora-clone/prepared", "Value": f"pending-{digest}"}]
    )
    looks = 0

    def finish_after_three_looks(**_: Any) -> None:
        nonlocal looks
        looks += 1
        if looks == 3:  # the other run verified its rules and tagged the clone
            action.aws.rds.add_tags_to_resource(
                ResourceName=arn, Tags=[{"Key": "aurora-clone/prepared", "Value": digest}]
            )

    action.on("after-call.rds.DescribeDBClusters", finish_after_three_looks)
    double.calls()

    again = action.run({"mask": MASK, "database": "shop"})

    assert again.code == 0, again.log
    assert "Another run created 'prod-pr-7' and is preparing it" in again.log
    assert double.calls() == {}
    assert again.outputs["endpoint"]
    assert tags(action)["aurora-clone/prepared"] == digest


def test_a_clone_whose_creating_run_failed_is_not_handed_out(action: Harness, shop: str) -> None:
    first = action.run({"mask": MASK, "database": "shop"})
    digest = tags(action)["aurora-clone/prepared"]
    arn = action.cluster(CLONE)["DBClusterArn"]  # type: ignore[index]
    action.aws.rds.add_tags_to_resource(
        ResourceName=arn, Tags=[{"Key": "aurora-clone/prepared", "Value": f"pending-{digest}"}]
    )
    looks = 0

    def other_run_deletes_it(**_: Any) -> None:
        nonlocal looks
        looks += 1
        if looks == 3:
            for instance in action.instances(CLONE):
                action.aws.rds.delete_db_instance(DBInstanceIdentifier=instance["DBInstanceIdentifier"])
            action.aws.rds.delete_db_cluster(DBClusterIdentifier=CLONE, SkipFinalSnapshot=True)

    action.on("after-call.rds.DescribeDBClusters", other_run_deletes_it)

    again = action.run({"mask": MASK, "database": "shop"})

    assert first.code == 0 and again.code == 1
    # Whether this run was still waiting for the clone to be available or already waiting for the
    # other run's preparation, the error says the clone was deleted meanwhile.
    assert "deleted" in again.commands("error")[0]
    for name in HANDED_OUT:
        assert name not in again.outputs


# --- the Data API's limits ---------------------------------------------------------------------------


def test_a_rule_past_the_call_limit_is_waited_for_and_still_verified(
    action: Harness, slow_double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.postgres()
    # Every UPDATE of customers takes a second: three times the lowered call limit.
    name = seed(
        server,
        (
            "CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END; $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER slow AFTER UPDATE ON customers FOR EACH STATEMENT EXECUTE FUNCTION slow()",
        ),
    )
    use(slow_double, server, name, monkeypatch)

    result = action.run({"mask": "customers.email=email", "database": "shop", "poll-interval": "1"})

    assert result.code == 0, result.log
    assert "still running after the Data API's 45 s call limit; waiting" in result.log
    assert report(result) == [
        {"what": "mask line 1: customers.email=email", "rows": None, "seconds": report(result)[0]["seconds"]}
    ]
    assert all(email is None or email.startswith("user_") for _, email, *_ in query(name))


def test_a_sql_statement_past_the_call_limit_is_waited_for_and_reported_without_rows(
    action: Harness, slow_double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.postgres()
    name = seed(server)
    use(slow_double, server, name, monkeypatch)
    files = {"slow.sql": "UPDATE customers SET notes = 'rehearsed' WHERE pg_sleep(1) IS NOT NULL;\nSELECT 1;"}

    result = action.run({"database": "shop", "sql": "slow.sql", "poll-interval": "1"}, files=files)

    assert result.code == 0, result.log
    assert "slow.sql:1: still running after the Data API's 45 s call limit; waiting" in result.log
    assert [(entry["what"], entry["rows"]) for entry in report(result)] == [
        ("slow.sql:1", None),
        ("slow.sql:2", 0),
    ]
    # The statement finished (its change is there) before the next one ran and the clone was handed out.
    assert query(name, "SELECT DISTINCT notes FROM customers") == [("rehearsed",)]
    assert result.outputs["endpoint"]


def test_on_aurora_mysql_too_a_statement_past_the_call_limit_is_waited_for(
    action: Harness, slow_double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.mariadb()
    name = seed(server)
    use(slow_double, server, name, monkeypatch, "shopmysql-pr-7")
    make_mysql_source(action)
    files = {"slow.sql": "UPDATE customers SET notes = 'rehearsed' WHERE SLEEP(0.4) = 0;"}

    result = action.run(
        {"source-cluster": "shopmysql", "database": "shop", "sql": "slow.sql", "poll-interval": "1"},
        files=files,
    )

    assert result.code == 0, result.log
    assert "slow.sql:1: still running after the Data API's 45 s call limit; waiting" in result.log
    assert query(name, "SELECT DISTINCT notes FROM customers", server=server) == [("rehearsed",)]


def test_a_statement_over_a_minute_is_flagged_in_the_summary_and_the_comment(
    action: Harness, shop: str, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = double.answer

    def slow_on_this_clock(operation: str, request: Any) -> Any:
        if "ALTER TABLE" in str(request.get("sql", "")):
            action.clock.t += 75  # the run's clock: the statement took 75 s
        return real(operation, request)

    monkeypatch.setattr(double, "answer", slow_on_this_clock)
    files = {
        "migrate.sql": "ALTER TABLE customers ADD COLUMN tier text;\nUPDATE customers SET tier = 'gold';"
    }

    result = action.run({"database": "shop", "sql": "migrate.sql"}, files=files)

    assert result.code == 0, result.log
    assert "| migrate.sql:1 | 0 | 75.0 :warning: over a minute |" in result.summary
    assert ":warning: 1 statement(s) took over a minute" in result.summary
    assert action.github is not None
    assert ":warning: 1 over a minute" in action.github.comment_bodies(7)[-1]


def test_a_waking_database_is_asked_again(action: Harness, shop: str, double: DataApi) -> None:
    double.pause(CLONE, calls=2)

    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 0, result.log
    assert result.log.count("Data API: DatabaseResumingException; asking again in 15s") == 2
    assert query(shop)[0][1].startswith("user_")


# --- Aurora MySQL, on MariaDB ----------------------------------------------------------------------


def test_mask_and_sql_on_aurora_mysql(
    action: Harness, double: DataApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = databases.mariadb()
    name = seed(server)
    use(double, server, name, monkeypatch, "shopmysql-pr-7")
    make_mysql_source(action)

    result = action.run(
        {"source-cluster": "shopmysql", "mask": MASK, "database": "shop", "sql": "seed.sql"},
        files={
            "seed.sql": "CREATE TABLE audit (note varchar(20));\nINSERT INTO audit VALUES (CONCAT('n;', 2));"
        },
    )

    assert result.code == 0, result.log
    masked = query(name, server=server)
    assert re.fullmatch(r"user_[0-9a-f]{16}@example\.invalid", masked[0][1])
    assert query(name, "SELECT note FROM audit", server=server) == [("n;2",)]


def make_mysql_source(action: Harness) -> None:
    action.aws.rds.create_db_cluster(
        DBClusterIdentifier="shopmysql",
        Engine="aurora-mysql",
        EngineVersion="8.0.mysql_aurora.3.08.0",
        MasterUsername="app",
        MasterUserPassword="prod-password-1",
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    action.aws.rds.create_db_instance(
        DBInstanceIdentifier="shopmysql-1",
        DBClusterIdentifier="shopmysql",
        Engine="aurora-mysql",
        DBInstanceClass="db.r6g.large",
    )


# --- checked before any change ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "files", "message"),
    [
        (
            {"mask": "customers.email=emial"},
            {},
            "mask: line 1 'customers.email=emial': unknown strategy 'emial'",
        ),
        ({"sql": "db/*.sql"}, {}, "sql: line 1 'db/*.sql' matches no file in the workspace"),
        (
            {"mask": MASK, "instance-class": "db.t4g.medium"},
            {},
            "instance-class: the RDS Data API, which mask and sql run through, does not serve db.t* "
            "classes, got 'db.t4g.medium'; use db.serverless or a db.r* class",
        ),
    ],
    ids=["unknown-strategy", "no-sql-file", "burstable-class"],
)
def test_a_mistake_is_an_input_error_before_any_aws_call(
    action: Harness, shop: str, inputs: dict[str, str], files: dict[str, str], message: str
) -> None:
    result = action.run({"database": "shop", **inputs}, files=files)

    assert result.code == 1
    assert message in result.summary, result.summary
    assert action.calls.names() == []


def test_an_engine_version_without_the_data_api_is_refused_before_any_change(
    action: Harness, shop: str
) -> None:
    action.aws.rds.modify_db_cluster(DBClusterIdentifier="prod", EngineVersion="13.9", ApplyImmediately=True)

    result = action.run({"mask": MASK, "database": "shop"})

    assert result.code == 1
    assert "13.9" in result.summary and "Data API" in result.summary
    assert action.calls.changing() == []


def test_mysql_needs_the_database_named_before_any_change(action: Harness, shop: str) -> None:
    make_mysql_source(action)

    result = action.run({"source-cluster": "shopmysql", "mask": MASK})

    assert result.code == 1
    assert "database: required for aurora-mysql when mask or sql is set" in result.summary
    assert action.calls.changing() == []


def test_a_dry_run_lists_every_rule_and_statement_and_changes_nothing(action: Harness, shop: str) -> None:
    result = action.run(
        {"mask": MASK, "database": "shop", "sql": "seed.sql", "dry-run": "true"},
        files={"seed.sql": "UPDATE customers\n   SET notes = 'x';"},
    )

    assert result.code == 0, result.log
    assert "  mask line 4: customers.notes=null" in result.log
    assert "  seed.sql:1: UPDATE customers" in result.log
    assert action.calls.changing() == []
    assert query(shop)[0][1] == "ada@example.com"
