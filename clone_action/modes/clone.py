"""Clone mode: a copy-on-write clone of the source cluster, with one DB instance, made ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..aws import tags as tagkeys
from ..aws.states import READY, explain, is_transient
from ..clock import Budget
from ..comment import publish
from ..config import Inputs
from ..context import Route, RunContext, confirm
from ..errors import CLONE_AGAIN, DELETED_MEANWHILE, AccessDenied, CloneStateError, InputError, SafetyError
from ..naming import instance_id, resolve_clone_id
from ..workflow import Workflow, md_cell

if TYPE_CHECKING:
    from .. import manifest
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock


@dataclass(frozen=True)
class ClonePlan:
    """Everything clone will do, decided before any AWS call."""

    source: str
    clone_id: str
    instance_id: str
    repository: str
    pr: int
    expires_at: datetime
    tags: list[dict[str, str]]
    rules: tuple[manifest.Rule, ...] = ()


def plan_clone(inputs: Inputs, ctx: RunContext, now: datetime) -> ClonePlan:
    """Check what only a clone needs and fix its identifiers; raises InputError."""
    # Every problem is collected and reported at once, before the AWS SDK is imported.
    problems: list[str] = []
    if inputs.manage_master_password and not inputs.wait:
        problems.append(
            "manage-master-password: needs wait: true, since RDS changes the password only once the "
            "clone is available; remove wait: false"
        )
    try:
        pr, clone_id = resolve_clone_id(inputs, ctx, "clone")
    except InputError as exc:
        problems += exc.problems
    # The manifests are patched in memory with placeholder values now, so that a missing file,
    # a file that does not parse or a rule that resolves nowhere stops the run before the clone.
    rules: list[manifest.Rule] = []
    if inputs.manifest or inputs.manifest_set:
        from .. import manifest  # ruamel.yaml only when there is something to patch

        try:
            rules = manifest.parse_rules(inputs.manifest_set)
            manifest.plan_patch(ctx.workspace, inputs.manifest, rules, manifest.placeholder_values())
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    expires_at = now + inputs.ttl
    return ClonePlan(
        rules=tuple(rules),
        source=inputs.source_cluster,
        clone_id=clone_id,
        instance_id=instance_id(clone_id),
        repository=ctx.repository,
        pr=pr,
        expires_at=expires_at,
        tags=tagkeys.clone_tags(
            repository=ctx.repository,
            pr=pr,
            source=inputs.source_cluster,
            expires_at=expires_at,
            extra=inputs.tags,
        ),
    )


def database_url(cluster: Any) -> str:
    """postgresql://USER@HOST:PORT/ or mysql://USER@HOST:PORT/; never a password."""
    scheme = "postgresql" if "postgres" in str(cluster.get("Engine", "")) else "mysql"
    user = quote(str(cluster.get("MasterUsername", "")), safe="")
    return f"{scheme}://{user}@{cluster.get('Endpoint', '')}:{cluster.get('Port', '')}/"


def console_url(region: str, cluster_id: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/rds/home?region={region}"
        f"#database:id={cluster_id};is-cluster=true"
    )


def scaling(inputs: Inputs) -> dict[str, float | int] | None:
    if not inputs.serverless:
        return None
    config: dict[str, float | int] = {"MinCapacity": inputs.min_capacity, "MaxCapacity": inputs.max_capacity}
    if inputs.seconds_until_auto_pause is not None:
        config["SecondsUntilAutoPause"] = inputs.seconds_until_auto_pause
    return config


# Aurora User Guide, "Limitations of Aurora cloning" and the engines this action supports.
ENGINES = ("aurora-postgresql", "aurora-mysql")
COPY_ON_WRITE_LIMIT = 15  # "After you have 15 clones, the next clone that you create is a full copy."


