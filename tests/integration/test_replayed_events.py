"""Old or replayed events: a clone only for a pull request that GitHub says is open (and labelled).

A re-run of a workflow replays its event as it was when first sent; a `workflow_dispatch`
carries no pull request at all. The action asks GitHub (the fake, over real HTTP) before cloning.
"""

from __future__ import annotations

from testkit.events import pr_event
from testkit.fake_github import BAD_GATEWAY, FakeGitHub
from testkit.harness import Harness

CLONE = "prod-pr-7"


def notices(log: str) -> list[str]:
    return [line for line in log.splitlines() if line.startswith("::notice")]


def test_a_rerun_of_the_labeled_event_after_the_pr_closed_clones_nothing(
    action: Harness, github: FakeGitHub
) -> None:
    github.pulls[7], github.labels[7] = "closed", ["clone-db"]

    result = action.run(event=pr_event("labeled", label="clone-db"))

    assert result.code == 0, result.log
    assert result.outputs["action"] == "none"
    assert notices(result.log) == [
        "::notice title=aurora-clone%3A no action::Nothing to do: GitHub says pull request #7 is closed, "
        "and a closed pull request gets no clone."
    ]
    assert action.calls.log == []  # not even a describe
    assert action.cluster(CLONE) is None
    assert ("GET", "/repos/acme/shop/pulls/7") in github.requests


def test_a_rerun_after_the_label_was_removed_clones_nothing(action: Harness, github: FakeGitHub) -> None:
    github.pulls[7], github.labels[7] = "open", ["bug"]

    result = action.run(event=pr_event("synchronize"))

    assert result.outputs["action"] == "none"
    assert "no longer carries the label 'clone-db'" in result.log
    assert action.cluster(CLONE) is None


def test_an_open_labelled_pr_is_cloned(action: Harness, github: FakeGitHub) -> None:
    github.pulls[7], github.labels[7] = "open", ["clone-db"]

    result = action.run(event=pr_event("synchronize"))

    assert result.code == 0, result.log
    assert result.outputs["action"] == "clone"
    assert action.cluster(CLONE) is not None


def test_when_github_cannot_tell_the_event_decides(
    action: Harness, github: FakeGitHub, waits: list[float]
) -> None:
    github.failures.extend([BAD_GATEWAY] * 10)  # more than the retries

    result = action.run(event=pr_event("labeled", label="clone-db"))

    assert waits  # PyGithub retried the 502s before giving up

    assert result.code == 0, result.log
    assert result.outputs["action"] == "clone"
    assert "Could not ask GitHub for the state of pull request #7" in result.log
    assert "::warning title=aurora-clone%3A PR state unknown" not in result.log


def test_workflow_dispatch_for_a_closed_pr_clones_nothing(action: Harness, github: FakeGitHub) -> None:
    github.pulls[12] = "closed"

    result = action.run({"mode": "clone", "pr-number": "12"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert result.outputs["action"] == "none"
    assert "GitHub says pull request #12 is closed" in result.log
    assert action.cluster("prod-pr-12") is None


def test_workflow_dispatch_clones_with_a_warning_when_github_cannot_tell(
    action: Harness, github: FakeGitHub
) -> None:
    # The fake knows no PR #12: GitHub answers 404, as for a token without pull-requests: read.
    result = action.run({"mode": "clone", "pr-number": "12"}, event={}, event_name="workflow_dispatch")

    assert result.code == 0, result.log
    assert result.outputs["action"] == "clone"
    (warning,) = [line for line in result.log.splitlines() if line.startswith("::warning")]
    assert warning.startswith(
        "::warning title=aurora-clone%3A PR state unknown::Could not ask GitHub whether pull request #12 "
        "is still open: GitHub answered 404"
    )
    assert action.cluster("prod-pr-12") is not None


def test_a_rerun_of_an_old_unlabeled_after_the_label_came_back_keeps_the_clone(
    action: Harness, github: FakeGitHub
) -> None:
    github.pulls[7], github.labels[7] = "open", ["clone-db"]
    assert action.run().code == 0

    result = action.run(event=pr_event("unlabeled", labels=(), label="clone-db"))

    assert result.code == 0, result.log
    assert result.outputs["action"] == "none"
    assert "is open and carries the label 'clone-db' again, so its clone stays" in result.log
    assert action.cluster(CLONE) is not None
