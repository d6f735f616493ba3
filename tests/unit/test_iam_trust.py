"""The example trust policies let only this repository's PR runs and main-branch runs assume the roles
(the PR role, whether its clones are cut from production or from the golden copy; purge and
refresh-base on main).

Subject formats from GitHub's OIDC reference: https://docs.github.com/en/actions/reference/security/oidc
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
IAM = ROOT / "examples" / "iam"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
TRUSTS = {
    "trust-pr-role.json": "repo:acme/shop:pull_request",
    "trust-purge-role.json": "repo:acme/shop:ref:refs/heads/main",
    "trust-refresh-role.json": "repo:acme/shop:ref:refs/heads/main",
}


def statement(name: str) -> dict[str, Any]:
    statements = json.loads((IAM / name).read_text())["Statement"]
    assert len(statements) == 1
    return dict(statements[0])


@pytest.mark.parametrize(("name", "subject"), TRUSTS.items())
def test_a_role_trusts_one_exact_subject_of_githubs_oidc_provider_for_sts(name: str, subject: str) -> None:
    trust = statement(name)

    assert trust["Effect"] == "Allow"
    assert trust["Principal"] == {"Federated": PROVIDER}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": subject,
        }
    }


@pytest.mark.parametrize("name", sorted(p.name for p in IAM.glob("trust-*.json")))
def test_no_subject_has_a_wildcard(name: str) -> None:
    assert name in TRUSTS
    condition = statement(name)["Condition"]
    for operator, pairs in condition.items():
        for key, value in pairs.items():
            if key.endswith(":sub"):
                assert operator == "StringEquals"
                assert not set(str(value)) & {"*", "?"}


def test_the_readme_shows_the_subject_of_a_job_with_an_environment() -> None:
    readme = (ROOT / "README.md").read_text()

    assert '"token.actions.githubusercontent.com:sub": "repo:acme/shop:environment:preview-db"' in readme
    for name in TRUSTS:
        assert f"examples/iam/{name}" in readme