def source_problems(source: Resource, name: str) -> list[str]:
    """Why RDS cannot make a copy-on-write clone of this source with an instance; [] when it can."""
    problems: list[str] = []
    engine = str(source.get("Engine", ""))
    status = str(source.get("Status", ""))
    if engine not in ENGINES:
        problems.append(
            f"'{name}' is a {engine or 'non-Aurora'} cluster: the action clones Aurora PostgreSQL and "
            "Aurora MySQL clusters only (not DocumentDB, Neptune or RDS Multi-AZ DB clusters); "
            "set source-cluster to an Aurora cluster"
        )
    if source.get("EngineMode") == "serverless":
        problems.append(
            f"'{name}' is an Aurora Serverless v1 cluster (EngineMode serverless), which has reached "
            "its end of life and takes no DB instances; upgrade it to Serverless v2 or provisioned"
        )
    if not source.get("DBClusterMembers"):
        problems.append(
            f"'{name}' has no DB instances, and RDS clones only a cluster with at least one; "
            "add an instance to the source"
        )
    if status != READY:
        problems.append(
            f"'{name}' is '{status}', and RDS clones only an available cluster; start the source "
            "(or wait until it is available) and re-run the job"
        )
    return problems


def serverless_problems(inputs: Inputs, engine: str, version: str, features: Any) -> list[str]:
    """What the source's engine version cannot do of the Serverless v2 inputs; [] when all is fine.

    `features` is DescribeDBEngineVersions' ServerlessV2FeaturesSupport (absent: no Serverless v2).
    """
    where = f"the source runs {engine} {version}"
    if not features:
        return [
            f"instance-class: db.serverless needs an engine version with Aurora Serverless v2, and "
            f"{where}, which has none; set instance-class to a provisioned class such as "
            "db.r6g.large, got 'db.serverless'"
        ]
    problems = []
    least = float(features.get("MinCapacity", 0.5))
    most = float(features.get("MaxCapacity", 256))
    if inputs.min_capacity < least:
        problems.append(
            f"min-capacity: {where}, which allows at least {least:g} ACU (auto-pause at 0 needs "
            "Aurora PostgreSQL 13.15, 14.12, 15.7, 16.3 or later, or Aurora MySQL 3.08 or later); "
            f"set min-capacity: {least:g}, got '{inputs.min_capacity:g}'"
        )
    if inputs.max_capacity > most:
        problems.append(
            f"max-capacity: {where}, which allows at most {most:g} ACU; set max-capacity: {most:g} "
            f"or less, got '{inputs.max_capacity:g}'"
        )
    return problems


def restore_settings(inputs: Inputs, source: Resource) -> dict[str, Any]:
    """RestoreDBClusterToPointInTime's optional parameters: the inputs, else the source's values.

    RDS does not take these from the source by itself: without them the clone gets the default
    security group, the engine's default port, `aurora` storage and paid Extended Support.
    """
    settings: dict[str, Any] = {}
    subnet_group = inputs.db_subnet_group or str(source.get("DBSubnetGroup") or "")
    if subnet_group:
        settings["DBSubnetGroupName"] = subnet_group
    security_groups = list(inputs.security_group_ids) or [
        str(g["VpcSecurityGroupId"]) for g in source.get("VpcSecurityGroups") or []
    ]
    if security_groups:
        settings["VpcSecurityGroupIds"] = security_groups
    parameter_group = inputs.db_cluster_parameter_group or str(source.get("DBClusterParameterGroup") or "")
    if parameter_group:
        settings["DBClusterParameterGroupName"] = parameter_group
    settings["EnableIAMDatabaseAuthentication"] = bool(source.get("IAMDatabaseAuthenticationEnabled"))
    if source.get("Port"):
        settings["Port"] = int(source["Port"])
    # RDS leaves StorageType out of a describe when it is `aurora`, the restore's default too.
    if source.get("StorageType"):
        settings["StorageType"] = str(source["StorageType"])
    if source.get("EngineLifecycleSupport"):
        settings["EngineLifecycleSupport"] = str(source["EngineLifecycleSupport"])
    config = scaling(inputs)
    if config:
        settings["ServerlessV2ScalingConfiguration"] = config
    return settings


