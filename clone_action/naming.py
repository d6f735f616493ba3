"""Clone identifiers from the `clone-id` template."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from .config import DEFAULT_CLONE_ID, IDENTIFIER_RULE, Inputs, is_identifier
from .context import RunContext, pr_number
from .errors import InputError

MAX_ID = 63
Named = Literal["clone", "teardown"]  # the modes that work on one PR's clone


def reduce(value: str) -> str:
    """A placeholder value reduced to lower-case letters, digits and single hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def expand_clone_id(template: str, *, source: str, pr: int, repository: str) -> str:
    """The clone's identifier: the template expanded, lower-cased, checked.

    The default template is shortened with a hash suffix past 63 characters; an explicit
    template that does not give a valid identifier is an input error.
    """
    owner, _, repo = repository.partition("/")
    values = {"source": reduce(source), "pr": str(pr), "repo": reduce(repo), "owner": reduce(owner)}
    try:
        expanded = template.format(**values).lower()
    except (ValueError, KeyError, IndexError, AttributeError):
        expanded = template
    if template == DEFAULT_CLONE_ID and len(expanded) > MAX_ID:
        digest = hashlib.sha256(expanded.encode()).hexdigest()[:6]
        tail = f"-{digest}-pr-{pr}"
        expanded = values["source"][: MAX_ID - len(tail)].rstrip("-") + tail
    if not is_identifier(expanded):
        raise InputError(
            [
                f"clone-id: the template {template!r} gives {expanded!r}, which is not a valid "
                f"cluster identifier ({IDENTIFIER_RULE}); change the template"
            ]
        )
    return expanded


def instance_id(clone_id: str) -> str:
    """The identifier of the clone's DB instance: unique per clone, within 63 characters."""
    if len(clone_id) + 2 <= MAX_ID:
        return clone_id + "-1"
    digest = hashlib.sha256(clone_id.encode()).hexdigest()[:6]
    return f"{clone_id[: MAX_ID - 9].rstrip('-')}-{digest}-1"


def clone_id_problems(inputs: Inputs, ctx: RunContext, mode: Named) -> list[str]:
    """What stops this run from naming its PR and clone; [] when nothing does."""
    resolved = _resolve(inputs, ctx, mode)
    return resolved if isinstance(resolved, list) else []


def resolve_clone_id(inputs: Inputs, ctx: RunContext, mode: Named) -> tuple[int, str]:
    """The PR and the clone identifier this run works on (checked by clone_id_problems first)."""
    resolved = _resolve(inputs, ctx, mode)
    if isinstance(resolved, list):
        raise InputError(resolved, given=inputs.given)
    return resolved


def _resolve(inputs: Inputs, ctx: RunContext, mode: Named) -> tuple[int, str] | list[str]:
    # Safety rule 2: an identifier equal to the source cluster is refused.
    problems: list[str] = []
    if not ctx.repository:
        problems.append("GITHUB_REPOSITORY is not set; the action must run in a GitHub Actions job")
    if not inputs.source_cluster and (mode == "clone" or "{source}" in inputs.clone_id):
        problems.append(
            f"source-cluster: required to {mode}"
            + ("" if mode == "clone" else " (clone-id uses {source})")
            + "; give the identifier of the cluster the clones are made from"
        )
    try:
        pr = pr_number(inputs, ctx)
    except InputError as exc:
        problems += exc.problems
    if problems:
        return problems
    try:
        clone_id = expand_clone_id(
            inputs.clone_id, source=inputs.source_cluster, pr=pr, repository=ctx.repository
        )
    except InputError as exc:
        return exc.problems
    if inputs.source_cluster and clone_id == inputs.source_cluster:
        return [
            f"clone-id: {inputs.clone_id!r} gives {clone_id!r}, the source cluster itself; "
            "the action never touches the source: use a template with {pr}"
        ]
    return pr, clone_id
