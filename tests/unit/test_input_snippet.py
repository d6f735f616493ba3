"""The YAML an input error shows: the step's failing inputs as it gave them, never a fixed example."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from clone_action.errors import InputError, given_inputs

GIVEN = {
    "ttl": "soon",
    "manifest-set": "database.host={endpoint}\n=x",
    "clone-id": "{source}-{pr}",
    "github-token": "ghs_secret",
    "pr-number": "",
    "wait": "false",
}


@pytest.mark.parametrize(
    ("problem", "line"),
    [
        ("ttl: expected ..., got 'soon'", "    ttl: soon"),
        ("clone-id: unknown placeholder", '    clone-id: "{source}-{pr}"'),  # a bare { starts a YAML map
        ("pr-number: required for the event", "    pr-number:  # not set"),
        ("github-token: refused", '    github-token: "***"'),  # never the token; a bare * is an alias
        (
            "manifest-set: the rule '=x' names no PATH",
            "    manifest-set: |\n      database.host={endpoint}\n      =x",
        ),
    ],
    ids=["plain", "quoted", "not-set", "token-hidden", "multi-line"],
)
def test_each_failing_input_is_shown_as_given(problem: str, line: str) -> None:
    assert given_inputs([problem], GIVEN) == (
        "- uses: org/aurora-clone-action@v1\n  with:  # the inputs that are not valid, as given\n" + line
    )


def test_the_snippet_is_yaml_that_gives_the_same_values_back() -> None:
    problems = [f"{name}: bad" for name in GIVEN if name not in ("github-token", "pr-number")]
    step = YAML(typ="safe").load(given_inputs(problems, GIVEN))[0]
    # As the runner passes them: a YAML boolean as 'false', a block without its last line break.
    given = {
        name: str(value).lower() if isinstance(value, bool) else value.rstrip("\n")
        for name, value in step["with"].items()
    }
    assert given == {name: GIVEN[name] for name in ("ttl", "manifest-set", "clone-id", "wait")}


def test_each_input_once_and_problems_that_name_no_input_left_out() -> None:
    problems = [
        "ttl: a",
        "ttl: b",
        "GITHUB_REPOSITORY is not set; the action must run in a GitHub Actions job",
    ]
    assert given_inputs(problems, GIVEN).count("ttl:") == 1
    assert given_inputs(problems[2:], GIVEN) == ""
    assert InputError(problems[2:], given=GIVEN).snippet == ""
