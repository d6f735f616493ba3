"""The sticky PR comment, against a fake GitHub REST API that PyGithub reaches over HTTP."""

from __future__ import annotations

from tests.fake_github import FakeGitHub
from tests.helpers import pr_event
from tests.integration.conftest import Harness

MARKER = "<!-- aurora-clone:prod-pr-7 -->"
CLOSED = pr_event("closed")


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
    github.comments[7] = [
        {
            "id": 1,
            "body": "LGTM",
            "url": f"{github.url}/repos/acme/shop/issues/comments/1",
            "user": {"login": "ana"},
        }
    ]
    action.run()
    action.run(event=pr_event("synchronize"))

    bodies = github.comment_bodies(7)
    assert len(bodies) == 2
    assert bodies[0] == "LGTM"
    assert "(reused)" in bodies[1]
    assert [m for m, _ in github.requests].count("POST") == 1
    assert [m for m, _ in github.requests].count("PATCH") == 1


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


def test_github_down_is_a_warning_and_the_clone_still_succeeds(action: Harness, github: FakeGitHub) -> None:
    github.fail_with = 503

    result = action.run()

    assert result.code == 0, result.log
    assert "GitHub answered 503" in result.log
    assert "GitHub may be unavailable; re-run to update it." in result.log


def test_github_unreachable_is_a_warning(action: Harness, github: FakeGitHub) -> None:
    action.github = None  # the runner_env default: nothing listens at GITHUB_API_URL

    result = action.run()

    assert result.code == 0, result.log
    assert (
        "::warning title=aurora-clone%3A PR comment not updated::the PR comment could not reach GitHub"
        in result.log
    )


def test_comment_false_makes_no_github_request(action: Harness, github: FakeGitHub) -> None:
    action.run({"comment": "false"})
    action.run({"comment": "false"}, event=CLOSED)

    assert github.requests == []


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
    finally:
        github.url = url

    assert github.requests
    assert all(path.startswith("/api/v3/repos/acme/shop/") for _, path in github.requests)


def test_the_token_is_masked_before_anything_is_printed(action: Harness) -> None:
    result = action.run()

    assert result.log.splitlines()[0] == "::add-mask::ghs_test-token-not-real"
