"""The `sql` input: paths and globs -> files in the workspace -> statements with file:line."""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlparse
from sqlparse import lexer
from sqlparse import tokens as T

from .masking import FORMS_VERSION, MaskRule

MAX_STATEMENT = 65536  # characters of one ExecuteStatement's sql (the rds-data service model)
_MAGIC = re.compile(r"[*?[]")
_SHOWN = 240  # characters of a line quoted in a problem: paths are shown whole
# sqlparse's lexer has no annotations: (token type, text) pairs that add up to the text given.
_tokenize: Callable[[str], Iterable[tuple[Any, str]]] = lexer.tokenize


@dataclass(frozen=True)
class SqlStatement:
    """One statement of a file, as sent: leading comments and the final ';' left out."""

    path: str  # relative to the workspace, '/'-separated
    line: int  # 1-based line of the statement's first token (past any comment before it)
    sql: str


def resolve_sql_files(text: str, workspace: Path) -> tuple[list[Path], list[str]]:
    """The files the `sql` input names, in its order (a glob's matches sorted, each file once),
    and every problem found. Blank lines and lines starting with # are skipped. Each path is
    `workspace / <relative path>`, the relative path taken after resolving symlinks."""
    root = workspace.resolve()
    files: list[Path] = []
    problems: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):  # lines as an editor counts them
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"sql: line {number} {_shown(line)}"
        found, problem = (_glob if _MAGIC.search(line) else _path)(line, root)
        if problem:
            problems.append(f"{where} {problem}")
        for resolved in found:
            # Under the workspace as given (its own symlinks kept), each file once.
            path = workspace / resolved.relative_to(root)
            if path not in files:
                files.append(path)
    return files, problems


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _path(line: str, root: Path) -> tuple[list[Path], str]:
    full = (root / line).resolve()  # through symlinks: a link out of the workspace is outside
    if not _inside(full, root):
        return [], "is outside the workspace; only files of the checked-out repository can run"
    if not full.exists():
        return [], (
            "matches no file in the workspace; paths are relative to the repository root "
            "(is the repository checked out before this step?)"
        )
    if full.is_dir():
        return [], f"is a directory; name its files, for example {line.rstrip('/')}/*.sql"
    if not full.is_file():
        return [], "is not a regular file"
    return [full], ""


def _glob(line: str, root: Path) -> tuple[list[Path], str]:
    matches = sorted(glob.glob(line, root_dir=root, recursive=True))
    found: list[Path] = []
    for match in matches:
        full = (root / match).resolve()
        if not _inside(full, root):
            return [], f"matches {match!r}, outside the workspace; only files of the repository can run"
        if full.is_file() and full not in found:
            found.append(full)
    if not found:
        return [], (
            "matches no file in the workspace; paths are relative to the repository root "
            "(is the repository checked out before this step?)"
        )
    return found, ""


def shown_path(path: Path, workspace: Path) -> str:
    """A file's path as users see it: relative to the workspace, '/'-separated."""
    try:
        return path.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_statements(paths: list[Path], workspace: Path) -> tuple[list[SqlStatement], list[str]]:
    """Every statement of the files, in order, and every problem found (an unreadable or
    non-UTF-8 file, a file with no statement, a DELIMITER line, a statement too long)."""
    statements: list[SqlStatement] = []
    problems: list[str] = []
    for path in paths:
        shown = shown_path(path, workspace)
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(f"sql: {shown} cannot be read ({error.strerror or error}); check the file")
            continue
        found, file_problems = split_statements(data, shown)
        statements += found
        problems += file_problems
        if not found and not file_problems:
            problems.append(
                f"sql: {shown} holds no SQL statement (only blank lines or comments); "
                "remove it from sql or add its statements"
            )
    return statements, problems


def split_statements(data: bytes, shown: str) -> tuple[list[SqlStatement], list[str]]:
    """The statements of one file's bytes, split by sqlparse, each with its starting line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte order mark is no line and no SQL
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return [], [
            f"sql: {shown} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line}); "
            "save it as UTF-8"
        ]
    statements: list[SqlStatement] = []
    problems: list[str] = []
    cursor = 0
    for piece in sqlparse.split(text):
        start = text.find(piece, cursor)
        if start < 0:  # sqlparse returns pieces of the text unchanged; this guards that belief
            return [], [f"sql: {shown}: the SQL splitter lost its place after line {_line(text, cursor)}"]
        cursor = start + len(piece)
        tokens = list(_tokenize(piece))
        values = [value for _, value in tokens]
        kinds = [_kind(ttype, value) for ttype, value in tokens]
        meaningful = [i for i, kind in enumerate(kinds) if kind == "sql"]
        if not meaningful:
            continue  # only comments, blank lines or a lone ';'
        first, last = meaningful[0], meaningful[-1]
        offset = start + sum(len(v) for v in values[:first])
        line = _line(text, offset)
        delimiter = _delimiter_line(text, start, values, kinds)
        if delimiter:
            problems.append(
                f"sql: {shown}:{delimiter} uses DELIMITER, a command of the mysql client and not SQL; "
                "the Data API runs one statement a call, so remove the DELIMITER lines and end each "
                "routine with ; after its END"
            )
            continue
        sql = "".join(values[first : last + 1])
        if len(sql) > MAX_STATEMENT:
            problems.append(
                f"sql: {shown}:{line} the statement is {len(sql):,} characters; the Data API takes at "
                f"most {MAX_STATEMENT:,} in one call: split it"
            )
            continue
        statements.append(SqlStatement(shown, line, sql))
    return statements, problems


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _kind(ttype: object, value: str) -> str:
    """'space', 'comment', 'end' (a ';') or 'sql'. A MySQL /*! ... */ comment is run by MySQL: sql."""
    if ttype in T.Whitespace or ttype in T.Newline:
        return "space"
    if ttype in T.Comment:
        return "sql" if value.startswith("/*!") else "comment"
    if ttype in T.Punctuation and value == ";":
        return "end"
    return "sql"


def _delimiter_line(text: str, start: int, values: list[str], kinds: list[str]) -> int:
    """The line of a DELIMITER command that starts a line of this piece, or 0."""
    offset = start
    for value, kind in zip(values, kinds, strict=True):
        if kind == "sql" and value.upper() == "DELIMITER":
            before = text[text.rfind("\n", 0, offset) + 1 : offset]
            if not before.strip():
                return _line(text, offset)
        offset += len(value)
    return 0


def prepared_hash(rules: list[MaskRule], files: list[tuple[str, bytes]], database: str) -> str:
    """12 hex digits naming what a prepared clone holds: the rules (not their lines or comments),
    the files (workspace-relative path and bytes, in order), the database, the masked forms."""
    canonical = {
        "forms": FORMS_VERSION,
        "rules": sorted(
            [rule.schema or "", rule.table, rule.column, rule.strategy, rule.constant or ""] for rule in rules
        ),
        "files": [[path, hashlib.sha256(data).hexdigest()] for path, data in files],
        "database": database,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode()).hexdigest()[:12]
