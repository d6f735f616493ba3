"""The GitHub environment and event payload, and what `mode: auto` makes of them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .config import Action, Inputs
from .errors import EVENT_PATH_FIX, ActionError, InputError

if TYPE_CHECKING:
    from .pr_api import PullRequest
    from .workflow import Workflow

PR_EVENTS = ("pull_request", "pull_request_target")
CLONE_ACTIONS = ("opened", "reopened", "synchronize", "ready_for_review")


@dataclass(frozen=True)
class RunContext:
    """What the runner tells the action about this run."""

    event_name: str = ""
    repository: str = ""
    workspace: Path = Path("/github/workspace")
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    run_id: str = ""
    actor: str = ""
    aws_region: str = ""
    event_action: str = ""
    event_label: str = ""
    pr_number: int | None = None
    pr_labels: tuple[str, ...] = ()
    pr_state: str = ""
    head_repository: str = ""

    @property
    def owner(self) -> str:
        return self.repository.partition("/")[0]

    @property
    def repo(self) -> str:
        return self.repository.partition("/")[2]

    @property
    def from_fork(self) -> bool:
        return bool(self.head_repository) and self.head_repository != self.repository

    def credentials_hint(self) -> str:
        """Why a run may have no AWS credentials, when the event tells (fork or Dependabot PRs)."""
        if self.event_name == "pull_request" and self.from_fork:
            return (
                f"This pull request comes from the fork '{self.head_repository}'. GitHub runs "
                "pull_request workflows from forks without secrets and without an OIDC token, so no "
                "AWS role can be assumed. To clone for fork PRs, trigger on pull_request_target and "
                "keep the label as the gate (only people with triage rights can label); see the "
                "README's Security section."
            )
        if self.actor == "dependabot[bot]":
            return (
                "Dependabot's pull requests run without the repository's secrets and OIDC "
                "permissions. Skip them with `if: github.actor != 'dependabot[bot]'`, or label "
                "them after review and run the clone from pull_request_target."
            )
        return ""

    @property
    def run_url(self) -> str:
        if not (self.repository and self.run_id):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "")
    return Path(value) if value else None


def workflow_files(env: Mapping[str, str]) -> tuple[Path | None, Path | None]:
    """The runner's GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files (None outside a runner)."""
    return _path(env, "GITHUB_OUTPUT"), _path(env, "GITHUB_STEP_SUMMARY")


