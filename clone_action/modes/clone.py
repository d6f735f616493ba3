"""Clone mode: a copy-on-write clone of the source cluster, with one DB instance, made ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..cancel import Cancelled
from ..clock import Budget
from ..comment import publish
from ..config import Inputs
from ..context import Route, RunContext, confirm
from ..errors import (
    CLONE_AGAIN,
    DELETED_MEANWHILE,
    STALE_PREPARATION,
    ActionError,
    CloneStateError,
    InputError,
    SafetyError,
)
from ..naming import clone_id_problems, instance_id, resolve_clone_id
from ..workflow import Workflow, md_cell
from . import Planned
from . import clone_prepare as prepare
from .clone_instance import add_instance, check_instance_name
from .clone_report import patch_manifests, print_plan, report, show_manifest_diff
from .clone_source import check_existing, check_source, copy_kind, restore_request, warn_at_copy_limit

if TYPE_CHECKING:
    from .. import manifest
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock


@dataclass(frozen=True)
class ClonePlan(Planned):
    """Everything clone will do, decided before any AWS call."""

    source: str
    clone_id: str
    instance_id: str
    repository: str
    pr: int
    expires_at: datetime
    tags: list[dict[str, str]]
    rules: tuple[manifest.Rule, ...] = ()
    prep: prepare.Preparation | None = None  # mask and sql, run before hand-out


MANAGED_PASSWORD_NEEDS_WAIT = (
    "manage-master-password: needs wait: true, since RDS changes the password only once the "
    "clone is available; remove wait: false"
)


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """What only a clone needs of the inputs and the workspace; [] when it can go ahead."""
    problems: list[str] = []
    if inputs.manage_master_password and not inputs.wait and not inputs.prepares:
        problems.append(MANAGED_PASSWORD_NEEDS_WAIT)
    problems += clone_id_problems(inputs, ctx, "clone")
    # The manifests are patched in memory with placeholder values now, so that a missing file,
    # a file that does not parse or a rule that resolves nowhere stops the run before the clone.
    if inputs.manifest or inputs.manifest_set:
        from .. import manifest  # ruamel.yaml only when there is something to patch

        try:
            rules = manifest.parse_rules(inputs.manifest_set)
            manifest.plan_patch(ctx.workspace, inputs.manifest, rules, manifest.placeholder_values())
        except InputError as exc:
            problems += exc.problems
    problems += prepare.check(inputs, ctx)
    return problems


def plan(inputs: Inputs, ctx: RunContext, now: datetime) -> ClonePlan:
    """The clone's identifiers, tags and manifest rules, for inputs that passed `check`."""
    pr, clone_id = resolve_clone_id(inputs, ctx, "clone")
    rules: list[manifest.Rule] = []
    if inputs.manifest_set:
        from .. import manifest

        rules = manifest.parse_rules(inputs.manifest_set)
    expires_at = now + inputs.ttl
    prep = prepare.preparation(inputs, ctx)
    tags = tagkeys.clone_tags(
        repository=ctx.repository,
        pr=pr,
        source=inputs.source_cluster,
        expires_at=expires_at,
        extra=inputs.tags,
    )
    return ClonePlan(
        inputs=inputs,
        ctx=ctx,
        rules=tuple(rules),
        prep=prep,
        source=inputs.source_cluster,
        clone_id=clone_id,
        instance_id=instance_id(clone_id),
        repository=ctx.repository,
        pr=pr,
        expires_at=expires_at,
        tags=[*tags, prepare.pending_tag(prep)] if prep else tags,
    )


