"""What the example roles can and cannot do, by a small IAM evaluator over examples/iam/.

The evaluator decides one request against one policy: an explicit Deny of any statement wins,
else every resource of the request needs an Allow. It knows Action and Resource/NotResource
and NotAction with `*` and `?`, and the condition operators StringEquals, StringNotEquals,
StringLike, StringNotLike, ArnLike, Bool, BoolIfExists, Null and ForAnyValue:StringEquals; any
other operator fails the test. It does not model: policy variables, other policies of the role (SCPs,
permission boundaries, session policies), case-insensitive key names, multi-valued keys other
than ForAnyValue, and how RDS builds a request's context: each row below names the resources
and keys the Service Authorization Reference lists for its action, and for DeleteDBCluster a
final snapshot ARN named after the clone (which ARN RDS checks for `cluster-snapshot*` when no
final snapshot is taken is not documented), and for a rename (ModifyDBCluster with
NewDBClusterIdentifier) the cluster as it is named before the rename (the reference lists one
`cluster*` resource; whether RDS also checks the new name's ARN is not documented).
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PR_ROLE = "clone-teardown-policy.json"
PURGE_ROLE = "purge-policy.json"
REFRESH_ROLE = "refresh-base-policy.json"
BASE_PR_ROLE = "pr-from-base-policy.json"
A = "arn:aws:rds:eu-west-1:123456789012:"
SOURCE = A + "cluster:shop-production"
SOURCE_WRITER = A + "db:shop-production-instance-1"
CLONE = A + "cluster:shop-production-pr-7"
CLONE_INSTANCE = A + "db:shop-production-pr-7-1"
SM = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:"
SECRET = SM + "rds!cluster-0a1b2c-AbCdEf"
SOURCE_SECRET = SM + "rds!cluster-9f8e7d-GhIjKl"
OTHER_SECRET = SM + "rds!cluster-5c4b3a-MnOpQr"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OURS = {"aurora-clone/managed": "true", "aurora-clone/repository": "acme/shop", "aurora-clone/pr": "7"}
THEIRS = {**OURS, "aurora-clone/repository": "acme/billing"}
NOTHING: dict[str, str] = {}
# refresh-base's clusters: the golden copy, the next one being made, the previous one renamed aside.
GOLDEN = A + "cluster:shop-golden"
CANDIDATE = A + "cluster:shop-golden-r2611260123"
CANDIDATE_INSTANCE = A + "db:shop-golden-r2611260123-1"
ASIDE = A + "cluster:shop-golden-o2611260123"
GOLDEN_INSTANCE = A + "db:shop-golden-r2611250123-1"  # instances keep the name they were made with
GOLDEN_SECRET = SM + "rds!cluster-7e6d5c-StUvWx"
CANDIDATE_SECRET = SM + "rds!cluster-3c2b1a-YzAbCd"
GOLDEN_CLONE = A + "cluster:shop-golden-pr-7"
GOLDEN_CLONE_INSTANCE = A + "db:shop-golden-pr-7-1"
MINE = {
    "aurora-clone/managed": "true",
    "aurora-clone/repository": "acme/shop",
    "aurora-clone/source": "shop-production",
}
DIGEST = {"aurora-clone/prepared": "0a1b2c3d4e5f"}
BEING_MADE = {**MINE, "aurora-clone/base": "next", "aurora-clone/prepared": "pending-0a1b2c3d4e5f"}
MADE_NEXT = {**BEING_MADE, **DIGEST}  # prepared and verified, not yet swapped in
IN_PLACE = {**MINE, "aurora-clone/base": "true", **DIGEST}
SET_ASIDE = {**MINE, "aurora-clone/base": "aside", **DIGEST}


def managed_secret_of(cluster_arn: str) -> dict[str, str]:
    """The tags RDS puts on a cluster's managed master-user secret (AWS CLI reference, list-secrets
    example 3; AmazonRDSServiceRolePolicy's SecretsManagerTags). No one else can set an aws: tag."""
    return {"aws:rds:primaryDBClusterArn": cluster_arn, "aws:secretsmanager:owningService": "rds"}


def request_tags(tags: dict[str, str]) -> dict[str, Any]:
    return {f"aws:RequestTag/{k}": v for k, v in tags.items()}


@dataclass(frozen=True)
class Call:
    """One request: the action, each resource with its tags (NOTHING: untagged or not made yet),
    and the request's own condition keys."""

    action: str
    resources: dict[str, dict[str, str]]
    keys: dict[str, Any] = field(default_factory=dict)


def as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, bool)) else list(value)


def _string(op: str, present: bool, actual: Any, wanted: list[str]) -> bool:
    if op == "StringNotLike":
        return not present or not any(fnmatch.fnmatchcase(str(actual), w) for w in wanted)
    if op == "StringEquals":
        return present and str(actual) in wanted
    if op == "StringNotEquals":
        return not present or str(actual) not in wanted
    if op in ("StringLike", "ArnLike"):
        return present and any(fnmatch.fnmatchcase(str(actual), w) for w in wanted)
    if op in ("Bool", "BoolIfExists"):
        if not present:
            return op == "BoolIfExists"
        return str(actual).lower() in [w.lower() for w in wanted]
    if op == "Null":
        return (not present) == (wanted == ["true"])
    if op == "ForAnyValue:StringEquals":
        return present and bool(set(as_list(actual)) & set(wanted))
    raise AssertionError(f"the evaluator does not model the condition operator {op}")


