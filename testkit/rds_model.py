"""RDS error codes and states as AWS defines them, for fault injection that cannot be typed wrong.

Codes come from botocore's RDS service model (data/rds/2014-10-31/service-2.json): a fault is
named by its shape, and the code sent on the wire is read from the model, since the two differ
(InvalidDBInstanceStateFault is sent as InvalidDBInstanceState). States come from the Aurora
User Guide, "Viewing DB cluster status" and "Viewing DB instance status"
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.awsrequest import AWSResponse

# Aurora User Guide tables (2026-11).
CLUSTER_STATES = frozenset(
    {
        "available", "backing-up", "backtracking", "cloning-failed", "creating", "deleting",
        "failing-over", "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable", "maintenance", "migrating",
        "migration-failed", "modifying", "promoting", "preparing-data-migration", "renaming",
        "resetting-master-credentials", "starting", "stopped", "stopping", "storage-optimization",
        "update-iam-db-auth", "upgrading", "upgrade-failed",
    }
)  # fmt: skip
INSTANCE_STATES = frozenset(
    {
        "available", "backing-up", "backtracking", "configuring-enhanced-monitoring",
        "configuring-iam-database-auth", "configuring-log-exports", "converting-to-vpc", "creating",
        "delete-precheck", "deleting", "failed", "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable", "incompatible-create",
        "incompatible-network", "incompatible-option-group", "incompatible-parameters",
        "incompatible-restore", "insufficient-capacity", "maintenance", "modifying", "moving-to-vpc",
        "rebooting", "resetting-master-credentials", "renaming", "restore-error", "starting",
        "stopped", "stopping", "storage-config-upgrade", "storage-full", "storage-initialization",
        "storage-optimization", "upgrading", "upgrade-failed",
    }
)  # fmt: skip
# MasterUserSecret.SecretStatus (Aurora User Guide, "Password management with Aurora and AWS
# Secrets Manager").
SECRET_STATES = frozenset({"creating", "active", "rotating", "impaired"})

# Codes outside the RDS model. AWS's common errors for RDS
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html), with their HTTP
# status, and the codes RDS is seen to send instead (AccessDenied with 403 for an IAM denial,
# Throttling for "Rate exceeded"; the older common list has InvalidClientTokenId).
COMMON_ERRORS = {
    "AccessDeniedException": 403,
    "ExpiredTokenException": 403,
    "IncompleteSignature": 400,
    "InternalFailure": 500,
    "InvalidParameterCombination": 400,
    "InvalidParameterValue": 400,
    "MissingAuthenticationToken": 403,
    "NotAuthorized": 401,
    "OptInRequired": 403,
    "RequestExpired": 400,
    "ServiceUnavailable": 503,
    "ThrottlingException": 400,
    "UnrecognizedClientException": 403,
    "ValidationError": 400,
}
THROTTLING = "Throttling"  # what RDS answers when its API rate is exceeded ("Rate exceeded")
SEEN_FROM_RDS = {
    "AccessDenied": 403,
    THROTTLING: 400,
    "InvalidClientTokenId": 403,
    "ExpiredToken": 403,
    "SignatureDoesNotMatch": 403,
}


@cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("rds")


def faults() -> dict[str, Any]:
    """Every fault shape of the RDS model, by shape name."""
    model = service_model()
    return {
        name: model.shape_for(name)
        for name in model.shape_names
        if model.shape_for(name).metadata.get("exception")
    }


def wire_code(shape: str) -> str:
    """The code RDS sends for a fault shape; KeyError for a name that is not a fault of the model."""
    return str(faults()[shape].error_code)


def wire_codes() -> set[str]:
    return {str(shape.error_code) for shape in faults().values()}


def _respond(code: str, status: int, message: str) -> Callable[..., Any]:
    def respond(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://rds", status, {}, None), {  # type: ignore[arg-type]
            "Error": {"Code": code, "Message": message, "Type": "Sender"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    return respond


def fault(shape: str, message: str = "") -> Callable[..., Any]:
    """A before-call hook: RDS answers the operation with this fault, coded as on the wire."""
    error = faults()[shape].metadata.get("error", {})
    return _respond(wire_code(shape), int(error.get("httpStatusCode", 400)), message or shape)


def common_error(code: str, message: str = "") -> Callable[..., Any]:
    """A before-call hook: an error outside the RDS model (AccessDenied, Throttling, InternalFailure)."""
    status = {**COMMON_ERRORS, **SEEN_FROM_RDS}[code]
    return _respond(code, status, message or code)


def statuses(ident: str, sequence: list[str], kind: str = "cluster") -> Callable[..., None]:
    """An after-call hook: each describe of `ident` reports the next state (the last one sticks).

    Only states the Aurora User Guide lists are accepted.
    """
    known = CLUSTER_STATES if kind == "cluster" else INSTANCE_STATES
    unknown = [s for s in sequence if s not in known]
    assert not unknown, f"not an Aurora {kind} state: {unknown}"
    remaining = list(sequence)
    key, id_key, status_key = (
        ("DBClusters", "DBClusterIdentifier", "Status")
        if kind == "cluster"
        else ("DBInstances", "DBInstanceIdentifier", "DBInstanceStatus")
    )

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get(key) or []:
            if item.get(id_key) == ident:
                item[status_key] = remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return rewrite


def busy(
    kind: str, ident: str, state: str, times: int, message: str = ""
) -> tuple[Callable[..., None], Callable[..., Any]]:
    """RDS refusing a change to `ident` while it is in `state`: (describe hook, refusal hook).

    Register the first on after-call of DescribeDBClusters/DescribeDBInstances and the second on
    before-call of the refused operation. Every describe reports `state` until the attempt after
    the last of `times` refusals, which RDS takes: the refusal and the state agree, as on AWS,
    where InvalidDBClusterStateFault / InvalidDBInstanceStateFault come from a state that forbids
    the change. Calls about other resources pass untouched.
    """
    report = statuses(ident, [state], kind=kind)
    shape = "InvalidDBClusterStateFault" if kind == "cluster" else "InvalidDBInstanceStateFault"
    refusal = fault(shape, message or f"{kind} {ident} is in {state} state")
    left = [times]

    def describe(parsed: dict[str, Any], **kwargs: Any) -> None:
        if left[0] >= 0:
            report(parsed=parsed, **kwargs)

    def refuse(params: dict[str, Any], **kwargs: Any) -> Any:
        body = params.get("body") or {}
        target = body.get("DBInstanceIdentifier") if kind == "instance" else body.get("DBClusterIdentifier")
        if target != ident:
            return None
        left[0] -= 1
        return refusal(**kwargs) if left[0] >= 0 else None

    return describe, refuse
