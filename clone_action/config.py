"""Inputs: every input of action.yml read the way the runner passes it, and validated at once."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, cast, get_args

from .aws.tags import MAX_TAGS, OWN_KEYS, tag_problem
from .errors import InputError

# What a run does; mode: auto picks one by the event (refresh-base is only ever asked for).
Action = Literal["clone", "teardown", "purge", "reset", "refresh-base"]
Mode = Literal["auto", Action]
MODES: tuple[Mode, ...] = get_args(Mode)
PurgeScope = Literal["repository", "all"]
PURGE_SCOPES: tuple[PurgeScope, ...] = get_args(PurgeScope)
CLONE_ID_FIELDS = ("source", "pr", "repo", "owner")
DEFAULT_CLONE_ID = "{source}-pr-{pr}"

# Defaults as in action.yml: the runner merges them in, but a local run has none.
DEFAULTS: dict[str, str] = {
    "mode": "auto",
    "label": "clone-db",
    "clone-id": DEFAULT_CLONE_ID,
    "instance-class": "db.serverless",
    "min-capacity": "0.5",
    "max-capacity": "4",
    "publicly-accessible": "false",
    "ttl": "7d",
    "wait": "true",
    "timeout-minutes": "60",
    "poll-interval": "15",
    "comment": "true",
    "manage-master-password": "false",
    "purge-scope": "repository",
    "max-deletions": "20",
    "reset-label": "clone-db-reset",
    "dry-run": "false",
}

_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+(\.[a-z0-9]+)*$")
_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,254}$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
_TTL = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# A database name as both engines read it unquoted (PostgreSQL 63 bytes, MySQL 64 characters).
_DATABASE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")


def is_identifier(value: str) -> bool:
    """True for a valid RDS identifier: 1-63 letters, digits, hyphens; a letter first; no --."""
    return bool(_IDENTIFIER.match(value.lower()))


IDENTIFIER_RULE = "1-63 letters, digits and hyphens, starting with a letter, no '--', no trailing '-'"


@dataclass(frozen=True)
class Inputs:
    """Every input of the action, parsed and checked."""

    mode: Mode = "auto"
    source_cluster: str = ""
    label: str = "clone-db"
    clone_id: str = DEFAULT_CLONE_ID
    pr_number: int | None = None
    instance_class: str = "db.serverless"
    min_capacity: float = 0.5
    max_capacity: float = 4.0
    seconds_until_auto_pause: int | None = None
    db_subnet_group: str = ""
    security_group_ids: tuple[str, ...] = ()
    db_cluster_parameter_group: str = ""
    publicly_accessible: bool = False
    tags: tuple[tuple[str, str], ...] = ()
    ttl: timedelta = timedelta(days=7)
    wait: bool = True
    timeout_minutes: int = 60
    poll_interval: int = 15
    manifest: tuple[str, ...] = ()
    manifest_set: tuple[str, ...] = ()
    comment: bool = True
    github_token: str = ""
    manage_master_password: bool = False
    purge_scope: PurgeScope = "repository"
    max_deletions: int = 20
    mask: str = ""  # as given, blank lines kept (problems name lines)
    sql: str = ""  # as given, blank lines kept
    database: str = ""
    base_cluster: str = ""
    reset_label: str = "clone-db-reset"
    dry_run: bool = False
    # Each input as the step gave it (defaults merged), for an error that shows what was given.
    given: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def serverless(self) -> bool:
        return self.instance_class == "db.serverless"

    @property
    def prepares(self) -> bool:
        """True when the clone is prepared (masked, SQL run) before it is handed out."""
        return bool(self.mask.strip() or self.sql.strip())


def env_name(name: str) -> str:
    """The variable the runner sets for an input: upper-cased, spaces to '_', hyphens kept."""
    return "INPUT_" + name.replace(" ", "_").upper()


class _Reader:
    """Reads inputs one by one and collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        self.given: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.env.get(env_name(name))
        if value is None:
            value = DEFAULTS.get(name, "")
        self.given[name] = value.strip()
        return value.strip()

    def problem(self, name: str, value: str, rule: str) -> None:
        self.problems.append(f"{name}: {rule}, got {value!r}")

    def text(self, name: str) -> str:
        return self.raw(name)

    def verbatim(self, name: str) -> str:
        """The value with its blank lines kept, so that a problem's line numbers match the step's."""
        self.raw(name)
        value = self.env.get(env_name(name))
        return DEFAULTS.get(name, "") if value is None else value

    def lines(self, name: str) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.raw(name).splitlines() if line.strip())

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.raw(name)
        if value.lower() in choices:
            return value.lower()
        self.problem(name, value, "expected one of " + ", ".join(choices))
        return DEFAULTS[name]

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(name, value, "expected true or false")
        return DEFAULTS[name] == "true"

    def whole(self, name: str, minimum: int, what: str, maximum: int | None = None) -> int | None:
        """A whole number in range; None when the input is empty (and has no default) or bad."""
        value = self.raw(name)
        if not value and name not in DEFAULTS:
            return None
        limits = f"{minimum} or more" if maximum is None else f"from {minimum} to {maximum}"
        if re.fullmatch(r"[0-9]+", value):
            number = int(value)
            if number >= minimum and (maximum is None or number <= maximum):
                return number
        self.problem(name, value, f"expected {what}, {limits}")
        return None

    def capacity(self, name: str, minimum: float) -> float | None:
        """Aurora capacity units in steps of 0.5; None when bad."""
        value = self.raw(name)
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if minimum <= number <= 256 and (number * 2) == int(number * 2):
            return number
        self.problem(name, value, f"expected Aurora capacity units from {minimum:g} to 256 in steps of 0.5")
        return None


