"""How each format is rewritten: only the targeted values change, with the types a reader expects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clone_action.manifest import apply_patch
from clone_action.manifest.json_file import JsonDocument, json_spans

from .support import ENDPOINT, plan, write_tree

TYPES = [
    ("a string stays a string", "v: old\n", "v={endpoint}", f"v: {ENDPOINT}\n"),
    ("digits into a plain string are quoted", "v: old\n", "v={port}", "v: '5432'\n"),
    ("a double-quoted string stays double-quoted", 'v: "3306"\n', "v={port}", 'v: "5432"\n'),
    ("a single-quoted string stays single-quoted", "v: 'old'\n", "v={endpoint}", f"v: '{ENDPOINT}'\n"),
    ("an int stays an int", "v: 3306\n", "v={port}", "v: 5432\n"),
    ("an int becomes a string for text", "v: 3306\n", "v={endpoint}", f"v: {ENDPOINT}\n"),
    ("a bool becomes a string", "v: true\n", "v={port}", "v: '5432'\n"),
    ("a null becomes a string", "v:\n", "v={port}", "v: '5432'\n"),
    ("a text that reads as a bool is quoted", "v: old\n", "v=true", "v: 'true'\n"),
    ("a literal block stays a literal block", "v: |\n  old\n", "v={endpoint}", f"v: |-\n  {ENDPOINT}\n"),
    ("a new key, asked for with +, is a string", "other: 1\n", "+new={port}", "other: 1\nnew: '5432'\n"),
]


@pytest.mark.parametrize(
    ("text", "rule", "expected"), [pytest.param(t, r, e, id=name) for name, t, r, e in TYPES]
)
def test_yaml_value_types(text: str, rule: str, expected: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "m:\n" + "".join(f"  {line}\n" for line in text.splitlines())})

    create, rule = ("+", rule[1:]) if rule.startswith("+") else ("", rule)
    [change] = plan(tmp_path, ["a.yaml"], [f"{create}m.{rule}"])

    assert change.after == "m:\n" + "".join(f"  {line}\n" for line in expected.splitlines())


SELECTORS = [
    ("by index", "items[1].v={port}", "items:\n- v: a\n- v: '5432'\n- v: c\n"),
    ("every item", "items[*].v={port}", "items:\n- v: '5432'\n- v: '5432'\n- v: '5432'\n"),
    ("by key=value", "items[v=c].v={port}", "items:\n- v: a\n- v: b\n- v: '5432'\n"),
    ("a list item itself", "names[0]=--host={endpoint}", f"names:\n- --host={ENDPOINT}\n"),
]


@pytest.mark.parametrize(("rule", "expected"), [pytest.param(r, e, id=name) for name, r, e in SELECTORS])
def test_list_selectors(rule: str, expected: str, tmp_path: Path) -> None:
    key = rule.split("[")[0]
    texts = {"items": "items:\n- v: a\n- v: b\n- v: c\n", "names": "names:\n- --host=old\n"}
    write_tree(tmp_path, {"a.yaml": texts[key]})

    [change] = plan(tmp_path, ["a.yaml"], [rule])

    assert change.after == expected


JSON = [
    (
        "two spaces, newline at the end",
        '{\n  "db": {\n    "host": "old",\n    "port": 3306\n  }\n}\n',
        '{\n  "db": {\n    "host": "NEW",\n    "port": 5432\n  }\n}\n',
    ),
    (
        "four spaces, no newline at the end",
        '{\n    "db": {\n        "host": "old",\n        "port": "3306"\n    }\n}',
        '{\n    "db": {\n        "host": "NEW",\n        "port": "5432"\n    }\n}',
    ),
    (
        "tabs",
        '{\n\t"db": {\n\t\t"host": "old",\n\t\t"port": 3306\n\t}\n}\n',
        '{\n\t"db": {\n\t\t"host": "NEW",\n\t\t"port": 5432\n\t}\n}\n',
    ),
    ("one line, compact", '{"db":{"host":"old","port":3306}}', '{"db":{"host":"NEW","port":5432}}'),
    (
        "one line, spaced",
        '{"db": {"host": "old", "port": 3306}}\n',
        '{"db": {"host": "NEW", "port": 5432}}\n',
    ),
    (
        "non-ASCII kept as written",
        '{\n  "db": {\n    "host": "old",\n    "port": 1,\n    "owner": "Zoë"\n  }\n}\n',
        '{\n  "db": {\n    "host": "NEW",\n    "port": 5432,\n    "owner": "Zoë"\n  }\n}\n',
    ),
    (
        "windows line endings",
        '{\r\n  "db": {\r\n    "host": "old",\r\n    "port": 1\r\n  }\r\n}\r\n',
        '{\r\n  "db": {\r\n    "host": "NEW",\r\n    "port": 5432\r\n  }\r\n}\r\n',
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=name) for name, t, e in JSON])
def test_json_keeps_indentation_key_order_and_types(text: str, expected: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.json": text})

    [change] = plan(tmp_path, ["a.json"], ["db.host={endpoint}", "db.port={port}"])

    assert change.after == expected.replace("NEW", ENDPOINT)


def test_json_new_keys_are_strings_and_go_last(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.json": '{\n  "db": {\n    "name": "app"\n  }\n}\n'})

    [change] = plan(tmp_path, ["a.json"], ["+db.port={port}"])

    assert change.after == '{\n  "db": {\n    "name": "app",\n    "port": "5432"\n  }\n}\n'


DOTENV = [
    ("plain", "DB_HOST=old\n", f"DB_HOST={ENDPOINT}\n"),
    ("export", "export DB_HOST=old\n", f"export DB_HOST={ENDPOINT}\n"),
    ("double quotes", 'DB_HOST="old"\n', f'DB_HOST="{ENDPOINT}"\n'),
    ("single quotes", "DB_HOST='old'\n", f"DB_HOST='{ENDPOINT}'\n"),
    ("spaces around =", "  DB_HOST = old  \n", f"  DB_HOST = {ENDPOINT}  \n"),
    ("inline comment", "DB_HOST=old   # the writer\n", f"DB_HOST={ENDPOINT}   # the writer\n"),
    ("quoted, then a comment", 'DB_HOST="old" # the writer\n', f'DB_HOST="{ENDPOINT}" # the writer\n'),
    ("empty value", "DB_HOST=\n", f"DB_HOST={ENDPOINT}\n"),
    ("a # inside a value is not a comment", "DB_HOST=a#b\n", f"DB_HOST={ENDPOINT}\n"),
    ("no newline at the end", "A=1\nDB_HOST=old", f"A=1\nDB_HOST={ENDPOINT}"),
    ("windows line endings", "A=1\r\nDB_HOST=old\r\n", f"A=1\r\nDB_HOST={ENDPOINT}\r\n"),
    ("every occurrence", "DB_HOST=a\nDB_HOST=b\n", f"DB_HOST={ENDPOINT}\nDB_HOST={ENDPOINT}\n"),
    (
        "a multi-line quoted value",
        'CERT="line one\nline two"\nDB_HOST="old"\nZ=1\n',
        f'CERT="line one\nline two"\nDB_HOST="{ENDPOINT}"\nZ=1\n',
    ),
    (
        "other lines byte for byte",
        "# c\n\n  # indented comment\nOTHER= x \nexport ONLY_NAME\nDB_HOSTS=keep\nDB_HOST=old\n",
        f"# c\n\n  # indented comment\nOTHER= x \nexport ONLY_NAME\nDB_HOSTS=keep\nDB_HOST={ENDPOINT}\n",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=name) for name, t, e in DOTENV])
def test_dotenv_replaces_only_the_value(text: str, expected: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": text})

    [change] = plan(tmp_path, [".env"], ["DB_HOST={endpoint}"])

    assert change.after == expected


@pytest.mark.parametrize(
    ("value", "written"),
    [("with space", '"with space"'), ('say "hi"', '"say \\"hi\\""'), ("a#b", "a#b"), ("x #y", '"x #y"')],
)
def test_dotenv_quotes_an_unquoted_value_only_when_it_must(value: str, written: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": "NAME=old\n"})

    [change] = plan(tmp_path, [".env"], [f"NAME={value}"])

    assert change.after == f"NAME={written}\n"


@pytest.mark.parametrize(
    "name", [".env", "app.env", ".env.local", ".env.preview", "deploy/prod.env", "X.YAML", "a.yml", "b.JSON"]
)
def test_file_types_are_known_by_name(name: str, tmp_path: Path) -> None:
    kind = (
        "json"
        if name.lower().endswith(".json")
        else "yaml"
        if "y" in name.lower().rsplit(".", 1)[1]
        else "env"
    )
    content = {"json": '{"DB_HOST": {"a": "old"}}', "yaml": "DB_HOST:\n  a: old\n", "env": "DB_HOST=old\n"}[
        kind
    ]
    rule = {"json": "DB_HOST.a={port}", "yaml": "DB_HOST.a={port}", "env": "DB_HOST={port}"}[kind]
    write_tree(tmp_path, {name: content})

    [change] = plan(tmp_path, [name], [rule])

    assert "5432" in change.after


def test_one_rule_set_patches_yaml_json_and_dotenv_together(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "values.yaml": "database:\n  host: old\n",
            "config.json": '{\n  "database": {\n    "host": "old"\n  }\n}\n',
            ".env": "DATABASE_HOST=old\n",
        },
    )

    changes = plan(
        tmp_path,
        ["values.yaml", "config.json", ".env"],
        ["database.host={endpoint}", "DATABASE_HOST={endpoint}"],
    )

    assert [(c.relative, c.applied) for c in changes] == [
        (".env", ["DATABASE_HOST={endpoint}"]),
        ("config.json", ["database.host={endpoint}"]),
        ("values.yaml", ["database.host={endpoint}"]),
    ]
    assert all(ENDPOINT in c.after and "old" not in c.after for c in changes)


def test_a_value_equal_to_the_current_one_is_applied_but_changes_nothing(tmp_path: Path) -> None:
    text = f"m:\n  host:    {ENDPOINT}   # odd spacing kept\n"
    write_tree(tmp_path, {"a.yaml": text})

    [change] = plan(tmp_path, ["a.yaml"], ["m.host={endpoint}"])

    assert (change.after, change.applied) == (text, ["m.host={endpoint}"])
    assert apply_patch([change]) == []


def test_placeholders_and_literal_braces_render_in_values(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "m:\n  url: old\n"})

    [change] = plan(tmp_path, ["a.yaml"], ["m.url=jdbc:{engine}://{endpoint}:{port}/{{db}}"])

    assert change.after == f"m:\n  url: jdbc:aurora-postgresql://{ENDPOINT}:5432/{{db}}\n"


def test_json_changes_only_the_bytes_of_the_values_replaced(tmp_path: Path) -> None:
    # Written by hand, as config files are: inline arrays, 1.50, aligned colons, an escaped é.
    text = (
        '{\n  "db" :   {"host": "old",  "port":3306, "weights": [1.50, 2.0, 1e3]},\n'
        '  "apps": [ {"name": "web", "url": "http://x"}, {"name": "app", "url": "old"} ],\n'
        '  "owner": "Zo\\u00eb",  "flags": [true,false,null]\n}\n'
    )
    write_tree(tmp_path, {"a.json": text})

    [change] = plan(
        tmp_path, ["a.json"], ["db.host={endpoint}", "db.port={port}", "apps[name=app].url={endpoint}"]
    )

    assert change.after == (
        text.replace('"host": "old"', f'"host": "{ENDPOINT}"')
        .replace('"port":3306', '"port":5432')
        .replace('"url": "old"', f'"url": "{ENDPOINT}"')
    )


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text()
)
JSON_TREES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
# Any JSON object, in any layout json.dumps can give.
JSON_TEXTS = st.builds(
    lambda tree, indent, separators, ascii_only: json.dumps(
        tree, indent=indent, separators=separators, ensure_ascii=ascii_only
    ),
    st.dictionaries(st.text(min_size=1, max_size=5), JSON_TREES, min_size=1, max_size=4),
    st.sampled_from([None, 0, 2, 4, "\t"]),
    st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : ")]),
    st.booleans(),
)


@given(text=JSON_TEXTS, pick=st.randoms(use_true_random=False))
def test_json_any_document_any_scalar_replaced_byte_for_byte(text: str, pick: Any) -> None:
    """Whatever the layout, replacing one scalar changes its bytes and no other byte."""
    spans = json_spans(text)
    scalars = sorted(spans, key=repr)
    assume(scalars)
    path = pick.choice(scalars)
    start, end = spans[path]
    document = JsonDocument(text)
    node: Any = document.data
    for step in path[:-1]:
        node = node[step]
    assert json.loads(text[start:end]) == node[path[-1]]

    unchanged = node[path[-1]] == "NEW"
    node[path[-1]] = "NEW"

    assert document.render() == (text if unchanged else text[:start] + '"NEW"' + text[end:])
    assert json.loads(document.render()) == document.data


def objects(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every object in a JSON tree."""
    if isinstance(node, dict):
        return [path] + [p for key, value in node.items() for p in objects(value, (*path, key))]
    if isinstance(node, list):
        return [p for index, value in enumerate(node) for p in objects(value, (*path, index))]
    return []


@given(text=JSON_TEXTS, pick=st.randoms(use_true_random=False))
def test_json_a_new_key_in_any_object_only_inserts_bytes(text: str, pick: Any) -> None:
    """Whatever the layout, a key added to an object is inserted as one piece: no other byte changes."""
    document = JsonDocument(text)
    node: Any = document.data
    for step in pick.choice(objects(document.data)):
        node = node[step]
    assume("NEW" not in node)
    node["NEW"] = "5432"

    out = document.render()

    assert json.loads(out) == document.data
    same = next(i for i, (a, b) in enumerate(zip(out, text + "\0", strict=False)) if a != b)
    assert out[:same] + out[same + len(out) - len(text) :] == text
