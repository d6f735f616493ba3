"""Manifest patching: manifest-set rules -> a plan over the manifest files -> all-or-nothing writes."""

from __future__ import annotations

import contextlib
import difflib
import io
import itertools
import json
import os
import re
import stat
import string
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from .errors import ActionError, InputError

PLACEHOLDERS = ("endpoint", "reader_endpoint", "port", "cluster_id", "engine", "database_url")

UNSUPPORTED = "is not YAML (.yaml/.yml), JSON (.json) or a dotenv file (.env, *.env, .env.*)"
_ALLOWED = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
_SELECTORS = "use [2], [*] or [name=value]"
_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_DIGITS = re.compile(r"[0-9]+")
# Wide enough that ruamel never folds a long line of a file it writes back.
_WIDTH = 1_000_000


@dataclass(frozen=True)
class Key:
    """A mapping key: `name` in `a.name.b`, or `"example.com/db"` quoted."""

    name: str


@dataclass(frozen=True)
class Index:
    """`[2]`: the list item at that index."""

    index: int


@dataclass(frozen=True)
class Every:
    """`[*]`: every item of the list."""


@dataclass(frozen=True)
class Match:
    """`[name=app]`: the list items that are mappings whose `key` is `value`."""

    key: str
    value: str


Step = Key | Index | Every | Match


@dataclass(frozen=True)
class Rule:
    """One manifest-set line: PATH=VALUE."""

    text: str
    path: tuple[Step, ...]
    value: str

    @property
    def dotenv_key(self) -> str | None:
        """The KEY this rule sets in a dotenv file, or None when its PATH cannot be one."""
        names = [step.name for step in self.path if isinstance(step, Key)]
        key = ".".join(names)
        if len(names) == len(self.path) and _DOTENV_KEY.fullmatch(key):
            return key
        return None


@dataclass(frozen=True)
class FileChange:
    """One manifest file: its text before and after the rules."""

    path: Path
    relative: str
    before: str
    after: str
    applied: list[str]


def placeholder_values() -> dict[str, str]:
    """Stand-in values for a plan made before the clone exists (same types as the real ones)."""
    return {
        "endpoint": "placeholder-endpoint.example",
        "reader_endpoint": "placeholder-reader-endpoint.example",
        "port": "5432",
        "cluster_id": "placeholder-cluster-id",
        "engine": "aurora-postgresql",
        "database_url": "postgresql://placeholder@placeholder-endpoint.example:5432/",
    }


# ---------------------------------------------------------------- rules


class _Bad(Exception):
    """Why one rule line is wrong."""


def parse_rules(lines: Sequence[str]) -> list[Rule]:
    """Parse manifest-set lines; raise InputError naming every bad line."""
    rules: list[Rule] = []
    problems: list[str] = []
    for line in lines:
        try:
            rules.append(_parse_rule(line))
        except _Bad as bad:
            problems.append(f"manifest-set: {bad}, got {line!r}")
    if problems:
        raise InputError(problems)
    return rules


def _parse_rule(line: str) -> Rule:
    path_text, value = _split_rule(line)
    path_text, value = path_text.strip(), value.strip()
    if not path_text:
        raise _Bad("PATH is empty; write PATH=VALUE, like data.DB_HOST={endpoint}")
    path = _parse_path(path_text)
    _check_template(value)
    return Rule(text=line, path=path, value=value)


def _split_rule(line: str) -> tuple[str, str]:
    """Split on the first '=' outside [...] and "..." (so `[name=app]` stays in PATH)."""
    depth, quoted = 0, False
    for i, char in enumerate(line):
        if quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "=" and depth == 0:
            return line[:i], line[i + 1 :]
    if "=" in line:
        # An unclosed '[' or '"' took the '='; the PATH check names the real problem.
        head, _, tail = line.partition("=")
        return head, tail
    raise _Bad("expected PATH=VALUE, like data.DB_HOST={endpoint}")


