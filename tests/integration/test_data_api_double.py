"""The real database servers of testkit.databases, and the Data API double over them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from testkit import databases
from testkit.databases import Server

SERVERS: list[Callable[[], Server]] = [databases.postgres, databases.mariadb]


@pytest.mark.parametrize("start", SERVERS, ids=["postgresql", "mysql"])
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
