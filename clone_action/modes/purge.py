"""Purge mode: delete the clones that outlived their purpose (expired, or their PR is closed).

Guard rails: a cluster that another cluster names as its source, the source-cluster input, a
golden copy and a clone whose expiry cannot be read are kept; more than max-deletions deletes
none. RDS calls are paced, since the account's API rate is shared with every other tool.
What is due and what the guards keep is found by purge_survey.py; this module deletes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..aws.iam import PURGE_POLICY
from ..aws.states import READY, STOPPED
from ..clock import Budget
from ..config import Inputs
from ..context import RunContext
from ..errors import (
    PURGE_DRY_RUN_FAILURES_FIX,
    PURGE_FAILURES_FIX,
    ActionError,
    SafetyError,
    max_deletions_fix,
    max_deletions_yaml,
)
from ..pace import TokenBucket
from ..workflow import Workflow, md_cell
from . import Planned
from .purge_survey import Candidate, Kept, Rules, Survey, survey
from .teardown import Owner, start_deletion, start_if_stopped

if TYPE_CHECKING:
    from ..aws.rds import RdsGateway, Resource
    from ..clock import Clock

# RDS allows an account 12 calls a second sustained (a burst of 300), shared by every tool, the
# console and other runs of this action ("Request throttling for the Amazon RDS API", RDS User
# Guide). Purge takes under half of it, so a nightly purge of hundreds never throttles the rest:
# any 1 s holds at most BURST + RATE = 8 calls, any 10 s at most 53.
RDS_RATE = 5.0
RDS_BURST = 3

# Clones checked by one DescribeDBClusters and one DescribeDBInstances, then deleted. At RDS_RATE
# their 2 deletes each take about 4 s, so no delete relies on a check older than that.
BATCH = 10

# Clones named in the max-deletions error; the job summary lists every one.
LISTED = 30


@dataclass(frozen=True)
class PurgePlan(Planned):
    """A purge decides what to delete only once it has listed the clusters: it carries the run."""

    clone_id: str = ""  # a purge works on no single clone
    expires_at: datetime | None = None


def check(inputs: Inputs, ctx: RunContext) -> list[str]:
    """What purge needs before any AWS call; [] when it can go ahead."""
    if inputs.purge_scope == "repository" and not ctx.repository:
        return ["GITHUB_REPOSITORY is not set; purge-scope: repository needs it (or use all)"]
    return []


def plan(inputs: Inputs, ctx: RunContext, now: datetime) -> PurgePlan:
    return PurgePlan(inputs, ctx)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _start_stopped(
    rds: RdsGateway, wf: Workflow, candidates: list[Candidate], owner: Callable[[Candidate], Owner]
) -> None:
    """Start every stopped candidate with instances at once, so that they start together.

    RDS deletes no instance of a stopped cluster, nor the cluster while it has instances. A refusal
    here is left to the candidate's own deletion to report.
    """
    from ..aws.translate import Busy

    for candidate in candidates:
        if candidate.cluster.get("Status") not in STOPPED or not candidate.cluster.get("DBClusterMembers"):
            continue
        try:
            if start_if_stopped(rds, candidate.cluster_id, owner(candidate)):
                wf.log(f"Starting '{candidate.cluster_id}': RDS deletes no instance of a stopped cluster")
        except (ActionError, Busy):
            pass  # described afresh by its deletion, which reports it


class Purge:
    """Deletes the candidates in batches: one check of each batch on fresh describes, then its deletes."""

    def __init__(
        self, inputs: Inputs, ctx: RunContext, wf: Workflow, rds: RdsGateway, clock: Clock, rules: Rules
    ) -> None:
        self.inputs, self.ctx, self.wf, self.rds, self.clock, self.rules = inputs, ctx, wf, rds, clock, rules
        self.deleting: list[Candidate] = []
        self.failures: list[str] = []

    def owner(self, candidate: Candidate) -> Owner:
        repository = candidate.repository if self.inputs.purge_scope == "all" else self.ctx.repository
        return Owner(repository, None, self.inputs.source_cluster)

    def fail(self, candidate: Candidate, message: str) -> None:
        candidate.result = f"failed: {message}"
        self.failures.append(f"{candidate.cluster_id}: {message}")

    def refuse(self, candidate: Candidate, problem: str) -> None:
        self.fail(candidate, f"Refused to delete '{candidate.cluster_id}': {problem}. Nothing was deleted.")

    def started(self, candidate: Candidate, note: str = "") -> None:
        dry = self.inputs.dry_run
        candidate.result = "would delete (dry run)" if dry else note or "deleting"
        self.deleting.append(candidate)
        verb = "Would delete" if dry else "Deleting"
        self.wf.log(f"{verb} '{candidate.cluster_id}' ({candidate.reason})" + (f": {note}" if note else ""))

    def batch(self, batch: list[Candidate]) -> None:
        """Check the batch on one fresh DescribeDBClusters and one DescribeDBInstances, then delete it.

        The same ownership check as teardown's (tags.ownership_problem) on every cluster and instance,
        and the guards again on the fresh tags, just before the batch's delete calls.
        """
        try:
            fresh = self.rds.describe_clusters([c.cluster_id for c in batch])
        except ActionError as exc:
            for candidate in batch:
                self.fail(candidate, exc.message)
            return
        checked = [(c, fresh[c.cluster_id]) for c in batch if self._still_due(c, fresh.get(c.cluster_id))]
        # Instances of the clones deleted here; teardown's path looks at the others' itself.
        quick = [c.cluster_id for c, cl in checked if self.inputs.dry_run or cl.get("Status") == READY]
        instances: dict[str, list[Resource]] = {}
        try:
            for instance in self.rds.clusters_instances(quick) if quick else []:
                instances.setdefault(str(instance.get("DBClusterIdentifier")), []).append(instance)
        except ActionError as exc:
            for candidate, _ in checked:
                self.fail(candidate, exc.message)
            return
        for candidate, cluster in checked:
            self._delete(candidate, cluster, instances.get(candidate.cluster_id, []))

    def _still_due(self, candidate: Candidate, cluster: Resource | None) -> bool:
        """True when the fresh describe shows the clone ours and still due, and not being deleted."""
        if cluster is None:
            candidate.result = "gone before purge reached it"
            return False
        owner = self.owner(candidate)
        problem = tagkeys.ownership_problem(
            cluster, repository=owner.repository, pr=None, source=owner.source
        )
        if problem:
            self.refuse(candidate, problem)
            return False
        tags = tagkeys.tag_map(cluster)
        why = self.rules.guard(candidate.cluster_id, tags)
        if why or self.rules.reason(tags) is None:
            why = why or "no longer due (its tags changed since the listing)"
            candidate.result = f"kept: {why}"
            self.wf.log(f"Keeping '{candidate.cluster_id}': {why}")
            return False
        if cluster.get("Status") == "deleting":
            self.started(candidate, "already being deleted")
            return False
        return True

    def _delete(self, candidate: Candidate, cluster: Resource, instances: list[Resource]) -> None:
        """Delete a checked clone: its instances, then it; teardown's path unless all is available.

        Teardown's path describes afresh before each delete call and waits through busy states
        (a stopped clone started, one still creating or modifying), with timeout-minutes to itself.
        """
        from ..aws.translate import Busy

        owner = self.owner(candidate)
        for instance in instances:
            problem = tagkeys.ownership_problem(
                instance, repository=owner.repository, pr=None, source=owner.source
            )
            if problem:
                self.refuse(candidate, problem)
                return
        if self.inputs.dry_run:
            self.started(candidate)
            return
        members = {str(m.get("DBInstanceIdentifier")) for m in cluster.get("DBClusterMembers") or []}
        simple = (
            cluster.get("Status") == READY
            and members <= {str(i["DBInstanceIdentifier"]) for i in instances}
            and all(i.get("DBInstanceStatus") == READY for i in instances)
        )
        try:
            if simple:
                try:
                    for instance in instances:
                        self.rds.delete_instance(str(instance["DBInstanceIdentifier"]))
                    self.rds.delete_cluster(candidate.cluster_id)
                except Busy:
                    simple = False  # RDS is busy with it after all: teardown's patient path
            if not simple:
                budget = Budget.start(
                    self.clock, poll=self.inputs.poll_interval, timeout_minutes=self.inputs.timeout_minutes
                )
                # The listing showed which clusters name it as their source: no look at its clone group.
                named_by = self.rules.sources.get(candidate.cluster_id.lower(), [])
                start_deletion(self.rds, candidate.cluster_id, owner, budget=budget, named_by=named_by)
        except ActionError as exc:
            self.fail(candidate, exc.message)
            return
        self.started(candidate)


def _kept_table(kept: list[Kept]) -> str:
    if not kept:
        return ""
    rows = "\n".join(
        f"| `{k.cluster_id}` | {md_cell(k.repository)} | {md_cell(k.pr)} | {md_cell(k.reason)} "
        f"| {md_cell(k.why)} |"
        for k in kept
    )
    return (
        f"\n\n**Kept ({len(kept)}):** clusters purge would otherwise delete, and why it does not.\n\n"
        f"| cluster | repository | PR | due because | kept because |\n|---|---|---|---|---|\n{rows}"
    )


def _candidate_rows(candidates: list[Candidate]) -> str:
    rows = "\n".join(
        f"| `{c.cluster_id}` | {md_cell(c.repository)} | {md_cell(c.pr)} | {c.age} | {md_cell(c.reason)} "
        f"| {md_cell(c.result)} |"
        for c in candidates
    )
    return f"| clone | repository | PR | age | reason | result |\n|---|---|---|---|---|---|\n{rows}"


def _report_kept(wf: Workflow, found: Survey) -> None:
    for kept in found.kept:
        wf.log(f"Keeping '{kept.cluster_id}' ({kept.reason}): {kept.why}")
    if found.unreadable:
        wf.warning(
            f"Kept {_count(len(found.unreadable), 'clone')} whose {tagkeys.EXPIRES_AT} tag cannot be read, "
            f"so whose lifetime is unknown: {', '.join(found.unreadable)}. The action writes that tag on "
            "every clone as YYYY-MM-DDTHH:MM:SSZ: correct the tag, or delete the cluster by hand if it is "
            "no longer needed.",
            title="aurora-clone: expiry unreadable",
        )


def _refuse_too_many(inputs: Inputs, wf: Workflow, candidates: list[Candidate], kept: list[Kept]) -> None:
    """More clones are due than max-deletions allows: delete none, and say how to go on."""
    for candidate in candidates:
        candidate.result = "not deleted: more than max-deletions"
    wf.set_output("purged", "[]")
    wf.summary(
        f"### Aurora clone purge: nothing deleted, {len(candidates)} clones due and max-deletions is "
        f"{inputs.max_deletions}\n\n{_candidate_rows(candidates)}{_kept_table(kept)}"
    )
    listing = "\n".join(f"- {c.cluster_id} ({c.reason})" for c in candidates[:LISTED])
    if len(candidates) > LISTED:
        listing += f"\n- and {len(candidates) - LISTED} more: the job summary lists every one"
    raise SafetyError(
        f"Purge would delete {len(candidates)} clones, more than max-deletions: {inputs.max_deletions}, "
        f"so it deleted none:\n{listing}",
        cause="More clones are due at once than this workflow expects: a backlog (purge did not run for "
        "a while), or expiry tags or PR states read wrongly (a wrong purge-scope, a changed ttl).",
        fix=max_deletions_fix(len(candidates)),
        snippet=max_deletions_yaml(len(candidates)),
    )


def run(plan: PurgePlan, wf: Workflow, rds: RdsGateway, clock: Clock) -> None:
    """Check every guard first, then delete batch by batch, then wait for all together.

    One failed deletion does not stop the rest.
    """
    inputs, ctx = plan.inputs, plan.ctx
    bucket = TokenBucket(clock, rate=RDS_RATE, burst=RDS_BURST)
    rds.pace = bucket
    rds.policy = PURGE_POLICY  # an AccessDenied quotes the purge role's policy
    scope = ctx.repository if inputs.purge_scope == "repository" else "every repository"
    wf.log(
        f"Looking for clones of {scope} in {rds.region} that are expired or whose PR is closed "
        f"(at most {RDS_RATE:g} RDS calls a second: the account's API rate is shared)"
    )
    now = clock.now()
    found = survey(rds.list_clusters(), inputs, ctx, wf, now)
    candidates, kept = found.candidates, found.kept
    wf.set_output("action", "purge")
    _report_kept(wf, found)
    if not candidates:
        wf.set_output("purged", "[]")
        also = f" {len(kept)} kept (see the job summary)." if kept else ""
        wf.notice(
            f"Nothing to purge: no expired clone and no clone of a closed PR ({scope}).{also}",
            title="aurora-clone: nothing to purge",
        )
        wf.summary(
            "### Aurora clone purge: nothing to delete\n\n"
            f"No expired clone and no clone of a closed PR ({md_cell(scope)}).{_kept_table(kept)}"
        )
        return
    if len(candidates) > inputs.max_deletions:
        if not inputs.dry_run:
            _refuse_too_many(inputs, wf, candidates, kept)
        wf.warning(
            f"{len(candidates)} clones are due, more than max-deletions: {inputs.max_deletions}: a run "
            "without dry-run would delete none of them and fail, unless max-deletions is raised for it.",
            title="aurora-clone: more than max-deletions",
        )
    purge = Purge(inputs, ctx, wf, rds, clock, found.rules)
    if not inputs.dry_run:
        _start_stopped(rds, wf, candidates, purge.owner)
    for i in range(0, len(candidates), BATCH):
        purge.batch(candidates[i : i + BATCH])
    deleting, failures = purge.deleting, purge.failures
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
    if bucket.waited:
        wf.log(f"Paced: waited {bucket.waited:.1f}s in all to stay under {RDS_RATE:g} RDS calls a second")
    title = (
        f"dry run, {len(deleting)} of {len(candidates)} would be deleted"
        if inputs.dry_run
        else f"{len(deleting)} of {len(candidates)} deleted"
    )
    wf.summary(f"### Aurora clone purge: {title}\n\n{_candidate_rows(candidates)}{_kept_table(kept)}")
    if failures:
        raise ActionError(
            f"{len(failures)} of {len(candidates)} clones could not be purged:\n"
            + "\n".join(f"- {f}" for f in failures),
            fix=PURGE_DRY_RUN_FAILURES_FIX if inputs.dry_run else PURGE_FAILURES_FIX,
        )
