"""refresh-base: a masked golden copy of the source, made fresh, then swapped in under its name.

1. Clone `source-cluster` into a new cluster `<base>-r<stamp>` (tagged `aurora-clone/base=next`
   and an expiry, so that purge deletes it if a run leaves it behind), with one Serverless v2
   instance at min capacity 0 and auto-pause where the engine allows it: idle, a golden copy
   costs storage only, and RDS cannot clone a cluster without an instance.
2. Prepare it exactly as a PR's clone (`mask`, `sql`, every rule verified: modes/clone_prepare.py).
   On any failure the new cluster is deleted and the current base is not touched.
3. Swap: the current base is tagged `aurora-clone/base=aside` and renamed `<base>-o<stamp>`; the
   new one is renamed `<base>` and tagged `aurora-clone/base=true`; the old one is deleted.
   Clones already cut from the old base keep working (a clone does not depend on its source).

Safety rule 9: teardown never deletes a golden copy; purge deletes only one renamed aside (or
being made) and left behind, once expired. Every rename and delete here checks on a fresh
describe that the cluster is this repository's golden copy of this source (tags.NO_PR).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..clock import Budget
from ..config import IDENTIFIER_RULE, Inputs
from ..context import RunContext
from ..errors import ActionError, CloneStateError, SafetyError
from ..workflow import Workflow, md_cell
from . import Planned
from . import clone_prepare as prepare

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock
    from .clone import ClonePlan

STAMP = "%y%m%d%H%M"  # in the new cluster's and the renamed-aside cluster's identifiers
SUFFIX = len("-r") + 10  # what refresh-base adds to base-cluster for the clusters it makes
AUTO_PAUSE_SECONDS = 300  # the least Aurora allows: an idle golden copy pauses after 5 minutes


@dataclass(frozen=True)
class BasePlan(Planned):
    """A refresh of the golden copy `base` from `source`, decided before any AWS call."""

    source: str
    base: str
    candidate: str  # the new cluster, renamed `base` once prepared
    aside: str  # the name the current base gets while the new one takes its place
    repository: str
    expires_at: datetime
    tags: list[dict[str, str]]
    prep: prepare.Preparation

    @property
    def clone_id(self) -> str:
        return self.candidate


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """What only refresh-base needs of the inputs; [] when it can go ahead."""
    problems: list[str] = []
    if not inputs.source_cluster:
        problems.append("source-cluster: required when mode is refresh-base: the cluster to copy and mask")
    if not inputs.base_cluster:
        problems.append(
            "base-cluster: required when mode is refresh-base: the identifier of the golden copy, "
            "e.g. base-cluster: shop-golden"
        )
    elif len(inputs.base_cluster) > 63 - SUFFIX:
        problems.append(
            f"base-cluster: at most {63 - SUFFIX} characters, since refresh-base names the cluster it makes "
            f"'<base-cluster>-rYYMMDDHHMM' ({IDENTIFIER_RULE}), got {inputs.base_cluster!r}"
        )
    elif inputs.base_cluster == inputs.source_cluster:
        problems.append(
            f"base-cluster: must not be the source-cluster, got {inputs.base_cluster!r}: the golden copy "
            "is a new cluster made from the source"
        )
    if not inputs.prepares:
        problems.append(
            "mask: refresh-base needs mask (or sql): a golden copy is a prepared copy of the source; "
            "give the masking rules, e.g. mask: customers.email=email"
        )
    if inputs.instance_class != "db.serverless":
        problems.append(
            "instance-class: a golden copy keeps one db.serverless instance (at min capacity 0 with "
            f"auto-pause where the engine allows it), got {inputs.instance_class!r}; remove instance-class"
        )
    problems += prepare.check(inputs, ctx)
    return problems


def plan(inputs: Inputs, ctx: RunContext, now: datetime) -> BasePlan:
    """The new cluster's name and tags, for inputs that passed `check`."""
    prep = prepare.preparation(inputs, ctx)
    assert prep is not None
    stamp = now.strftime(STAMP)
    expires_at = now + inputs.ttl
    tags = tagkeys.base_tags(
        repository=ctx.repository, source=inputs.source_cluster, expires_at=expires_at, extra=inputs.tags
    )
    return BasePlan(
        inputs=inputs,
        ctx=ctx,
        source=inputs.source_cluster,
        base=inputs.base_cluster,
        candidate=f"{inputs.base_cluster}-r{stamp}",
        aside=f"{inputs.base_cluster}-o{stamp}",
        repository=ctx.repository,
        expires_at=expires_at,
        tags=[*tags, prepare.pending_tag(prep)],
        prep=prep,
    )