def _load_event(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ActionError(
            f"The event payload {path} could not be read: {exc}",
            fix=EVENT_PATH_FIX,
        ) from exc
    return payload if isinstance(payload, dict) else {}


def read_context(env: Mapping[str, str]) -> RunContext:
    """Build the RunContext from the runner's environment variables and the event file."""
    payload = _load_event(_path(env, "GITHUB_EVENT_PATH"))
    pr = payload.get("pull_request") or {}
    number = pr.get("number") or payload.get("number")
    return RunContext(
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        repository=env.get("GITHUB_REPOSITORY", ""),
        workspace=Path(env.get("GITHUB_WORKSPACE") or "/github/workspace"),
        server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
        api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        run_id=env.get("GITHUB_RUN_ID", ""),
        actor=env.get("GITHUB_ACTOR", ""),
        # configure-aws-credentials sets both; botocore reads only AWS_DEFAULT_REGION.
        aws_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "",
        event_action=str(payload.get("action") or ""),
        event_label=str((payload.get("label") or {}).get("name") or ""),
        pr_number=number if isinstance(number, int) else None,
        pr_labels=tuple(str(lbl.get("name", "")) for lbl in pr.get("labels") or [] if isinstance(lbl, dict)),
        pr_state=str(pr.get("state") or ""),
        head_repository=str(((pr.get("head") or {}).get("repo") or {}).get("full_name") or ""),
    )


@dataclass(frozen=True)
class Route:
    """What to do in this run, and a sentence saying why."""

    mode: Action | Literal["none"]
    reason: str


def _same_label(a: str, b: str) -> bool:
    # GitHub label names are unique regardless of case.
    return a.casefold() == b.casefold()


def route(inputs: Inputs, ctx: RunContext) -> Route:
    """Decide the mode: the `mode` input, or for `auto` the contract's event table.

    A closed pull request gets no clone, whatever the event (a `labeled` or `synchronize` can
    arrive after the close, and a re-run replays its event as it was).
    """
    decision = _route(inputs, ctx)
    if decision.mode in ("clone", "reset") and ctx.pr_state == "closed":
        where = f"{ctx.event_name} '{ctx.event_action}'" if ctx.event_action else ctx.event_name
        return Route(
            "none", f"{where}: the pull request is closed, and a closed pull request gets no {decision.mode}"
        )
    return decision


def recheck(decision: Route, inputs: Inputs, pr: PullRequest) -> Route:
    """A clone (or, in mode: auto, a teardown) held against the pull request as GitHub says it is now.

    The event can be old: a re-run replays it as it was, and a `workflow_dispatch` has none.
    """
    labelled = any(_same_label(name, inputs.label) for name in pr.labels)
    if decision.mode == "teardown" and inputs.mode == "auto" and pr.state == "open" and labelled:
        return Route(
            "none",
            f"GitHub says pull request #{pr.number} is open and carries the label '{inputs.label}' "
            "again, so its clone stays",
        )
    if decision.mode == "reset":
        return _recheck_reset(decision, inputs, pr, "GitHub says")
    if decision.mode != "clone":
        return decision
    if pr.state != "open":
        return Route(
            "none",
            f"GitHub says pull request #{pr.number} is {pr.state}, and a closed pull request gets no clone",
        )
    if inputs.mode == "auto" and not labelled:
        return Route(
            "none", f"GitHub says pull request #{pr.number} no longer carries the label '{inputs.label}'"
        )
    return decision


def confirm(inputs: Inputs, ctx: RunContext, wf: Workflow, decision: Route, *, again: bool = False) -> Route:
    """The decision held against the pull request as GitHub says it is now (one request).

    The event can be old (a re-run replays it; a workflow_dispatch has none). When GitHub cannot
    tell, the event decides; without an event, with a warning. `again`: asked after the restore.
    """
    if not (decision.mode in ("clone", "reset") or (decision.mode == "teardown" and inputs.mode == "auto")):
        return decision
    number = inputs.pr_number or ctx.pr_number
    if number is None or not inputs.github_token:
        return _event_says(decision, inputs, ctx, number)
    from .pr_api import GitHubFailure, pull_request

    pr = pull_request(
        api_url=ctx.api_url, token=inputs.github_token, repository=ctx.repository, number=number
    )
    if not isinstance(pr, GitHubFailure):
        now = recheck(decision, inputs, pr)
        if decision.mode == "reset" and now.mode == "none" and pr.state == "open":
            # No clone to reset: the reset label is taken off all the same, so that adding it
            # again (after the clone label) asks again.
            remove_reset_label(inputs, ctx, wf, pr.number, pr.labels)
        return now
    if again:
        return decision
    if decision.mode == "reset":
        wf.log(f"Could not ask GitHub for pull request #{number} ({pr.message}): the event decides")
        return _event_says(decision, inputs, ctx, number)
    if ctx.pr_number is None:
        wf.warning(
            f"Could not ask GitHub whether pull request #{number} is still open: {pr.message}. Cloning it "
            "anyway; give the job `permissions: pull-requests: read` to have a closed one skipped.",
            title="aurora-clone: PR state unknown",
        )
    else:
        wf.log(
            f"Could not ask GitHub for the state of pull request #{number} ({pr.message}): the event decides"
        )
    return decision


def _recheck_reset(decision: Route, inputs: Inputs, pr: PullRequest, who: str) -> Route:
    """A reset needs the pull request open and, in mode: auto, carrying the clone label: a reset
    label on a pull request without a clone makes none (adding the clone label does)."""
    if pr.state != "open":
        return Route(
            "none", f"{who} pull request #{pr.number} is {pr.state}, and a closed pull request gets no reset"
        )
    if inputs.mode == "auto" and not any(_same_label(name, inputs.label) for name in pr.labels):
        return Route(
            "none",
            f"{who} pull request #{pr.number} does not carry the label '{inputs.label}', so it has no "
            f"clone to reset; add the label '{inputs.label}' to get a clone (a fresh one)",
        )
    return decision


def _event_says(decision: Route, inputs: Inputs, ctx: RunContext, number: int | None) -> Route:
    """A reset held against the event's pull request, when GitHub cannot be asked."""
    if decision.mode != "reset" or number is None or not ctx.pr_state:
        return decision
    from .pr_api import PullRequest

    return _recheck_reset(
        decision, inputs, PullRequest(number, ctx.pr_state, ctx.pr_labels), "the event says"
    )


def event_labels(ctx: RunContext) -> tuple[str, ...]:
    """The pull request's labels as the event tells them, the one a `labeled` event added included."""
    return (ctx.event_label, *ctx.pr_labels) if ctx.event_action == "labeled" else ctx.pr_labels


def remove_reset_label(
    inputs: Inputs, ctx: RunContext, wf: Workflow, number: int, labels: Sequence[str]
) -> None:
    """Take the reset label off the pull request when it carries it; a failure is a warning.

    Nothing is sent in a dry run. GitHub sends no new workflow run for a change the job's own
    GITHUB_TOKEN makes, and an `unlabeled` of the reset label routes to nothing anyway.
    """
    label = inputs.reset_label
    if not any(_same_label(name, label) for name in labels):
        return
    if inputs.dry_run:
        wf.log(f"Dry run: the label '{label}' would be removed from pull request #{number}")
        return
    from .pr_api import GitHubFailure, remove_label

    done = remove_label(
        api_url=ctx.api_url, token=inputs.github_token, repository=ctx.repository, number=number, label=label
    )
    if isinstance(done, GitHubFailure):
        wf.warning(done.message, title="aurora-clone: reset label not removed")
    else:
        state = "is removed" if done == "removed" else "was removed already"
        wf.log(f"PR #{number}: the label '{label}' {state}")


def _route(inputs: Inputs, ctx: RunContext) -> Route:
    if inputs.mode != "auto":
        return Route(inputs.mode, f"mode: {inputs.mode}")
    event, action, label = ctx.event_name, ctx.event_action, inputs.label
    if event == "schedule":
        return Route("purge", "a scheduled run purges expired clones")
    if event not in PR_EVENTS:
        return Route(
            "none",
            f"the event '{event or 'unknown'}' does not clone or delete anything in mode: auto; "
            "set mode: clone, teardown or purge to act on other events",
        )
    where = f"{event} '{action}'"
    if action == "labeled":
        if _same_label(ctx.event_label, label):
            return Route("clone", f"{where}: the label '{label}' was added")
        if _same_label(ctx.event_label, inputs.reset_label):
            return Route("reset", f"{where}: the label '{inputs.reset_label}' was added")
        return Route("none", f"{where}: the label added is neither '{label}' nor '{inputs.reset_label}'")
    if action == "unlabeled":
        if _same_label(ctx.event_label, label):
            return Route("teardown", f"{where}: the label '{label}' was removed")
        return Route("none", f"{where}: the label removed is not '{label}'")
    if action == "closed":
        return Route("teardown", f"{where}: the pull request was closed")
    if action in CLONE_ACTIONS:
        if any(_same_label(name, label) for name in ctx.pr_labels):
            return Route("clone", f"{where}: the pull request carries the label '{label}'")
        return Route("none", f"{where}: the pull request does not carry the label '{label}'")
    return Route("none", f"{where} does not clone or delete anything")


def pr_number(inputs: Inputs, ctx: RunContext) -> int:
    """The PR this run is about: the `pr-number` input, else the event's."""
    number = inputs.pr_number or ctx.pr_number
    if number is None:
        raise InputError(
            [
                f"pr-number: required for the event '{ctx.event_name or 'unknown'}', which names no "
                "pull request; set pr-number: ${{ inputs.pr-number }} (or the PR's number)"
            ]
        )
    return number
