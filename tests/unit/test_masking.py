"""parse_mask and mask_steps: every rule form, every mistake's exact message, and no rule text in
SQL except as a checked, quoted identifier or a :parameter (a property over hostile text)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clone_action.masking import STRATEGIES, MaskRule, mask_steps, parse_mask

USE = "use one of email, name, phone, hash, null, redact or a quoted constant such as 'n/a'"
FORMAT = "[SCHEMA.]TABLE.COLUMN=STRATEGY"
SAFE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,63}")


def masked_value(strategy: str, original: str | None, constant: str | None = None) -> str | None:
    """The documented masked form, computed in Python: what both engines must write."""
    if original is None or strategy == "null":
        return None
    h = hashlib.sha256(original.encode("utf-8")).hexdigest()
    return {
        "email": f"user_{h[:16]}@example.invalid",
        "name": f"Name {h[:8].upper()}",
        "phone": f"+1555{int(h[:8], 16) % 10**7:07d}",
        "hash": h,
        "redact": "REDACTED",
        "constant": constant or "",
    }[strategy]


def rule(
    line: int,
    text: str,
    schema: str | None,
    table: str,
    column: str,
    strategy: str,
    constant: str | None = None,
) -> MaskRule:
    return MaskRule(line, text, schema, table, column, strategy, constant)


VALID = [
    ("users.email=email", [rule(1, "users.email=email", None, "users", "email", "email")]),
    ("shop.users.email=hash", [rule(1, "shop.users.email=hash", "shop", "users", "email", "hash")]),
    ("  users.phone = PHONE  ", [rule(1, "users.phone = PHONE", None, "users", "phone", "phone")]),
    ("users.note='n/a'", [rule(1, "users.note='n/a'", None, "users", "note", "constant", "n/a")]),
    (
        "users.last='O''Brien'",
        [rule(1, "users.last='O''Brien'", None, "users", "last", "constant", "O'Brien")],
    ),
    ("users.note=''", [rule(1, "users.note=''", None, "users", "note", "constant", "")]),
    (
        "users.note='a=b; --x'",
        [rule(1, "users.note='a=b; --x'", None, "users", "note", "constant", "a=b; --x")],
    ),
    ("Users.E$mail=redact", [rule(1, "Users.E$mail=redact", None, "Users", "E$mail", "redact")]),
    ("_t.c1=null", [rule(1, "_t.c1=null", None, "_t", "c1", "null")]),
    (
        "# customers\n\nusers.email=email\n   \n# phones\nusers.phone=phone\n",
        [
            rule(3, "users.email=email", None, "users", "email", "email"),
            rule(6, "users.phone=phone", None, "users", "phone", "phone"),
        ],
    ),
    ("", []),
    (
        "users.note='a\u2028b\x85c'\r\n\r\nusers.x=null\r\n",  # lines as an editor counts them
        [
            rule(1, "users.note='a\u2028b\x85c'", None, "users", "note", "constant", "a\u2028b\x85c"),
            rule(3, "users.x=null", None, "users", "x", "null"),
        ],
    ),
    (f"t.{'c' * 64}=hash", [rule(1, f"t.{'c' * 64}=hash", None, "t", "c" * 64, "hash")]),
]


@pytest.mark.parametrize(("text", "rules"), VALID)
def test_valid_rules(text: str, rules: list[MaskRule]) -> None:
    assert parse_mask(text) == (rules, [])


PROBLEMS = [
    (
        "users.email=emial",
        f"mask: line 1 'users.email=emial': unknown strategy 'emial' (did you mean email?); {USE}",
    ),
    (
        "users.phone=fone",
        f"mask: line 1 'users.phone=fone': unknown strategy 'fone' (did you mean phone?); {USE}",
    ),
    ("users.x=scramble", f"mask: line 1 'users.x=scramble': unknown strategy 'scramble'; {USE}"),
    (
        "users.note=n/a",
        "mask: line 1 'users.note=n/a': unknown strategy 'n/a'; quote a constant with single quotes, as in 'n/a'",
    ),
    (
        'users.note="n/a"',
        "mask: line 1 'users.note=\"n/a\"': unknown strategy '\"n/a\"'; quote a constant with single quotes, "
        "as in 'n/a'",
    ),
    (
        "users.note='O'Brien'",
        "mask: line 1 \"users.note='O'Brien'\": the constant 'O'Brien' is not quoted right; end it with ' "
        "and write a ' inside as '' (as SQL does), for example 'O''Brien'",
    ),
    (
        "users.note='open",
        "mask: line 1 \"users.note='open\": the constant 'open is not quoted right; end it with ' and write "
        "a ' inside as '' (as SQL does), for example 'O''Brien'",
    ),
    ("users.email", f"mask: line 1 'users.email': expected {FORMAT}, for example users.email=email"),
    ("users.email=", f"mask: line 1 'users.email=': expected {FORMAT}, for example users.email=email"),
    ("=email", f"mask: line 1 '=email': expected {FORMAT}, for example users.email=email"),
    (
        "email=email",
        f"mask: line 1 'email=email': 'email' names no table: expected {FORMAT}, for example users.email=email",
    ),
    (
        "db.shop.users.email=email",
        f"mask: line 1 'db.shop.users.email=email': too many dots in 'db.shop.users.email': expected {FORMAT} "
        "(the last part is the column); a name with a dot in it cannot be masked",
    ),
    (
        "users..email=email",
        "mask: line 1 'users..email=email': '' is not a plain name (letters, digits, _ and $, not starting "
        f"with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        'users."Email"=email',
        "mask: line 1 'users.\"Email\"=email': '\"Email\"' is not a plain name (letters, digits, _ and $, "
        f"not starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        "users.e`mail=email",
        "mask: line 1 'users.e`mail=email': 'e`mail' is not a plain name (letters, digits, _ and $, not "
        f"starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        "1users.email=email",
        "mask: line 1 '1users.email=email': '1users' is not a plain name (letters, digits, _ and $, not "
        f"starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        "users.émail=email",
        "mask: line 1 'users.émail=email': 'émail' is not a plain name (letters, digits, _ and $, not "
        f"starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        "users.em ail=email",
        "mask: line 1 'users.em ail=email': 'em ail' is not a plain name (letters, digits, _ and $, not "
        f"starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        f"t.{'c' * 65}=hash",
        f"mask: line 1 't.{'c' * 65}=hash': '{'c' * 65}' is not a plain name (letters, digits, _ and $, not "
        f"starting with a digit, at most 64 characters); expected {FORMAT}",
    ),
    (
        "users.email=email\nusers.email=hash",
        "mask: line 2 'users.email=hash': users.email is already masked by line 1; keep one rule per column",
    ),
    (
        "Users.Email=email\n\nusers.email=hash",
        "mask: line 3 'users.email=hash': users.email is already masked by line 1; keep one rule per column",
    ),
    (
        "users.email=email;DROP TABLE users",
        "mask: line 1 'users.email=email;DROP TABLE users': unknown strategy 'email;DROP TABLE users'; quote "
        "a constant with single quotes, as in 'email;DROP TABLE users'",
    ),
]


@pytest.mark.parametrize(("text", "problem"), PROBLEMS)
def test_each_mistake_is_named_with_its_line_and_fix(text: str, problem: str) -> None:
    _, problems = parse_mask(text)
    assert problems == [problem]


def test_every_problem_is_reported_at_once_and_good_lines_still_parse() -> None:
    text = "users.email=emial\nusers.name=name\n\nusers\nusers.name=hash\nusers.phone=phone"
    rules, problems = parse_mask(text)
    assert [(r.line, r.column, r.strategy) for r in rules] == [(2, "name", "name"), (6, "phone", "phone")]
    assert [p.split(":")[1].strip() for p in problems] == [
        "line 1 'users.email=emial'",
        "line 4 'users'",
        "line 5 'users.name=hash'",
    ]


def test_a_long_line_is_shortened_in_its_problem() -> None:
    _, problems = parse_mask("users.email=" + "x" * 500)
    assert problems[0].startswith("mask: line 1 'users.email=" + "x" * 67 + "…': unknown strategy")


# --- SQL ------------------------------------------------------------------------------------------


def sql_of(text: str, engine: str) -> list[str]:
    rules, problems = parse_mask(text)
    assert problems == []
    return [s for step in mask_steps(rules, engine) for s in (step.update.sql, step.check.sql)]


def test_postgresql_folds_names_to_lower_case_and_quotes_them() -> None:
    update, check = sql_of("Shop.Users.Email=null", "postgresql")
    assert update == 'UPDATE "shop"."users" SET "email" = NULL WHERE "email" IS NOT NULL'
    assert check == 'SELECT COUNT(*) FROM "shop"."users" WHERE "email" IS NOT NULL'


def test_mysql_keeps_names_as_given_and_quotes_them() -> None:
    update, check = sql_of("Shop.Users.Email=null", "mysql")
    assert update == "UPDATE `Shop`.`Users` SET `Email` = NULL WHERE `Email` IS NOT NULL"
    assert check == "SELECT COUNT(*) FROM `Shop`.`Users` WHERE `Email` IS NOT NULL"


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_the_update_and_the_check_share_their_where_clause(engine: str) -> None:
    rules, _ = parse_mask("\n".join(f"t.c{i}={s}" for i, s in enumerate([*STRATEGIES, "'x'"])))
    for step in mask_steps(rules, engine):
        where = step.update.sql.split(" WHERE ", 1)[1]
        assert step.check.sql.endswith(" WHERE " + where)
        assert step.check.sql.startswith("SELECT COUNT(*) FROM ")
        assert step.update.params == step.check.params


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_sql_holds_no_cast_colons_or_percent_signs(engine: str) -> None:
    # '::' would read as a :parameter to the Data API; '%' trips DB-API drivers' pyformat.
    for sql in sql_of("\n".join(f"t.c{i}={s}" for i, s in enumerate([*STRATEGIES, "'x'"])), engine):
        assert "::" not in sql and "%" not in sql and "\\" not in sql
        assert re.findall(r":\w+", sql) in ([], [":value"], [":value", ":value"])


@pytest.mark.parametrize("strategy", ["email", "name", "phone", "hash"])
def test_the_length_in_the_mysql_check_is_that_of_the_form(strategy: str) -> None:
    # MySQL's $ also matches before a final newline: the check compares the length too.
    check = sql_of(f"t.c={strategy}", "mysql")[1]
    length = int(re.search(r"CHAR_LENGTH\(`c`\) = (\d+)", check).group(1))
    assert length == len(masked_value(strategy, "anything") or "")


def test_a_constant_is_a_parameter_never_sql() -> None:
    rules, _ = parse_mask("t.c='x''); DROP TABLE t; --'")
    for engine in ("postgresql", "mysql"):
        (step,) = mask_steps(rules, engine)
        assert step.update.params == (("value", "x'); DROP TABLE t; --"),)
        assert "DROP" not in step.update.sql and "DROP" not in step.check.sql


# --- the property: rule text reaches SQL only as a checked quoted identifier or a parameter --------

HOSTILE = "'\"`;$.=#-/*\\ \t\r\n\x00\u00e9\u2028\u202e\U0001f600aZ_09"
hostile_text = st.text(alphabet=st.sampled_from(HOSTILE) | st.characters(), max_size=20)
safe_name = st.from_regex(SAFE, fullmatch=True)
name = st.one_of(safe_name, safe_name, safe_name, hostile_text)  # most lines parse, so SQL is made
valid_strategy = st.sampled_from([*STRATEGIES, "EMAIL", "emial"])
quoted_constant = hostile_text.map(lambda t: "'" + t.replace("'", "''") + "'")
shaped = st.builds(
    lambda parts, strategy: ".".join(parts) + "=" + strategy,
    st.one_of(st.lists(name, min_size=2, max_size=3), st.lists(name, min_size=1, max_size=4)),
    st.one_of(valid_strategy, valid_strategy, quoted_constant, quoted_constant, hostile_text),
)
line = st.one_of(shaped, shaped, shaped, hostile_text)


def quote(engine: str, identifier: str) -> str:
    return f'"{identifier.lower()}"' if engine == "postgresql" else f"`{identifier}`"


@settings(max_examples=300, deadline=None)
@given(st.lists(line, max_size=6).map("\n".join), st.sampled_from(["postgresql", "mysql"]))
def test_rule_text_reaches_sql_only_as_a_quoted_identifier_or_a_parameter(text: str, engine: str) -> None:
    rules, _ = parse_mask(text)
    for step in mask_steps(rules, engine):
        r = step.rule
        names = [n for n in (r.schema, r.table, r.column) if n is not None]
        assert all(SAFE.fullmatch(n) for n in names)
        # The same rule with fixed names gives the template; the real SQL must be that template
        # with only the quoted names swapped in.
        template = mask_steps(
            [replace(r, schema="s0" if r.schema else None, table="t0", column="c0")], engine
        )[0]
        other = mask_steps(
            [
                replace(
                    r,
                    schema="s0" if r.schema else None,
                    table="t0",
                    column="c0",
                    constant="k" if r.constant is not None else None,
                )
            ],
            engine,
        )[0]
        assert (other.update.sql, other.check.sql) == (
            template.update.sql,
            template.check.sql,
        )  # no constant in SQL
        swap = {"s0": r.schema or "", "t0": r.table, "c0": r.column}
        for real, fixed in ((step.update, template.update), (step.check, template.check)):
            expected = re.sub(
                r"[\"`](s0|t0|c0)[\"`]", lambda m, swap=swap: quote(engine, swap[m.group(1)]), fixed.sql
            )
            assert real.sql == expected
            assert real.params == fixed.params
            assert real.params in ((), (("value", r.constant),))