def _check_existing(plan: ClonePlan, existing: Resource) -> None:
    """An existing cluster with the clone's id is reused only when it is this PR's clone."""
    problem = tagkeys.ownership_problem(existing, repository=plan.repository, pr=plan.pr, source=plan.source)
    if problem:
        raise SafetyError(
            f"A cluster named '{plan.clone_id}' already exists and is not this pull request's "
            f"clone: {problem}. Nothing was changed.",
            fix="Set clone-id to a template that names a new cluster, e.g. '{source}-{repo}-pr-{pr}'.",
        )
    status = str(existing.get("Status", ""))
    if status != READY and not is_transient(status):
        meaning, fix = explain("cluster", plan.clone_id, status)
        raise CloneStateError(f"The existing clone '{plan.clone_id}' is '{status}': {meaning}", fix=fix)


def _check_source(inputs: Inputs, wf: Workflow, rds: RdsGateway, plan: ClonePlan) -> Resource:
    """The source, described, if RDS can clone it with these inputs; raises before any change."""
    source = rds.describe_cluster(plan.source)
    if source is None:
        raise CloneStateError(
            f"The source cluster '{plan.source}' was not found in the region {rds.region}.",
            fix="Check source-cluster, and aws-region in aws-actions/configure-aws-credentials.",
        )
    problems = source_problems(source, plan.source)
    if problems:
        raise CloneStateError(
            f"RDS cannot clone '{plan.source}'; nothing was changed:\n"
            + "\n".join(f"- {p}" for p in problems),
            fix="Do what each line says, or set source-cluster to another cluster.",
        )
    if inputs.serverless:
        engine, version = str(source["Engine"]), str(source.get("EngineVersion", ""))
        try:
            described = rds.engine_version(engine, version)
        except AccessDenied as exc:
            # A role made before this check lacks the action: RDS still refuses what is wrong.
            wf.warning(
                f"Could not check what Aurora Serverless v2 allows on {engine} {version}: {exc.message}. "
                "Add rds:DescribeDBEngineVersions to the role (examples/iam/) to have bad capacity "
                "inputs reported before the clone is made.",
                title="aurora-clone: Serverless v2 limits not checked",
            )
            described = None
        if described is not None:
            problems = serverless_problems(
                inputs, engine, version, described.get("ServerlessV2FeaturesSupport")
            )
            if problems:
                raise InputError(problems)
    return source


def _warn_at_copy_limit(rds: RdsGateway, wf: Workflow, plan: ClonePlan, source: Resource) -> int:
    """How many clusters already share the source's copy-on-write storage; a warning at the limit."""
    group = str(source.get("CloneGroupId") or "")
    if not group:
        return 0
    others = rds.clone_group_size(group) - 1
    if others >= COPY_ON_WRITE_LIMIT:
        wf.warning(
            f"'{plan.source}' already shares its storage with {others} copy-on-write clones, and Aurora "
            f"makes at most {COPY_ON_WRITE_LIMIT}: RDS will make '{plan.clone_id}' as a full copy, which "
            "takes hours and is billed for its full storage. Delete clones that are no longer needed "
            "(mode: purge) before cloning.",
            title="aurora-clone: copy-on-write limit reached",
        )
    return others