def run(plan: BasePlan, wf: Workflow, rds: RdsGateway, clock: Clock) -> None:
    """Make, prepare and swap in a new golden copy; the current one stays on any failure."""
    from ..aws.iam import REFRESH_POLICY
    from . import clone
    from .clone_source import check_source, restore_request

    rds.policy = REFRESH_POLICY  # an AccessDenied quotes the refresh role's policy
    inputs = plan.inputs
    budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
    making = _clone_plan(plan, inputs)
    source = check_source(inputs, wf, rds, making)
    problems = prepare.source_problems(plan.prep, inputs, source, rds.region)
    if problems:
        from ..errors import InputError

        raise InputError(problems, given=inputs.given)
    making = _clone_plan(plan, _idle_capacity(inputs, rds, source))
    current = _current_base(plan, rds)  # a name taken by something else: refused before any change
    taken = rds.describe_cluster(plan.candidate)
    if taken is not None:
        raise SafetyError(
            f"A cluster named '{plan.candidate}' already exists: another refresh of '{plan.base}' started "
            "this very minute. Nothing was changed.",
            fix="Run refresh-base again in a minute, or give refreshes of one base a concurrency group.",
        )
    request = restore_request(making.inputs, making, source)
    if inputs.dry_run:
        _print_plan(plan, wf, current)
        return
    if _leftovers(plan, wf, rds, budget):
        current = _current_base(plan, rds)

    wf.log(f"Cloning '{plan.source}' into '{plan.candidate}', the next golden copy '{plan.base}'")
    cluster = rds.restore_clone(
        source=request.source, clone_id=request.clone_id, tags=request.tags, settings=request.settings
    )
    if cluster is None:
        raise CloneStateError(
            f"'{plan.candidate}' appeared while this run was making it; nothing was deleted."
        )
    try:
        from .clone_instance import add_instance

        add_instance(making.inputs, wf, rds, making, cluster, True, budget)
        cluster = clone.wait_for(rds, making, budget)
        cluster, secret_arn = clone.give_own_password(rds, wf, making, budget)
        ran = prepare.prepare(making, plan.prep, wf, rds, cluster, secret_arn, budget)
        _close_data_api(plan, wf, rds, budget)
    except BaseException:
        wf.log(
            f"The new golden copy '{plan.candidate}' was not prepared: deleting it; "
            f"'{plan.base}' is unchanged"
        )
        try:
            _delete(rds, plan, plan.candidate, budget, wf)
        except ActionError as failed:
            wf.warning(
                f"'{plan.candidate}' could not be deleted: {failed.message} It is tagged "
                f"{tagkeys.BASE}={tagkeys.CANDIDATE}: a scheduled purge deletes it once it expires.",
                title="aurora-clone: unprepared golden copy left",
            )
        raise
    _swap(plan, wf, rds, current, budget)
    _report(plan, wf, rds, ran, current is not None)


def _close_data_api(plan: BasePlan, wf: Workflow, rds: RdsGateway, budget: Budget) -> None:
    """The Data API off again: a golden copy is the source of every PR's clone, and nothing needs
    SQL in it until the next refresh, which makes a new one."""
    fresh = rds.describe_cluster(plan.candidate)
    if fresh is None or _owned(plan, fresh):
        raise SafetyError(
            f"Refused to turn off the Data API of '{plan.candidate}': it is not this refresh's."
        )
    wf.log(f"Turning the Data API of '{plan.candidate}' off again: it is prepared")
    rds.retry_while_busy(
        partial(rds.disable_data_api, str(fresh["DBClusterArn"])),
        what=f"turn off the Data API of '{plan.candidate}'",
        budget=budget,
        backoff=False,
    )


def _clone_plan(plan: BasePlan, inputs: Inputs) -> ClonePlan:
    """The new cluster as a clone plan of no PR: the clone steps work on it unchanged."""
    from ..naming import instance_id
    from .clone import ClonePlan

    return ClonePlan(
        inputs=inputs,
        ctx=plan.ctx,
        source=plan.source,
        clone_id=plan.candidate,
        instance_id=instance_id(plan.candidate),
        repository=plan.repository,
        pr=tagkeys.NO_PR,
        expires_at=plan.expires_at,
        tags=plan.tags,
        prep=plan.prep,
    )


def _idle_capacity(inputs: Inputs, rds: RdsGateway, source: Resource) -> Inputs:
    """min-capacity 0 and auto-pause where the source's engine version has them, else the least."""
    features = (rds.engine_version(str(source["Engine"]), str(source.get("EngineVersion", ""))) or {}).get(
        "ServerlessV2FeaturesSupport"
    ) or {}
    least = float(features.get("MinCapacity", 0.5))
    if least == 0:
        return replace(
            inputs,
            min_capacity=0,
            seconds_until_auto_pause=inputs.seconds_until_auto_pause or AUTO_PAUSE_SECONDS,
        )
    return replace(inputs, min_capacity=least, seconds_until_auto_pause=None)


