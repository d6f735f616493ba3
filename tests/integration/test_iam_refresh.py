"""An AccessDenied in refresh-base shows the refresh role's statement (examples/iam/refresh-base-policy.json),
not the PR role's: the nightly role is another role with another policy."""

from __future__ import annotations

import json
from pathlib import Path

from testkit.harness import Harness
from testkit.rds_model import common_error

ROOT = Path(__file__).resolve().parents[2]


def test_a_denied_refresh_shows_the_refresh_roles_statement_and_changes_nothing(action: Harness) -> None:
    action.on(
        "before-call.rds.RestoreDBClusterToPointInTime",
        common_error("AccessDenied", "User is not authorized to perform: rds:RestoreDBClusterToPointInTime"),
    )

    result = action.run(
        {"mode": "refresh-base", "base-cluster": "gold", "mask": "customers.email=email", "database": "shop"},
        event={"schedule": "17 3 * * *"},
        event_name="schedule",
    )

    assert result.code == 1
    assert "AWS denied rds:RestoreDBClusterToPointInTime (AccessDenied)" in result.summary
    snippet = result.summary.split("```json\n")[1].split("\n```")[0]
    policy = json.loads((ROOT / "examples/iam/refresh-base-policy.json").read_text())["Statement"]
    assert json.loads(snippet) == next(s for s in policy if s["Sid"] == "CloneTheSourceIntoTaggedCandidates")
    assert (
        "statement CloneTheSourceIntoTaggedCandidates of examples/iam/refresh-base-policy.json"
        in result.summary
    )
    assert sorted(action.aws.cluster_ids()) == ["prod"]