def _copy_kind(rds: RdsGateway, wf: Workflow, plan: ClonePlan, source: Resource, cluster: Resource) -> str:
    """'copy-on-write', or 'full copy' (with a warning) when RDS put the clone in a clone group of its own."""
    group = str(cluster.get("CloneGroupId") or "")
    if not group:
        return ""
    # A source cloned for the first time gets its clone group id with this clone.
    source_group = str(source.get("CloneGroupId") or "") or str(
        (rds.describe_cluster(plan.source) or {}).get("CloneGroupId") or ""
    )
    if not source_group or group == source_group:
        return "copy-on-write"
    wf.warning(
        f"RDS made '{plan.clone_id}' as a full copy of '{plan.source}', not copy-on-write (its clone "
        f"group {group} is not the source's {source_group}): it has storage of its own, billed in full. "
        f"The source has reached Aurora's limit of {COPY_ON_WRITE_LIMIT} copy-on-write clones; delete "
        "clones that are no longer needed (mode: purge).",
        title="aurora-clone: full copy",
    )
    return "full copy"


def run(
    inputs: Inputs,
    ctx: RunContext,
    wf: Workflow,
    rds: RdsGateway,
    clock: Clock,
    plan: ClonePlan,
) -> None:
    """Execute the plan: reuse or create the clone, add its instance, wait, report."""
    budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
    source = _check_source(inputs, wf, rds, plan)
    settings = restore_settings(inputs, source)

    existing = rds.describe_cluster(plan.clone_id)
    if existing is not None:
        _check_existing(plan, existing)
    else:
        _check_instance_name(rds, plan)
    sharing = _warn_at_copy_limit(rds, wf, plan, source) if existing is None else 0

    if inputs.dry_run:
        _print_plan(inputs, wf, plan, source, existing, settings, sharing)
        if plan.rules:
            from .. import manifest

            values = manifest_values(existing) if existing else manifest.placeholder_values()
            changes = manifest.plan_patch(ctx.workspace, inputs.manifest, plan.rules, values)
            known = "" if existing else " (placeholder values: the clone does not exist yet)"
            wf.log(f"The manifests would change like this{known}:")
            wf.verbatim(manifest.diff(changes) or "(no change)")
        wf.set_output("action", "clone")
        wf.set_output("cluster-id", plan.clone_id)
        wf.summary(
            f"### Aurora clone: dry run\n\nWould {'reuse' if existing else 'create'} "
            f"`{plan.clone_id}` from `{plan.source}`. Nothing was changed."
        )
        return

    created = existing is None
    if existing is None:
        wf.log(f"Cloning '{plan.source}' into '{plan.clone_id}' (copy-on-write)")
        cluster = rds.restore_clone(
            source=plan.source, clone_id=plan.clone_id, tags=plan.tags, settings=settings
        )
        if cluster is None:
            # Another run created it between our look and our restore: treat it as existing.
            cluster = rds.describe_cluster(plan.clone_id)
            if cluster is None:
                raise CloneStateError(f"RDS says '{plan.clone_id}' exists but cannot describe it.")
            _check_existing(plan, cluster)
            created = False
        elif _closed_meanwhile(inputs, ctx, wf, rds, plan, budget):
            return
    else:
        cluster = existing
        wf.log(f"Reusing the clone '{plan.clone_id}' ({existing.get('Status')})")
        rds.ledger.found = f"The clone '{plan.clone_id}' existed before this run ({existing.get('Status')})."
        _extend_expiry(rds, wf, plan, existing)

    if not cluster.get("DBClusterMembers"):
        _add_instance(inputs, wf, rds, plan, cluster, created, budget)

    if inputs.wait:
        wf.log(
            f"Waiting for the clone (at most {inputs.timeout_minutes} min, "
            f"checking every {inputs.poll_interval}s)"
        )
        # A clone that already has its own secret is waited for once, secret included.
        has_secret = inputs.manage_master_password and bool(own_secret(cluster, source))
        cluster = _wait(rds, plan, budget, secret=has_secret)
    copy_kind = _copy_kind(rds, wf, plan, source, cluster) if created else ""
    secret_arn = own_secret(cluster, source)
    if inputs.manage_master_password and inputs.wait and not secret_arn:
        cluster, secret_arn = _give_own_password(rds, wf, plan, budget)
    rows = _report(wf, rds.region, plan, cluster, created, secret_arn, copy_kind)
    if plan.rules:
        _patch_manifests(inputs, ctx, wf, plan, cluster)
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