def _owned(plan: BasePlan, cluster: Resource) -> str | None:
    return tagkeys.ownership_problem(
        cluster, repository=plan.repository, pr=tagkeys.NO_PR, source=plan.source
    )


def _current_base(plan: BasePlan, rds: RdsGateway) -> Resource | None:
    """The golden copy named base-cluster now; a SafetyError when that name is something else's."""
    current = rds.describe_cluster(plan.base)
    if current is None:
        return None
    problem = _owned(plan, current)
    if problem or tagkeys.tag_map(current).get(tagkeys.SOURCE) != plan.source:
        raise SafetyError(
            f"'{plan.base}' exists and is not a golden copy of '{plan.source}' this repository made: "
            f"{problem or 'its aurora-clone/source tag names another cluster'}. Nothing was changed.",
            fix="Set base-cluster to the identifier of a new cluster (refresh-base makes it).",
        )
    return current


def _swap(plan: BasePlan, wf: Workflow, rds: RdsGateway, current: Resource | None, budget: Budget) -> None:
    """The new golden copy under base-cluster's name; the old one renamed aside, then deleted.

    The old base is renamed before it is tagged `aside`, so that no interruption ever leaves a
    cluster named base-cluster that purge may delete; one that stops between the renames puts
    the old base back under its name (without waiting: a cancelled run has seconds).
    """
    try:
        if current is not None:
            _rename(rds, wf, plan, plan.base, plan.aside, budget)
            moved = rds.describe_cluster(plan.aside)
            if moved is not None:
                expiry = tagkeys.format_expiry(budget.clock.now())
                _retag(rds, moved, {tagkeys.BASE: tagkeys.ASIDE, tagkeys.EXPIRES_AT: expiry})
        _rename(rds, wf, plan, plan.candidate, plan.base, budget)
        promoted = rds.describe_cluster(plan.base)
        if promoted is None:
            raise CloneStateError(f"'{plan.base}' was deleted while this run renamed it.")
        _retag(rds, promoted, {tagkeys.BASE: tagkeys.GOLDEN})
    except BaseException:
        named = rds.describe_cluster(plan.base)
        if named is None and current is not None:
            # Stopped after the old base's rename was asked for (answered or not): put it back.
            _put_back(plan, wf, rds)
        elif named is not None and tagkeys.tag_map(named).get(tagkeys.BASE) == tagkeys.CANDIDATE:
            _retag(rds, named, {tagkeys.BASE: tagkeys.GOLDEN})  # the new one is in place already
        raise
    if current is not None:
        _delete(rds, plan, plan.aside, budget, wf)


def _put_back(plan: BasePlan, wf: Workflow, rds: RdsGateway) -> None:
    """The old golden copy renamed back to base-cluster after a swap that did not finish."""
    wf.log(f"Renaming '{plan.aside}' back to '{plan.base}': the new golden copy did not take its place")
    try:
        old = rds.describe_cluster(plan.aside)
        if old is None or _owned(plan, old):
            return
        _retag(rds, old, {tagkeys.BASE: tagkeys.GOLDEN})
        rds.rename_cluster(plan.aside, plan.base)
    except ActionError as failed:
        wf.warning(
            f"'{plan.aside}' could not be renamed back to '{plan.base}': {failed.message} Rename it in the "
            "RDS console, or run refresh-base again: until then PR workflows find no golden copy.",
            title="aurora-clone: golden copy not in place",
        )


def _leftovers(plan: BasePlan, wf: Workflow, rds: RdsGateway, budget: Budget) -> bool:
    """What an interrupted refresh left renamed aside (`<base>-o...`): the newest goes back under
    base-cluster's name when that name is free (it was the golden copy), the others are deleted.
    True when one was put back."""
    prefix = f"{plan.base}-o"
    aside = sorted(
        (
            cluster
            for cluster in rds.list_clusters()
            if str(cluster.get("DBClusterIdentifier", "")).startswith(prefix)
            and not _owned(plan, cluster)
            and tagkeys.tag_map(cluster).get(tagkeys.SOURCE) == plan.source
            and cluster.get("Status") != "deleting"
        ),
        key=lambda cluster: str(cluster["DBClusterIdentifier"]),
    )
    if aside and rds.describe_cluster(plan.base) is None:
        newest = aside.pop()
        ident = str(newest["DBClusterIdentifier"])
        wf.log(
            f"'{plan.base}' is missing and '{ident}' is the golden copy an earlier refresh left aside: "
            "putting it back"
        )
        _retag(rds, newest, {tagkeys.BASE: tagkeys.GOLDEN})
        _rename(rds, wf, plan, ident, plan.base, budget)
        put_back = True
    else:
        put_back = False
    for cluster in aside:
        ident = str(cluster["DBClusterIdentifier"])
        wf.log(f"'{ident}' is a golden copy an earlier refresh renamed aside and left behind: deleting it")
        if tagkeys.tag_map(cluster).get(tagkeys.BASE) != tagkeys.ASIDE:
            _retag(rds, cluster, {tagkeys.BASE: tagkeys.ASIDE})  # never delete a cluster tagged base=true
        _delete(rds, plan, ident, budget, wf)
    return put_back


