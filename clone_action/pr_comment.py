"""The one sticky PR comment per clone (PyGithub, imported only when a comment is posted)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .config import Inputs
from .context import RunContext
from .pr_state import answered, client, rate_limited
from .workflow import Workflow, md_cell

if TYPE_CHECKING:
    from github import Github

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
    """Update the clone's comment the token's user wrote, or create it; 'created'/'updated', or why not."""
    if not token:
        return CommentFailure("no github-token was given, so the PR comment was skipped. " + PERMISSION_FIX)
    from github import GithubException
    from requests import RequestException

    gh = client(api_url, token)
    try:
        issue = gh.get_repo(repository).get_issue(pr)
        tag = marker(clone_id)
        marked = [c for c in issue.get_comments() if (c.body or "").startswith(tag)]
        if marked:
            # Anyone can paste the marker into a comment: only the token's own user's is edited.
            viewer = _viewer(gh)
            if isinstance(viewer, CommentFailure):
                return viewer
            for comment in marked:
                if comment.user is not None and comment.user.login.casefold() == viewer.casefold():
                    comment.edit(body)
                    return "updated"
        issue.create_comment(body)
        return "created"
    except GithubException as exc:
        if rate_limited(exc):
            return CommentFailure(
                f"{answered(exc)} to the PR comment. The clone is unaffected; re-run later to update it."
            )
        hint = (
            PERMISSION_FIX
            if exc.status in (401, 403, 404)
            else "GitHub may be unavailable; re-run to update it."
        )
        return CommentFailure(f"{answered(exc, message=True)} to the PR comment. {hint}")
    except RequestException as exc:
        return CommentFailure(
            f"the PR comment could not reach GitHub at {api_url} ({type(exc).__name__}). "
            "The clone is unaffected; re-run to update the comment."
        )
    finally:
        gh.close()


def _viewer(gh: Github) -> str | CommentFailure:
    """The login of the token's user (GraphQL: REST's GET /user refuses installation tokens)."""
    from github import GithubException

    try:
        _, data = gh.requester.graphql_query("query { viewer { login } }", {})
        return str(data["data"]["viewer"]["login"])
    except (GithubException, KeyError, TypeError) as exc:
        why = answered(exc, message=True) if isinstance(exc, GithubException) else "GitHub gave no login"
        return CommentFailure(
            f"{why} when asked which user the github-token is (GraphQL at {gh.requester.graphql_url}), "
            "so no comment was changed: only a marked comment that user wrote is edited, and posting "
            "a new one would repeat it on every run. Re-run when GitHub's GraphQL API answers, or set "
            "`comment: false`."
        )


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
