"""Text the PR author controls never becomes a workflow command, a mask or a forged output."""

from __future__ import annotations

import re
from typing import Any

import pytest

from testkit.events import pr_event
from testkit.harness import Harness

HOSTILE = [
    "title\n::error::pwned",
    "::add-mask::endpoint",
    "::stop-commands::token\n::error::after stop",
    "x%0A::error::encoded",
    "##[error]legacy",
    "$(rm -rf /); `id` && echo ${GITHUB_TOKEN}",
    "a\r\n::set-output name=endpoint::evil",
    "endpoint<<EOF\nforged\nEOF",
]
OUR_COMMANDS = {"add-mask", "notice", "warning", "error", "debug", "group", "endgroup"}


def hostile_event(text: str, action: str = "labeled") -> dict[str, Any]:
    event = pr_event(action, label="clone-db", labels=("clone-db", text))
    pr = event["pull_request"]
    pr["title"] = text
    pr["body"] = text
    pr["head"]["ref"] = text
    event["action"] = action
    return event


def commands(log: str) -> list[tuple[str, str]]:
    """(name, rest) of every line the runner would read as a workflow command."""
    found = []
    for line in log.splitlines():
        trimmed = line.strip()
        if m := re.match(r"^::([A-Za-z-]+)(.*)$", trimmed):
            found.append((m.group(1), m.group(2)))
        if "##[" in line:
            found.append(("legacy", line))
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_pr_text_is_never_a_command_and_never_an_output(action: Harness, text: str) -> None:
    result = action.run(event=hostile_event(text))

    assert result.code == 0, result.log
    assert {name for name, _ in commands(result.log)} <= OUR_COMMANDS
    assert [rest for name, rest in commands(result.log) if name == "add-mask"] == [
        "::ghs_test-token-not-real"
    ]
    assert "pwned" not in result.log and "evil" not in result.log and "forged" not in result.log
    assert result.outputs["endpoint"].startswith("prod-pr-7.cluster-")
    assert "forged" not in str(result.outputs)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("where", ["event action", "label added"])
def test_a_hostile_event_action_or_label_is_neutralised_in_the_log(
    action: Harness, where: str, text: str
) -> None:
    event = hostile_event(text, action=text) if where == "event action" else pr_event("labeled", label=text)

    result = action.run(event=event)

    assert result.code == 0
    assert result.outputs == {"action": "none"}
    assert {name for name, _ in commands(result.log)} <= OUR_COMMANDS
    assert [rest for name, rest in commands(result.log) if name == "add-mask"] == [
        "::ghs_test-token-not-real"
    ]
