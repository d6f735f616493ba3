"""The example IAM policies allow every action the code calls, and deletes only on tagged clones."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from clone_action.aws.rds import RdsGateway

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "examples" / "iam" / "clone-teardown-policy.json"
PURGE_POLICY = ROOT / "examples" / "iam" / "purge-policy.json"
POLICIES = sorted((ROOT / "examples" / "iam").glob("*.json"))
SOURCE_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:shop-production"
CHANGING = {
    "rds:DeleteDBCluster",
    "rds:DeleteDBInstance",
    "rds:StartDBCluster",
    "rds:ModifyDBCluster",
    "rds:AddTagsToResource",
    "rds:RemoveTagsFromResource",
}


def documented_actions() -> set[str]:
    """The IAM actions named in the gateway's docstrings ('IAM: rds:X, rds:Y.')."""
    actions: set[str] = set()
    for name, method in inspect.getmembers(RdsGateway, inspect.isfunction):
        if name.startswith("_"):
            continue
        for found in re.findall(r"IAM: ([^.]+)\.", inspect.getdoc(method) or ""):
            actions.update(a.strip() for a in found.split(","))
    return actions


def statements(path: Path = POLICY) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())["Statement"])


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed_actions() -> set[str]:
    return {a for s in statements() if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def test_every_gateway_call_documents_its_iam_actions() -> None:
    source = inspect.getsource(RdsGateway)
    called = set(re.findall(r'self\._call\(\s*"(\w+)"', source))
    assert {f"rds:{name}" for name in called} <= documented_actions()


def test_the_policy_allows_exactly_the_documented_actions() -> None:
    documented = documented_actions()
    assert documented >= {
        "rds:RestoreDBClusterToPointInTime",
        "rds:DeleteDBCluster",
        "rds:DescribeDBClusters",
        "rds:DescribeDBEngineVersions",
        "rds:StartDBCluster",
        "kms:DescribeKey",
    }
    assert allowed_actions() == documented


def test_the_purge_policy_allows_listing_and_deleting() -> None:
    allowed = {a for s in statements(PURGE_POLICY) if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert allowed == {
        "rds:DescribeDBClusters",
        "rds:DescribeDBInstances",
        "rds:DeleteDBInstance",
        "rds:DeleteDBCluster",
        "rds:StartDBCluster",
    }


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_deletes_and_starts_are_allowed_only_on_resources_tagged_as_this_repositorys_clones(
    policy: Path,
) -> None:
    guarded = {"rds:DeleteDBCluster", "rds:DeleteDBInstance", "rds:StartDBCluster", "rds:ModifyDBCluster"}
    for statement in statements(policy):
        if statement["Effect"] != "Allow":
            continue
        if set(as_list(statement["Action"])) & guarded:
            assert statement["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/managed"] == "true"
            assert (
                statement["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/repository"]
                == "acme/shop"
            )


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_nothing_changing_is_allowed_on_every_resource(policy: Path) -> None:
    for statement in statements(policy):
        if statement["Effect"] == "Allow" and set(as_list(statement["Action"])) & CHANGING:
            assert "*" not in as_list(statement["Resource"]), statement["Sid"]


def test_creates_must_carry_the_managed_tag() -> None:
    for statement in statements():
        actions = set(as_list(statement["Action"]))
        if statement["Effect"] == "Allow" and actions & {
            "rds:RestoreDBClusterToPointInTime",
            "rds:CreateDBInstance",
        }:
            assert statement["Condition"]["StringEquals"]["aws:RequestTag/aurora-clone/managed"] == "true"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_the_source_is_denied_every_change(policy: Path) -> None:
    denied = [s for s in statements(policy) if s["Effect"] == "Deny" and SOURCE_ARN in as_list(s["Resource"])]
    assert denied
    assert {a for s in denied for a in as_list(s["Action"])} >= CHANGING


# What IAM answers for a denial (the shape of the message AWS documents for an implicit deny).
DENIAL = (
    "User: arn:aws:sts::123456789012:assumed-role/aurora-clone-action/GitHubActions is not authorized "
    "to perform: {action} on resource: {resource} because no identity-based policy allows the {action} "
    "action"
)


def denied(action: str, called: str, policy: str = "clone-teardown-policy.json") -> Any:
    from botocore.exceptions import ClientError

    from clone_action.aws.translate import translate

    message = DENIAL.format(
        action=action, resource="arn:aws:rds:eu-west-1:123456789012:cluster:shop-production-pr-7"
    )
    exc = ClientError({"Error": {"Code": "AccessDenied", "Message": message}}, called.split(":")[1])
    return translate(exc, called, "eu-west-1", policy=policy)


def test_a_denial_names_the_action_iam_refused_not_the_call_made() -> None:
    error = denied("kms:DescribeKey", "rds:ModifyDBCluster")

    assert error.message.startswith(
        "AWS denied kms:DescribeKey (for rds:ModifyDBCluster) (AccessDenied): User:"
    )
    assert json.loads(error.snippet) == next(
        s for s in statements() if s.get("Sid") == "DescribeTheSecretsManagerKeyForClonesSecrets"
    )
    assert "statement DescribeTheSecretsManagerKeyForClonesSecrets of examples/iam/" in error.fix


@pytest.mark.parametrize("action", sorted(documented_actions()))
def test_every_denial_shows_valid_json_that_allows_it_and_never_a_change_on_every_resource(
    action: str,
) -> None:
    error = denied(action, "rds:DescribeDBClusters")
    shown = json.loads(error.snippet)

    assert shown["Effect"] == "Allow" and action in as_list(shown["Action"])
    if not action.split(":")[1].startswith(("Describe", "List")):
        assert shown["Resource"] != "*" or "Condition" in shown, shown


def test_a_purge_denial_shows_the_purge_roles_statement() -> None:
    error = denied("rds:DeleteDBCluster", "rds:DeleteDBCluster", policy="purge-policy.json")

    shown = json.loads(error.snippet)
    assert shown == next(
        s for s in statements(PURGE_POLICY) if s.get("Sid") == "DeleteOnlyClonesTheActionMade"
    )


def test_an_action_no_example_allows_gets_a_tag_conditioned_statement() -> None:
    error = denied("rds:ModifyDBInstance", "rds:ModifyDBInstance")

    shown = json.loads(error.snippet)
    assert shown["Condition"] == {"StringEquals": {"aws:ResourceTag/aurora-clone/managed": "true"}}
    assert "*" not in as_list(shown["Resource"])