def _parse_path(text: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    i, end = 0, len(text)
    while True:
        if i < end and text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise _Bad("PATH has an unclosed '\"'")
            if close == i + 1:
                raise _Bad('PATH has an empty key ""')
            steps.append(Key(text[i + 1 : close]))
            i = close + 1
        else:
            j = i
            while j < end and text[j] not in '.[]"':
                j += 1
            if j > i:
                steps.append(Key(text[i:j]))
            elif not (i == 0 and j < end and text[j] == "["):
                raise _Bad("PATH has an empty key; separate keys with single dots")
            i = j
        while i < end and text[i] == "[":
            close = text.find("]", i + 1)
            if close < 0:
                raise _Bad(f"PATH has an unclosed '['; {_SELECTORS}")
            steps.append(_selector(text[i + 1 : close]))
            i = close + 1
        if i == end:
            return tuple(steps)
        if text[i] != ".":
            raise _Bad(f'PATH has an unexpected {text[i]!r} at character {i + 1}; quote such a key: "a.b"')
        i += 1
        if i == end:
            raise _Bad("PATH has an empty key; separate keys with single dots")


def _selector(body: str) -> Step:
    if not body:
        raise _Bad(f"PATH has an empty selector []; {_SELECTORS}")
    if body == "*":
        return Every()
    if _DIGITS.fullmatch(body):
        return Index(int(body))
    key, sep, value = body.partition("=")
    if sep and key:
        return Match(key, value)
    raise _Bad(f"PATH has a bad selector [{body}]; {_SELECTORS}")


def _check_template(value: str) -> None:
    try:
        parts = list(string.Formatter().parse(value))
    except ValueError:
        raise _Bad(
            "unbalanced braces in VALUE; placeholders look like {endpoint}, a literal brace is {{ or }}"
        ) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if name not in PLACEHOLDERS:
            raise _Bad(f"unknown placeholder {written}; use {_ALLOWED}")
        if spec or conversion:
            raise _Bad(f"placeholder {written} takes no format or conversion; write {{{name}}}")


def _render(template: str, values: Mapping[str, str]) -> str:
    parts = string.Formatter().parse(template)
    return "".join(literal + (values[name] if name is not None else "") for literal, name, _, _ in parts)


# ---------------------------------------------------------------- trees (YAML and JSON)

_MISSING: Any = object()


@dataclass
class _Outcome:
    """What one rule did in one file."""

    hits: int = 0
    modified: bool = False
    problems: list[str] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """A scalar as a selector compares it; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _find_key(mapping: dict[Any, Any], name: str) -> Any:
    if name in mapping:
        return name
    return next((key for key in mapping if not isinstance(key, str) and _text(key) == name), _MISSING)


def _targets(root: Any, path: tuple[Step, ...]) -> list[tuple[Any, Any]]:
    """(container, key-or-index) for every place PATH resolves to under root."""
    nodes: list[Any] = [root]
    found: list[tuple[Any, Any]] = []
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        following: list[Any] = []
        for node in nodes:
            if isinstance(step, Key):
                if not isinstance(node, dict):
                    continue
                key = _find_key(node, step.name)
                if key is not _MISSING and last:
                    found.append((node, key))
                elif key is not _MISSING:
                    following.append(node[key])
                elif last and depth > 0:
                    # A missing last key is created, but never at a document's root: a rule
                    # meant for a dotenv KEY must not add top-level keys to every YAML file.
                    found.append((node, step.name))
                continue
            if not isinstance(node, list):
                continue
            if isinstance(step, Index):
                indexes = [step.index] if step.index < len(node) else []
            elif isinstance(step, Every):
                indexes = list(range(len(node)))
            else:
                indexes = [
                    i
                    for i, item in enumerate(node)
                    if isinstance(item, dict)
                    and (key := _find_key(item, step.key)) is not _MISSING
                    and _text(item[key]) == step.value
                ]
            if last:
                found.extend((node, i) for i in indexes)
            else:
                following.extend(node[i] for i in indexes)
        nodes = following
    return found


_KEPT_STYLES = (SingleQuotedScalarString, DoubleQuotedScalarString, LiteralScalarString, FoldedScalarString)


def _typed(old: Any, value: str) -> Any:
    """The value to store: an int where an int was and the value is all digits, else a string."""
    if isinstance(old, int) and not isinstance(old, bool) and _DIGITS.fullmatch(value):
        return int(value)
    for style in _KEPT_STYLES:
        if isinstance(old, style):
            return style(value)
    # A plain str: ruamel quotes it when it would read back as another type ('5432', 'true').
    return value


def _apply_tree(roots: Sequence[Any], rule: Rule, value: str, relative: str) -> _Outcome:
    outcome = _Outcome()
    for root in roots:
        for container, key in _targets(root, rule.path):
            outcome.hits += 1
            old = container.get(key, _MISSING) if isinstance(container, dict) else container[key]
            if isinstance(old, dict | list):
                what = "a mapping" if isinstance(old, dict) else "a list"
                outcome.problems.append(
                    f"manifest-set: PATH leads to {what} in {relative!r}, not to a value, got {rule.text!r}"
                )
                continue
            new = _typed(old, value)
            if old is _MISSING or type(old) is not type(new) or old != new:
                container[key] = new
                outcome.modified = True
                if old is not _MISSING:
                    _keep_comment_gap(container, key, len(str(new)) - len(str(old)))
    return outcome


def _keep_comment_gap(container: Any, key: Any, growth: int) -> None:
    """Move the comment at the end of a changed value's line, so `value   # note` keeps its gap."""
    items = getattr(getattr(container, "ca", None), "items", {})
    entry = items.get(key)
    if entry:
        token = entry[2] if isinstance(container, dict) else entry[0]
        if token is not None and hasattr(token, "start_mark"):
            token.column = max(0, token.column + growth)


# ---------------------------------------------------------------- YAML

_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_MARKER_LINE = re.compile(r"---[ \t]*(?:#[^\r\n]*)?(?:\r?\n|$)")
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?$", re.MULTILINE)
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


class _RootSequenceEmitter(RoundTripEmitter):
    """Gives a top-level sequence its own indentation (kustomize patches: `- op:` at column 0)."""

    root_sequence: tuple[int, int] = (2, 0)

    def _at_root_sequence(self) -> bool:
        values = self.indents.values
        return len(values) == 1 and bool(values[0][1])

    @contextlib.contextmanager
    def _root_indentation(self) -> Iterator[None]:
        saved = self.best_sequence_indent, self.sequence_dash_offset
        self.best_sequence_indent, self.sequence_dash_offset = self.root_sequence
        try:
            yield
        finally:
            self.best_sequence_indent, self.sequence_dash_offset = saved

    def expect_block_sequence_item(self, first: bool = False) -> None:
        if not self._at_root_sequence():
            return super().expect_block_sequence_item(first)
        with self._root_indentation():
            return super().expect_block_sequence_item(first)

    def increase_indent(
        self, flow: bool = False, sequence: bool | None = None, indentless: bool = False
    ) -> None:
        if not self._at_root_sequence():
            return super().increase_indent(flow, sequence, indentless)
        with self._root_indentation():
            return super().increase_indent(flow, sequence, indentless)


def _new_yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    return yaml


@dataclass
class _Indentation:
    """How a YAML text indents: ruamel's mapping, sequence and offset, and a top-level list's own."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0
    root_sequence: tuple[int, int] | None = None


def _block(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()


def _indentation(documents: Sequence[Any]) -> _Indentation | None:
    """The indentation most used in the documents, from the positions ruamel recorded; None if no clue."""
    mappings: Counter[int] = Counter()
    sequences: Counter[tuple[int, int]] = Counter()
    roots: Counter[tuple[int, int]] = Counter()

    def sequence_style(seq: CommentedSeq, column: int) -> tuple[int, int] | None:
        line, item_column = seq.lc.item(0)
        if line != seq.lc.line or isinstance(seq[0], CommentedSeq):
            return None
        style = (item_column - column, seq.lc.col - column)
        return style if style[1] >= 0 and style[0] >= style[1] + 2 else None

    def walk(node: Any) -> None:
        if isinstance(node, CommentedMap):
            for key, value in node.items():
                if _block(value):
                    key_line, key_column = node.lc.key(key)
                    if value.lc.line > key_line and isinstance(value, CommentedMap):
                        if value.lc.col > key_column:
                            mappings[value.lc.col - key_column] += 1
                    elif value.lc.line > key_line and (style := sequence_style(value, key_column)):
                        sequences[style] += 1
                walk(value)
        elif isinstance(node, CommentedSeq):
            for item in node:
                walk(item)

    for document in documents:
        is_list = _block(document) and isinstance(document, CommentedSeq)
        if is_list and (style := sequence_style(document, 0)):
            roots[style] += 1
        walk(document)
    if not (mappings or sequences or roots):
        return None
    found = _Indentation()
    if mappings:
        found.mapping = mappings.most_common(1)[0][0]
    if sequences:
        found.sequence, found.offset = sequences.most_common(1)[0][0]
    elif roots:
        found.sequence, found.offset = roots.most_common(1)[0][0]
    else:
        found.sequence = found.mapping
    if roots:
        found.root_sequence = roots.most_common(1)[0][0]
    return found


@dataclass
class _YamlChunk:
    """The text from one `---` line to the next: written back as it was unless a rule changed it."""

    text: str
    marker: str
    body: str
    documents: list[Any]
    modified: bool = False


class _YamlFile:
    """A YAML stream, loaded per `---` chunk so untouched documents keep their exact bytes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.crlf = "\r\n" in text
        self.chunks: list[_YamlChunk] = []
        starts = [m.start() for m in _DOCUMENT_START.finditer(text) if m.start() > 0]
        bounds = [0, *starts, len(text)]
        pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
        # A chunk of directives (%YAML) belongs to the document its `---` starts.
        merged: list[str] = []
        for piece in pieces:
            if merged and _DIRECTIVE.search(merged[-1]) and not _has_content(merged[-1]):
                merged[-1] += piece
            else:
                merged.append(piece)
        line = 0
        for piece in merged:
            marker_match = _MARKER_LINE.match(piece)
            marker = marker_match.group(0) if marker_match else ""
            body = piece[len(marker) :]
            try:
                documents = list(_new_yaml().load_all(body))
            except YAMLError as error:
                raise _YamlProblem(error, line + marker.count("\n")) from error
            self.chunks.append(_YamlChunk(piece, marker, body, documents))
            line += piece.count("\n")
        whole = _indentation([d for chunk in self.chunks for d in chunk.documents]) or _Indentation()
        self.styles = [_indentation(chunk.documents) or whole for chunk in self.chunks]

    def apply(self, rule: Rule, value: str, relative: str) -> _Outcome:
        total = _Outcome()
        for chunk in self.chunks:
            outcome = _apply_tree(chunk.documents, rule, value, relative)
            chunk.modified = chunk.modified or outcome.modified
            total.hits += outcome.hits
            total.modified = total.modified or outcome.modified
            total.problems += outcome.problems
        return total

    def render(self) -> str:
        return "".join(
            self._dump(chunk, style) if chunk.modified else chunk.text
            for chunk, style in zip(self.chunks, self.styles, strict=True)
        )

    def _dump(self, chunk: _YamlChunk, style: _Indentation) -> str:
        yaml = _new_yaml()
        yaml.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
        if style.root_sequence and style.root_sequence != (style.sequence, style.offset):
            yaml.Emitter = type("Emitter", (_RootSequenceEmitter,), {"root_sequence": style.root_sequence})
        yaml.explicit_start = chunk.body.startswith("---")
        yaml.explicit_end = bool(_DOCUMENT_END.search(chunk.body))
        if self.crlf:
            yaml.line_break = "\r\n"  # type: ignore[assignment]  # ruamel's stub says None only
        out = io.StringIO()
        yaml.dump_all(chunk.documents, out)
        text = out.getvalue()
        if not chunk.text.endswith("\n"):
            text = text.removesuffix(yaml.line_break or "\n")
        return chunk.marker + text


def _has_content(text: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith(("#", "%")) for line in text.splitlines())


class _YamlProblem(Exception):
    def __init__(self, error: YAMLError, line_offset: int) -> None:
        super().__init__(str(error))
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        why = getattr(error, "problem", None) or getattr(error, "context", None) or str(error)
        where = f" at line {mark.line + 1 + line_offset}, column {mark.column + 1}" if mark else ""
        self.reason = f"{where}: {(str(why).splitlines() or ['?'])[0]}"


# ---------------------------------------------------------------- JSON


_WHITESPACE = re.compile(r"[ \t\n\r]*")
JsonPath = tuple[str | int, ...]


def _json_spans(text: str) -> dict[JsonPath, tuple[int, int]]:
    """Where each scalar value of a JSON text is: its path of keys and indexes -> (start, end).

    A later duplicate key wins, as in json.loads. The text must be valid JSON (parsed before).
    """
    decoder = json.JSONDecoder()
    spans: dict[JsonPath, tuple[int, int]] = {}

    def skip(at: int) -> int:
        match = _WHITESPACE.match(text, at)
        return match.end() if match else at

    def value(at: int, path: JsonPath) -> int:
        at = skip(at)
        if text[at] == "{":
            at = skip(at + 1)
            while text[at] != "}":
                key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
                at = value(skip(at) + 1, (*path, key))  # past the colon
                at = skip(at)
                at = skip(at + 1) if text[at] == "," else at
            return at + 1
        if text[at] == "[":
            at, index = skip(at + 1), 0
            while text[at] != "]":
                at = skip(value(at, (*path, index)))
                at, index = (skip(at + 1) if text[at] == "," else at), index + 1
            return at + 1
        _, end = decoder.raw_decode(text, at)
        spans[path] = (at, end)
        return end

    value(0, ())
    return spans


def _json_changes(old: Any, new: Any, path: JsonPath, changes: list[tuple[JsonPath, Any]]) -> bool:
    """The scalars that differ between two trees of the same shape; False when the shape changed."""
    if isinstance(old, dict) and isinstance(new, dict):
        if list(old) != list(new):
            return False
        return all(_json_changes(old[k], new[k], (*path, k), changes) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return False
        return all(
            _json_changes(o, n, (*path, i), changes) for i, (o, n) in enumerate(zip(old, new, strict=True))
        )
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return False
    if type(old) is not type(new) or old != new:
        changes.append((path, new))
    return True


class _JsonFile:
    """A JSON document: only the bytes of the values replaced change; a new key re-serialises it
    with the indentation it had."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.original = json.loads(text)
        self.data = json.loads(text)
        core = text.strip()
        self.lead = text[: len(text) - len(text.lstrip())]
        self.trail = text[len(text.rstrip()) :]
        self.crlf = "\r\n" in text
        self.ensure_ascii = text.isascii()
        indented = re.search(r"\n([ \t]+)\S", core)
        self.indent: str | None = indented.group(1) if indented else None
        self.separators = (",", ": ")
        if self.indent is None and json.dumps(self.data, ensure_ascii=self.ensure_ascii) == core:
            self.separators = (", ", ": ")
        elif self.indent is None:
            self.separators = (",", ":")
        self.modified = False

    def apply(self, rule: Rule, value: str, relative: str) -> _Outcome:
        outcome = _apply_tree([self.data], rule, value, relative)
        self.modified = self.modified or outcome.modified
        return outcome

    def render(self) -> str:
        changes: list[tuple[JsonPath, Any]] = []
        if _json_changes(self.original, self.data, (), changes):
            spans = _json_spans(self.text)
            out = self.text
            for start, end, replacement in sorted(
                ((*spans[path], json.dumps(new, ensure_ascii=self.ensure_ascii)) for path, new in changes),
                reverse=True,
            ):
                out = out[:start] + replacement + out[end:]
            return out
        out = json.dumps(
            self.data, indent=self.indent, separators=self.separators, ensure_ascii=self.ensure_ascii
        )
        if self.crlf:
            out = out.replace("\n", "\r\n")
        return self.lead + out + self.trail


# ---------------------------------------------------------------- dotenv

_DOTENV_LINE = re.compile(
    r"(?P<head>[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*)(?P<rest>.*)", re.DOTALL
)
_DOTENV_BARE = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]*[ \t]*")
_NEEDS_QUOTES = re.compile(r"^#|[\s'\"\\]")


@dataclass
class _DotenvEntry:
    """`head` `quote` value `quote` `tail`: only the value is ever replaced."""

    head: str
    key: str
    quote: str
    value: str
    tail: str

    def text(self) -> str:
        return f"{self.head}{self.quote}{self.value}{self.quote}{self.tail}"


class _DotenvProblem(Exception):
    pass


class _DotenvFile:
    """KEY=VALUE lines; every other line is kept byte for byte."""

    def __init__(self, text: str) -> None:
        self.parts: list[str | _DotenvEntry] = []
        self.modified = False
        lines = text.splitlines(keepends=True)
        number = 0
        while number < len(lines):
            line = lines[number]
            number += 1
            stripped = line.strip()
            match = _DOTENV_LINE.fullmatch(line)
            if (
                not stripped
                or stripped.startswith("#")
                or (not match and _DOTENV_BARE.fullmatch(line.rstrip()))
            ):
                self.parts.append(line)
                continue
            if not match:
                raise _DotenvProblem(f"at line {number}: expected KEY=VALUE, a comment or a blank line")
            rest = match.group("rest")
            quote = rest[:1] if rest[:1] in ('"', "'") else ""
            if quote:
                start = number
                close = _closing_quote(rest, quote)
                while close < 0 and number < len(lines):
                    rest += lines[number]
                    number += 1
                    close = _closing_quote(rest, quote)
                if close < 0:
                    raise _DotenvProblem(f"at line {start}: the quote {quote} is never closed")
                value, tail = rest[1:close], rest[close + 1 :]
            else:
                body = rest.rstrip("\r\n")
                comment = re.search(r"[ \t]+#", body)
                value = body[: comment.start()] if comment else body
                value = value.rstrip(" \t")
                tail = rest[len(value) :]
            self.parts.append(_DotenvEntry(match.group("head"), match.group("key"), quote, value, tail))

    def apply(self, rule: Rule, value: str, relative: str) -> _Outcome:
        outcome = _Outcome()
        for part in self.parts:
            if not isinstance(part, _DotenvEntry) or part.key != rule.dotenv_key:
                continue
            outcome.hits += 1
            quote = part.quote or ('"' if _NEEDS_QUOTES.search(value) else "")
            if quote == "'" and "'" in value:
                outcome.problems.append(
                    f"manifest-set: the value has a ' but {part.key} is single-quoted in {relative!r}, "
                    f"got {rule.text!r}"
                )
                continue
            written = value.replace("\\", "\\\\").replace('"', '\\"') if quote == '"' else value
            if (part.quote, part.value) != (quote, written):
                part.quote, part.value = quote, written
                outcome.modified = self.modified = True
        return outcome

    def render(self) -> str:
        return "".join(part if isinstance(part, str) else part.text() for part in self.parts)


def _closing_quote(rest: str, quote: str) -> int:
    i = 1
    while i < len(rest):
        if quote == '"' and rest[i] == "\\":
            i += 2
            continue
        if rest[i] == quote:
            return i
        i += 1
    return -1


# ---------------------------------------------------------------- files

_File = _YamlFile | _JsonFile | _DotenvFile


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith((".yaml", ".yml")):
        return "YAML"
    if lower.endswith(".json"):
        return "JSON"
    if lower == ".env" or lower.endswith(".env") or lower.startswith(".env."):
        return "dotenv"
    return None


def _resolve(workspace: Path, patterns: Sequence[str], problems: list[str]) -> list[tuple[Path, str]]:
    """(real path, workspace-relative name) of every file the patterns name, sorted, each once."""
    root = workspace.resolve()
    found: dict[Path, str] = {}
    for pattern in patterns:
        relative = _relative_pattern(workspace, root, pattern, problems)
        if relative is None:
            continue
        if any(char in relative for char in "*?["):
            try:
                matches = sorted(path for path in root.glob(relative) if path.is_file())
            except (ValueError, OSError) as error:
                problems.append(f"manifest: {pattern!r} is not a valid glob: {error}")
                continue
            if not matches:
                problems.append(f"manifest: {pattern!r} matches no file in the workspace")
                continue
        else:
            candidate = root / relative
            if candidate.is_dir():
                problems.append(
                    f"manifest: {pattern!r} is a directory; name files or a glob like {relative}/*.yaml"
                )
                continue
            if candidate.is_symlink() and not candidate.exists():
                problems.append(f"manifest: {pattern!r} is a broken symlink")
                continue
            if not candidate.is_file():
                problems.append(
                    f"manifest: {pattern!r} does not exist in the workspace; "
                    "is the repository checked out (actions/checkout) before this step?"
                )
                continue
            matches = [candidate]
        for match in matches:
            name = match.relative_to(root).as_posix()
            try:
                real = match.resolve(strict=True)
            except (OSError, RuntimeError):
                problems.append(f"manifest: {name!r} cannot be read: a broken or looping symlink")
                continue
            if not real.is_relative_to(root):
                problems.append(
                    f"manifest: {pattern!r} is outside the workspace: {name!r} is a symlink out of it"
                )
                continue
            found.setdefault(real, name)
    return sorted(found.items(), key=lambda item: item[1])


def _relative_pattern(workspace: Path, root: Path, pattern: str, problems: list[str]) -> str | None:
    if ".." in PurePosixPath(pattern).parts:
        problems.append(
            f"manifest: {pattern!r} is outside the workspace; '..' is not allowed, give the path from the "
            "workspace root"
        )
        return None
    path = PurePosixPath(pattern)
    if path.is_absolute():
        for base in (root, workspace.absolute()):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
        problems.append(
            f"manifest: {pattern!r} is outside the workspace; give a path relative to the workspace, "
            "like deploy/app.yaml"
        )
        return None
    return path.as_posix()


def _load(path: Path, relative: str, problems: list[str]) -> tuple[str, _File] | None:
    kind = _kind(path.name)
    if kind is None:
        problems.append(f"manifest: {relative!r} {UNSUPPORTED}")
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        problems.append(f"manifest: {relative!r} cannot be read: {error.strerror or error}")
        return None
    except UnicodeDecodeError:
        problems.append(f"manifest: {relative!r} is not UTF-8 text")
        return None
    try:
        if kind == "YAML":
            return text, _YamlFile(text)
        if kind == "JSON":
            return text, _JsonFile(text)
        return text, _DotenvFile(text)
    except _YamlProblem as problem:
        problems.append(f"manifest: {relative!r} is not valid YAML{problem.reason}")
    except json.JSONDecodeError as error:
        problems.append(
            f"manifest: {relative!r} is not valid JSON at line {error.lineno}, column {error.colno}: "
            f"{error.msg}"
        )
    except _DotenvProblem as problem:
        problems.append(f"manifest: {relative!r} is not a valid dotenv file {problem}")
    return None


def plan_patch(
    workspace: Path, patterns: Sequence[str], rules: Sequence[Rule], values: Mapping[str, str]
) -> list[FileChange]:
    """Every file the patterns name, with the rules applied in memory; InputError lists every problem."""
    if not patterns and not rules:
        return []
    if not patterns:
        raise InputError(["manifest-set: rules need manifest files; list the files to patch in manifest"])
    if not rules:
        raise InputError(["manifest: files need manifest-set rules; add PATH=VALUE lines to manifest-set"])
    problems: list[str] = []
    loaded: list[tuple[Path, str, str, _File]] = []
    for path, relative in _resolve(workspace, patterns, problems):
        result = _load(path, relative, problems)
        if result is not None:
            loaded.append((path, relative, result[0], result[1]))
    unreadable = bool(problems)

    rendered = [_render(rule.value, values) for rule in rules]
    hits = [0] * len(rules)
    tried: list[list[str]] = [[] for _ in rules]
    applied: dict[str, list[str]] = {relative: [] for _, relative, _, _ in loaded}
    for _, relative, _, document in loaded:
        for number, rule in enumerate(rules):
            if isinstance(document, _DotenvFile) and rule.dotenv_key is None:
                continue
            tried[number].append(relative)
            outcome = document.apply(rule, rendered[number], relative)
            problems += outcome.problems
            if outcome.hits:
                hits[number] += outcome.hits
                applied[relative].append(rule.text)
    for number, rule in enumerate(rules):
        if hits[number]:
            continue
        if tried[number]:
            problems.append(
                f"manifest-set: PATH resolves in no document of {', '.join(tried[number])}, got {rule.text!r}"
            )
        elif not unreadable:
            problems.append(
                "manifest-set: PATH is not a dotenv KEY and manifest lists no YAML or JSON file, "
                f"got {rule.text!r}"
            )
    if problems:
        raise InputError(problems)
    return [
        FileChange(
            path=path,
            relative=relative,
            before=before,
            after=document.render() if _modified(document) else before,
            applied=applied[relative],
        )
        for path, relative, before, document in loaded
    ]


def _modified(document: _File) -> bool:
    if isinstance(document, _YamlFile):
        return any(chunk.modified for chunk in document.chunks)
    return document.modified


# ---------------------------------------------------------------- writing


def apply_patch(changes: Sequence[FileChange]) -> list[str]:
    """Write every changed file atomically, all or nothing; the workspace-relative paths written."""
    pending = [change for change in changes if change.after != change.before]
    staged: list[tuple[FileChange, str]] = []
    replaced: list[FileChange] = []
    current: FileChange | None = None
    try:
        for current in pending:
            if current.path.read_bytes() != current.before.encode("utf-8"):
                _discard(staged)
                raise ActionError(
                    f"manifest: {current.relative!r} changed on disk after it was read; "
                    "no manifest file was changed",
                    fix="Make sure no other step writes the manifest files while this action runs, "
                    "then run it again.",
                )
            staged.append((current, _stage(current.path, current.after)))
        for current, temporary in staged:
            os.replace(temporary, current.path)
            replaced.append(current)
    except OSError as error:
        _discard([(change, temporary) for change, temporary in staged if change not in replaced])
        not_restored = []
        for change in reversed(replaced):
            try:
                _replace(_stage(change.path, change.before), change.path)
            except OSError:
                not_restored.append(change.relative)
        name = current.relative if current else "?"
        message = (
            f"manifest: could not write {name!r}: {error.strerror or error}; no manifest file was changed"
        )
        if not_restored:
            message = (
                f"manifest: could not write {name!r}: {error.strerror or error}; "
                f"could not restore {', '.join(sorted(not_restored))}: check them before the next run"
            )
        raise ActionError(
            message,
            fix="Check that the manifest files and their folders are writable in the workspace, "
            "then run it again.",
        ) from error
    return [change.relative for change in pending]


def _stage(path: Path, text: str) -> str:
    """A temporary file beside path holding text, with path's mode (and owner, where allowed)."""
    info = os.stat(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        # The container runs as root: keep the runner user's ownership so later steps can edit the file.
        with contextlib.suppress(PermissionError):
            os.chown(temporary, info.st_uid, info.st_gid)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _replace(temporary: str, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _discard(staged: Sequence[tuple[FileChange, str]]) -> None:
    for _, temporary in staged:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def diff(changes: Sequence[FileChange]) -> str:
    """A unified diff of every change, as `git diff` shows it (for dry-run)."""
    out: list[str] = []
    for change in changes:
        if change.after != change.before:
            out.extend(
                difflib.unified_diff(
                    _diff_lines(change.before),
                    _diff_lines(change.after),
                    f"a/{change.relative}",
                    f"b/{change.relative}",
                )
            )
    return "".join(out)


def _diff_lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines
