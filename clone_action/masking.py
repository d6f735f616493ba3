"""Masking rules: the `mask` input -> engine SQL -> verification queries (fail closed).

A rule's text reaches SQL only as a quoted identifier that passed IDENTIFIER (letters, digits,
`_` and `$`, so it cannot hold a quote) or as the :value parameter; never pasted otherwise.

Masked forms (h = lower-case hex SHA-256 of the value's text in UTF-8), the same on both engines:
  email   user_<h[:16]>@example.invalid         name   Name <H[:8] upper-case>
  phone   +1555<int(h[:8], 16) mod 10^7, 7 digits>   hash   h
  null    NULL      redact  REDACTED      'x'    the constant x
email, name, phone, hash, redact and a constant write text: on a column of another type the
database refuses the UPDATE with its own error (PostgreSQL always; MySQL in its default strict
mode), or MySQL converts the text: a constant '0' into an int column is written and verified,
a phone into a bigint is written as a number that the check counts, so that rule fails. null
fits any type whose column allows NULL. name (2^32 forms) and phone (10^7) may collide: a unique index on
such a column can refuse the UPDATE; email (2^64) and hash do not in practice.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

Engine = Literal["postgresql", "mysql"]  # from the cluster's Engine: aurora-postgresql / aurora-mysql

STRATEGIES = ("email", "name", "phone", "hash", "null", "redact")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,63}")  # 64 at most: MySQL's limit (PostgreSQL's is 63)
IDENTIFIER_RULE = "letters, digits, _ and $, not starting with a digit, at most 64 characters"
_CONSTANT = re.compile(r"'((?:[^']|'')*)'")
_FORMAT = "[SCHEMA.]TABLE.COLUMN=STRATEGY"
_USE = "use one of email, name, phone, hash, null, redact or a quoted constant such as 'n/a'"
_SHOWN = 80  # characters of a rule's text quoted in a problem
FORMS_VERSION = 1  # bump when a masked form changes: prepared clones are then prepared again


@dataclass(frozen=True)
class Statement:
    """One Data API call: SQL with :name placeholders and their string values."""

    sql: str
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MaskRule:
    """One line of `mask`, parsed and checked."""

    line: int  # 1-based line in the `mask` input
    text: str  # the line as given, stripped
    schema: str | None
    table: str
    column: str
    strategy: str  # email name phone hash null redact constant
    constant: str | None  # for strategy 'constant': the unquoted value


@dataclass(frozen=True)
class MaskStep:
    """A rule's UPDATE and the query that verifies it."""

    rule: MaskRule
    update: Statement  # masks every non-NULL value not yet in masked form
    check: Statement  # one row, one integer: non-NULL values not in masked form (0 = verified)


def parse_mask(text: str) -> tuple[list[MaskRule], list[str]]:
    """The rules of the `mask` input and every problem found (the rules returned are valid)."""
    rules: list[MaskRule] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):  # lines as an editor counts them
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parsed = _parse_line(number, line)
        if isinstance(parsed, str):
            problems.append(f"mask: line {number} {_shown(line)}: {parsed}")
            continue
        key = ((parsed.schema or "").lower(), parsed.table.lower(), parsed.column.lower())
        if key in seen:
            target = ".".join(part for part in (parsed.schema, parsed.table, parsed.column) if part)
            problems.append(
                f"mask: line {number} {_shown(line)}: {target} is already masked by line {seen[key]}; "
                "keep one rule per column"
            )
            continue
        seen[key] = number
        rules.append(parsed)
    return rules, problems


def _shown(line: str) -> str:
    return repr(line if len(line) <= _SHOWN else line[: _SHOWN - 1] + "…")


