"""Preparing a clone before it is handed out: `mask` and `sql` through the Data API, fail closed.

Safety rule 8: a clone with `mask` or `sql` gets no endpoint output, manifest or comment endpoint
until every rule and statement succeeded and every masking rule was verified by a query. A
clone whose preparation failed (or was cancelled) is deleted: it may hold unmasked data. The
Data API is enabled on the clone only, after the ownership check on a fresh describe.

Success is recorded as the tag `aurora-clone/prepared=<digest of the rules and files>`. A reused
clone without the matching tag is deleted and cloned again: SQL files may not run twice.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from ..aws import tags as tagkeys
from ..errors import PREPARE_FAILED_FIX, CloneStateError, PreparationError, SafetyError
from ..workflow import md_cell

if TYPE_CHECKING:
    from ..aws.data import DataGateway
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Budget
    from ..config import Inputs
    from ..context import RunContext
    from ..masking import Engine, MaskRule, MaskStep, Statement
    from ..sqlfiles import SqlStatement
    from ..workflow import Workflow
    from .clone import ClonePlan

PREPARED = tagkeys.PREPARED
# While the run that created the clone prepares it (a run that finds it so waits for that run).
PENDING = "pending-"
DEFAULT_DATABASE = {"postgresql": "postgres"}
SLOW_SECONDS = 60  # a statement over a minute is flagged: a migration that would lock for that long


@dataclass(frozen=True)
class Preparation:
    """What is run in the clone before hand-out, read and checked before any change."""

    rules: tuple[MaskRule, ...]
    statements: tuple[SqlStatement, ...]
    database: str  # as given; '' means the engine's default
    digest: str  # 12 hex of the rules, the files and the database: the `prepared` tag's value

    def database_for(self, engine: Engine) -> str:
        return self.database or DEFAULT_DATABASE.get(engine, "")


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """Problems with `mask`, `sql` and the instance class; [] when there is nothing to prepare."""
    if not inputs.prepares:
        return []
    _, problems = _read(inputs, ctx)
    if inputs.instance_class.startswith("db.t"):
        problems.append(
            f"instance-class: the RDS Data API, which mask and sql run through, does not serve db.t* "
            f"classes, got {inputs.instance_class!r}; use db.serverless or a db.r* class"
        )
    return problems


def preparation(inputs: Inputs, ctx: RunContext) -> Preparation | None:
    """The rules and statements of inputs that passed `check`; None when nothing is to be run."""
    if not inputs.prepares:
        return None
    prep, problems = _read(inputs, ctx)
    assert prep is not None and not problems, problems
    return prep


def _read(inputs: Inputs, ctx: RunContext) -> tuple[Preparation | None, list[str]]:
    from ..masking import parse_mask
    from ..sqlfiles import prepared_hash, read_statements, resolve_sql_files

    rules, problems = parse_mask(inputs.mask)
    paths, found = resolve_sql_files(inputs.sql, ctx.workspace)
    problems += found
    statements: list[SqlStatement] = []
    if paths:
        statements, found = read_statements(paths, ctx.workspace)
        problems += found
    if problems:
        return None, problems
    files = [(path.relative_to(ctx.workspace).as_posix(), path.read_bytes()) for path in paths]
    digest = prepared_hash(rules, files, inputs.database)
    return Preparation(tuple(rules), tuple(statements), inputs.database, digest), []


def engine_of(cluster: Resource) -> Engine:
    return "postgresql" if "postgres" in str(cluster.get("Engine", "")) else "mysql"


def source_problems(prep: Preparation, inputs: Inputs, source: Resource, region: str) -> list[str]:
    """What the source's engine and the Region say of the Data API (checked before any change)."""
    from ..data_support import data_api_problem

    problems = []
    engine, version = str(source.get("Engine", "")), str(source.get("EngineVersion", ""))
    problem = data_api_problem(engine, version, inputs.instance_class, region)
    if problem:
        problems.append(f"mask/sql: {problem}")
    if not prep.database_for(engine_of(source)):
        problems.append(
            f"database: required for {engine} when mask or sql is set: name the database the "
            "rules and files run in, e.g. database: shop"
        )
    return problems


def is_prepared(cluster: Resource, prep: Preparation) -> bool:
    """True when an earlier run prepared this clone with these very rules and files."""
    return tagkeys.tag_map(cluster).get(PREPARED) == prep.digest


def state_of(cluster: Resource, prep: Preparation) -> str:
    """A found clone: 'prepared' (these rules and files), 'pending' (the run that created it with
    them is preparing it) or 'stale' (other rules or files, none, or a preparation that failed)."""
    value = tagkeys.tag_map(cluster).get(PREPARED, "")
    if value == prep.digest:
        return "prepared"
    return "pending" if value == PENDING + prep.digest else "stale"


