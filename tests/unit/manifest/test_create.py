"""A PATH must exist where a rule applies; a key is created only when the rule asks with a leading +."""

from __future__ import annotations

from pathlib import Path

import pytest

from clone_action.errors import InputError
from clone_action.manifest import parse_rules

from .support import ENDPOINT, plan, plan_problems, write_tree

CONFIGMAP = "kind: ConfigMap\ndata:\n  DB_HOST: localhost\n  DB_PORT: '3306'\n"
SECRET = "kind: Secret\ndata:\n  password: c2VjcmV0\n"
SERVICE = "kind: Service\nspec:\n  type: ClusterIP\n"
VALUES = "database:\n  host: localhost\n"

# (name, files, rules, the text of every file after the plan): files not shown are unchanged.
WRITES = [
    (
        "a plain rule sets the key only where it exists: the Secret's data is left alone",
        {"k8s/all.yaml": f"{CONFIGMAP}---\n{SECRET}"},
        ["data.DB_PORT={port}"],
        {"k8s/all.yaml": f"{CONFIGMAP.replace('3306', '5432')}---\n{SECRET}"},
    ),
    (
        "a plain rule over several files applies in those that have the key",
        {"a.yaml": VALUES, "b.yaml": "database:\n  name: shop\n"},
        ["database.host={endpoint}"],
        {"a.yaml": f"database:\n  host: {ENDPOINT}\n"},
    ),
    (
        "+ creates the last key in a mapping that exists",
        {"values.yaml": VALUES},
        ["+database.port={port}"],
        {"values.yaml": "database:\n  host: localhost\n  port: '5432'\n"},
    ),
    (
        "+ sets the key where it exists already",
        {"values.yaml": VALUES},
        ["+database.host={endpoint}"],
        {"values.yaml": f"database:\n  host: {ENDPOINT}\n"},
    ),
    (
        "+ applies in every document where the mapping exists, Secrets included",
        {"k8s/all.yaml": f"{SERVICE}---\n{SECRET}"},
        ["+data.DB_PORT={port}"],
        {"k8s/all.yaml": f"{SERVICE}---\n{SECRET}  DB_PORT: '5432'\n"},
    ),
    (
        "+ in a list item reached by a selector",
        {"d.yaml": "containers:\n- name: app\n  labels:\n    tier: web\n- name: metrics\n"},
        ["+containers[name=app].labels.db={cluster_id}"],
        {"d.yaml": "containers:\n- name: app\n  labels:\n    tier: web\n    db: api-pr-7\n- name: metrics\n"},
    ),
    (
        "+ in JSON: the new key takes the indentation of the keys before it",
        {"c.json": '{\n    "db": {\n        "name": "shop"\n    }\n}\n'},
        ["+db.port={port}"],
        {"c.json": '{\n    "db": {\n        "name": "shop",\n        "port": "5432"\n    }\n}\n'},
    ),
    (
        "+ in JSON written by hand: only the new key's bytes are inserted",
        {"c.json": '{"db": {"host": "x", "weights": [1.50, 2.0]},\n "owner": "Zo\\u00eb"}\n'},
        ["+db.port={port}"],
        {"c.json": '{"db": {"host": "x", "weights": [1.50, 2.0], "port": "5432"},\n "owner": "Zo\\u00eb"}\n'},
    ),
    (
        "+ in an empty JSON object",
        {"c.json": '{\n  "db": {}\n}\n'},
        ["+db.host={endpoint}", "+db.port={port}"],
        {"c.json": f'{{\n  "db": {{"host": "{ENDPOINT}", "port": "5432"}}\n}}\n'},
    ),
    (
        "+ in compact JSON",
        {"c.json": '{"db":{"host":"x"}}'},
        ["+db.port={port}"],
        {"c.json": '{"db":{"host":"x","port":"5432"}}'},
    ),
    (
        "+ in dotenv appends the line",
        {".env": "# local\nDB_HOST=localhost\n"},
        ["+DB_PORT={port}"],
        {".env": "# local\nDB_HOST=localhost\nDB_PORT=5432\n"},
    ),
    (
        "+ in dotenv keeps a file without a final newline without one",
        {".env": "DB_HOST=localhost"},
        ["+DB_PORT={port}"],
        {".env": "DB_HOST=localhost\nDB_PORT=5432"},
    ),
    (
        "+ in dotenv keeps Windows line endings",
        {".env": "DB_HOST=localhost\r\n"},
        ["+DB_PORT={port}"],
        {".env": "DB_HOST=localhost\r\nDB_PORT=5432\r\n"},
    ),
    ("+ in an empty dotenv file", {".env": ""}, ["+DB_PORT={port}"], {".env": "DB_PORT=5432\n"}),
    (
        "+ in dotenv quotes a value that needs it",
        {".env": "A=1\n"},
        ["+GREETING=hello {engine}"],
        {".env": 'A=1\nGREETING="hello aurora-postgresql"\n'},
    ),
    (
        "+ in dotenv sets the key where it exists already, export and quotes kept",
        {".env": "export DB_HOST='localhost'\n"},
        ["+DB_HOST={endpoint}"],
        {".env": f"export DB_HOST='{ENDPOINT}'\n"},
    ),
    (
        "+ in dotenv with a quoted KEY holding dots",
        {".env": "A=1\n"},
        ['+"spring.datasource.url"=jdbc:postgresql://{endpoint}:{port}/shop'],
        {".env": f"A=1\nspring.datasource.url=jdbc:postgresql://{ENDPOINT}:5432/shop\n"},
    ),
    (
        "a dotenv file gets a + KEY, a YAML file never a new top-level key",
        {".env": "A=1\n", "values.yaml": VALUES},
        ["+DB_HOST={endpoint}"],
        {".env": f"A=1\nDB_HOST={ENDPOINT}\n"},
    ),
    (
        "a + rule of several keys creates nothing in a dotenv file",
        {".env": "A=1\n", "values.yaml": VALUES},
        ["+database.port={port}"],
        {"values.yaml": "database:\n  host: localhost\n  port: '5432'\n"},
    ),
]


