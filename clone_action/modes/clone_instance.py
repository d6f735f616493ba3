"""The clone's one DB instance: its name checked before the clone, added, or reused after a lost answer."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..clock import Budget
from ..config import Inputs
from ..errors import (
    INSTANCE_NAME_TAKEN_FIX,
    INSTANCE_VANISHED_FIX,
    SCALING_REFUSED_FIX,
    AccessDenied,
    CloneStateError,
    SafetyError,
)
from ..workflow import Workflow
from .clone_source import scaling

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from .clone import ClonePlan


def add_instance(
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
        try:
            rds.retry_while_busy(
                partial(rds.set_scaling, plan.clone_id, config),
                what=f"set the scaling configuration of '{plan.clone_id}'",
                budget=budget,
                backoff=False,
            )
        except AccessDenied as exc:
            # Pointing at the policy's Allow statement would mislead: its Deny refuses this.
            raise AccessDenied(
                f"{exc.message}. '{plan.clone_id}' was made with a provisioned instance-class and "
                "needs a Serverless v2 scaling configuration before its db.serverless instance.",
                cause=exc.cause,
                fix=SCALING_REFUSED_FIX,
            ) from exc
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
        reuse_instance(rds, wf, plan)
    else:
        wf.log(f"Added the DB instance '{plan.instance_id}' ({inputs.instance_class})")


def instance_problem(instance: Resource, plan: ClonePlan) -> str | None:
    """Why this instance is not the clone's own; None when it is."""
    if instance.get("DBClusterIdentifier") != plan.clone_id:
        return f"it belongs to the cluster '{instance.get('DBClusterIdentifier') or '(none)'}'"
    return tagkeys.ownership_problem(instance, repository=plan.repository, pr=plan.pr, source=plan.source)


def instance_taken(plan: ClonePlan, problem: str, changed: str) -> SafetyError:
    return SafetyError(
        f"A DB instance named '{plan.instance_id}' already exists and is not this clone's: "
        f"{problem}. {changed}",
        fix=INSTANCE_NAME_TAKEN_FIX,
    )


def check_instance_name(rds: RdsGateway, plan: ClonePlan) -> None:
    """Before a new clone: RDS names instances region-wide, and the clone's name must be free."""
    instance = rds.describe_instance(plan.instance_id)
    problem = instance_problem(instance, plan) if instance is not None else None
    if problem:
        raise instance_taken(plan, problem, "Nothing was changed.")


def reuse_instance(rds: RdsGateway, wf: Workflow, plan: ClonePlan) -> None:
    """RDS says the instance exists: an answer lost on the way (an SDK retry, a cancelled run) or a
    racing run made it. It is the clone's own when it is a member of the clone, with our tags."""
    instance = rds.describe_instance(plan.instance_id)
    if instance is None:
        raise CloneStateError(
            f"RDS said the DB instance '{plan.instance_id}' exists, then that it does not.",
            fix=INSTANCE_VANISHED_FIX,
        )
    problem = instance_problem(instance, plan)
    if problem:
        raise instance_taken(
            plan,
            problem,
            f"Someone made it after this run looked; the clone '{plan.clone_id}' has no instance "
            "(remove the label to delete it).",
        )
    wf.log(
        f"The DB instance '{plan.instance_id}' exists already (an earlier request's answer was lost, "
        "or another run added it): reusing it"
    )