def run(
    plan: ClonePlan,
    wf: Workflow,
    rds: RdsGateway,
    clock: Clock,
    *,
    budget: Budget | None = None,
    note: tuple[str, str] | None = None,
) -> None:
    """Execute the plan: reuse or create the clone, add its instance, wait, report.

    For a reset's second half: `budget` is the reset's (timeout-minutes counts from its start),
    `note` a first row of the PR comment that says what the reset did.
    """
    inputs, ctx = plan.inputs, plan.ctx
    budget = budget or Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
    source = check_source(inputs, wf, rds, plan)
    if tagkeys.tag_map(source).get(tagkeys.BASE) == tagkeys.GOLDEN:
        from ..aws import iam

        rds.policy = iam.PR_FROM_BASE_POLICY  # an AccessDenied quotes the role that clones golden copies
    if plan.prep is not None:
        problems = prepare.source_problems(plan.prep, inputs, source, rds.region)
        if problems:
            raise InputError(problems, given=inputs.given)
    request = restore_request(inputs, plan, source)

    existing = rds.describe_cluster(plan.clone_id)
    found = ""  # what the found clone's tag says of its preparation (clone_prepare.state_of)
    if existing is not None:
        check_existing(plan, existing)
        found = prepare.state_of(existing, plan.prep) if plan.prep else ""
    else:
        check_instance_name(rds, plan)
    sharing = warn_at_copy_limit(rds, wf, plan, source) if existing is None else 0

    if inputs.dry_run:
        print_plan(inputs, wf, plan, source, existing, request, sharing)
        if plan.prep is not None:
            if found == "stale":
                wf.log(STALE_PREPARATION.format(clone_id=plan.clone_id) + " (not in a dry run)")
            wf.log("Would prepare the clone before hand-out, in this order:")
            for line in prepare.describe_plan(plan.prep):
                wf.log(f"  {line}")
        if plan.rules:
            show_manifest_diff(inputs, ctx, wf, plan, existing)
        wf.set_output("action", "clone")
        wf.set_output("cluster-id", plan.clone_id)
        wf.summary(
            f"### Aurora clone: dry run\n\nWould {'reuse' if existing else 'create'} "
            f"`{plan.clone_id}` from `{plan.source}`. Nothing was changed."
        )
        return

    if existing is not None and found == "stale":
        wf.log(STALE_PREPARATION.format(clone_id=plan.clone_id))
        _delete_clone(rds, plan, budget)
        rds.wait_until_gone([plan.clone_id], budget)
        existing = None
    created = existing is None
    if existing is None:
        wf.log(f"Cloning '{plan.source}' into '{plan.clone_id}' (copy-on-write)")
        cluster = rds.restore_clone(
            source=request.source, clone_id=request.clone_id, tags=request.tags, settings=request.settings
        )
        if cluster is None:
            # Another run created it between our look and our restore: treat it as existing.
            cluster = rds.describe_cluster(plan.clone_id)
            if cluster is None:
                raise CloneStateError(f"RDS says '{plan.clone_id}' exists but cannot describe it.")
            check_existing(plan, cluster)
            created = False
            found = prepare.state_of(cluster, plan.prep) if plan.prep else ""
        elif _closed_meanwhile(inputs, ctx, wf, rds, plan, budget):
            return
    else:
        cluster = existing
        wf.log(f"Reusing the clone '{plan.clone_id}' ({existing.get('Status')})")
        rds.ledger.found = f"The clone '{plan.clone_id}' existed before this run ({existing.get('Status')})."
        _extend_expiry(rds, wf, plan, existing)

    ran: list[prepare.Ran] | None = None
    prepared_here = False
    try:
        if not cluster.get("DBClusterMembers"):
            add_instance(inputs, wf, rds, plan, cluster, created, budget)

        if inputs.wait:
            wf.log(
                f"Waiting for the clone (at most {inputs.timeout_minutes} min, "
                f"checking every {inputs.poll_interval}s)"
            )
            # A clone that already has its own secret is waited for once, secret included.
            has_secret = inputs.manage_master_password and bool(own_secret(cluster, source))
            cluster = wait_for(rds, plan, budget, secret=has_secret)
        storage = copy_kind(rds, wf, plan, source, cluster) if created else ""
        secret_arn = own_secret(cluster, source)
        if inputs.manage_master_password and inputs.wait and not secret_arn:
            cluster, secret_arn = give_own_password(rds, wf, plan, budget)
        if plan.prep is not None:
            if not created and prepare.is_prepared(cluster, plan.prep):
                wf.log(f"Already prepared with these rules and files ({plan.prep.digest}): nothing to run")
            elif not created and found == "pending":
                cluster = prepare.await_other_run(plan, plan.prep, wf, rds, budget)
            else:
                ran = prepare.prepare(plan, plan.prep, wf, rds, cluster, secret_arn, budget)
                prepared_here = True
    except (ActionError, Cancelled) as exc:
        # A clone made for mask or sql is never left unprepared (safety rule 8): not one this run
        # made, nor a stale one; a prepared one, or one another run is preparing, is left alone.
        unprepared = plan.prep is not None and not prepared_here and found not in ("prepared", "pending")
        if unprepared and _discard(rds, wf, plan, budget) and isinstance(exc, ActionError):
            exc.message += f"\nThe clone '{plan.clone_id}' is being deleted: it may hold unmasked data."
        raise
    rows = report(wf, rds.region, plan, cluster, created, secret_arn, storage, source)
    if note is not None:
        rows.insert(0, note)
    if plan.prep is not None:
        section, row = prepare.summary(plan.prep, ran)
        wf.set_output("sql-report", prepare.report_json(ran or []))
        wf.summary(section)
        rows.append(row)
    if plan.rules:
        patch_manifests(inputs, ctx, wf, plan, cluster)
    publish(
        wf,
        inputs,
        ctx,
        pr=plan.pr,
        clone_id=plan.clone_id,
        heading=f"Preview database `{plan.clone_id}`: {cluster.get('Status')}",
        rows=rows,
        footer=f"Updated {clock.now():%Y-%m-%d %H:%M} UTC by aurora-clone-action. Remove the "
        f"`{inputs.label}` label or close the pull request to delete the clone.",
    )


def _discard(rds: RdsGateway, wf: Workflow, plan: ClonePlan, budget: Budget) -> bool:
    """Delete a clone that was not prepared (it may hold unmasked data); False, and a warning, when
    that fails."""
    wf.log(f"The clone '{plan.clone_id}' was not prepared: deleting it, since it may hold unmasked data")
    try:
        _delete_clone(rds, plan, budget)
    except ActionError as failed:
        wf.warning(
            f"The clone '{plan.clone_id}' could not be deleted: {failed.message} It has no endpoint "
            "output, and the next run deletes it before cloning again (it lacks the prepared tag).",
            title="aurora-clone: unprepared clone left",
        )
        return False
    return True


