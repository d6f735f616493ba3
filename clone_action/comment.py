"""The one sticky PR comment per clone: its markdown, and posting it as a run step."""

from __future__ import annotations

from collections.abc import Sequence

from .config import Inputs
from .context import RunContext
from .pr_api import GitHubFailure, marker, upsert_comment
from .workflow import Workflow, md_cell


def render(clone_id: str, heading: str, rows: Sequence[tuple[str, str]], footer: str) -> str:
    """The comment's markdown: the marker, a heading, a table and a footer. Never a password."""
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    return f"{marker(clone_id)}\n### {heading}\n\n| | |\n|---|---|\n{table}\n\n<sub>{footer}</sub>\n"


def publish(
    wf: Workflow,
    inputs: Inputs,
    ctx: RunContext,
    *,
    pr: int,
    clone_id: str,
    heading: str,
    rows: Sequence[tuple[str, str]],
    footer: str,
) -> None:
    """Keep the clone's comment on the PR up to date; a failure is a warning, never an error."""
    if not inputs.comment:
        return
    if inputs.dry_run:
        wf.log(f"Dry run: the comment on PR #{pr} would be updated, nothing is posted")
        return
    run = f" [Run {ctx.run_id}]({ctx.run_url})." if ctx.run_url else ""
    body = render(clone_id, heading, rows, footer + run)
    result = upsert_comment(
        api_url=ctx.api_url,
        token=inputs.github_token,
        repository=ctx.repository,
        pr=pr,
        clone_id=clone_id,
        body=body,
    )
    if isinstance(result, GitHubFailure):
        wf.warning(result.message, title="aurora-clone: PR comment not updated")
    else:
        wf.log(f"PR #{pr}: comment {result}")
