"""Event payloads as GitHub sends them (the parts the action reads): tests, the demo and the benches."""

from __future__ import annotations

from typing import Any

REPOSITORY = "acme/shop"
LABEL = "clone-db"  # action.yml's default label


def pr_event(
    action: str,
    number: int = 7,
    labels: tuple[str, ...] = (LABEL,),
    label: str = "",
    title: str = "Add the checkout page",
    branch: str = "feature/checkout",
    state: str = "",
) -> dict[str, Any]:
    """A pull_request event payload.

    `state` is the PR's when the event was sent: 'closed' for `closed` unless told otherwise.
    """
    event: dict[str, Any] = {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "state": state or ("closed" if action == "closed" else "open"),
            "title": title,
            "labels": [{"name": name} for name in labels],
            "head": {"ref": branch, "label": f"acme:{branch}", "repo": {"full_name": REPOSITORY}},
            "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
            "user": {"login": "octocat"},
        },
        "repository": {"full_name": REPOSITORY},
        "sender": {"login": "octocat"},
    }
    if label:
        event["label"] = {"name": label}
    return event


def schedule_event() -> dict[str, Any]:
    """The payload of a `schedule` run (the nightly purge)."""
    return {"schedule": "17 3 * * *"}
