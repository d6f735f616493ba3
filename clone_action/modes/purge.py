"""Purge mode: delete the clones that outlived their purpose (expired, or their PR is closed)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..aws.states import STOPPED
from ..clock import Budget
from ..config import Inputs
from ..context import RunContext
from ..errors import ActionError, InputError
from ..pr_state import open_pull_requests
from ..workflow import Workflow, md_cell
from .teardown import Owner, start_deletion, start_if_stopped

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock


@dataclass
class Candidate:
    """A clone that purge deletes, and why."""

    cluster_id: str
    cluster: Resource
    repository: str
    pr: str
    age: str
    reason: str
    result: str = ""


def plan_purge(inputs: Inputs, ctx: RunContext) -> None:
    """What purge needs before any AWS call."""
    if inputs.purge_scope == "repository" and not ctx.repository:
        raise InputError(["GITHUB_REPOSITORY is not set; purge-scope: repository needs it (or use all)"])


def _age(cluster: Resource, now: datetime) -> str:
    created = cluster.get("ClusterCreateTime")
    if not isinstance(created, datetime):
        return "?"
    delta = now - created.astimezone(UTC)
    return f"{delta.days}d {delta.seconds // 3600}h" if delta.days else f"{delta.seconds // 3600}h"


def _expired(tags: dict[str, str], now: datetime) -> str | None:
    """The expiry if it has passed (an unreadable expiry counts as passed)."""
    text = tags.get(tagkeys.EXPIRES_AT, "")
    try:
        when = datetime.strptime(text, tagkeys.EXPIRY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return text or "(none)"
    return text if when <= now else None


def find_candidates(
    clusters: list[Resource], inputs: Inputs, ctx: RunContext, wf: Workflow, now: datetime
) -> list[Candidate]:
    """The managed clones in scope that are expired, or whose PR GitHub says is not open."""
    ours = []
    for cluster in clusters:
        tags = tagkeys.tag_map(cluster)
        if tags.get(tagkeys.MANAGED) != "true" or cluster["DBClusterIdentifier"] == inputs.source_cluster:
            continue
        if inputs.purge_scope == "repository" and tags.get(tagkeys.REPOSITORY) != ctx.repository:
            continue
        ours.append((cluster, tags))
    live = {t.get(tagkeys.REPOSITORY, "") for c, t in ours if not _expired(t, now)}
    open_prs: dict[str, set[int]] = {}
    for repository in sorted(live):
        answer = open_pull_requests(api_url=ctx.api_url, token=inputs.github_token, repository=repository)
        if isinstance(answer, str):
            wf.warning(
                f"{answer}: closed pull requests of {repository} are not known, so only expired clones "
                "are purged. Give the job `permissions: pull-requests: read`.",
                title="aurora-clone: PR states unknown",
            )
        else:
            open_prs[repository] = answer
    found = []
    for cluster, tags in ours:
        repository, pr = tags.get(tagkeys.REPOSITORY, ""), tags.get(tagkeys.PR, "")
        expiry = _expired(tags, now)
        if expiry:
            reason = f"expired {expiry}"
        elif repository in open_prs and pr.isdigit() and int(pr) not in open_prs[repository]:
            reason = f"PR #{pr} closed"
        else:
            continue
        found.append(
            Candidate(
                str(cluster["DBClusterIdentifier"]), cluster, repository, pr, _age(cluster, now), reason
            )
        )
    return found


def _start_stopped(
    rds: RdsGateway, wf: Workflow, candidates: list[Candidate], owner: Callable[[Candidate], Owner]
) -> set[str]:
    """Start every stopped candidate with instances at once, so that they start together.

    RDS deletes no instance of a stopped cluster, nor the cluster while it has instances.

    Returns the ones started; a refusal here is left to the candidate's own deletion to report.
    """
    from ..aws.rds import Busy

    started: set[str] = set()
    for candidate in candidates:
        if candidate.cluster.get("Status") not in STOPPED or not candidate.cluster.get("DBClusterMembers"):
            continue
        try:
            if start_if_stopped(rds, candidate.cluster_id, owner(candidate)):
                started.add(candidate.cluster_id)
                wf.log(f"Starting '{candidate.cluster_id}': RDS deletes no instance of a stopped cluster")
        except (ActionError, Busy):
            started.add(candidate.cluster_id)  # described afresh by its deletion, which reports it
    return started


def run(inputs: Inputs, ctx: RunContext, wf: Workflow, rds: RdsGateway, clock: Clock) -> None:
    """Start every deletion first, then wait for them together; one failure does not stop the rest."""
    scope = ctx.repository if inputs.purge_scope == "repository" else "every repository"
    wf.log(f"Looking for clones of {scope} in {rds.region} that are expired or whose PR is closed")
    candidates = find_candidates(rds.list_clusters(), inputs, ctx, wf, clock.now())
    wf.set_output("action", "purge")
    if not candidates:
        wf.set_output("purged", "[]")
        wf.notice(
            f"Nothing to purge: no expired clone and no clone of a closed PR ({scope}).",
            title="aurora-clone: nothing to purge",
        )
        wf.summary(
            "### Aurora clone purge: nothing to delete\n\n"
            f"No expired clone and no clone of a closed PR ({md_cell(scope)})."
        )
        return
    failures: list[str] = []
    deleting: list[Candidate] = []

    def owner(candidate: Candidate) -> Owner:
        repository = candidate.repository if inputs.purge_scope == "all" else ctx.repository
        return Owner(repository, None, inputs.source_cluster)

    started = _start_stopped(rds, wf, [c for c in candidates if not inputs.dry_run], owner)
    for candidate in candidates:
        # Each clone has the whole timeout-minutes to itself: a slow one does not fail the others.
        budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
        try:
            start_deletion(
                rds,
                candidate.cluster_id,
                owner(candidate),
                budget=budget,
                dry_run=inputs.dry_run,
                described=None if candidate.cluster_id in started else candidate.cluster,
            )
        except ActionError as exc:
            candidate.result = f"failed: {exc.message}"
            failures.append(f"{candidate.cluster_id}: {exc.message}")
            continue
        candidate.result = "would delete (dry run)" if inputs.dry_run else "deleting"
        deleting.append(candidate)
        wf.log(
            f"{'Would delete' if inputs.dry_run else 'Deleting'} '{candidate.cluster_id}' "
            f"({candidate.reason})"
        )
    if deleting and inputs.wait and not inputs.dry_run:
        budget = Budget.start(clock, poll=inputs.poll_interval, timeout_minutes=inputs.timeout_minutes)
        try:
            rds.wait_until_gone([c.cluster_id for c in deleting], budget)
            for candidate in deleting:
                candidate.result = "deleted"
        except ActionError as exc:
            failures.append(exc.message)
    wf.set_output("purged", json.dumps([c.cluster_id for c in deleting]))
    verb = "Would delete" if inputs.dry_run else "Purged"
    names = ", ".join(c.cluster_id for c in deleting) or "none"
    wf.log(f"{verb} {len(deleting)} of {len(candidates)} clones: {names}")
    rows = "\n".join(
        f"| `{c.cluster_id}` | {md_cell(c.repository)} | {c.pr} | {c.age} | {md_cell(c.reason)} "
        f"| {md_cell(c.result)} |"
        for c in candidates
    )
    title = "dry run" if inputs.dry_run else f"{len(deleting)} of {len(candidates)} deleted"
    wf.summary(
        f"### Aurora clone purge: {title}\n\n| clone | repository | PR | age | reason | result |\n"
        f"|---|---|---|---|---|---|\n{rows}"
    )
    if failures:
        raise ActionError(
            f"{len(failures)} of {len(candidates)} clones could not be purged:\n"
            + "\n".join(f"- {f}" for f in failures),
            fix="The others were deleted. Fix what each line says and run purge again.",
        )
