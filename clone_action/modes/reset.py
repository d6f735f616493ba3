"""Reset mode: the PR's clone deleted and cloned again under the same identifier, at the same address.

A developer who broke their preview data gets a fresh copy of the source, and deployments need no
change: RDS names a cluster's endpoint after its identifier and the account's DNS identifier for
the Region, so a cluster made again under the same identifier answers at the same endpoint. The
deletion is teardown's, with every ownership check; the clone is the clone flow's (restore,
instance, wait, `mask` and `sql` again, outputs, manifests, the comment). Then the reset label
comes off the pull request.

What can be checked is checked before anything is deleted: a source RDS cannot clone would leave
the pull request with no clone at all. A cancelled reset leaves what a rerun finishes: the old
clone being deleted or gone (the rerun waits for it, then clones), or a new clone in the making
(the rerun deletes it and clones again; the clone flow itself deletes a masked clone it did not
finish preparing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..clock import Budget, elapsed
from ..config import Inputs
from ..context import RunContext, event_labels, remove_reset_label
from ..errors import InputError
from ..workflow import Workflow, md_cell
from . import Planned, clone
from . import clone_prepare as prepare
from .clone_instance import check_instance_name
from .clone_report import print_plan, show_manifest_diff
from .clone_source import check_source, restore_request
from .teardown import Deletion, Owner, start_deletion

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock


@dataclass(frozen=True)
class ResetPlan(Planned):
    """The clone to delete, whose it must be, and the clone to make again under its identifier."""

    clone: clone.ClonePlan
    owner: Owner

    @property
    def clone_id(self) -> str:
        return self.clone.clone_id

    @property
    def expires_at(self) -> datetime:
        return self.clone.expires_at


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """A reset ends in a clone: every input problem a clone would have."""
    return clone.check(inputs, ctx)


def plan(inputs: Inputs, ctx: RunContext, now: datetime) -> ResetPlan:
    """The clone's plan, and the owner its predecessor must have, for inputs that passed `check`."""
    made = clone.plan(inputs, ctx, now)
    return ResetPlan(inputs, ctx, made, Owner(made.repository, made.pr, made.source))


def run(plan: ResetPlan, wf: Workflow, rds: RdsGateway, clock: Clock) -> None:
    """Delete the PR's clone (if any), wait until it is gone, clone again, take the reset label off."""
    inputs, ctx, made = plan.inputs, plan.ctx, plan.clone
    budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
    source = check_source(inputs, wf, rds, made)
    if made.prep is not None:
        problems = prepare.source_problems(made.prep, inputs, source, rds.region)
        if problems:
            raise InputError(problems, given=inputs.given)
    old = rds.describe_cluster(made.clone_id)
    # Teardown's checks on the old clone (a refusal deletes nothing), then the instance's name:
    # free, or the old clone's own.
    deletion = start_deletion(rds, made.clone_id, plan.owner, budget=budget, dry_run=True, described=old)
    check_instance_name(rds, made)
    if inputs.dry_run:
        _dry_run(plan, wf, rds, source, old, deletion)
        return
    if deletion.found:
        deletion = start_deletion(rds, made.clone_id, plan.owner, budget=budget, described=old)

    if deletion.found:
        instances = ", ".join(deletion.instances) or "none"
        verb = "deleting" if deletion.started else "waiting for the deletion of"
        wf.log(f"Reset: {verb} '{made.clone_id}' (instances: {instances}), no final snapshot")
        rds.wait_until_gone([made.clone_id], budget)
        wf.log(
            f"'{made.clone_id}' deleted after {elapsed(clock.monotonic() - budget.started)}: "
            f"cloning '{made.source}' into '{made.clone_id}' again"
        )
    else:
        wf.log(f"Reset: there is no cluster '{made.clone_id}' in {rds.region}, so there is nothing to delete")
    wf.summary(_summary(plan, old, deletion))
    replaced = (
        f"this run replaced the clone with a fresh copy of `{made.source}`; the endpoint is the same"
        if deletion.found
        else f"asked for; there was no clone to replace, so this is a new clone of `{made.source}`"
    )
    clone.run(made, wf, rds, clock, budget=budget, note=("Reset", replaced))
    _compare_endpoints(wf, rds, made.clone_id, old)
    remove_reset_label(inputs, ctx, wf, made.pr, event_labels(ctx))


