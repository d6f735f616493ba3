"""Workflow: outputs, log lines, annotations and masks as the runner reads them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from clone_action.workflow import Workflow, md_cell, neutralise
from testkit.runner import parse_output_file

COMMAND_PREFIXES = ("::", "##[")


def workflow(tmp: Path | None = None) -> tuple[Workflow, io.StringIO]:
    stream = io.StringIO()
    output = None
    if tmp is not None:
        output = tmp / "output"
        output.write_text("")
    return Workflow(output, None, stream), stream


def test_outputs_are_written_so_the_runner_reads_them_back(tmp_path: Path) -> None:
    wf, _ = workflow(tmp_path)
    wf.set_output("cluster-id", "prod-pr-7")
    wf.set_output("manifest-files", "k8s/app.yaml\n.env")
    wf.set_output("database-url", "postgresql://app@host:5432/")
    assert parse_output_file((tmp_path / "output").read_text()) == {
        "cluster-id": "prod-pr-7",
        "manifest-files": "k8s/app.yaml\n.env",
        "database-url": "postgresql://app@host:5432/",
    }
    assert wf.outputs["cluster-id"] == "prod-pr-7"


@pytest.mark.parametrize(
    "value",
    [
        "main\nendpoint=evil.example.com",
        "x\r\nendpoint=evil.example.com\r\n",
        "EOF\nendpoint<<EOF\nevil\nEOF",
    ],
)
def test_a_value_cannot_forge_another_output(tmp_path: Path, value: str) -> None:
    wf, _ = workflow(tmp_path)
    wf.set_output("status", value)
    wf.set_output("created", "true")
    outputs = parse_output_file((tmp_path / "output").read_text())
    assert set(outputs) == {"status", "created"}
    assert outputs["status"] == value.replace("\r\n", "\n")  # read back as text, as the runner does
    assert outputs["created"] == "true"


def test_without_an_output_file_an_output_goes_to_the_log_as_plain_text() -> None:
    wf, stream = workflow()
    wf.set_output("status", "x\n::error::forged")
    assert stream.getvalue() == "output status=x\n\u2063::error::forged\n"


@pytest.mark.parametrize(
    "line",
    ["::error::pwned", "   ::add-mask::x", "##[error]x", "\t##[group]x"],
)
def test_a_line_that_looks_like_a_command_is_neutralised(line: str) -> None:
    safe = neutralise(line)
    assert not safe.lstrip().startswith(COMMAND_PREFIXES)
    assert safe.replace("\u2063", "") == line  # reads the same to a person


@pytest.mark.parametrize("text", ["Cloning prod", "a::b", "", "title: ::error::x"])
def test_other_lines_are_left_as_they_are(text: str) -> None:
    assert neutralise(text) == text


def test_every_line_of_a_multi_line_text_is_checked() -> None:
    text = "PR title\n::error::one\r\n  ##[warning]two\rlast"
    lines = neutralise(text).split("\n")
    assert lines[0] == "PR title" and lines[-1] == "last"
    assert len(lines) == 4
    assert not any(line.lstrip().startswith(COMMAND_PREFIXES) for line in lines)


def test_log_never_prints_a_workflow_command() -> None:
    wf, stream = workflow()
    wf.log("Branch feature/x\n::add-mask::\n::stop-commands::token")
    assert all(not line.lstrip().startswith(COMMAND_PREFIXES) for line in stream.getvalue().splitlines())


def test_a_legacy_command_in_the_middle_of_a_line_is_neutralised() -> None:
    assert "##[" not in neutralise("Pull request title: ##[error]forged annotation")


def test_error_escapes_percent_cr_lf_and_the_title_escapes_colon_and_comma() -> None:
    wf, stream = workflow()
    wf.error("50% done\r\n::notice::x", title="Clone: prod, eu-west-1")
    assert stream.getvalue() == "::error title=Clone%3A prod%2C eu-west-1::50%25 done%0D%0A::notice::x\n"


def test_notice_and_warning_without_a_title() -> None:
    wf, stream = workflow()
    wf.notice("nothing to do\nbye")
    wf.warning("100%")
    assert stream.getvalue() == "::notice::nothing to do%0Abye\n::warning::100%25\n"


def test_mask_sends_one_add_mask_per_non_empty_line() -> None:
    wf, stream = workflow()
    wf.mask("s3cret\n\n  \nline-2%\r\n")
    wf.mask("")
    assert stream.getvalue() == "::add-mask::s3cret\n::add-mask::line-2%25\n"


def test_group_opens_and_always_closes() -> None:
    wf, stream = workflow()
    with pytest.raises(RuntimeError), wf.group("Clone prod"):
        raise RuntimeError
    assert stream.getvalue() == "::group::Clone prod\n::endgroup::\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("one\ntwo", "one two"),
        ("one\r\ntwo", "one  two"),
        ("back\\|slash", "back\\\\\\|slash"),
    ],
)
def test_md_cell(text: str, expected: str) -> None:
    assert md_cell(text) == expected


def test_summary_appends_markdown_blocks(tmp_path: Path) -> None:
    summary = tmp_path / "summary"
    wf = Workflow(None, summary, io.StringIO())
    wf.summary("## Clone\n")
    wf.summary("| a | b |")
    assert summary.read_text() == "## Clone\n\n| a | b |\n\n"


def runner_reads(log: str) -> list[str]:
    """The workflow commands the runner would run in this log, honouring ::stop-commands::."""
    commands, stop = [], ""
    for line in log.splitlines():
        trimmed = line.strip()
        if stop:
            if trimmed == f"::{stop}::":
                stop = ""
            continue
        if trimmed.startswith("::stop-commands::"):
            stop = trimmed.removeprefix("::stop-commands::")
            continue
        if trimmed.startswith("::") or "##[" in trimmed:
            commands.append(trimmed)
    return commands


def test_verbatim_text_in_bulk_runs_no_command_even_if_it_guesses_the_block_syntax() -> None:
    wf, stream = workflow()
    hostile = (
        "-  value: old\n+  value: new\n::error::forged\n::stop-commands::x\n::x::\n::set-output name=a::b"
    )

    wf.verbatim(hostile)
    wf.verbatim(hostile)

    lines = stream.getvalue().splitlines()
    assert runner_reads(stream.getvalue()) == []
    opening = [line for line in lines if line.startswith("::stop-commands::")]
    assert len(opening) == 2 and opening[0] != opening[1]  # a fresh random token each time
    token = opening[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and lines[7] == f"::{token}::"
    assert "+  value: new" in lines  # the text itself reads as it was
    # Defused line by line too: were the block ignored, still nothing would run.
    assert [line for line in lines[1:7] if line.startswith("::")] == []