def _rename(rds: RdsGateway, wf: Workflow, plan: BasePlan, old: str, new: str, budget: Budget) -> None:
    """Rename one of refresh-base's clusters, checked on a fresh describe; wait until done."""
    fresh = rds.describe_cluster(old)
    problem = _owned(plan, fresh) if fresh is not None else f"'{old}' does not exist"
    if problem:
        raise SafetyError(f"Refused to rename '{old}' to '{new}': {problem}.")
    wf.log(f"Renaming '{old}' to '{new}'")
    rds.retry_while_busy(
        partial(rds.rename_cluster, old, new), what=f"rename '{old}' to '{new}'", budget=budget, backoff=False
    )
    if rds.wait_until_available(new, budget) is None:
        raise CloneStateError(f"'{new}' was deleted while this run renamed it.")


def _retag(rds: RdsGateway, cluster: Resource, values: dict[str, str]) -> None:
    """Set some of refresh-base's tags on a cluster and its instances (the others stay)."""
    tags = {**tagkeys.tag_map(cluster), **values}
    keep = (tagkeys.MANAGED, tagkeys.REPOSITORY, tagkeys.SOURCE, tagkeys.EXPIRES_AT, tagkeys.BASE)
    listed = [{"Key": key, "Value": tags[key]} for key in keep if key in tags]
    rds.retag(str(cluster["DBClusterArn"]), listed)
    for instance in rds.cluster_instances(str(cluster["DBClusterIdentifier"])):
        rds.retag(str(instance["DBInstanceArn"]), listed)


def _delete(rds: RdsGateway, plan: BasePlan, ident: str, budget: Budget, wf: Workflow) -> None:
    """Start deleting one of refresh-base's clusters, with teardown's checks (never the base itself)."""
    from .teardown import Owner, start_deletion

    deletion = start_deletion(rds, ident, Owner(plan.repository, tagkeys.NO_PR, plan.source), budget=budget)
    if deletion.found:
        wf.log(
            f"Deleting '{ident}' (instances: {', '.join(deletion.instances) or 'none'}), no final snapshot"
        )


def _print_plan(plan: BasePlan, wf: Workflow, current: Resource | None) -> None:
    wf.log(f"Dry run: would clone '{plan.source}' into '{plan.candidate}' and prepare it:")
    for line in prepare.describe_plan(plan.prep):
        wf.log(f"  {line}")
    if current is not None:
        wf.log(
            f"then rename '{plan.base}' to '{plan.aside}', '{plan.candidate}' to '{plan.base}', "
            f"and delete '{plan.aside}'"
        )
    else:
        wf.log(f"then rename '{plan.candidate}' to '{plan.base}' (there is no golden copy yet)")
    wf.set_output("action", "clone")  # the contract's values: a refresh makes a clone
    wf.set_output("cluster-id", plan.base)
    wf.summary(
        f"### Golden copy: dry run\n\nWould refresh `{plan.base}` from `{plan.source}`. Nothing was changed."
    )


def _report(plan: BasePlan, wf: Workflow, rds: RdsGateway, ran: list[prepare.Ran], replaced: bool) -> None:
    from .clone_report import cluster_outputs

    cluster = rds.describe_cluster(plan.base) or {"DBClusterIdentifier": plan.base}
    values = {**cluster_outputs(cluster, True, plan.inputs.database), "sql-report": prepare.report_json(ran)}
    for name, value in values.items():
        wf.set_output(name, value)
    section, row = prepare.summary(plan.prep, ran)
    rows = [
        ("Golden copy", f"`{plan.base}`, made now from `{plan.source}`"),
        (
            "Replaced",
            f"the previous copy, renamed `{plan.aside}` and deleted"
            if replaced
            else "nothing (the first one)",
        ),
        ("Endpoint", f"`{values['endpoint']}`"),
        row,
        ("PR workflows", f"clone it with `source-cluster: {plan.base}`"),
    ]
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    wf.log(f"Golden copy '{plan.base}' refreshed from '{plan.source}' ({plan.prep.digest})")
    wf.summary(f"### Golden copy refreshed: `{plan.base}`\n\n| | |\n|---|---|\n{table}\n\n{section}")
