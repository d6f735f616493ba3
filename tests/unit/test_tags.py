"""The tags every clone carries, and the ownership checks that guard every delete."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest

from clone_action.aws.tags import clone_tags, format_expiry, ownership_problem, tag_map
from testkit.clock import NOW
from testkit.events import REPOSITORY

OURS = [
    {"Key": "aurora-clone/managed", "Value": "true"},
    {"Key": "aurora-clone/repository", "Value": REPOSITORY},
    {"Key": "aurora-clone/pr", "Value": "7"},
    {"Key": "aurora-clone/source", "Value": "prod"},
    {"Key": "aurora-clone/expires-at", "Value": "2026-12-02T12:00:00Z"},
]


@pytest.mark.parametrize(
    ("extra", "after_ours"),
    [
        # The contract's order, then the extra tags in theirs.
        ([("team", "checkout"), ("owner", "ana")], [("team", "checkout"), ("owner", "ana")]),
        # Extra tags cannot override the reserved ones.
        (
            [("aurora-clone/managed", "false"), ("aurora-clone/pr", "8"), ("team", "checkout")],
            [("team", "checkout")],
        ),
    ],
    ids=["order", "reserved"],
)
def test_clone_tags_are_ours_in_the_contracts_order_then_the_extra_ones(
    extra: list[tuple[str, str]], after_ours: list[tuple[str, str]]
) -> None:
    tags = clone_tags(
        repository=REPOSITORY, pr=7, source="prod", expires_at=NOW + timedelta(days=7), extra=extra
    )
    assert tags == [*OURS, *({"Key": k, "Value": v} for k, v in after_ours)]


def test_expires_at_is_utc_to_the_second() -> None:
    paris = timezone(timedelta(hours=1))
    assert format_expiry(NOW.replace(microsecond=999999)) == "2026-11-25T12:00:00Z"
    assert format_expiry(NOW.astimezone(paris)) == "2026-11-25T12:00:00Z"


def cluster(
    ident: str = "prod-pr-7", tags: list[dict[str, str]] | None = None, **fields: Any
) -> dict[str, Any]:
    return {"DBClusterIdentifier": ident, "TagList": OURS if tags is None else tags, **fields}


def with_tag(key: str, value: str) -> list[dict[str, str]]:
    return [t for t in OURS if t["Key"] != key] + [{"Key": key, "Value": value}]


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (cluster(), None),
        (cluster(DeletionProtection=False), None),
        (
            cluster(tags=[{"Key": "env", "Value": "production"}]),
            "'prod-pr-7' does not carry the tag aurora-clone/managed=true, so this action did not create it",
        ),
        (
            cluster(tags=with_tag("aurora-clone/managed", "false")),
            "'prod-pr-7' does not carry the tag aurora-clone/managed=true, so this action did not create it",
        ),
        (
            cluster(tags=with_tag("aurora-clone/repository", "evil/fork")),
            "'prod-pr-7' belongs to the repository 'evil/fork', not 'acme/shop'",
        ),
        (
            cluster(tags=with_tag("aurora-clone/pr", "8")),
            "'prod-pr-7' belongs to pull request #8, not #7",
        ),
        (
            cluster("prod"),
            "'prod' is the source cluster 'prod' or one of its instances",
        ),
        (
            {"DBInstanceIdentifier": "prod-1", "DBClusterIdentifier": "Prod", "TagList": OURS},
            "'prod-1' is the source cluster 'prod' or one of its instances",
        ),
        (
            cluster(DeletionProtection=True),
            "'prod-pr-7' has deletion protection on, which this action never sets",
        ),
    ],
    ids=[
        "ours",
        "ours-unprotected",
        "no-managed-tag",
        "managed-false",
        "other-repository",
        "other-pr",
        "source-cluster",
        "source-instance",
        "deletion-protection",
    ],
)
def test_ownership_problem(resource: dict[str, Any], expected: str | None) -> None:
    assert ownership_problem(resource, repository=REPOSITORY, pr=7, source="prod") == expected


def test_without_a_pr_any_pr_of_the_repository_is_ours() -> None:
    resource = cluster(tags=with_tag("aurora-clone/pr", "8"))
    assert ownership_problem(resource, repository=REPOSITORY, pr=None) is None


def test_tag_map() -> None:
    assert tag_map({"TagList": [{"Key": "a", "Value": "1"}, {"Key": "b"}]}) == {"a": "1", "b": ""}
    assert tag_map({}) == {}


def test_the_tag_rule_is_the_one_the_rds_service_model_documents() -> None:
    """Shape Tag in botocore's RDS model states the rule in prose; hold tag_problem to it."""
    import botocore.session

    from clone_action.aws import tags as tagkeys

    shape = botocore.session.get_session().get_service_model("rds").shape_for("Tag")
    for member, length in (("Key", "1 to 128"), ("Value", "1 to 256")):
        doc = shape.members[member].documentation
        assert f"from {length} Unicode characters" in doc
        assert "can't be prefixed with <code>aws:</code> or <code>rds:</code>" in doc
        symbols = doc.split("\\\\p{N}")[1].split("]")[0].replace("\\\\", "")
        assert '(Java regex: "^([\\\\p{L}\\\\p{Z}\\\\p{N}' in doc
        assert symbols == tagkeys.TAG_SYMBOLS
    assert (tagkeys.MAX_KEY, tagkeys.MAX_VALUE) == (128, 256)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("équipe", "paiements"),
        ("owner", "José Núñez"),
        ("cost-center", "shop/eu_1:a=b+c@d.e"),
        ("版本", "二"),
        ("empty", ""),
    ],
)
def test_tags_rds_accepts(key: str, value: str) -> None:
    from clone_action.aws.tags import tag_problem

    assert tag_problem(key, value) is None
