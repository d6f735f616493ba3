"""The one module over PyGithub: PR state, open PRs, the sticky comment and the reset label; one
soft-failure type.

PyGithub is imported only when GitHub is asked. Every function returns its answer or a
`GitHubFailure`: GitHub is never a reason for the run to fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from .errors import COMMENT_PERMISSION_FIX, label_permission_fix

T = TypeVar("T")

if TYPE_CHECKING:
    from types import TracebackType

    from github import Github, GithubException
    from urllib3 import BaseHTTPResponse, Retry
    from urllib3.connectionpool import ConnectionPool

# What GitHub may cost a job, per request: 3 retries of a 5xx or a rate limit; urllib3 waits
# 0 s before the first retry, then 1 s, then 2 s (3 s in all). A rate limit is waited out only
# when GitHub asks for at most RATE_LIMIT_WAIT_MAX seconds; its usual ask for a secondary rate
# limit (60 s, or one minute when it names no time) ends the request at once, with a warning.
RETRIES = 3
BACKOFF_FACTOR = 0.5
RATE_LIMIT_WAIT_MAX = 10.0
# GitHub's advice for a secondary rate limit that gives no Retry-After: wait at least a minute.
SECONDARY_RATE_WAIT = 60.0


@dataclass(frozen=True)
class PullRequest:
    """A pull request as GitHub says it is now."""

    number: int
    state: str  # 'open' or 'closed', as GitHub says
    labels: tuple[str, ...]


@dataclass(frozen=True)
class GitHubFailure:
    """Why GitHub could not answer or do it: shown as a warning or a log line, the run goes on."""

    message: str


def client(api_url: str, token: str) -> Github:
    """A PyGithub client with bounded retries: 5xx and rate limits, never a refused connection."""
    from github import Auth, Github

    # PyGithub spaces requests 0.25 s apart and non-GETs 1 s apart (the GraphQL viewer query
    # included). GitHub asks for serial requests (they are) and a pause between many mutative
    # ones; a run makes at most one (the comment), so the spacing only ever delayed it.
    # docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api
    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=15,
        retry=_retry(),
        lazy=True,
        per_page=100,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _retry() -> Retry:
    """PyGithub's GithubRetry, bounded: it gives up rather than wait longer than RATE_LIMIT_WAIT_MAX."""
    from github import GithubRetry
    from urllib3.exceptions import MaxRetryError, ResponseError

    class BoundedRetry(GithubRetry):
        # GithubRetry caps a wait it computes itself (max_rate_limit_wait), but urllib3 sleeps
        # whatever a Retry-After header says. Asked for longer, stop and hand GitHub's answer
        # back (raise_on_status=False): retrying earlier than asked is what GitHub says not to do.
        def increment(  # type: ignore[override]
            self,
            method: str | None = None,
            url: str | None = None,
            response: BaseHTTPResponse | None = None,
            error: Exception | None = None,
            _pool: ConnectionPool | None = None,
            _stacktrace: TracebackType | None = None,
        ) -> Retry:
            wait = self.get_retry_after(response) if response is not None else None
            if wait is not None and wait > RATE_LIMIT_WAIT_MAX:
                reason = ResponseError(f"GitHub asked to wait {wait:g} s")
                raise MaxRetryError(_pool, url or "", reason)  # type: ignore[arg-type]
            return super().increment(method, url, response, error, _pool, _stacktrace)  # type: ignore[arg-type]

    return BoundedRetry(
        total=RETRIES,
        connect=0,  # nothing listening, or no route: fail at once; the run goes on without GitHub
        read=0,  # the request reached GitHub (a POST may have been applied): do not send it again
        backoff_factor=BACKOFF_FACTOR,
        secondary_rate_wait=SECONDARY_RATE_WAIT,
        max_rate_limit_wait=RATE_LIMIT_WAIT_MAX,
        raise_on_status=False,  # retries used up: PyGithub raises GitHub's last answer, not a RetryError
    )


def rate_limited(exc: GithubException) -> bool:
    """A primary or secondary rate limit (403 as PyGithub reads it, or 429), not a missing permission."""
    from github import RateLimitExceededException

    return isinstance(exc, RateLimitExceededException) or exc.status == 429


def answered(exc: GithubException, *, message: bool = False) -> str:
    """'GitHub answered 403', with GitHub's message if asked, and the wait it asked for after a rate limit."""
    said = exc.data.get("message", "") if message and isinstance(exc.data, dict) else ""
    text = f"GitHub answered {exc.status} {said}".rstrip()
    if rate_limited(exc):
        headers = {name.lower(): str(value) for name, value in (exc.headers or {}).items()}
        after = headers.get("retry-after", "")
        wait = float(after) if after.isdigit() else getattr(exc, "wait", None)
        text += f" (a rate limit; it asked to wait {wait:g} s)" if wait else " (a rate limit)"
    return text


NO_TOKEN = GitHubFailure("no github-token was given")


def _unreachable(api_url: str, exc: Exception) -> GitHubFailure:
    return GitHubFailure(f"GitHub could not be reached at {api_url} ({type(exc).__name__})")


