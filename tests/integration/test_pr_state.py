"""What GitHub says about pull requests now, asked over HTTP of the fake GitHub (PyGithub, retries and all)."""

from __future__ import annotations

import pytest

from clone_action.pr_api import GitHubFailure, PullRequest, open_pull_requests, pull_request
from testkit.fake_github import (
    BAD_GATEWAY,
    RATE_LIMITED,
    SECONDARY_RATE_LIMIT,
    Failure,
    FakeGitHub,
)

PULL_7 = ("GET", "/repos/acme/shop/pulls/7")
TOKEN = "ghs_test-token-not-real"


def ask(github: FakeGitHub, number: int = 7, **kwargs: str) -> PullRequest | GitHubFailure:
    where = {"api_url": github.url, "token": TOKEN, "repository": "acme/shop"} | kwargs
    return pull_request(number=number, **where)


def test_an_open_pull_request_with_its_labels_in_one_request(github: FakeGitHub) -> None:
    github.pulls[7] = "open"
    github.labels[7] = ["clone-db", "bug"]

    assert ask(github) == PullRequest(number=7, state="open", labels=("clone-db", "bug"))
    assert github.requests == [PULL_7]


def test_a_closed_pull_request_keeps_its_labels(github: FakeGitHub) -> None:
    github.pulls[7] = "closed"
    github.labels[7] = ["clone-db"]

    assert ask(github) == PullRequest(number=7, state="closed", labels=("clone-db",))


def test_a_pull_request_without_labels(github: FakeGitHub) -> None:
    github.pulls[7] = "open"

    assert ask(github) == PullRequest(number=7, state="open", labels=())


def test_an_unknown_pull_request_is_a_failure(github: FakeGitHub) -> None:
    github.pulls[7] = "open"

    assert ask(github, 8) == GitHubFailure("GitHub answered 404 for pull request #8 of acme/shop")


def test_a_refusal_is_a_failure(github: FakeGitHub) -> None:
    github.fail_with = 403

    assert ask(github) == GitHubFailure("GitHub answered 403 for pull request #7 of acme/shop")
    assert github.requests == [PULL_7]  # a 403 that is no rate limit is not retried


def test_without_a_token_github_is_not_asked(github: FakeGitHub) -> None:
    assert ask(github, token="") == GitHubFailure("no github-token was given")
    assert github.requests == []


def test_unreachable_github_is_a_failure_at_once(waits: list[float]) -> None:
    answer = pull_request(api_url="http://127.0.0.1:9", token=TOKEN, repository="acme/shop", number=7)

    assert answer == GitHubFailure("GitHub could not be reached at http://127.0.0.1:9 (ConnectionError)")
    assert waits == []  # a refused connection is not retried


def test_github_enterprise_server_is_asked_under_api_v3(github: FakeGitHub) -> None:
    github.pulls[7] = "open"

    assert ask(github, api_url=github.url + "/api/v3") == PullRequest(7, "open", ())
    assert github.requests == [("GET", "/api/v3/repos/acme/shop/pulls/7")]


@pytest.mark.parametrize("failure", [BAD_GATEWAY, RATE_LIMITED], ids=["502", "secondary-rate-limit"])
def test_a_passing_failure_is_retried_at_once(
    github: FakeGitHub, waits: list[float], failure: Failure
) -> None:
    github.pulls[7] = "open"
    github.failures.append(failure)

    assert ask(github) == PullRequest(7, "open", ())
    assert github.requests == [PULL_7, PULL_7]
    assert waits == []  # urllib3 does not wait before a first retry


def test_github_down_is_asked_four_times_in_3_seconds(github: FakeGitHub, waits: list[float]) -> None:
    github.fail_with = 502

    assert ask(github) == GitHubFailure("GitHub answered 502 for pull request #7 of acme/shop")
    assert github.requests == [PULL_7] * 4
    assert waits == [1.0, 2.0]


@pytest.mark.parametrize(
    ("failure", "answer"),
    [
        (
            Failure(403, SECONDARY_RATE_LIMIT, {"Retry-After": "60"}),
            "403 (a rate limit; it asked to wait 60 s)",
        ),
        (Failure(403, SECONDARY_RATE_LIMIT), "403 (a rate limit; it asked to wait 60 s)"),  # GitHub: a minute
        (Failure(429, SECONDARY_RATE_LIMIT), "429 (a rate limit)"),
    ],
    ids=["retry-after-60", "no-retry-after", "429"],
)
def test_a_long_rate_limit_is_a_failure_without_waiting(
    github: FakeGitHub, waits: list[float], failure: Failure, answer: str
) -> None:
    github.pulls[7] = "open"
    github.failures.append(failure)

    assert ask(github) == GitHubFailure(f"GitHub answered {answer} for pull request #7 of acme/shop")
    assert github.requests == [PULL_7]
    assert waits == []


def test_a_rate_limit_of_a_few_seconds_is_waited_out(github: FakeGitHub, waits: list[float]) -> None:
    github.pulls[7] = "open"
    github.failures.append(Failure(403, SECONDARY_RATE_LIMIT, {"Retry-After": "7"}))

    assert ask(github) == PullRequest(7, "open", ())
    assert waits == [7.0]


def test_open_pull_requests_ride_out_a_502(github: FakeGitHub, waits: list[float]) -> None:
    github.pulls.update({1: "open", 2: "closed", 3: "open"})
    github.failures.append(BAD_GATEWAY)

    assert open_pull_requests(api_url=github.url, token=TOKEN, repository="acme/shop") == {1, 3}
    assert github.requests == [("GET", "/repos/acme/shop/pulls")] * 2