def _add_instance(
    inputs: Inputs,
    wf: Workflow,
    rds: RdsGateway,
    plan: ClonePlan,
    cluster: Resource,
    created: bool,
    budget: Budget,
) -> None:
    """Add the clone's DB instance, retried while RDS says the new cluster is not ready for it."""
    if not created:
        wf.log("The clone has no DB instance (an earlier run stopped early): adding it now")
    config = scaling(inputs)
    if config and not created and not cluster.get("ServerlessV2ScalingConfiguration"):
        # RDS adds no db.serverless instance to a cluster without a scaling configuration, and a
        # clone made earlier with a provisioned instance-class has none.
        wf.log(
            f"Giving '{plan.clone_id}' a Serverless v2 scaling configuration before its "
            "db.serverless instance"
        )
        rds.retry_while_busy(
            partial(rds.set_scaling, plan.clone_id, config),
            what=f"set the scaling configuration of '{plan.clone_id}'",
            budget=budget,
            backoff=False,
        )
    added = rds.retry_while_busy(
        partial(
            rds.create_instance,
            cluster=cluster,
            instance_id=plan.instance_id,
            instance_class=inputs.instance_class,
            publicly_accessible=inputs.publicly_accessible,
            tags=plan.tags,
        ),
        what=f"add the instance to '{plan.clone_id}'",
        budget=budget,
        backoff=False,
    )
    if added is None:
        _reuse_instance(rds, wf, plan)
    else:
        wf.log(f"Added the DB instance '{plan.instance_id}' ({inputs.instance_class})")


def _instance_problem(instance: Resource, plan: ClonePlan) -> str | None:
    """Why this instance is not the clone's own; None when it is."""
    if instance.get("DBClusterIdentifier") != plan.clone_id:
        return f"it belongs to the cluster '{instance.get('DBClusterIdentifier') or '(none)'}'"
    return tagkeys.ownership_problem(instance, repository=plan.repository, pr=plan.pr, source=plan.source)


def _instance_taken(plan: ClonePlan, problem: str, changed: str) -> SafetyError:
    return SafetyError(
        f"A DB instance named '{plan.instance_id}' already exists and is not this clone's: "
        f"{problem}. {changed}",
        fix="Set clone-id to a template that names a new cluster, e.g. '{source}-{repo}-pr-{pr}' "
        "(the instance is named after the clone).",
    )


def _check_instance_name(rds: RdsGateway, plan: ClonePlan) -> None:
    """Before a new clone: RDS names instances region-wide, and the clone's name must be free."""
    instance = rds.describe_instance(plan.instance_id)
    problem = _instance_problem(instance, plan) if instance is not None else None
    if problem:
        raise _instance_taken(plan, problem, "Nothing was changed.")


def _reuse_instance(rds: RdsGateway, wf: Workflow, plan: ClonePlan) -> None:
    """RDS says the instance exists: an answer lost on the way (an SDK retry, a cancelled run) or a
    racing run made it. It is the clone's own when it is a member of the clone, with our tags."""
    instance = rds.describe_instance(plan.instance_id)
    if instance is None:
        raise CloneStateError(
            f"RDS said the DB instance '{plan.instance_id}' exists, then that it does not.",
            fix="Re-run the job: it adds the instance again.",
        )
    problem = _instance_problem(instance, plan)
    if problem:
        raise _instance_taken(
            plan,
            problem,
            f"Someone made it after this run looked; the clone '{plan.clone_id}' has no instance "
            "(remove the label to delete it).",
        )
    wf.log(
        f"The DB instance '{plan.instance_id}' exists already (an earlier request's answer was lost, "
        "or another run added it): reusing it"
    )