def parse_ttl(value: str) -> timedelta | None:
    """'30m', '12h', '7d' -> a timedelta; None when the form is wrong."""
    match = _TTL.match(value.strip().lower())
    if not match:
        return None
    return timedelta(**{_TTL_UNITS[match.group(2)]: int(match.group(1))})


def template_fields(template: str) -> list[str] | None:
    """The placeholder names in a template, or None when its braces do not parse."""
    try:
        return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
    except ValueError:
        return None


def parse_inputs(env: Mapping[str, str]) -> Inputs:
    """Read and check every input; raise InputError listing every problem."""
    inputs, problems = read_inputs(env)
    if problems:
        raise InputError(problems, given=inputs.given)
    return inputs


def read_inputs(env: Mapping[str, str]) -> tuple[Inputs, list[str]]:
    """Read and check every input, in action.yml's order: the inputs, and every problem found.

    An input with a problem reads as its default, so that the mode's own checks can still run
    and every mistake is reported in one run.
    """
    r = _Reader(env)
    mode = cast(Mode, r.choice("mode", MODES))

    source = r.text("source-cluster")
    if source.lower().startswith("arn:"):
        r.problem(
            "source-cluster",
            source,
            "a cluster ARN (a source shared from another account through AWS RAM) is not supported: a "
            "cross-account clone needs a subnet group, security groups and a KMS key of this account, "
            "which the action does not set up; give the identifier of a cluster in this account and "
            "region",
        )
    elif source and not is_identifier(source):
        r.problem("source-cluster", source, "expected a DB cluster identifier: " + IDENTIFIER_RULE)

    label = r.text("label")
    if not label or len(label) > 50:
        r.problem("label", label, "expected a GitHub label name of 1 to 50 characters")

    clone_id = r.text("clone-id") or DEFAULT_CLONE_ID
    fields = template_fields(clone_id)
    if fields is None:
        r.problem("clone-id", clone_id, "unbalanced braces; placeholders look like {pr}")
    else:
        unknown = [f for f in fields if f not in CLONE_ID_FIELDS]
        if unknown:
            allowed = ", ".join("{" + f + "}" for f in CLONE_ID_FIELDS)
            r.problem("clone-id", clone_id, f"unknown placeholder {{{unknown[0]}}}; use {allowed}")

    pr_number = r.whole("pr-number", 1, "a pull request number (a whole number)")

    instance_class = r.text("instance-class").lower()
    if not _INSTANCE_CLASS.match(instance_class):
        r.problem(
            "instance-class",
            r.raw("instance-class"),
            "expected a DB instance class such as db.serverless or db.r6g.large",
        )

    min_capacity = r.capacity("min-capacity", 0)
    max_capacity = r.capacity("max-capacity", 1)
    if min_capacity is not None and max_capacity is not None and min_capacity > max_capacity:
        r.problems.append(
            f"max-capacity: must not be below min-capacity ({min_capacity:g}), got {max_capacity:g}"
        )
    auto_pause = r.whole("seconds-until-auto-pause", 300, "a whole number of seconds", 86400)
    if auto_pause is not None and min_capacity not in (0, None):
        r.problems.append(
            f"seconds-until-auto-pause: auto-pause needs min-capacity: 0, got min-capacity {min_capacity:g}"
        )

    subnet_group = r.text("db-subnet-group")
    if subnet_group and not _GROUP_NAME.match(subnet_group):
        r.problem("db-subnet-group", subnet_group, "expected a DB subnet group name")

    security_groups = tuple(
        part.strip() for part in re.split(r"[,\n]", r.raw("security-group-ids")) if part.strip()
    )
    for group in security_groups:
        if not _SECURITY_GROUP.match(group):
            r.problem(
                "security-group-ids", group, "expected VPC security group ids like sg-0123456789abcdef0"
            )

    if subnet_group and not security_groups:
        r.problems.append(
            f"security-group-ids: required with db-subnet-group ({subnet_group!r}): the source's "
            "security groups belong to the source's VPC and RDS rejects them in another VPC; give "
            "security groups of the subnet group's VPC"
        )

    parameter_group = r.text("db-cluster-parameter-group")
    if parameter_group and not _GROUP_NAME.match(parameter_group):
        r.problem("db-cluster-parameter-group", parameter_group, "expected a DB cluster parameter group name")

    publicly_accessible = r.boolean("publicly-accessible")

    tags: list[tuple[str, str]] = []
    for line in r.lines("tags"):
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        rule = "expected one key=value a line" if not sep or not key else tag_problem(key, value)
        if rule is None and key in dict(tags):
            rule = f"the key {key!r} is given twice"
        if rule:
            r.problem("tags", line, rule)
        else:
            tags.append((key, value))
    own = len(OWN_KEYS) + (1 if r.raw("mask") or r.raw("sql") else 0)  # + aurora-clone/prepared
    if len(tags) > MAX_TAGS - own:
        r.problems.append(
            f"tags: RDS allows {MAX_TAGS} tags a resource and the action sets {own} of its own, "
            f"so at most {MAX_TAGS - own} here, got {len(tags)}"
        )

    ttl_text = r.raw("ttl")
    ttl = parse_ttl(ttl_text)
    if ttl is None:
        r.problem("ttl", ttl_text, "expected a whole number followed by m, h or d, like 30m, 12h or 7d")

    wait = r.boolean("wait")
    timeout_minutes = r.whole("timeout-minutes", 1, "a whole number of minutes")
    poll_interval = r.whole("poll-interval", 1, "a whole number of seconds")
    manifest, manifest_set = r.lines("manifest"), r.lines("manifest-set")
    comment = r.boolean("comment")
    manage_master_password = r.boolean("manage-master-password")
    purge_scope = cast(PurgeScope, r.choice("purge-scope", PURGE_SCOPES))
    max_deletions: int | None = None
    if r.raw("max-deletions") == "0":
        r.problem(
            "max-deletions",
            "0",
            "expected 1 or more; to delete nothing and list what purge would delete, set dry-run: true",
        )
    else:
        max_deletions = r.whole("max-deletions", 1, "a whole number of clones")
    mask = r.verbatim("mask")
    sql = r.verbatim("sql")
    database = r.text("database")
    if database and not _DATABASE.match(database):
        r.problem(
            "database",
            database,
            "expected a database name: letters, digits, _ and $, starting with a letter or _, "
            "at most 63 characters",
        )
    base_cluster = r.text("base-cluster")
    if base_cluster and not is_identifier(base_cluster):
        r.problem("base-cluster", base_cluster, "expected a DB cluster identifier: " + IDENTIFIER_RULE)
    reset_label = r.text("reset-label")
    if not reset_label or len(reset_label) > 50:
        r.problem("reset-label", reset_label, "expected a GitHub label name of 1 to 50 characters")
    elif reset_label.lower() == label.lower():
        r.problem(
            "reset-label",
            reset_label,
            f"must differ from label ({label!r}): adding it asks for a fresh clone, adding label for one",
        )
    if (mask.strip() or sql.strip()) and not wait:
        r.problems.append(
            "wait: mask and sql run in the clone once it is available, so they need wait: true; "
            "remove wait: false"
        )
    dry_run = r.boolean("dry-run")
    inputs = Inputs(
        mode=mode,
        source_cluster=source.lower(),
        label=label,
        clone_id=clone_id,
        pr_number=pr_number,
        instance_class=instance_class,
        min_capacity=_default(min_capacity, "min-capacity"),
        max_capacity=_default(max_capacity, "max-capacity"),
        seconds_until_auto_pause=auto_pause,
        db_subnet_group=subnet_group,
        security_group_ids=security_groups,
        db_cluster_parameter_group=parameter_group,
        publicly_accessible=publicly_accessible,
        tags=tuple(tags),
        ttl=ttl or parse_ttl(DEFAULTS["ttl"]) or timedelta(),
        wait=wait,
        timeout_minutes=timeout_minutes or int(DEFAULTS["timeout-minutes"]),
        poll_interval=poll_interval or int(DEFAULTS["poll-interval"]),
        manifest=manifest,
        manifest_set=manifest_set,
        comment=comment,
        github_token=r.raw("github-token"),
        # mask and sql run through the Data API with the clone's own RDS-managed secret.
        manage_master_password=manage_master_password or bool(mask.strip() or sql.strip()),
        purge_scope=purge_scope,
        max_deletions=max_deletions or int(DEFAULTS["max-deletions"]),
        mask=mask,
        sql=sql,
        database=database,
        base_cluster=base_cluster.lower(),
        reset_label=reset_label,
        dry_run=dry_run,
        given=r.given,
    )
    return inputs, r.problems


def _default(value: float | None, name: str) -> float:
    """A number input as parsed, or its default when it had a problem (reported already)."""
    return float(DEFAULTS[name]) if value is None else value
