"""The statement of the example IAM policies (examples/iam/) that allows an action, for an
AccessDenied error to show: the real, tag-conditioned statement, never `"Resource": "*"`.

The image carries examples/iam/ beside the package (.dockerignore lets it through), so the
error shows the very statement the README documents.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

POLICIES = Path(__file__).resolve().parents[2] / "examples" / "iam"
CLONE_POLICY = "clone-teardown-policy.json"
PURGE_POLICY = "purge-policy.json"
REFRESH_POLICY = "refresh-base-policy.json"
PR_FROM_BASE_POLICY = "pr-from-base-policy.json"  # the PR role when clones are cut from a golden copy

# IAM's denial names the action it refused, which is not always the call made: RDS asks
# kms:DescribeKey for ModifyDBCluster, and AddTagsToResource for a create with tags.
# "User: arn:... is not authorized to perform: kms:DescribeKey on resource: arn:... because ..."
_DENIED = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")


def denied_action(message: str, called: str) -> str:
    """The IAM action the denial names, else the one called."""
    match = _DENIED.search(message)
    return match.group(1) if match else called


# Where two statements allow one action, the one for a direct call: tags are added on create
# (RDS asks AddTagsToResource for a restore or create with tags) under TagNewClonesOnCreate, and
# by the action's own AddTagsToResource (a rerun's new expiry, refresh-base's swap) only to the
# repository's clones or golden copies.
_WHEN_CALLED = {
    "rds:AddTagsToResource": ("RetagOnlyThisRepositorysClones", "RetagOnlyThisRepositorysGoldenCopies")
}


# Where one action is allowed by statements for different uses of it, the one for this use: a
# ModifyDBCluster that renames (refresh-base's swap) is not one that hands RDS the password.
_FOR_PURPOSE = {("rds:ModifyDBCluster", "rename"): ("RenameOnlyPreparedGoldenCopies",)}


def statement(
    action: str, policy: str = CLONE_POLICY, called: str = "", purpose: str = ""
) -> dict[str, Any] | None:
    """The example policy's Allow statement for `action` (denied during the call `called`, made
    for `purpose`), as it stands in examples/iam/; None if none."""
    try:
        document = json.loads((POLICIES / policy).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = []
    for candidate in document.get("Statement") or []:
        actions = candidate.get("Action")
        listed = [actions] if isinstance(actions, str) else list(actions or [])
        if candidate.get("Effect") == "Allow" and action in listed:
            found.append(dict(candidate))
    preferred: tuple[str, ...] = _WHEN_CALLED.get(action, ()) if called == action else ()
    preferred = _FOR_PURPOSE.get((action, purpose), preferred)
    return next((s for s in found if s.get("Sid") in preferred), found[0] if found else None)


def fallback(action: str) -> dict[str, Any]:
    """A statement for an action the examples do not allow: a change only to clusters and instances
    tagged as the action's own, a read on any resource."""
    if action.split(":", 1)[-1].startswith(("Describe", "List")):
        return {"Effect": "Allow", "Action": action, "Resource": "*"}
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": [
            "arn:aws:rds:REGION:ACCOUNT_ID:cluster:*",
            "arn:aws:rds:REGION:ACCOUNT_ID:db:*",
        ],
        "Condition": {"StringEquals": {"aws:ResourceTag/aurora-clone/managed": "true"}},
    }
