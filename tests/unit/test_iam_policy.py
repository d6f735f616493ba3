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