def conditions_hold(condition: dict[str, dict[str, Any]], keys: dict[str, Any]) -> bool:
    """Every operator, every key of it (AND), any of its values (OR)."""
    return all(
        _string(
            op,
            key in keys,
            keys.get(key),
            [str(v).lower() if op == "Null" else str(v) for v in as_list(want)],
        )
        for op, pairs in condition.items()
        for key, want in pairs.items()
    )


def matches(statement: dict[str, Any], action: str, arn: str, keys: dict[str, Any]) -> bool:
    named = any(
        fnmatch.fnmatch(action.lower(), a.lower())
        for a in as_list(statement.get("Action", statement.get("NotAction", [])))
    )
    if named == ("NotAction" in statement):
        return False
    if "NotResource" in statement:
        if any(fnmatch.fnmatchcase(arn, r) for r in as_list(statement["NotResource"])):
            return False
    elif not any(fnmatch.fnmatchcase(arn, r) for r in as_list(statement["Resource"])):
        return False
    return conditions_hold(statement.get("Condition", {}), keys)


def evaluate(policy: str, call: Call) -> tuple[bool, list[str]]:
    """(allowed, why): the Sids that deny it, or of the Allows used; 'no Allow for ARN' if none."""
    statements = json.loads((ROOT / "examples" / "iam" / policy).read_text())["Statement"]
    denied: list[str] = []
    allowed: list[str] = []
    missing: list[str] = []
    for arn, tags in call.resources.items():
        keys = {**call.keys, **{f"aws:ResourceTag/{k}": v for k, v in tags.items()}}
        hits = [s for s in statements if matches(s, call.action, arn, keys)]
        denied += [s["Sid"] for s in hits if s["Effect"] == "Deny" and s["Sid"] not in denied]
        allows = [s["Sid"] for s in hits if s["Effect"] == "Allow"]
        allowed += [sid for sid in allows[:1] if sid not in allowed]
        if not allows:
            missing.append(f"no Allow for {arn}")
    if denied:
        return False, denied
    if missing:
        return False, missing
    return True, allowed


RESTORE = {
    SOURCE: NOTHING,
    CLONE: NOTHING,
    A + "subgrp:shop-private": NOTHING,
    A + "cluster-pg:shop-aurora-postgresql16": NOTHING,
    A + "og:default:aurora-postgresql-16": NOTHING,
}
NEW_INSTANCE = {CLONE_INSTANCE: NOTHING, CLONE: OURS, A + "subgrp:shop-private": NOTHING}

# Every call the action makes with the PR role (clone, teardown) and the purge role: allowed.
MADE = [
    (PR_ROLE, "read clusters", Call("rds:DescribeDBClusters", {"*": NOTHING})),
    (PR_ROLE, "read engine versions", Call("rds:DescribeDBEngineVersions", {"*": NOTHING})),
    (PR_ROLE, "clone the source", Call("rds:RestoreDBClusterToPointInTime", RESTORE, request_tags(OURS))),
    (PR_ROLE, "its tags on create", Call("rds:AddTagsToResource", {CLONE: NOTHING}, request_tags(OURS))),
    (PR_ROLE, "add the instance", Call("rds:CreateDBInstance", NEW_INSTANCE, request_tags(OURS))),
    (
        PR_ROLE,
        "tag it on create",
        Call("rds:AddTagsToResource", {CLONE_INSTANCE: NOTHING}, request_tags(OURS)),
    ),
    (PR_ROLE, "extend the expiry", Call("rds:AddTagsToResource", {CLONE: OURS}, request_tags(OURS))),
    (
        PR_ROLE,
        "its own password",
        Call("rds:ModifyDBCluster", {CLONE: OURS}, {"rds:ManageMasterUserPassword": True}),
    ),
    (PR_ROLE, "RDS makes its secret", Call("secretsmanager:CreateSecret", {SECRET: NOTHING})),
    (PR_ROLE, "and tags it", Call("secretsmanager:TagResource", {SECRET: NOTHING})),
    (
        PR_ROLE,
        "with the Secrets Manager key",
        Call("kms:DescribeKey", {KEY: NOTHING}, {"kms:ResourceAliases": ["alias/aws/secretsmanager"]}),
    ),
    (PR_ROLE, "start a stopped clone", Call("rds:StartDBCluster", {CLONE: OURS})),
    (PR_ROLE, "enable its Data API", Call("rds:EnableHttpEndpoint", {CLONE: OURS})),
    (PR_ROLE, "mask and run SQL in it", Call("rds-data:ExecuteStatement", {CLONE: OURS})),
    (
        PR_ROLE,
        "with its own secret",
        Call("secretsmanager:GetSecretValue", {SECRET: managed_secret_of(CLONE)}),
    ),
    (
        PR_ROLE,
        "mark it prepared",
        Call(
            "rds:AddTagsToResource",
            {CLONE: OURS},
            request_tags({**OURS, "aurora-clone/prepared": "0a1b2c3d4e5f"}),
        ),
    ),
    (PR_ROLE, "delete its instance", Call("rds:DeleteDBInstance", {CLONE_INSTANCE: OURS})),
    (
        PR_ROLE,
        "delete the clone",
        Call(
            "rds:DeleteDBCluster", {CLONE: OURS, A + "cluster-snapshot:shop-production-pr-7-final": NOTHING}
        ),
    ),
    (PURGE_ROLE, "list clusters", Call("rds:DescribeDBClusters", {"*": NOTHING})),
    (
        PURGE_ROLE,
        "start a clone of any source",
        Call("rds:StartDBCluster", {A + "cluster:shop-staging-pr-3": OURS}),
    ),
    (PURGE_ROLE, "delete its instance", Call("rds:DeleteDBInstance", {A + "db:shop-staging-pr-3-1": OURS})),
    (
        PURGE_ROLE,
        "delete it",
        Call(
            "rds:DeleteDBCluster",
            {A + "cluster:shop-staging-pr-3": OURS, A + "cluster-snapshot:x-final": NOTHING},
        ),
    ),
    (
        PURGE_ROLE,
        "delete a golden copy renamed aside and left behind",
        Call("rds:DeleteDBCluster", {ASIDE: SET_ASIDE, A + "cluster-snapshot:x-final": NOTHING}),
    ),
]