def _delete_clone(rds: RdsGateway, plan: ClonePlan, budget: Budget) -> None:
    """Start deleting this PR's clone, with teardown's ownership checks."""
    from .teardown import Owner, start_deletion

    start_deletion(rds, plan.clone_id, Owner(plan.repository, plan.pr, plan.source), budget=budget)


def _closed_meanwhile(
    inputs: Inputs, ctx: RunContext, wf: Workflow, rds: RdsGateway, plan: ClonePlan, budget: Budget
) -> bool:
    """After the restore, the PR is asked for again; a clone it no longer wants is deleted at once.

    A teardown that ran between this run's first look and its restore found nothing to delete;
    the close (or unlabel) that started it came before the restore, so this look sees it.
    """
    now = confirm(inputs, ctx, wf, Route("clone", ""), again=True)
    if now.mode == "clone":
        return False
    from .teardown import Owner, start_deletion

    wf.log(f"{now.reason}: deleting the clone '{plan.clone_id}' this run has just made")
    start_deletion(rds, plan.clone_id, Owner(plan.repository, plan.pr, plan.source), budget=budget)
    wf.set_output("action", "none")
    wf.set_output("cluster-id", plan.clone_id)
    wf.set_output("status", "deleting")
    wf.notice(
        f"Nothing to hand out: {now.reason} (it changed while this run was cloning). The clone "
        f"'{plan.clone_id}' it had just made is being deleted.",
        title="aurora-clone: no action",
    )
    wf.summary(
        f"### Aurora clone: not needed any more\n\n{md_cell(now.reason)}, while this run was cloning: "
        f"the clone `{plan.clone_id}` it had just made is being deleted."
    )
    return True


def wait_for(rds: RdsGateway, plan: ClonePlan, budget: Budget, *, secret: bool = False) -> Resource:
    """The clone once it and its instance are available (and its own secret, with `secret`)."""
    ready = rds.wait_until_available(plan.clone_id, budget, secret=secret)
    if ready is None:
        raise CloneStateError(
            f"The clone '{plan.clone_id}' was deleted while the action waited for it.",
            cause=DELETED_MEANWHILE,
            fix=CLONE_AGAIN,
        )
    return ready[0]


def _extend_expiry(rds: RdsGateway, wf: Workflow, plan: ClonePlan, cluster: Resource) -> None:
    """A rerun on an active PR counts the clone's lifetime again from now (clone and its instances)."""
    # The preparation's tag is left as it is: a rerun neither marks a clone prepared nor pending.
    tags = [tag for tag in plan.tags if tag["Key"] != tagkeys.PREPARED]
    rds.retag(str(cluster["DBClusterArn"]), tags)
    for instance in rds.cluster_instances(plan.clone_id):
        if not tagkeys.ownership_problem(
            instance, repository=plan.repository, pr=plan.pr, source=plan.source
        ):
            rds.retag(str(instance["DBInstanceArn"]), tags)
    kept = [tag for tag in cluster.get("TagList") or [] if tag["Key"] == tagkeys.PREPARED]
    cluster["TagList"] = [*tags, *kept]
    wf.log(f"The clone now expires at {tagkeys.format_expiry(plan.expires_at)}")


def own_secret(cluster: Resource, source: Resource) -> str:
    """The ARN of the clone's own managed master-user secret; '' when it has none of its own."""
    arn = str((cluster.get("MasterUserSecret") or {}).get("SecretArn") or "")
    inherited = str((source.get("MasterUserSecret") or {}).get("SecretArn") or "")
    return arn if arn != inherited else ""


def give_own_password(rds: RdsGateway, wf: Workflow, plan: ClonePlan, budget: Budget) -> tuple[Resource, str]:
    """ModifyDBCluster(ManageMasterUserPassword) on the clone, checked as ours just before; then the
    secret, once RDS says it is active and nothing is pending (the cluster reads `available` while
    the secret is still being created)."""
    fresh = rds.describe_cluster(plan.clone_id)
    if fresh is None:
        raise CloneStateError(
            f"The clone '{plan.clone_id}' was deleted before it got its own password.",
            cause=DELETED_MEANWHILE,
            fix=CLONE_AGAIN,
        )
    problem = tagkeys.ownership_problem(fresh, repository=plan.repository, pr=plan.pr, source=plan.source)
    if problem:
        raise SafetyError(f"Refused to change the master password of '{plan.clone_id}': {problem}.")
    wf.log(f"Giving '{plan.clone_id}' its own master password (kept by RDS in Secrets Manager)")
    rds.retry_while_busy(
        partial(rds.manage_master_password, plan.clone_id),
        what=f"give '{plan.clone_id}' its own master password",
        budget=budget,
        backoff=False,
    )
    cluster = wait_for(rds, plan, budget, secret=True)
    return cluster, str((cluster.get("MasterUserSecret") or {}).get("SecretArn") or "")
