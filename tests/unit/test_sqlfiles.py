"""The `sql` input: which files run in which order, every path mistake, statements split by a real
SQL splitter with the line each starts on, and the digest of what a prepared clone holds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clone_action.masking import parse_mask
from clone_action.sqlfiles import (
    MAX_STATEMENT,
    prepared_hash,
    read_statements,
    resolve_sql_files,
    split_statements,
)

NO_MATCH = "matches no file in the workspace; paths are relative to the repository root (is the repository checked out before this step?)"
OUTSIDE = "is outside the workspace; only files of the checked-out repository can run"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    for name in (
        "migrations/002_b.sql",
        "migrations/001_a.sql",
        "migrations/010_c.sql",
        "seed.sql",
        "db/x/deep.sql",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"SELECT '{name}';\n")
    (root / "migrations" / "notes.txt").write_text("not sql")
    (tmp_path / "secret.sql").write_text("SELECT 'outside';\n")
    return root


def relative(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_files_run_in_the_order_listed_with_a_globs_matches_sorted_and_each_file_once(ws: Path) -> None:
    text = "seed.sql\n\n# the schema first\nmigrations/*.sql\n  migrations/001_a.sql  \nseed.sql\n**/deep.sql"
    files, problems = resolve_sql_files(text, ws)
    assert problems == []
    assert relative(files, ws) == [
        "seed.sql",
        "migrations/001_a.sql",
        "migrations/002_b.sql",
        "migrations/010_c.sql",
        "db/x/deep.sql",
    ]
    assert all(p.is_absolute() and p.is_file() for p in files)


def test_an_absolute_path_inside_the_workspace_is_accepted(ws: Path) -> None:
    assert resolve_sql_files(str(ws / "seed.sql"), ws) == ([ws / "seed.sql"], [])


def test_paths_stay_under_the_workspace_as_given_when_it_is_reached_through_a_symlink(
    ws: Path, tmp_path: Path
) -> None:
    link = tmp_path / "ws-link"
    link.symlink_to(ws)
    files, problems = resolve_sql_files("migrations/001_a.sql", link)
    assert (files, problems) == ([link / "migrations/001_a.sql"], [])
    assert files[0].relative_to(link).as_posix() == "migrations/001_a.sql"


def test_lines_are_counted_as_an_editor_counts_them(ws: Path) -> None:
    _, problems = resolve_sql_files("seed.sql\r\n\r\n# x\x85y\r\nnope.sql\r\n", ws)
    assert problems == [f"sql: line 4 'nope.sql' {NO_MATCH}"]


def test_empty_input_names_no_file(ws: Path) -> None:
    assert resolve_sql_files("", ws) == ([], [])
    assert resolve_sql_files("\n  \n# nothing\n", ws) == ([], [])


def bad_paths(ws: Path, tmp_path: Path) -> list[tuple[str, str]]:
    (ws / "escape.sql").symlink_to(tmp_path / "secret.sql")
    (ws / "out").symlink_to(tmp_path)
    (ws / "dangling.sql").symlink_to(ws / "gone.sql")
    os.mkfifo(ws / "pipe.sql")
    return [
        ("seed.sql\nmigrations/*.psql", f"sql: line 2 'migrations/*.psql' {NO_MATCH}"),
        ("missing.sql", f"sql: line 1 'missing.sql' {NO_MATCH}"),
        ("dangling.sql", f"sql: line 1 'dangling.sql' {NO_MATCH}"),
        (
            "migrations",
            "sql: line 1 'migrations' is a directory; name its files, for example migrations/*.sql",
        ),
        (
            "migrations/",
            "sql: line 1 'migrations/' is a directory; name its files, for example migrations/*.sql",
        ),
        ("db/*", f"sql: line 1 'db/*' {NO_MATCH}"),  # only a directory matches
        ("../secret.sql", f"sql: line 1 '../secret.sql' {OUTSIDE}"),
        ("migrations/../../secret.sql", f"sql: line 1 'migrations/../../secret.sql' {OUTSIDE}"),
        (str(tmp_path / "secret.sql"), f"sql: line 1 {str(tmp_path / 'secret.sql')!r} {OUTSIDE}"),
        ("/etc/passwd", f"sql: line 1 '/etc/passwd' {OUTSIDE}"),
        ("escape.sql", f"sql: line 1 'escape.sql' {OUTSIDE}"),
        ("out/secret.sql", f"sql: line 1 'out/secret.sql' {OUTSIDE}"),
        (
            "out/*.sql",
            "sql: line 1 'out/*.sql' matches 'out/secret.sql', outside the workspace; only files of the "
            "repository can run",
        ),
        (
            "../*.sql",
            "sql: line 1 '../*.sql' matches '../secret.sql', outside the workspace; only files of the "
            "repository can run",
        ),
        ("pipe.sql", "sql: line 1 'pipe.sql' is not a regular file"),
    ]


def test_each_path_mistake_is_named_with_its_line(ws: Path, tmp_path: Path) -> None:
    for text, problem in bad_paths(ws, tmp_path):
        files, problems = resolve_sql_files(text, ws)
        assert problems == [problem], text
        assert all(f.resolve().is_relative_to(ws.resolve()) for f in files)


def test_every_path_mistake_is_reported_at_once(ws: Path) -> None:
    _, problems = resolve_sql_files("a.sql\nseed.sql\nb/*.sql\nmigrations", ws)
    assert [p.split(" ")[2] for p in problems] == ["1", "3", "4"]


# --- statements -----------------------------------------------------------------------------------

MIGRATION = (
    "\ufeff-- 001: customers; with a semicolon in a comment\r\n"
    "\r\n"
    "/* a block comment ; */\r\n"
    "CREATE TABLE customers (id int, note text);\r\n"
    "INSERT INTO customers VALUES (1, 'semi;\r\n"
    "colon -- not a comment');  -- trailing comment\r\n"
    "CREATE FUNCTION touch() RETURNS trigger AS $body$\r\n"
    "BEGIN\r\n"
    "  NEW.note := 'a;b';\r\n"
    "  RETURN NEW;\r\n"
    "END;\r\n"
    "$body$ LANGUAGE plpgsql;\r\n"
    "DO $$ BEGIN PERFORM 1; END $$;\r\n"
    ";\r\n"
    'SELECT "odd;name" FROM customers\r\n'
    "-- no semicolon at the end of the file\r\n"
)


def test_statements_are_split_by_a_real_splitter_with_their_first_line() -> None:
    statements, problems = split_statements(MIGRATION.encode(), "db/001.sql")
    assert problems == []
    assert [(s.path, s.line, s.sql) for s in statements] == [
        ("db/001.sql", 4, "CREATE TABLE customers (id int, note text)"),
        ("db/001.sql", 5, "INSERT INTO customers VALUES (1, 'semi;\r\ncolon -- not a comment')"),
        (
            "db/001.sql",
            7,
            "CREATE FUNCTION touch() RETURNS trigger AS $body$\r\nBEGIN\r\n  NEW.note := 'a;b';\r\n"
            "  RETURN NEW;\r\nEND;\r\n$body$ LANGUAGE plpgsql",
        ),
        ("db/001.sql", 13, "DO $$ BEGIN PERFORM 1; END $$"),
        ("db/001.sql", 15, 'SELECT "odd;name" FROM customers'),
    ]


def test_mysql_routines_split_without_delimiter_and_executable_comments_are_kept() -> None:
    text = (
        "/*!40101 SET NAMES utf8mb4 */;\n"
        "CREATE PROCEDURE touch()\nBEGIN\n  UPDATE t SET a = 1;\n  UPDATE t SET b = 2;\nEND;\n"
        "# a MySQL comment\nSELECT 1;\n"
    )
    statements, problems = split_statements(text.encode(), "p.sql")
    assert problems == []
    assert [(s.line, s.sql) for s in statements] == [
        (1, "/*!40101 SET NAMES utf8mb4 */"),
        (2, "CREATE PROCEDURE touch()\nBEGIN\n  UPDATE t SET a = 1;\n  UPDATE t SET b = 2;\nEND"),
        (8, "SELECT 1"),
    ]


def test_a_delimiter_line_is_refused_with_its_line() -> None:
    text = "SELECT 1;\n\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\n"
    _, problems = split_statements(text.encode(), "procs.sql")
    assert problems == [
        "sql: procs.sql:3 uses DELIMITER, a command of the mysql client and not SQL; the Data API runs one "
        "statement a call, so remove the DELIMITER lines and end each routine with ; after its END"
    ]


def test_delimiter_inside_a_string_or_mid_line_is_sql() -> None:
    text = "INSERT INTO t VALUES ('\nDELIMITER //');\nSELECT delimiter FROM t;\n"
    statements, problems = split_statements(text.encode(), "d.sql")
    assert problems == [] and [s.line for s in statements] == [1, 3]


def test_a_statement_longer_than_the_data_api_takes_is_refused() -> None:
    text = "SELECT 1;\n-- big\nSELECT '" + "x" * MAX_STATEMENT + "';\n"
    statements, problems = split_statements(text.encode(), "big.sql")
    assert [s.line for s in statements] == [1]
    assert problems == [
        f"sql: big.sql:3 the statement is {MAX_STATEMENT + 9:,} characters; the Data API takes at most "
        f"{MAX_STATEMENT:,} in one call: split it"
    ]


def test_read_statements_names_each_bad_file(ws: Path) -> None:
    (ws / "empty.sql").write_text("-- nothing yet\n\n/* later */\n;\n")
    (ws / "latin1.sql").write_bytes(b"SELECT 1;\nSELECT 'caf\xe9';\n")
    (ws / "blank.sql").write_bytes(b"")
    gone = ws / "gone.sql"
    gone.write_text("SELECT 1;")
    files, _ = resolve_sql_files("seed.sql\nempty.sql\nlatin1.sql\nblank.sql\ngone.sql", ws)
    gone.unlink()  # removed between the check and the read
    statements, problems = read_statements(files, ws)
    assert [(s.path, s.line, s.sql) for s in statements] == [("seed.sql", 1, "SELECT 'seed.sql'")]
    assert problems == [
        "sql: empty.sql holds no SQL statement (only blank lines or comments); remove it from sql or add its statements",
        "sql: latin1.sql is not UTF-8 text (byte 0xe9 on line 2); save it as UTF-8",
        "sql: blank.sql holds no SQL statement (only blank lines or comments); remove it from sql or add its statements",
        "sql: gone.sql cannot be read (No such file or directory); check the file",
    ]


def test_statements_keep_file_order_and_paths_relative_to_the_workspace(ws: Path) -> None:
    files, _ = resolve_sql_files("migrations/*.sql\ndb/x/deep.sql", ws)
    statements, problems = read_statements(files, ws)
    assert problems == []
    assert [s.path for s in statements] == [
        "migrations/001_a.sql",
        "migrations/002_b.sql",
        "migrations/010_c.sql",
        "db/x/deep.sql",
    ]


filler = st.sampled_from(["", "\n", "\r\n", "  ", "-- c; x\n", "/* ; */", "/* a\n; b */\n", "\n\n"])
body = st.sampled_from(
    ["SELECT 1", "SELECT 'a;\nb'", "SELECT $$x;\ny$$", 'SELECT "c;"', "CREATE TABLE t (a int)", "SELECT\n  2"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.lists(filler, max_size=3).map("".join), body), min_size=1, max_size=6),
    st.booleans(),
)
def test_every_statement_comes_back_whole_with_the_line_it_starts_on(
    parts: list[tuple[str, str]], bom: bool
) -> None:
    text, expected = "", []
    for before, sql in parts:
        text += before
        if text and not text.endswith(("\n", " ")):
            text += "\n"
        expected.append((text.count("\n") + 1, sql))
        text += sql + ";"
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode()
    statements, problems = split_statements(data, "f.sql")
    assert problems == []
    assert [(s.line, s.sql) for s in statements] == expected


# --- the digest of a prepared clone ---------------------------------------------------------------

RULES = "users.email=email\nusers.note='n/a'"
FILES = [("migrations/001.sql", b"CREATE TABLE a (x int);"), ("seed.sql", b"INSERT INTO a VALUES (1);")]


def digest(mask: str = RULES, files: list[tuple[str, bytes]] = FILES, database: str = "shop") -> str:
    rules, problems = parse_mask(mask)
    assert problems == []
    return prepared_hash(rules, files, database)


def test_the_digest_is_12_hex_and_stable() -> None:
    assert len(digest()) == 12 and int(digest(), 16) >= 0
    assert digest() == digest()


@pytest.mark.parametrize(
    "same",
    [
        "# masking\n\nusers.email=email\n\n  users.note='n/a'  \n",
        "users.note='n/a'\nusers.email=EMAIL",
        "users.email = email\nusers.note = 'n/a'",
    ],
)
def test_the_digest_ignores_blank_lines_comments_spacing_and_rule_order(same: str) -> None:
    assert digest(same) == digest()


@pytest.mark.parametrize(
    "changed",
    [
        lambda: digest("users.email=hash\nusers.note='n/a'"),
        lambda: digest("users.email=email\nusers.note='n/a '"),
        lambda: digest("users.email=email\nusers.note=''"),
        lambda: digest("users.email=email\nusers.note=redact"),
        lambda: digest("users.email=email\nusers.note='n/a'\nusers.phone=null"),
        lambda: digest("shop.users.email=email\nusers.note='n/a'"),
        lambda: digest("users.mail=email\nusers.note='n/a'"),
        lambda: digest(database="shop2"),
        lambda: digest(files=FILES[::-1]),
        lambda: digest(files=FILES[:1]),
        lambda: digest(files=[("migrations/002.sql", FILES[0][1]), FILES[1]]),
        lambda: digest(files=[(FILES[0][0], FILES[0][1] + b"\n"), FILES[1]]),
        lambda: digest(files=[]),
    ],
)
def test_the_digest_changes_with_any_rule_file_or_the_database(changed: object) -> None:
    assert callable(changed)
    assert changed() != digest()


def test_the_digest_cannot_be_forged_by_moving_text_between_fields() -> None:
    assert prepared_hash([], [("a", b"bc")], "") != prepared_hash([], [("ab", b"c")], "")
    assert prepared_hash([], [], "a,b") != prepared_hash([], [("a", b"")], "b")