def _wait(rds: RdsGateway, plan: ClonePlan, budget: Budget, *, secret: bool = False) -> Resource:
    """The clone once it and its instance are available (and its own secret, with `secret`)."""
    ready = rds.wait_until_available(plan.clone_id, budget, secret=secret)
    if ready is None:
        raise CloneStateError(
            f"The clone '{plan.clone_id}' was deleted while the action waited for it.",
            cause=DELETED_MEANWHILE,
            fix=CLONE_AGAIN,
        )
    return ready[0]


def manifest_values(cluster: Resource) -> dict[str, str]:
    """What the manifest-set placeholders stand for."""
    return {
        "endpoint": str(cluster.get("Endpoint", "")),
        "reader_endpoint": str(cluster.get("ReaderEndpoint", "")),
        "port": str(cluster.get("Port", "")),
        "cluster_id": str(cluster["DBClusterIdentifier"]),
        "engine": str(cluster.get("Engine", "")),
        "database_url": database_url(cluster),
    }


def _patch_manifests(
    inputs: Inputs, ctx: RunContext, wf: Workflow, plan: ClonePlan, cluster: Resource
) -> None:
    """Write the clone's endpoint into the manifests: every file or none."""
    from .. import manifest

    changes = manifest.plan_patch(ctx.workspace, inputs.manifest, plan.rules, manifest_values(cluster))
    written = manifest.apply_patch(changes)
    wf.set_output("manifest-files", "\n".join(written))
    for change in changes:
        state = "patched" if change.relative in written else "already up to date"
        count = len(change.applied)
        wf.log(f"Manifest {change.relative}: {state} ({count} rule{'' if count == 1 else 's'} applied)")
    rows = "\n".join(
        f"| `{md_cell(c.relative)}` | {'patched' if c.relative in written else 'unchanged'} | "
        + "<br>".join(f"`{md_cell(rule)}`" for rule in c.applied)
        + " |"
        for c in changes
    )
    wf.summary(f"#### Manifests\n\n| file | result | rules applied |\n|---|---|---|\n{rows}")


def _extend_expiry(rds: RdsGateway, wf: Workflow, plan: ClonePlan, cluster: Resource) -> None:
    """A rerun on an active PR counts the clone's lifetime again from now (clone and its instances)."""
    rds.retag(str(cluster["DBClusterArn"]), plan.tags)
    for instance in rds.cluster_instances(plan.clone_id):
        if not tagkeys.ownership_problem(
            instance, repository=plan.repository, pr=plan.pr, source=plan.source
        ):
            rds.retag(str(instance["DBInstanceArn"]), plan.tags)
    cluster["TagList"] = plan.tags
    wf.log(f"The clone now expires at {tagkeys.format_expiry(plan.expires_at)}")


def own_secret(cluster: Resource, source: Resource) -> str:
    """The ARN of the clone's own managed master-user secret; '' when it has none of its own."""
    arn = str((cluster.get("MasterUserSecret") or {}).get("SecretArn") or "")
    inherited = str((source.get("MasterUserSecret") or {}).get("SecretArn") or "")
    return arn if arn != inherited else ""


def _give_own_password(
    rds: RdsGateway, wf: Workflow, plan: ClonePlan, budget: Budget
) -> tuple[Resource, str]:
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
    cluster = _wait(rds, plan, budget, secret=True)
    return cluster, str((cluster.get("MasterUserSecret") or {}).get("SecretArn") or "")