@pytest.mark.parametrize(
    ("files", "rules", "expected"), [pytest.param(*case[1:], id=case[0]) for case in WRITES]
)
def test_what_a_rule_writes(
    files: dict[str, str], rules: list[str], expected: dict[str, str], tmp_path: Path
) -> None:
    write_tree(tmp_path, files)

    changes = plan(tmp_path, sorted(files), rules)

    assert {c.relative: c.after for c in changes if c.after != c.before} == expected


NOWHERE = "manifest-set: PATH resolves in no document of"

# (name, files, rules, the exact problems)
ERRORS = [
    (
        "a typo in the last key",
        {"values.yaml": VALUES},
        ["database.hots={endpoint}"],
        [
            f"{NOWHERE} values.yaml: database has no key 'hots' (did you mean database.host?), "
            "got 'database.hots={endpoint}'; to create the key, write '+database.hots={endpoint}'"
        ],
    ),
    (
        "a missing last key in every document",
        {"k8s/all.yaml": f"{SECRET}---\n{SERVICE}"},
        ["data.DB_PORT={port}"],
        [
            f"{NOWHERE} k8s/all.yaml: data has no key 'DB_PORT', got 'data.DB_PORT={{port}}'; "
            "to create the key, write '+data.DB_PORT={port}'"
        ],
    ),
    (
        "a typo in a middle key",
        {"values.yaml": VALUES},
        ["databse.host={endpoint}"],
        [
            f"{NOWHERE} values.yaml: the top level has no key 'databse' (did you mean database.host?), "
            "got 'databse.host={endpoint}'"
        ],
    ),
    (
        "a selector matching no item",
        {"d.yaml": "spec:\n  containers:\n  - name: app\n    image: shop\n"},
        ["spec.containers[name=ap].image={endpoint}"],
        [
            f"{NOWHERE} d.yaml: spec.containers has no item whose name is 'ap' "
            "(did you mean spec.containers[name=app].image?), got 'spec.containers[name=ap].image={endpoint}'"
        ],
    ),
    (
        "a key under a list",
        {"d.yaml": "spec:\n  containers:\n  - name: app\n"},
        ["spec.containers.image={endpoint}"],
        [
            f"{NOWHERE} d.yaml: spec.containers is a list, not a mapping, got 'spec.containers.image={{endpoint}}'"
        ],
    ),
    (
        "a selector on a mapping",
        {"d.json": '{"spec": {"x": 1}}'},
        ["spec[0].x={port}"],
        [f"{NOWHERE} d.json: spec is a mapping, not a list, got 'spec[0].x={{port}}'"],
    ),
    (
        "a key under a value",
        {"d.yaml": "spec:\n  replicas: 2\n"},
        ["spec.replicas.count={port}"],
        [f"{NOWHERE} d.yaml: spec.replicas is a value, not a mapping, got 'spec.replicas.count={{port}}'"],
    ),
    (
        "a key under an empty value",
        {"d.yaml": "database:\n  host:\n"},
        ["database.host.name={endpoint}"],
        [f"{NOWHERE} d.yaml: database.host is empty, not a mapping, got 'database.host.name={{endpoint}}'"],
    ),
    (
        "every item of an empty list",
        {"d.yaml": "spec:\n  containers: []\n"},
        ["spec.containers[*].image={endpoint}"],
        [f"{NOWHERE} d.yaml: spec.containers is an empty list, got 'spec.containers[*].image={{endpoint}}'"],
    ),
    (
        "the file where PATH goes deepest is named",
        {"a.json": '{"name": "shop"}', "b.yaml": VALUES},
        ["database.port={port}"],
        [
            f"{NOWHERE} a.json, b.yaml: in b.yaml, database has no key 'port', got 'database.port={{port}}'; "
            "to create the key, write '+database.port={port}'"
        ],
    ),
    (
        "of two files as deep, the one with a close key is named",
        {"a.json": '{"database": {"url": "x"}}', "b.yaml": VALUES},
        ["database.hots={endpoint}"],
        [
            f"{NOWHERE} a.json, b.yaml: in b.yaml, database has no key 'hots' (did you mean database.host?), "
            "got 'database.hots={endpoint}'; to create the key, write '+database.hots={endpoint}'"
        ],
    ),
    (
        "three files are named, and how many more",
        {f"{name}.yaml": "kind: A\n" for name in "abcde"},
        ["spec.host={endpoint}"],
        [
            f"{NOWHERE} a.yaml, b.yaml, c.yaml and 2 more files: in a.yaml, the top level has no key 'spec', "
            "got 'spec.host={endpoint}'"
        ],
    ),
    (
        "+ creates only the last key",
        {"values.yaml": VALUES},
        ["+database.pool.size=5"],
        [f"{NOWHERE} values.yaml: database has no key 'pool', got '+database.pool.size=5'"],
    ),
    (
        "+ under a list",
        {"d.yaml": "spec:\n  containers:\n  - name: app\n"},
        ["+spec.containers.image=shop"],
        [f"{NOWHERE} d.yaml: spec.containers is a list, not a mapping, got '+spec.containers.image=shop'"],
    ),
    (
        "+ never creates a top-level key in YAML or JSON",
        {"values.yaml": VALUES, "c.json": "{}"},
        ["+DB_HOST={endpoint}"],
        [
            f"{NOWHERE} c.json, values.yaml: in c.json, the top level has no key 'DB_HOST', "
            "got '+DB_HOST={endpoint}'; + adds a key at the top level only to a dotenv file"
        ],
    ),
    (
        "a dotenv KEY that is missing",
        {".env": "DB_HOST=localhost\n"},
        ["DB_HOTS={endpoint}"],
        [
            f"{NOWHERE} .env: no line sets DB_HOTS (did you mean DB_HOST?), got 'DB_HOTS={{endpoint}}'; "
            "to create the key, write '+DB_HOTS={endpoint}'"
        ],
    ),
    (
        "a dotted dotenv KEY is not created by +",
        {".env": "A=1\n"},
        ["+spring.datasource.url={database_url}"],
        [
            f"{NOWHERE} .env: no line sets spring.datasource.url, got '+spring.datasource.url={{database_url}}'"
        ],
    ),
]


@pytest.mark.parametrize(
    ("files", "rules", "expected"), [pytest.param(*case[1:], id=case[0]) for case in ERRORS]
)
def test_a_rule_that_resolves_nowhere_is_named_with_the_nearest_keys(
    files: dict[str, str], rules: list[str], expected: list[str], tmp_path: Path
) -> None:
    write_tree(tmp_path, files)

    assert plan_problems(tmp_path, sorted(files), rules) == expected


def test_a_plus_rule_ends_with_a_key() -> None:
    with pytest.raises(InputError) as caught:
        parse_rules(["+args[0]=--host={endpoint}"])

    assert caught.value.problems == [
        "manifest-set: + creates a missing key, so its PATH ends with a key, not a list selector, "
        "got '+args[0]=--host={endpoint}'"
    ]


def test_a_key_created_by_one_rule_is_set_by_the_next(tmp_path: Path) -> None:
    write_tree(tmp_path, {"values.yaml": VALUES})

    [change] = plan(tmp_path, ["values.yaml"], ["+database.url={database_url}", "database.url={endpoint}"])

    assert change.after == f"database:\n  host: localhost\n  url: {ENDPOINT}\n"
    assert change.applied == ["+database.url={database_url}", "database.url={endpoint}"]
