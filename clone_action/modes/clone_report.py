"""What a clone run shows: the dry-run plan, the step outputs, the job summary and the manifests."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..aws import tags as tagkeys
from ..config import Inputs
from ..context import RunContext
from ..workflow import Workflow, md_cell
from .clone_source import RestoreRequest, scaling

if TYPE_CHECKING:
    from ..aws.rds import Resource
    from .clone import ClonePlan


def database_url(cluster: Any, database: str = "") -> str:
    """postgresql://USER@HOST:PORT/[DATABASE] or mysql://...; never a password. DATABASE is the
    `database` input (the one mask and sql ran in), when given."""
    scheme = "postgresql" if "postgres" in str(cluster.get("Engine", "")) else "mysql"
    user = quote(str(cluster.get("MasterUsername", "")), safe="")
    name = quote(database, safe="")
    return f"{scheme}://{user}@{cluster.get('Endpoint', '')}:{cluster.get('Port', '')}/{name}"


def golden_copy(source: Resource | None) -> str:
    """Which refresh of a golden copy the clone was cut from; '' when the source is not one."""
    tags = tagkeys.tag_map(source or {})
    if tags.get(tagkeys.BASE) != tagkeys.GOLDEN:
        return ""
    made = (source or {}).get("ClusterCreateTime")
    when = f"refreshed {made:%Y-%m-%d %H:%M} UTC" if isinstance(made, datetime) else "refresh time unknown"
    return f"cut from the masked golden copy, {when} (prepared `{tags.get(tagkeys.PREPARED, '?')}`)"


def console_url(region: str, cluster_id: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/rds/home?region={region}"
        f"#database:id={cluster_id};is-cluster=true"
    )


def manifest_values(cluster: Resource, database: str = "") -> dict[str, str]:
    """What the manifest-set placeholders stand for."""
    return {
        "endpoint": str(cluster.get("Endpoint", "")),
        "reader_endpoint": str(cluster.get("ReaderEndpoint", "")),
        "port": str(cluster.get("Port", "")),
        "cluster_id": str(cluster["DBClusterIdentifier"]),
        "engine": str(cluster.get("Engine", "")),
        "database_url": database_url(cluster, database),
    }


def patch_manifests(
    inputs: Inputs, ctx: RunContext, wf: Workflow, plan: ClonePlan, cluster: Resource
) -> None:
    """Write the clone's endpoint into the manifests: every file or none."""
    from .. import manifest

    changes = manifest.plan_patch(
        ctx.workspace, inputs.manifest, plan.rules, manifest_values(cluster, inputs.database)
    )
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


def show_manifest_diff(
    inputs: Inputs, ctx: RunContext, wf: Workflow, plan: ClonePlan, existing: Resource | None
) -> None:
    """A dry run's diff of the manifests: the existing clone's values, else placeholders."""
    from .. import manifest

    values = manifest_values(existing, inputs.database) if existing else manifest.placeholder_values()
    changes = manifest.plan_patch(ctx.workspace, inputs.manifest, plan.rules, values)
    known = "" if existing else " (placeholder values: the clone does not exist yet)"
    wf.log(f"The manifests would change like this{known}:")
    wf.verbatim(manifest.diff(changes) or "(no change)")


def print_plan(
    inputs: Inputs,
    wf: Workflow,
    plan: ClonePlan,
    source: Resource,
    existing: Resource | None,
    request: RestoreRequest,
    sharing: int,
) -> None:
    """The dry run's account of what a clone would do: the restore request as it would be sent."""
    settings = request.settings
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
    lines.append("  tags:            " + ", ".join(f"{t['Key']}={t['Value']}" for t in request.tags))
    for line in lines:
        wf.log(line)


def cluster_outputs(cluster: Resource, created: bool, database: str = "") -> dict[str, str]:
    """The step outputs that say where a clone is (a PR's clone, or a golden copy)."""
    return {
        "action": "clone",  # also for a reset and a refresh-base: the contract's values
        "cluster-id": str(cluster["DBClusterIdentifier"]),
        "cluster-arn": str(cluster.get("DBClusterArn", "")),
        "endpoint": str(cluster.get("Endpoint", "")),
        "reader-endpoint": str(cluster.get("ReaderEndpoint", "")),
        "port": str(cluster.get("Port", "")),
        "engine": str(cluster.get("Engine", "")),
        "status": str(cluster.get("Status", "")),
        "created": "true" if created else "false",
        "database-url": database_url(cluster, database),
    }


def report(
    wf: Workflow,
    region: str,
    plan: ClonePlan,
    cluster: Resource,
    created: bool,
    secret_arn: str,
    copy_kind: str = "",
    source: Resource | None = None,
) -> list[tuple[str, str]]:
    """Step outputs and the job summary; returns the summary's rows (for the PR comment)."""
    values = cluster_outputs(cluster, created, plan.inputs.database)
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
        *([("Golden copy", golden)] if (golden := golden_copy(source)) else []),
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
