"""Teardown mode: delete this PR's clone, and never anything else (safety rules 1 and 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..aws.states import STOPPED
from ..clock import Budget, elapsed
from ..comment import publish
from ..config import Inputs
from ..context import RunContext
from ..errors import OWNERSHIP_FIX, SOURCE_IN_USE_FIX, SafetyError
from ..naming import clone_id_problems, resolve_clone_id
from ..workflow import Workflow, md_cell
from . import Planned

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock


@dataclass(frozen=True)
class Owner:
    """Whose clone may be deleted: a repository (None: any) and a PR (None: any); never the source."""

    repository: str | None
    pr: int | None
    source: str = ""


@dataclass
class Deletion:
    """What deleting one clone found and did."""

    clone_id: str
    found: bool = False
    status: str = ""
    instances: list[str] = field(default_factory=list)
    started: bool = False


@dataclass(frozen=True)
class TeardownPlan(Planned):
    """The clone to delete and whose it must be."""

    clone_id: str
    owner: Owner
    expires_at: datetime | None = None  # a teardown sets no expiry


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """What stops a teardown from naming the clone; [] when it can go ahead."""
    return clone_id_problems(inputs, ctx, "teardown")


def plan(inputs: Inputs, ctx: RunContext, now: datetime) -> TeardownPlan:
    """The clone to delete and whose it must be, for inputs that passed `check`."""
    pr, clone_id = resolve_clone_id(inputs, ctx, "teardown")
    return TeardownPlan(inputs, ctx, clone_id, Owner(ctx.repository, pr, inputs.source_cluster))


def names(idents: list[str], most: int = 3) -> str:
    """ "'a', 'b' and 'c'" or "'a', 'b', 'c' and 4 more"."""
    quoted = [f"'{i}'" for i in idents]
    if len(quoted) > most:
        return ", ".join(quoted[:most]) + f" and {len(quoted) - most} more"
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def named_sources(clusters: list[Resource]) -> dict[str, list[str]]:
    """Cluster id (lower case) -> the other clusters whose aurora-clone/source tag names it."""
    sources: dict[str, list[str]] = {}
    for cluster in clusters:
        ident = str(cluster["DBClusterIdentifier"])
        source = tagkeys.tag_map(cluster).get(tagkeys.SOURCE, "").strip().lower()
        if source and source != ident.lower():
            sources.setdefault(source, []).append(ident)
    return sources


def source_of(naming: list[str]) -> str:
    """ "the source of 'a' (named in its aurora-clone/source tag)": why a cluster is never deleted."""
    whose = "its" if len(naming) == 1 else "their"
    return f"the source of {names(naming)} (named in {whose} {tagkeys.SOURCE} tag)"


def _refuse(clone_id: str, problem: str, deleted_any: bool, fix: str = OWNERSHIP_FIX) -> SafetyError:
    done = "Some of its instances were already being deleted." if deleted_any else "Nothing was deleted."
    return SafetyError(f"Refused to delete '{clone_id}': {problem}. {done}", fix=fix)


def _problem(resource: Resource, clone_id: str, owner: Owner) -> str | None:
    """Why this cluster, or this instance of the clone, must not be deleted; None when it may."""
    if "DBInstanceIdentifier" in resource and resource.get("DBClusterIdentifier") != clone_id:
        return f"the instance '{resource['DBInstanceIdentifier']}' is not a member of '{clone_id}'"
    return tagkeys.ownership_problem(resource, repository=owner.repository, pr=owner.pr, source=owner.source)


def _check_owned(rds: RdsGateway, clone_id: str, owner: Owner, cluster: Resource) -> list[Resource]:
    """The clone's instances, once the cluster and every instance is checked as the owner's."""
    problem = _problem(cluster, clone_id, owner)
    if problem:
        raise _refuse(clone_id, problem, False)
    instances = rds.cluster_instances(clone_id)
    for instance in instances:
        problem = _problem(instance, clone_id, owner)
        if problem:
            raise _refuse(clone_id, problem, False)
    return instances


def _check_no_clone_of(rds: RdsGateway, clone_id: str, cluster: Resource, named_by: list[str] | None) -> None:
    """Refuse a cluster that another names as its source (safety rule 2), whatever its tags.

    Such a cluster is in the clone's copy-on-write group, found by one describe (none for a
    cluster never cloned from); `named_by` saves it when the caller has listed every cluster.
    """
    if named_by is None:
        group = cluster.get("CloneGroupId")
        named_by = named_sources(rds.clone_group(str(group))).get(clone_id.lower(), []) if group else []
    if named_by:
        raise _refuse(clone_id, f"'{clone_id}' is {source_of(named_by)}", False, SOURCE_IN_USE_FIX)


def start_if_stopped(rds: RdsGateway, clone_id: str, owner: Owner) -> bool:
    """StartDBCluster on a stopped clone, checked as the owner's on a fresh describe; True if started.

    RDS deletes no instance of a stopped cluster, nor the cluster while it has instances. While
    the clone is still stopping, RDS refuses the start and this raises Busy.
    """
    fresh = rds.describe_cluster(clone_id)
    if fresh is None or fresh.get("Status") not in STOPPED:
        return False  # gone, or started meanwhile
    problem = _problem(fresh, clone_id, owner)
    if problem:
        raise _refuse(clone_id, problem, False)
    rds.start_cluster(clone_id)
    return True


def start_deletion(
    rds: RdsGateway,
    clone_id: str,
    owner: Owner,
    *,
    budget: Budget,
    dry_run: bool = False,
    described: Resource | None = None,
    named_by: list[str] | None = None,
) -> Deletion:
    """Check ownership, then delete the clone's instances and the clone (without waiting for it to go).

    Every delete call is preceded by a fresh describe and the same ownership check; a refusal
    raises SafetyError. Busy states (still creating, modifying) are retried with backoff. A
    stopped clone with instances is started first and waited for. `described` saves the first
    describe when the caller has just listed the cluster, `named_by` (the clusters that name the
    clone as their source) the look at its clone group when the caller has listed every cluster.
    """
    result = Deletion(clone_id)
    cluster = described or rds.describe_cluster(clone_id)
    if cluster is None:
        return result
    result.found, result.status = True, str(cluster.get("Status", ""))
    instances = _check_owned(rds, clone_id, owner, cluster)
    result.instances = [str(i["DBInstanceIdentifier"]) for i in instances]
    members = ", ".join(f"'{i}'" for i in result.instances) or "none"
    rds.ledger.found = (
        f"The clone '{clone_id}' was {result.status} when this run looked (instances: {members})."
    )
    _check_no_clone_of(rds, clone_id, cluster, named_by)
    if dry_run or result.status == "deleting":
        return result

    if result.status in STOPPED and result.instances:
        rds.log(
            f"'{clone_id}' is {result.status}, and RDS deletes no instance of a stopped cluster: "
            "starting it first"
        )
        rds.retry_while_busy(
            partial(start_if_stopped, rds, clone_id, owner),
            what=f"start '{clone_id}'",
            budget=budget,
            deleting=True,
        )
        result.status = "starting"
    # A clone just started (here, by purge, or by hand) takes deletes only once it is available.
    waited = result.status == "starting" and rds.wait_until_available(
        clone_id, budget, need_instance=False, deleting=True
    )
    if waited is None:
        return result  # gone meanwhile

    requested: set[str] = set()  # instances whose deletion RDS took (or that are going already)

    def delete_instance(ident: str) -> None:
        fresh = rds.describe_instance(ident)
        if fresh is not None and fresh.get("DBInstanceStatus") != "deleting":
            problem = _problem(fresh, clone_id, owner)
            if problem:
                raise _refuse(clone_id, problem, result.started)
            rds.delete_instance(ident)
            result.started = True
        requested.add(ident)

    def delete_cluster() -> None:
        fresh = rds.describe_cluster(clone_id)
        if fresh is None or fresh.get("Status") == "deleting":
            return
        problem = _problem(fresh, clone_id, owner)
        if problem:
            raise _refuse(clone_id, problem, result.started)
        # An instance added since the first look (a clone run still at work) goes first: RDS
        # deletes no cluster that has an instance in another state than `deleting`.
        for member in fresh.get("DBClusterMembers") or []:
            ident = str(member["DBInstanceIdentifier"])
            if ident not in requested:
                if ident not in result.instances:
                    result.instances.append(ident)
                delete_instance(ident)
        rds.delete_cluster(clone_id)

    for ident in result.instances:
        rds.retry_while_busy(
            partial(delete_instance, ident),
            what=f"delete the instance '{ident}'",
            budget=budget,
            deleting=True,
        )
    rds.retry_while_busy(
        delete_cluster, what=f"delete the cluster '{clone_id}'", budget=budget, deleting=True
    )
    result.started = True
    return result


def run(plan: TeardownPlan, wf: Workflow, rds: RdsGateway, clock: Clock) -> None:
    """Delete the PR's clone and wait until it is gone; a clone that is not there is a no-op."""
    inputs, ctx = plan.inputs, plan.ctx
    budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
    clone_id = plan.clone_id
    deletion = start_deletion(rds, clone_id, plan.owner, budget=budget, dry_run=inputs.dry_run)
    wf.set_output("action", "teardown")
    wf.set_output("cluster-id", clone_id)
    if not deletion.found:
        wf.notice(
            f"Nothing to delete: there is no cluster '{clone_id}' in {rds.region} "
            "(never cloned, or already deleted).",
            title="aurora-clone: nothing to delete",
        )
        wf.set_output("status", "not-found")
        wf.summary(
            f"### Aurora clone: nothing to delete\n\nThere is no cluster `{clone_id}` in {rds.region}: "
            "this pull request was never cloned, or its clone is already deleted."
        )
        return
    instances = ", ".join(f"`{i}`" for i in deletion.instances) or "none"
    if inputs.dry_run:
        wf.log(
            f"Dry run: nothing will be changed. The action would delete the cluster '{clone_id}' "
            f"({deletion.status}) and its instances: {', '.join(deletion.instances) or 'none'}; "
            "no final snapshot."
            + (
                " It is stopped, so it would be started first (RDS deletes no instance of a stopped cluster)."
                if deletion.status in STOPPED and deletion.instances
                else ""
            )
        )
        wf.set_output("status", deletion.status)
        wf.summary(
            f"### Aurora clone teardown: dry run\n\nWould delete `{clone_id}` and its instances "
            f"({instances}). Nothing was changed."
        )
        return
    if deletion.started:
        wf.log(
            f"Deleting '{clone_id}' (instances: {', '.join(deletion.instances) or 'none'}), no final snapshot"
        )
    else:
        wf.notice(f"The clone '{clone_id}' is already being deleted.", title="aurora-clone: already deleting")
    if inputs.wait:
        rds.wait_until_gone([clone_id], budget)
        status = "deleted"
        wf.log(f"Clone '{clone_id}' deleted after {elapsed(clock.monotonic() - budget.started)}")
    else:
        after = rds.describe_cluster(clone_id)
        status = "deleted" if after is None else str(after.get("Status", "deleting"))
    wf.set_output("status", status)
    rows = [
        ("Cluster", f"`{clone_id}`"),
        ("Instances", instances),
        ("Status", status + ("" if deletion.started else " (a deletion was already under way)")),
        ("Final snapshot", "none (a clone holds only the pages the PR changed)"),
    ]
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    heading = "deleted" if status == "deleted" else "being deleted"
    wf.summary(f"### Aurora clone {heading}: `{clone_id}`\n\n| | |\n|---|---|\n{table}")
    assert plan.owner.pr is not None
    publish(
        wf,
        inputs,
        ctx,
        pr=plan.owner.pr,
        clone_id=clone_id,
        heading=f"Preview database `{clone_id}`: {status}",
        rows=rows,
        footer=f"{'Deleted' if status == 'deleted' else 'Deletion started'} {clock.now():%Y-%m-%d %H:%M} UTC "
        "by aurora-clone-action.",
    )
