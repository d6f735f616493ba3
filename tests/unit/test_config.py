"""parse_inputs: every input read the way the runner passes it, every rule with its exact message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clone_action.config import DEFAULT_CLONE_ID, Inputs, parse_inputs
from clone_action.errors import InputError

IDENTIFIER_RULE = "1-63 letters, digits and hyphens, starting with a letter, no '--', no trailing '-'"
KEY_129 = "k" * 129
VALUE_257 = "v" * 257


def env(**inputs: str) -> dict[str, str]:
    """INPUT_ variables as the runner sets them: upper-cased, hyphens kept."""
    return {"INPUT_" + name.replace("_", "-").upper(): value for name, value in inputs.items()}


def problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_inputs(environ)
    return caught.value.problems


BAD_VALUES = [
    (
        "mode",
        "deploy",
        "mode: expected one of auto, clone, teardown, purge, reset, refresh-base, got 'deploy'",
    ),
    (
        "source-cluster",
        "1prod",
        f"source-cluster: expected a DB cluster identifier: {IDENTIFIER_RULE}, got '1prod'",
    ),
    (
        "source-cluster",
        "prod--db",
        f"source-cluster: expected a DB cluster identifier: {IDENTIFIER_RULE}, got 'prod--db'",
    ),
    (
        "source-cluster",
        "arn:aws:rds:eu-west-1:210987654321:cluster:shop-production",
        "source-cluster: a cluster ARN (a source shared from another account through AWS RAM) is not "
        "supported: a cross-account clone needs a subnet group, security groups and a KMS key of this "
        "account, which the action does not set up; give the identifier of a cluster in this account "
        "and region, got 'arn:aws:rds:eu-west-1:210987654321:cluster:shop-production'",
    ),
    ("label", "", "label: expected a GitHub label name of 1 to 50 characters, got ''"),
    ("label", "l" * 51, f"label: expected a GitHub label name of 1 to 50 characters, got '{'l' * 51}'"),
    (
        "clone-id",
        "{source-pr-{pr}",
        "clone-id: unbalanced braces; placeholders look like {pr}, got '{source-pr-{pr}'",
    ),
    ("clone-id", "pr}", "clone-id: unbalanced braces; placeholders look like {pr}, got 'pr}'"),
    (
        "clone-id",
        "{branch}-pr-{pr}",
        "clone-id: unknown placeholder {branch}; use {source}, {pr}, {repo}, {owner}, got '{branch}-pr-{pr}'",
    ),
    (
        "pr-number",
        "0",
        "pr-number: expected a pull request number (a whole number), 1 or more, got '0'",
    ),
    (
        "pr-number",
        "#7",
        "pr-number: expected a pull request number (a whole number), 1 or more, got '#7'",
    ),
    (
        "instance-class",
        "r6g.large",
        "instance-class: expected a DB instance class such as db.serverless or db.r6g.large, got 'r6g.large'",
    ),
    (
        "min-capacity",
        "0.25",
        "min-capacity: expected Aurora capacity units from 0 to 256 in steps of 0.5, got '0.25'",
    ),
    (
        "min-capacity",
        "257",
        "min-capacity: expected Aurora capacity units from 0 to 256 in steps of 0.5, got '257'",
    ),
    (
        "min-capacity",
        "half",
        "min-capacity: expected Aurora capacity units from 0 to 256 in steps of 0.5, got 'half'",
    ),
    (
        "max-capacity",
        "0.5",
        "max-capacity: expected Aurora capacity units from 1 to 256 in steps of 0.5, got '0.5'",
    ),
    (
        "max-capacity",
        "4.2",
        "max-capacity: expected Aurora capacity units from 1 to 256 in steps of 0.5, got '4.2'",
    ),
    (
        "seconds-until-auto-pause",
        "299",
        "seconds-until-auto-pause: expected a whole number of seconds, from 300 to 86400, got '299'",
    ),
    (
        "seconds-until-auto-pause",
        "86401",
        "seconds-until-auto-pause: expected a whole number of seconds, from 300 to 86400, got '86401'",
    ),
    (
        "db-subnet-group",
        "-subnets",
        "db-subnet-group: expected a DB subnet group name, got '-subnets'",
    ),
    (
        "db-cluster-parameter-group",
        "params/prod",
        "db-cluster-parameter-group: expected a DB cluster parameter group name, got 'params/prod'",
    ),
    (
        "security-group-ids",
        "sg-0123456789abcdef0, default",
        "security-group-ids: expected VPC security group ids like sg-0123456789abcdef0, got 'default'",
    ),
    ("tags", "team", "tags: expected one key=value a line, got 'team'"),
    ("tags", "=payments", "tags: expected one key=value a line, got '=payments'"),
    (
        "tags",
        "aurora-clone/pr=9",
        "tags: keys starting with aurora-clone/ are the action's own, got 'aurora-clone/pr=9'",
    ),
    (
        "tags",
        "Aurora-Clone/Managed=false",
        "tags: keys starting with aurora-clone/ are the action's own, got 'Aurora-Clone/Managed=false'",
    ),
    (
        "tags",
        "AWS:cloudformation:stack-name=x",
        "tags: RDS refuses a tag key starting with aws: or rds:, got 'AWS:cloudformation:stack-name=x'",
    ),
    ("tags", "rds:team=x", "tags: RDS refuses a tag key starting with aws: or rds:, got 'rds:team=x'"),
    ("tags", "team=aws:x", "tags: RDS refuses a tag value starting with aws: or rds:, got 'team=aws:x'"),
    (
        "tags",
        f"{KEY_129}=v",
        f"tags: a tag key has at most 128 characters and a value at most 256, got '{KEY_129}=v'",
    ),
    (
        "tags",
        f"k={VALUE_257}",
        f"tags: a tag key has at most 128 characters and a value at most 256, got 'k={VALUE_257}'",
    ),
    (
        "tags",
        "team=checkout!",
        "tags: RDS allows only letters, digits, spaces and _ . : / = + - @ in tags, not '!', got 'team=checkout!'",
    ),
    (
        "tags",
        "cost,center=shop",
        "tags: RDS allows only letters, digits, spaces and _ . : / = + - @ in tags, not ',', got 'cost,center=shop'",
    ),
    (
        "tags",
        "note=a\tb",
        "tags: RDS allows only letters, digits, spaces and _ . : / = + - @ in tags, not '\\t', got 'note=a\\tb'",
    ),
    ("tags", "team=a\nteam=b", "tags: the key 'team' is given twice, got 'team=b'"),
    (
        "tags",
        "\n".join(f"k{i}=v" for i in range(46)),
        "tags: RDS allows 50 tags a resource and the action sets 5 of its own, so at most 45 here, got 46",
    ),
    *[
        ("ttl", bad, f"ttl: expected a whole number followed by m, h or d, like 30m, 12h or 7d, got '{bad}'")
        for bad in ("7w", "0d", "1.5h")
    ],
    *[
        (name, "yes", f"{name}: expected true or false, got 'yes'")
        for name in ("publicly-accessible", "wait", "comment", "manage-master-password", "dry-run")
    ],
    ("wait", "1", "wait: expected true or false, got '1'"),
    (
        "timeout-minutes",
        "soon",
        "timeout-minutes: expected a whole number of minutes, 1 or more, got 'soon'",
    ),
    ("timeout-minutes", "0", "timeout-minutes: expected a whole number of minutes, 1 or more, got '0'"),
    ("poll-interval", "0", "poll-interval: expected a whole number of seconds, 1 or more, got '0'"),
    ("poll-interval", "1.5", "poll-interval: expected a whole number of seconds, 1 or more, got '1.5'"),
    ("purge-scope", "account", "purge-scope: expected one of repository, all, got 'account'"),
    (
        "base-cluster",
        "Prod_Base",
        "base-cluster: expected a DB cluster identifier: " + IDENTIFIER_RULE + ", got 'Prod_Base'",
    ),
    (
        "reset-label",
        "x" * 51,
        f"reset-label: expected a GitHub label name of 1 to 50 characters, got '{'x' * 51}'",
    ),
    (
        "reset-label",
        "Clone-DB",
        "reset-label: must differ from label ('clone-db'): adding it asks for a fresh clone, adding label "
        "for one, got 'Clone-DB'",
    ),
    *[
        (
            "database",
            bad,
            "database: expected a database name: letters, digits, _ and $, starting with a letter "
            f"or _, at most 63 characters, got {bad!r}",
        )
        for bad in ("shop;drop", "1shop", "sh op", '"shop"', "x" * 64)
    ],
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_VALUES)
def test_a_bad_value_is_reported_with_the_input_the_value_and_the_rule(
    name: str, value: str, message: str
) -> None:
    # min-capacity 0 and a security group keep these rows to the one rule they test.
    extra = {
        "seconds-until-auto-pause": {"INPUT_MIN-CAPACITY": "0"},
        "db-subnet-group": {"INPUT_SECURITY-GROUP-IDS": "sg-0123456789abcdef0"},
    }.get(name, {})
    assert problems({"INPUT_" + name.upper(): value, **extra}) == [message]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"min-capacity": "8"},
            "max-capacity: must not be below min-capacity (8), got 4",
        ),
        (
            {"min-capacity": "16", "max-capacity": "8.5"},
            "max-capacity: must not be below min-capacity (16), got 8.5",
        ),
        (
            {"seconds-until-auto-pause": "300"},
            "seconds-until-auto-pause: auto-pause needs min-capacity: 0, got min-capacity 0.5",
        ),
        (
            {"db-subnet-group": "preview-subnets"},
            "security-group-ids: required with db-subnet-group ('preview-subnets'): the source's "
            "security groups belong to the source's VPC and RDS rejects them in another VPC; give "
            "security groups of the subnet group's VPC",
        ),
        (
            {"mask": "users.email=email", "wait": "false"},
            "wait: mask and sql run in the clone once it is available, so they need wait: true; "
            "remove wait: false",
        ),
        (
            {"sql": "migrations/*.sql", "wait": "false"},
            "wait: mask and sql run in the clone once it is available, so they need wait: true; "
            "remove wait: false",
        ),
        (
            {"mask": "users.email=email", "tags": "\n".join(f"k{i}=v" for i in range(45))},
            "tags: RDS allows 50 tags a resource and the action sets 6 of its own, so at most 44 "
            "here, got 45",
        ),
    ],
    ids=[
        "min-above-default-max",
        "min-above-max",
        "auto-pause-without-min-0",
        "subnet-group-without-security-groups",
        "mask-without-wait",
        "sql-without-wait",
        "prepared-tag-counts-against-the-tag-limit",
    ],
)
def test_rules_between_inputs(inputs: dict[str, str], message: str) -> None:
    assert problems(env(**inputs)) == [message]


def test_every_bad_input_is_reported_together_in_one_error() -> None:
    environ = env(mode="deploy", label="", ttl="7w", wait="yes", poll_interval="0")
    with pytest.raises(InputError) as caught:
        parse_inputs(environ)
    expected = [
        "mode: expected one of auto, clone, teardown, purge, reset, refresh-base, got 'deploy'",
        "label: expected a GitHub label name of 1 to 50 characters, got ''",
        "ttl: expected a whole number followed by m, h or d, like 30m, 12h or 7d, got '7w'",
        "wait: expected true or false, got 'yes'",
        "poll-interval: expected a whole number of seconds, 1 or more, got '0'",
    ]
    assert caught.value.problems == expected
    assert caught.value.message == "5 inputs are not valid; nothing was changed.\n" + "\n".join(
        f"- {p}" for p in expected
    )


def test_without_any_input_the_contracts_defaults_apply() -> None:
    inputs = parse_inputs({})
    assert inputs == Inputs(
        mode="auto",
        source_cluster="",
        label="clone-db",
        clone_id="{source}-pr-{pr}",
        pr_number=None,
        instance_class="db.serverless",
        min_capacity=0.5,
        max_capacity=4.0,
        seconds_until_auto_pause=None,
        db_subnet_group="",
        security_group_ids=(),
        db_cluster_parameter_group="",
        publicly_accessible=False,
        tags=(),
        ttl=timedelta(days=7),
        wait=True,
        timeout_minutes=60,
        poll_interval=15,
        manifest=(),
        manifest_set=(),
        comment=True,
        github_token="",
        manage_master_password=False,
        purge_scope="repository",
        dry_run=False,
    )
    assert inputs.serverless


@pytest.mark.parametrize(
    ("value", "expected"), [("TRUE", True), ("True", True), ("False", False), ("FALSE", False)]
)
def test_booleans_in_any_case(value: str, expected: bool) -> None:
    inputs = parse_inputs(env(publicly_accessible=value, wait=value, comment=value, dry_run=value))
    assert (inputs.publicly_accessible, inputs.wait, inputs.comment, inputs.dry_run) == (expected,) * 4


def test_input_names_keep_their_hyphens() -> None:
    inputs = parse_inputs({"INPUT_MODE": "clone", "INPUT_SOURCE-CLUSTER": "prod", "INPUT_PR-NUMBER": "12"})
    assert (inputs.mode, inputs.source_cluster, inputs.pr_number) == ("clone", "prod", 12)


def test_the_underscore_form_of_a_hyphenated_name_is_not_read() -> None:
    # A missing source for a clone is the clone mode's check (tests/integration/test_failures.py).
    assert parse_inputs({"INPUT_MODE": "clone", "INPUT_SOURCE_CLUSTER": "prod"}).source_cluster == ""


def test_values_are_trimmed_and_choices_and_identifiers_lower_cased() -> None:
    inputs = parse_inputs(
        env(
            mode="  Clone\n",
            source_cluster=" Prod ",
            label=" clone-db ",
            pr_number=" 12 ",
            instance_class=" DB.R6G.LARGE ",
            timeout_minutes=" 30 ",
            ttl=" 12H ",
            purge_scope=" ALL ",
        )
    )
    assert (inputs.mode, inputs.source_cluster, inputs.label, inputs.pr_number) == (
        "clone",
        "prod",
        "clone-db",
        12,
    )
    assert (inputs.instance_class, inputs.timeout_minutes, inputs.purge_scope) == ("db.r6g.large", 30, "all")
    assert inputs.ttl == timedelta(hours=12)
    assert not inputs.serverless


def test_an_empty_clone_id_means_the_default_template() -> None:
    assert parse_inputs(env(clone_id="  ")).clone_id == DEFAULT_CLONE_ID


def test_security_group_ids_split_on_commas_and_new_lines() -> None:
    value = "sg-0123456789abcdef0, sg-11111111\nsg-22222222,\n\n  sg-33333333  \r\n"
    assert parse_inputs(env(security_group_ids=value)).security_group_ids == (
        "sg-0123456789abcdef0",
        "sg-11111111",
        "sg-22222222",
        "sg-33333333",
    )


def test_tags_are_key_value_pairs_one_a_line() -> None:
    value = "team=payments\n  owner = ana  \n\nnote=a=b\nempty="
    assert parse_inputs(env(tags=value)).tags == (
        ("team", "payments"),
        ("owner", "ana"),
        ("note", "a=b"),
        ("empty", ""),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("1D", timedelta(days=1)),
    ],
)
def test_ttl(value: str, expected: timedelta) -> None:
    assert parse_inputs(env(ttl=value)).ttl == expected


def test_capacity_in_steps_of_half_and_auto_pause_with_min_zero() -> None:
    inputs = parse_inputs(env(min_capacity="0", max_capacity="2.5", seconds_until_auto_pause="86400"))
    assert (inputs.min_capacity, inputs.max_capacity, inputs.seconds_until_auto_pause) == (0.0, 2.5, 86400)


def test_manifest_lines_are_trimmed_and_blank_lines_dropped() -> None:
    inputs = parse_inputs(env(manifest="k8s/*.yaml\n\n  .env  \n", manifest_set="data.DB_PORT={port}\n"))
    assert inputs.manifest == ("k8s/*.yaml", ".env")
    assert inputs.manifest_set == ("data.DB_PORT={port}",)


def test_a_bad_max_capacity_is_reported_once() -> None:
    assert problems(env(min_capacity="8", max_capacity="lots")) == [
        "max-capacity: expected Aurora capacity units from 1 to 256 in steps of 0.5, got 'lots'"
    ]


def test_a_bad_min_capacity_is_reported_once_with_auto_pause() -> None:
    assert problems(env(min_capacity="zero", seconds_until_auto_pause="300")) == [
        "min-capacity: expected Aurora capacity units from 0 to 256 in steps of 0.5, got 'zero'"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "max-deletions: expected a whole number of clones, 1 or more, got 'lots'"),
        ("2.5", "max-deletions: expected a whole number of clones, 1 or more, got '2.5'"),
        ("-3", "max-deletions: expected a whole number of clones, 1 or more, got '-3'"),
        ("", "max-deletions: expected a whole number of clones, 1 or more, got ''"),
        (
            "0",
            "max-deletions: expected 1 or more; to delete nothing and list what purge would delete, "
            "set dry-run: true, got '0'",
        ),
    ],
)
def test_a_bad_max_deletions_names_the_input_the_value_and_the_rule(value: str, message: str) -> None:
    assert problems(env(max_deletions=value)) == [message]


@pytest.mark.parametrize(("value", "expected"), [(None, 20), ("1", 1), (" 25 ", 25), ("500", 500)])
def test_max_deletions_defaults_to_20_and_takes_any_whole_number_from_1(
    value: str | None, expected: int
) -> None:
    environ = {} if value is None else env(max_deletions=value)
    assert parse_inputs(environ).max_deletions == expected


def test_mask_or_sql_give_the_clone_its_own_password_for_the_data_api() -> None:
    assert parse_inputs(env(mask="users.email=email")).manage_master_password is True
    assert parse_inputs(env(sql="seed.sql")).manage_master_password is True
    assert parse_inputs(env()).manage_master_password is False


def test_mask_and_sql_keep_their_lines_as_given_so_that_problems_name_the_right_line() -> None:
    inputs = parse_inputs(env(mask="\nusers.email=email\n\n  users.name=name  ", sql=" a.sql \n\nb/*.sql\n"))
    assert inputs.mask == "\nusers.email=email\n\n  users.name=name  "
    assert inputs.sql == " a.sql \n\nb/*.sql\n"
    assert inputs.prepares
    assert not parse_inputs(env(mask=" \n ", sql="\n")).prepares
