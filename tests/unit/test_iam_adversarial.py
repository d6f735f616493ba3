"""What the example roles can and cannot do, by a small IAM evaluator over examples/iam/.

The evaluator decides one request against one policy: an explicit Deny of any statement wins,
else every resource of the request needs an Allow. It knows Action and Resource/NotResource
with `*` and `?`, and the condition operators StringEquals, StringNotEquals, StringLike,
ArnLike, Bool, BoolIfExists, Null and ForAnyValue:StringEquals; any other operator fails the
test. It does not model: NotAction, policy variables, other policies of the role (SCPs,
permission boundaries, session policies), case-insensitive key names, multi-valued keys other
than ForAnyValue, and how RDS builds a request's context: each row below names the resources
and keys the Service Authorization Reference lists for its action, and for DeleteDBCluster a
final snapshot ARN named after the clone (which ARN RDS checks for `cluster-snapshot*` when no
final snapshot is taken is not documented).
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
    if not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in as_list(statement["Action"])):
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
]


@pytest.mark.parametrize(("policy", "what", "call"), MADE, ids=[f"{p[:5]}: {w}" for p, w, _ in MADE])
def test_every_call_the_action_makes_is_allowed(policy: str, what: str, call: Call) -> None:
    allowed, why = evaluate(policy, call)
    assert allowed, f"{what}: {why}"


NEVER = "NeverChangeTheSource"
NOT_MADE = "NeverChangeWhatTheActionDidNotMake"
PASSWORD = "NeverSetAKnownMasterPassword"
SOURCE_PASSWORD = "NeverReadTheSourcesSecret"

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
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "what", "call", "denied_by"), REFUSED, ids=[f"{p[:5]}: {w}" for p, w, _, _ in REFUSED]
)
def test_the_roles_cannot(policy: str, what: str, call: Call, denied_by: list[str]) -> None:
    assert evaluate(policy, call) == (False, denied_by), what


def test_the_table_holds_at_least_14_refusals_of_the_pr_role() -> None:
    assert len([row for row in REFUSED if row[0] == PR_ROLE]) >= 14


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
    rows = [line for line in table.splitlines() if line.startswith(("| PR |", "| purge |"))]
    sids = {
        s["Sid"]
        for p in (PR_ROLE, PURGE_ROLE)
        for s in json.loads((ROOT / "examples/iam" / p).read_text())["Statement"]
    }

    named = {name for row in rows for name in re.findall(r"`(Never\w+)`", row.split("|")[3])}
    assert len(rows) >= 20
    assert named == {NEVER, NOT_MADE, PASSWORD, SOURCE_PASSWORD} <= sids
    assert {sid for row in REFUSED for sid in row[3] if not sid.startswith("no Allow")} == named
