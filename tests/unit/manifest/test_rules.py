"""parse_rules: the PATH=VALUE syntax of manifest-set, and every mistake with its exact message."""

from __future__ import annotations

import pytest

from clone_action.errors import InputError
from clone_action.manifest import (
    PLACEHOLDERS,
    Every,
    Index,
    Key,
    Match,
    Rule,
    Step,
    parse_rules,
    placeholder_values,
)

ALLOWED = "{endpoint}, {reader_endpoint}, {port}, {cluster_id}, {engine}, {database_url}"
SELECTORS = "use [2], [*] or [name=value]"

GOOD = [
    (
        "spec.template.spec.containers[name=app].env[name=DB_HOST].value={endpoint}",
        (
            Key("spec"),
            Key("template"),
            Key("spec"),
            Key("containers"),
            Match("name", "app"),
            Key("env"),
            Match("name", "DB_HOST"),
            Key("value"),
        ),
        "{endpoint}",
    ),
    ("data.DB_PORT={port}", (Key("data"), Key("DB_PORT")), "{port}"),
    ("data.DB_PORT = {port}", (Key("data"), Key("DB_PORT")), "{port}"),
    ("database.host={endpoint}", (Key("database"), Key("host")), "{endpoint}"),
    (
        'metadata.annotations."example.com/db"={cluster_id}',
        (Key("metadata"), Key("annotations"), Key("example.com/db")),
        "{cluster_id}",
    ),
    ('a."k=v".b=x', (Key("a"), Key("k=v"), Key("b")), "x"),
    (
        "metadata.labels.app/db-host_1={cluster_id}",
        (Key("metadata"), Key("labels"), Key("app/db-host_1")),
        "{cluster_id}",
    ),
    ("args[2]=--db-host={endpoint}", (Key("args"), Index(2)), "--db-host={endpoint}"),
    ("items[*].host={endpoint}", (Key("items"), Every(), Key("host")), "{endpoint}"),
    ("[0].value={endpoint}", (Index(0), Key("value")), "{endpoint}"),
    ("[path=/spec/x].value={endpoint}", (Match("path", "/spec/x"), Key("value")), "{endpoint}"),
    ("m[0][1]=v", (Key("m"), Index(0), Index(1)), "v"),
    ("DB_HOST={endpoint}", (Key("DB_HOST"),), "{endpoint}"),
    ("url=jdbc:postgresql://{endpoint}:{port}/app", (Key("url"),), "jdbc:postgresql://{endpoint}:{port}/app"),
    ("literal={{braces}} stay", (Key("literal"),), "{{braces}} stay"),
    ("empty=", (Key("empty"),), ""),
]


@pytest.mark.parametrize(("line", "path", "value"), GOOD)
def test_a_rule_parses_into_path_steps_and_a_value(line: str, path: tuple[Step, ...], value: str) -> None:
    assert parse_rules([line]) == [Rule(text=line, path=path, value=value)]