def cut_from_the_golden_copy(call: Call) -> Call:
    """The PR role's call as the role of PR clones cut from the golden copy makes it."""
    names = {
        SOURCE: GOLDEN,
        CLONE: GOLDEN_CLONE,
        CLONE_INSTANCE: GOLDEN_CLONE_INSTANCE,
        A + "cluster-snapshot:shop-production-pr-7-final": A + "cluster-snapshot:shop-golden-pr-7-final",
    }
    resources = {}
    for arn, tags in call.resources.items():
        if arn == SOURCE:
            tags = IN_PLACE  # the golden copy, tagged as refresh-base leaves it
        elif arn == SECRET:
            tags = managed_secret_of(GOLDEN_CLONE)
        resources[names.get(arn, arn)] = tags
    return Call(call.action, resources, call.keys)


MADE += [(BASE_PR_ROLE, what, cut_from_the_golden_copy(call)) for role, what, call in MADE if role == PR_ROLE]

NEXT_SNAPSHOT = A + "cluster-snapshot:shop-golden-r2611260123-final"
ASIDE_SNAPSHOT = A + "cluster-snapshot:shop-golden-o2611260123-final"
RETAGGED = dict(MINE)  # what refresh-base's retag sends besides the base tag (no digest)
# Production is the source of a restore as it is, with its own tags (never the action's).
REFRESH_RESTORE = {
    **{CANDIDATE if arn == CLONE else arn: tags for arn, tags in RESTORE.items()},
    SOURCE: {"env": "production"},
}
MADE += [
    (REFRESH_ROLE, "read clusters", Call("rds:DescribeDBClusters", {"*": NOTHING})),
    (REFRESH_ROLE, "read the source's engine version", Call("rds:DescribeDBEngineVersions", {"*": NOTHING})),
    (
        REFRESH_ROLE,
        "clone the source into the next golden copy",
        Call(
            "rds:RestoreDBClusterToPointInTime",
            REFRESH_RESTORE,
            request_tags(BEING_MADE),
        ),
    ),
    (
        REFRESH_ROLE,
        "its tags on create",
        Call("rds:AddTagsToResource", {CANDIDATE: NOTHING}, request_tags(BEING_MADE)),
    ),
    (
        REFRESH_ROLE,
        "add its instance",
        Call(
            "rds:CreateDBInstance",
            {CANDIDATE_INSTANCE: NOTHING, CANDIDATE: BEING_MADE, A + "subgrp:shop-private": NOTHING},
            request_tags(BEING_MADE),
        ),
    ),
    (
        REFRESH_ROLE,
        "tag the instance on create",
        Call("rds:AddTagsToResource", {CANDIDATE_INSTANCE: NOTHING}, request_tags(BEING_MADE)),
    ),
    (
        REFRESH_ROLE,
        "its own password",
        Call("rds:ModifyDBCluster", {CANDIDATE: BEING_MADE}, {"rds:ManageMasterUserPassword": True}),
    ),
    (REFRESH_ROLE, "RDS makes its secret", Call("secretsmanager:CreateSecret", {CANDIDATE_SECRET: NOTHING})),
    (REFRESH_ROLE, "and tags it", Call("secretsmanager:TagResource", {CANDIDATE_SECRET: NOTHING})),
    (
        REFRESH_ROLE,
        "with the Secrets Manager key",
        Call("kms:DescribeKey", {KEY: NOTHING}, {"kms:ResourceAliases": ["alias/aws/secretsmanager"]}),
    ),
    (REFRESH_ROLE, "enable its Data API", Call("rds:EnableHttpEndpoint", {CANDIDATE: BEING_MADE})),
    (REFRESH_ROLE, "mask it and verify", Call("rds-data:ExecuteStatement", {CANDIDATE: BEING_MADE})),
    (
        REFRESH_ROLE,
        "with its own secret",
        Call("secretsmanager:GetSecretValue", {CANDIDATE_SECRET: managed_secret_of(CANDIDATE)}),
    ),
    (
        REFRESH_ROLE,
        "mark it prepared",
        Call("rds:AddTagsToResource", {CANDIDATE: BEING_MADE}, request_tags(MADE_NEXT)),
    ),
    (
        REFRESH_ROLE,
        "mark its instance prepared",
        Call("rds:AddTagsToResource", {CANDIDATE_INSTANCE: BEING_MADE}, request_tags(MADE_NEXT)),
    ),
    (
        REFRESH_ROLE,
        "turn its Data API off once prepared",
        Call("rds:DisableHttpEndpoint", {CANDIDATE: MADE_NEXT}),
    ),
    (REFRESH_ROLE, "rename the golden copy aside", Call("rds:ModifyDBCluster", {GOLDEN: IN_PLACE})),
    (
        REFRESH_ROLE,
        "tag it aside",
        Call(
            "rds:AddTagsToResource",
            {ASIDE: IN_PLACE},
            request_tags({**RETAGGED, "aurora-clone/base": "aside"}),
        ),
    ),
    (
        REFRESH_ROLE,
        "tag its instance aside",
        Call(
            "rds:AddTagsToResource",
            {GOLDEN_INSTANCE: IN_PLACE},
            request_tags({**RETAGGED, "aurora-clone/base": "aside"}),
        ),
    ),
    (
        REFRESH_ROLE,
        "or tag it aside first, then rename it",
        Call("rds:ModifyDBCluster", {GOLDEN: SET_ASIDE}),
    ),
    (REFRESH_ROLE, "rename the new one into place", Call("rds:ModifyDBCluster", {CANDIDATE: MADE_NEXT})),
    (
        REFRESH_ROLE,
        "tag it the golden copy",
        Call(
            "rds:AddTagsToResource",
            {GOLDEN: MADE_NEXT},
            request_tags({**RETAGGED, "aurora-clone/base": "true"}),
        ),
    ),
    (
        REFRESH_ROLE,
        "put the old one back after a failed swap",
        Call("rds:ModifyDBCluster", {ASIDE: SET_ASIDE}),
    ),
    (REFRESH_ROLE, "start the one set aside if stopped", Call("rds:StartDBCluster", {ASIDE: SET_ASIDE})),
    (REFRESH_ROLE, "delete its instance", Call("rds:DeleteDBInstance", {GOLDEN_INSTANCE: SET_ASIDE})),
    (
        REFRESH_ROLE,
        "delete the one set aside",
        Call("rds:DeleteDBCluster", {ASIDE: SET_ASIDE, ASIDE_SNAPSHOT: NOTHING}),
    ),
    (
        REFRESH_ROLE,
        "delete a new one whose masking failed",
        Call("rds:DeleteDBCluster", {CANDIDATE: BEING_MADE, NEXT_SNAPSHOT: NOTHING}),
    ),
    (
        REFRESH_ROLE,
        "and the new one's instance",
        Call("rds:DeleteDBInstance", {CANDIDATE_INSTANCE: BEING_MADE}),
    ),
]