def pending_tag(prep: Preparation) -> dict[str, str]:
    """Set on create: the clone is not handed out until this reads the digest alone."""
    return {"Key": PREPARED, "Value": PENDING + prep.digest}


def await_other_run(
    plan: ClonePlan, prep: Preparation, wf: Workflow, rds: RdsGateway, budget: Budget
) -> Resource:
    """The clone once the run that created it has prepared it (its tag reads the digest).

    That run deletes the clone when its preparation fails: this run then fails too, saying so.
    """
    wf.log(f"Another run created '{plan.clone_id}' and is preparing it: waiting for it to finish")
    while True:
        cluster = rds.describe_cluster(plan.clone_id)
        if cluster is None or cluster.get("Status") == "deleting":
            raise PreparationError(
                f"The run that created '{plan.clone_id}' did not finish preparing it, and deleted it.",
                fix="See that run's log for the rule or statement that failed; fix it and run the job again.",
            )
        if is_prepared(cluster, prep):
            wf.log(f"{budget.stamp()} '{plan.clone_id}' is prepared ({prep.digest})")
            return cluster
        if budget.clock.monotonic() + budget.poll > budget.deadline:
            raise PreparationError(
                f"The run preparing '{plan.clone_id}' had not finished when timeout-minutes ran out.",
                fix="Run the job again once that run has finished (or remove the label and add it again).",
            )
        budget.clock.sleep(budget.poll)


def describe_plan(prep: Preparation) -> list[str]:
    """The dry run's lines: each rule and statement, as it would run."""
    lines = [f"mask line {rule.line}: {rule.text}" for rule in prep.rules]
    lines += [f"{s.path}:{s.line}: {_first_line(s.sql)}" for s in prep.statements]
    return [*lines, f"then tag {PREPARED}={prep.digest}"]


def _first_line(sql: str) -> str:
    line = sql.strip().splitlines()[0] if sql.strip() else ""
    return line if len(line) <= 80 else line[:77] + "..."


@dataclass(frozen=True)
class Ran:
    """One entry of the sql-report output."""

    what: str
    rows: int | None
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"what": self.what, "rows": self.rows, "seconds": round(self.seconds, 3)}


def prepare(
    plan: ClonePlan,
    prep: Preparation,
    wf: Workflow,
    rds: RdsGateway,
    cluster: Resource,
    secret_arn: str,
    budget: Budget,
) -> list[Ran]:
    """Enable the clone's Data API, run every rule and statement, verify every rule, tag it.

    PreparationError (or any failure) leaves the clone to the caller, which deletes it.
    """
    from ..aws.data import DataGateway, make_client
    from ..masking import Statement, mask_steps

    arn = _enable_data_api(plan, wf, rds, budget)
    engine = engine_of(cluster)
    data = DataGateway(
        make_client(rds.region),
        cluster_arn=arn,
        secret_arn=secret_arn,
        database=prep.database_for(engine),
        budget=budget,
        log=wf.log,
        policy=rds.policy,
    )
    steps = mask_steps(list(prep.rules), engine)
    ran: list[Ran] = []
    wf.log(
        f"Preparing the clone in database '{data.database}': {len(steps)} masking rule(s), "
        f"{len(prep.statements)} SQL statement(s), through the Data API"
    )
    for step in steps:
        what = f"mask line {step.rule.line}: {step.rule.text}"
        ran.append(_run(data, engine, step.update, what, budget, wf))
    for statement in prep.statements:
        what = f"{statement.path}:{statement.line}"
        ran.append(_run(data, engine, Statement(statement.sql), what, budget, wf))
    _verify(data, steps, plan.clone_id, wf)
    tags = [*(t for t in plan.tags if t["Key"] != PREPARED), {"Key": PREPARED, "Value": prep.digest}]
    rds.retag(arn, tags)
    for instance in rds.cluster_instances(plan.clone_id):
        rds.retag(str(instance["DBInstanceArn"]), tags)
    cluster["TagList"] = tags
    wf.log(f"Prepared: every masking rule verified; tagged {PREPARED}={prep.digest}")
    return ran


def _enable_data_api(plan: ClonePlan, wf: Workflow, rds: RdsGateway, budget: Budget) -> str:
    """The clone's ARN, its Data API enabled: on a fresh describe that shows it is this PR's clone."""
    fresh = rds.describe_cluster(plan.clone_id)
    if fresh is None:
        raise CloneStateError(f"The clone '{plan.clone_id}' was deleted before it could be prepared.")
    problem = tagkeys.ownership_problem(fresh, repository=plan.repository, pr=plan.pr, source=plan.source)
    arn = str(fresh.get("DBClusterArn", ""))
    if problem or fresh.get("DBClusterIdentifier") == plan.source or not arn:
        raise SafetyError(
            f"Refused to enable the Data API of '{plan.clone_id}': {problem or 'it is not a clone'}."
        )
    if not fresh.get("HttpEndpointEnabled"):
        wf.log(f"Enabling the Data API (HTTP endpoint) of '{plan.clone_id}' (never of the source)")
        rds.retry_while_busy(
            partial(rds.enable_data_api, arn),
            what=f"enable the Data API of '{plan.clone_id}'",
            budget=budget,
            backoff=False,
        )
    return arn


