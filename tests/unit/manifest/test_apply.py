"""apply_patch writes all files or none; diff shows the change as git does."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from clone_action.errors import ActionError
from clone_action.manifest import FileChange, apply_patch, diff

from .support import ENDPOINT, plan, snapshot, write_tree

FILES = {
    "a.yaml": "data:\n  DB_HOST: old\n",
    "b.yaml": "data:\n  DB_HOST: old  # second\n",
    "c.yaml": "other:\n  key: same\n",
}
RULE = "data.DB_HOST={endpoint}"
FIX = "Check that the manifest files and their folders are writable in the workspace, then run it again."


def refused(changes: list[FileChange]) -> ActionError:
    """The error apply_patch stops with."""
    with pytest.raises(ActionError) as caught:
        apply_patch(changes)
    return caught.value


def planned(workspace: Path) -> list[FileChange]:
    write_tree(workspace, FILES)
    return plan(workspace, ["*.yaml"], [RULE])


def test_changed_files_are_written_and_named(tmp_path: Path) -> None:
    changes = planned(tmp_path)

    assert apply_patch(changes) == ["a.yaml", "b.yaml"]
    assert snapshot(tmp_path) == {
        "a.yaml": f"data:\n  DB_HOST: {ENDPOINT}\n".encode(),
        "b.yaml": f"data:\n  DB_HOST: {ENDPOINT}  # second\n".encode(),
        "c.yaml": FILES["c.yaml"].encode(),
    }


def test_the_file_mode_is_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    changes = planned(tmp_path)
    (tmp_path / "a.yaml").chmod(0o640)
    (tmp_path / "b.yaml").chmod(0o755)

    apply_patch(changes)

    assert oct((tmp_path / "a.yaml").stat().st_mode & 0o7777) == oct(0o640)
    assert oct((tmp_path / "b.yaml").stat().st_mode & 0o7777) == oct(0o755)
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_failed_replace_of_the_second_file_restores_the_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes = planned(tmp_path)
    before = snapshot(tmp_path)
    real_replace = os.replace
    replaced: list[str] = []

    def replace(source: Any, target: Any) -> None:
        if Path(target).name == "b.yaml" and not replaced.count("b.yaml"):
            replaced.append("b.yaml")
            raise PermissionError(13, "Permission denied")
        real_replace(source, target)
        replaced.append(Path(target).name)

    monkeypatch.setattr(os, "replace", replace)

    error = refused(changes)
    assert error.message == (
        "manifest: could not write 'b.yaml': Permission denied; no manifest file was changed"
    )
    assert error.fix == FIX
    # a.yaml was replaced, then put back.
    assert replaced == ["a.yaml", "b.yaml", "a.yaml"]
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_failed_staging_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changes = planned(tmp_path)
    before = snapshot(tmp_path)
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if kwargs["prefix"] == ".b.yaml.":
            raise OSError(28, "No space left on device")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)

    error = refused(changes)
    assert error.message == (
        "manifest: could not write 'b.yaml': No space left on device; no manifest file was changed"
    )
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_file_that_could_not_be_restored_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    changes = planned(tmp_path)
    real_replace = os.replace
    calls: list[str] = []

    def replace(source: Any, target: Any) -> None:
        calls.append(Path(target).name)
        if len(calls) > 1:
            raise OSError(5, "Input/output error")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)

    error = refused(changes)
    assert error.message == (
        "manifest: could not write 'b.yaml': Input/output error; "
        "could not restore a.yaml: check them before the next run"
    )
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]


def test_a_file_changed_after_the_plan_is_not_overwritten(tmp_path: Path) -> None:
    changes = planned(tmp_path)
    (tmp_path / "b.yaml").write_text("data:\n  DB_HOST: edited\n")
    before = snapshot(tmp_path)

    error = refused(changes)
    assert error.message == (
        "manifest: 'b.yaml' changed on disk after it was read; no manifest file was changed"
    )
    assert snapshot(tmp_path) == before
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "b.yaml", "c.yaml"]


def test_nothing_to_write_writes_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": f"data:\n  DB_HOST: {ENDPOINT}\n"})
    mtime = (tmp_path / "a.yaml").stat().st_mtime_ns

    assert apply_patch(plan(tmp_path, ["a.yaml"], [RULE])) == []
    assert (tmp_path / "a.yaml").stat().st_mtime_ns == mtime


def test_diff_shows_each_changed_file_as_git_does(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "deploy/cm.yaml": 'kind: ConfigMap\ndata:\n  DB_HOST: old\n  DB_PORT: "3306"\n',
            ".env": "A=1\nDB_HOST=old",
            "same.yaml": "other:\n  DB_PORT: x\n",
        },
    )
    changes = plan(
        tmp_path, ["deploy/cm.yaml", ".env", "same.yaml"], ["data.DB_PORT={port}", "DB_HOST=new.example"]
    )

    assert diff(changes) == (
        "--- a/.env\n"
        "+++ b/.env\n"
        "@@ -1,2 +1,2 @@\n"
        " A=1\n"
        "-DB_HOST=old\n"
        "\\ No newline at end of file\n"
        "+DB_HOST=new.example\n"
        "\\ No newline at end of file\n"
        "--- a/deploy/cm.yaml\n"
        "+++ b/deploy/cm.yaml\n"
        "@@ -1,4 +1,4 @@\n"
        " kind: ConfigMap\n"
        " data:\n"
        "   DB_HOST: old\n"
        '-  DB_PORT: "3306"\n'
        '+  DB_PORT: "5432"\n'
    )


def test_diff_of_no_change_is_empty(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "data:\n  DB_HOST: x\n"})

    assert diff(plan(tmp_path, ["a.yaml"], ["data.DB_HOST=x"])) == ""
