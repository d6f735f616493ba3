"""The one sticky PR comment per clone (PyGithub, imported only when a comment is posted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .config import Inputs
from .context import RunContext
from .workflow import Workflow, md_cell

PERMISSION_FIX = (
    "Give the job `permissions: pull-requests: write` (and pass `github-token` if you use "
    "another token), or set `comment: false`."
)


def marker(clone_id: str) -> str:
    """The hidden line that names the clone's comment, so reruns find and update it."""
    return f"<!-- aurora-clone:{clone_id} -->"


@dataclass(frozen=True)
class CommentFailure:
    """Why the comment could not be posted: shown as a warning, the run still succeeds."""

    message: str


def render(clone_id: str, heading: str, rows: Sequence[tuple[str, str]], footer: str) -> str:
    """The comment's markdown: the marker, a heading, a table and a footer. Never a password."""
    table = "\n".join(f"| {name} | {md_cell(value)} |" for name, value in rows)
    return f"{marker(clone_id)}\n### {heading}\n\n| | |\n|---|---|\n{table}\n\n<sub>{footer}</sub>\n"


def upsert(
    *, api_url: str, token: str, repository: str, pr: int, clone_id: str, body: str
) -> str | CommentFailure:
    """Update the clone's comment on the PR, or create it; 'created' or 'updated', or why it failed."""
    if not token:
        return CommentFailure("no github-token was given, so the PR comment was skipped. " + PERMISSION_FIX)
    from github import Auth, Github, GithubException
    from requests import RequestException

    gh = Github(auth=Auth.Token(token), base_url=api_url, timeout=15, retry=None, lazy=True, per_page=100)
    try:
        issue = gh.get_repo(repository).get_issue(pr)
        tag = marker(clone_id)
        for comment in issue.get_comments():
            if (comment.body or "").startswith(tag):
                try:
                    comment.edit(body)
                    return "updated"
                except GithubException as exc:
                    if exc.status not in (403, 404):
                        raise
                    break  # a marker comment we cannot edit (not ours): post our own
        issue.create_comment(body)
        return "created"
    except GithubException as exc:
        reason = (exc.data or {}).get("message", "") if isinstance(exc.data, dict) else ""
        hint = (
            PERMISSION_FIX
            if exc.status in (401, 403, 404)
            else "GitHub may be unavailable; re-run to update it."
        )
        return CommentFailure(
            f"GitHub answered {exc.status} {reason}".rstrip() + f" to the PR comment. {hint}"
        )
    except RequestException as exc:
        return CommentFailure(
            f"the PR comment could not reach GitHub at {api_url} ({type(exc).__name__}). "
            "The clone is unaffected; re-run to update the comment."
        )
    finally:
        gh.close()


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
    result = upsert(
        api_url=ctx.api_url,
        token=inputs.github_token,
        repository=ctx.repository,
        pr=pr,
        clone_id=clone_id,
        body=body,
    )
    if isinstance(result, CommentFailure):
        wf.warning(result.message, title="aurora-clone: PR comment not updated")
    else:
        wf.log(f"PR #{pr}: comment {result}")