def open_pull_requests(*, api_url: str, token: str, repository: str) -> set[int] | GitHubFailure:
    """The numbers of the repository's open PRs (one request per 100), or why GitHub could not tell."""
    return _ask(
        api_url,
        token,
        f"the pull requests of {repository}",
        lambda gh: {pr.number for pr in gh.get_repo(repository).get_pulls(state="open")},
    )


def pull_request(*, api_url: str, token: str, repository: str, number: int) -> PullRequest | GitHubFailure:
    """The PR as GitHub says it is now (one request), or why GitHub could not tell."""

    def ask(gh: Github) -> PullRequest:
        pr = gh.get_repo(repository).get_pull(number)  # lazy: the GET is sent on the first attribute
        state = pr.state
        return PullRequest(number=number, state=state, labels=tuple(label.name for label in pr.labels))

    return _ask(api_url, token, f"pull request #{number} of {repository}", ask)


def remove_label(
    *, api_url: str, token: str, repository: str, number: int, label: str
) -> str | GitHubFailure:
    """Take `label` off the pull request (one request): 'removed', 'not there', or why not.

    GitHub: DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}, which a token may call with
    `pull-requests: write` or `issues: write` (docs.github.com, REST "Remove a label from an issue").
    """
    if not token:
        return GitHubFailure(f"{NO_TOKEN.message}. {label_permission_fix(label)}")
    from urllib.parse import quote

    from github import GithubException
    from requests import RequestException

    gh = client(api_url, token)
    # The name is one path segment: PyGithub's remove_from_labels would leave a '/' in it unescaped.
    path = f"/repos/{repository}/issues/{number}/labels/{quote(label, safe='')}"
    try:
        gh.requester.requestJsonAndCheck("DELETE", path)
        return "removed"
    except GithubException as exc:
        if exc.status == 404 and not rate_limited(exc):
            return "not there"  # someone took it off already (GitHub: "Label does not exist")
        hint = (
            "Remove it by hand; a re-run is not needed."
            if rate_limited(exc) or exc.status >= 500
            else label_permission_fix(label)
        )
        return GitHubFailure(f"{answered(exc, message=True)} to removing the label '{label}'. {hint}")
    except RequestException as exc:
        return GitHubFailure(
            f"removing the label '{label}' could not reach GitHub at {api_url} ({type(exc).__name__}). "
            "Remove it by hand; a re-run is not needed."
        )
    finally:
        gh.close()


def _ask(api_url: str, token: str, about: str, question: Callable[[Github], T]) -> T | GitHubFailure:
    """GitHub's answer to one question about `about`, or why it could not give it."""
    if not token:
        return NO_TOKEN
    from github import GithubException
    from requests import RequestException

    gh = client(api_url, token)
    try:
        return question(gh)
    except GithubException as exc:
        return GitHubFailure(f"{answered(exc)} for {about}")
    except RequestException as exc:
        return _unreachable(api_url, exc)
    finally:
        gh.close()


def marker(clone_id: str) -> str:
    """The hidden line that names the clone's comment, so reruns find and update it."""
    return f"<!-- aurora-clone:{clone_id} -->"


def upsert_comment(
    *, api_url: str, token: str, repository: str, pr: int, clone_id: str, body: str
) -> str | GitHubFailure:
    """Update the clone's comment the token's user wrote, or create it; 'created'/'updated', or why not."""
    if not token:
        return GitHubFailure(f"{NO_TOKEN.message}, so the PR comment was skipped. {COMMENT_PERMISSION_FIX}")
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
            if isinstance(viewer, GitHubFailure):
                return viewer
            for comment in marked:
                if comment.user is not None and comment.user.login.casefold() == viewer.casefold():
                    comment.edit(body)
                    return "updated"
        issue.create_comment(body)
        return "created"
    except GithubException as exc:
        if rate_limited(exc):
            return GitHubFailure(
                f"{answered(exc)} to the PR comment. The clone is unaffected; re-run later to update it."
            )
        hint = (
            COMMENT_PERMISSION_FIX
            if exc.status in (401, 403, 404)
            else "GitHub may be unavailable; re-run to update it."
        )
        return GitHubFailure(f"{answered(exc, message=True)} to the PR comment. {hint}")
    except RequestException as exc:
        return GitHubFailure(
            f"the PR comment could not reach GitHub at {api_url} ({type(exc).__name__}). "
            "The clone is unaffected; re-run to update the comment."
        )
    finally:
        gh.close()


def _viewer(gh: Github) -> str | GitHubFailure:
    """The login of the token's user (GraphQL: REST's GET /user refuses installation tokens)."""
    from github import GithubException

    try:
        _, data = gh.requester.graphql_query("query { viewer { login } }", {})
        return str(data["data"]["viewer"]["login"])
    except (GithubException, KeyError, TypeError) as exc:
        why = answered(exc, message=True) if isinstance(exc, GithubException) else "GitHub gave no login"
        return GitHubFailure(
            f"{why} when asked which user the github-token is (GraphQL at {gh.requester.graphql_url}), "
            "so no comment was changed: only a marked comment that user wrote is edited, and posting "
            "a new one would repeat it on every run. Re-run when GitHub's GraphQL API answers, or set "
            "`comment: false`."
        )
