"""Every masking strategy run on a real PostgreSQL and a real MariaDB (testkit.databases), straight
through a DB-API connection: the masked forms, the same value on both engines and in two tables,
NULL left alone, the check query before and after, a rerun that writes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from clone_action.masking import Engine, MaskStep, Statement, mask_steps, parse_mask
from testkit import databases
from testkit.databases import Server
from tests.unit.test_masking import masked_value

SERVERS: list[Callable[[], Server]] = [databases.postgres, databases.mariadb]
ENGINES = ["postgresql", "mysql"]

ORIGINALS: list[str | None] = [
    "alice@example.com",
    "Bob.Smith@Example.COM",
    "  padded  ",
    "Zoë Ünïcödé 😀",
    "O'Brien; DROP TABLE t; --",
    "line\nbreak",
    "",
    None,
    # Values that look masked but are not, under MariaDB's case-insensitive collation or its $,
    # which also matches before a final newline:
    "USER_0123456789ABCDEF@EXAMPLE.INVALID",
    "user_0123456789abcdef@example.invalid\n",
    "name 0123abcd",
    "redacted",
    "REDACTED ",
]
STRATEGIES = ["email", "name", "phone", "hash", "null", "redact"]


def pyformat(sql: str) -> str:
    """A Data API :name placeholder as a DB-API %(name)s one (psycopg and PyMySQL both take it)."""
    return re.sub(r"(?<!:):([A-Za-z_]\w*)", r"%(\1)s", sql.replace("%", "%%"))


def run(conn: Any, statement: Statement) -> Any:
    cursor = conn.cursor()
    cursor.execute(pyformat(statement.sql), dict(statement.params))
    return cursor


def count(conn: Any, statement: Statement) -> int:
    rows = run(conn, statement).fetchall()
    assert len(rows) == 1 and len(rows[0]) == 1  # one row, one integer column
    assert isinstance(rows[0][0], int)
    return int(rows[0][0])


def steps(text: str, engine: str) -> list[MaskStep]:
    rules, problems = parse_mask(text)
    assert problems == []
    return mask_steps(rules, engine)  # type: ignore[arg-type]


@pytest.fixture(params=SERVERS, ids=ENGINES)
def db(request: pytest.FixtureRequest) -> Iterator[tuple[Engine, Any]]:
    server: Server = request.param()
    conn = server.connect(server.fresh_database("mask"))
    yield server.engine, conn
    conn.close()


def fill(conn: Any, table: str, values: list[Any], column_type: str = "varchar(200)") -> None:
    cursor = conn.cursor()
    cursor.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, v {column_type})")
    for number, value in enumerate(values):
        cursor.execute(f"INSERT INTO {table} VALUES (%(id)s, %(v)s)", {"id": number, "v": value})


def column(conn: Any, table: str) -> list[Any]:
    cursor = conn.cursor()
    cursor.execute(f"SELECT v FROM {table} ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


def mask_and_verify(conn: Any, step: MaskStep, rows: int) -> None:
    """The check counts the rows left before the UPDATE, the UPDATE writes exactly those, the check
    then reads 0 and a rerun writes nothing."""
    before = count(conn, step.check)
    assert before == rows
    assert run(conn, step.update).rowcount == before
    assert count(conn, step.check) == 0
    assert run(conn, step.update).rowcount == 0
    assert count(conn, step.check) == 0


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_writes_its_documented_form_and_verifies(db: tuple[Engine, Any], strategy: str) -> None:
    engine, conn = db
    fill(conn, "customers", ORIGINALS)
    (step,) = steps(f"customers.v={strategy}", engine)
    non_null = [v for v in ORIGINALS if v is not None]
    mask_and_verify(conn, step, rows=len(non_null))
    assert column(conn, "customers") == [masked_value(strategy, v) for v in ORIGINALS]


@pytest.mark.parametrize(
    ("constant", "expected"),
    [("'n/a'", "n/a"), ("'O''Brien'", "O'Brien"), ("''", ""), ("'Zoë 😀 %s :value'", "Zoë 😀 %s :value")],
)
def test_a_constant_replaces_every_value_but_null(
    db: tuple[Engine, Any], constant: str, expected: str
) -> None:
    engine, conn = db
    values = ["a", "N/A", expected.upper(), expected + " ", None, expected]
    fill(conn, "customers", values)
    (step,) = steps(f"customers.v={constant}", engine)
    mask_and_verify(conn, step, rows=sum(1 for v in values if v is not None and v != expected))
    assert column(conn, "customers") == [expected] * 4 + [None, expected]


def test_a_value_already_in_masked_form_is_left_as_it_is(db: tuple[Engine, Any]) -> None:
    engine, conn = db
    masked = masked_value("email", "someone@example.com")
    fill(conn, "customers", [masked, "someone@example.com"])
    (step,) = steps("customers.v=email", engine)
    mask_and_verify(conn, step, rows=1)
    assert column(conn, "customers") == [masked, masked]


def test_postgresql_citext_and_char_columns_are_checked_as_plain_text() -> None:
    server = databases.postgres()
    conn = server.connect(server.fresh_database("mask"))
    conn.cursor().execute("CREATE EXTENSION IF NOT EXISTS citext")
    fill(conn, "a", ["USER_0123456789ABCDEF@EXAMPLE.INVALID", "x@y.z"], "citext")
    fill(conn, "b", ["Alice", None, "Bob"], "char(20)")
    mask_and_verify(conn, steps("a.v=email", "postgresql")[0], rows=2)
    mask_and_verify(conn, steps("b.v=name", "postgresql")[0], rows=2)
    assert column(conn, "a") == [
        masked_value("email", "USER_0123456789ABCDEF@EXAMPLE.INVALID"),
        masked_value("email", "x@y.z"),
    ]
    # char(n) pads with spaces; its text is the value without them, on both engines.
    assert [v.rstrip() if v else v for v in column(conn, "b")] == [
        masked_value("name", "Alice"),
        None,
        masked_value("name", "Bob"),
    ]
    conn.close()


def test_the_same_email_masks_alike_in_two_tables_and_on_both_engines() -> None:
    emails = ["alice@example.com", "Bob@Example.com", "zoë@exämple.com"]
    seen: dict[str, list[str | None]] = {}
    for start in SERVERS:
        server = start()
        conn = server.connect(server.fresh_database("mask"))
        fill(conn, "customers", emails)
        fill(conn, "orders", [emails[2], emails[0], None, emails[2]])
        for step in steps("customers.v=email\norders.v=email", server.engine):
            run(conn, step.update)
            assert count(conn, step.check) == 0
        customers, orders = column(conn, "customers"), column(conn, "orders")
        masked = dict(zip(emails, customers, strict=True))
        assert orders == [masked[emails[2]], masked[emails[0]], None, masked[emails[2]]]  # joins still work
        seen[server.engine] = customers
        conn.close()
    assert seen["postgresql"] == seen["mysql"] == [masked_value("email", e) for e in emails]


def test_a_unique_email_column_stays_unique(db: tuple[Engine, Any]) -> None:
    engine, conn = db
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) UNIQUE)")
    for number in range(500):
        cursor.execute(
            "INSERT INTO users VALUES (%(id)s, %(e)s)", {"id": number, "e": f"user{number}@shop.example"}
        )
    (step,) = steps("users.email=email", engine)
    mask_and_verify(conn, step, rows=500)
    cursor.execute("SELECT COUNT(DISTINCT email) FROM users")
    assert cursor.fetchone()[0] == 500


def test_a_schema_qualified_rule_masks_that_schemas_table(db: tuple[Engine, Any]) -> None:
    engine, conn = db
    cursor = conn.cursor()
    if engine == "postgresql":
        cursor.execute("CREATE SCHEMA crm")
        schema = "CRM"  # folded to lower case, as PostgreSQL folds unquoted names
    else:
        cursor.execute("SELECT DATABASE()")
        schema = cursor.fetchone()[0]
    fill(conn, f"{schema.lower() if engine == 'postgresql' else schema}.people", ["ann@x.example"])
    (step,) = steps(
        f"{schema}.People.V=hash" if engine == "postgresql" else f"{schema}.people.v=hash", engine
    )
    mask_and_verify(conn, step, rows=1)
    cursor.execute(f"SELECT v FROM {schema.lower() if engine == 'postgresql' else schema}.people")
    assert cursor.fetchone()[0] == masked_value("hash", "ann@x.example")


@pytest.mark.parametrize("strategy", ["email", "name", "phone", "hash", "redact"])
def test_a_text_strategy_on_an_integer_column_fails_closed(db: tuple[Engine, Any], strategy: str) -> None:
    engine, conn = db
    fill(conn, "t", [5, None], "bigint")
    (step,) = steps(f"t.v={strategy}", engine)
    try:
        run(conn, step.update)
    except Exception as error:  # the database's own error: PostgreSQL always, MySQL in strict mode
        assert type(error).__module__.split(".")[0] in ("psycopg", "pymysql")
        assert re.search(r"(?i)integer|bigint|out of range", str(error))
        assert column(conn, "t") == [5, None]  # nothing written
    else:
        # MySQL reads '+1555...' as a number that fits a bigint: the check counts it as unmasked.
        assert (engine, strategy) == ("mysql", "phone")
        assert count(conn, step.check) == 1


def test_null_fits_a_column_of_any_type(db: tuple[Engine, Any]) -> None:
    engine, conn = db
    fill(conn, "t", [5, None, 7], "bigint")
    (step,) = steps("t.v=null", engine)
    mask_and_verify(conn, step, rows=2)
    assert column(conn, "t") == [None, None, None]


def test_a_missing_column_fails_with_the_databases_error_naming_it(db: tuple[Engine, Any]) -> None:
    engine, conn = db
    fill(conn, "t", ["a"])
    (step,) = steps("t.nope=email", engine)
    with pytest.raises(Exception, match="nope"):
        run(conn, step.check)


@pytest.mark.parametrize("rule", ["email", "name", "phone", "hash", "'Zoë'"])
def test_mysql_hashes_the_utf8_text_whatever_the_columns_character_set(rule: str) -> None:
    server = databases.mariadb()
    conn = server.connect(server.fresh_database("mask"))
    values = ["Zoë", "café", None, "plain"]
    fill(conn, "t", values, "varchar(100) CHARACTER SET latin1")
    (step,) = steps(f"t.v={rule}", "mysql")
    mask_and_verify(conn, step, rows=3 if rule != "'Zoë'" else 2)
    strategy, constant = ("constant", "Zoë") if rule.startswith("'") else (rule, None)
    assert column(conn, "t") == [masked_value(strategy, v, constant) for v in values]
    conn.close()
