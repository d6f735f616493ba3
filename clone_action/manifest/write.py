"""Writing the planned changes: every file or none, each atomically; and the diff a dry run shows."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from ..errors import ActionError
from .files import FileChange


def apply_patch(changes: Sequence[FileChange]) -> list[str]:
    """Write every changed file atomically, all or nothing; the workspace-relative paths written."""
    pending = [change for change in changes if change.after != change.before]
    staged: list[tuple[FileChange, str]] = []
    replaced: list[FileChange] = []
    current: FileChange | None = None
    try:
        for current in pending:
            if current.path.read_bytes() != current.before.encode("utf-8"):
                _discard(staged)
                raise ActionError(
                    f"manifest: {current.relative!r} changed on disk after it was read; "
                    "no manifest file was changed",
                    fix="Make sure no other step writes the manifest files while this action runs, "
                    "then run it again.",
                )
            staged.append((current, _stage(current.path, current.after)))
        for current, temporary in staged:
            os.replace(temporary, current.path)
            replaced.append(current)
    except OSError as error:
        _discard([(change, temporary) for change, temporary in staged if change not in replaced])
        not_restored = []
        for change in reversed(replaced):
            try:
                _replace(_stage(change.path, change.before), change.path)
            except OSError:
                not_restored.append(change.relative)
        name = current.relative if current else "?"
        message = (
            f"manifest: could not write {name!r}: {error.strerror or error}; no manifest file was changed"
        )
        if not_restored:
            message = (
                f"manifest: could not write {name!r}: {error.strerror or error}; "
                f"could not restore {', '.join(sorted(not_restored))}: check them before the next run"
            )
        raise ActionError(
            message,
            fix="Check that the manifest files and their folders are writable in the workspace, "
            "then run it again.",
        ) from error
    return [change.relative for change in pending]


def _stage(path: Path, text: str) -> str:
    """A temporary file beside path holding text, with path's mode (and owner, where allowed)."""
    import tempfile  # with shutil and lzma, only when a file is written

    info = os.stat(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        # The container runs as root: keep the runner user's ownership so later steps can edit the file.
        with contextlib.suppress(PermissionError):
            os.chown(temporary, info.st_uid, info.st_gid)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _replace(temporary: str, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _discard(staged: Sequence[tuple[FileChange, str]]) -> None:
    for _, temporary in staged:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def diff(changes: Sequence[FileChange]) -> str:
    """A unified diff of every change, as `git diff` shows it (for dry-run)."""
    import difflib

    out: list[str] = []
    for change in changes:
        if change.after != change.before:
            out.extend(
                difflib.unified_diff(
                    _diff_lines(change.before),
                    _diff_lines(change.after),
                    f"a/{change.relative}",
                    f"b/{change.relative}",
                )
            )
    return "".join(out)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
