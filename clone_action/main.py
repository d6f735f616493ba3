"""Reads the environment once, routes to a mode, and turns every failure into a clear message."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

from .clock import Clock, SystemClock
from .config import parse_inputs
from .context import RunContext, read_context, route, workflow_files
from .errors import ActionError
from .workflow import Workflow

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


def _gateway(ctx: RunContext, client: RDSClient | None, clock: Clock, wf: Workflow) -> RdsGateway:
    from .aws.rds import RdsGateway, make_client

    return RdsGateway(client or make_client(ctx.aws_region), clock, wf.log, ctx.credentials_hint())


def main(
    env: Mapping[str, str] | None = None,
    *,
    clock: Clock | None = None,
    rds_client: RDSClient | None = None,
    stream: TextIO | None = None,
) -> int:
    """Run the action; 0 for success or nothing to do, 1 for any failure."""
    env = os.environ if env is None else env
    clock = clock or SystemClock()
    wf = Workflow(*workflow_files(env), stream=stream)
    try:
        inputs = parse_inputs(env)
        if inputs.github_token:
            wf.mask(inputs.github_token)
        ctx = read_context(env)
        decision = route(inputs, ctx)
        if decision.mode == "none":
            wf.notice(f"Nothing to do: {decision.reason}.", title="aurora-clone: no action")
            wf.set_output("action", "none")
            return 0
        wf.log(f"aurora-clone: {decision.mode} ({decision.reason})")
        # Each mode plans (and so checks its inputs) before the AWS SDK is even imported.
        if decision.mode == "clone":
            from .modes import clone

            clone_plan = clone.plan_clone(inputs, ctx, clock.now())
            rds = _gateway(ctx, rds_client, clock, wf)
            clone.run(inputs, ctx, wf, rds, clock, clone_plan)
        elif decision.mode == "purge":
            from .modes import purge

            purge.plan_purge(inputs, ctx)
            rds = _gateway(ctx, rds_client, clock, wf)
            purge.run(inputs, ctx, wf, rds, clock)
        else:
            from .modes import teardown

            teardown_plan = teardown.plan_teardown(inputs, ctx)
            rds = _gateway(ctx, rds_client, clock, wf)
            teardown.run(inputs, ctx, wf, rds, clock, teardown_plan)
        return 0
    except ActionError as exc:
        report_failure(wf, exc)
        return 1
    except Exception as exc:  # the one broad except: anything unforeseen still gets a clear line
        wf.error(f"Unexpected error: {type(exc).__name__}: {exc}", title="aurora-clone: unexpected error")
        if env.get("RUNNER_DEBUG") == "1":
            import traceback

            wf.log(traceback.format_exc())
        else:
            wf.log("Re-run the job with debug logging enabled (RUNNER_DEBUG=1) to see a traceback.")
        return 1