def _parse_line(number: int, line: str) -> MaskRule | str:
    """The rule on one line, or what is wrong with it (the text after 'mask: line N ...: ')."""
    target, equals, strategy = line.partition("=")
    target, strategy = target.strip(), strategy.strip()
    if not equals or not target or not strategy:
        return f"expected {_FORMAT}, for example users.email=email"
    parts = target.split(".")
    if len(parts) > 3:
        return (
            f"too many dots in {target!r}: expected {_FORMAT} (the last part is the column); "
            "a name with a dot in it cannot be masked"
        )
    if len(parts) == 1:
        return f"{target!r} names no table: expected {_FORMAT}, for example users.{target}={strategy}"
    bad = [part for part in parts if not IDENTIFIER.fullmatch(part)]
    if bad:
        return f"{bad[0]!r} is not a plain name ({IDENTIFIER_RULE}); expected {_FORMAT}"
    schema = parts[0] if len(parts) == 3 else None
    table, column = parts[-2], parts[-1]
    if strategy.startswith("'"):
        match = _CONSTANT.fullmatch(strategy)
        if not match:
            return (
                f"the constant {strategy} is not quoted right; end it with ' and write a ' inside "
                "as '' (as SQL does), for example 'O''Brien'"
            )
        value = match.group(1).replace("''", "'")
        return MaskRule(number, line, schema, table, column, "constant", value)
    lowered = strategy.lower()
    if lowered in STRATEGIES:
        return MaskRule(number, line, schema, table, column, lowered, None)
    if not re.fullmatch(r"[A-Za-z_]+", strategy):
        quoted = "'" + strategy.strip('"`').replace("'", "''") + "'"
        return f"unknown strategy {strategy!r}; quote a constant with single quotes, as in {quoted}"
    close = difflib.get_close_matches(lowered, STRATEGIES, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown strategy {strategy!r}{hint}; {_USE}"


# --- SQL ------------------------------------------------------------------------------------------

# Regular expressions of the masked forms, without backslashes (MySQL reads '\.' in a string
# literal as '.', unless sql_mode has NO_BACKSLASH_ESCAPES): [.] and [+] instead.
_FORM = {
    "email": ("^user_[0-9a-f]{16}@example[.]invalid$", 37),
    "name": ("^Name [0-9A-F]{8}$", 13),
    "phone": ("^[+]1555[0-9]{7}$", 12),
    "hash": ("^[0-9a-f]{64}$", 64),
}


def mask_steps(rules: list[MaskRule], engine: Engine) -> list[MaskStep]:
    """The UPDATE and the check query of each rule, in order, for `engine`."""
    return [_step(rule, engine) for rule in rules]


def _step(rule: MaskRule, engine: Engine) -> MaskStep:
    sql = _Postgres(rule) if engine == "postgresql" else _MySQL(rule)
    if rule.strategy == "null":
        return MaskStep(
            rule,
            Statement(f"UPDATE {sql.table} SET {sql.column} = NULL WHERE {sql.column} IS NOT NULL"),
            Statement(f"SELECT COUNT(*) FROM {sql.table} WHERE {sql.column} IS NOT NULL"),
        )
    params: tuple[tuple[str, str], ...] = ()
    if rule.strategy == "constant":
        assert rule.constant is not None
        params = (("value", rule.constant),)
        masked, unmasked = ":value", sql.differs(":value")
    elif rule.strategy == "redact":
        masked, unmasked = "'REDACTED'", sql.differs("'REDACTED'")
    else:
        pattern, length = _FORM[rule.strategy]
        masked, unmasked = sql.masked(rule.strategy), sql.unlike(pattern, length)
    where = f"{sql.column} IS NOT NULL AND {unmasked}"
    return MaskStep(
        rule,
        Statement(f"UPDATE {sql.table} SET {sql.column} = {masked} WHERE {where}", params),
        Statement(f"SELECT COUNT(*) FROM {sql.table} WHERE {where}", params),
    )


class _Postgres:
    """PostgreSQL 13+: names folded to lower case (as PostgreSQL folds unquoted names) and quoted."""

    def __init__(self, rule: MaskRule) -> None:
        names = [n for n in (rule.schema, rule.table) if n]
        self.table = ".".join(f'"{n.lower()}"' for n in names)
        self.column = f'"{rule.column.lower()}"'
        # As text so that citext (whose ~ and <> ignore case) and char(n) compare as plain text.
        # CAST, not '::': the Data API reads ':name' as a parameter.
        self.text = f"CAST({self.column} AS text)"

    def masked(self, strategy: str) -> str:
        h = f"encode(sha256(convert_to({self.text}, 'UTF8')), 'hex')"
        if strategy == "email":
            return f"'user_' || left({h}, 16) || '@example.invalid'"
        if strategy == "name":
            return f"'Name ' || upper(left({h}, 8))"
        if strategy == "phone":
            # 8 hex digits padded to 16 read as bit(64): a bigint from 0 to 2^32-1, never negative.
            number = f"CAST(CAST('x' || lpad(left({h}, 8), 16, '0') AS bit(64)) AS bigint)"
            return f"'+1555' || lpad(CAST(mod({number}, 10000000) AS text), 7, '0')"
        return h

    def unlike(self, pattern: str, length: int) -> str:
        # PostgreSQL's $ matches only at the very end: no length check needed.
        return f"NOT ({self.text} ~ '{pattern}')"

    def differs(self, value: str) -> str:
        return f"{self.text} <> {value}"


class _MySQL:
    """Aurora MySQL 3 (MySQL 8.0) and MariaDB 10.11: names as given (table names may be
    case-sensitive there), quoted with backticks."""

    def __init__(self, rule: MaskRule) -> None:
        names = [n for n in (rule.schema, rule.table) if n]
        self.table = ".".join(f"`{n}`" for n in names)
        self.column = f"`{rule.column}`"
        # The value's text in UTF-8 whatever the column's character set, as bytes: REGEXP and = on
        # a _ci collation ignore case ('USER_...' would pass as masked, 'redacted' as 'REDACTED')
        # and PAD SPACE collations ignore trailing spaces; on binary strings both compare bytes,
        # on MySQL 8.0.22+ and MariaDB alike.
        self.utf8 = f"CONVERT({self.column} USING utf8mb4)"
        self.bytes = f"CAST({self.utf8} AS BINARY)"

    def masked(self, strategy: str) -> str:
        h = f"SHA2({self.utf8}, 256)"
        if strategy == "email":
            return f"CONCAT('user_', LEFT({h}, 16), '@example.invalid')"
        if strategy == "name":
            return f"CONCAT('Name ', UPPER(LEFT({h}, 8)))"
        if strategy == "phone":
            number = f"CAST(CONV(LEFT({h}, 8), 16, 10) AS UNSIGNED)"
            return f"CONCAT('+1555', LPAD(MOD({number}, 10000000), 7, '0'))"
        return h

    def unlike(self, pattern: str, length: int) -> str:
        # $ also matches before a final newline in MySQL's and MariaDB's regular expressions:
        # the length check refuses 'user_...@example.invalid\n' as masked.
        return f"NOT ({self.bytes} REGEXP '{pattern}' AND CHAR_LENGTH({self.column}) = {length})"

    def differs(self, value: str) -> str:
        return f"{self.bytes} <> CAST(CONVERT({value} USING utf8mb4) AS BINARY)"
