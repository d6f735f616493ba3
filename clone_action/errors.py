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


class PreparationError(ActionError):
    """A masking rule or SQL statement failed in the clone, or a rule was not verified: the clone,
    which may hold unmasked data, is deleted and nothing is handed out."""

    kind = "Preparation failed"


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

# A cluster (or the clone's instance name) is taken by something that is not this PR's clone.
NAME_TAKEN_FIX = "Set clone-id to a template that names a new cluster, e.g. '{source}-{repo}-pr-{pr}'."
INSTANCE_NAME_TAKEN_FIX = (
    "Set clone-id to a template that names a new cluster, e.g. '{source}-{repo}-pr-{pr}' "
    "(the instance is named after the clone)."
)
# IAM refused the scaling configuration of a reused provisioned clone: the example PR policy
# denies every ModifyDBCluster but ManageMasterUserPassword on purpose.
SCALING_REFUSED_FIX = (
    "Remove the label (the clone is deleted) and add it again: a new clone gets its scaling "
    "configuration in the restore, which needs no ModifyDBCluster. The example policy "
    "(examples/iam/clone-teardown-policy.json, NeverSetAKnownMasterPassword) refuses this call on "
    "purpose, since IAM cannot tell it from setting a known master password on a copy of production."
)
# RDS said the clone's instance exists, then that it does not (deleted in between).
INSTANCE_VANISHED_FIX = "Re-run the job: it adds the instance again."
# The source cluster is not in this account and region.
SOURCE_NOT_FOUND_FIX = "Check source-cluster, and aws-region in aws-actions/configure-aws-credentials."
# RDS cannot clone the source (not available, no instance, not Aurora, Serverless v1).
CANNOT_CLONE_FIX = "Do what each line says, or set source-cluster to another cluster."
# The runner's event file is not JSON.
EVENT_PATH_FIX = "GITHUB_EVENT_PATH must name the JSON file the runner writes for this run."
# GitHub refused the PR comment (a warning: the run goes on).
COMMENT_PERMISSION_FIX = (
    "Give the job `permissions: pull-requests: write` (and pass `github-token` if you use "
    "another token), or set `comment: false`."
)

# Where a fix points for the IAM policy: an AccessDenied with no example statement, an impaired secret.
IAM_DOC = "examples/iam/ in the action's repository has a policy with every action it needs"

# The job that gives this step AWS credentials: no credentials found, or AWS rejected them.
CREDENTIALS_YAML = """permissions:
  id-token: write          # lets configure-aws-credentials use GitHub's OIDC token
  contents: read
  pull-requests: write
steps:
  - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
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
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with: {role-to-assume: "arn:aws:iam::123456789012:role/aurora-clone-purge", aws-region: eu-west-1}
      - uses: org/aurora-clone-action@v1
        with: {mode: purge}"""


def max_deletions_yaml(count: int) -> str:
    """The purge step with max-deletions raised for one run: more clones were due than it allowed."""
    return f"""- uses: org/aurora-clone-action@v1
  with:
    mode: purge
    max-deletions: {count}   # this run only
    # dry-run: true          # or first list what would be deleted, deleting nothing"""


# Teardown, purge and the RDS gateway (modes/teardown.py, modes/purge.py, aws/).

# A teardown refused a cluster: not this PR's clone, the source, deletion protection, a foreign instance.
OWNERSHIP_FIX = (
    "The action deletes only clusters it created for this repository and pull request (tag "
    "aurora-clone/managed=true, aurora-clone/repository, aurora-clone/pr), never the source. "
    "Check clone-id, source-cluster and pr-number; delete anything else by hand."
)

# A teardown refused a clone that other clusters name in their aurora-clone/source tag.
SOURCE_IN_USE_FIX = (
    "Delete the clusters that name it as their source first (each with its own teardown, or purge "
    "once it is due), then run this teardown again. The action never deletes a cluster that another "
    "cluster names as its source."
)

# A purge deleted some clones and could not delete others (each line says why).
PURGE_FAILURES_FIX = "The others were deleted. Fix what each line says and run purge again."

# A purge dry run found clones it could not delete (each line says why); it deleted nothing.
PURGE_DRY_RUN_FAILURES_FIX = "The others would be deleted. Fix what each line says and run purge again."


# More clones were due than max-deletions allows: purge deleted none.
def max_deletions_fix(count: int) -> str:
    return (
        f"Check the list. If every one should go, run purge once with max-deletions: {count} or more "
        "(for that run only), or run it with dry-run: true first to list what it would delete without "
        "deleting anything."
    )


# No region for the RDS client: neither configure-aws-credentials nor AWS_REGION gave one.
NO_REGION_FIX = "Set aws-region in aws-actions/configure-aws-credentials, or AWS_REGION in env:."

# No AWS credentials found at all.
NO_CREDENTIALS_FIX = (
    "Add a step `uses: aws-actions/configure-aws-credentials@v6` with `role-to-assume` "
    "before this one, and `permissions: id-token: write` in the job."
)

# AWS rejected the credentials (expired, another account or partition).
BAD_CREDENTIALS_FIX = "Check the role in aws-actions/configure-aws-credentials and re-run the job."

# The RDS endpoint could not be reached (network, DNS, a timeout).
UNREACHABLE_FIX = "Re-run the job."

# RDS kept throttling a call after the client's retries.
THROTTLED_FIX = "Re-run the job later; other tools in the account may be calling RDS heavily."

# An AWS quota (clusters, instances, storage) stopped a clone.
QUOTA_FIX = (
    "Delete clones that are no longer needed: run this action with mode: purge "
    "(or the nightly purge workflow), or ask AWS for a higher quota."
)