def _run(
    data: DataGateway, engine: Engine, statement: Statement, what: str, budget: Budget, wf: Workflow
) -> Ran:
    """One statement, waited for past the 45 s call limit; PreparationError when it fails."""
    from ..aws.data import MARKER, SqlFailed, running_statement
    from ..masking import Statement

    marker = MARKER.format(secrets.token_hex(6))
    started = budget.clock.monotonic()
    try:
        answer = data.execute(Statement(marker + statement.sql, statement.params))
        if answer.timed_out:
            wf.log(f"{budget.stamp()} {what}: still running after the Data API's 45 s call limit; waiting")
            query, params = running_statement(engine, marker)
            while data.count(Statement(query, params)):
                if budget.clock.monotonic() + budget.poll > budget.deadline:
                    raise PreparationError(
                        f"{what} was still running when timeout-minutes ran out.",
                        fix="Raise timeout-minutes, or make the statement faster.",
                    )
                budget.clock.sleep(budget.poll)
    except SqlFailed as exc:
        raise PreparationError(f"{what} failed: {exc.message}", fix=PREPARE_FAILED_FIX) from exc
    seconds = budget.clock.monotonic() - started
    rows = "" if answer.rows is None else f", {answer.rows} row(s)"
    wf.log(f"{budget.stamp()} {what}: done in {seconds:.1f}s{rows}")
    return Ran(what, answer.rows, seconds)


def _verify(data: DataGateway, steps: list[MaskStep], clone_id: str, wf: Workflow) -> None:
    """Every masking rule checked by a query after everything ran: no value left unmasked."""
    from ..aws.data import SqlFailed

    for step in steps:
        what = f"mask line {step.rule.line}: {step.rule.text}"
        try:
            left = data.count(step.check)
        except SqlFailed as exc:
            raise PreparationError(
                f"{what} could not be verified: {exc.message}", fix=PREPARE_FAILED_FIX
            ) from exc
        if left:
            raise PreparationError(
                f"{what} left {left} value(s) unmasked in '{clone_id}' (the verification query found them "
                "after every rule and SQL file had run).",
                fix=PREPARE_FAILED_FIX,
            )
    wf.log(f"Verified {len(steps)} masking rule(s): no value outside its masked form")


def _applied(prep: Preparation) -> str:
    """'4 masking rule(s) verified (a.b=email, ...), 3 SQL statement(s) of db/001.sql, seed.sql'."""

    def some(items: list[str]) -> str:
        shown = ", ".join(f"`{item}`" for item in items[:4])
        return shown + (f" and {len(items) - 4} more" if len(items) > 4 else "")

    parts = []
    if prep.rules:
        parts.append(f"{len(prep.rules)} masking rule(s) verified ({some([r.text for r in prep.rules])})")
    if prep.statements:
        files = list(dict.fromkeys(s.path for s in prep.statements))
        parts.append(f"{len(prep.statements)} SQL statement(s) of {some(files)}")
    return ", ".join(parts)


def report_json(ran: list[Ran]) -> str:
    return json.dumps([entry.as_json() for entry in ran])


def summary(prep: Preparation, ran: list[Ran] | None) -> tuple[str, tuple[str, str]]:
    """The job summary's section and the PR comment's row for the preparation.

    `ran` is None when an earlier run prepared the clone with these rules and files.
    """
    counts = _applied(prep)
    if ran is None:
        return (
            f"#### Prepared by an earlier run\n\n{counts}; tag `{PREPARED}={prep.digest}`.",
            ("Prepared", f"{counts}, by an earlier run (`{prep.digest}`)"),
        )
    total = sum(entry.seconds for entry in ran)
    rows = sum(entry.rows or 0 for entry in ran)
    slow = [entry for entry in ran if entry.seconds > SLOW_SECONDS]
    lines = [
        f"| {md_cell(entry.what)} | {'' if entry.rows is None else entry.rows} | "
        f"{entry.seconds:.1f}{' :warning: over a minute' if entry.seconds > SLOW_SECONDS else ''} |"
        for entry in ran
    ]
    table = "| what | rows | seconds |\n|---|---|---|\n" + "\n".join(lines)
    note = (
        f"\n\n:warning: {len(slow)} statement(s) took over a minute on this copy of the source's data."
        if slow
        else ""
    )
    cell = f"{counts}; {rows} row(s) changed in {total:.1f}s (`{prep.digest}`)"
    if slow:
        cell += f"; :warning: {len(slow)} over a minute"
    return f"#### Prepared before hand-out\n\n{table}{note}", ("Prepared", cell)
