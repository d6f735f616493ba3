"""RDS states: which ones pass by themselves, and what to do about the ones that do not.

From the Aurora User Guide, "Viewing DB cluster status" and "Viewing DB instance status"
(https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html).
Waiting goes on only through an allow-list of states that lead back to `available` by
themselves, as terraform-provider-aws's waiters do: any other state, including one AWS adds
later, ends the wait at once with the state named.
"""

from __future__ import annotations

from ..errors import (
    BEING_DELETED_FIX,
    CAPACITY_FIX,
    KMS_KEY_FIX,
    NETWORK_FIX,
    PARAMETERS_FIX,
    cloning_failed_fix,
    state_fix,
    stopped_fix,
    undeletable_fix,
)

READY = "available"

# States that turn into `available` without anyone acting.
TRANSIENT = frozenset(
    {
        "creating",
        "backing-up",
        "backtracking",
        "modifying",
        "rebooting",
        "upgrading",
        "maintenance",
        "renaming",
        "resetting-master-credentials",
        "storage-optimization",
        "storage-initialization",
        "storage-config-upgrade",
        "starting",
        "failing-over",
        "promoting",
        "update-iam-db-auth",
        "migrating",
        "converting-to-vpc",
        "moving-to-vpc",
    }
)
TRANSIENT_PREFIXES = ("configuring-",)  # configuring-enhanced-monitoring, -iam-database-auth, -log-exports

# States that change by themselves, though not into `available`: a refusal in one of these
# is worth retrying (a stopping cluster can be started once stopped, a deleting one goes away).
SETTLING = frozenset({"stopping", "deleting", "delete-precheck"})
DELETING = frozenset({"deleting", "delete-precheck"})

STOPPED = frozenset({"stopped", "stopping"})


def is_transient(status: str) -> bool:
    """True for a state that leads to `available` by itself: worth waiting through."""
    return status in TRANSIENT or status.startswith(TRANSIENT_PREFIXES)


def settles(status: str) -> bool:
    """True for a state RDS leaves by itself (transient, stopping, deleting)."""
    return is_transient(status) or status in SETTLING


def explain(kind: str, ident: str, status: str, *, deleting: bool = False) -> tuple[str, str]:
    """(what it means, how to fix it) for a state that will not turn into `available` by itself.

    `deleting`: the action was deleting the clone, so the fix is not to delete it.
    """
    if deleting and status not in STOPPED:
        return (
            f"RDS will not delete it while it is '{status}', and that state does not pass by itself.",
            undeletable_fix(ident),
        )
    if status == "cloning-failed":
        return ("RDS could not make the clone.", cloning_failed_fix(ident))
    if status in STOPPED:
        return (
            f"Someone stopped the {kind}; RDS does not start it again for up to seven days.",
            stopped_fix(ident),
        )
    if status in DELETING:
        return (
            f"The {kind} is being deleted, by a teardown or purge (the pull request was closed or "
            "lost its label) or by hand; this run neither adds to it nor makes it again.",
            BEING_DELETED_FIX,
        )
    if status == "insufficient-capacity":
        return (
            "AWS has no capacity for this instance class in the clone's Availability Zone right now.",
            CAPACITY_FIX,
        )
    if status.startswith("inaccessible-encryption-credentials"):
        return ("RDS cannot use the KMS key that encrypts the source and its clones.", KMS_KEY_FIX)
    if status == "incompatible-network":
        return (
            "The clone's subnet group or VPC cannot take the instance (no free IP addresses, or a "
            "subnet or security group is gone).",
            NETWORK_FIX,
        )
    if status == "incompatible-parameters":
        return ("The parameter group holds values the clone's instance cannot start with.", PARAMETERS_FIX)
    if status == "storage-full":
        return ("The instance ran out of storage.", state_fix(ident))
    return (f"RDS reports '{status}', a state that does not turn into available by itself.", state_fix(ident))
