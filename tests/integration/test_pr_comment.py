"""The sticky PR comment, against a fake GitHub REST API that PyGithub reaches over HTTP."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from testkit.events import pr_event
from testkit.fake_github import (
    BAD_GATEWAY,
    RATE_LIMITED,
    SECONDARY_RATE_LIMIT,
    Failure,
    FakeGitHub,
)
from testkit.harness import Harness

MARKER = "<!-- aurora-clone:prod-pr-7 -->"
CLOSED = pr_event("closed")
COMMENTS = "/repos/acme/shop/issues/7/comments"
WARNING = "::warning title=aurora-clone%3A PR comment not updated::"


def comment_requests(github: FakeGitHub) -> list[tuple[str, str]]:
    """The comment's requests: its PR's comments and GraphQL (routing asks for the PR itself too)."""
    return [(m, path) for m, path in github.requests if "/issues/" in path or path.endswith("/graphql")]


def on_comments(failure: Failure) -> Failure:
    """The failure, answered to the comment's first request (listing the PR's comments)."""
    return replace(failure, path=COMMENTS)


def pasted(github: FakeGitHub, body: str, login: str = "ana", ident: int = 1) -> dict[str, Any]:
    """A comment someone wrote on PR #7 before the action ran."""
    comment = {
        "id": ident,
        "body": body,
        "url": f"{github.url}/repos/acme/shop/issues/comments/{ident}",
        "user": {"login": login, "type": "User"},
    }
    github.comments.setdefault(7, []).append(comment)
    return comment


def test_a_clone_gets_one_comment_with_how_to_reach_it(action: Harness, github: FakeGitHub) -> None:
    result = action.run()

    assert result.code == 0, result.log
    (body,) = github.comment_bodies(7)
    assert body.startswith(MARKER + "\n### Preview database `prod-pr-7`: available")
    assert f"| Endpoint | `{result.outputs['endpoint']}` |" in body
    assert f"| Database URL | `{result.outputs['database-url']}` (no password) |" in body
    assert "| Port | 5432 |" in body
    assert "| Expires | 2026-12-02T12:00:00Z" in body
    assert "[Run 4242](https://github.com/acme/shop/actions/runs/4242)" in body
    assert "console.aws.amazon.com/rds" in body
    assert "prod-password-1" not in body
    assert "PR #7: comment created" in result.log


def test_a_rerun_updates_the_same_comment(action: Harness, github: FakeGitHub) -> None:
    pasted(github, "LGTM")
    action.run()
    action.run(event=pr_event("synchronize"))

    bodies = github.comment_bodies(7)
    assert len(bodies) == 2
    assert bodies[0] == "LGTM"
    assert "(reused)" in bodies[1]
    assert github.requests.count(("POST", COMMENTS)) == 1
    assert [m for m, _ in github.requests].count("PATCH") == 1
    # The first run finds no marked comment, so only the rerun asks GitHub who the token is.
    assert github.requests.count(("POST", "/graphql")) == 1


def test_a_marker_pasted_into_someone_elses_comment_is_left_alone(
    action: Harness, github: FakeGitHub
) -> None:
    theirs = pasted(github, MARKER + "\nI copied the bot's comment here")

    result = action.run()

    assert result.code == 0, result.log
    assert "PR #7: comment created" in result.log
    first, ours = github.comment_bodies(7)
    assert first == MARKER + "\nI copied the bot's comment here"
    assert ours.startswith(MARKER + "\n### Preview database `prod-pr-7`: available")
    assert github.comments[7][1]["user"]["login"] == "github-actions[bot]"
    assert theirs["body"] == first
    assert not [m for m, _ in github.requests if m == "PATCH"]


def test_a_rerun_updates_our_comment_and_not_the_pasted_marker(action: Harness, github: FakeGitHub) -> None:
    pasted(github, MARKER + "\nmine")
    action.run()

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert "PR #7: comment updated" in result.log
    first, ours = github.comment_bodies(7)
    assert first == MARKER + "\nmine"
    assert ours.startswith(MARKER + "\n### Preview database `prod-pr-7`: deleted")
    (patched,) = [path for m, path in github.requests if m == "PATCH"]
    assert patched == f"/repos/acme/shop/issues/comments/{github.comments[7][1]['id']}"


def test_a_personal_access_tokens_user_updates_the_comment_that_user_wrote(
    action: Harness, github: FakeGitHub
) -> None:
    github.viewer = "Ana"  # a PAT: GraphQL's viewer is the person (logins ignore case)
    pasted(github, MARKER + "\nan earlier run with Ana's token", login="ana")

    result = action.run({"github-token": "ghp_test-pat-not-real"})

    assert result.code == 0, result.log
    (body,) = github.comment_bodies(7)
    assert body.startswith(MARKER + "\n### Preview database `prod-pr-7`: available")
    assert "PR #7: comment updated" in result.log


def test_when_github_cannot_say_who_the_token_is_no_comment_changes(
    action: Harness, github: FakeGitHub
) -> None:
    action.run()
    before = github.comment_bodies(7)
    github.requests.clear()
    github.failures.append(Failure(404, "Not Found", path="/graphql"))  # e.g. a proxy without GraphQL

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    assert github.comment_bodies(7) == before
    assert comment_requests(github) == [("GET", COMMENTS), ("POST", "/graphql")]
    assert (
        WARNING + f"GitHub answered 404 Not Found when asked which user the github-token is (GraphQL at "
        f"{github.url}/graphql), so no comment was changed: only a marked comment that user wrote is "
        "edited, and posting a new one would repeat it on every run. Re-run when GitHub's GraphQL API "
        "answers, or set `comment: false`." in result.log
    )


