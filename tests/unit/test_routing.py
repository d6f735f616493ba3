"""The runner's environment -> RunContext, and the contract's event routing table for mode: auto."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clone_action.config import parse_inputs
from clone_action.context import Route, pr_number, read_context, route
from clone_action.errors import InputError
from testkit.events import REPOSITORY, pr_event
from testkit.runner import Job

OTHER_EVENT = (
    "the event '{}' does not clone or delete anything in mode: auto; "
    "set mode: clone, teardown or purge to act on other events"
)


def decide(tmp: Path, event: dict[str, Any], event_name: str = "pull_request", **inputs: str) -> Route:
    env = Job(tmp).step(inputs, event, event_name).env
    return route(parse_inputs(env), read_context(env))


@pytest.mark.parametrize(
    ("event_name", "event", "expected"),
    [
        (
            "pull_request",
            pr_event("labeled", label="clone-db"),
            Route("clone", "pull_request 'labeled': the label 'clone-db' was added"),
        ),
        (
            "pull_request_target",
            pr_event("labeled", label="clone-db"),
            Route("clone", "pull_request_target 'labeled': the label 'clone-db' was added"),
        ),
        (
            "pull_request",
            pr_event("labeled", label="Clone-DB"),
            Route("clone", "pull_request 'labeled': the label 'clone-db' was added"),
        ),
        (
            "pull_request",
            pr_event("labeled", label="bug"),
            Route(
                "none", "pull_request 'labeled': the label added is neither 'clone-db' nor 'clone-db-reset'"
            ),
        ),
        (
            "pull_request",
            pr_event("labeled", labels=("clone-db", "clone-db-reset"), label="clone-db-reset"),
            Route("reset", "pull_request 'labeled': the label 'clone-db-reset' was added"),
        ),
        (
            "pull_request_target",
            pr_event("labeled", labels=("clone-db", "Clone-DB-Reset"), label="Clone-DB-Reset"),
            Route("reset", "pull_request_target 'labeled': the label 'clone-db-reset' was added"),
        ),
        # Without the clone label in the event, GitHub is asked before anything happens (confirm).
        (
            "pull_request",
            pr_event("labeled", labels=("clone-db-reset",), label="clone-db-reset"),
            Route("reset", "pull_request 'labeled': the label 'clone-db-reset' was added"),
        ),
        (
            "pull_request",
            pr_event(
                "labeled", labels=("clone-db", "clone-db-reset"), label="clone-db-reset", state="closed"
            ),
            Route(
                "none",
                "pull_request 'labeled': the pull request is closed, and a closed pull request gets no reset",
            ),
        ),
        # Taking the reset label off (the action does so after a reset) asks for nothing.
        (
            "pull_request",
            pr_event("unlabeled", labels=("clone-db",), label="clone-db-reset"),
            Route("none", "pull_request 'unlabeled': the label removed is not 'clone-db'"),
        ),
        (
            "pull_request",
            pr_event("synchronize", labels=("clone-db-reset",)),
            Route("none", "pull_request 'synchronize': the pull request does not carry the label 'clone-db'"),
        ),
        (
            "pull_request",
            pr_event("unlabeled", labels=(), label="clone-db"),
            Route("teardown", "pull_request 'unlabeled': the label 'clone-db' was removed"),
        ),
        (
            "pull_request_target",
            pr_event("unlabeled", labels=(), label="CLONE-DB"),
            Route("teardown", "pull_request_target 'unlabeled': the label 'clone-db' was removed"),
        ),
        (
            "pull_request",
            pr_event("unlabeled", label="bug"),
            Route("none", "pull_request 'unlabeled': the label removed is not 'clone-db'"),
        ),
        *[
            (
                "pull_request",
                pr_event(action, labels=("bug", "clone-db")),
                Route("clone", f"pull_request '{action}': the pull request carries the label 'clone-db'"),
            )
            for action in ("opened", "reopened", "synchronize", "ready_for_review")
        ],
        *[
            (
                "pull_request",
                pr_event(action, labels=("bug",)),
                Route(
                    "none", f"pull_request '{action}': the pull request does not carry the label 'clone-db'"
                ),
            )
            for action in ("opened", "reopened", "synchronize", "ready_for_review")
        ],
        (
            "pull_request_target",
            pr_event("synchronize", labels=("Clone-Db",)),
            Route(
                "clone", "pull_request_target 'synchronize': the pull request carries the label 'clone-db'"
            ),
        ),
        (
            "pull_request",
            pr_event("closed"),
            Route("teardown", "pull_request 'closed': the pull request was closed"),
        ),
        (
            "pull_request",
            pr_event("closed", labels=()),
            Route("teardown", "pull_request 'closed': the pull request was closed"),
        ),
        ("schedule", {"schedule": "0 3 * * *"}, Route("purge", "a scheduled run purges expired clones")),
        ("workflow_dispatch", {"inputs": {}}, Route("none", OTHER_EVENT.format("workflow_dispatch"))),
        ("push", {"ref": "refs/heads/main"}, Route("none", OTHER_EVENT.format("push"))),
        ("issue_comment", {"action": "created"}, Route("none", OTHER_EVENT.format("issue_comment"))),
        ("", {}, Route("none", OTHER_EVENT.format("unknown"))),
        (
            "pull_request",
            pr_event("edited"),
            Route("none", "pull_request 'edited' does not clone or delete anything"),
        ),
        (
            "pull_request",
            pr_event("assigned"),
            Route("none", "pull_request 'assigned' does not clone or delete anything"),
        ),
    ],
)
def test_auto_routing(tmp_path: Path, event_name: str, event: dict[str, Any], expected: Route) -> None:
    assert decide(tmp_path, event, event_name) == expected


def test_the_label_input_is_the_one_routed_on(tmp_path: Path) -> None:
    assert decide(tmp_path, pr_event("labeled", label="needs-db"), label="needs-db") == Route(
        "clone", "pull_request 'labeled': the label 'needs-db' was added"
    )
    assert decide(tmp_path, pr_event("labeled", label="clone-db"), label="needs-db").mode == "none"


def test_the_reset_label_input_is_the_one_routed_on(tmp_path: Path) -> None:
    event = pr_event("labeled", labels=("clone-db", "db: fresh"), label="db: fresh")
    assert decide(tmp_path, event, **{"reset-label": "db: fresh"}) == Route(
        "reset", "pull_request 'labeled': the label 'db: fresh' was added"
    )
    default = pr_event("labeled", labels=("clone-db", "clone-db-reset"), label="clone-db-reset")
    assert decide(tmp_path, default, **{"reset-label": "db: fresh"}) == Route(
        "none", "pull_request 'labeled': the label added is neither 'clone-db' nor 'db: fresh'"
    )


@pytest.mark.parametrize(
    ("mode", "event_name", "event"),
    [
        ("clone", "push", {}),
        ("teardown", "pull_request", pr_event("labeled", label="clone-db")),
        ("purge", "pull_request", pr_event("labeled", label="bug")),
    ],
)
def test_an_explicit_mode_wins_over_the_event(
    tmp_path: Path, mode: str, event_name: str, event: dict[str, Any]
) -> None:
    assert decide(tmp_path, event, event_name, mode=mode, **{"source-cluster": "prod"}) == Route(
        mode, f"mode: {mode}"
    )


def test_read_context_takes_the_runner_environment_and_the_event(tmp_path: Path) -> None:
    env = (
        Job(tmp_path)
        .step({}, pr_event("labeled", number=12, labels=("clone-db", "bug"), label="clone-db"))
        .env
    )
    ctx = read_context(env)
    assert (ctx.event_name, ctx.event_action, ctx.event_label) == ("pull_request", "labeled", "clone-db")
    assert (ctx.repository, ctx.owner, ctx.repo) == (REPOSITORY, "acme", "shop")
    assert (ctx.pr_number, ctx.pr_labels, ctx.pr_state) == (12, ("clone-db", "bug"), "open")
    assert ctx.head_repository == REPOSITORY
    assert ctx.run_url == "https://github.com/acme/shop/actions/runs/4242"
    assert ctx.workspace == tmp_path / "workspace"


def test_read_context_on_github_enterprise_server(tmp_path: Path) -> None:
    env = Job(tmp_path).step({}, {}).env
    env["GITHUB_SERVER_URL"] = "https://ghe.example.com/"
    env["GITHUB_API_URL"] = "https://ghe.example.com/api/v3/"
    ctx = read_context(env)
    assert ctx.api_url == "https://ghe.example.com/api/v3"
    assert ctx.run_url == "https://ghe.example.com/acme/shop/actions/runs/4242"


def test_pr_number_comes_from_the_event(tmp_path: Path) -> None:
    env = Job(tmp_path).step({}, pr_event("closed", number=31)).env
    assert pr_number(parse_inputs(env), read_context(env)) == 31


def test_the_pr_number_input_beats_the_event(tmp_path: Path) -> None:
    env = Job(tmp_path).step({"pr-number": "12"}, pr_event("closed", number=31)).env
    assert pr_number(parse_inputs(env), read_context(env)) == 12


def test_the_pr_number_input_for_an_event_without_a_pr(tmp_path: Path) -> None:
    env = Job(tmp_path).step({"pr-number": "5"}, {"inputs": {}}, "workflow_dispatch").env
    assert pr_number(parse_inputs(env), read_context(env)) == 5


def test_an_event_without_a_pr_and_no_pr_number_input_is_an_input_error(tmp_path: Path) -> None:
    env = Job(tmp_path).step({}, {"inputs": {}}, "workflow_dispatch").env
    with pytest.raises(InputError) as caught:
        pr_number(parse_inputs(env), read_context(env))
    assert caught.value.problems == [
        "pr-number: required for the event 'workflow_dispatch', which names no pull request; "
        "set pr-number: ${{ inputs.pr-number }} (or the PR's number)"
    ]


@pytest.mark.parametrize("action", ["labeled", "synchronize", "reopened", "opened", "ready_for_review"])
def test_an_event_whose_payload_says_the_pr_is_closed_never_clones(tmp_path: Path, action: str) -> None:
    # A `labeled` can be delivered after the close (label then close in one go), and a re-run
    # replays its event as it was.
    event = pr_event(action, label="clone-db", state="closed")

    assert decide(tmp_path, event) == Route(
        "none",
        f"pull_request '{action}': the pull request is closed, and a closed pull request gets no clone",
    )


def test_mode_clone_on_a_closed_pull_request_clones_nothing_either(tmp_path: Path) -> None:
    event = pr_event("labeled", label="clone-db", state="closed")

    decision = decide(tmp_path, event, mode="clone", **{"source-cluster": "prod"})

    assert decision.mode == "none"


@pytest.mark.parametrize(
    ("state", "labels", "mode", "expected"),
    [
        ("open", ("clone-db",), "auto", Route("clone", "as the event says")),
        ("open", ("CLONE-DB", "bug"), "auto", Route("clone", "as the event says")),
        (
            "closed",
            ("clone-db",),
            "auto",
            Route("none", "GitHub says pull request #7 is closed, and a closed pull request gets no clone"),
        ),
        (
            "open",
            ("bug",),
            "auto",
            Route("none", "GitHub says pull request #7 no longer carries the label 'clone-db'"),
        ),
        # mode: clone does not ask for the label (a workflow_dispatch names the PR to clone).
        ("open", (), "clone", Route("clone", "as the event says")),
        (
            "closed",
            (),
            "clone",
            Route("none", "GitHub says pull request #7 is closed, and a closed pull request gets no clone"),
        ),
    ],
)
def test_a_clone_is_held_against_the_pull_request_as_github_says_it_is_now(
    tmp_path: Path, state: str, labels: tuple[str, ...], mode: str, expected: Route
) -> None:
    from clone_action.context import recheck
    from clone_action.pr_api import PullRequest

    env = Job(tmp_path).step({"mode": mode, "source-cluster": "prod"}, pr_event("synchronize")).env
    decision = recheck(Route("clone", "as the event says"), parse_inputs(env), PullRequest(7, state, labels))

    assert decision == expected


@pytest.mark.parametrize(
    ("state", "labels", "mode", "expected"),
    [
        (
            "open",
            ("clone-db",),
            "auto",
            Route(
                "none",
                "GitHub says pull request #7 is open and carries the label 'clone-db' again, so its clone stays",
            ),
        ),
        ("open", ("bug",), "auto", Route("teardown", "as the event says")),
        ("closed", ("clone-db",), "auto", Route("teardown", "as the event says")),
        # mode: teardown does what it is told.
        ("open", ("clone-db",), "teardown", Route("teardown", "as the event says")),
    ],
)
def test_a_teardown_in_auto_is_held_against_the_pull_request_as_it_is_now(
    tmp_path: Path, state: str, labels: tuple[str, ...], mode: str, expected: Route
) -> None:
    """A re-run of an old `unlabeled` or `closed` after the PR was labelled or reopened again."""
    from clone_action.context import recheck
    from clone_action.pr_api import PullRequest

    env = Job(tmp_path).step({"mode": mode}, pr_event("unlabeled", label="clone-db")).env
    decision = recheck(
        Route("teardown", "as the event says"), parse_inputs(env), PullRequest(7, state, labels)
    )

    assert decision == expected


@pytest.mark.parametrize(
    ("state", "labels", "mode", "expected"),
    [
        ("open", ("clone-db", "clone-db-reset"), "auto", Route("reset", "as the event says")),
        ("open", ("CLONE-DB",), "auto", Route("reset", "as the event says")),
        (
            "closed",
            ("clone-db", "clone-db-reset"),
            "auto",
            Route("none", "GitHub says pull request #7 is closed, and a closed pull request gets no reset"),
        ),
        (
            "open",
            ("clone-db-reset",),
            "auto",
            Route(
                "none",
                "GitHub says pull request #7 does not carry the label 'clone-db', so it has no clone to "
                "reset; add the label 'clone-db' to get a clone (a fresh one)",
            ),
        ),
        # mode: reset does not ask for the label (a workflow_dispatch names the PR to reset).
        ("open", (), "reset", Route("reset", "as the event says")),
        (
            "closed",
            (),
            "reset",
            Route("none", "GitHub says pull request #7 is closed, and a closed pull request gets no reset"),
        ),
    ],
)
def test_a_reset_is_held_against_the_pull_request_as_github_says_it_is_now(
    tmp_path: Path, state: str, labels: tuple[str, ...], mode: str, expected: Route
) -> None:
    from clone_action.context import recheck
    from clone_action.pr_api import PullRequest

    event = pr_event("labeled", labels=("clone-db", "clone-db-reset"), label="clone-db-reset")
    env = Job(tmp_path).step({"mode": mode, "source-cluster": "prod"}, event).env
    decision = recheck(Route("reset", "as the event says"), parse_inputs(env), PullRequest(7, state, labels))

    assert decision == expected


@pytest.mark.parametrize(
    ("action", "labels", "label", "expected"),
    [
        ("labeled", ("clone-db",), "clone-db-reset", ("clone-db-reset", "clone-db")),
        (
            "labeled",
            ("clone-db", "clone-db-reset"),
            "clone-db-reset",
            ("clone-db-reset", "clone-db", "clone-db-reset"),
        ),
        # An `unlabeled` names the label that went: it is not among the pull request's labels.
        ("unlabeled", ("clone-db",), "clone-db-reset", ("clone-db",)),
        ("synchronize", ("clone-db", "clone-db-reset"), "", ("clone-db", "clone-db-reset")),
    ],
)
def test_the_labels_the_event_says_the_pull_request_carries(
    tmp_path: Path, action: str, labels: tuple[str, ...], label: str, expected: tuple[str, ...]
) -> None:
    from clone_action.context import event_labels

    env = Job(tmp_path).step({}, pr_event(action, labels=labels, label=label)).env

    assert event_labels(read_context(env)) == expected
