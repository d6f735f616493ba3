"""Reads the environment once, routes to a mode, and turns every failure into a clear message."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TextIO

from . import modes
from .aws.tags import format_expiry
from .cancel import Cancelled, Ledger, cancellable
from .clock import Clock, SystemClock
from .config import Action, read_inputs
from .context import RunContext, confirm, read_context, route, workflow_files
from .errors import ActionError, InputError
from .workflow import Workflow, md_cell

if TYPE_CHECKING:
    from mypy_boto3_rds import RDSClient

    from .aws.rds import RdsGateway


def report_failure(wf: Workflow, exc: ActionError) -> None:
    """One ::error line; the summary explains: what, the likely cause, the fix with its YAML or IAM."""
    wf.error(exc.message, title=exc.title)
    if exc.fix:
        wf.log(f"How to fix: {exc.fix}")
    parts = [f"### :x: {exc.kind}", f"**What went wrong:** {exc.message}"]
    if exc.cause:
        parts.append(f"**Likely cause:** {exc.cause}")
    if exc.fix:
        parts.append(f"**How to fix:** {exc.fix}")
    if exc.snippet:
        parts.append(f"```{exc.lang}\n{exc.snippet}\n```")
    wf.summary("\n\n".join(parts))


def _gateway(
    ctx: RunContext, client: RDSClient | None, clock: Clock, wf: Workflow, ledger: Ledger
) -> RdsGateway:
    from .aws.rds import RdsGateway, make_client

    return RdsGateway(client or make_client(ctx.aws_region), clock, wf.log, ctx.credentials_hint(), ledger)


@dataclass
class Run:
    """What a cancelled run reports: the mode, what it finishes on a rerun, what it changed."""

    mode: Action | Literal[""] = ""
    clone_id: str = ""
    expires: str = ""
    label: str = ""
    ledger: Ledger = field(default_factory=Ledger)


MOST_NAMED = 6  # changes named in a cancelled run's error line; the summary lists them all


def report_cancelled(wf: Workflow, run: Run, exc: Cancelled) -> None:
    """One ::error saying what exists now and how to finish or remove it; the same in the summary.

    Nothing here calls AWS or GitHub: the runner kills the container 10 s after its SIGINT.
    """
    doing = run.ledger.doing or "between two steps"
    changed = run.ledger.said(most=MOST_NAMED)
    if run.mode == "clone":
        now = (
            f"This run {changed}; everything it created is tagged aurora-clone/expires-at={run.expires}."
            if changed
            else "Nothing was created or changed in AWS."
        )
        fix = (
            f"Re-run the job to finish: it reuses '{run.clone_id}'. To remove the clone, remove the "
            f"label '{run.label}' or close the pull request; a scheduled `mode: purge` deletes it "
            f"after {run.expires} in any case."
        )
    elif run.mode == "reset":
        now = (
            f"This run {changed}; RDS goes on with what it accepted, and a clone it created is tagged "
            f"aurora-clone/expires-at={run.expires}."
            if changed
            else "Nothing was deleted or changed in AWS."
        )
        fix = (
            f"Re-run the job to finish the reset: it deletes what is left of '{run.clone_id}' and clones "
            f"it again under the same identifier. To remove the clone instead, remove the label "
            f"'{run.label}' or close the pull request."
        )
    elif run.mode in ("teardown", "purge"):
        now = (
            f"This run {changed}; RDS goes on with what it accepted."
            if changed
            else "Nothing was deleted or changed in AWS."
        )
        what = f"deleting '{run.clone_id}'" if run.mode == "teardown" else "the purge"
        fix = f"Re-run the job to finish {what}: it is safe to repeat."
    elif run.mode == "refresh-base":
        now = (
            f"This run {changed}; the golden copy stays in place (a swap that stopped puts the old one back)."
            if changed
            else "Nothing was changed in AWS."
        )
        fix = (
            "Re-run the refresh (or wait for the next night's): it makes a new golden copy and deletes "
            "what this run left renamed aside; a scheduled purge deletes a new copy it left half made."
        )
    else:
        now, fix = "Nothing was changed in AWS.", "Re-run the job."
    # What one clone's run found in place (a purge goes through many clones: it names none).
    found = f"{run.ledger.found} " if run.ledger.found and run.mode != "purge" else ""
    message = f"The run was cancelled ({exc.signal_name}) while {doing}. {found}{now}"
    wf.error(message, title="aurora-clone: cancelled")
    wf.log(f"How to finish: {fix}")
    every = ""
    if len(run.ledger.changes) > MOST_NAMED:
        every = "\n\n**Every change this run made:**\n\n" + "\n".join(
            f"- {md_cell(str(change))}" for change in run.ledger.changes
        )
    wf.summary(f"### :x: Cancelled\n\n**What happened:** {message}\n\n**How to finish:** {fix}{every}")


def main(
    env: Mapping[str, str] | None = None,
    *,
    clock: Clock | None = None,
    rds_client: RDSClient | None = None,
    stream: TextIO | None = None,
) -> int:
    """Run the action; 0 for success or nothing to do, 1 for any failure or a cancellation."""
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    wf = Workflow(*workflow_files(env), stream=stream)
    run = Run()
    with cancellable():
        try:
            return _run(env, clock, rds_client, wf, run)
        except Cancelled as exc:
            report_cancelled(wf, run, exc)
            return 1


def _run(env: Mapping[str, str], clock: Clock, rds_client: RDSClient | None, wf: Workflow, run: Run) -> int:
    try:
        inputs, problems = read_inputs(env)
        if inputs.github_token:
            wf.mask(inputs.github_token)
        ctx = read_context(env)
        decision = route(inputs, ctx)
        # Every input problem, the mode's own included, is reported at once, before the AWS SDK
        # is imported and before GitHub is asked anything.
        mode = modes.load(decision.mode) if decision.mode != "none" else None
        problems += mode.check(inputs, ctx) if mode else []
        if problems:
            raise InputError(problems, given=inputs.given)
        decision = confirm(inputs, ctx, wf, decision)
        if decision.mode == "none" or mode is None:
            wf.notice(f"Nothing to do: {decision.reason}.", title="aurora-clone: no action")
            wf.set_output("action", "none")
            return 0
        wf.log(f"aurora-clone: {decision.mode} ({decision.reason})")
        run.mode, run.label = decision.mode, inputs.label
        plan = mode.plan(inputs, ctx, clock.now())
        run.clone_id = plan.clone_id
        run.expires = format_expiry(plan.expires_at) if plan.expires_at else ""
        mode.run(plan, wf, _gateway(ctx, rds_client, clock, wf, run.ledger), clock)
        return 0
    except ActionError as exc:
        report_failure(wf, exc)
        return 1
    except Exception as exc:  # the one broad except: anything unforeseen still gets a clear line
        wf.error(f"Unexpected error: {type(exc).__name__}: {exc}", title="aurora-clone: unexpected error")
        if env.get("RUNNER_DEBUG") == "1":
            import traceback

            wf.verbatim(traceback.format_exc())
        else:
            wf.log("Re-run the job with debug logging enabled (RUNNER_DEBUG=1) to see a traceback.")
        return 1
