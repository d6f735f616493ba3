"""The tag keys every clone carries, and the ownership checks built on them (the safety rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

MANAGED = "aurora-clone/managed"
REPOSITORY = "aurora-clone/repository"
PR = "aurora-clone/pr"
SOURCE = "aurora-clone/source"
EXPIRES_AT = "aurora-clone/expires-at"
PREPARED = "aurora-clone/prepared"  # mask and sql ran and were verified: the digest of both
BASE = "aurora-clone/base"  # a golden copy made by refresh-base (safety rule 9)
# The values of BASE: the golden copy itself; one being made (deleted when left behind and expired);
# the previous one, renamed aside by the refresh that replaced it (purge deletes it when left behind).
GOLDEN, CANDIDATE, ASIDE = "true", "next", "aside"
NO_PR = 0  # the `pr` of a golden copy's plan: it carries no PR tag

OWN_KEYS = (MANAGED, REPOSITORY, PR, SOURCE, EXPIRES_AT)

EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# RDS's rule for a tag (botocore's RDS service model, shape Tag, and the Aurora User Guide,
# "Tagging Amazon Aurora and Amazon RDS resources"): a key of 1-128 and a value of up to 256
# Unicode letters, separators, numbers and `_ . : / = + - @` (Java regex
# ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$), neither prefixed with aws: or rds:; 50 tags a resource.
TAG_SYMBOLS = "_.:/=+-@"
RDS_RESERVED = ("aws:", "rds:")
MAX_TAGS = 50
MAX_KEY, MAX_VALUE = 128, 256


def _bad_character(text: str) -> str | None:
    import unicodedata  # only when there are tags to check: 2 ms of every run's start-up otherwise

    for char in text:
        if char not in TAG_SYMBOLS and unicodedata.category(char)[0] not in "LZN":
            return char
    return None


def tag_problem(key: str, value: str) -> str | None:
    """Why RDS (or this action) would refuse the tag key=value; None when it is valid."""
    if key.lower().startswith("aurora-clone/"):
        return "keys starting with aurora-clone/ are the action's own"
    for part, text in (("key", key), ("value", value)):
        if text.lower().startswith(RDS_RESERVED):
            return f"RDS refuses a tag {part} starting with aws: or rds:"
    if len(key) > MAX_KEY or len(value) > MAX_VALUE:
        return f"a tag key has at most {MAX_KEY} characters and a value at most {MAX_VALUE}"
    bad = _bad_character(key + value)
    if bad is not None:
        return f"RDS allows only letters, digits, spaces and {' '.join(TAG_SYMBOLS)} in tags, not {bad!r}"
    return None


def format_expiry(when: datetime) -> str:
    return when.astimezone(UTC).strftime(EXPIRY_FORMAT)


def clone_tags(
    *,
    repository: str,
    pr: int,
    source: str,
    expires_at: datetime,
    extra: Iterable[tuple[str, str]] = (),
) -> list[dict[str, str]]:
    """The explicit tag list of a clone and its instances (never the source's tags)."""
    tags = {
        MANAGED: "true",
        REPOSITORY: repository,
        PR: str(pr),
        SOURCE: source,
        EXPIRES_AT: format_expiry(expires_at),
    }
    for key, value in extra:
        tags.setdefault(key, value)
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def base_tags(
    *, repository: str, source: str, expires_at: datetime, extra: Iterable[tuple[str, str]] = ()
) -> list[dict[str, str]]:
    """The tags of a golden copy being made by refresh-base: no PR; `base=next` until it is promoted."""
    tags = {
        MANAGED: "true",
        REPOSITORY: repository,
        SOURCE: source,
        EXPIRES_AT: format_expiry(expires_at),
        BASE: CANDIDATE,
    }
    for key, value in extra:
        tags.setdefault(key, value)
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_map(resource: Mapping[str, Any]) -> dict[str, str]:
    """The TagList of a described cluster or instance as a dict."""
    return {t["Key"]: t.get("Value", "") for t in resource.get("TagList") or []}


def ownership_problem(
    resource: Mapping[str, Any],
    *,
    repository: str | None,
    pr: int | None,
    source: str = "",
) -> str | None:
    """Why this cluster or instance is not a clone this repository's PR made; None when it is.

    Safety rules 1, 2 and 9: only a resource tagged aurora-clone/managed=true, for the same
    repository and PR (None: any, for purge; NO_PR: refresh-base's own, tagged aurora-clone/base
    and no PR), that is not the source, is ours to change; a golden copy is no PR's clone.
    """
    ident = resource.get("DBInstanceIdentifier") or resource.get("DBClusterIdentifier") or "?"
    if source and str(resource.get("DBClusterIdentifier", "")).lower() == source.lower():
        return f"'{ident}' is the source cluster '{source}' or one of its instances"
    tags = tag_map(resource)
    if tags.get(MANAGED) != "true":
        return f"'{ident}' does not carry the tag {MANAGED}=true, so this action did not create it"
    if repository is not None and tags.get(REPOSITORY) != repository:
        return f"'{ident}' belongs to the repository '{tags.get(REPOSITORY, '')}', not '{repository}'"
    if pr == NO_PR:  # refresh-base's own clusters: a golden copy, one being made, one renamed aside
        if PR in tags:
            return f"'{ident}' belongs to pull request #{tags[PR]}, so it is not a golden copy"
        if tags.get(BASE) not in (GOLDEN, CANDIDATE, ASIDE):
            return f"'{ident}' does not carry the tag {BASE}, so it is not a golden copy"
    elif pr is not None and tags.get(BASE) == GOLDEN:
        # Safety rule 9: only refresh-base replaces a golden copy; teardown never deletes one.
        return f"'{ident}' is a golden copy ({BASE}={GOLDEN}), which only refresh-base replaces"
    elif pr is not None and tags.get(PR) != str(pr):
        return f"'{ident}' belongs to pull request #{tags.get(PR, '?')}, not #{pr}"
    if resource.get("DeletionProtection"):
        return f"'{ident}' has deletion protection on, which this action never sets"
    return None
