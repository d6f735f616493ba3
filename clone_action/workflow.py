"""The only writer of workflow commands, step outputs, the job summary and masks."""

from __future__ import annotations

import contextlib
import secrets
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from actions_toolkit.command import Command
from actions_toolkit.file_command import prepare_key_value_message

# The runner reads a line as a command when its trimmed text starts with `::`, or when it
# holds the legacy `##[` anywhere. U+2063 (invisible separator) is not white space to the
# runner's Trim(), so inserting it defeats both, yet the line reads the same to a person.
_NEUTRAL = "\u2063"


def neutralise(text: str) -> str:
    """Text that, printed as it is, cannot be read by the runner as a workflow command."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    safe = []
    for line in lines:
        line = line.replace("##[", f"##{_NEUTRAL}[")
        safe.append(_NEUTRAL + line if line.lstrip().startswith("::") else line)
    return "\n".join(safe)


def md_cell(text: str) -> str:
    """A value made safe for one cell of a markdown table."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


class Workflow:
    """Talks to the runner: log lines, annotations, outputs, summary, masks."""

    def __init__(
        self,
        output_file: Path | None,
        summary_file: Path | None,
        stream: TextIO | None = None,
    ) -> None:
        self.output_file = output_file
        self.summary_file = summary_file
        self.stream = stream or sys.stdout
        self.outputs: dict[str, str] = {}

    def _command(self, name: str, message: str, properties: Mapping[str, str] | None = None) -> None:
        # Escaping keeps the command on one line; the legacy `##[` is defused besides.
        def defuse(text: str) -> str:
            return text.replace("##[", f"##{_NEUTRAL}[")

        props = {key: defuse(value) for key, value in (properties or {}).items()}
        self._write(str(Command(name, props, defuse(message) if name != "add-mask" else message)))

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    def log(self, text: str) -> None:
        """A plain log line (never a workflow command, whatever the text holds)."""
        self._write(neutralise(text))

    def verbatim(self, text: str) -> None:
        """Untrusted text in bulk (a diff, a list, a traceback), printed as it is.

        Between `::stop-commands::TOKEN` and `::TOKEN::` the runner runs no workflow command; the
        token is random, so the text cannot end the block early. Each line is defused besides.
        """
        token = secrets.token_hex(16)
        self._write(f"::stop-commands::{token}")
        self._write(neutralise(text))
        self._write(f"::{token}::")

    def notice(self, message: str, title: str = "") -> None:
        self._command("notice", message, {"title": title} if title else None)

    def warning(self, message: str, title: str = "") -> None:
        self._command("warning", message, {"title": title} if title else None)

    def error(self, message: str, title: str = "") -> None:
        self._command("error", message, {"title": title} if title else None)

    def debug(self, message: str) -> None:
        self._command("debug", message)

    def mask(self, value: str) -> None:
        """Ask the runner to hide a secret value in every later log line."""
        for part in value.splitlines():
            if part.strip():
                self._command("add-mask", part)

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._command("group", title)
        try:
            yield
        finally:
            self._command("endgroup", "")

    def set_output(self, name: str, value: str) -> None:
        """One step output, written with a random heredoc delimiter (a value cannot forge another)."""
        self.outputs[name] = value
        if self.output_file is None:
            self.log(f"output {name}={value}")
            return
        with self.output_file.open("a", encoding="utf-8", newline="") as f:
            f.write(prepare_key_value_message(name, value) + "\n")

    def summary(self, markdown: str) -> None:
        """Append markdown to the job summary (ignored outside a runner)."""
        if self.summary_file is None:
            return
        with self.summary_file.open("a", encoding="utf-8") as f:
            f.write(markdown.rstrip("\n") + "\n\n")
