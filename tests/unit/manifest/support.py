"""Shared helpers for the manifest tests: a workspace on disk and the values of a real clone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from clone_action.errors import InputError
from clone_action.manifest import FileChange, parse_rules, plan_patch

ENDPOINT = "api-pr-7.cluster-c1a2b3.eu-west-1.rds.amazonaws.com"
VALUES = {
    "endpoint": ENDPOINT,
    "reader_endpoint": "api-pr-7.cluster-ro-c1a2b3.eu-west-1.rds.amazonaws.com",
    "port": "5432",
    "cluster_id": "api-pr-7",
    "engine": "aurora-postgresql",
    "database_url": f"postgresql://app@{ENDPOINT}:5432/",
}


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create files (text written byte for byte, no newline translation) under root."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (symlinks not followed) and its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def plan(
    workspace: Path, patterns: Sequence[str], rules: Sequence[str], values: Mapping[str, str] = VALUES
) -> list[FileChange]:
    return plan_patch(workspace, patterns, parse_rules(rules), values)


def plan_problems(workspace: Path, patterns: Sequence[str], rules: Sequence[str]) -> list[str]:
    """The problems plan_patch reports; asserts that no file in the workspace changed."""
    before = snapshot(workspace)
    with pytest.raises(InputError) as caught:
        plan(workspace, patterns, rules)
    assert snapshot(workspace) == before
    return caught.value.problems