@pytest.mark.parametrize(("policy", "what", "call"), MADE, ids=[f"{p[:5]}: {w}" for p, w, _ in MADE])
def test_every_call_the_action_makes_is_allowed(policy: str, what: str, call: Call) -> None:
    allowed, why = evaluate(policy, call)
    assert allowed, f"{what}: {why}"


NEVER = "NeverChangeTheSource"
NOT_MADE = "NeverChangeWhatTheActionDidNotMake"
PASSWORD = "NeverSetAKnownMasterPassword"
SOURCE_PASSWORD = "NeverReadTheSourcesSecret"
PRODUCTION = "NeverTouchTheProductionCluster"  # the role of PR clones cut from the golden copy
CLONE_ONLY = "NeverTouchTheSourceButToCloneIt"  # the refresh role
GOLDEN_COPIES = "NeverChangeAGoldenCopy"  # the role of PR clones cut from the golden copy
KEEP_GOLDEN = "NeverDeleteTheGoldenCopy"  # the refresh and purge roles
MANAGED_PASSWORD = "NeverTurnOffAManagedPassword"  # the refresh role
EXFIL = A + "cluster-snapshot:exfil"
FROM_PRODUCTION = {GOLDEN_CLONE if arn == CLONE else arn: tags for arn, tags in RESTORE.items()}
FROM_CANDIDATE = {CANDIDATE if arn == SOURCE else arn: tags for arn, tags in FROM_PRODUCTION.items()}
FROM_CANDIDATE[CANDIDATE] = BEING_MADE

