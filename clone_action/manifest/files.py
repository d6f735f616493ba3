"""The manifest files: the paths and globs of `manifest` resolved in the workspace, and their text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

UNSUPPORTED = "is not YAML (.yaml/.yml), JSON (.json) or a dotenv file (.env, *.env, .env.*)"


@dataclass(frozen=True)
class FileChange:
    """One manifest file: its text before and after the rules."""

    path: Path
    relative: str
    before: str
    after: str
    applied: list[str]


def kind(name: str) -> str | None:
    """The format a file name says: YAML, JSON or dotenv; None for any other."""
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        return "YAML"
    if lower.endswith(".json"):
        return "JSON"
    if lower == ".env" or lower.endswith(".env") or lower.startswith(".env."):
        return "dotenv"
    return None


def resolve(workspace: Path, patterns: Sequence[str], problems: list[str]) -> list[tuple[Path, str]]:
    """(real path, workspace-relative name) of every file the patterns name, sorted, each once."""
    root = workspace.resolve()
    found: dict[Path, str] = {}
    for pattern in patterns:
        relative = _relative_pattern(workspace, root, pattern, problems)
        if relative is None:
            continue
        matches = _matches(root, pattern, relative, problems)
        for match in matches:
            name = match.relative_to(root).as_posix()
            try:
                real = match.resolve(strict=True)
            except (OSError, RuntimeError):
                problems.append(f"manifest: {name!r} cannot be read: a broken or looping symlink")
                continue
            if not real.is_relative_to(root):
                problems.append(
                    f"manifest: {pattern!r} is outside the workspace: {name!r} is a symlink out of it"
                )
                continue
            found.setdefault(real, name)
    return sorted(found.items(), key=lambda item: item[1])


def _matches(root: Path, pattern: str, relative: str, problems: list[str]) -> list[Path]:
    """The files one pattern names (a glob's matches, or the one path); [] after a problem."""
    if any(char in relative for char in "*?["):
        try:
            matches = sorted(path for path in root.glob(relative) if path.is_file())
        except (ValueError, OSError) as error:
            problems.append(f"manifest: {pattern!r} is not a valid glob: {error}")
            return []
        if not matches:
            problems.append(f"manifest: {pattern!r} matches no file in the workspace")
        return matches
    candidate = root / relative
    if candidate.is_dir():
        problems.append(f"manifest: {pattern!r} is a directory; name files or a glob like {relative}/*.yaml")
    elif candidate.is_symlink() and not candidate.exists():
        problems.append(f"manifest: {pattern!r} is a broken symlink")
    elif not candidate.is_file():
        problems.append(
            f"manifest: {pattern!r} does not exist in the workspace; "
            "is the repository checked out (actions/checkout) before this step?"
        )
    else:
        return [candidate]
    return []


def _relative_pattern(workspace: Path, root: Path, pattern: str, problems: list[str]) -> str | None:
    if ".." in PurePosixPath(pattern).parts:
        problems.append(
            f"manifest: {pattern!r} is outside the workspace; '..' is not allowed, give the path from the "
            "workspace root"
        )
        return None
    path = PurePosixPath(pattern)
    if path.is_absolute():
        for base in (root, workspace.absolute()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        problems.append(
            f"manifest: {pattern!r} is outside the workspace; give a path relative to the workspace, "
            "like deploy/app.yaml"
        )
        return None
    return path.as_posix()


def read_text(path: Path, relative: str, problems: list[str]) -> str | None:
    """The file's UTF-8 text; None after naming the problem."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        problems.append(f"manifest: {relative!r} cannot be read: {error.strerror or error}")
    except UnicodeDecodeError:
        problems.append(f"manifest: {relative!r} is not UTF-8 text")
    return None
