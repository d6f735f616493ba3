"""Which pull requests are still open, asked of GitHub in bulk (one request per 100 open PRs)."""

from __future__ import annotations


def open_pull_requests(*, api_url: str, token: str, repository: str) -> set[int] | str:
    """The numbers of the repository's open PRs, or why GitHub could not tell."""
    if not token:
        return "no github-token was given"
    from github import Auth, Github, GithubException
    from requests import RequestException

    gh = Github(auth=Auth.Token(token), base_url=api_url, timeout=15, retry=None, lazy=True, per_page=100)
    try:
        return {pr.number for pr in gh.get_repo(repository).get_pulls(state="open")}
    except GithubException as exc:
        return f"GitHub answered {exc.status} for the pull requests of {repository}"
    except RequestException as exc:
        return f"GitHub could not be reached at {api_url} ({type(exc).__name__})"
    finally:
        gh.close()