def _print_plan(
    inputs: Inputs,
    wf: Workflow,
    plan: ClonePlan,
    source: Resource,
    existing: Resource | None,
    settings: dict[str, Any],
    sharing: int,
) -> None:
    verb = f"reuse the existing clone (status {existing.get('Status')})" if existing else "create"
    wf.log(f"Dry run: nothing will be changed. The action would {verb}:")
    engine = f"{source.get('Engine')} {source.get('EngineVersion', '')}".strip()
    lines = [
        f"  clone:           {plan.clone_id} (copy-on-write from {plan.source}, {engine})",
        f"  instance:        {plan.instance_id} ({inputs.instance_class})",
        f"  subnet group:    {settings.get('DBSubnetGroupName') or '(RDS default)'}",
        f"  security groups: {', '.join(settings.get('VpcSecurityGroupIds') or []) or '(VPC default)'}",
        f"  parameter group: {settings.get('DBClusterParameterGroupName') or '(RDS default)'}",
        f"  port:            {settings.get('Port') or '(engine default)'}",
        f"  storage type:    {settings.get('StorageType') or 'aurora'}",
    ]
    if settings.get("EngineLifecycleSupport"):
        lines.append(f"  lifecycle:       {settings['EngineLifecycleSupport']}")
    config = scaling(inputs)
    if config:
        lines.append("  capacity:        " + ", ".join(f"{k}={v:g}" for k, v in config.items()))
    if not existing and source.get("CloneGroupId"):
        lines.append(f"  clone group:     {sharing} copy-on-write clones of the source already")
    lines.append("  tags:            " + ", ".join(f"{t['Key']}={t['Value']}" for t in plan.tags))
    for line in lines:
        wf.log(line)


def _report(
    wf: Workflow,
    region: str,
    plan: ClonePlan,
    cluster: Resource,
    created: bool,
    secret_arn: str,
    copy_kind: str = "",
) -> list[tuple[str, str]]:
    """Step outputs and the job summary; returns the summary's rows (for the PR comment)."""
    values = {
        "action": "clone",
        "cluster-id": str(cluster["DBClusterIdentifier"]),
        "cluster-arn": str(cluster.get("DBClusterArn", "")),
        "endpoint": str(cluster.get("Endpoint", "")),
        "reader-endpoint": str(cluster.get("ReaderEndpoint", "")),
        "port": str(cluster.get("Port", "")),
        "engine": str(cluster.get("Engine", "")),
        "status": str(cluster.get("Status", "")),
        "created": "true" if created else "false",
        "database-url": database_url(cluster),
    }
    if secret_arn:
        values["master-user-secret-arn"] = secret_arn
    for name, value in values.items():
        wf.set_output(name, value)
    expiry = tagkeys.tag_map(cluster).get(tagkeys.EXPIRES_AT, tagkeys.format_expiry(plan.expires_at))
    ready = values["status"] == "available"
    wf.log(
        f"Clone '{values['cluster-id']}' is {values['status']}: "
        f"{values['endpoint']}:{values['port']} ({'created' if created else 'reused'})"
    )
    rows = [
        ("Cluster", f"`{values['cluster-id']}` ({'created by this run' if created else 'reused'})"),
        ("Endpoint", f"`{values['endpoint']}`"),
        ("Reader endpoint", f"`{values['reader-endpoint']}`"),
        ("Port", values["port"]),
        ("Engine", f"{values['engine']} {cluster.get('EngineVersion', '')}".strip()),
        ("Database URL", f"`{values['database-url']}` (no password)"),
        ("Status", values["status"]),
        ("Expires", f"{expiry} (a purge may delete it after this)"),
        ("Source", f"`{plan.source}`"),
        *(
            [("Storage", "copy-on-write: only the pages it changes cost extra")]
            if copy_kind == "copy-on-write"
            else [("Storage", ":warning: a full copy of the source (Aurora's copy-on-write limit)")]
            if copy_kind
            else []
        ),
        (
            "Master password",
            f"its own, kept by RDS in Secrets Manager: `{secret_arn}`"
            if secret_arn
            else "the source's (set `manage-master-password: true` to give the clone its own)",
        ),
        ("Console", f"[Open in the RDS console]({console_url(region, values['cluster-id'])})"),
    ]
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    heading = "ready" if ready else "being created"
    wf.summary(f"### Aurora clone {heading}: `{values['cluster-id']}`\n\n| | |\n|---|---|\n{table}")
    return rows
