"""YAML: only the bytes of the values replaced change, and a key a + rule adds is one new line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from ruamel.yaml import YAML

from clone_action.manifest import apply_patch, parse_rules
from clone_action.manifest.document import typed
from clone_action.manifest.yaml_file import YamlDocument

from .support import ENDPOINT, plan, snapshot, write_tree
from .yaml_texts import Written, yaml_texts

SAFE = YAML(typ="safe", pure=True)

OLD = "db.staging.internal"

# (name, text): each holds OLD exactly once, as `database.host` (or `hosts[0]`, or in the first item).
YAML_STYLES = [
    (
        "kubectl: sequences at offset 0",
        "database:\n  host: db.staging.internal\nitems:\n- name: a\n  list:\n  - 1\n  - 2\n",
    ),
    (
        "helm: sequences at offset 2",
        "items:\n  - name: a\n    list:\n      - 1\n      - 2\ndatabase:\n  host: db.staging.internal\n",
    ),
    (
        "four spaces",
        "database:\n    host: db.staging.internal\n    pool:\n        size: 5\nitems:\n    -   x\n",
    ),
    (
        "four spaces, sequences at offset 2",
        "items:\n    - a\n    - b\ndatabase:\n    host: db.staging.internal\n",
    ),
    (
        "comments everywhere",
        "# head\n\ndatabase:   # the database\n  # the writer\n  host: db.staging.internal  # here\n\n  # tail\nother: 1 # one\n# end\n",
    ),
    (
        "quoting styles",
        "database:\n  host: db.staging.internal\n  a: 'single'\n  b: \"double\"\n  c: plain\n  d: '5432'\n  e: \"true\"\n  f: ''\n",
    ),
    (
        "block scalars and flow collections",
        "script: |\n  echo one\n  echo two\nfolded: >-\n  a long\n  text\nflow: {a: 1, b: [x, y]}\nempty: []\ndatabase:\n  host: db.staging.internal\n",
    ),
    (
        "a line longer than any width",
        "database:\n  host: db.staging.internal\n  note: " + "word " * 80 + "end\n",
    ),
    ("anchors and aliases", "base: &base\n  pool: 5\ndatabase:\n  <<: *base\n  host: db.staging.internal\n"),
    ("unicode", "database:\n  host: db.staging.internal\n  owner: Zoë Ünal — 数据库\n"),
    ("windows line endings", "database:\r\n  host: db.staging.internal\r\nitems:\r\n- a\r\n"),
    ("no newline at the end", "other: x\ndatabase:\n  host: db.staging.internal"),
    ("explicit start", "---\ndatabase:\n  host: db.staging.internal\n"),
    ("comment before the start", "# Preview only.\n---\ndatabase:\n  host: db.staging.internal\n"),
    ("comment on the separator", "a: 1\n--- # second\ndatabase:\n  host: db.staging.internal\n"),
    ("explicit end", "database:\n  host: db.staging.internal\n...\n"),
    ("empty documents around", "---\n---\ndatabase:\n  host: db.staging.internal\n---\n"),
    ("comment after a list item", "hosts:\n- db.staging.internal   # writer\n- other  # reader\n"),
    (
        "kustomize patch: a top-level list",
        "- op: replace\n  path: /database/host\n  value: x\n  database:\n    host: db.staging.internal\n",
    ),
    (
        "top-level list at 0, nested lists at offset 2",
        "- op: add\n  value:\n    - a\n    - b\n  database:\n    host: db.staging.internal\n",
    ),
]


@pytest.mark.parametrize(("text"), [pytest.param(text, id=name) for name, text in YAML_STYLES])
def test_yaml_changes_only_the_targeted_value(text: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": text})
    rule = "[0].database.host={endpoint}" if text.startswith("- ") else "database.host={endpoint}"
    rule = "hosts[0]={endpoint}" if text.startswith("hosts:") else rule

    [change] = plan(tmp_path, ["a.yaml"], [rule])

    assert change.after == text.replace(OLD, ENDPOINT)


@pytest.mark.parametrize(("text"), [pytest.param(text, id=name) for name, text in YAML_STYLES])
def test_a_file_the_rules_do_not_touch_is_left_byte_identical(text: str, tmp_path: Path) -> None:
    write_tree(tmp_path, {"touched.yaml": "elsewhere:\n  host: x\n", "untouched.yaml": text})
    before = snapshot(tmp_path)

    changes = plan(tmp_path, ["*.yaml"], ["elsewhere.host={endpoint}"])
    written = apply_patch(changes)

    assert [(c.relative, c.after == c.before) for c in changes] == [
        ("touched.yaml", False),
        ("untouched.yaml", True),
    ]
    assert written == ["touched.yaml"]
    assert snapshot(tmp_path)["untouched.yaml"] == before["untouched.yaml"]


def test_an_untouched_document_of_a_multi_document_file_keeps_its_bytes(tmp_path: Path) -> None:
    # The first document uses styles ruamel would not write back; only the second is rewritten.
    first = "kind: Service\nspec:\n  ports:\n  -   port: 80     # odd spacing\n      name:   http\n"
    second = "kind: ConfigMap\ndata:\n  DB_HOST: old\n"
    write_tree(tmp_path, {"all.yaml": f"{first}---\n{second}"})

    [change] = plan(tmp_path, ["all.yaml"], ["data.DB_HOST={endpoint}"])

    assert change.after == f"{first}---\nkind: ConfigMap\ndata:\n  DB_HOST: {ENDPOINT}\n"


def test_a_rule_applies_in_every_document_where_its_path_resolves(tmp_path: Path) -> None:
    documents = [
        "kind: ConfigMap\ndata:\n  DB_HOST: one\n",
        "kind: Service\nspec:\n  type: ClusterIP\n",  # no data.DB_HOST: left as it is
        "kind: ConfigMap\ndata:\n  DB_HOST: two\n",
    ]
    text = "---\n".join(documents)
    write_tree(tmp_path, {"all.yaml": text})

    [change] = plan(tmp_path, ["all.yaml"], ["data.DB_HOST={endpoint}"])

    assert change.after == text.replace("one", ENDPOINT).replace("two", ENDPOINT)
    assert change.applied == ["data.DB_HOST={endpoint}"]


# (name, text, rules, the text after): the cases a README check found changed, and their kin.
IN_PLACE = [
    (
        "aligned values keep their spacing",
        "host:     old\nport:     3306\nname:     shop\n",
        ["host={endpoint}", "port={port}"],
        f"host:     {ENDPOINT}\nport:     5432\nname:     shop\n",
    ),
    (
        "~ and null stay as written",
        "a: ~\nb: null\nc:\nhost: old\n",
        ["host={endpoint}"],
        f"a: ~\nb: null\nc:\nhost: {ENDPOINT}\n",
    ),
    ("a ~ replaced", "host: ~   # unset\n", ["host={endpoint}"], f"host: {ENDPOINT}   # unset\n"),
    ("an empty value set", "host:   # unset\n", ["host={port}"], "host: '5432'   # unset\n"),
    (
        "trailing spaces stay",
        "db:  \n  host: old   \n  port: 1  \n",
        ["db.host={endpoint}"],
        f"db:  \n  host: {ENDPOINT}   \n  port: 1  \n",
    ),
    (
        "CRLF with a comment at the end of the line",
        "db:\r\n  host: old  # the writer\r\n  port: 3306\r\n",
        ["db.host={endpoint}", "db.port={port}"],
        f"db:\r\n  host: {ENDPOINT}  # the writer\r\n  port: 5432\r\n",
    ),
    (
        "a value in a flow mapping",
        "db: {host: old, port: 3306}\n",
        ["db.host={endpoint}", "db.port={port}"],
        f"db: {{host: {ENDPOINT}, port: 5432}}\n",
    ),
    (
        "a value that would not read back plain is quoted",
        "db:\n  host: old\n  list: [a, b]\n",
        ["db.host=a: b", "db.list[0]=x, y"],
        "db:\n  host: 'a: b'\n  list: ['x, y', b]\n",
    ),
    (
        "a custom tag stays",
        "ref: !Ref old  # CloudFormation\n",
        ["ref=db"],
        "ref: !Ref db  # CloudFormation\n",
    ),
    (
        "a folded block keeps its style and the blank line after it",
        "note: >\n  old\n\nother: 1\n",
        ["note={endpoint}"],
        f"note: >-\n  {ENDPOINT}\n\nother: 1\n",
    ),
    (
        "+ adds a line after the mapping's last, CRLF kept, the blank line and comment after it too",
        "db:\r\n  host:     old   # c\r\n  pool:\r\n    size: 5\r\n\r\n# next\r\nother: 1\r\n",
        ["+db.port={port}"],
        "db:\r\n  host:     old   # c\r\n  pool:\r\n    size: 5\r\n  port: '5432'\r\n\r\n# next\r\nother: 1\r\n",
    ),
    (
        "+ after a last line without a line break",
        "db:\n  host: old",
        ["+db.port={port}", "+db.user=app"],
        "db:\n  host: old\n  port: '5432'\n  user: app",
    ),
    (
        "+ in a flow mapping, and in an empty one",
        "db: {host: old}\nextra: {}\n",
        ["+db.port={port}", "+extra.user=app"],
        "db: {host: old, port: '5432'}\nextra: {user: app}\n",
    ),
    (
        "+ with a key YAML 1.1 reads as a bool: quoted",
        "db:\n  host: old\n",
        ["+db.y=1"],
        "db:\n  host: old\n  'y': '1'\n",
    ),
]


@pytest.mark.parametrize(
    ("text", "rules", "expected"), [pytest.param(*case[1:], id=case[0]) for case in IN_PLACE]
)
def test_yaml_only_the_values_replaced_change(
    text: str, rules: list[str], expected: str, tmp_path: Path
) -> None:
    write_tree(tmp_path, {"a.yaml": text})

    [change] = plan(tmp_path, ["a.yaml"], rules)

    assert change.after == expected


def test_yaml_a_value_an_alias_repeats_rewrites_its_document_with_one_crlf_a_line(tmp_path: Path) -> None:
    # Changing y in place would change z too: ruamel.yaml writes the document again (its layout).
    text = "d:\r\n  x: 1\r\n  y: &a 2  # c\r\nz: *a\r\n---\r\nkept:    as is  # c\r\n"
    write_tree(tmp_path, {"a.yaml": text})

    [change] = plan(tmp_path, ["a.yaml"], ["d.y={port}"])

    first, second = change.after.split("---\r\n")
    assert list(SAFE.load_all(change.after)) == [{"d": {"x": 1, "y": 5432}, "z": 2}, {"kept": "as is"}]
    assert "\r\r" not in first and first.count("\n") == first.count("\r\n") == 4
    assert second == "kept:    as is  # c\r\n"


def test_yaml_a_key_a_merge_brings_rewrites_its_document(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.yaml": "base: &b\n  pool: 5\ndb:\n  <<: *b\n  host:   x\n"})

    [change] = plan(tmp_path, ["a.yaml"], ["db.pool=7"])

    assert change.after == "base: &b\n  pool: 5\ndb:\n  <<: *b\n  host: x\n  pool: 7\n"


# New values, and how each is written over a plain scalar: as it is, quoted, or as it is only
# outside [...] and {...} (None).
NEW_VALUES = {"NEW": True, "a b": True, "it's": True, "x: y": False, "#z": False, "true": False}
NEW_VALUES |= {"": False, "{x}": False, "l, m": None, "7": False}


def _set(documents: list[Any], number: int, steps: tuple[Any, ...], value: Any) -> list[Any]:
    changed = copy.deepcopy(documents)
    node = changed[number]
    for step in steps[:-1]:
        node = node[step]
    node[steps[-1]] = value
    return changed


@given(
    written=yaml_texts(), pick=st.randoms(use_true_random=False), value=st.sampled_from(sorted(NEW_VALUES))
)
def test_yaml_any_layout_any_scalar_replaced_byte_for_byte(written: Written, pick: Any, value: str) -> None:
    """Whatever the layout, replacing one scalar changes its bytes and no other byte."""
    text = written.text
    assert list(SAFE.load_all(text)) == written.documents  # the strategy writes what it means
    assume(written.scalars)
    scalar = pick.choice(written.scalars)
    document = YamlDocument(text)
    [rule] = parse_rules([f"{scalar.path}=v"])
    new = typed(scalar.value, value)

    assert document.apply(rule, value, "a.yaml").hits == 1

    out = document.render()
    if type(new) is type(scalar.value) and new == scalar.value:
        assert out == text
        return
    tail = len(text) - scalar.end
    assert out[: scalar.start] == text[: scalar.start]
    assert out[len(out) - tail :] == text[scalar.end :]
    assert list(SAFE.load_all(out)) == _set(written.documents, scalar.document, scalar.steps, new)
    middle = out[scalar.start : len(out) - tail]
    if scalar.how == "empty":
        assert middle.startswith(" ")
        middle = middle[1:]
    plain = NEW_VALUES[value] if NEW_VALUES[value] is not None else not scalar.flow
    if scalar.how in ("'", '"'):
        assert middle[0] == middle[-1] == scalar.how
    elif isinstance(new, int) or plain:
        assert middle == value
    else:
        assert middle[0] == middle[-1] == "'"


def _mappings(node: Any, steps: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The steps to every mapping below a document's top."""
    found = [steps] if isinstance(node, dict) and steps else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    return found + [path for key, value in items for path in _mappings(value, (*steps, key))]


def _path(steps: tuple[Any, ...]) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps).lstrip(".")


@given(
    written=yaml_texts(), pick=st.randoms(use_true_random=False), value=st.sampled_from(sorted(NEW_VALUES))
)
def test_yaml_a_new_key_in_any_mapping_only_inserts_bytes(written: Written, pick: Any, value: str) -> None:
    """Whatever the layout, a key a + rule adds is inserted as one piece: no other byte changes."""
    text = written.text
    places = [(number, steps) for number, root in enumerate(written.documents) for steps in _mappings(root)]
    assume(places)
    number, steps = pick.choice(places)
    document = YamlDocument(text)

    assert document.apply(parse_rules([f"+{_path(steps)}.added=v"])[0], value, "a.yaml").hits == 1

    out = document.render()
    assert list(SAFE.load_all(out)) == _set(written.documents, number, (*steps, "added"), value)
    same = next(i for i, (a, b) in enumerate(zip(out, text + "\0", strict=False)) if a != b)
    assert out[:same] + out[same + len(out) - len(text) :] == text
