"""ActionError and its kinds: every failure a person can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping


class ActionError(Exception):
    """A failure shown to a person: a one-line title, and a detail that says how to fix it."""

    kind = "Error"

    def __init__(
        self, message: str, *, fix: str = "", cause: str = "", snippet: str = "", lang: str = "yaml"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.cause = cause
        self.snippet = snippet
        self.lang = lang

    @property
    def title(self) -> str:
        return f"aurora-clone: {self.kind.lower()}"


class InputError(ActionError):
    """One or more inputs are wrong; every problem is listed, nothing has been changed."""

    kind = "Invalid input"

    def __init__(self, problems: list[str], *, given: Mapping[str, str] | None = None) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        noun = "input is" if len(self.problems) == 1 else "inputs are"
        super().__init__(
            f"{len(self.problems)} {noun} not valid; nothing was changed.\n{lines}",
            cause="A value in the `with:` block of this step, or a PR number the event does not give.",
            fix=INPUT_FIX,
            snippet=given_inputs(self.problems, given or {}),
        )


INPUT_FIX = (
    "Correct the `with:` block of this step in your workflow (each line above says how) and run it again."
)
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.,/@+-]*")


def given_inputs(problems: list[str], given: Mapping[str, str]) -> str:
    """The step's `with:` lines of the inputs that failed, as the step gave them (YAML)."""
    names = [name for p in problems if (name := p.partition(":")[0]) in given]
    if not names:
        return ""
    lines = ["- uses: org/aurora-clone-action@v1", "  with:  # the inputs that are not valid, as given"]
    for name in dict.fromkeys(names):
        value = "***" if name == "github-token" else given[name]
        if "\n" in value:
            lines += [f"    {name}: |", *(f"      {line}" for line in value.splitlines())]
        elif not value:
            lines.append(f"    {name}:  # not set")
        else:
            lines.append(f"    {name}: {value if _PLAIN.fullmatch(value) else json.dumps(value)}")
    return "\n".join(lines)


class AwsError(ActionError):
    """AWS refused or failed a call; the message names the call and what to do."""

    kind = "AWS error"


class AccessDenied(AwsError):
    """IAM denied the call: the role this job assumes lacks an action."""


class CloneStateError(ActionError):
    """The clone or the source is in a state the action cannot work with."""

    kind = "Clone state"


class WaitTimeout(ActionError):
    """The clone did not become ready within timeout-minutes."""

    kind = "Timed out"


class SafetyError(ActionError):
    """A safety rule refused the operation; nothing was deleted or changed."""

    kind = "Refused by a safety rule"


# A clone deleted by a teardown or purge while a clone run was still making it.
DELETED_MEANWHILE = (
    "A teardown or purge deleted it while this run was making it: the pull request was closed or "
    "lost its label (or someone deleted the clone by hand)."
)
CLONE_AGAIN = (
    "Nothing to do if the pull request is closed. To clone again, label the pull request again "
    "once the deletion has finished. This run neither adds an instance to a deleted clone nor makes it again."
)


# Message templates: each is listed in the README's Troubleshooting section.

# Where a fix points for the IAM policy: an AccessDenied with no example statement, an impaired secret.
IAM_DOC = "examples/iam/ in the action's repository has a policy with every action it needs"

# The job that gives this step AWS credentials: no credentials found, or AWS rejected them.
CREDENTIALS_YAML = """permissions:
  id-token: write          # lets configure-aws-credentials use GitHub's OIDC token
  contents: read
  pull-requests: write
steps:
  - uses: aws-actions/configure-aws-credentials@v6
    with:
      role-to-assume: arn:aws:iam::123456789012:role/aurora-clone-action
      aws-region: eu-west-1
  - uses: org/aurora-clone-action@v1"""

# A nightly purge workflow: an AWS quota (clusters, instances, storage) stopped a clone.
PURGE_YAML = """on:
  schedule:
    - cron: "17 3 * * *"   # nightly
jobs:
  purge:
    runs-on: ubuntu-latest
    permissions: {id-token: write, contents: read, pull-requests: read}
    steps:
      - uses: aws-actions/configure-aws-credentials@v6
        with: {role-to-assume: "arn:aws:iam::123456789012:role/aurora-clone-action", aws-region: eu-west-1}
      - uses: org/aurora-clone-action@v1
        with: {mode: purge}"""


def max_deletions_yaml(count: int) -> str:
    """The purge step with max-deletions raised for one run: more clones were due than it allowed."""
    return f"""- uses: org/aurora-clone-action@v1
  with:
    mode: purge
    max-deletions: {count}   # this run only
    # dry-run: true          # or first list what would be deleted, deleting nothing"""