@pytest.mark.parametrize(
    "failure",
    [
        on_comments(BAD_GATEWAY),
        Failure(502, "Server Error", method="POST", path=COMMENTS),  # creating it: GitHub stored nothing
        on_comments(RATE_LIMITED),
        on_comments(Failure(403, SECONDARY_RATE_LIMIT, {"Retry-After": "10"})),  # the longest wait honoured
    ],
    ids=["502-list", "502-create", "secondary-rate-limit", "retry-after-10"],
)
def test_a_passing_failure_is_retried_and_posts_exactly_one_comment(
    action: Harness, github: FakeGitHub, waits: list[float], failure: Failure
) -> None:
    github.failures.append(failure)

    result = action.run()

    assert result.code == 0, result.log
    assert "PR #7: comment created" in result.log
    assert "::warning" not in result.log
    (body,) = github.comment_bodies(7)
    assert body.startswith(MARKER)
    assert len(comment_requests(github)) == 3  # the list and the creation, one of them twice
    assert waits == ([10.0] if failure.headers.get("Retry-After") == "10" else [])


@pytest.mark.parametrize(
    "headers",
    [{"Retry-After": "60"}, {}],  # without Retry-After GitHub says: wait at least a minute
    ids=["retry-after-60", "no-retry-after"],
)
def test_a_rate_limit_asking_for_a_minute_is_a_warning_at_once(
    action: Harness, github: FakeGitHub, waits: list[float], headers: dict[str, str]
) -> None:
    github.failures.append(on_comments(Failure(403, SECONDARY_RATE_LIMIT, headers)))

    result = action.run()

    assert result.code == 0, result.log
    assert github.comment_bodies(7) == []
    assert comment_requests(github) == [("GET", COMMENTS)]
    assert waits == []
    assert (
        WARNING + "GitHub answered 403 (a rate limit; it asked to wait 60 s) to the PR comment. "
        "The clone is unaffected; re-run later to update it." in result.log
    )


def test_teardown_updates_the_comment_to_say_the_clone_was_deleted(
    action: Harness, github: FakeGitHub
) -> None:
    action.run()

    result = action.run(event=CLOSED)

    assert result.code == 0, result.log
    (body,) = github.comment_bodies(7)
    assert body.startswith(MARKER + "\n### Preview database `prod-pr-7`: deleted")
    assert "Deleted 2026-11-25 12:00 UTC by aurora-clone-action." in body


def test_github_refusing_is_a_warning_that_names_the_permission(action: Harness, github: FakeGitHub) -> None:
    github.fail_with = 403

    result = action.run()

    assert result.code == 0, result.log
    assert result.outputs["status"] == "available"
    assert (
        "::warning title=aurora-clone%3A PR comment not updated::GitHub answered 403 Resource not accessible "
        "by integration to the PR comment. Give the job `permissions: pull-requests: write`" in result.log
    )


def test_github_down_is_a_warning_and_the_clone_still_succeeds(
    action: Harness, github: FakeGitHub, waits: list[float]
) -> None:
    github.fail_with = 503

    result = action.run()

    assert result.code == 0, result.log
    assert "GitHub answered 503" in result.log
    assert "GitHub may be unavailable; re-run to update it." in result.log
    # Bounded: each request is sent 4 times with 3 s of waiting (urllib3: none, then 1 s, then 2 s);
    # routing's looks at the PR itself are such requests too.
    assert comment_requests(github) == [("GET", COMMENTS)] * 4
    assert len(github.requests) % 4 == 0 and waits == [1.0, 2.0] * (len(github.requests) // 4)


def test_github_unreachable_is_a_warning(action: Harness, github: FakeGitHub, waits: list[float]) -> None:
    action.github = None  # the runner_env default: nothing listens at GITHUB_API_URL

    result = action.run()

    assert result.code == 0, result.log
    assert waits == []  # a refused connection is not retried: the warning comes at once
    assert (
        "::warning title=aurora-clone%3A PR comment not updated::the PR comment could not reach GitHub"
        in result.log
    )


def test_comment_false_makes_no_comment_request(action: Harness, github: FakeGitHub) -> None:
    action.run({"comment": "false"})
    action.run({"comment": "false"}, event=CLOSED)

    assert comment_requests(github) == []  # only routing's look at the PR itself
    assert {path for _, path in github.requests} <= {"/repos/acme/shop/pulls/7"}


def test_without_a_token_nothing_is_sent(action: Harness, github: FakeGitHub) -> None:
    result = action.run({"github-token": ""})

    assert result.code == 0
    assert github.requests == []
    assert "no github-token was given, so the PR comment was skipped" in result.log


def test_github_enterprise_server_api_url_is_used(action: Harness, github: FakeGitHub) -> None:
    url = github.url
    github.url = url + "/api/v3"
    try:
        action.run()
        result = action.run(event=CLOSED)
    finally:
        github.url = url

    assert "PR #7: comment updated" in result.log
    assert ("POST", "/api/graphql") in github.requests  # GHES serves GraphQL beside /api/v3
    rest = [path for _, path in github.requests if path != "/api/graphql"]
    assert rest and all(path.startswith("/api/v3/repos/acme/shop/") for path in rest)


def test_the_token_is_masked_before_anything_is_printed(action: Harness) -> None:
    result = action.run()

    assert result.log.splitlines()[0] == "::add-mask::ghs_test-token-not-real"