def _summary(plan: ResetPlan, old: Resource | None, deletion: Deletion) -> str:
    """The job summary's section for the deletion half of the reset."""
    made = plan.clone
    if not deletion.found or old is None:
        return (
            f"### Aurora clone reset: `{made.clone_id}`\n\nThere was no clone to delete: a reset of a "
            f"pull request without one is a clone of `{made.source}`."
        )
    instances = ", ".join(f"`{i}`" for i in deletion.instances) or "none"
    rows = [
        (
            "Deleted",
            f"`{made.clone_id}` ({deletion.status}) and its instances ({instances}), no final snapshot",
        ),
        ("Made again", f"a fresh copy of `{made.source}` under the same identifier"),
        ("Endpoint", f"`{old.get('Endpoint', '')}`, unchanged: deployments need no change"),
    ]
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    return f"### Aurora clone reset: `{made.clone_id}`\n\n| | |\n|---|---|\n{table}"


def _compare_endpoints(wf: Workflow, rds: RdsGateway, clone_id: str, old: Resource | None) -> None:
    """Say so if the fresh clone answers at another address than the one it replaced (RDS keeps it)."""
    before = str((old or {}).get("Endpoint") or "")
    now = rds.describe_cluster(clone_id) if before else None
    after = str((now or {}).get("Endpoint") or "")
    if not (before and after) or (now or {}).get("Status") == "deleting":
        return
    if after == before:
        wf.log(f"The fresh clone answers at the same endpoint as the one it replaced: {after}")
    else:
        wf.warning(
            f"The fresh clone's endpoint is {after}, not {before} as before the reset: update what "
            "connects to it (the manifests of this run are patched already).",
            title="aurora-clone: endpoint changed",
        )


def _dry_run(
    plan: ResetPlan, wf: Workflow, rds: RdsGateway, source: Resource, old: Resource | None, deletion: Deletion
) -> None:
    """Both halves as they would run; nothing is changed anywhere."""
    inputs, ctx, made = plan.inputs, plan.ctx, plan.clone
    if deletion.found:
        wf.log(
            f"Dry run: a reset would first delete the cluster '{made.clone_id}' ({deletion.status}) and "
            f"its instances: {', '.join(deletion.instances) or 'none'}; no final snapshot; then wait "
            "until it is gone, and clone again under the same identifier (the same endpoint)."
        )
    else:
        wf.log(f"Dry run: there is no cluster '{made.clone_id}' to delete; a reset would only clone.")
    request = restore_request(inputs, made, source)
    print_plan(inputs, wf, made, source, None, request, _sharing(rds, source, old))
    if made.prep is not None:
        wf.log("Would prepare the fresh clone before hand-out, in this order:")
        for line in prepare.describe_plan(made.prep):
            wf.log(f"  {line}")
    if made.rules:
        # The endpoint stays, so the old clone's values are the new one's.
        show_manifest_diff(inputs, ctx, wf, made, old)
    remove_reset_label(inputs, ctx, wf, made.pr, event_labels(ctx))
    wf.set_output("action", "clone")
    wf.set_output("cluster-id", made.clone_id)
    first = f"delete `{made.clone_id}`, then " if deletion.found else ""
    wf.summary(
        f"### Aurora clone reset: dry run\n\nWould {first}create `{made.clone_id}` again from "
        f"`{made.source}`. Nothing was changed."
    )


def _sharing(rds: RdsGateway, source: Resource, old: Resource | None) -> int:
    """The copy-on-write clones of the source once the old clone is gone (it may be one of them)."""
    group = str(source.get("CloneGroupId") or "")
    if not group:
        return 0
    leaving = 1 if old is not None and old.get("CloneGroupId") == group else 0
    return max(rds.clone_group_size(group) - 1 - leaving, 0)