# Calls the roles must never be able to make, and what denies each: the Deny statements named,
# or no Allow (the resource named is outside every Allow). README "Security" shows this table.
REFUSED = [
    (PR_ROLE, "delete an untagged cluster named like a clone",
     Call("rds:DeleteDBCluster", {A + "cluster:shop-production-pr-9": NOTHING}), [NOT_MADE]),
    (PR_ROLE, "delete another repository's clone",
     Call("rds:DeleteDBCluster", {CLONE: THEIRS}), [f"no Allow for {CLONE}"]),
    (PR_ROLE, "delete the source",
     Call("rds:DeleteDBCluster", {SOURCE: NOTHING}), [NEVER, NOT_MADE]),
    (PR_ROLE, "delete the source's instance",
     Call("rds:DeleteDBInstance", {SOURCE_WRITER: NOTHING}), [NOT_MADE]),
    (PR_ROLE, "modify the source's instance (make it public)",
     Call("rds:ModifyDBInstance", {SOURCE_WRITER: NOTHING}), [NOT_MADE]),
    (PR_ROLE, "reboot the source's writer",
     Call("rds:RebootDBInstance", {SOURCE_WRITER: NOTHING}), [NOT_MADE]),
    (PR_ROLE, "set a known master password on the source",
     Call("rds:ModifyDBCluster", {SOURCE: NOTHING}), [NEVER, NOT_MADE, PASSWORD]),
    (PR_ROLE, "give the source a managed password",
     Call("rds:ModifyDBCluster", {SOURCE: NOTHING}, {"rds:ManageMasterUserPassword": True}), [NEVER, NOT_MADE]),
    (PR_ROLE, "set a known master password on our own clone",
     Call("rds:ModifyDBCluster", {CLONE: OURS}), [PASSWORD]),
    (PR_ROLE, "turn off the clone's managed password (to set one)",
     Call("rds:ModifyDBCluster", {CLONE: OURS}, {"rds:ManageMasterUserPassword": False}), [PASSWORD]),
    (PR_ROLE, "give our clone another parameter group",
     Call("rds:ModifyDBCluster", {CLONE: OURS, A + "cluster-pg:logs-everything": NOTHING},
          {"rds:ManageMasterUserPassword": True}), [f"no Allow for {A}cluster-pg:logs-everything"]),
    (PR_ROLE, "retag another repository's clone as ours",
     Call("rds:AddTagsToResource", {CLONE: THEIRS}, request_tags(OURS)), [f"no Allow for {CLONE}"]),
    (PR_ROLE, "hand our clone to another repository",
     Call("rds:AddTagsToResource", {CLONE: OURS}, request_tags(THEIRS)), [f"no Allow for {CLONE}"]),
    (PR_ROLE, "tag the source as a clone",
     Call("rds:AddTagsToResource", {SOURCE: NOTHING}, request_tags(OURS)), [NEVER]),
    (PR_ROLE, "tag the source's instance as a clone",
     Call("rds:AddTagsToResource", {SOURCE_WRITER: NOTHING}, request_tags(OURS)), [f"no Allow for {SOURCE_WRITER}"]),
    (PR_ROLE, "remove a clone's tags",
     Call("rds:RemoveTagsFromResource", {CLONE: OURS}, {"aws:TagKeys": ["aurora-clone/managed"]}),
     [f"no Allow for {CLONE}"]),
    (PR_ROLE, "delete a snapshot",
     Call("rds:DeleteDBClusterSnapshot", {A + "cluster-snapshot:shop-production-pr-7-final": NOTHING}),
     [f"no Allow for {A}cluster-snapshot:shop-production-pr-7-final"]),
    (PR_ROLE, "snapshot the source (to copy it elsewhere)",
     Call("rds:CreateDBClusterSnapshot", {SOURCE: NOTHING, A + "cluster-snapshot:exfil": NOTHING}),
     [f"no Allow for {SOURCE}", f"no Allow for {A}cluster-snapshot:exfil"]),
    (PR_ROLE, "clone another cluster",
     Call("rds:RestoreDBClusterToPointInTime",
          {**RESTORE, A + "cluster:billing-production": NOTHING}, request_tags(OURS)),
     [f"no Allow for {A}cluster:billing-production"]),
    (PR_ROLE, "clone without the clone's tags",
     Call("rds:RestoreDBClusterToPointInTime", RESTORE), [f"no Allow for {arn}" for arn in RESTORE]),
    (PR_ROLE, "clone into another subnet group",
     Call("rds:RestoreDBClusterToPointInTime",
          {**RESTORE, A + "subgrp:public-subnets": NOTHING}, request_tags(OURS)),
     [f"no Allow for {A}subgrp:public-subnets"]),
    (PR_ROLE, "start an untagged stopped cluster",
     Call("rds:StartDBCluster", {A + "cluster:analytics": NOTHING}), [NOT_MADE]),
    (PR_ROLE, "enable the Data API on the source",
     Call("rds:EnableHttpEndpoint", {SOURCE: NOTHING}), [NEVER, NOT_MADE]),
    (PR_ROLE, "enable the Data API on an untagged cluster named like a clone",
     Call("rds:EnableHttpEndpoint", {A + "cluster:shop-production-pr-9": NOTHING}), [NOT_MADE]),
    (PR_ROLE, "enable the Data API on another repository's clone",
     Call("rds:EnableHttpEndpoint", {CLONE: THEIRS}), [f"no Allow for {CLONE}"]),
    (PR_ROLE, "run SQL in the source",
     Call("rds-data:ExecuteStatement", {SOURCE: NOTHING}), [NEVER]),
    (PR_ROLE, "run SQL in an untagged cluster",
     Call("rds-data:ExecuteStatement", {A + "cluster:analytics": NOTHING}), [f"no Allow for {A}cluster:analytics"]),
    (PR_ROLE, "run SQL in another repository's clone",
     Call("rds-data:ExecuteStatement", {CLONE: THEIRS}), [f"no Allow for {CLONE}"]),
    (PR_ROLE, "read the source's master password (its RDS-managed secret)",
     Call("secretsmanager:GetSecretValue", {SOURCE_SECRET: managed_secret_of(SOURCE)}), [SOURCE_PASSWORD]),
    (PR_ROLE, "read another cluster's RDS-managed secret",
     Call("secretsmanager:GetSecretValue", {OTHER_SECRET: managed_secret_of(A + "cluster:billing-production")}),
     [f"no Allow for {OTHER_SECRET}"]),
    (PR_ROLE, "read a secret named like RDS's that RDS did not tag",
     Call("secretsmanager:GetSecretValue", {SECRET: NOTHING}), [f"no Allow for {SECRET}"]),
    (PR_ROLE, "read any other secret",
     Call("secretsmanager:GetSecretValue", {SM + "prod/shop-AbCdEf": NOTHING}), [f"no Allow for {SM}prod/shop-AbCdEf"]),
    (PR_ROLE, "describe a customer-managed key",
     Call("kms:DescribeKey", {KEY: NOTHING}, {"kms:ResourceAliases": ["alias/shop-data"]}), [f"no Allow for {KEY}"]),
    (PURGE_ROLE, "clone the source",
     Call("rds:RestoreDBClusterToPointInTime", RESTORE, request_tags(OURS)),
     [f"no Allow for {arn}" for arn in RESTORE]),
    (PURGE_ROLE, "retag a clone",
     Call("rds:AddTagsToResource", {CLONE: OURS}, request_tags(OURS)), [f"no Allow for {CLONE}"]),
    (PURGE_ROLE, "delete the source's instance",
     Call("rds:DeleteDBInstance", {SOURCE_WRITER: NOTHING}), [NOT_MADE]),
    (PURGE_ROLE, "delete an untagged cluster",
     Call("rds:DeleteDBCluster", {A + "cluster:analytics": NOTHING}), [NOT_MADE]),
    (PURGE_ROLE, "delete another repository's clone",
     Call("rds:DeleteDBCluster", {CLONE: THEIRS}), [f"no Allow for {CLONE}"]),
    (PURGE_ROLE, "enable the Data API on a clone",
     Call("rds:EnableHttpEndpoint", {CLONE: OURS}), [f"no Allow for {CLONE}"]),
    (PURGE_ROLE, "run SQL in a clone",
     Call("rds-data:ExecuteStatement", {CLONE: OURS}), [f"no Allow for {CLONE}"]),
    (PURGE_ROLE, "read a clone's secret",
     Call("secretsmanager:GetSecretValue", {SECRET: managed_secret_of(CLONE)}), [f"no Allow for {SECRET}"]),
    (PURGE_ROLE, "delete the golden copy",
     Call("rds:DeleteDBCluster", {GOLDEN: IN_PLACE}), [KEEP_GOLDEN]),
    (PURGE_ROLE, "delete a golden copy renamed aside but still tagged base=true (a swap cut short)",
     Call("rds:DeleteDBCluster", {ASIDE: IN_PLACE}), [KEEP_GOLDEN]),
    # The role of PR clones cut from the golden copy: nothing at all on production.
    (BASE_PR_ROLE, "clone production",
     Call("rds:RestoreDBClusterToPointInTime", FROM_PRODUCTION, request_tags(OURS)), [PRODUCTION]),
    (BASE_PR_ROLE, "snapshot production (to copy it elsewhere)",
     Call("rds:CreateDBClusterSnapshot", {SOURCE: NOTHING, EXFIL: NOTHING}), [PRODUCTION]),
    (BASE_PR_ROLE, "delete production",
     Call("rds:DeleteDBCluster", {SOURCE: NOTHING}), [PRODUCTION, NOT_MADE]),
    (BASE_PR_ROLE, "give production a managed password",
     Call("rds:ModifyDBCluster", {SOURCE: NOTHING}, {"rds:ManageMasterUserPassword": True}), [PRODUCTION, NOT_MADE]),
    (BASE_PR_ROLE, "tag production as a clone",
     Call("rds:AddTagsToResource", {SOURCE: NOTHING}, request_tags(OURS)), [PRODUCTION]),
    (BASE_PR_ROLE, "delete production's instance",
     Call("rds:DeleteDBInstance", {SOURCE_WRITER: NOTHING}), [PRODUCTION, NOT_MADE]),
    (BASE_PR_ROLE, "modify production's instance (make it public)",
     Call("rds:ModifyDBInstance", {SOURCE_WRITER: NOTHING}), [PRODUCTION, NOT_MADE]),
    (BASE_PR_ROLE, "tag production's instance as a clone",
     Call("rds:AddTagsToResource", {SOURCE_WRITER: NOTHING}, request_tags(OURS)), [PRODUCTION]),
    (BASE_PR_ROLE, "read production's logs",
     Call("rds:DownloadDBLogFilePortion", {SOURCE_WRITER: NOTHING}), [PRODUCTION]),
    (BASE_PR_ROLE, "enable the Data API on production",
     Call("rds:EnableHttpEndpoint", {SOURCE: NOTHING}), [PRODUCTION, NOT_MADE]),
    (BASE_PR_ROLE, "run SQL in production",
     Call("rds-data:ExecuteStatement", {SOURCE: NOTHING}), [PRODUCTION]),
    (BASE_PR_ROLE, "read production's master password",
     Call("secretsmanager:GetSecretValue", {SOURCE_SECRET: managed_secret_of(SOURCE)}), [SOURCE_PASSWORD]),
    (BASE_PR_ROLE, "clone the next golden copy before it is masked",
     Call("rds:RestoreDBClusterToPointInTime", FROM_CANDIDATE, request_tags(OURS)),
     [f"no Allow for {CANDIDATE}"]),
    (BASE_PR_ROLE, "rename the golden copy",
     Call("rds:ModifyDBCluster", {GOLDEN: IN_PLACE}), [GOLDEN_COPIES, PASSWORD]),
    (BASE_PR_ROLE, "delete the golden copy",
     Call("rds:DeleteDBCluster", {GOLDEN: IN_PLACE, A + "cluster-snapshot:shop-golden-final": NOTHING}),
     [GOLDEN_COPIES]),
    (BASE_PR_ROLE, "delete the golden copy's instance",
     Call("rds:DeleteDBInstance", {GOLDEN_INSTANCE: IN_PLACE}), [GOLDEN_COPIES]),
    (BASE_PR_ROLE, "delete a golden copy renamed aside but still tagged base=true",
     Call("rds:DeleteDBCluster", {ASIDE: IN_PLACE}), [GOLDEN_COPIES]),
    (BASE_PR_ROLE, "retag the golden copy as a clone (to delete it)",
     Call("rds:AddTagsToResource", {GOLDEN: IN_PLACE}, request_tags(OURS)), [GOLDEN_COPIES]),
    (BASE_PR_ROLE, "run SQL in the golden copy",
     Call("rds-data:ExecuteStatement", {GOLDEN: IN_PLACE}), [GOLDEN_COPIES]),
    (BASE_PR_ROLE, "read the golden copy's secret",
     Call("secretsmanager:GetSecretValue", {GOLDEN_SECRET: managed_secret_of(GOLDEN)}), [f"no Allow for {GOLDEN_SECRET}"]),
    (BASE_PR_ROLE, "delete another repository's clone",
     Call("rds:DeleteDBCluster", {GOLDEN_CLONE: THEIRS}), [f"no Allow for {GOLDEN_CLONE}"]),
    (BASE_PR_ROLE, "set a known master password on its own clone",
     Call("rds:ModifyDBCluster", {GOLDEN_CLONE: OURS}), [PASSWORD]),
    # The refresh role: production only to describe and clone; the golden copy never deleted.
    (REFRESH_ROLE, "delete the golden copy while it is base=true",
     Call("rds:DeleteDBCluster", {GOLDEN: IN_PLACE, A + "cluster-snapshot:shop-golden-final": NOTHING}), [KEEP_GOLDEN]),
    (REFRESH_ROLE, "delete the golden copy's instance",
     Call("rds:DeleteDBInstance", {GOLDEN_INSTANCE: IN_PLACE}), [KEEP_GOLDEN]),
    (REFRESH_ROLE, "delete a golden copy renamed aside but still tagged base=true",
     Call("rds:DeleteDBCluster", {ASIDE: IN_PLACE, ASIDE_SNAPSHOT: NOTHING}), [KEEP_GOLDEN]),
    (REFRESH_ROLE, "delete a PR's clone of the golden copy",
     Call("rds:DeleteDBCluster", {GOLDEN_CLONE: OURS}), [f"no Allow for {GOLDEN_CLONE}"]),
    (REFRESH_ROLE, "delete a PR clone's instance",
     Call("rds:DeleteDBInstance", {GOLDEN_CLONE_INSTANCE: OURS}), [f"no Allow for {GOLDEN_CLONE_INSTANCE}"]),
    (REFRESH_ROLE, "delete another repository's next golden copy",
     Call("rds:DeleteDBCluster", {CANDIDATE: {**BEING_MADE, "aurora-clone/repository": "acme/billing"}}),
     [f"no Allow for {CANDIDATE}"]),
    (REFRESH_ROLE, "retag a PR's clone",
     Call("rds:AddTagsToResource", {GOLDEN_CLONE: OURS}, request_tags(OURS)), [f"no Allow for {GOLDEN_CLONE}"]),
    (REFRESH_ROLE, "rename the next golden copy into place before it is masked",
     Call("rds:ModifyDBCluster", {CANDIDATE: BEING_MADE}), [f"no Allow for {CANDIDATE}"]),
    (REFRESH_ROLE, "turn off the golden copy's managed password (to set one)",
     Call("rds:ModifyDBCluster", {GOLDEN: IN_PLACE}, {"rds:ManageMasterUserPassword": False}), [MANAGED_PASSWORD]),
    (REFRESH_ROLE, "rename production",
     Call("rds:ModifyDBCluster", {SOURCE: NOTHING}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "give production a managed password",
     Call("rds:ModifyDBCluster", {SOURCE: NOTHING}, {"rds:ManageMasterUserPassword": True}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "delete production",
     Call("rds:DeleteDBCluster", {SOURCE: NOTHING}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "tag production as a golden copy",
     Call("rds:AddTagsToResource", {SOURCE: NOTHING}, request_tags(MADE_NEXT)), [CLONE_ONLY]),
    (REFRESH_ROLE, "delete production's instance",
     Call("rds:DeleteDBInstance", {SOURCE_WRITER: NOTHING}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "reboot production's writer",
     Call("rds:RebootDBInstance", {SOURCE_WRITER: NOTHING}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "snapshot production (to copy it elsewhere)",
     Call("rds:CreateDBClusterSnapshot", {SOURCE: NOTHING, EXFIL: NOTHING}), [CLONE_ONLY]),
    (REFRESH_ROLE, "enable the Data API on production",
     Call("rds:EnableHttpEndpoint", {SOURCE: NOTHING}), [CLONE_ONLY, NOT_MADE]),
    (REFRESH_ROLE, "run SQL in production",
     Call("rds-data:ExecuteStatement", {SOURCE: NOTHING}), [CLONE_ONLY]),
    (REFRESH_ROLE, "read production's master password",
     Call("secretsmanager:GetSecretValue", {SOURCE_SECRET: managed_secret_of(SOURCE)}), [SOURCE_PASSWORD]),
    (REFRESH_ROLE, "read the golden copy's secret",
     Call("secretsmanager:GetSecretValue", {GOLDEN_SECRET: managed_secret_of(GOLDEN)}), [f"no Allow for {GOLDEN_SECRET}"]),
    (REFRESH_ROLE, "run SQL in the golden copy",
     Call("rds-data:ExecuteStatement", {GOLDEN: IN_PLACE}), [f"no Allow for {GOLDEN}"]),
    (REFRESH_ROLE, "clone production without the base=next tag",
     Call("rds:RestoreDBClusterToPointInTime", REFRESH_RESTORE, request_tags(MINE)),
     [f"no Allow for {arn}" for arn in REFRESH_RESTORE]),
    (REFRESH_ROLE, "clone production under a PR clone's name",
     Call("rds:RestoreDBClusterToPointInTime", FROM_PRODUCTION, request_tags(BEING_MADE)),
     [f"no Allow for {GOLDEN_CLONE}"]),
    (REFRESH_ROLE, "clone another cluster",
     Call("rds:RestoreDBClusterToPointInTime",
          {**REFRESH_RESTORE, A + "cluster:billing-production": NOTHING}, request_tags(BEING_MADE)),
     [f"no Allow for {A}cluster:billing-production"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "what", "call", "denied_by"), REFUSED, ids=[f"{p[:5]}: {w}" for p, w, _, _ in REFUSED]
)
def test_the_roles_cannot(policy: str, what: str, call: Call, denied_by: list[str]) -> None:
    assert evaluate(policy, call) == (False, denied_by), what


@pytest.mark.parametrize("policy", [PR_ROLE, BASE_PR_ROLE, REFRESH_ROLE])
def test_the_table_holds_at_least_14_refusals_of_each_role_that_clones(policy: str) -> None:
    assert len([row for row in REFUSED if row[0] == policy]) >= 14


def test_every_deny_of_the_golden_copy_roles_refuses_something_in_the_table() -> None:
    for policy in (BASE_PR_ROLE, REFRESH_ROLE):
        statements = json.loads((ROOT / "examples" / "iam" / policy).read_text())["Statement"]
        used = {sid for row in REFUSED if row[0] == policy for sid in row[3]}
        assert {s["Sid"] for s in statements if s["Effect"] == "Deny"} <= used, policy


def test_what_iam_cannot_tell_from_a_rename_the_refresh_role_can_do_to_its_prepared_golden_copies() -> None:
    """The rename statement is a ModifyDBCluster with no condition key (the reference has none for
    NewDBClusterIdentifier), so it allows the same call with other settings too: new security
    groups, say, on a golden copy (masked data), never on production or a cluster being masked.
    Setting a known password needs ManageMasterUserPassword=false on a cluster whose password RDS
    manages, which is denied; RDS manages the password of every prepared golden copy."""
    other = Call("rds:ModifyDBCluster", {GOLDEN: IN_PLACE}, {"vpc-security-group": "sg-open-to-all"})

    assert evaluate(REFRESH_ROLE, other) == (True, ["RenameOnlyPreparedGoldenCopies"])
    assert evaluate(REFRESH_ROLE, Call("rds:ModifyDBCluster", {SOURCE: NOTHING})) == (
        False,
        [CLONE_ONLY, NOT_MADE],
    )
    assert evaluate(REFRESH_ROLE, Call("rds:ModifyDBCluster", {CANDIDATE: BEING_MADE}))[0] is False


def test_a_reused_clone_without_a_scaling_configuration_cannot_be_given_one() -> None:
    """The one gateway call the example refuses on purpose (README "IAM permissions"): set_scaling's
    ModifyDBCluster carries no condition key that tells it from setting a master password."""
    call = Call("rds:ModifyDBCluster", {CLONE: OURS})

    assert evaluate(PR_ROLE, call) == (False, [PASSWORD])


def test_the_evaluator_refuses_an_operator_it_does_not_model() -> None:
    with pytest.raises(AssertionError, match="DateGreaterThan"):
        conditions_hold({"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}, {})


def test_the_readme_table_names_only_statements_of_the_examples() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### What the roles cannot do")[1].split("\n## ")[0]
    roles = {
        "| PR |": PR_ROLE,
        "| purge |": PURGE_ROLE,
        "| PR (golden) |": BASE_PR_ROLE,
        "| refresh |": REFRESH_ROLE,
    }
    rows = [line for line in table.splitlines() if line.startswith(tuple(roles))]
    for prefix, policy in roles.items():
        sids = {s["Sid"] for s in json.loads((ROOT / "examples/iam" / policy).read_text())["Statement"]}
        named = {
            name
            for row in rows
            if row.startswith(prefix)
            for name in re.findall(r"`(Never\w+)`", row.split("|")[3])
        }
        refused = {
            sid for row in REFUSED if row[0] == policy for sid in row[3] if not sid.startswith("no Allow")
        }
        assert named == refused, prefix
        assert named <= sids, prefix
    assert len(rows) >= 45