BAD = [
    ("spec.template", "expected PATH=VALUE, like data.DB_HOST={endpoint}"),
    ("={endpoint}", "PATH is empty; write PATH=VALUE, like data.DB_HOST={endpoint}"),
    ("  = x", "PATH is empty; write PATH=VALUE, like data.DB_HOST={endpoint}"),
    ("a..b={endpoint}", "PATH has an empty key; separate keys with single dots"),
    (".a={endpoint}", "PATH has an empty key; separate keys with single dots"),
    ("a.={endpoint}", "PATH has an empty key; separate keys with single dots"),
    ("env[={endpoint}", f"PATH has an unclosed '['; {SELECTORS}"),
    ("env[x={endpoint}", f"PATH has an unclosed '['; {SELECTORS}"),
    ("env[name=app.value={endpoint}", f"PATH has an unclosed '['; {SELECTORS}"),
    ("env[].value={endpoint}", f"PATH has an empty selector []; {SELECTORS}"),
    ("env[x].value={endpoint}", f"PATH has a bad selector [x]; {SELECTORS}"),
    ("env[-1].value={endpoint}", f"PATH has a bad selector [-1]; {SELECTORS}"),
    ("env[=app].value={endpoint}", f"PATH has a bad selector [=app]; {SELECTORS}"),
    ("env]x={endpoint}", "PATH has an unexpected ']' at character 4; quote such a key: \"a.b\""),
    ("env[0]x={endpoint}", "PATH has an unexpected 'x' at character 7; quote such a key: \"a.b\""),
    ('a."b={endpoint}', "PATH has an unclosed '\"'"),
    ('a."".c={endpoint}', 'PATH has an empty key ""'),
    ("data.DB_HOST={host}", f"unknown placeholder {{host}}; use {ALLOWED}"),
    ("data.DB_HOST={}", f"unknown placeholder {{}}; use {ALLOWED}"),
    ("data.DB_HOST={endpoint.upper}", f"unknown placeholder {{endpoint.upper}}; use {ALLOWED}"),
    (
        "data.DB_HOST={endpoint",
        "unbalanced braces in VALUE; placeholders look like {endpoint}, a literal brace is {{ or }}",
    ),
    (
        "data.DB_HOST=endpoint}",
        "unbalanced braces in VALUE; placeholders look like {endpoint}, a literal brace is {{ or }}",
    ),
    ("data.DB_PORT={port:>6}", "placeholder {port:>6} takes no format or conversion; write {port}"),
    ("data.DB_PORT={port!r}", "placeholder {port!r} takes no format or conversion; write {port}"),
]


@pytest.mark.parametrize(("line", "why"), BAD)
def test_a_bad_rule_is_named_with_the_reason(line: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_rules([line])
    assert caught.value.problems == [f"manifest-set: {why}, got {line!r}"]


def test_every_bad_line_is_listed_in_one_error() -> None:
    with pytest.raises(InputError) as caught:
        parse_rules(["data.DB_HOST={endpoint}", "nothing", "data.X={foo}", "a[]=1"])
    assert caught.value.problems == [
        "manifest-set: expected PATH=VALUE, like data.DB_HOST={endpoint}, got 'nothing'",
        f"manifest-set: unknown placeholder {{foo}}; use {ALLOWED}, got 'data.X={{foo}}'",
        f"manifest-set: PATH has an empty selector []; {SELECTORS}, got 'a[]=1'",
    ]
    assert str(caught.value).startswith("3 inputs are not valid; nothing was changed.\n- manifest-set:")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("DB_HOST={endpoint}", "DB_HOST"),
        ("spring.datasource.url={database_url}", "spring.datasource.url"),
        ("env[0]={endpoint}", None),
        ('metadata."example.com/db"={endpoint}', None),
        ("1ST={endpoint}", None),
    ],
)
def test_the_dotenv_key_of_a_rule_is_its_whole_path(line: str, key: str | None) -> None:
    assert parse_rules([line])[0].dotenv_key == key


def test_placeholder_values_cover_every_placeholder_with_a_numeric_port() -> None:
    values = placeholder_values()
    assert tuple(values) == PLACEHOLDERS
    assert values["port"].isdigit()
    assert all(values.values())


@pytest.mark.parametrize(
    ("line", "path", "value"),
    [
        ("+database.port={port}", (Key("database"), Key("port")), "{port}"),
        (" + data.DB_PORT = {port}", (Key("data"), Key("DB_PORT")), "{port}"),
        ("+DB_PORT={port}", (Key("DB_PORT"),), "{port}"),
        ('+m."+x"=1', (Key("m"), Key("+x")), "1"),
    ],
)
def test_a_leading_plus_asks_for_the_last_key_to_be_created(
    line: str, path: tuple[Step, ...], value: str
) -> None:
    assert parse_rules([line]) == [Rule(text=line, path=path, value=value, create=True)]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("+={port}", "PATH is empty; write PATH=VALUE, like data.DB_HOST={endpoint}"),
        ("+args[*]={port}", "+ creates a missing key, so its PATH ends with a key, not a list selector"),
        ("+.a={port}", "PATH has an empty key; separate keys with single dots"),
    ],
)
def test_a_bad_plus_rule_is_named_with_the_reason(line: str, why: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_rules([line])
    assert caught.value.problems == [f"manifest-set: {why}, got {line!r}"]
