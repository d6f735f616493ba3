"""What RDS can clone, and the restore request: checks of the source, decided once it is described."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..aws import tags as tagkeys
from ..aws.states import READY, explain, is_transient
from ..config import Inputs
from ..errors import (
    CANNOT_CLONE_FIX,
    NAME_TAKEN_FIX,
    SOURCE_NOT_FOUND_FIX,
    AccessDenied,
    CloneStateError,
    InputError,
    SafetyError,
)
from ..workflow import Workflow

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from .clone import ClonePlan


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


@dataclass(frozen=True)
class RestoreRequest:
    """RestoreDBClusterToPointInTime as this run would send it: a dry run prints it, a clone sends it."""

    source: str
    clone_id: str
    tags: list[dict[str, str]]
    settings: dict[str, Any]


def restore_request(inputs: Inputs, plan: ClonePlan, source: Resource) -> RestoreRequest:
    """The request for this plan, with the source's settings where the inputs give none."""
    return RestoreRequest(plan.source, plan.clone_id, plan.tags, restore_settings(inputs, source))


def check_existing(plan: ClonePlan, existing: Resource) -> None:
    """An existing cluster with the clone's id is reused only when it is this PR's clone."""
    problem = tagkeys.ownership_problem(existing, repository=plan.repository, pr=plan.pr, source=plan.source)
    if problem:
        raise SafetyError(
            f"A cluster named '{plan.clone_id}' already exists and is not this pull request's "
            f"clone: {problem}. Nothing was changed.",
            fix=NAME_TAKEN_FIX,
        )
    status = str(existing.get("Status", ""))
    if status != READY and not is_transient(status):
        meaning, fix = explain("cluster", plan.clone_id, status)
        raise CloneStateError(f"The existing clone '{plan.clone_id}' is '{status}': {meaning}", fix=fix)


def check_source(inputs: Inputs, wf: Workflow, rds: RdsGateway, plan: ClonePlan) -> Resource:
    """The source, described, if RDS can clone it with these inputs; raises before any change."""
    source = rds.describe_cluster(plan.source)
    if source is None:
        raise CloneStateError(
            f"The source cluster '{plan.source}' was not found in the region {rds.region}.",
            fix=SOURCE_NOT_FOUND_FIX,
        )
    problems = source_problems(source, plan.source)
    if problems:
        raise CloneStateError(
            f"RDS cannot clone '{plan.source}'; nothing was changed:\n"
            + "\n".join(f"- {p}" for p in problems),
            fix=CANNOT_CLONE_FIX,
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


def warn_at_copy_limit(rds: RdsGateway, wf: Workflow, plan: ClonePlan, source: Resource) -> int:
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


def copy_kind(rds: RdsGateway, wf: Workflow, plan: ClonePlan, source: Resource, cluster: Resource) -> str:
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
