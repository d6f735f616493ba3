"""Every problem plan_patch finds, with its exact message; none of them changes a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clone_action.errors import InputError
from clone_action.manifest import UNSUPPORTED, apply_patch, plan_patch

from .support import plan, plan_problems, snapshot, write_tree

GOOD_YAML = "data:\n  DB_HOST: old\n"
RULE = "data.DB_HOST={endpoint}"
CHECKOUT = "is the repository checked out (actions/checkout) before this step?"
NO_DOTDOT = "'..' is not allowed, give the path from the workspace root"

# (files in the workspace, manifest patterns, rules, the problems)
CASES = [
    (
        "missing file",
        {"a.yaml": GOOD_YAML},
        ["a.yaml", "deploy/app.yaml"],
        [RULE],
        [f"manifest: 'deploy/app.yaml' does not exist in the workspace; {CHECKOUT}"],
    ),
    (
        "glob matching nothing",
        {"a.yaml": GOOD_YAML},
        ["a.yaml", "k8s/**/*.yaml"],
        [RULE],
        ["manifest: 'k8s/**/*.yaml' matches no file in the workspace"],
    ),
    (
        "glob matching only folders",
        {"a.yaml": GOOD_YAML, "k8s/base/x.yaml": GOOD_YAML},
        ["a.yaml", "k8s/*"],
        [RULE],
        ["manifest: 'k8s/*' matches no file in the workspace"],
    ),
    (
        "a folder",
        {"a.yaml": GOOD_YAML, "k8s/x.yaml": GOOD_YAML},
        ["a.yaml", "k8s"],
        [RULE],
        ["manifest: 'k8s' is a directory; name files or a glob like k8s/*.yaml"],
    ),
    (
        "a bad glob",
        {"a.yaml": GOOD_YAML},
        ["a.yaml", "k8s/**.yaml"],
        [RULE],
        [
            "manifest: 'k8s/**.yaml' is not a valid glob: Invalid pattern: '**' can only be an entire path component"
        ],
    ),
    (
        "YAML that does not parse",
        {"a.yaml": GOOD_YAML, "b.yaml": "data:\n  DB_HOST: old\n  bad: [1, 2\n  other: 3\n"},
        ["*.yaml"],
        [RULE],
        ["manifest: 'b.yaml' is not valid YAML at line 4, column 8: expected ',' or ']', but got ':'"],
    ),
    (
        "YAML that does not parse in a later document",
        {"a.yaml": GOOD_YAML, "b.yaml": "# one\n---\nkind: A\n---\nkind: B\n  spec: x\n"},
        ["*.yaml"],
        [RULE],
        ["manifest: 'b.yaml' is not valid YAML at line 6, column 7: mapping values are not allowed here"],
    ),
    (
        "YAML with a duplicate key",
        {"a.yaml": GOOD_YAML, "b.yaml": "data:\n  A: 1\n  A: 2\n"},
        ["*.yaml"],
        [RULE],
        [
            'manifest: \'b.yaml\' is not valid YAML at line 3, column 3: found duplicate key "A" with value "2" (original value: "1")'
        ],
    ),
    (
        "JSON that does not parse",
        {"a.yaml": GOOD_YAML, "b.json": '{\n  "data": {\n    "DB_HOST": "old",\n  }\n}\n'},
        ["a.yaml", "b.json"],
        [RULE],
        [
            "manifest: 'b.json' is not valid JSON at line 4, column 3: Expecting property name enclosed in double quotes"
        ],
    ),
    (
        "a dotenv line that is not KEY=VALUE",
        {"a.yaml": GOOD_YAML, ".env": "# ok\nA=1\nnot a setting\n"},
        ["a.yaml", ".env"],
        [RULE],
        [
            "manifest: '.env' is not a valid dotenv file at line 3: expected KEY=VALUE, a comment or a blank line"
        ],
    ),
    (
        "a dotenv quote never closed",
        {"a.yaml": GOOD_YAML, ".env": "A=1\nB='open\nC=2\n"},
        ["a.yaml", ".env"],
        [RULE],
        ["manifest: '.env' is not a valid dotenv file at line 2: the quote ' is never closed"],
    ),
    (
        "a file that is not UTF-8",
        {"a.yaml": GOOD_YAML, "b.yaml": b"data:\n  DB_HOST: \xff\n"},
        ["*.yaml"],
        [RULE],
        ["manifest: 'b.yaml' is not UTF-8 text"],
    ),
    (
        "an unsupported extension",
        {"a.yaml": GOOD_YAML, "deploy/app.toml": "x = 1\n"},
        ["a.yaml", "deploy/app.toml"],
        [RULE],
        [f"manifest: 'deploy/app.toml' {UNSUPPORTED}"],
    ),
    (
        "an unsupported file matched by a glob",
        {"k8s/a.yaml": GOOD_YAML, "k8s/README.md": "# k8s\n"},
        ["k8s/*"],
        [RULE],
        [f"manifest: 'k8s/README.md' {UNSUPPORTED}"],
    ),
    (
        "a rule resolving nowhere",
        {"a.yaml": GOOD_YAML, "b.json": '{"data": {}}', ".env": "DB_HOST=old\n"},
        ["a.yaml", "b.json", ".env"],
        [RULE, "spec.containers[name=app].image={endpoint}", "DB_HOST={endpoint}", "NOPE={endpoint}"],
        [
            "manifest-set: PATH resolves in no document of a.yaml, b.json: in a.yaml, the top level has no "
            "key 'spec', got 'spec.containers[name=app].image={endpoint}'",
            "manifest-set: PATH resolves in no document of .env, a.yaml, b.json: in .env, no line sets NOPE, "
            "got 'NOPE={endpoint}'; to create the key, write '+NOPE={endpoint}'",
        ],
    ),
    (
        "a missing intermediate key is not created",
        {"a.yaml": "metadata:\n  name: x\n"},
        ["a.yaml"],
        ["metadata.annotations.db={endpoint}"],
        [
            "manifest-set: PATH resolves in no document of a.yaml: metadata has no key 'annotations', "
            "got 'metadata.annotations.db={endpoint}'"
        ],
    ),
    (
        "a top-level key is not created",
        {"a.yaml": "metadata:\n  name: x\n"},
        ["a.yaml"],
        ["DB_HOST={endpoint}"],
        [
            "manifest-set: PATH resolves in no document of a.yaml: the top level has no key 'DB_HOST', "
            "got 'DB_HOST={endpoint}'"
        ],
    ),
    (
        "an index past the end",
        {"a.yaml": "args:\n- one\n"},
        ["a.yaml"],
        ["args[1]={endpoint}"],
        ["manifest-set: PATH resolves in no document of a.yaml: args has 1 item, got 'args[1]={endpoint}'"],
    ),
    (
        "a PATH that ends at a mapping",
        {"a.yaml": "spec:\n  env:\n  - name: DB_HOST\n    value: old\n"},
        ["a.yaml"],
        ["spec.env[name=DB_HOST]={endpoint}"],
        [
            "manifest-set: PATH leads to a mapping in 'a.yaml', not to a value, got 'spec.env[name=DB_HOST]={endpoint}'"
        ],
    ),
    (
        "a PATH that ends at a list",
        {"a.json": '{"spec": {"args": ["a"]}}'},
        ["a.json"],
        ["spec.args={endpoint}"],
        ["manifest-set: PATH leads to a list in 'a.json', not to a value, got 'spec.args={endpoint}'"],
    ),
    (
        "a rule that cannot apply to the only files, dotenv ones",
        {".env": "DB_HOST=old\n"},
        [".env"],
        ["DB_HOST={endpoint}", "env[0].value={endpoint}"],
        [
            "manifest-set: PATH is not a dotenv KEY and manifest lists no YAML or JSON file, "
            "got 'env[0].value={endpoint}'"
        ],
    ),
    (
        "a single quote into a single-quoted dotenv value",
        {".env": "NAME='old'\n"},
        [".env"],
        ["NAME=it's {endpoint}"],
        ["manifest-set: the value has a ' but NAME is single-quoted in '.env', got \"NAME=it's {endpoint}\""],
    ),
    (
        "a '..' segment",
        {"a.yaml": GOOD_YAML},
        ["a.yaml", "../secrets.yaml", "deploy/../a.yaml"],
        [RULE],
        [
            f"manifest: '../secrets.yaml' is outside the workspace; {NO_DOTDOT}",
            f"manifest: 'deploy/../a.yaml' is outside the workspace; {NO_DOTDOT}",
        ],
    ),
    (
        "an absolute path outside",
        {"a.yaml": GOOD_YAML},
        ["a.yaml", "/etc/hostname"],
        [RULE],
        [
            "manifest: '/etc/hostname' is outside the workspace; give a path relative to the workspace, "
            "like deploy/app.yaml"
        ],
    ),
    (
        "every problem at once",
        {"a.yaml": GOOD_YAML, "b.yaml": "a: [\n", "c.txt": ""},
        ["missing.yaml", "*.yaml", "c.txt", "/etc/hostname"],
        [RULE, "nowhere.key={port}"],
        [
            f"manifest: 'missing.yaml' does not exist in the workspace; {CHECKOUT}",
            "manifest: '/etc/hostname' is outside the workspace; give a path relative to the workspace, "
            "like deploy/app.yaml",
            "manifest: 'b.yaml' is not valid YAML at line 2, column 1: expected the node content, but found '<stream end>'",
            f"manifest: 'c.txt' {UNSUPPORTED}",
            "manifest-set: PATH resolves in no document of a.yaml: the top level has no key 'nowhere', "
            "got 'nowhere.key={port}'",
        ],
    ),
]


@pytest.mark.parametrize(
    ("files", "patterns", "rules", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_each_problem_is_reported_and_no_file_changes(
    files: dict[str, str | bytes], patterns: list[str], rules: list[str], expected: list[str], tmp_path: Path
) -> None:
    write_tree(tmp_path, files)

    assert plan_problems(tmp_path, patterns, rules) == expected


def test_a_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace, outside = tmp_path / "workspace", tmp_path / "outside"
    write_tree(outside, {"secret.yaml": GOOD_YAML, "dir/x.yaml": GOOD_YAML})
    write_tree(workspace, {"deploy/app.yaml": GOOD_YAML})
    (workspace / "deploy" / "link.yaml").symlink_to(outside / "secret.yaml")
    (workspace / "linked").symlink_to(outside / "dir")
    before_outside = snapshot(outside)

    problems = plan_problems(workspace, ["deploy/*.yaml", "linked/x.yaml"], [RULE])

    assert problems == [
        "manifest: 'deploy/*.yaml' is outside the workspace: 'deploy/link.yaml' is a symlink out of it",
        "manifest: 'linked/x.yaml' is outside the workspace: 'linked/x.yaml' is a symlink out of it",
    ]
    assert snapshot(outside) == before_outside


def test_a_broken_symlink_is_named(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": GOOD_YAML})
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")

    assert plan_problems(tmp_path, ["*.yaml", "gone.yaml"], [RULE]) == [
        "manifest: 'gone.yaml' is a broken symlink"
    ]


def test_a_symlink_inside_the_workspace_is_patched_through_its_target(tmp_path: Path) -> None:
    write_tree(tmp_path, {"base/app.yaml": GOOD_YAML})
    (tmp_path / "app.yaml").symlink_to("base/app.yaml")

    changes = plan(tmp_path, ["app.yaml", "base/app.yaml"], [RULE])
    apply_patch(changes)

    assert [(c.relative, c.path) for c in changes] == [("app.yaml", tmp_path / "base" / "app.yaml")]
    assert (tmp_path / "app.yaml").is_symlink()
    assert "old" not in (tmp_path / "base" / "app.yaml").read_text()


def test_an_absolute_path_inside_the_workspace_is_accepted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"deploy/app.yaml": GOOD_YAML})

    changes = plan(tmp_path, [str(tmp_path / "deploy" / "*.yaml")], [RULE])

    assert [c.relative for c in changes] == ["deploy/app.yaml"]


def test_patterns_are_resolved_against_the_workspace_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "ws", {"a.yaml": GOOD_YAML})
    write_tree(tmp_path / "elsewhere", {"b.yaml": GOOD_YAML})
    monkeypatch.chdir(tmp_path / "elsewhere")

    changes = plan(tmp_path / "ws", ["*.yaml"], [RULE])

    assert [c.path for c in changes] == [tmp_path / "ws" / "a.yaml"]


def test_files_are_sorted_and_listed_once(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"b.yaml": GOOD_YAML, "a/z.yaml": GOOD_YAML, "a.yaml": GOOD_YAML, ".hidden.yaml": GOOD_YAML}
    )

    changes = plan(tmp_path, ["b.yaml", "**/*.yaml", "a.yaml", "./b.yaml"], [RULE])

    assert [c.relative for c in changes] == [".hidden.yaml", "a.yaml", "a/z.yaml", "b.yaml"]


@pytest.mark.parametrize(
    ("patterns", "rules", "expected"),
    [
        ([], ["a.b=1"], "manifest-set: rules need manifest files; list the files to patch in manifest"),
        (["a.yaml"], [], "manifest: files need manifest-set rules; add PATH=VALUE lines to manifest-set"),
    ],
)
def test_rules_and_files_come_together(
    patterns: list[str], rules: list[str], expected: str, tmp_path: Path
) -> None:
    write_tree(tmp_path, {"a.yaml": GOOD_YAML})

    assert plan_problems(tmp_path, patterns, rules) == [expected]


def test_no_rules_and_no_files_is_nothing_to_do(tmp_path: Path) -> None:
    assert plan_patch(tmp_path, [], [], {}) == []


def test_the_error_says_nothing_was_changed(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        plan(tmp_path, ["missing.yaml"], [RULE])

    assert str(caught.value) == (
        f"1 input is not valid; nothing was changed.\n- manifest: 'missing.yaml' does not exist in the workspace; {CHECKOUT}"
    )
    assert not os.listdir(tmp_path)