# IAM denied an action; `where` is the example statement that allows it, or IAM_DOC.
def access_denied_fix(action: str, where: str) -> str:
    return (
        f"Allow {action} in the IAM policy of the role this job assumes, as {where} does. Replace "
        "the account id, region, repository and source names with yours."
    )


# The clone's own master user secret is 'impaired' (RDS cannot reach it or its KMS key).
SECRET_IMPAIRED_FIX = (
    f"Allow kms:DescribeKey on the aws/secretsmanager key to the role this job assumes ({IAM_DOC}), "
    "then delete the clone (remove the label) and label again."
)


# The clone was not available after timeout-minutes (still creating, or in other passing states).
def not_available_fix(creating: bool) -> str:
    doing = (
        "The clone is still being created"
        if creating
        else "RDS is still working on the clone, in states that pass by themselves,"
    )
    return (
        f"{doing} and it is kept: re-run the job to go on waiting (it is reused), or raise "
        "timeout-minutes. Large clusters can take 20 minutes or more."
    )


# The clone still existed after timeout-minutes of a teardown or purge.
STILL_DELETING_FIX = "RDS goes on deleting it: re-run the job to confirm, or raise timeout-minutes."

# RDS refused a change while the cluster and everything in it was available: waiting would not help.
REFUSED_FIX = (
    "Look at the cluster in the RDS console; if the message names a setting, "
    "correct it (for the clone: remove the label and label the pull request again)."
)

# RDS kept refusing a change (the cluster busy) until timeout-minutes ran out.
STILL_BUSY_FIX = (
    "Re-run the job: it picks up where this run stopped. Raise timeout-minutes if this happens often."
)


# The clone, or one of its instances, is in a state that does not pass by itself (aws/states.py):
# where to look first; the fix of each such state follows.
def rds_events(ident: str) -> str:
    return f"Look at the events of '{ident}' in the RDS console."


# How to make the clone again, in most of those fixes.
REMAKE_CLONE = "Delete the clone (remove the label, or mode: teardown), then label the pull request again."


# ...during a teardown or purge: RDS will not delete it in that state.
def undeletable_fix(ident: str) -> str:
    return (
        f"{rds_events(ident)} Delete it in the console once RDS allows it (or ask AWS Support), then "
        "re-run the job to confirm."
    )


# ...'cloning-failed': RDS could not make the clone.
def cloning_failed_fix(ident: str) -> str:
    return (
        f"{rds_events(ident)} {REMAKE_CLONE} If it fails again, check that the source is healthy and "
        "that the account has room for another cluster."
    )


# ...'stopped' or 'stopping': someone stopped it.
def stopped_fix(ident: str) -> str:
    return (
        f"Start it (aws rds start-db-cluster --db-cluster-identifier {ident}) and re-run the job, "
        "or remove the label to delete the clone."
    )


# ...'deleting' or 'delete-precheck' during a clone run: a teardown, purge or person is deleting it.
BEING_DELETED_FIX = (
    "Nothing to do if the pull request is closed. To clone again, label the pull request "
    "again once the deletion has finished."
)

# ...'insufficient-capacity': no capacity for the instance class in the clone's Availability Zone.
CAPACITY_FIX = f"{REMAKE_CLONE} Choose another instance-class, or try again later."

# ...'inaccessible-encryption-credentials*': RDS cannot use the KMS key of the source and its clones.
KMS_KEY_FIX = (
    "Make sure the key is enabled and that RDS may use it (key policy, grants); "
    f"{REMAKE_CLONE[0].lower()}{REMAKE_CLONE[1:]}"
)

# ...'incompatible-network': the subnet group or VPC cannot take the instance.
NETWORK_FIX = f"Check db-subnet-group and security-group-ids. {REMAKE_CLONE}"

# ...'incompatible-parameters': the parameter group does not suit the instance.
PARAMETERS_FIX = f"Check db-cluster-parameter-group against instance-class. {REMAKE_CLONE}"


# ...'storage-full', or any other state.
def state_fix(ident: str) -> str:
    return f"{rds_events(ident)} {REMAKE_CLONE}"


# The Data API kept answering that the clone's database is waking (auto-pause) or that its HTTP
# endpoint is not enabled yet, until timeout-minutes ran out.
DATA_API_WAIT_FIX = (
    "Re-run the job (the clone was deleted, since it was not prepared; the run makes a new one). "
    "If it keeps happening, raise timeout-minutes, and check in the RDS console that the clone's "
    "Data API (RDS Data API / HTTP endpoint) shows as enabled."
)
# The Data API refused: the role may not call it on the clone, or may not read the clone's secret.
DATA_API_FORBIDDEN_FIX = (
    "Allow rds-data:ExecuteStatement on the clones and secretsmanager:GetSecretValue on their "
    "RDS-managed secrets: see the RunSqlInClones and ReadClonesOwnSecrets statements in "
    "examples/iam/clone-teardown-policy.json."
)
# A masking rule or SQL statement failed, or a masking rule left values unmasked.
PREPARE_FAILED_FIX = (
    "Fix the rule or the statement named above (the database's message says what it refused), "
    "then run the job again: it makes a new clone and prepares it from the start."
)
# A reused clone was prepared with other rules or files (or never finished preparing).
STALE_PREPARATION = (
    "The clone '{clone_id}' was prepared with other mask rules or SQL files (or its preparation "
    "never finished): it is deleted and cloned again, since SQL files may not run twice."
)


# Issue 15, reset: GitHub refused to take the reset label off the pull request after a reset (a
# warning, never a failure: the reset itself is done).
def label_permission_fix(label: str) -> str:
    return (
        "Give the job `permissions: pull-requests: write` (or `issues: write`), and pass `github-token` "
        f"if you use another token; until then, remove the label '{label}' by hand before adding it "
        "again to ask for another reset."
    )
