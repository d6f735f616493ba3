"""Purge's survey: which managed clones are due (expired, or their PR closed), and which stay.

The guards (Rules.guard) keep a cluster whatever its tags say; purge.py checks them again on a
fresh describe just before it deletes. Nothing here changes anything in AWS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..aws import tags as tagkeys
from ..config import Inputs
from ..context import RunContext
from ..pr_api import GitHubFailure, open_pull_requests
from ..workflow import Workflow
from .teardown import named_sources, source_of

if TYPE_CHECKING:
    from ..aws.rds import Resource


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


@dataclass(frozen=True)
class Kept:
    """A cluster purge would otherwise delete, and why it stays."""

    cluster_id: str
    repository: str
    pr: str
    reason: str
    why: str


@dataclass(frozen=True)
class Rules:
    """What makes a clone due (expired, PR closed) and what keeps one whatever its tags say."""

    now: datetime
    open_prs: dict[str, set[int]]  # repository -> open PR numbers, for the repositories GitHub answered
    sources: dict[str, list[str]]  # cluster id -> the clusters whose aurora-clone/source tag names it
    source_cluster: str = ""

    def reason(self, tags: dict[str, str]) -> str | None:
        """Why the clone is due; None when it is not (an unreadable expiry is never due)."""
        text = tags.get(tagkeys.EXPIRES_AT, "")
        when = parse_expiry(text)
        if when is None:
            return None
        if when <= self.now:
            return f"expired {text}"
        repository, pr = tags.get(tagkeys.REPOSITORY, ""), tags.get(tagkeys.PR, "")
        if repository in self.open_prs and pr.isdigit() and int(pr) not in self.open_prs[repository]:
            return f"PR #{pr} closed"
        return None

    def guard(self, cluster_id: str, tags: dict[str, str]) -> str | None:
        """Why this cluster is never purged, whatever its expiry or PR; None when nothing keeps it."""
        if self.source_cluster and cluster_id.lower() == self.source_cluster.lower():
            return "it is the source-cluster input of this step"
        if tags.get(tagkeys.BASE) == tagkeys.GOLDEN:
            return f"it is a golden copy ({tagkeys.BASE}={tagkeys.GOLDEN})"
        made = {tagkeys.CANDIDATE: "-r", tagkeys.ASIDE: "-o"}.get(tags.get(tagkeys.BASE, ""))
        if made and not re.search(made + r"[0-9]{10}$", cluster_id):
            # refresh-base names what it makes and what it renames aside <base>-rYYMMDDHHMM and
            # <base>-oYYMMDDHHMM: under any other name, it is the golden copy in place mid-swap.
            return f"it is a golden copy in place ({tagkeys.BASE}={tags[tagkeys.BASE]} under another name)"
        naming = self.sources.get(cluster_id.lower())
        if naming:
            return f"it is {source_of(naming)}"
        if parse_expiry(tags.get(tagkeys.EXPIRES_AT, "")) is None:
            return f"its {tagkeys.EXPIRES_AT} tag is {_expiry_text(tags)}, so its lifetime is unknown"
        return None


@dataclass
class Survey:
    """What the listing showed: the clones to delete, and the ones kept with the reason."""

    rules: Rules
    candidates: list[Candidate] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "'id' (expiry text)", for one warning


def parse_expiry(text: str) -> datetime | None:
    """The aurora-clone/expires-at value as a time; None when it is missing or not YYYY-MM-DDTHH:MM:SSZ."""
    try:
        return datetime.strptime(text, tagkeys.EXPIRY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _expiry_text(tags: dict[str, str]) -> str:
    text = tags.get(tagkeys.EXPIRES_AT)
    return "missing" if text is None else f"{text!r}, not YYYY-MM-DDTHH:MM:SSZ"


def _age(cluster: Resource, now: datetime) -> str:
    created = cluster.get("ClusterCreateTime")
    if not isinstance(created, datetime):
        return "?"
    delta = now - created.astimezone(UTC)
    return f"{delta.days}d {delta.seconds // 3600}h" if delta.days else f"{delta.seconds // 3600}h"


def survey(clusters: list[Resource], inputs: Inputs, ctx: RunContext, wf: Workflow, now: datetime) -> Survey:
    """The managed clones in scope that are expired or whose PR GitHub says is not open, less the kept."""
    ours = []
    for cluster in clusters:
        tags = tagkeys.tag_map(cluster)
        if tags.get(tagkeys.MANAGED) != "true":
            continue
        if inputs.purge_scope == "repository" and tags.get(tagkeys.REPOSITORY) != ctx.repository:
            continue
        ours.append((cluster, tags))
    # GitHub is asked only where a clone's fate hangs on its PR: a readable expiry still ahead.
    live = set()
    for _, tags in ours:
        when = parse_expiry(tags.get(tagkeys.EXPIRES_AT, ""))
        if when is not None and when > now:
            live.add(tags.get(tagkeys.REPOSITORY, ""))
    open_prs: dict[str, set[int]] = {}
    for repository in sorted(live):
        answer = open_pull_requests(api_url=ctx.api_url, token=inputs.github_token, repository=repository)
        if isinstance(answer, GitHubFailure):
            wf.warning(
                f"{answer.message}: closed pull requests of {repository} are not known, so only expired "
                "clones are purged. Give the job `permissions: pull-requests: read`.",
                title="aurora-clone: PR states unknown",
            )
        else:
            open_prs[repository] = answer
    found = Survey(Rules(now, open_prs, named_sources(clusters), inputs.source_cluster))
    for cluster, tags in ours:
        ident = str(cluster["DBClusterIdentifier"])
        repository, pr = tags.get(tagkeys.REPOSITORY, ""), tags.get(tagkeys.PR, "")
        reason = found.rules.reason(tags)
        unreadable = parse_expiry(tags.get(tagkeys.EXPIRES_AT, "")) is None
        if reason is None and not unreadable:
            continue
        why = found.rules.guard(ident, tags)
        if why:
            found.kept.append(Kept(ident, repository, pr, reason or "expiry unknown", why))
            if unreadable and tags.get(tagkeys.BASE) != "true":
                found.unreadable.append(f"'{ident}' ({_expiry_text(tags)})")
            continue
        assert reason is not None  # an unreadable expiry is always guarded
        found.candidates.append(Candidate(ident, cluster, repository, pr, _age(cluster, now), reason))
    return found
